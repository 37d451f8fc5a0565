#include "broker/handlers/config_resources.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

namespace gregor::broker {

namespace {

using controller::ApiError;
using metadata::ConfigResourceType;

constexpr std::string_view kRootLogger = "root";

// Log4j's level names and spdlog's levels, both ways. OFF and FATAL are Log4j's; spdlog's
// critical stands for FATAL.
struct LevelName {
  std::string_view name;
  spdlog::level::level_enum level;
};
constexpr LevelName kLevels[] = {
    {"TRACE", spdlog::level::trace}, {"DEBUG", spdlog::level::debug},    {"INFO", spdlog::level::info},
    {"WARN", spdlog::level::warn},   {"ERROR", spdlog::level::err},      {"FATAL", spdlog::level::critical},
    {"OFF", spdlog::level::off},
};
// LogLevelConfig.VALID_LOG_LEVELS, sorted, as Kafka's message lists them.
constexpr std::string_view kValidLevels = "DEBUG, ERROR, FATAL, INFO, OFF, TRACE, WARN";

std::optional<spdlog::level::level_enum> level_named(std::string_view name) {
  for (const LevelName& l : kLevels) {
    if (l.name == name) return l.level;
  }
  return std::nullopt;
}

std::string_view level_name(spdlog::level::level_enum level) {
  for (const LevelName& l : kLevels) {
    if (l.level == level) return l.name;
  }
  return "INFO";
}

ApiError error(ErrorCode code, std::string message) { return ApiError{code, std::move(message)}; }

// A resource that must name this broker (a BROKER resource that is not the cluster default).
std::optional<ApiError> check_this_node(const std::string& name, int32_t node_id) {
  std::optional<int32_t> id = parse_node_id(name);
  if (!id) return error(ErrorCode::invalid_request, "Node id must be an integer, but it is: " + name);
  if (*id != node_id) {
    return error(ErrorCode::invalid_request,
                 "Unexpected broker id, expected " + std::to_string(node_id) + ", but received " + name);
  }
  return std::nullopt;
}

// Kafka's RuntimeLoggerManager: every change checked, then (unless validate_only) applied.
ApiError change_loggers(const ConfigResourceChanges& resource, bool validate_only, int32_t node_id) {
  std::optional<int32_t> id = parse_node_id(resource.name);
  if (!id) return error(ErrorCode::invalid_request, "Node id must be an integer, but it is: " + resource.name);
  if (*id != node_id) {
    // Kafka's message names its own id twice.
    const std::string own = std::to_string(node_id);
    return error(ErrorCode::invalid_request, "Unexpected node id. Expected " + own + ", but received " + own);
  }
  auto no_such_logger = [](const std::string& name) {
    return error(ErrorCode::invalid_config, "Logger " + name + " does not exist!");
  };
  for (const config::ConfigChange& c : resource.changes) {
    switch (c.op) {
      case config::ConfigChange::set:
        if (c.name != kRootLogger) return no_such_logger(c.name);
        if (!level_named(c.value.value_or(""))) {
          return error(ErrorCode::invalid_config, "Cannot set the log level of " + c.name + " to " +
                                                      c.value.value_or("null") +
                                                      " as it is not a supported log level. Valid log levels are " +
                                                      std::string(kValidLevels));
        }
        break;
      case config::ConfigChange::remove:
        if (c.name != kRootLogger) return no_such_logger(c.name);
        return error(ErrorCode::invalid_request, "Removing the log level of the root logger is not allowed");
      case config::ConfigChange::append:
        return error(ErrorCode::invalid_request, "APPEND operation is not allowed for the BROKER_LOGGER resource");
      case config::ConfigChange::subtract:
        return error(ErrorCode::invalid_request, "SUBTRACT operation is not allowed for the BROKER_LOGGER resource");
      default:
        return error(ErrorCode::invalid_request, "Unknown operation type " + std::to_string(c.op) +
                                                     " is not allowed for the BROKER_LOGGER resource");
    }
  }
  if (validate_only) return {};
  for (const config::ConfigChange& c : resource.changes) {
    spdlog::set_level(*level_named(*c.value));
    spdlog::warn("Updated the log level of {} to {}", c.name, *c.value);
  }
  return {};
}

std::optional<ApiError> preprocess_one(const ConfigResourceChanges& resource, bool incremental, bool validate_only,
                                       const metadata::MetadataImage& image, int32_t node_id) {
  std::set<std::string> names;
  std::vector<std::string> nulls;
  for (const config::ConfigChange& c : resource.changes) {
    if (!names.insert(c.name).second) return error(ErrorCode::invalid_request, "Error due to duplicate config keys");
  }
  for (const config::ConfigChange& c : resource.changes) {
    if (!c.value && (!incremental || c.op != config::ConfigChange::remove)) nulls.push_back(c.name);
  }
  if (!nulls.empty()) {
    return error(ErrorCode::invalid_request, "Null value not supported for : " + storage::join_strings(nulls, ", "));
  }
  switch (static_cast<ConfigResourceType>(resource.type)) {
    case ConfigResourceType::broker_logger:
      if (!incremental) break;  // the legacy API knows no loggers
      return change_loggers(resource, validate_only, node_id);
    case ConfigResourceType::broker: {
      // The cluster default (""), or this broker.
      const bool per_broker = !resource.name.empty();
      if (per_broker) {
        if (auto e = check_this_node(resource.name, node_id)) return e;
      }
      // The legacy API replaces the configs: only what it sends is checked.
      config::Properties stored;
      if (incremental) {
        const auto& configs = image.configs(ConfigResourceType::broker, resource.name);
        stored.insert(configs.begin(), configs.end());
      }
      if (Status s = config::validate_broker_config_changes(stored, resource.changes, per_broker); !s.ok()) {
        return error(s.code(), s.message());
      }
      return std::nullopt;
    }
    case ConfigResourceType::topic:
    case ConfigResourceType::client_metrics:
    case ConfigResourceType::group:
      return std::nullopt;
    default:
      break;
  }
  return error(ErrorCode::invalid_request, "Unknown resource type " + std::to_string(resource.type));
}

}  // namespace

std::optional<int32_t> parse_node_id(std::string_view name) {
  if (name.starts_with('+') && name.size() > 1 && name[1] != '-') name.remove_prefix(1);
  int32_t id = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  if (ec != std::errc() || end != name.data() + name.size() || name.empty()) return std::nullopt;
  return id;
}

std::vector<std::pair<std::string, std::string>> broker_loggers() {
  return {{std::string(kRootLogger), std::string(level_name(spdlog::get_level()))}};
}

std::vector<std::optional<ApiError>> preprocess_config_changes(const std::vector<ConfigResourceChanges>& resources,
                                                               bool incremental, bool validate_only,
                                                               const metadata::MetadataImage& image,
                                                               int32_t node_id) {
  std::map<std::pair<int8_t, std::string>, int> occurrences;
  for (const ConfigResourceChanges& r : resources) ++occurrences[{r.type, r.name}];
  std::vector<std::optional<ApiError>> out;
  for (const ConfigResourceChanges& r : resources) {
    if (occurrences[{r.type, r.name}] > 1) {
      out.push_back(error(ErrorCode::invalid_request, "Each resource must appear at most once."));
    } else {
      out.push_back(preprocess_one(r, incremental, validate_only, image, node_id));
    }
  }
  return out;
}

}  // namespace gregor::broker
