#include "config/broker_config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <utility>

namespace gregor::config {
namespace {

using storage::ConfigValue;

constexpr std::string_view kProtocolMapKey = "listener.security.protocol.map";
constexpr std::string_view kSecurityProtocols[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"};
// Listener settings that may also be given as the cluster default (DynamicBrokerConfig's
// CLUSTER_LEVEL_LISTENER_CONFIGS); every other listener override is per broker.
constexpr std::string_view kClusterLevelListenerConfigs[] = {"max.connections", "max.connection.creation.rate",
                                                             "num.network.threads"};

Status config_error(std::string message) { return Status(ErrorCode::invalid_config, std::move(message)); }

// ListenerName.normalised and SecurityProtocol.forName: upper case (ASCII, as Locale.ROOT).
std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

template <typename Range>
bool contains(const Range& range, std::string_view s) {
  return std::find(std::begin(range), std::end(range), s) != std::end(range);
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  return storage::join_strings(items, separator);
}

// Integer.parseInt: an optional sign and decimal digits, within int32.
std::optional<int32_t> parse_java_int(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 10) return std::nullopt;
  int64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (negative) value = -value;
  if (value < INT32_MIN || value > INT32_MAX) return std::nullopt;
  return static_cast<int32_t>(value);
}

// NumberFormatException's message, which Kafka passes on for a port or id out of int range.
std::string number_format_message(std::string_view s) { return "For input string: \"" + std::string(s) + "\""; }

// String.split(regex) for a one-character separator: trailing empty strings dropped.
std::vector<std::string> java_split(std::string_view s, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(separator, start);
    parts.emplace_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  if (s.empty()) return parts;  // "".split(x) is [""]
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  return parts;
}

// Csv.parseCsvMap: entries split on commas (the whitespace around them going with them, trailing
// empty entries dropped), each at its last ':'. The error text is that of the
// StringIndexOutOfBoundsException Kafka gets for an entry without ':'.
StatusOr<std::vector<std::pair<std::string, std::string>>> parse_csv_map(std::string_view config_name,
                                                                         std::string_view value) {
  std::vector<std::string> entries =
      std::get<std::vector<std::string>>(*storage::parse_config_value(config_name, ConfigType::list, value));
  while (!entries.empty() && entries.back().empty()) entries.pop_back();
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& entry : entries) {
    size_t colon = entry.rfind(':');
    if (colon == std::string::npos) {
      return config_error("Error parsing configuration property '" + std::string(config_name) +
                          "': begin 0, end -1, length " + std::to_string(entry.size()));
    }
    std::string_view e = entry;
    out.emplace_back(storage::java_trim(e.substr(0, colon)), storage::java_trim(e.substr(colon + 1)));
  }
  return out;
}

// Utils.validHostPattern.
bool valid_host_pattern(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '%' ||
           c == '.' || c == '_' || c == ':';
  });
}

// Utils.getHost and Utils.getPort: "host:port", "[v6]:port". port is nullopt when the address has
// no ":digits" at its end; *overflow is set when the digits do not fit an int.
struct HostAndPort {
  std::string host;
  std::string port_text;
};

std::optional<HostAndPort> split_host_port(std::string_view address) {
  static const std::regex kPattern(R"(^.*?\[?([0-9a-zA-Z\-%._:]*)\]?:([0-9]+)$)");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(address.begin(), address.end(), m, kPattern)) return std::nullopt;
  return HostAndPort{m[1].str(), m[2].str()};
}

bool is_ipv4(const std::string& host) {
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& host) {
  in6_addr a{};
  return inet_pton(AF_INET6, host.c_str(), &a) == 1;
}

// Kafka's listener name for a listener entry: the text before its first ':', upper case.
StatusOr<std::string> listener_name_of(std::string_view entry) {
  size_t colon = entry.find(':');
  if (colon == std::string_view::npos) {
    return config_error("Unable to parse a listener name from " + std::string(entry));
  }
  return upper(entry.substr(0, colon));
}

bool is_ssl_or_sasl(std::string_view name) { return name == "SSL" || name == "SASL_SSL" || name == "SASL_PLAINTEXT"; }

// Scala's Set.toString, as Kafka's messages print voter ids: "Set(1, 2)".
std::string scala_set(const std::vector<QuorumVoter>& voters) {
  std::set<int32_t> ids;
  for (const QuorumVoter& v : voters) ids.insert(v.id);
  std::vector<std::string> items;
  for (int32_t id : ids) items.push_back(std::to_string(id));
  return "Set(" + join(items, ", ") + ")";
}

std::vector<std::string> listener_names(const std::vector<Endpoint>& endpoints) {
  std::vector<std::string> names;
  for (const Endpoint& e : endpoints) names.push_back(e.listener);
  return names;
}

// The advertised form of an endpoint: the wildcard replaced by this host's name.
Endpoint resolved(Endpoint e) {
  if (e.host.empty()) e.host = canonical_host_name();
  return e;
}

}  // namespace

// ---- Parsing helpers ---------------------------------------------------------------------------

std::vector<std::string> parse_csv_list(std::string_view value) {
  std::vector<std::string> out;
  StatusOr<ConfigValue> items = storage::parse_config_value("", ConfigType::list, value);
  for (const std::string& item : std::get<std::vector<std::string>>(*items)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

StatusOr<std::map<std::string, std::string>> parse_security_protocol_map(std::string_view value) {
  StatusOr<std::vector<std::pair<std::string, std::string>>> entries = parse_csv_map(kProtocolMapKey, value);
  if (!entries) return entries.status();
  std::map<std::string, std::string> out;
  for (const auto& [name, protocol] : *entries) {
    std::string p = upper(protocol);
    if (!contains(kSecurityProtocols, p)) {
      return config_error("Invalid security protocol `" + protocol + "` defined in " + std::string(kProtocolMapKey));
    }
    out[upper(name)] = p;
  }
  return out;
}

StatusOr<std::vector<Endpoint>> parse_listeners(std::string_view value,
                                                const std::map<std::string, std::string>& protocol_map,
                                                bool require_distinct_ports) {
  static const std::regex kPattern(R"(^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$)");
  auto fail = [&](const std::string& why) {
    return config_error("Error creating broker listeners from '" + std::string(value) + "': " + why);
  };
  std::vector<Endpoint> endpoints;
  for (const std::string& entry : parse_csv_list(value)) {
    std::smatch m;
    if (!std::regex_match(entry, m, kPattern)) return fail("Unable to parse " + entry + " to a broker endpoint");
    Endpoint e;
    e.listener = upper(m[1].str());
    e.host = m[2].str();
    std::optional<int32_t> port = parse_java_int(m[3].str());
    if (!port) return fail(number_format_message(m[3].str()));
    // GREGOR: Kafka only fails when it binds; the range is checked here instead.
    if (*port < 0 || *port > 65535) return fail("port out of range:" + std::to_string(*port));
    e.port = *port;
    auto protocol = protocol_map.find(e.listener);
    if (protocol == protocol_map.end()) return fail("No security protocol defined for listener " + e.listener);
    e.security_protocol = protocol->second;
    endpoints.push_back(std::move(e));
  }

  std::set<std::string> names;
  for (const Endpoint& e : endpoints) names.insert(e.listener);
  if (names.size() != endpoints.size()) {
    return fail("Each listener must have a different name, listeners: " + std::string(value));
  }
  if (!require_distinct_ports) return endpoints;
  // Two listeners may share a port only when one has an IPv4 and the other an IPv6 address.
  std::map<int, std::vector<const Endpoint*>> by_port;
  for (const Endpoint& e : endpoints) {
    if (e.port != 0) by_port[e.port].push_back(&e);
  }
  for (const auto& [port, group] : by_port) {
    if (group.size() < 2) continue;
    std::vector<const Endpoint*> ip_hosts;
    std::vector<const Endpoint*> other_hosts;
    for (const Endpoint* e : group) (is_ipv4(e->host) || is_ipv6(e->host) ? ip_hosts : other_hosts).push_back(e);
    if (other_hosts.size() > 1) {
      return fail("Each listener must have a different port, listeners: " + std::string(value));
    }
    if (ip_hosts.empty()) continue;
    std::string suffix = ", listeners: " + std::string(value) + ", port: " + std::to_string(port);
    if (ip_hosts.size() == 2) {
      bool v4_and_v6 = (is_ipv4(ip_hosts[0]->host) && is_ipv6(ip_hosts[1]->host)) ||
                       (is_ipv6(ip_hosts[0]->host) && is_ipv4(ip_hosts[1]->host));
      if (!v4_and_v6 || !other_hosts.empty()) {
        return fail("If you have two listeners on the same port then one needs to be IPv4 and the other IPv6" + suffix);
      }
      continue;
    }
    return fail(
        "Each listener must have a different port unless exactly one listener has an IPv4 address and the other "
        "IPv6 address" +
        suffix);
  }
  return endpoints;
}

StatusOr<std::vector<QuorumVoter>> parse_quorum_voters(const std::vector<std::string>& entries) {
  constexpr std::string_view kForm = ". Each entry should be in the form `{id}@{host}:{port}`.";
  std::vector<QuorumVoter> voters;
  for (const std::string& entry : entries) {
    std::vector<std::string> parts = java_split(entry, '@');
    if (parts.size() != 2) {
      return config_error("Invalid configuration value for controller.quorum.voters" + std::string(kForm));
    }
    std::optional<int32_t> id = parse_java_int(parts[0]);
    if (!id) return config_error("Failed to parse voter ID as an integer from " + parts[0]);
    std::optional<HostAndPort> address = split_host_port(parts[1]);
    if (!address || !valid_host_pattern(address->host)) {
      return config_error("Failed to parse host name from entry " + entry +
                          " for the configuration controller.quorum.voters" + std::string(kForm));
    }
    std::optional<int32_t> port = parse_java_int(address->port_text);
    if (!port) return config_error(number_format_message(address->port_text));
    QuorumVoter voter{*id, address->host, *port};
    // A later entry for the same id replaces the earlier one, as in Kafka's map.
    auto same = std::find_if(voters.begin(), voters.end(), [&](const QuorumVoter& v) { return v.id == *id; });
    if (same != voters.end()) {
      *same = voter;
    } else {
      voters.push_back(voter);
    }
  }
  return voters;
}

StatusOr<std::vector<HostPort>> parse_bootstrap_servers(const std::vector<std::string>& entries) {
  std::vector<HostPort> servers;
  for (const std::string& entry : entries) {
    std::optional<HostAndPort> address = split_host_port(entry);
    if (!address || !valid_host_pattern(address->host)) {
      return config_error("Failed to parse host name from " + entry +
                          " for the configuration controller.quorum.bootstrap.servers. Each entry should be in the "
                          "form \"{host}:{port}\"");
    }
    std::optional<int32_t> port = parse_java_int(address->port_text);
    if (!port) return config_error(number_format_message(address->port_text));
    servers.push_back({address->host, *port});
  }
  return servers;
}

std::string canonical_host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  std::string out = name;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = AI_CANONNAME;
  addrinfo* result = nullptr;
  if (getaddrinfo(name, nullptr, &hints, &result) == 0 && result != nullptr) {
    if (result->ai_canonname != nullptr && result->ai_canonname[0] != '\0') out = result->ai_canonname;
    freeaddrinfo(result);
  }
  return out;
}

// ---- Loading -----------------------------------------------------------------------------------

void BrokerConfig::apply_overrides(Properties& props, const std::vector<std::string>& overrides) {
  // CommandLineUtils.parseKeyValueArgs: split at the first '='; a missing value is "".
  for (const std::string& arg : overrides) {
    size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      props[arg] = "";
    } else {
      props[arg.substr(0, eq)] = arg.substr(eq + 1);
    }
  }
}

StatusOr<BrokerConfig> BrokerConfig::from_properties(Properties props, std::vector<std::string>* warnings) {
  BrokerConfig config;
  if (Status s = config.load(std::move(props), warnings); !s) return s;
  return config;
}

StatusOr<BrokerConfig> BrokerConfig::load_file(const std::string& path, const std::vector<std::string>& overrides,
                                               std::vector<std::string>* warnings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return config_error("Cannot read config file " + path + ": " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return config_error("Cannot read config file " + path + ": " + std::strerror(errno));
  StatusOr<Properties> props = parse_properties(text.str(), path);
  if (!props) return props.status();
  apply_overrides(*props, overrides);
  return from_properties(std::move(*props), warnings);
}

Properties BrokerConfig::embedded_default_properties(const std::string& data_dir) {
  return {
      {"process.roles", "broker,controller"},
      {"node.id", "1"},
      {"controller.quorum.voters", "1@localhost:9093"},
      {"listeners", "PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093"},
      {"inter.broker.listener.name", "PLAINTEXT"},
      {"controller.listener.names", "CONTROLLER"},
      {"listener.security.protocol.map",
       "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"},
      {"log.dirs", data_dir},
      {"offsets.topic.replication.factor", "1"},
      // A broker to try things on: a group's first consumer starts at once, as with Kafka's
      // container image, instead of waiting three seconds for more members.
      {"group.initial.rebalance.delay.ms", "0"},
      {"transaction.state.log.replication.factor", "1"},
      {"transaction.state.log.min.isr", "1"},
      {"share.coordinator.state.topic.replication.factor", "1"},
      {"share.coordinator.state.topic.min.isr", "1"},
  };
}

StatusOr<BrokerConfig> BrokerConfig::embedded_default(const std::string& data_dir,
                                                      const std::vector<std::string>& overrides,
                                                      std::vector<std::string>* warnings) {
  Properties props = embedded_default_properties(data_dir);
  apply_overrides(props, overrides);
  return from_properties(std::move(props), warnings);
}

Status BrokerConfig::load(Properties props, std::vector<std::string>* warnings) {
  // KafkaConfig.populateSynonyms: either of node.id and broker.id stands in for the other.
  bool has_node_id = props.contains("node.id");
  bool has_broker_id = props.contains("broker.id");
  if (has_broker_id && !has_node_id) props["node.id"] = props["broker.id"];
  if (has_node_id && !has_broker_id) props["broker.id"] = props["node.id"];
  originals_ = std::move(props);

  // Every key by its type and validator, in table order; the log settings by LogConfig after.
  for (const BrokerConfigKey& key : broker_config_keys()) {
    auto it = originals_.find(std::string(key.name));
    if (it == originals_.end()) {
      if (key.required) {
        return config_error("Missing required configuration \"" + std::string(key.name) +
                            "\" which has no default value.");
      }
      if (key.default_value) {
        StatusOr<ConfigValue> v = storage::parse_config_value(key.name, key.type, *key.default_value);
        if (!v) return v.status();
        values_.emplace(key.name, std::move(*v));
      }
      continue;
    }
    if (key.kind == KeyKind::log) continue;
    StatusOr<ConfigValue> v = storage::parse_and_validate(key.name, key.type, key.validator, it->second);
    if (!v) return v.status();
    values_.emplace(key.name, std::move(*v));
  }
  StatusOr<storage::LogConfig> log_defaults = storage::LogConfig::from_broker_properties(originals_);
  if (!log_defaults) return log_defaults.status();
  log_defaults_ = std::move(*log_defaults);
  for (const BrokerConfigKey& key : broker_config_keys()) {
    auto it = originals_.find(std::string(key.name));
    if (key.kind != KeyKind::log || it == originals_.end()) continue;
    StatusOr<ConfigValue> v = storage::parse_config_value(key.name, key.type, it->second);
    if (!v) return v.status();
    values_.insert_or_assign(std::string(key.name), std::move(*v));
  }
  for (const auto& [name, value] : originals_) {
    std::optional<std::string_view> base = listener_override_base(name);
    if (find_broker_config_key(base ? *base : name) == nullptr && warnings != nullptr) {
      warnings->push_back("The configuration '" + name + "' was supplied but isn't a known config.");
    }
  }

  const auto& roles = std::get<std::vector<std::string>>(*value_of("process.roles"));
  if (roles.empty()) {
    return config_error("Configuration 'process.roles' must not be empty. Valid values include: [broker, controller]");
  }
  process_roles_ = roles;
  is_broker_ = contains(roles, "broker");
  is_controller_ = contains(roles, "controller");
  node_id_ = *get_int("node.id");
  if (*get_int("broker.id") != node_id_) {
    return config_error("You must set `node.id` to the same value as `broker.id`.");
  }
  StatusOr<std::vector<QuorumVoter>> voters = parse_quorum_voters(*get_list("controller.quorum.voters"));
  if (!voters) return voters.status();
  quorum_voters_ = std::move(*voters);
  StatusOr<std::vector<HostPort>> bootstrap = parse_bootstrap_servers(*get_list("controller.quorum.bootstrap.servers"));
  if (!bootstrap) return bootstrap.status();
  quorum_bootstrap_servers_ = std::move(*bootstrap);

  std::optional<std::string> dirs = get_string("log.dirs");
  log_dirs_ = parse_csv_list(dirs ? *dirs : *get_string("log.dir"));
  if (log_dirs_.empty()) return config_error("At least one log directory must be defined via log.dirs or log.dir.");
  std::optional<std::string> metadata_dir = get_string("metadata.log.dir");
  metadata_log_dir_ = metadata_dir ? *metadata_dir : log_dirs_.front();

  if (Status s = validate_across_keys(warnings); !s) return s;
  if (Status s = resolve_listeners(warnings); !s) return s;
  return validate_roles();
}

Status BrokerConfig::resolve_listeners(std::vector<std::string>* warnings) {
  std::optional<std::string> names = get_string("controller.listener.names");
  controller_listener_names_ = names ? parse_csv_list(*names) : std::vector<std::string>{};

  StatusOr<std::map<std::string, std::string>> map = parse_security_protocol_map(*get_string(kProtocolMapKey));
  if (!map) return map.status();
  protocol_map_ = std::move(*map);
  std::string listeners_value = *get_string("listeners");
  if (!originals_.contains(std::string(kProtocolMapKey))) {
    // Without an explicit map, controller listeners are PLAINTEXT unless SSL or SASL is in use.
    bool secured = std::any_of(controller_listener_names_.begin(), controller_listener_names_.end(),
                               [](const std::string& n) { return is_ssl_or_sasl(n); });
    for (const std::string& entry : parse_csv_list(listeners_value)) {
      StatusOr<std::string> name = listener_name_of(entry);
      if (!name) return name.status();
      secured = secured || is_ssl_or_sasl(*name);
    }
    if (!secured) {
      for (const std::string& name : controller_listener_names_) {
        if (name != "PLAINTEXT") protocol_map_[name] = "PLAINTEXT";
      }
    }
  }

  StatusOr<std::vector<Endpoint>> listeners = parse_listeners(listeners_value, protocol_map_, true);
  if (!listeners) return listeners.status();
  listeners_ = std::move(*listeners);
  std::optional<std::string> advertised_value = get_string("advertised.listeners");
  std::vector<Endpoint> advertised = listeners_;
  if (advertised_value) {
    StatusOr<std::vector<Endpoint>> parsed = parse_listeners(*advertised_value, protocol_map_, false);
    if (!parsed) return parsed.status();
    advertised = std::move(*parsed);
  }
  auto is_controller_listener = [this](const Endpoint& e) { return contains(controller_listener_names_, e.listener); };
  for (const Endpoint& e : advertised) {
    if (!is_controller_listener(e)) advertised_broker_listeners_.push_back(e);
  }
  for (const std::string& name : controller_listener_names_) {
    auto same_name = [&](const Endpoint& e) { return e.listener == upper(name); };
    auto it = advertised_value ? std::find_if(advertised.begin(), advertised.end(), same_name) : advertised.end();
    if (it != advertised.end()) {
      advertised_controller_listeners_.push_back(*it);
      continue;
    }
    it = std::find_if(listeners_.begin(), listeners_.end(), same_name);
    if (it != listeners_.end()) {
      Endpoint e = *it;
      if (e.host == "0.0.0.0") e.host.clear();  // resolved to this host's name, as Kafka does since 3.9
      advertised_controller_listeners_.push_back(std::move(e));
    }
  }

  std::optional<std::string> inter_broker = get_string("inter.broker.listener.name");
  if (inter_broker) {
    if (originals_.contains("security.inter.broker.protocol")) {
      return config_error("Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.");
    }
    inter_broker_listener_name_ = upper(*inter_broker);
    if (!protocol_map_.contains(inter_broker_listener_name_)) {
      return config_error("Listener with name " + inter_broker_listener_name_ +
                          " defined in inter.broker.listener.name not found in listener.security.protocol.map.");
    }
  } else {
    inter_broker_listener_name_ = *get_string("security.inter.broker.protocol");
  }
  if (is_broker_ && !is_controller_ && controller_listener_names_.size() > 1 && warnings != nullptr) {
    warnings->push_back(
        "controller.listener.names has multiple entries; only the first will be used since "
        "process.roles=broker: [" +
        join(controller_listener_names_, ", ") + "]");
  }
  return {};
}

Status BrokerConfig::validate_roles() {
  auto voter_listed = [this](int32_t id) {
    return std::any_of(quorum_voters_.begin(), quorum_voters_.end(), [id](const QuorumVoter& v) { return v.id == id; });
  };
  if (quorum_voters_.empty() && quorum_bootstrap_servers_.empty()) {
    return config_error(
        "If using process.roles, either controller.quorum.bootstrap.servers must contain the set of bootstrap "
        "controllers or controller.quorum.voters must contain a parseable set of controllers.");
  }
  std::vector<std::string> names = listener_names(listeners_);
  auto in_listeners = [&](const std::string& name) { return contains(names, name); };
  if (!is_controller_) {
    // KRaft broker only.
    if (voter_listed(node_id_)) {
      return config_error(
          "If process.roles contains just the 'broker' role, the node id " + std::to_string(node_id_) +
          " must not be included in the set of voters controller.quorum.voters=" + scala_set(quorum_voters_));
    }
    if (controller_listener_names_.empty()) {
      return config_error(
          "controller.listener.names must contain at least one value when running KRaft with just the broker role");
    }
    if (std::any_of(controller_listener_names_.begin(), controller_listener_names_.end(), in_listeners)) {
      return config_error(
          "controller.listener.names must not contain a value appearing in the 'listeners' configuration when running "
          "KRaft with just the broker role");
    }
    for (const std::string& name : controller_listener_names_) {
      if (!protocol_map_.contains(upper(name))) {
        return config_error("Controller listener with name " + upper(name) +
                            " defined in controller.listener.names not found in listener.security.protocol.map  (an "
                            "explicit security mapping for each controller listener is required if "
                            "listener.security.protocol.map is non-empty, or if there are security protocols other "
                            "than PLAINTEXT in use)");
      }
    }
  } else {
    if (!is_broker_) {
      // KRaft controller only.
      if (advertised_controller_listeners_.size() != listeners_.size()) {
        return config_error(
            "The listeners config must only contain KRaft controller listeners from controller.listener.names when "
            "process.roles=controller");
      }
      if (get_string("inter.broker.listener.name") &&
          contains(controller_listener_names_, inter_broker_listener_name_)) {
        return config_error(
            "controller.listener.names must not contain an explicitly set inter.broker.listener.name configuration "
            "value when process.roles=controller'");
      }
    }
    if (!quorum_voters_.empty() && !voter_listed(node_id_)) {
      return config_error(
          "If process.roles contains the 'controller' role, the node id " + std::to_string(node_id_) +
          " must be included in the set of voters controller.quorum.voters=" + scala_set(quorum_voters_));
    }
    if (advertised_controller_listeners_.empty()) {
      return config_error(
          "controller.listener.names must contain at least one value appearing in the 'listeners' configuration when "
          "running the KRaft controller role");
    }
    if (!std::all_of(controller_listener_names_.begin(), controller_listener_names_.end(), in_listeners)) {
      return config_error(
          "controller.listener.names must only contain values appearing in the 'listeners' configuration when "
          "running the KRaft controller role");
    }
  }

  if (is_broker_) {
    std::vector<std::string> advertised = listener_names(advertised_broker_listeners_);
    if (advertised.empty()) {
      return config_error(
          "There must be at least one broker advertised listener. Perhaps all listeners appear in "
          "controller.listener.names?");
    }
    if (!contains(advertised, inter_broker_listener_name_)) {
      return config_error(
          "inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options "
          "based on currently configured listeners are " +
          join(advertised, ","));
    }
    if (!std::all_of(advertised.begin(), advertised.end(), in_listeners)) {
      return config_error(
          "advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found " +
          join(advertised, ",") + ". The valid options based on the current configuration are " + join(names, ","));
    }
  }
  auto meta_address = [](const Endpoint& e) { return e.host == "0.0.0.0"; };
  if (std::any_of(advertised_broker_listeners_.begin(), advertised_broker_listeners_.end(), meta_address) ||
      std::any_of(advertised_controller_listeners_.begin(), advertised_controller_listeners_.end(), meta_address)) {
    return config_error(
        "advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address.");
  }

  // GREGOR: no TLS or SASL yet.
  std::vector<const Endpoint*> all;
  for (const auto* list : {&listeners_, &advertised_broker_listeners_, &advertised_controller_listeners_}) {
    for (const Endpoint& e : *list) all.push_back(&e);
  }
  for (const Endpoint* e : all) {
    if (e->security_protocol != "PLAINTEXT") {
      return config_error("Listener " + e->listener + " uses security protocol " + e->security_protocol +
                          ", which Gregor does not support yet: only PLAINTEXT listeners are supported");
    }
  }
  return {};
}

Status BrokerConfig::validate_across_keys(std::vector<std::string>* warnings) {
  int32_t cleaner_threads = log_cleaner_threads();
  // Kafka divides by the thread count; with no cleaner threads there is nothing to check.
  if (cleaner_threads > 0 && log_cleaner_dedupe_buffer_size() / cleaner_threads <= 1024 * 1024) {
    return config_error("log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread.");
  }
  if (replica_fetch_wait_max_ms() > *get_int("replica.socket.timeout.ms")) {
    return config_error(
        "replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary socket "
        "timeouts");
  }
  if (replica_fetch_wait_max_ms() > replica_lag_time_max_ms()) {
    return config_error(
        "replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent "
        "changes in ISR");
  }
  if (int64_t{broker_heartbeat_interval_ms()} * 2 > broker_session_timeout_ms() && warnings != nullptr) {
    std::string heartbeat = std::to_string(broker_heartbeat_interval_ms());
    std::string session = std::to_string(broker_session_timeout_ms());
    warnings->push_back("broker.heartbeat.interval.ms (" + heartbeat +
                        " ms) must be less than or equal to half of the broker.session.timeout.ms (" + session +
                        " ms). The broker.session.timeout.ms is configured on controller. The "
                        "broker.heartbeat.interval.ms is configured on broker. If a broker doesn't send heartbeat "
                        "request within broker.session.timeout.ms, it loses broker lease. Please increase "
                        "broker.session.timeout.ms or decrease broker.heartbeat.interval.ms.");
  }
  if (queued_max_request_bytes() > 0 && queued_max_request_bytes() < socket_request_max_bytes()) {
    return config_error("queued.max.request.bytes must be larger or equal to socket.request.max.bytes");
  }
  StatusOr<std::vector<std::pair<std::string, std::string>>> overrides =
      parse_csv_map("max.connections.per.ip.overrides", *get_string("max.connections.per.ip.overrides"));
  if (!overrides) return overrides.status();
  if (max_connections_per_ip() == 0 && overrides->empty()) {
    return config_error(
        "max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides property is set.");
  }
  std::vector<std::string> invalid;
  for (const auto& [address, count] : *overrides) {
    if (!parse_java_int(count)) {
      return config_error("Error parsing configuration property 'max.connections.per.ip.overrides': " +
                          number_format_message(count));
    }
    if (!valid_host_pattern(address)) invalid.push_back(address);
  }
  if (!invalid.empty()) {
    return config_error("max.connections.per.ip.overrides contains invalid addresses : " + join(invalid, ","));
  }
  int64_t idle_ms = connections_max_idle_ms();
  int32_t delay_ms = *get_int("connection.failed.authentication.delay.ms");
  if (idle_ms >= 0 && delay_ms >= idle_ms) {
    return config_error("connection.failed.authentication.delay.ms=" + std::to_string(delay_ms) +
                        " should always be less than connections.max.idle.ms=" + std::to_string(idle_ms) +
                        " to prevent failed authentication responses from timing out");
  }
  return {};
}

// ---- Reading values ----------------------------------------------------------------------------

const ConfigValue* BrokerConfig::value_of(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

std::optional<std::string> BrokerConfig::get_string(std::string_view name) const {
  const ConfigValue* v = value_of(name);
  if (v == nullptr) return std::nullopt;
  return storage::render_config_value(*v);
}

std::optional<bool> BrokerConfig::get_bool(std::string_view name) const {
  const ConfigValue* v = value_of(name);
  if (v == nullptr || !std::holds_alternative<bool>(*v)) return std::nullopt;
  return std::get<bool>(*v);
}

std::optional<int32_t> BrokerConfig::get_int(std::string_view name) const {
  const ConfigValue* v = value_of(name);
  if (v == nullptr) return std::nullopt;
  if (const auto* i = std::get_if<int32_t>(v)) return *i;
  if (const auto* s = std::get_if<int16_t>(v)) return *s;
  return std::nullopt;
}

std::optional<int64_t> BrokerConfig::get_long(std::string_view name) const {
  const ConfigValue* v = value_of(name);
  if (v != nullptr) {
    if (const auto* l = std::get_if<int64_t>(v)) return *l;
  }
  return get_int(name);
}

std::optional<double> BrokerConfig::get_double(std::string_view name) const {
  const ConfigValue* v = value_of(name);
  if (v == nullptr || !std::holds_alternative<double>(*v)) return std::nullopt;
  return std::get<double>(*v);
}

std::optional<std::vector<std::string>> BrokerConfig::get_list(std::string_view name) const {
  const ConfigValue* v = value_of(name);
  if (v == nullptr || !std::holds_alternative<std::vector<std::string>>(*v)) return std::nullopt;
  return std::get<std::vector<std::string>>(*v);
}

std::vector<Endpoint> BrokerConfig::advertised_listeners() const {
  std::vector<Endpoint> out;
  for (const Endpoint& e : advertised_broker_listeners_) out.push_back(resolved(e));
  return out;
}

std::vector<Endpoint> BrokerConfig::advertised_controller_listeners() const {
  std::vector<Endpoint> out;
  for (const Endpoint& e : advertised_controller_listeners_) out.push_back(resolved(e));
  return out;
}

// ---- DescribeConfigs ---------------------------------------------------------------------------

namespace {

// A value as Kafka shows it: parsed and rendered back ("TRUE" -> "true"); as given if it does
// not parse (a dynamic value stored before a check existed).
std::string shown_value(std::string_view name, ConfigType type, const std::string& raw) {
  StatusOr<ConfigValue> v = storage::parse_config_value(name, type, raw);
  return v.ok() ? storage::render_config_value(*v) : raw;
}

std::string shown_broker_value(std::string_view name, const std::string& raw) {
  const BrokerConfigKey* key = find_broker_config_key(name);
  return key == nullptr ? raw : shown_value(name, key->type, raw);
}

const std::string* find_property(const Properties& props, std::string_view name) {
  auto it = props.find(std::string(name));
  return it == props.end() ? nullptr : &it->second;
}

}  // namespace

std::vector<ConfigSynonym> BrokerConfig::synonyms_of(std::string_view name, bool sensitive,
                                                     const Properties& dynamic_per_broker,
                                                     const Properties& dynamic_cluster_default) const {
  std::vector<std::string_view> names = broker_config_synonyms(name);
  std::vector<ConfigSynonym> out;
  auto add = [&](const Properties& props, ConfigSource source) {
    for (std::string_view n : names) {
      const std::string* raw = find_property(props, n);
      if (raw == nullptr) continue;
      std::optional<std::string> value;
      if (!sensitive) value = shown_broker_value(n, *raw);
      out.push_back({std::string(n), std::move(value), source});
    }
  };
  add(dynamic_per_broker, ConfigSource::dynamic_broker_config);
  add(dynamic_cluster_default, ConfigSource::dynamic_default_broker_config);
  add(originals_, ConfigSource::static_broker_config);
  for (std::string_view n : names) {
    const BrokerConfigKey* k = find_broker_config_key(n);
    if (k == nullptr || !k->default_value) continue;
    std::optional<std::string> value;
    if (!sensitive) value = std::string(*k->default_value);
    out.push_back({std::string(n), std::move(value), ConfigSource::default_config});
  }
  // Synonyms start at the described name: the ones that would only stand in for it go.
  auto own = std::find_if(out.begin(), out.end(), [&](const ConfigSynonym& s) { return s.name == name; });
  out.erase(out.begin(), own);
  return out;
}

std::vector<ConfigDescription> BrokerConfig::describe(const Properties& dynamic_per_broker,
                                                      const Properties& dynamic_cluster_default) const {
  std::vector<ConfigDescription> out;
  for (const BrokerConfigKey& key : broker_config_keys()) {
    std::string name(key.name);
    bool set = dynamic_per_broker.contains(name) || dynamic_cluster_default.contains(name) || originals_.contains(name);
    if (key.kind == KeyKind::accepted && !set) continue;
    ConfigDescription d;
    d.name = name;
    d.type = key.type;
    d.is_sensitive = key.type == ConfigType::password;
    d.read_only = key.dynamic == DynamicUpdateMode::read_only;
    d.documentation = key.doc;
    d.synonyms = synonyms_of(key.name, d.is_sensitive, dynamic_per_broker, dynamic_cluster_default);
    if (!d.synonyms.empty()) {
      d.source = d.synonyms.front().source;
      d.value = d.synonyms.front().value;
    }
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(),
            [](const ConfigDescription& a, const ConfigDescription& b) { return a.name < b.name; });
  return out;
}

std::vector<ConfigDescription> BrokerConfig::describe_cluster_default(const Properties& dynamic_cluster_default) const {
  std::vector<ConfigDescription> out;
  for (ConfigDescription& d : describe({}, dynamic_cluster_default)) {
    if (find_property(dynamic_cluster_default, d.name) == nullptr) continue;
    std::erase_if(d.synonyms,
                  [](const ConfigSynonym& s) { return s.source != ConfigSource::dynamic_default_broker_config; });
    d.source = d.synonyms.empty() ? ConfigSource::default_config : d.synonyms.front().source;
    d.value = d.synonyms.empty() ? std::nullopt : d.synonyms.front().value;
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<ConfigDescription> BrokerConfig::describe_topic(const storage::LogConfig& defaults,
                                                            const Properties& topic_configs,
                                                            const Properties& dynamic_per_broker,
                                                            const Properties& dynamic_cluster_default) const {
  const std::map<std::string, std::string> effective = defaults.to_topic_configs();
  std::vector<ConfigDescription> out;
  for (const storage::TopicConfigKey& key : storage::LogConfig::topic_config_keys()) {
    ConfigDescription d;
    d.name = std::string(key.name);
    d.type = key.type;
    d.is_sensitive = key.type == ConfigType::password;
    d.read_only = false;
    d.documentation = storage::LogConfig::documentation(key.name);
    std::optional<std::string> value;
    if (const std::string* own = find_property(topic_configs, key.name)) {
      value = shown_value(key.name, key.type, *own);
      d.synonyms.push_back({d.name, d.is_sensitive ? std::nullopt : value, ConfigSource::topic_config});
    } else if (key.type == ConfigType::list && !key.server_default.empty()) {
      // A list keeps the order the broker's setting gives it (LogConfig only keeps what it holds).
      for (const Properties* layer : {&dynamic_per_broker, &dynamic_cluster_default, &originals_}) {
        if (const std::string* raw = find_property(*layer, key.server_default)) {
          value = shown_value(key.name, key.type, *raw);
          break;
        }
      }
    }
    if (!value) {
      auto it = effective.find(d.name);
      value = it == effective.end() ? std::string(key.default_value) : it->second;
    }
    if (!d.is_sensitive) d.value = std::move(value);
    if (!key.server_default.empty()) {
      std::vector<ConfigSynonym> broker =
          synonyms_of(key.server_default, d.is_sensitive, dynamic_per_broker, dynamic_cluster_default);
      d.synonyms.insert(d.synonyms.end(), broker.begin(), broker.end());
    }
    d.source = d.synonyms.empty() ? ConfigSource::default_config : d.synonyms.front().source;
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(),
            [](const ConfigDescription& a, const ConfigDescription& b) { return a.name < b.name; });
  return out;
}

// ---- Dynamic changes ---------------------------------------------------------------------------

Status validate_dynamic_broker_config(std::string_view name, const std::optional<std::string>& value, bool per_broker) {
  auto fail = [](std::string message) { return Status(ErrorCode::invalid_request, std::move(message)); };
  std::string listed = "[" + std::string(name) + "]";
  std::optional<std::string_view> base = listener_override_base(name);
  std::string_view key_name = base ? *base : name;
  const BrokerConfigKey* key = find_broker_config_key(key_name);
  if (key == nullptr) return fail("Unknown broker config name: " + std::string(name));
  if (key->dynamic == DynamicUpdateMode::read_only) return fail("Cannot update these configs dynamically: " + listed);
  if (!base && is_listener_only_security_config(name)) {
    return fail("These security configs can be dynamically updated only per-listener using the listener prefix: " +
                listed);
  }
  if (value) {
    Status valid;
    if (key->kind == KeyKind::log) {
      valid = storage::LogConfig::from_broker_properties({{std::string(key_name), *value}}).status();
    } else {
      valid = storage::parse_and_validate(key_name, key->type, key->validator, *value).status();
    }
    if (!valid) return fail(valid.message());
  }
  bool broker_only =
      base ? !contains(kClusterLevelListenerConfigs, key_name) : key->dynamic == DynamicUpdateMode::per_broker;
  if (!per_broker && broker_only) {
    return fail("Cannot update these configs at default cluster level, broker id must be specified: " + listed);
  }
  return {};
}

Status validate_broker_config_changes(const Properties& stored, const std::vector<ConfigChange>& changes,
                                      bool per_broker) {
  for (const ConfigChange& c : changes) {
    if (c.op < ConfigChange::set || c.op > ConfigChange::subtract) {
      return Status(ErrorCode::invalid_request, "Unknown operations type " + std::to_string(c.op));
    }
  }
  Properties next = stored;
  for (const ConfigChange& c : changes) {
    if (c.op == ConfigChange::set) {
      next[c.name] = c.value.value_or("");
      continue;
    }
    if (c.op == ConfigChange::remove) {
      next.erase(c.name);
      continue;
    }
    const bool append = c.op == ConfigChange::append;
    const BrokerConfigKey* key = find_broker_config_key(listener_override_base(c.name).value_or(c.name));
    if (key == nullptr) return Status(ErrorCode::invalid_request, "Unknown broker config name: " + c.name);
    if (key->type != ConfigType::list) {
      return Status(ErrorCode::invalid_config, std::string("Config value ") + (append ? "append" : "subtract") +
                                                   " is not allowed for config key: " + c.name);
    }
    std::optional<std::string> base;
    if (auto it = next.find(c.name); it != next.end()) {
      base = it->second;
    } else if (key->default_value) {
      base = std::string(*key->default_value);
    }
    std::vector<std::string> items;
    if (append) {
      if (base && !base->empty()) items = java_split(*base, ',');
      std::vector<std::string> added = java_split(c.value.value_or(""), ',');
      const std::vector<std::string> before = items;
      for (std::string& item : added) {
        if (std::find(before.begin(), before.end(), item) == before.end()) items.push_back(std::move(item));
      }
    } else {
      // Each subtracted item takes away one occurrence, as Scala's List.diff.
      items = java_split(base.value_or(""), ',');
      for (const std::string& item : java_split(c.value.value_or(""), ',')) {
        if (auto it = std::find(items.begin(), items.end(), item); it != items.end()) items.erase(it);
      }
    }
    next[c.name] = join(items, ",");
  }
  for (const auto& [name, value] : next) {
    if (Status s = validate_dynamic_broker_config(name, value, per_broker); !s) return s;
  }
  return {};
}

}  // namespace gregor::config
