// BrokerRegistration, on a controller listener: a broker (re)registers with the active
// controller, which writes its RegisterBrokerRecord and answers with the broker's new epoch once
// that is committed (QuorumController::register_broker has the rules).
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/broker_registration_request.h"
#include "protocol/generated/message/broker_registration_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_broker_registration(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::BrokerRegistrationRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  MetadataService* metadata = broker.metadata();
  auto op = [request = std::move(*request), metadata](controller::QuorumController& c) {
    return c.register_broker(request, metadata->controller_time_ms());
  };
  auto response = co_await metadata->submit<protocol::BrokerRegistrationResponse>(op);
  if (!response) {
    // The write failed: Kafka's controller resigns, and the broker retries with the next one.
    protocol::BrokerRegistrationResponse failed;
    failed.error_code = static_cast<int16_t>(ErrorCode::not_controller);
    co_return respond(ctx, failed);
  }
  co_return respond(ctx, *response);
}

}  // namespace gregor::broker
