// ConsumerGroupDescribe (KIP-848): each group from its coordinator, with its epochs, assignor and
// every member's current and target assignment; GROUP_ID_NOT_FOUND for a group that is not a
// consumer group.
#include "broker/handlers/group_routing.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/consumer_group_describe_request.h"
#include "protocol/generated/message/consumer_group_describe_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_consumer_group_describe(Broker& broker, const RequestContext& ctx,
                                                              BytesView body) {
  std::string why;
  auto request = decode_request<protocol::ConsumerGroupDescribeRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  using Described = protocol::ConsumerGroupDescribeResponse::DescribedGroup;
  protocol::ConsumerGroupDescribeResponse response;
  for (const std::string& group_id : request->group_ids) {
    auto op = [&broker, group_id](group::GroupCoordinator& c, int64_t) {
      ImageTopics topics(broker.metadata()->image());
      return c.consumer_group_describe(group_id, topics);
    };
    auto [error, described] = co_await on_coordinator<Described>(broker, group_id, op);
    if (error != ErrorCode::none) {
      described = {};
      described.error_code = static_cast<int16_t>(error);
    }
    described.group_id = group_id;
    // Authorization is not checked, and the operations are only listed when asked for.
    described.authorized_operations = INT32_MIN;
    response.groups.push_back(std::move(described));
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
