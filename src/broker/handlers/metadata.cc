// Metadata: brokers, cluster id, controller and topics from the shard's image. Topics that do
// not exist are created when auto.create.topics.enable and the request allow it (Kafka's
// defaults: num.partitions, default.replication.factor); the answer then describes them, since
// the image is published before the creation is answered.
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "metadata/topic_name.h"
#include "protocol/generated/message/create_topics_request.h"
#include "protocol/generated/message/create_topics_response.h"
#include "protocol/generated/message/metadata_request.h"
#include "protocol/generated/message/metadata_response.h"

namespace gregor::broker {

namespace {

bool is_internal(const std::string& topic) { return topic == "__consumer_offsets" || topic == "__transaction_state"; }

void describe_topic(const metadata::MetadataImage& image, const metadata::TopicImage& topic,
                    protocol::MetadataResponse::MetadataResponseTopic& out) {
  out.name = topic.name;
  out.topic_id = topic.id;
  out.is_internal = is_internal(topic.name);
  for (const auto& [index, p] : topic.partitions) {
    auto& partition = out.partitions.emplace_back();
    partition.partition_index = index;
    partition.leader_id = p->leader;
    partition.leader_epoch = p->leader_epoch;
    partition.replica_nodes = p->replicas;
    partition.isr_nodes = p->isr;
    for (int32_t replica : p->replicas) {
      const metadata::BrokerRegistration* broker = image.broker(replica);
      if (!broker || !broker->active()) partition.offline_replicas.push_back(replica);
    }
    if (p->leader < 0) partition.error_code = static_cast<int16_t>(ErrorCode::leader_not_available);
  }
}

}  // namespace

asio::awaitable<HandlerResult> handle_metadata(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::MetadataRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  MetadataService& service = *broker.metadata();
  std::shared_ptr<const metadata::MetadataImage> image = service.image();

  // v0 asks for every topic with an empty list; later versions with a null one.
  const bool all = !request->topics || (ctx.api_version == 0 && request->topics->empty());
  std::vector<std::string> wanted;
  if (!all) {
    for (const auto& t : *request->topics) {
      if (t.name) wanted.push_back(*t.name);
    }
  }
  const bool auto_create = broker.options().auto_create_topics_enable &&
                           (ctx.api_version < 4 || request->allow_auto_topic_creation);
  if (auto_create) {
    protocol::CreateTopicsRequest create;
    for (const std::string& name : wanted) {
      if (image->topic(name) || metadata::topic_name_error(name) || is_internal(name)) continue;
      auto& t = create.topics.emplace_back();
      t.name = name;
      t.num_partitions = -1;
      t.replication_factor = -1;
    }
    if (!create.topics.empty()) {
      // Named, not a temporary in the co_await expression (see invoke_on in net/shard.h).
      auto op = [create](controller::QuorumController& c) { return c.create_topics(create); };
      auto created = co_await service.submit<protocol::CreateTopicsResponse>(op);
      (void)created;  // a topic that could not be created is reported below as unknown
      image = service.image();
    }
  }

  protocol::MetadataResponse response;
  for (const metadata::BrokerNode& node : image->broker_nodes(ctx.listener)) {
    auto& b = response.brokers.emplace_back();
    b.node_id = node.id;
    b.host = node.host;
    b.port = node.port;
    b.rack = node.rack;
  }
  response.cluster_id = image->cluster_id();
  response.controller_id = broker.options().node_id;
  if (all) {
    for (const auto& [id, topic] : image->topics()) describe_topic(*image, *topic, response.topics.emplace_back());
  } else {
    for (const std::string& name : wanted) {
      auto& out = response.topics.emplace_back();
      out.name = name;
      if (const metadata::TopicImage* topic = image->topic(name)) {
        describe_topic(*image, *topic, out);
      } else if (metadata::topic_name_error(name)) {
        out.error_code = static_cast<int16_t>(ErrorCode::invalid_topic_exception);
      } else {
        out.error_code = static_cast<int16_t>(ErrorCode::unknown_topic_or_partition);
      }
    }
  }
  co_return respond(ctx, response);
}

asio::awaitable<HandlerResult> handle_create_topics(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::CreateTopicsRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  auto op = [create = *request](controller::QuorumController& c) { return c.create_topics(create); };
  auto response = co_await broker.metadata()->submit<protocol::CreateTopicsResponse>(op);
  if (!response) {
    protocol::CreateTopicsResponse failed;
    for (const auto& t : request->topics) {
      auto& r = failed.topics.emplace_back();
      r.name = t.name;
      r.error_code = static_cast<int16_t>(ErrorCode::kafka_storage_error);
    }
    co_return respond(ctx, failed);
  }
  co_return respond(ctx, *response);
}

}  // namespace gregor::broker
