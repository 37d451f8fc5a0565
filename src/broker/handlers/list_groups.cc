// ListGroups: the groups of every coordinator this broker runs, gathered from all shards.
#include "broker/handlers/group_routing.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/list_groups_request.h"
#include "protocol/generated/message/list_groups_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_list_groups(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::ListGroupsRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  using Listed = GroupService::ListedGroups;
  std::vector<asio::awaitable<Listed>> lists;
  for (unsigned s = 0; s < broker.shard_count(); ++s) {
    lists.push_back(invoke_on(broker.shard(s), [&broker, s, states = request->states_filter, types = request->types_filter] {
      return broker.groups(s).list_groups(states, types);
    }));
  }
  protocol::ListGroupsResponse response;
  for (Listed& listed : co_await when_all(std::move(lists))) {
    if (listed.error != ErrorCode::none) response.error_code = static_cast<int16_t>(listed.error);
    for (auto& g : listed.groups) {
      if (ctx.api_version < 4) g.group_state = "";
      if (ctx.api_version < 5) g.group_type = "";
      response.groups.push_back(std::move(g));
    }
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
