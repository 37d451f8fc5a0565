// DeleteRecords: each partition's log start offset moves up to the requested offset (-1: the high
// watermark) on the shard that owns it, and the segments below it go. Kafka answers once every
// replica's log start has reached the offset, or at timeout_ms; a single node is every replica,
// so the answer needs no wait for others. It does wait for the new log starts to be in the log
// dirs' checkpoint, so deleted records never come back after a crash (Kafka checkpoints log
// starts only every log.flush.start.offset.checkpoint.interval.ms).
#include "broker/handlers/handlers.h"
#include "broker/handlers/partitions.h"
#include "protocol/generated/message/delete_records_request.h"
#include "protocol/generated/message/delete_records_response.h"

namespace gregor::broker {

namespace {

struct Target {
  TopicPartition tp;
  int64_t offset;
};

}  // namespace

asio::awaitable<HandlerResult> handle_delete_records(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::DeleteRecordsRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);

  const auto targets = per_partition<Target>(request->topics, [](const auto& topic, const auto& partition) {
    return Target{TopicPartition{topic.name, partition.partition_index}, partition.offset};
  });
  auto remove = [](ReplicaManager& replicas, const Target& t) { return replicas.delete_records(t.tp, t.offset); };
  std::vector<DeleteRecordsResult> results = co_await on_owning_shards<DeleteRecordsResult>(broker, targets, remove);

  bool moved = false;
  for (const DeleteRecordsResult& r : results) moved |= r.error == ErrorCode::none;
  Status checkpointed;
  if (moved && broker.logs()) checkpointed = co_await broker.logs()->checkpoint_now();

  protocol::DeleteRecordsResponse response;
  auto name = [](auto& out, const auto& topic) { out.name = topic.name; };
  auto fill = [&](auto& out, const auto& partition, size_t i) {
    DeleteRecordsResult result = std::move(results[i]);
    if (result.error == ErrorCode::not_leader_or_follower) result.error = not_led_error(broker, targets[i].tp);
    if (result.error == ErrorCode::none && !checkpointed.ok()) {
      // The log start moved, but a crash could still bring the records back.
      result = DeleteRecordsResult{ErrorCode::kafka_storage_error, checkpointed.message(), -1};
    }
    out.partition_index = partition.partition_index;
    out.error_code = static_cast<int16_t>(result.error);
    out.low_watermark = result.error == ErrorCode::none ? result.low_watermark : -1;
  };
  answer_per_partition(request->topics, response.topics, name, fill);
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
