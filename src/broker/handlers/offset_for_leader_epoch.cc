// OffsetForLeaderEpoch: where each partition's requested leader epoch ends, from the leader
// epoch cache of its log, on the shard that owns it. Consumers ask it after a leader change to
// check that the position they hold was not truncated away (KIP-320); followers ask it to find
// where to truncate. As in Kafka, the answer is the same for both: the end of the latest epoch
// is the log end offset, not capped at the high watermark.
#include "broker/handlers/handlers.h"
#include "broker/handlers/partitions.h"
#include "protocol/generated/message/offset_for_leader_epoch_request.h"
#include "protocol/generated/message/offset_for_leader_epoch_response.h"

namespace gregor::broker {

namespace {

struct Target {
  TopicPartition tp;
  int32_t current_leader_epoch;
  int32_t leader_epoch;
};

}  // namespace

asio::awaitable<HandlerResult> handle_offset_for_leader_epoch(Broker& broker, const RequestContext& ctx,
                                                              BytesView body) {
  std::string why;
  auto request = decode_request<protocol::OffsetForLeaderEpochRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);

  const bool fenced = ctx.api_version >= 2;  // current_leader_epoch came with v2
  const auto targets = per_partition<Target>(request->topics, [fenced](const auto& topic, const auto& partition) {
    return Target{TopicPartition{topic.topic, partition.partition}, fenced ? partition.current_leader_epoch : -1,
                  partition.leader_epoch};
  });
  auto lookup = [](ReplicaManager& replicas, const Target& t) {
    return replicas.end_offset_for_epoch(t.tp, t.current_leader_epoch, t.leader_epoch);
  };
  std::vector<EpochEndOffsetResult> results = co_await on_owning_shards<EpochEndOffsetResult>(broker, targets, lookup);

  protocol::OffsetForLeaderEpochResponse response;
  auto name = [](auto& out, const auto& topic) { out.topic = topic.topic; };
  auto fill = [&](auto& out, const auto& partition, size_t i) {
    const EpochEndOffsetResult& result = results[i];
    out.partition = partition.partition;
    out.error_code = static_cast<int16_t>(
        result.error == ErrorCode::not_leader_or_follower ? not_led_error(broker, targets[i].tp) : result.error);
    if (ctx.api_version >= 1) out.leader_epoch = result.leader_epoch;
    out.end_offset = result.end_offset;
  };
  answer_per_partition(request->topics, response.topics, name, fill);
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
