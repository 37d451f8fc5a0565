#include "tools/configs.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <set>

#include "gregor/admin.h"
#include "tools/command_line.h"

namespace gregor::tools {

namespace {

using Arg = OptionSpec::Arg;

struct Entity {
  std::string type;                // "topics" or "brokers"
  std::optional<std::string> name;  // nullopt: every entity of the type; "" the broker default
};

// The entity the command line names: --entity-type with --entity-name / --entity-default, or the
// --topic, --broker, --broker-defaults shorthands.
Entity entity_of(const CommandLine& cl) {
  Entity e;
  if (cl.has("topic")) e = {"topics", cl.value("topic")};
  if (cl.has("broker")) e = {"brokers", cl.value("broker")};
  if (cl.has("broker-defaults")) e = {"brokers", std::string()};
  if (cl.has("entity-type")) {
    e.type = cl.value("entity-type");
    if (cl.has("entity-name")) e.name = cl.value("entity-name");
    if (cl.has("entity-default")) e.name = std::string();
  }
  if (e.type.empty()) throw UsageError("At least one entity type must be specified");
  if (e.type != "topics" && e.type != "brokers") {
    throw UsageError("Invalid entity type " + e.type + ", the entity type must be one of users, brokers, topics, "
                     "clients, ips, client-metrics, groups with a --bootstrap-server or --bootstrap-controller argument");
  }
  if (e.type == "topics" && e.name && e.name->empty()) throw UsageError("Entity default is not supported for topics");
  if (e.type == "brokers" && e.name && !e.name->empty() &&
      !std::all_of(e.name->begin(), e.name->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw UsageError("The entity name for brokers must be a valid integer broker id, but it is: " + *e.name);
  }
  return e;
}

ConfigResource resource_of(const Entity& e, const std::string& name) {
  return {e.type == "topics" ? ConfigResource::Type::topic : ConfigResource::Type::broker, name};
}

// "k1=v1,k2=[a,b],k3=v3": commas inside brackets belong to the value, the brackets go.
std::vector<std::pair<std::string, std::string>> parse_add_config(const std::string& text) {
  std::vector<std::string> items;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '[') ++depth;
    if (c == ']' && depth > 0) --depth;
    if (c == ',' && depth == 0) {
      items.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  items.push_back(current);
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& item : items) {
    const size_t eq = item.find('=');
    if (item.empty() || eq == std::string::npos || eq == 0) {
      throw UsageError("requirement failed: Invalid entity config: all configs to be added must be in the format "
                       "\"key=val\".");
    }
    std::string value = item.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '[' && value.back() == ']') value = value.substr(1, value.size() - 2);
    pairs.emplace_back(item.substr(0, eq), value);
  }
  return pairs;
}

std::string entity_singular(const std::string& type) { return type.substr(0, type.size() - 1); }

// Kafka's exception classes for the codes the command meets, as printStackTrace's first line
// names them.
std::string exception_line(const std::exception& e) {
  static const std::map<std::string, std::string> classes = {
      {"INVALID_CONFIG", "InvalidConfigurationException"},
      {"UNKNOWN_TOPIC_OR_PARTITION", "UnknownTopicOrPartitionException"},
      {"INVALID_REQUEST", "InvalidRequestException"},
      {"POLICY_VIOLATION", "PolicyViolationException"},
  };
  if (const auto* api = dynamic_cast<const ApiException*>(&e)) {
    auto c = classes.find(api->name());
    const std::string cls = c != classes.end() ? c->second : "ApiException";
    return "java.util.concurrent.ExecutionException: org.apache.kafka.common.errors." + cls + ": " + e.what();
  }
  if (dynamic_cast<const TimeoutException*>(&e)) {
    return std::string("java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.TimeoutException: ") +
           e.what();
  }
  return e.what();
}

class ConfigService {
 public:
  ConfigService(const CommandLine& cl, const Properties& props, std::ostream& out)
      : cl_(cl), admin_(props), out_(out) {}

  void describe(const Entity& e) {
    std::vector<std::string> names;
    if (e.name) {
      names.push_back(*e.name);
    } else if (e.type == "topics") {
      ListTopicsOptions options;
      options.list_internal = true;
      for (const auto& [name, listing] : admin_.list_topics(options)) names.push_back(name);
    } else {
      for (const Node& n : admin_.describe_cluster().nodes) names.push_back(std::to_string(n.id));
      names.push_back("");  // and the cluster-wide default
    }
    const bool all_configs = cl_.has("all");
    for (const std::string& name : names) {
      if (name.empty()) {
        out_ << "Default configs for " << e.type << " in the cluster are:\n";
      } else {
        out_ << (all_configs ? "All" : "Dynamic") << " configs for " << entity_singular(e.type) << ' ' << name
             << " are:\n";
      }
      for (const ConfigEntry* entry : entries(e, name, all_configs)) {
        std::string synonyms;
        for (const auto& s : entry->synonyms) {
          synonyms += (synonyms.empty() ? "" : ", ") + to_string(s.source) + ":" + s.name + "=" + s.value.value_or("null");
        }
        out_ << "  " << entry->name << '=' << entry->value.value_or("null")
             << " sensitive=" << (entry->sensitive ? "true" : "false") << " synonyms={" << synonyms << "}\n";
      }
    }
  }

  void alter(const Entity& e) {
    if (!e.name) throw UsageError("An entity name must be specified with --alter of " + e.type);
    std::vector<AlterConfigOp> ops;
    std::set<std::string> added;
    for (const std::string& text : cl_.values("add-config")) {
      for (const auto& [key, value] : parse_add_config(text)) {
        ops.push_back({key, value, AlterConfigOp::Type::set});
        added.insert(key);
      }
    }
    std::vector<std::string> deleted;
    for (const std::string& text : cl_.values("delete-config")) {
      for (const std::string& key : split_list(text)) deleted.push_back(key);
    }
    for (const std::string& key : deleted) {
      if (added.count(key)) {
        throw UsageError("Invalid config(s): " + key + " (they are both added and deleted)");
      }
    }
    if (!deleted.empty()) {
      // Kafka refuses to delete what is not set on the entity itself.
      std::set<std::string> present;
      for (const ConfigEntry* entry : entries(e, *e.name, false)) present.insert(entry->name);
      std::string invalid;
      for (const std::string& key : deleted)
        if (!present.count(key)) invalid += (invalid.empty() ? "" : ",") + key;
      if (!invalid.empty()) throw UsageError("Invalid config(s): " + invalid);
    }
    for (const std::string& key : deleted) ops.push_back({key, std::nullopt, AlterConfigOp::Type::remove});
    const ConfigResource resource = resource_of(e, *e.name);
    all(admin_.incremental_alter_configs({{resource, ops}}));
    if (e.name->empty()) {
      out_ << "Completed updating default config for " << e.type << " in the cluster.\n";
    } else {
      out_ << "Completed updating config for " << entity_singular(e.type) << ' ' << *e.name << ".\n";
    }
  }

 private:
  // The entity's configs, sorted by name: those set on the entity itself, or all of them.
  std::vector<const ConfigEntry*> entries(const Entity& e, const std::string& name, bool all_configs) {
    DescribeConfigsOptions options;
    options.include_synonyms = true;
    const ConfigResource resource = resource_of(e, name);
    auto described = admin_.describe_configs({resource}, options);
    configs_.push_back(described.at(resource).get());
    const ConfigEntry::Source own = e.type == "topics" ? ConfigEntry::Source::dynamic_topic_config
                                    : name.empty()     ? ConfigEntry::Source::dynamic_default_broker_config
                                                       : ConfigEntry::Source::dynamic_broker_config;
    std::vector<const ConfigEntry*> result;
    for (const ConfigEntry& entry : configs_.back().entries)
      if (all_configs || entry.source == own) result.push_back(&entry);
    std::sort(result.begin(), result.end(), [](const ConfigEntry* a, const ConfigEntry* b) { return a->name < b->name; });
    return result;
  }

  const CommandLine& cl_;
  Admin admin_;
  std::ostream& out_;
  std::deque<Config> configs_;  // keeps the entries handed out alive
};

}  // namespace

int run_configs(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommandLine cl(
      "This tool helps to manipulate and describe entity config for a topic, client, user, broker, ip, "
      "client-metrics or group",
      {
          {"bootstrap-server", Arg::required, "The Kafka servers to connect to.", "server to connect to"},
          {"command-config", Arg::required, "Property file containing configs to be passed to Admin Client.",
           "command config property file"},
          {"describe", Arg::none, "List configs for the given entity."},
          {"alter", Arg::none, "Alter the configuration for the entity."},
          {"all", Arg::none, "List all configs for the given entity, including static configs if available."},
          {"entity-type", Arg::required, "Type of entity (topics/brokers)", "String"},
          {"entity-name", Arg::required, "Name of entity (topic name/broker id)", "String"},
          {"entity-default", Arg::none, "Default entity name for brokers (applies to corresponding entity type)"},
          {"topic", Arg::required, "The topic's name.", "topic"},
          {"broker", Arg::required, "The broker's ID.", "String"},
          {"broker-defaults", Arg::none, "The config defaults for all brokers."},
          {"add-config", Arg::required,
           "Key Value pairs of configs to add. Square brackets can be used to group values which contain commas: "
           "'k1=v1,k2=[v1,v2,v2],k3=v3'.",
           "String"},
          {"delete-config", Arg::required, "config keys to remove 'k1,k2'", "String"},
      });
  if (auto stop = cl.parse(args, out, err)) return stop->exit_code;
  std::string joined;
  for (const std::string& a : args) joined += (joined.empty() ? "" : " ") + a;
  if (cl.has("describe") == cl.has("alter")) {
    err << "Command must include exactly one action: --describe, --alter\n";
    return 1;
  }
  if (!cl.has("bootstrap-server")) {
    err << "One of the required bootstrap-server or bootstrap-controller arguments must be specified\n";
    return 1;
  }
  if (cl.has("alter") && !cl.has("add-config") && !cl.has("delete-config")) {
    err << "At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter\n";
    return 1;
  }
  try {
    const Entity entity = entity_of(cl);
    Properties props = client_properties(cl);
    ConfigService service(cl, props, out);
    if (cl.has("describe")) {
      service.describe(entity);
    } else {
      service.alter(entity);
    }
  } catch (const UsageError& e) {
    err << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::string line = exception_line(e);
    std::replace(line.begin(), line.end(), '\n', ' ');
    err << "Error while executing config command with args '" << joined << "'\n" << line << '\n';
    return 1;
  }
  return 0;
}

}  // namespace gregor::tools
