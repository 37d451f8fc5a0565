// ListOffsets: each partition's offset looked up on the shard that owns it. v9 adds the latest
// tiered offset (-5) and v10 a timeout for lookups in remote storage; without tiered storage
// the first finds no offset and the second has nothing to wait for.
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/list_offsets_request.h"
#include "protocol/generated/message/list_offsets_response.h"

namespace gregor::broker {

namespace {

// Kafka's ListOffsetsRequest.LATEST_TIERED_TIMESTAMP: the highest offset copied to remote storage.
constexpr int64_t kLatestTieredTimestamp = -5;

}  // namespace

asio::awaitable<HandlerResult> handle_list_offsets(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::ListOffsetsRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  const bool follower = request->replica_id >= 0;
  protocol::ListOffsetsResponse response;
  for (const auto& topic : request->topics) {
    auto& t = response.topics.emplace_back();
    t.name = topic.name;
    for (const auto& partition : topic.partitions) {
      TopicPartition tp{topic.name, partition.partition_index};
      unsigned s = shard_of(tp, static_cast<unsigned>(broker.shard_count()));
      const int64_t timestamp = partition.timestamp;
      const int32_t epoch = ctx.api_version >= 4 ? partition.current_leader_epoch : -1;
      auto lookup = [&broker, s, tp, timestamp, epoch, follower] {
        if (timestamp != kLatestTieredTimestamp) return broker.replicas(s).list_offset(tp, timestamp, epoch, follower);
        // Nothing is tiered: as Kafka with remote storage off, offset, timestamp and epoch -1 from
        // the leader (which the earliest offset's lookup checks).
        ListOffsetResult leader = broker.replicas(s).list_offset(tp, storage::kEarliestTimestamp, epoch, follower);
        return leader.error == ErrorCode::none ? ListOffsetResult{} : leader;
      };
      ListOffsetResult result = co_await invoke_on(broker.shard(s), lookup);
      auto& r = t.partitions.emplace_back();
      r.partition_index = partition.partition_index;
      r.error_code = static_cast<int16_t>(result.error == ErrorCode::not_leader_or_follower
                                              ? ErrorCode::unknown_topic_or_partition
                                              : result.error);
      r.timestamp = result.timestamp;
      r.offset = result.offset;
      if (ctx.api_version >= 4) r.leader_epoch = result.leader_epoch;
    }
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
