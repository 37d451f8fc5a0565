// OffsetCommit: a group's offsets, written to its __consumer_offsets partition and answered once
// durable. Partitions that do not exist get UNKNOWN_TOPIC_OR_PARTITION, as in Kafka.
#include "broker/handlers/group_routing.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/offset_commit_request.h"
#include "protocol/generated/message/offset_commit_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_offset_commit(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::OffsetCommitRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  const std::string group_id = request->group_id;  // before the request moves into the operation
  const int16_t version = ctx.api_version;
  auto op = [&broker, commit = *request, version](group::GroupCoordinator& c, int64_t now) {
    // Runs on the coordinator's shard, against that shard's image.
    std::shared_ptr<const metadata::MetadataImage> image = broker.metadata()->image();
    auto exists = [&image](const std::string& topic, int32_t partition) {
      const metadata::TopicImage* t = image->topic(topic);
      return t && t->partitions.count(partition) != 0;
    };
    return c.offset_commit(commit, version, exists, now);
  };
  auto [error, response] = co_await on_coordinator<protocol::OffsetCommitResponse>(broker, group_id, op);
  if (error != ErrorCode::none) {
    response = {};
    for (const auto& t : request->topics) {
      auto& topic = response.topics.emplace_back();
      topic.name = t.name;
      for (const auto& p : t.partitions) {
        auto& part = topic.partitions.emplace_back();
        part.partition_index = p.partition_index;
        part.error_code = static_cast<int16_t>(error);
      }
    }
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
