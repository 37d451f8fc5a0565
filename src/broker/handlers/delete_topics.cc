// DeleteTopics: by name, and from v6 by topic id. The controller checks the request (duplicates,
// unknown topics, delete.topic.enable) and writes a RemoveTopicRecord per topic; once the image
// without them is published every shard has stopped leading their partitions and renamed
// their log directories "-delete" (reconcile, in metadata_service.cc), so the answer follows the
// deletion and a topic created again under the same name starts empty.
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/delete_topics_request.h"
#include "protocol/generated/message/delete_topics_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_delete_topics(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::DeleteTopicsRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  auto op = [request = *request, version = ctx.api_version](controller::QuorumController& c) {
    return c.delete_topics(request, version);
  };
  auto response = co_await broker.metadata()->submit<protocol::DeleteTopicsResponse>(op);
  if (!response) {
    // The metadata log failed: no topic was deleted.
    protocol::DeleteTopicsResponse failed;
    auto fail = [&](std::optional<std::string> name, const Uuid& id) {
      auto& r = failed.responses.emplace_back();
      r.name = std::move(name);
      r.topic_id = id;
      r.error_code = static_cast<int16_t>(ErrorCode::kafka_storage_error);
    };
    for (const std::string& name : request->topic_names) fail(name, Uuid{});
    for (const auto& t : request->topics) fail(t.name, t.topic_id);
    co_return respond(ctx, failed);
  }
  co_return respond(ctx, *response);
}

}  // namespace gregor::broker
