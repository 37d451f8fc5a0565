// BrokerHeartbeat, on a controller listener: renews the broker's session and answers whether it
// is caught up, fenced or may shut down, once any fencing change it caused is committed
// (QuorumController::broker_heartbeat has the rules).
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/broker_heartbeat_request.h"
#include "protocol/generated/message/broker_heartbeat_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_broker_heartbeat(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::BrokerHeartbeatRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  MetadataService* metadata = broker.metadata();
  auto op = [request = std::move(*request), metadata](controller::QuorumController& c) {
    return c.broker_heartbeat(request, metadata->controller_time_ms());
  };
  auto response = co_await metadata->submit<protocol::BrokerHeartbeatResponse>(op);
  if (!response) {
    protocol::BrokerHeartbeatResponse failed;
    failed.error_code = static_cast<int16_t>(ErrorCode::not_controller);
    co_return respond(ctx, failed);
  }
  co_return respond(ctx, *response);
}

}  // namespace gregor::broker
