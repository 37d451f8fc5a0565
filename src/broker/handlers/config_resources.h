// What the config APIs (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs) share: the
// checks of broker resource names, this broker's loggers (BROKER_LOGGER), and what a Kafka
// broker checks of a config change before it forwards it to the controller (Kafka's
// ConfigAdminManager): resources named twice, config keys named twice, null values, BROKER
// resources that are not this broker or the cluster default, broker configs that cannot change
// dynamically or do not validate, and unknown resource types. Changes to loggers are applied
// here and never reach the controller, as in Kafka.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker.h"
#include "config/broker_config.h"
#include "controller/quorum_controller.h"
#include "metadata/image.h"

namespace gregor::broker {

// Integer.parseInt of a resource name: an optional sign and decimal digits, within int32.
std::optional<int32_t> parse_node_id(std::string_view name);

// The loggers BROKER_LOGGER describes, with their levels by Log4j's names: Gregor has one, "root".
std::vector<std::pair<std::string, std::string>> broker_loggers();

// One resource of an alter request, in a form both alter APIs share.
struct ConfigResourceChanges {
  int8_t type = 0;
  std::string name;
  std::vector<config::ConfigChange> changes;
};

// Kafka's preprocessing, resource by resource: nullopt for a resource to forward to the
// controller, else its answer (an error, or none for logger changes, applied here unless
// validate_only). incremental: IncrementalAlterConfigs, whose changes to a broker apply over the
// configs the image holds for it; AlterConfigs replaces them and knows no loggers.
std::vector<std::optional<controller::ApiError>> preprocess_config_changes(
    const std::vector<ConfigResourceChanges>& resources, bool incremental, bool validate_only,
    const metadata::MetadataImage& image, int32_t node_id);

template <typename Request, typename Response>
using ControllerConfigOp =
    std::function<controller::ControllerResult<Response>(controller::QuorumController&, const Request&)>;

// AlterConfigs and IncrementalAlterConfigs: the request preprocessed, the resources left
// submitted to the controller as one request (validate_only passed on), and every resource
// answered in the request's order. Every argument is the caller's own, named, and outlives the
// call (see invoke_on in net/shard.h for why nothing is passed as a temporary).
template <typename Request, typename Response>
asio::awaitable<HandlerResult> alter_configs_through_controller(Broker& broker, const RequestContext& ctx,
                                                                BytesView body,
                                                                const ControllerConfigOp<Request, Response>& run) {
  std::string why;
  const std::optional<Request> decoded = decode_request<Request>(ctx, body, why);
  if (!decoded) co_return HandlerResult::close(why);
  const Request& request = *decoded;
  constexpr bool incremental = requires(const typename Request::AlterableConfig& c) { c.config_operation; };
  std::vector<ConfigResourceChanges> resources;
  for (const auto& r : request.resources) {
    ConfigResourceChanges& out = resources.emplace_back();
    out.type = r.resource_type;
    out.name = r.resource_name;
    for (const auto& c : r.configs) {
      config::ConfigChange change{c.name, config::ConfigChange::set, c.value};
      if constexpr (incremental) change.op = c.config_operation;
      out.changes.push_back(std::move(change));
    }
  }
  MetadataService& service = *broker.metadata();
  std::vector<std::optional<controller::ApiError>> preprocessed = preprocess_config_changes(
      resources, incremental, request.validate_only, *service.image(), broker.options().node_id);

  Request forwarded;
  forwarded.validate_only = request.validate_only;
  for (size_t i = 0; i < request.resources.size(); ++i) {
    if (!preprocessed[i]) forwarded.resources.push_back(request.resources[i]);
  }
  std::optional<Response> answered;
  if (!forwarded.resources.empty()) {
    // Named, not a temporary in the co_await expression (see invoke_on in net/shard.h).
    auto op = [run, forwarded](controller::QuorumController& c) { return run(c, forwarded); };
    answered = co_await service.submit<Response>(op);
  }

  Response response;
  size_t next = 0;  // the controller answers the forwarded resources in order
  for (size_t i = 0; i < request.resources.size(); ++i) {
    auto& out = response.responses.emplace_back();
    out.resource_type = request.resources[i].resource_type;
    out.resource_name = request.resources[i].resource_name;
    controller::ApiError error;
    if (preprocessed[i]) {
      error = *preprocessed[i];
    } else if (answered && next < answered->responses.size()) {
      const auto& from = answered->responses[next++];
      error = controller::ApiError{static_cast<ErrorCode>(from.error_code), from.error_message};
    } else {
      error = controller::ApiError{ErrorCode::kafka_storage_error, "The metadata log failed."};
    }
    out.error_code = static_cast<int16_t>(error.code);
    out.error_message = error.message;
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
