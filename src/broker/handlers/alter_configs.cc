// AlterConfigs, the legacy API: each resource's configs are replaced by the ones sent. Checked
// as a Kafka broker checks it before forwarding (config_resources.h), then run by the controller,
// which checks topic configs, writes the ConfigRecords and honours validate_only.
#include "broker/handlers/config_resources.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/alter_configs_request.h"
#include "protocol/generated/message/alter_configs_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_alter_configs(Broker& broker, const RequestContext& ctx, BytesView body) {
  using Request = protocol::AlterConfigsRequest;
  const ControllerConfigOp<Request, protocol::AlterConfigsResponse> run =
      [](controller::QuorumController& c, const Request& r) { return c.alter_configs(r); };
  co_return co_await alter_configs_through_controller(broker, ctx, body, run);
}

}  // namespace gregor::broker
