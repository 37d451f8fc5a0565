// Heartbeat: keeps a member's session; REBALANCE_IN_PROGRESS tells it to rejoin.
#include "broker/handlers/group_routing.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/heartbeat_request.h"
#include "protocol/generated/message/heartbeat_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_heartbeat(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::HeartbeatRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  const std::string group_id = request->group_id;  // before the request moves into the operation
  const int16_t version = ctx.api_version;
  auto op = [heartbeat = std::move(*request), version](group::GroupCoordinator& c, int64_t now) {
    return c.heartbeat(heartbeat, version, now);
  };
  auto [error, response] = co_await on_coordinator<protocol::HeartbeatResponse>(broker, group_id, op);
  if (error != ErrorCode::none) response.error_code = static_cast<int16_t>(error);
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
