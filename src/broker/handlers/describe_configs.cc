// DescribeConfigs, answered from the shard's image and the broker's own configuration, as a
// Kafka broker answers it from its metadata cache (Kafka's ConfigHelper):
//   - TOPIC: every topic config with its value, source and synonyms (BrokerConfig::describe_topic);
//     UNKNOWN_TOPIC_OR_PARTITION (no message) for a topic the image does not have;
//   - BROKER "<this node>": every broker config (BrokerConfig::describe); BROKER "": the
//     cluster-wide dynamic defaults only; another name: INVALID_REQUEST;
//   - BROKER_LOGGER "<this node>": the root logger and its level.
// configuration_keys (null or empty: all) picks the configs; synonyms and documentation come
// when asked for. A resource type Kafka does not know fails the whole request (INVALID_REQUEST
// for every resource), as Kafka's does.
// GREGOR: GROUP and CLIENT_METRICS resources, which Kafka describes, are refused with
// INVALID_REQUEST: Gregor has neither group configs nor client metrics yet.
#include <algorithm>

#include "broker/handlers/config_resources.h"
#include "broker/handlers/handlers.h"
#include "common/error_code.h"
#include "metadata/topic_name.h"
#include "protocol/generated/message/describe_configs_request.h"
#include "protocol/generated/message/describe_configs_response.h"

namespace gregor::broker {

namespace {

using metadata::ConfigResourceType;
using Resource = protocol::DescribeConfigsRequest::DescribeConfigsResource;
using Result = protocol::DescribeConfigsResponse::DescribeConfigsResult;
using Entry = protocol::DescribeConfigsResponse::DescribeConfigsResourceResult;

constexpr int8_t kDynamicBrokerLoggerConfig = 6;  // ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG

bool known_type(int8_t type) {
  switch (static_cast<ConfigResourceType>(type)) {
    case ConfigResourceType::topic:
    case ConfigResourceType::broker:
    case ConfigResourceType::broker_logger:
    case ConfigResourceType::client_metrics:
    case ConfigResourceType::group:
      return true;
    default:
      return false;
  }
}

struct Options {
  bool synonyms = false;
  bool documentation = false;
};

bool wanted(const Resource& resource, const std::string& name) {
  const auto& keys = resource.configuration_keys;
  return !keys || keys->empty() || std::find(keys->begin(), keys->end(), name) != keys->end();
}

void fail(Result& result, ErrorCode code, std::optional<std::string> message) {
  result.error_code = static_cast<int16_t>(code);
  result.error_message = std::move(message);
}

void add_entries(const Resource& resource, const std::vector<config::ConfigDescription>& described, Options options,
                 Result& result) {
  for (const config::ConfigDescription& d : described) {
    if (!wanted(resource, d.name)) continue;
    Entry& e = result.configs.emplace_back();
    e.name = d.name;
    e.value = d.value;
    e.read_only = d.read_only;
    e.config_source = static_cast<int8_t>(d.source);
    e.is_sensitive = d.is_sensitive;
    if (options.synonyms) {
      for (const config::ConfigSynonym& s : d.synonyms) {
        e.synonyms.push_back({s.name, s.value, static_cast<int8_t>(s.source), {}});
      }
    }
    e.config_type = static_cast<int8_t>(d.type);
    e.documentation = options.documentation ? std::optional<std::string>(d.documentation) : std::nullopt;
  }
}

config::Properties properties(const metadata::MetadataImage::Configs& configs) {
  return config::Properties(configs.begin(), configs.end());
}

void describe_topic(MetadataService& service, const metadata::MetadataImage& image, int32_t node_id,
                    const Resource& resource, Options options, Result& result) {
  if (auto invalid = metadata::topic_name_error(resource.resource_name)) {
    fail(result, ErrorCode::invalid_topic_exception, *invalid);
    return;
  }
  if (!image.topic(resource.resource_name)) {
    // Kafka sets the code alone here.
    result.error_code = static_cast<int16_t>(ErrorCode::unknown_topic_or_partition);
    return;
  }
  add_entries(resource,
              service.broker_config().describe_topic(
                  service.log_defaults(image),
                  properties(image.configs(ConfigResourceType::topic, resource.resource_name)),
                  properties(image.configs(ConfigResourceType::broker, std::to_string(node_id))),
                  properties(image.configs(ConfigResourceType::broker, ""))),
              options, result);
}

// Whether the resource names this node; if not, fails the result with Kafka's message, whose
// middle part differs between resource types.
bool names_this_node(const Resource& resource, int32_t node_id, std::string_view expected, Result& result) {
  std::optional<int32_t> id = parse_node_id(resource.resource_name);
  if (!id) {
    fail(result, ErrorCode::invalid_request, "Broker id must be an integer, but it is: " + resource.resource_name);
    return false;
  }
  if (*id != node_id) {
    fail(result, ErrorCode::invalid_request,
         "Unexpected broker id, expected " + std::to_string(node_id) + std::string(expected) + "but received " +
             resource.resource_name);
    return false;
  }
  return true;
}

void describe_broker(MetadataService& service, const metadata::MetadataImage& image, int32_t node_id,
                     const Resource& resource, Options options, Result& result) {
  const config::Properties cluster = properties(image.configs(ConfigResourceType::broker, ""));
  if (resource.resource_name.empty()) {
    add_entries(resource, service.broker_config().describe_cluster_default(cluster), options, result);
    return;
  }
  if (!names_this_node(resource, node_id, " or empty string, ", result)) return;
  const config::Properties own = properties(image.configs(ConfigResourceType::broker, resource.resource_name));
  add_entries(resource, service.broker_config().describe(own, cluster), options, result);
}

void describe_loggers(int32_t node_id, const Resource& resource, Result& result) {
  if (resource.resource_name.empty()) {
    fail(result, ErrorCode::invalid_request, "Broker id must not be empty");
    return;
  }
  if (!names_this_node(resource, node_id, " ", result)) return;
  for (const auto& [name, level] : broker_loggers()) {
    if (!wanted(resource, name)) continue;
    Entry& e = result.configs.emplace_back();
    e.name = name;
    e.value = level;
    e.read_only = false;
    e.config_source = kDynamicBrokerLoggerConfig;
    e.is_sensitive = false;
  }
}

}  // namespace

asio::awaitable<HandlerResult> handle_describe_configs(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::DescribeConfigsRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  protocol::DescribeConfigsResponse response;
  const bool unknown_type = std::any_of(request->resources.begin(), request->resources.end(),
                                        [](const Resource& r) { return !known_type(r.resource_type); });
  if (unknown_type) {
    for (const Resource& r : request->resources) {
      Result& result = response.results.emplace_back();
      result.resource_type = r.resource_type;
      result.resource_name = r.resource_name;
      fail(result, ErrorCode::invalid_request, std::string(error_message(ErrorCode::invalid_request)));
    }
    co_return respond(ctx, response);
  }

  MetadataService& service = *broker.metadata();
  const std::shared_ptr<const metadata::MetadataImage> image = service.image();
  const int32_t node_id = broker.options().node_id;
  const Options options{request->include_synonyms, request->include_documentation};
  for (const Resource& r : request->resources) {
    Result& result = response.results.emplace_back();
    result.resource_type = r.resource_type;
    result.resource_name = r.resource_name;
    switch (static_cast<ConfigResourceType>(r.resource_type)) {
      case ConfigResourceType::topic:
        describe_topic(service, *image, node_id, r, options, result);
        break;
      case ConfigResourceType::broker:
        describe_broker(service, *image, node_id, r, options, result);
        break;
      case ConfigResourceType::broker_logger:
        describe_loggers(node_id, r, result);
        break;
      case ConfigResourceType::group:
        fail(result, ErrorCode::invalid_request, "Unsupported resource type: GROUP");
        break;
      default:
        fail(result, ErrorCode::invalid_request, "Unsupported resource type: CLIENT_METRICS");
        break;
    }
  }
  co_return respond(ctx, response);
}

}  // namespace gregor::broker
