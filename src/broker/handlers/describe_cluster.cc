// DescribeCluster: the brokers with an endpoint on the request's listener, the cluster id and
// the controller, from the shard's image. A broker listener serves endpoint type BROKER only:
// a request for CONTROLLER gets MISMATCHED_ENDPOINT_TYPE and an unknown type
// UNSUPPORTED_ENDPOINT_TYPE (INVALID_REQUEST at v0, which cannot name one), as Kafka answers.
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/describe_cluster_request.h"
#include "protocol/generated/message/describe_cluster_response.h"

namespace gregor::broker {

namespace {

constexpr int8_t kBrokerEndpoint = 1;
constexpr int8_t kControllerEndpoint = 2;

// What CLUSTER allows with no authorizer: every operation it supports (Kafka's AclEntry):
// CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE,
// one bit per AclOperation code.
constexpr int32_t kClusterOperations = (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

}  // namespace

asio::awaitable<HandlerResult> handle_describe_cluster(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::DescribeClusterRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  protocol::DescribeClusterResponse response;
  if (request->endpoint_type != kBrokerEndpoint) {
    const bool known = request->endpoint_type == kControllerEndpoint;
    ErrorCode code = known ? ErrorCode::mismatched_endpoint_type : ErrorCode::unsupported_endpoint_type;
    if (ctx.api_version == 0) code = ErrorCode::invalid_request;
    response.error_code = static_cast<int16_t>(code);
    response.error_message =
        known ? std::string("The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER")
              : "Unsupported endpoint type " + std::to_string(request->endpoint_type);
    co_return respond(ctx, response);
  }
  std::shared_ptr<const metadata::MetadataImage> image = broker.metadata()->image();
  response.cluster_id = image->cluster_id();
  const int32_t self = broker.options().node_id;
  for (const metadata::BrokerNode& node : image->broker_nodes(ctx.listener)) {
    auto& b = response.brokers.emplace_back();
    b.broker_id = node.id;
    b.host = node.host;
    b.port = node.port;
    b.rack = node.rack;
    // This node is the controller; a client is told of it only when it can reach it here.
    if (node.id == self) response.controller_id = self;
  }
  if (request->include_cluster_authorized_operations) response.cluster_authorized_operations = kClusterOperations;
  if (ctx.api_version >= 1) response.endpoint_type = kBrokerEndpoint;
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
