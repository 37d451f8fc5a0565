// OffsetDelete: a group's offsets for partitions it no longer consumes.
#include "broker/handlers/group_routing.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/offset_delete_request.h"
#include "protocol/generated/message/offset_delete_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_offset_delete(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::OffsetDeleteRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  const std::string group_id = request->group_id;  // before the request moves into the operation
  auto op = [del = std::move(*request)](group::GroupCoordinator& c, int64_t now) { return c.offset_delete(del, now); };
  auto [error, response] = co_await on_coordinator<protocol::OffsetDeleteResponse>(broker, group_id, op);
  if (error != ErrorCode::none) {
    response = {};
    response.error_code = static_cast<int16_t>(error);
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
