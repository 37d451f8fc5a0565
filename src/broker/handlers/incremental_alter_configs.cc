// IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT on single configs. Checked as a
// Kafka broker checks it before forwarding (config_resources.h), where changes to this broker's
// loggers (BROKER_LOGGER) are applied; the rest is run by the controller, which checks topic
// configs, writes the ConfigRecords and honours validate_only.
#include "broker/handlers/config_resources.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/incremental_alter_configs_request.h"
#include "protocol/generated/message/incremental_alter_configs_response.h"

namespace gregor::broker {

asio::awaitable<HandlerResult> handle_incremental_alter_configs(Broker& broker, const RequestContext& ctx,
                                                                BytesView body) {
  using Request = protocol::IncrementalAlterConfigsRequest;
  const ControllerConfigOp<Request, protocol::IncrementalAlterConfigsResponse> run =
      [](controller::QuorumController& c, const Request& r) { return c.incremental_alter_configs(r); };
  co_return co_await alter_configs_through_controller(broker, ctx, body, run);
}

}  // namespace gregor::broker
