#include "tools/broker_api_versions.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

#include "common/error_code.h"
#include "config/properties.h"
#include "protocol/generated/api_registry.h"
#include "protocol/generated/message/api_versions_request.h"
#include "protocol/generated/message/metadata_request.h"
#include "protocol/generated/message/metadata_response.h"
#include "tools/blocking_client.h"
#include "tools/command_line.h"
#include "tools/version.h"

namespace gregor::tools {

namespace {

using ApiVersion = protocol::ApiVersionsResponse::ApiVersion;

constexpr int16_t kApiVersionsKey = protocol::ApiVersionsRequest::kApiKey;

struct Settings {
  std::chrono::milliseconds timeout{5000};  // Kafka's tool's request.timeout.ms default
  std::string client_id = "admin-1";
};

// The newest version of an API this build's codec speaks as a client: the spec's newest, unless
// that one is marked unstable, as Kafka's ApiKeys.latestVersion() leaves it out.
int16_t latest_client_version(const protocol::ApiInfo& api) {
  if (api.latest_version_unstable && api.versions.hi > api.versions.lo) return static_cast<int16_t>(api.versions.hi - 1);
  return api.versions.hi;
}

std::string version_text(const ApiVersion& v) {
  if (v.min_version == v.max_version) return std::to_string(v.min_version);
  return std::to_string(v.min_version) + " to " + std::to_string(v.max_version);
}

// Kafka's Node.toString.
std::string node_text(const std::string& host, int32_t port, int32_t id, const std::optional<std::string>& rack) {
  return host + ":" + std::to_string(port) + " (id: " + std::to_string(id) + " rack: " + rack.value_or("null") +
         " isFenced: false)";
}

// ApiVersions, at the newest version the codec has. A broker that does not speak it answers
// UNSUPPORTED_VERSION in version 0's format, with its own range for ApiVersions, and the request
// is made again in that.
StatusOr<protocol::ApiVersionsResponse> ask_api_versions(BlockingConnection& connection) {
  protocol::ApiVersionsRequest request;
  request.client_software_name = "gregor-tools";
  request.client_software_version = kGregorVersion;
  int16_t version = protocol::ApiVersionsRequest::kValidVersions.hi;
  auto response = connection.request<protocol::ApiVersionsResponse>(request, version);
  if (!response.ok() && response.status().code() == ErrorCode::corrupt_message) {
    version = 0;
    response = connection.request<protocol::ApiVersionsResponse>(request, version);
  }
  if (!response.ok() || response->error_code != static_cast<int16_t>(ErrorCode::unsupported_version)) return response;
  for (const ApiVersion& v : response->api_keys) {
    if (v.api_key == kApiVersionsKey && v.max_version < version && v.max_version >= 0) {
      return connection.request<protocol::ApiVersionsResponse>(request, v.max_version);
    }
  }
  return response;
}

Status error_status(int16_t code, const std::string& what) {
  return Status(static_cast<ErrorCode>(code), what + " failed with error code " + std::to_string(code));
}

StatusOr<protocol::MetadataResponse> ask_brokers(const HostPort& address, const Settings& settings) {
  auto connection = BlockingConnection::connect(address, settings.timeout, settings.client_id);
  if (!connection.ok()) return connection.status();
  auto versions = ask_api_versions(*connection);
  if (!versions.ok()) return versions.status();
  if (versions->error_code != 0) return error_status(versions->error_code, "ApiVersions");
  int16_t version = -1;
  for (const ApiVersion& v : versions->api_keys) {
    if (v.api_key == protocol::MetadataRequest::kApiKey) {
      version = std::min(v.max_version, protocol::MetadataRequest::kValidVersions.hi);
    }
  }
  if (version < 0) return Status(ErrorCode::unsupported_version, "the broker does not support Metadata");
  // No topics: only the brokers are wanted (in version 0 an empty list means every topic).
  protocol::MetadataRequest request;
  request.allow_auto_topic_creation = false;
  return connection->request<protocol::MetadataResponse>(request, version);
}

std::string broker_line(const protocol::MetadataResponse::MetadataResponseBroker& broker, const Settings& settings) {
  const std::string node = node_text(broker.host, broker.port, broker.node_id, broker.rack);
  auto connection = BlockingConnection::connect({broker.host, broker.port}, settings.timeout, settings.client_id);
  if (!connection.ok()) return node + " -> ERROR: " + connection.status().message() + "\n";
  auto versions = ask_api_versions(*connection);
  if (!versions.ok()) return node + " -> ERROR: " + versions.status().message() + "\n";
  if (versions->error_code != 0) {
    return node + " -> ERROR: " + error_status(versions->error_code, "ApiVersions").message() + "\n";
  }
  return node + " -> " + api_versions_text(versions->api_keys) + "\n";
}

StatusOr<Settings> read_settings(const CommandLine& cl) {
  Settings settings;
  if (!cl.has("command-config")) return settings;
  const std::string path = cl.value("command-config");
  std::ifstream in(path);
  if (!in) return Status(ErrorCode::invalid_config, "cannot read the command config " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto props = config::parse_properties(text.str(), path);
  if (!props.ok()) return props.status();
  if (auto it = props->find("security.protocol"); it != props->end() && it->second != "PLAINTEXT") {
    return Status(ErrorCode::invalid_config,
                  "security.protocol " + it->second + " is not supported: Gregor serves PLAINTEXT only");
  }
  if (auto it = props->find("request.timeout.ms"); it != props->end()) {
    int32_t ms = 0;
    auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), ms);
    if (ec != std::errc() || ptr != it->second.data() + it->second.size() || ms <= 0) {
      return Status(ErrorCode::invalid_config,
                    "Invalid value " + it->second + " for configuration request.timeout.ms: Not a number of type INT");
    }
    settings.timeout = std::chrono::milliseconds(ms);
  }
  if (auto it = props->find("client.id"); it != props->end()) settings.client_id = it->second;
  return settings;
}

}  // namespace

std::string api_versions_text(const std::vector<ApiVersion>& broker_apis) {
  std::map<int16_t, std::string> lines;
  for (const ApiVersion& v : broker_apis) {
    const protocol::ApiInfo* api = protocol::find_api(v.api_key);
    if (api == nullptr) {
      lines[v.api_key] = "UNKNOWN(" + std::to_string(v.api_key) + "): " + version_text(v);
      continue;
    }
    std::string line = std::string(api->name) + "(" + std::to_string(api->key) + "): " + version_text(v);
    const int16_t latest = latest_client_version(*api);
    if (latest < v.min_version) {
      line += " [unusable: node too new]";
    } else if (v.max_version < api->versions.lo) {
      line += " [unusable: node too old]";
    } else {
      line += " [usable: " + std::to_string(std::min(latest, v.max_version)) + "]";
    }
    lines[v.api_key] = std::move(line);
  }
  for (const protocol::ApiInfo& api : protocol::all_apis()) {
    if ((api.listeners & protocol::kBroker) != 0 && !lines.count(api.key)) {
      lines[api.key] = std::string(api.name) + "(" + std::to_string(api.key) + "): UNSUPPORTED";
    }
  }
  std::string out = "(\n\t";
  bool first = true;
  for (const auto& [key, line] : lines) {
    if (!first) out += ",\n\t";
    first = false;
    out += line;
  }
  return out + "\n)";
}

int run_broker_api_versions(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  using Arg = OptionSpec::Arg;
  CommandLine cl("This tool helps to retrieve broker version information.",
                 {
                     {"bootstrap-server", Arg::required, "REQUIRED: The server to connect to.",
                      "server(s) to use for bootstrapping"},
                     {"command-config", Arg::required, "A property file containing configs to be passed to Admin Client.",
                      "command config property file"},
                 });
  if (auto stop = cl.parse(args, out, err)) return stop->exit_code;
  if (!cl.require({"bootstrap-server"}, err)) return 1;
  auto settings = read_settings(cl);
  if (!settings.ok()) {
    err << settings.status().message() << '\n';
    return 1;
  }
  std::vector<HostPort> bootstrap;
  for (const std::string& address : split_list(cl.value("bootstrap-server"))) {
    auto parsed = parse_host_port(address);
    if (!parsed.ok()) {
      err << parsed.status().message() << '\n';
      return 1;
    }
    bootstrap.push_back(std::move(*parsed));
  }
  if (bootstrap.empty()) {
    err << "No resolvable bootstrap urls given in bootstrap.servers\n";
    return 1;
  }

  // As Kafka's tool, the first bootstrap server that answers names the brokers.
  std::optional<protocol::MetadataResponse> metadata;
  std::string tried;
  std::string last_error;
  for (const HostPort& address : bootstrap) {
    auto response = ask_brokers(address, *settings);
    if (response.ok()) {
      metadata = std::move(*response);
      break;
    }
    tried += (tried.empty() ? "" : ", ") + node_text(address.host, address.port, -1, std::nullopt);
    last_error = response.status().message();
  }
  if (!metadata) {
    err << "Request METADATA failed on brokers [" << tried << "]: " << last_error << '\n';
    return 1;
  }
  if (metadata->brokers.empty()) {
    err << "The cluster has no brokers registered\n";
    return 1;
  }
  for (const auto& broker : metadata->brokers) out << broker_line(broker, *settings);
  return 0;
}

}  // namespace gregor::tools
