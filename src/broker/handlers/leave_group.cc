// LeaveGroup: members leave at once instead of timing out (v3+: several, by member or instance id).
#include "broker/handlers/group_routing.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/leave_group_request.h"
#include "protocol/generated/message/leave_group_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_leave_group(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::LeaveGroupRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  const std::string group_id = request->group_id;  // before the request moves into the operation
  const int16_t version = ctx.api_version;
  auto op = [leave = std::move(*request), version](group::GroupCoordinator& c, int64_t now) {
    return c.leave_group(leave, version, now);
  };
  auto [error, response] = co_await on_coordinator<protocol::LeaveGroupResponse>(broker, group_id, op);
  if (error != ErrorCode::none) {
    response = {};
    response.error_code = static_cast<int16_t>(error);
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
