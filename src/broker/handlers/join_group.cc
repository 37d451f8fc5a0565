// JoinGroup: waits on the group's coordinator until the group completes the join (a rebalance
// can take up to the members' rebalance timeout), then answers at the request's version.
#include "broker/handlers/group_routing.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/join_group_request.h"
#include "protocol/generated/message/join_group_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_join_group(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::JoinGroupRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  const std::string group_id = request->group_id;  // before the request moves into the operation
  const int16_t version = ctx.api_version;
  if (version == 0) request->rebalance_timeout_ms = request->session_timeout_ms;  // v0 has none
  group::Client client{ctx.client_id, client_host(ctx)};
  auto op = [join = std::move(*request), version, client](group::GroupCoordinator& c, group::RequestId id,
                                                           int64_t now) { c.join_group(id, join, version, client, now); };
  auto [error, reply] = co_await on_coordinator_waiting(broker, group_id, op);
  protocol::JoinGroupResponse response;
  if (error != ErrorCode::none || !reply) {
    response.error_code = static_cast<int16_t>(error != ErrorCode::none ? error : ErrorCode::unknown_server_error);
    response.generation_id = -1;
    response.protocol_name = version >= 7 ? std::nullopt : std::optional<std::string>("");
  } else {
    response = std::get<protocol::JoinGroupResponse>(reply->response);
  }
  // Fields the request's version does not have go back to their defaults.
  if (version < 7) {
    response.protocol_type = std::nullopt;
    if (!response.protocol_name) response.protocol_name = "";
  }
  if (version < 9) response.skip_assignment = false;
  if (version < 5) {
    for (auto& m : response.members) m.group_instance_id = std::nullopt;
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
