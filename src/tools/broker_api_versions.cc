#include "tools/broker_api_versions.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>

#include "client/network_client.h"
#include "common/error_code.h"
#include "gregor/admin.h"
#include "protocol/generated/api_registry.h"
#include "protocol/generated/message/api_versions_request.h"
#include "protocol/generated/message/metadata_request.h"
#include "protocol/generated/message/metadata_response.h"
#include "tools/command_line.h"
#include "tools/version.h"

namespace gregor::tools {

namespace {

using ApiVersion = protocol::ApiVersionsResponse::ApiVersion;

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

std::string failure(ErrorCode error, const std::string& message) {
  return message.empty() ? std::string(error_name(error)) : message;
}

std::string broker_line(client::NetworkClient& net, const protocol::MetadataResponse::MetadataResponseBroker& broker) {
  const std::string node = node_text(broker.host, broker.port, broker.node_id, broker.rack);
  // The connection's own ApiVersions settled the version; this one asks for the list.
  protocol::ApiVersionsRequest request;
  request.client_software_name = "gregor-tools";
  request.client_software_version = kGregorVersion;
  auto versions = net.call<protocol::ApiVersionsResponse>(broker.node_id, request).get();
  if (!versions.ok()) return node + " -> ERROR: " + failure(versions.error, versions.message) + "\n";
  if (versions.body.error_code != 0) {
    return node + " -> ERROR: ApiVersions failed with error code " + std::to_string(versions.body.error_code) + "\n";
  }
  return node + " -> " + api_versions_text(versions.body.api_keys) + "\n";
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
  std::optional<client::NetworkClient> net;
  try {
    Properties props = client_properties(cl);
    // Kafka's tool gives each request 5 s unless the command config says otherwise.
    props.try_emplace("request.timeout.ms", "5000");
    props.try_emplace("client.id", "admin-1");
    client::ClientOptions options = client::ClientOptions::from(admin_config_def().parse(props));
    options.allow_auto_topic_creation = false;
    net.emplace(std::move(options));
  } catch (const std::exception& e) {
    err << e.what() << '\n';
    return 1;
  }

  // As Kafka's tool, the first bootstrap server that answers names the brokers (no topics: only
  // the brokers are wanted). The client core names bootstrap servers -1, -2, ...
  std::optional<protocol::MetadataResponse> metadata;
  std::string tried;
  std::string last_error;
  const std::vector<std::string>& bootstrap = net->options().bootstrap_servers;
  for (size_t i = 0; i < bootstrap.size() && !metadata; ++i) {
    protocol::MetadataRequest request;
    request.allow_auto_topic_creation = false;
    auto response = net->call<protocol::MetadataResponse>(-static_cast<int32_t>(i) - 1, request).get();
    if (response.ok()) {
      metadata = std::move(response.body);
      break;
    }
    const size_t colon = bootstrap[i].rfind(':');
    const std::string host = colon == std::string::npos ? bootstrap[i] : bootstrap[i].substr(0, colon);
    const int port = colon == std::string::npos ? 0 : std::atoi(bootstrap[i].c_str() + colon + 1);
    tried += (tried.empty() ? "" : ", ") + node_text(host, port, -1, std::nullopt);
    last_error = failure(response.error, response.message);
  }
  if (!metadata) {
    err << "Request METADATA failed on brokers [" << tried << "]: " << last_error << '\n';
    return 1;
  }
  if (metadata->brokers.empty()) {
    err << "The cluster has no brokers registered\n";
    return 1;
  }
  // The core sends requests to the brokers its own metadata cache knows.
  net->request_metadata_update();
  net->await_cluster([](const client::Cluster& c) { return !c.brokers.empty(); },
                     client::Clock::now() + net->options().request_timeout);
  for (const auto& broker : metadata->brokers) out << broker_line(*net, broker);
  return 0;
}

}  // namespace gregor::tools
