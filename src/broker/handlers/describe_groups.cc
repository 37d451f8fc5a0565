// DescribeGroups: each group from its coordinator; a group that does not exist is described as
// Dead, as Kafka does before version 6.
#include "broker/handlers/group_routing.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/describe_groups_request.h"
#include "protocol/generated/message/describe_groups_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_describe_groups(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::DescribeGroupsRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  using Described = protocol::DescribeGroupsResponse::DescribedGroup;
  protocol::DescribeGroupsResponse response;
  for (const std::string& group_id : request->groups) {
    auto op = [group_id](group::GroupCoordinator& c, int64_t) { return c.describe_group(group_id); };
    auto [error, described] = co_await on_coordinator<Described>(broker, group_id, op);
    if (error != ErrorCode::none) {
      described = {};
      described.error_code = static_cast<int16_t>(error);
    }
    described.group_id = group_id;
    if (ctx.api_version < 4) {
      for (auto& m : described.members) m.group_instance_id = std::nullopt;
    }
    // Authorization is not checked, and the operations are only listed when asked for.
    described.authorized_operations = INT32_MIN;
    response.groups.push_back(std::move(described));
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
