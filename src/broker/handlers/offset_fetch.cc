// OffsetFetch: committed offsets of one group (v0-7) or several (v8+), each from its coordinator.
// A partition without a committed offset reads -1.
#include "broker/handlers/group_routing.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/offset_fetch_request.h"
#include "protocol/generated/message/offset_fetch_response.h"

namespace gregor::broker {

namespace {

using Group = protocol::OffsetFetchResponse::OffsetFetchResponseGroup;
using Topics = std::optional<std::vector<protocol::OffsetFetchRequest::OffsetFetchRequestTopics>>;

asio::awaitable<std::pair<ErrorCode, Group>> fetch_group(Broker& broker, const std::string& group_id, Topics topics,
                                                        bool require_stable,
                                                        std::optional<std::string> member_id = std::nullopt,
                                                        int32_t member_epoch = -1) {
  // v9+: a KIP-848 member fetches with its member id and epoch.
  auto op = [group_id, topics = std::move(topics), require_stable, member_id = std::move(member_id),
             member_epoch](group::GroupCoordinator& c, int64_t) {
    return c.offset_fetch(group_id, topics, require_stable, member_id, member_epoch);
  };
  return on_coordinator<Group>(broker, group_id, op);
}

}  // namespace

asio::awaitable<HandlerResult> handle_offset_fetch(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::OffsetFetchRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  const int16_t version = ctx.api_version;
  protocol::OffsetFetchResponse response;
  if (version >= 8) {
    for (const auto& g : request->groups) {
      auto [error, group] =
          co_await fetch_group(broker, g.group_id, g.topics, request->require_stable, g.member_id, g.member_epoch);
      group.group_id = g.group_id;
      if (error != ErrorCode::none) {
        group.topics.clear();
        group.error_code = static_cast<int16_t>(error);
      }
      response.groups.push_back(std::move(group));
    }
    co_return respond(ctx, response);
  }
  Topics topics;
  if (request->topics) {
    topics.emplace();
    for (const auto& t : *request->topics) {
      auto& out = topics->emplace_back();
      out.name = t.name;
      out.partition_indexes = t.partition_indexes;
    }
  }
  auto [error, group] = co_await fetch_group(broker, request->group_id, topics, version >= 7 && request->require_stable);
  if (error != ErrorCode::none && version >= 2) {
    response.error_code = static_cast<int16_t>(error);
    co_return respond(ctx, response);
  }
  if (error != ErrorCode::none) {
    // v0-1 have no top-level error: every partition asked for carries it.
    for (const auto& t : request->topics.value_or(std::vector<protocol::OffsetFetchRequest::OffsetFetchRequestTopic>{})) {
      auto& topic = response.topics.emplace_back();
      topic.name = t.name;
      for (int32_t p : t.partition_indexes) {
        auto& part = topic.partitions.emplace_back();
        part.partition_index = p;
        part.committed_offset = -1;
        part.error_code = static_cast<int16_t>(error);
      }
    }
    co_return respond(ctx, response);
  }
  for (const auto& t : group.topics) {
    auto& topic = response.topics.emplace_back();
    topic.name = t.name;
    for (const auto& p : t.partitions) {
      auto& part = topic.partitions.emplace_back();
      part.partition_index = p.partition_index;
      part.committed_offset = p.committed_offset;
      if (version >= 5) part.committed_leader_epoch = p.committed_leader_epoch;
      part.metadata = p.metadata;
      part.error_code = p.error_code;
    }
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
