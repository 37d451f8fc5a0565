#include "tools/get_offsets.h"

#include <optional>
#include <set>
#include <regex>

#include "gregor/admin.h"
#include "tools/command_line.h"

namespace gregor::tools {

namespace {

using Arg = OptionSpec::Arg;

// One --topic-partitions pattern: a topic regex (nullopt: any topic) and a partition range
// [lo, hi) (Kafka's NUMBER, NUMBER-NUMBER, NUMBER-, -NUMBER or nothing).
struct Filter {
  std::optional<std::regex> topic;
  int32_t lo = 0;
  int32_t hi = INT32_MAX;
  std::set<int32_t> only;  // --partitions: these ids (empty: the range)
  bool matches(const std::string& t, int32_t p) const {
    if (topic && !std::regex_match(t, *topic)) return false;
    if (!only.empty()) return only.count(p) > 0;
    return p >= lo && p < hi;
  }
};

std::regex topic_regex(const std::string& pattern) {
  try {
    return std::regex(pattern);
  } catch (const std::regex_error&) {
    throw UsageError("Invalid topic pattern: " + pattern);
  }
}

std::vector<Filter> filters_of(const CommandLine& cl) {
  std::vector<Filter> filters;
  if (cl.has("topic-partitions")) {
    static const std::regex form(R"(^([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?$)");
    for (const std::string& spec : split_list(cl.value("topic-partitions"))) {
      std::smatch m;
      if (!std::regex_match(spec, m, form)) throw UsageError("Invalid topic-partition pattern: " + spec);
      Filter f;
      if (!m[1].str().empty()) f.topic = topic_regex(m[1]);
      if (m[2].matched && !m[2].str().empty()) {
        f.lo = std::stoi(m[2]);
        f.hi = f.lo + 1;
      } else if (m[3].matched || m[4].matched) {
        if (!m[3].str().empty()) f.lo = std::stoi(m[3]);
        if (!m[4].str().empty()) f.hi = std::stoi(m[4]);
      }
      filters.push_back(std::move(f));
    }
    return filters;
  }
  Filter f;
  if (cl.has("topic")) f.topic = topic_regex(cl.value("topic"));
  for (const std::string& p : split_list(cl.value("partitions"))) {
    try {
      size_t used = 0;
      const int32_t id = std::stoi(p, &used);
      if (used != p.size() || id < 0) throw std::invalid_argument(p);
      f.only.insert(id);
    } catch (const std::logic_error&) {
      throw UsageError("--partitions expects a comma separated list of numeric partition ids, but received: " +
                       cl.value("partitions"));
    }
  }
  filters.push_back(std::move(f));
  return filters;
}

OffsetSpec spec_of(const std::string& time) {
  if (time == "latest" || time == "-1") return OffsetSpec::latest();
  if (time == "earliest" || time == "-2") return OffsetSpec::earliest();
  if (time == "max-timestamp" || time == "-3") return OffsetSpec::max_timestamp();
  if (time == "earliest-local" || time == "-4") return OffsetSpec{-4};
  if (time == "latest-tiered" || time == "-5") return OffsetSpec{-5};
  try {
    size_t used = 0;
    const int64_t ms = std::stoll(time, &used);
    if (used == time.size() && ms >= 0) return OffsetSpec::for_timestamp(ms);
  } catch (const std::logic_error&) {
  }
  throw UsageError("Malformed time argument " + time +
                   ". Please use -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or "
                   "latest-tiered, or a specified long format timestamp");
}

}  // namespace

int run_get_offsets(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommandLine cl(
      "An interactive shell for getting topic-partition offsets.",
      {
          {"bootstrap-server", Arg::required, "REQUIRED. The server(s) to connect to in the form HOST1:PORT1,HOST2:PORT2.",
           "HOST1:PORT1,...,HOST3:PORT3"},
          {"topic-partitions", Arg::required,
           "Comma separated list of topic-partition patterns to get the offsets for, with the format of "
           "'([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?'. The first group is an optional regex for the topic "
           "name, if omitted, it matches any topic name. The section after ':' describes a 'partition' pattern, which "
           "can be: a number, a range in the format of 'NUMBER-NUMBER' (lower inclusive, upper exclusive), an "
           "inclusive lower bound in the format of 'NUMBER-', an exclusive upper bound in the format of '-NUMBER' or "
           "may be omitted to accept all partitions.",
           "topic1:1,topic2:0-3,topic3,topic4:5-,topic5:-3"},
          {"topic", Arg::required,
           "The topic to get the offsets for. It also accepts a regular expression. If not present, all authorized "
           "topics are queried. Cannot be used if --topic-partitions is present.",
           "topic"},
          {"partitions", Arg::required,
           "Comma separated list of partition ids to get the offsets for. If not present, all partitions of the "
           "authorized topics are queried. Cannot be used if --topic-partitions is present.",
           "partition ids"},
          {"time", Arg::required,
           "timestamp of the offsets before that. [Note: No offset is returned, if the timestamp greater than "
           "recently committed record timestamp is given.] (default: latest)",
           "<timestamp> / -1 or latest / -2 or earliest / -3 or max-timestamp"},
          {"command-config", Arg::required, "Property file containing configs to be passed to Admin Client.",
           "config file"},
          {"exclude-internal-topics", Arg::none,
           "By default, internal topics are included. If specified, internal topics are excluded."},
      });
  if (auto stop = cl.parse(args, out, err)) return stop->exit_code;
  if (!cl.has("bootstrap-server")) {
    err << "Missing required argument \"[bootstrap-server]\"\n";
    return 1;
  }
  if (cl.has("topic-partitions") && (cl.has("topic") || cl.has("partitions"))) {
    err << "--topic-partitions cannot be used with --topic or --partitions\n";
    return 1;
  }
  try {
    const std::vector<Filter> filters = filters_of(cl);
    const OffsetSpec spec = spec_of(cl.value("time", "latest"));
    Properties props = client_properties(cl);
    Admin admin(props);
    ListTopicsOptions listing;
    listing.list_internal = !cl.has("exclude-internal-topics");
    std::vector<std::string> topics;
    for (const auto& [name, l] : admin.list_topics(listing)) topics.push_back(name);
    std::map<TopicPartition, OffsetSpec> request;
    for (const auto& [name, d] : admin.describe_topics(topics)) {
      if (!d.ok()) continue;
      for (const TopicPartitionInfo& p : d.get().partitions) {
        for (const Filter& f : filters) {
          if (f.matches(name, p.partition)) request[{name, p.partition}] = spec;
        }
      }
    }
    if (request.empty()) {
      err << "Could not match any topic-partitions with the specified filters\n";
      return 1;
    }
    for (const auto& [tp, result] : admin.list_offsets(request)) {
      const int64_t offset = result.get().offset;
      out << tp.topic << ':' << tp.partition << ':' << (offset >= 0 ? std::to_string(offset) : "") << '\n';
    }
  } catch (const UsageError& e) {
    err << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    err << "Error occurred: " << e.what() << '\n';
    return 1;
  }
  return 0;
}

}  // namespace gregor::tools
