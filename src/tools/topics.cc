#include "tools/topics.h"

#include <algorithm>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "gregor/admin.h"
#include "tools/command_line.h"

namespace gregor::tools {

namespace {

using Arg = OptionSpec::Arg;

// A failure Kafka's TopicCommand reports as "Error while executing topic command : <message>".
struct CommandError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Kafka's Topic.isInternal: decided by the name.
bool is_internal(const std::string& topic) {
  return topic == "__consumer_offsets" || topic == "__transaction_state" || topic == "__share_group_state";
}

std::string join_ids(const std::vector<Node>& nodes) {
  std::string s;
  for (const Node& n : nodes) s += (s.empty() ? "" : ",") + std::to_string(n.id);
  return s;
}

// Kafka's IncludeList: surrounding quotes dropped, commas as alternatives, the whole name matched.
std::regex include_list(std::string pattern) {
  const auto first = pattern.find_first_not_of(" \t\n\r");
  const auto last = pattern.find_last_not_of(" \t\n\r");
  pattern = first == std::string::npos ? "" : pattern.substr(first, last - first + 1);
  std::replace(pattern.begin(), pattern.end(), ',', '|');
  while (!pattern.empty() && (pattern.front() == '"' || pattern.front() == '\'')) pattern.erase(0, 1);
  while (!pattern.empty() && (pattern.back() == '"' || pattern.back() == '\'')) pattern.pop_back();
  try {
    return std::regex(pattern);
  } catch (const std::regex_error&) {
    throw CommandError("Illegal regular expression: " + pattern);
  }
}

class TopicService {
 public:
  TopicService(const CommandLine& cl, Properties props) : cl_(cl), admin_(props) {}

  // Sorted names, matched by --topic when given, internal ones left out with --exclude-internal.
  std::vector<std::string> topics() {
    ListTopicsOptions options;
    const bool exclude_internal = cl_.has("exclude-internal");
    options.list_internal = !exclude_internal;
    std::vector<std::string> names;
    std::optional<std::regex> filter;
    if (cl_.has("topic")) filter = include_list(cl_.value("topic"));
    for (const auto& [name, listing] : admin_.list_topics(options)) {
      if (filter && !std::regex_match(name, *filter)) continue;
      if (exclude_internal && is_internal(name)) continue;
      names.push_back(name);
    }
    return names;
  }

  // Kafka's ensureTopicExists, whose message prints the Java Optional it was given.
  void ensure_exists(const std::vector<std::string>& found) const {
    if (cl_.has("topic") && !cl_.value("topic").empty() && !cl_.has("if-exists") && found.empty()) {
      throw CommandError("Topic 'Optional[" + cl_.value("topic") + "]' does not exist as expected");
    }
  }

  void create(std::ostream& out, std::ostream& err) {
    const std::string name = cl_.value("topic");
    if (name.find('.') != std::string::npos || name.find('_') != std::string::npos) {
      out << "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could "
             "collide. To avoid issues it is best to use either, but not both.\n";
    }
    NewTopic topic;
    topic.name = name;
    if (cl_.has("replication-factor")) {
      auto rf = cl_.int_value("replication-factor", -1, err);
      if (!rf) throw CommandError("");
      if (*rf < 1 || *rf > 32767) throw CommandError("The replication factor must be between 1 and 32767 inclusive");
      topic.replication_factor = static_cast<int16_t>(*rf);
    }
    if (cl_.has("partitions")) {
      auto partitions = cl_.int_value("partitions", -1, err);
      if (!partitions) throw CommandError("");
      if (*partitions < 1) throw CommandError("The partitions must be greater than 0");
      topic.num_partitions = *partitions;
    }
    for (const std::string& config : cl_.values("config")) {
      static const std::regex pair(R"(^([^=]*?)\s*=\s*([^=]*)$)");
      std::smatch m;
      if (!std::regex_match(config, m, pair) || m[1].str().empty()) {
        throw CommandError(
            "requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\".");
      }
      topic.configs[m[1].str()] = m[2].str();
    }
    auto created = admin_.create_topics({topic});
    try {
      created.at(name).get();
    } catch (const ApiException& e) {
      if (e.name() == "TOPIC_ALREADY_EXISTS" && cl_.has("if-not-exists")) return;
      throw;
    }
    out << "Created topic " << name << ".\n";
  }

  void list(std::ostream& out) {
    std::string text;
    for (const std::string& name : topics()) text += (text.empty() ? "" : "\n") + name;
    out << text << '\n';
  }

  void alter(std::ostream& err) {
    const std::vector<std::string> names = topics();
    ensure_exists(names);
    if (names.empty()) return;
    auto count = cl_.int_value("partitions", -1, err);
    if (!count) throw CommandError("");
    std::map<std::string, NewPartitions> changes;
    for (const std::string& name : names) changes[name] = NewPartitions{*count, {}};
    all(admin_.create_partitions(changes));
  }

  void remove() {
    const std::vector<std::string> names = topics();
    ensure_exists(names);
    if (!names.empty()) all(admin_.delete_topics(names));
  }

  void describe(std::ostream& out) {
    const std::vector<std::string> names = topics();
    ensure_exists(names);
    if (names.empty()) return;
    auto descriptions = admin_.describe_topics(names);
    std::vector<ConfigResource> resources;
    for (const std::string& name : names) resources.push_back({ConfigResource::Type::topic, name});
    auto configs = admin_.describe_configs(resources);
    std::set<int32_t> live;
    for (const Node& n : admin_.describe_cluster().nodes) live.insert(n.id);

    const bool overrides = cl_.has("topics-with-overrides");
    const bool under_replicated = cl_.has("under-replicated-partitions");
    const bool unavailable = cl_.has("unavailable-partitions");
    const bool under_min_isr = cl_.has("under-min-isr-partitions");
    const bool at_min_isr = cl_.has("at-min-isr-partitions");
    const bool describe_configs = !under_replicated && !unavailable && !under_min_isr && !at_min_isr;
    for (const std::string& name : names) {
      const TopicDescription& d = descriptions.at(name).get();
      const Config& config = configs.at({ConfigResource::Type::topic, name}).get();
      std::string overridden;
      for (const ConfigEntry& e : config.entries) {
        if (!e.is_default()) overridden += (overridden.empty() ? "" : ",") + e.name + "=" + e.value.value_or("null");
      }
      if (describe_configs && (!overrides || !overridden.empty()) && !d.partitions.empty()) {
        out << "Topic: " << name;
        if (!d.topic_id.empty() && d.topic_id != "AAAAAAAAAAAAAAAAAAAAAA") out << "\tTopicId: " << d.topic_id;
        out << "\tPartitionCount: " << d.partitions.size() << "\tReplicationFactor: " << d.partitions[0].replicas.size()
            << "\tConfigs: " << overridden << '\n';
      }
      if (overrides) continue;
      const ConfigEntry* min_isr_entry = config.get("min.insync.replicas");
      const size_t min_isr = min_isr_entry && min_isr_entry->value ? std::stoul(*min_isr_entry->value) : 1;
      for (const TopicPartitionInfo& p : d.partitions) {
        const bool print = describe_configs || (under_replicated && p.isr.size() < p.replicas.size()) ||
                           (unavailable && (!p.leader || !live.count(p.leader->id))) ||
                           (under_min_isr && (!p.leader || p.isr.size() < min_isr)) ||
                           (at_min_isr && p.isr.size() == min_isr);
        if (!print) continue;
        // No eligible leader replicas (KIP-966) in Gregor: the lists are empty, as a Kafka 4.0
        // broker without ELR answers them.
        out << "\tTopic: " << name << "\tPartition: " << p.partition
            << "\tLeader: " << (p.leader ? std::to_string(p.leader->id) : "none") << "\tReplicas: " << join_ids(p.replicas)
            << "\tIsr: " << join_ids(p.isr) << "\tElr: \tLastKnownElr: \n";
      }
    }
  }

 private:
  const CommandLine& cl_;
  Admin admin_;
};

}  // namespace

int run_topics(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommandLine cl("This tool helps to create, delete, describe, or change a topic.",
                 {
                     {"bootstrap-server", Arg::required, "REQUIRED: The Kafka server to connect to.", "server to connect to"},
                     {"command-config", Arg::required, "Property file containing configs to be passed to Admin Client.",
                      "command config property file"},
                     {"list", Arg::none, "List all available topics."},
                     {"create", Arg::none, "Create a new topic."},
                     {"delete", Arg::none, "Delete a topic."},
                     {"alter", Arg::none,
                      "Alter the number of partitions and replica assignment. (To alter topic configurations, the "
                      "kafka-configs tool can be used.)"},
                     {"describe", Arg::none, "List details for the given topics."},
                     {"topic", Arg::required,
                      "The topic to create, alter, describe or delete. It also accepts a regular expression, except "
                      "for --create option. Put topic name in double quotes and use the '\\' prefix to escape regular "
                      "expression symbols; e.g. \"test\\.topic\".",
                      "topic"},
                     {"config", Arg::required,
                      "A topic configuration override for the topic being created. It is supported only in "
                      "combination with --create. (To alter topic configurations, the kafka-configs tool can be used.)",
                      "name=value"},
                     {"partitions", Arg::required,
                      "The number of partitions for the topic being created or altered. If not supplied with "
                      "--create, the topic uses the cluster default.",
                      "# of partitions"},
                     {"replication-factor", Arg::required,
                      "The replication factor for each partition in the topic being created. If not supplied, the "
                      "topic uses the cluster default.",
                      "replication factor"},
                     {"under-replicated-partitions", Arg::none,
                      "If set when describing topics, only show under-replicated partitions."},
                     {"unavailable-partitions", Arg::none,
                      "If set when describing topics, only show partitions whose leader is not available."},
                     {"under-min-isr-partitions", Arg::none,
                      "If set when describing topics, only show partitions whose isr count is less than the configured "
                      "minimum."},
                     {"at-min-isr-partitions", Arg::none,
                      "If set when describing topics, only show partitions whose isr count is equal to the configured "
                      "minimum."},
                     {"topics-with-overrides", Arg::none,
                      "If set when describing topics, only show topics that have overridden configs."},
                     {"if-exists", Arg::none,
                      "If set when altering or deleting or describing topics, the action will only execute if the "
                      "topic exists."},
                     {"if-not-exists", Arg::none,
                      "If set when creating topics, the action will only execute if the topic does not already exist."},
                     {"exclude-internal", Arg::none,
                      "Exclude internal topics when listing or describing topics. By default, the internal topics are "
                      "included."},
                 });
  if (auto stop = cl.parse(args, out, err)) return stop->exit_code;
  int actions = 0;
  for (const char* action : {"create", "list", "alter", "describe", "delete"}) actions += cl.has(action) ? 1 : 0;
  if (actions != 1) {
    err << "Command must include exactly one action: --list, --describe, --create, --alter or --delete\n";
    return 1;
  }
  if (!cl.has("bootstrap-server")) {
    err << "--bootstrap-server must be specified\n";
    return 1;
  }
  if (!cl.has("list") && !cl.has("describe") && !cl.require({"topic"}, err)) return 1;
  if (cl.has("alter") && !cl.require({"partitions"}, err)) return 1;
  if (cl.has("config") && !cl.has("create")) {
    err << "Option \"[config]\" can't be used with option \"[" << (cl.has("alter") ? "alter" : "describe") << "]\"\n";
    return 1;
  }
  try {
    Properties props = client_properties(cl);
    TopicService service(cl, props);
    if (cl.has("create")) {
      service.create(out, err);
    } else if (cl.has("list")) {
      service.list(out);
    } else if (cl.has("alter")) {
      service.alter(err);
    } else if (cl.has("describe")) {
      service.describe(out);
    } else {
      service.remove();
    }
  } catch (const CommandError& e) {
    if (*e.what()) err << "Error while executing topic command : " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    err << "Error while executing topic command : " << message << '\n';
    return 1;
  }
  return 0;
}

}  // namespace gregor::tools
