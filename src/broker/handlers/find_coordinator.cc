// FindCoordinator: the broker leading the __consumer_offsets partition a group hashes to, which
// on a single node is this one. The first request creates __consumer_offsets as Kafka does
// (offsets.topic.num.partitions, offsets.topic.replication.factor, compacted). Transactional
// ids are not coordinated yet: they get COORDINATOR_NOT_AVAILABLE.
#include "broker/handlers/group_routing.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/create_topics_request.h"
#include "protocol/generated/message/create_topics_response.h"
#include "protocol/generated/message/find_coordinator_request.h"
#include "protocol/generated/message/find_coordinator_response.h"

namespace gregor::broker {

namespace {

constexpr int8_t kGroupKey = 0;
constexpr int8_t kTransactionKey = 1;

struct Found {
  ErrorCode error = ErrorCode::none;
  std::string message;
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;
};

// Creates __consumer_offsets when it does not exist yet; the error when it cannot be.
asio::awaitable<std::optional<std::string>> ensure_offsets_topic(Broker& broker) {
  MetadataService& metadata = *broker.metadata();
  if (metadata.image()->topic(kOffsetsTopic)) co_return std::nullopt;
  const GroupOptions& o = broker.options().groups;
  protocol::CreateTopicsRequest create;
  auto& t = create.topics.emplace_back();
  t.name = kOffsetsTopic;
  t.num_partitions = o.offsets_partitions;
  t.replication_factor = o.offsets_replication_factor;
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"cleanup.policy", "compact"},
           {"compression.type", "producer"},
           {"segment.bytes", std::to_string(o.offsets_segment_bytes)}}) {
    auto& c = t.configs.emplace_back();
    c.name = key;
    c.value = value;
  }
  auto op = [create](controller::QuorumController& c) { return c.create_topics(create); };
  auto created = co_await metadata.submit<protocol::CreateTopicsResponse>(op);
  if (!created) co_return "the metadata log failed";
  const auto& result = created->topics.at(0);
  if (result.error_code != 0 && result.error_code != static_cast<int16_t>(ErrorCode::topic_already_exists)) {
    co_return "creating " + std::string(kOffsetsTopic) + ": " + result.error_message.value_or("error " + std::to_string(result.error_code));
  }
  co_return std::nullopt;
}

}  // namespace

asio::awaitable<HandlerResult> handle_find_coordinator(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::FindCoordinatorRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  std::vector<std::string> keys = ctx.api_version >= 4 ? request->coordinator_keys : std::vector<std::string>{request->key};
  const int8_t key_type = ctx.api_version >= 1 ? request->key_type : kGroupKey;

  std::vector<Found> found(keys.size());
  if (key_type == kGroupKey) {
    std::optional<std::string> failed = co_await ensure_offsets_topic(broker);
    std::shared_ptr<const metadata::MetadataImage> image = broker.metadata()->image();
    std::optional<metadata::BrokerNode> self;
    for (const metadata::BrokerNode& node : image->broker_nodes(ctx.listener)) {
      if (node.id == broker.options().node_id) self = node;
    }
    for (Found& f : found) {
      if (failed || !self) {
        f.error = ErrorCode::coordinator_not_available;
        f.message = failed ? *failed : "this broker has no endpoint for listener " + ctx.listener;
        continue;
      }
      f.node_id = self->id;
      f.host = self->host;
      f.port = self->port;
    }
  } else {
    for (Found& f : found) {
      f.error = key_type == kTransactionKey ? ErrorCode::coordinator_not_available : ErrorCode::invalid_request;
      f.message = key_type == kTransactionKey ? "this broker does not coordinate transactions yet"
                                              : "unknown coordinator key type " + std::to_string(key_type);
    }
  }

  protocol::FindCoordinatorResponse response;
  if (ctx.api_version >= 4) {
    for (size_t i = 0; i < keys.size(); ++i) {
      auto& c = response.coordinators.emplace_back();
      c.key = keys[i];
      c.node_id = found[i].node_id;
      c.host = found[i].host;
      c.port = found[i].port;
      c.error_code = static_cast<int16_t>(found[i].error);
      if (found[i].error != ErrorCode::none) c.error_message = found[i].message;
      else c.error_message = std::nullopt;
    }
  } else {
    const Found& f = found.at(0);
    response.error_code = static_cast<int16_t>(f.error);
    if (ctx.api_version >= 1) response.error_message = f.error != ErrorCode::none ? std::optional(f.message) : std::nullopt;
    response.node_id = f.node_id;
    response.host = f.host;
    response.port = f.port;
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
