// DeleteGroups: an empty group's offsets and metadata go, by tombstones in its partition.
#include "broker/handlers/group_routing.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/delete_groups_request.h"
#include "protocol/generated/message/delete_groups_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_delete_groups(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::DeleteGroupsRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  protocol::DeleteGroupsResponse response;
  for (const std::string& group_id : request->groups_names) {
    auto op = [group_id](group::GroupCoordinator& c, int64_t now) { return c.delete_group(group_id, now); };
    auto [error, result] = co_await on_coordinator<ErrorCode>(broker, group_id, op);
    auto& r = response.results.emplace_back();
    r.group_id = group_id;
    r.error_code = static_cast<int16_t>(error != ErrorCode::none ? error : result);
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
