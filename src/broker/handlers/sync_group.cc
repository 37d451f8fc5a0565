// SyncGroup: a follower waits for the leader's assignment; the leader's brings every member its
// own once the group's record is durable.
#include "broker/handlers/group_routing.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/sync_group_request.h"
#include "protocol/generated/message/sync_group_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_sync_group(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::SyncGroupRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  const std::string group_id = request->group_id;  // before the request moves into the operation
  const int16_t version = ctx.api_version;
  auto op = [sync = std::move(*request), version](group::GroupCoordinator& c, group::RequestId id, int64_t now) {
    c.sync_group(id, sync, version, now);
  };
  auto [error, reply] = co_await on_coordinator_waiting(broker, group_id, op);
  protocol::SyncGroupResponse response;
  if (error != ErrorCode::none || !reply) {
    response.error_code = static_cast<int16_t>(error != ErrorCode::none ? error : ErrorCode::unknown_server_error);
  } else {
    response = std::get<protocol::SyncGroupResponse>(reply->response);
  }
  if (version < 5) {
    response.protocol_type = std::nullopt;
    response.protocol_name = std::nullopt;
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
