// ConsumerGroupHeartbeat (KIP-848): a member's heartbeat, join or leave, run on its group's
// coordinator against this broker's metadata image, answered once the records it wrote are
// durable.
#include "broker/handlers/group_routing.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/consumer_group_heartbeat_request.h"
#include "protocol/generated/message/consumer_group_heartbeat_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_consumer_group_heartbeat(Broker& broker, const RequestContext& ctx,
                                                               BytesView body) {
  std::string why;
  auto request = decode_request<protocol::ConsumerGroupHeartbeatRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  const std::string group_id = request->group_id;  // before the request moves into the operation
  const int16_t version = ctx.api_version;
  group::Client client{ctx.client_id, client_host(ctx)};
  auto op = [&broker, heartbeat = std::move(*request), version, client](group::GroupCoordinator& c, int64_t now) {
    // Runs on the coordinator's shard, against that shard's image.
    ImageTopics topics(broker.metadata()->image());
    return c.consumer_group_heartbeat(heartbeat, version, client, topics, now);
  };
  auto [error, response] = co_await on_coordinator<protocol::ConsumerGroupHeartbeatResponse>(broker, group_id, op);
  if (error != ErrorCode::none) {
    response = {};
    response.error_code = static_cast<int16_t>(error);
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
