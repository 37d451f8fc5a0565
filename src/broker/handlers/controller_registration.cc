// ControllerRegistration, on a controller listener: a controller announces its endpoints and
// supported features, written as a RegisterControllerRecord.
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/controller_registration_request.h"
#include "protocol/generated/message/controller_registration_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_controller_registration(Broker& broker, const RequestContext& ctx,
                                                              BytesView body) {
  std::string why;
  auto request = decode_request<protocol::ControllerRegistrationRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  auto op = [request = std::move(*request)](controller::QuorumController& c) { return c.register_controller(request); };
  auto response = co_await broker.metadata()->submit<protocol::ControllerRegistrationResponse>(op);
  if (!response) {
    protocol::ControllerRegistrationResponse failed;
    failed.error_code = static_cast<int16_t>(ErrorCode::not_controller);
    failed.error_message = "The metadata log failed.";
    co_return respond(ctx, failed);
  }
  co_return respond(ctx, *response);
}

}  // namespace gregor::broker
