#include "tools/delete_records.h"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "gregor/admin.h"
#include "tools/command_line.h"

namespace gregor::tools {

namespace {

using Arg = OptionSpec::Arg;

// Kafka's offset JSON: {"partitions": [{"topic": T, "partition": P, "offset": O}, ...], "version": 1}.
// A small reader for that one shape: each object of the partitions array must have the three
// fields (in any order), and nothing else is looked at.
std::map<TopicPartition, int64_t> parse_offsets(const std::string& json) {
  static const std::regex version(R"re("version"\s*:\s*(-?\d+))re");
  std::smatch v;
  if (std::regex_search(json, v, version) && v[1] != "1") {
    throw UsageError("Not supported version field value " + v[1].str());
  }
  const size_t key = json.find("\"partitions\"");
  const size_t open = key == std::string::npos ? key : json.find('[', key);
  const size_t close = open == std::string::npos ? open : json.find(']', open);
  if (close == std::string::npos) throw UsageError("Missing partitions field");
  const std::string array = json.substr(open + 1, close - open - 1);
  static const std::regex object(R"(\{([^{}]*)\})");
  static const std::regex topic(R"re("topic"\s*:\s*"((?:[^"\\]|\\.)*)")re");
  static const std::regex partition(R"re("partition"\s*:\s*(-?\d+))re");
  static const std::regex offset(R"re("offset"\s*:\s*(-?\d+))re");
  std::map<TopicPartition, int64_t> offsets;
  std::set<TopicPartition> duplicates;
  for (auto it = std::sregex_iterator(array.begin(), array.end(), object); it != std::sregex_iterator(); ++it) {
    const std::string body = (*it)[1];
    std::smatch t, p, o;
    if (!std::regex_search(body, t, topic)) throw UsageError("Missing topic field");
    if (!std::regex_search(body, p, partition)) throw UsageError("Missing partition field");
    if (!std::regex_search(body, o, offset)) throw UsageError("Missing offset field");
    const TopicPartition tp{t[1], std::stoi(p[1])};
    if (offsets.count(tp)) duplicates.insert(tp);
    offsets[tp] = std::stoll(o[1]);
  }
  if (!duplicates.empty()) {
    std::string names;
    for (const TopicPartition& tp : duplicates) names += (names.empty() ? "" : ",") + tp.topic + "-" + std::to_string(tp.partition);
    throw UsageError("Offset json file contains duplicate topic partitions: " + names);
  }
  return offsets;
}

}  // namespace

int run_delete_records(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommandLine cl("This tool helps to delete records of the given partitions down to the specified offset.",
                 {
                     {"bootstrap-server", Arg::required, "REQUIRED: The server to connect to.", "server(s) to use for bootstrapping"},
                     {"offset-json-file", Arg::required,
                      "REQUIRED: The JSON file with offset per partition. The format to use is:\n{\"partitions\":\n  "
                      "[{\"topic\": \"foo\", \"partition\": 1, \"offset\": 1}],\n \"version\":1\n}",
                      "Offset json file path"},
                     {"command-config", Arg::required, "A property file containing configs to be passed to Admin Client.",
                      "command config property file path"},
                 });
  if (auto stop = cl.parse(args, out, err)) return stop->exit_code;
  if (!cl.require({"bootstrap-server", "offset-json-file"}, err)) return 1;
  try {
    std::ifstream in(cl.value("offset-json-file"));
    if (!in) throw UsageError(cl.value("offset-json-file") + " (No such file or directory)");
    std::stringstream json;
    json << in.rdbuf();
    const auto offsets = parse_offsets(json.str());
    Properties props = client_properties(cl);
    Admin admin(props);
    out << "Executing records delete operation\n";
    auto results = admin.delete_records(offsets);
    out << "Records delete operation completed:\n";
    for (const auto& [tp, r] : results) {
      out << "partition: " << tp.topic << '-' << tp.partition << '\t';
      try {
        const int64_t low_watermark = r.get().low_watermark;
        out << "low_watermark: " << low_watermark << '\n';
      } catch (const ApiException& e) {
        // ExecutionException.getMessage(): the cause's class and message.
        const std::string cls = e.name() == "OFFSET_OUT_OF_RANGE"           ? "OffsetOutOfRangeException"
                                : e.name() == "UNKNOWN_TOPIC_OR_PARTITION" ? "UnknownTopicOrPartitionException"
                                                                            : "ApiException";
        out << "error: org.apache.kafka.common.errors." << cls << ": " << e.what() << '\n';
      } catch (const std::exception& e) {
        out << "error: " << e.what() << '\n';
      }
    }
  } catch (const UsageError& e) {
    err << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    err << "Error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}

}  // namespace gregor::tools
