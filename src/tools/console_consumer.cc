#include "tools/console_consumer.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <random>
#include <regex>

#include "gregor/consumer.h"
#include "tools/command_line.h"

namespace gregor::tools {

namespace {

using Arg = OptionSpec::Arg;
using namespace std::chrono_literals;

// The signal that asked the tool to stop, or 0.
std::atomic<int> stop_requested{0};
extern "C" void request_stop(int sig) { stop_requested = sig; }

// Kafka's DefaultMessageFormatter, with its properties and defaults.
class MessageFormatter {
 public:
  explicit MessageFormatter(const std::map<std::string, std::string>& props) {
    auto flag = [&](const char* name, bool fallback) {
      auto it = props.find(name);
      if (it == props.end()) return fallback;
      std::string v = it->second;
      for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return v == "true";
    };
    auto text = [&](const char* name, const std::string& fallback) {
      auto it = props.find(name);
      return it == props.end() ? fallback : it->second;
    };
    timestamp_ = flag("print.timestamp", false);
    partition_ = flag("print.partition", false);
    offset_ = flag("print.offset", false);
    headers_ = flag("print.headers", false);
    key_ = flag("print.key", false);
    value_ = flag("print.value", true);
    key_separator_ = text("key.separator", "\t");
    line_separator_ = text("line.separator", "\n");
    headers_separator_ = text("headers.separator", ",");
    null_literal_ = text("null.literal", "null");
  }

  void write(const ByteRecord& r, std::ostream& out) const {
    // After each field: the key separator when another field follows, else the line separator.
    auto separator = [&](bool more) { out << (more ? key_separator_ : line_separator_); };
    if (timestamp_) {
      if (r.timestamp_type == TimestampType::no_timestamp_type)
        out << "NO_TIMESTAMP";
      else
        out << (r.timestamp_type == TimestampType::log_append_time ? "LogAppendTime:" : "CreateTime:") << r.timestamp;
      separator(partition_ || offset_ || headers_ || key_ || value_);
    }
    if (partition_) {
      out << "Partition:" << r.partition;
      separator(offset_ || headers_ || key_ || value_);
    }
    if (offset_) {
      out << "Offset:" << r.offset;
      separator(headers_ || key_ || value_);
    }
    if (headers_) {
      if (r.headers.empty()) out << "NO_HEADERS";
      for (size_t i = 0; i < r.headers.size(); ++i) {
        if (i) out << headers_separator_;
        out << r.headers[i].key << ':';
        bytes(r.headers[i].value, out);
      }
      separator(key_ || value_);
    }
    if (key_) {
      bytes(r.key, out);
      separator(value_);
    }
    if (value_) {
      bytes(r.value, out);
      out << line_separator_;
    }
  }

 private:
  void bytes(const std::optional<Bytes>& b, std::ostream& out) const {
    if (!b) out << null_literal_;
    else out.write(reinterpret_cast<const char*>(b->data()), static_cast<std::streamsize>(b->size()));
  }

  bool timestamp_, partition_, offset_, headers_, key_, value_;
  std::string key_separator_, line_separator_, headers_separator_, null_literal_;
};

// "k=v" options (--property, --consumer-property) into a map; false on one without '='.
bool parse_pairs(const std::vector<std::string>& items, std::map<std::string, std::string>& into, std::ostream& err) {
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) {
      err << "Invalid command line properties: " << item << '\n';
      return false;
    }
    into[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return true;
}

// How Kafka's tool reports the error that ends it (log4j's line, then the exception).
void report_error(std::ostream& err, const std::string& what) {
  err << "ERROR Error processing message, terminating consumer process:  "
         "(org.apache.kafka.tools.consumer.ConsoleConsumer)\n"
      << what << '\n';
}

}  // namespace

int run_console_consumer(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommandLine cl(
      "This tool helps to read data from Kafka topics and outputs it to standard output.",
      {
          {"bootstrap-server", Arg::required, "REQUIRED: The server(s) to connect to.", "server to connect to"},
          {"topic", Arg::required, "The topic to consume on.", "topic"},
          {"include", Arg::required,
           "Regular expression specifying list of topics to include for consumption.", "Java regex (String)"},
          {"partition", Arg::required,
           "The partition to consume from. Consumption starts from the end of the partition unless '--offset' is "
           "specified.",
           "partition"},
          {"offset", Arg::required,
           "The offset to consume from (a non-negative number), or 'earliest' which means from beginning, or "
           "'latest' which means from end",
           "consume offset"},
          {"consumer-property", Arg::required,
           "A mechanism to pass user-defined properties in the form key=value to the consumer.", "consumer_prop"},
          {"consumer.config", Arg::required,
           "Consumer config properties file. Note that [consumer-property] takes precedence over this config.",
           "config file"},
          {"formatter", Arg::required, "The name of a class to use for formatting kafka messages for display.",
           "class"},
          {"formatter-config", Arg::required, "Config properties file to initialize the message formatter.",
           "config file"},
          {"property", Arg::required,
           "The properties to initialize the message formatter. Default properties include: print.timestamp, "
           "print.key, print.offset, print.partition, print.headers, print.value, key.separator, line.separator, "
           "headers.separator, null.literal",
           "prop"},
          {"from-beginning", Arg::none,
           "If the consumer does not already have an established offset to consume from, start with the earliest "
           "message present in the log rather than the latest message."},
          {"max-messages", Arg::required,
           "The maximum number of messages to consume before exiting. If not set, consumption is continual.",
           "num_messages"},
          {"timeout-ms", Arg::required, "If specified, exit if no message is available for consumption for the "
                                        "specified interval.",
           "timeout_ms"},
          {"skip-message-on-error", Arg::none,
           "If there is an error when processing a message, skip it instead of halt."},
          {"isolation-level", Arg::required,
           "Set to read_committed in order to filter out transactional messages which are not committed. Set to "
           "read_uncommitted to read all messages.",
           "isolation-level"},
          {"group", Arg::required, "The consumer group id of the consumer.", "consumer group id"},
      });
  if (auto stop = cl.parse(args, out, err)) return stop->exit_code;
  if (!cl.require({"bootstrap-server"}, err)) return 1;
  if (cl.has("topic") == cl.has("include")) {
    err << "Exactly one of --include/--topic is required. \n";
    return 1;
  }
  if (cl.has("partition") && !cl.has("topic")) {
    err << "The topic is required when partition is specified.\n";
    return 1;
  }
  if (cl.has("offset") && !cl.has("partition")) {
    err << "The partition is required when offset is specified.\n";
    return 1;
  }
  if (cl.has("from-beginning") && cl.has("offset")) {
    err << "Options from-beginning and offset cannot be specified together.\n";
    return 1;
  }
  if (cl.has("group") && cl.has("partition")) {
    err << "Options group and partition cannot be specified together.\n";
    return 1;
  }
  const std::string formatter = cl.value("formatter", "org.apache.kafka.tools.consumer.DefaultMessageFormatter");
  if (formatter != "org.apache.kafka.tools.consumer.DefaultMessageFormatter" &&
      formatter != "kafka.tools.DefaultMessageFormatter") {
    err << "The formatter " << formatter << " is not supported: only the DefaultMessageFormatter is\n";
    return 1;
  }
  auto max_messages = cl.int_value("max-messages", -1, err);
  auto timeout_ms = cl.int_value("timeout-ms", -1, err);
  auto partition = cl.int_value("partition", -1, err);
  if (!max_messages || !timeout_ms || !partition) return 1;
  // --offset: earliest (-2), latest (-1) or a position; without it, where --from-beginning says.
  int64_t offset = cl.has("from-beginning") ? -2 : -1;
  if (cl.has("offset")) {
    std::string o = cl.value("offset");
    for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (o == "earliest") {
      offset = -2;
    } else if (o == "latest") {
      offset = -1;
    } else {
      try {
        size_t used = 0;
        offset = std::stoll(o, &used);
        if (used != o.size() || offset < 0) throw std::invalid_argument(o);
      } catch (const std::exception&) {
        err << "The provided offset value '" << cl.value("offset")
            << "' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.\n";
        return 1;
      }
    }
  }

  std::map<std::string, std::string> formatter_props;
  std::map<std::string, std::string> consumer_props;
  try {
    if (cl.has("formatter-config")) formatter_props = load_properties(cl.value("formatter-config"));
    if (cl.has("consumer.config")) consumer_props = load_properties(cl.value("consumer.config"));
  } catch (const std::exception& e) {
    err << e.what() << '\n';
    return 1;
  }
  if (!parse_pairs(cl.values("property"), formatter_props, err) ||
      !parse_pairs(cl.values("consumer-property"), consumer_props, err))
    return 1;
  consumer_props["bootstrap.servers"] = cl.value("bootstrap-server");
  consumer_props.erase("key.deserializer");
  consumer_props.erase("value.deserializer");
  if (cl.has("isolation-level")) consumer_props["isolation.level"] = cl.value("isolation-level");
  if (cl.has("group")) {
    if (consumer_props.count("group.id") && consumer_props["group.id"] != cl.value("group")) {
      err << "Group id mismatch: the group id given with --group is " << cl.value("group")
          << " while the one in the consumer properties is " << consumer_props["group.id"] << '\n';
      return 1;
    }
    consumer_props["group.id"] = cl.value("group");
  } else if (!consumer_props.count("group.id")) {
    // A group of its own, not meant to be used again: nothing committed unless asked for.
    std::random_device rd;
    consumer_props["group.id"] = "console-consumer-" + std::to_string(std::uniform_int_distribution<int>(0, 99999)(rd));
    if (!consumer_props.count("enable.auto.commit")) consumer_props["enable.auto.commit"] = "false";
  }
  const std::string reset = cl.has("from-beginning") ? "earliest" : "latest";
  if (consumer_props.count("auto.offset.reset") && cl.has("from-beginning") &&
      consumer_props["auto.offset.reset"] != reset) {
    err << "Can't simultaneously specify --from-beginning and 'auto.offset.reset=" << consumer_props["auto.offset.reset"]
        << "'\n";
    return 1;
  }
  if (!consumer_props.count("auto.offset.reset")) consumer_props["auto.offset.reset"] = reset;

  MessageFormatter format(formatter_props);
  int64_t count = 0;
  stop_requested = 0;
  auto old_int = std::signal(SIGINT, request_stop);
  auto old_term = std::signal(SIGTERM, request_stop);
  auto restore = [&] {
    std::signal(SIGINT, old_int);
    std::signal(SIGTERM, old_term);
  };
  int status = 0;
  try {
    ByteConsumer consumer(consumer_props);
    if (cl.has("partition")) {
      TopicPartition tp{cl.value("topic"), *partition};
      consumer.assign({tp});
      if (offset == -2) consumer.seekToBeginning({tp});
      else if (offset == -1) consumer.seekToEnd({tp});
      else consumer.seek(tp, offset);
    } else if (cl.has("topic")) {
      consumer.subscribe(std::vector<std::string>{cl.value("topic")});
    } else {
      consumer.subscribe(std::regex(cl.value("include")));
    }
    // Polls in short slices so that a signal ends the loop promptly.
    auto last_record = std::chrono::steady_clock::now();
    while ((*max_messages < 0 || count < *max_messages) && !stop_requested) {
      ConsumerRecords<Bytes, Bytes> records;
      try {
        records = consumer.poll(200ms);
      } catch (const std::exception& e) {
        report_error(err, e.what());
        break;
      }
      if (records.empty()) {
        if (*timeout_ms >= 0 && std::chrono::steady_clock::now() - last_record >= std::chrono::milliseconds(*timeout_ms)) {
          report_error(err, "org.apache.kafka.common.errors.TimeoutException");
          break;
        }
        continue;
      }
      last_record = std::chrono::steady_clock::now();
      std::map<TopicPartition, int64_t> unprinted;
      for (const auto& r : records) {
        if (*max_messages >= 0 && count >= *max_messages) {
          unprinted.try_emplace({r.topic, r.partition}, r.offset);
          continue;
        }
        ++count;
        format.write(r, out);
      }
      // What was not printed is where the group (and its commit on close) stays.
      for (const auto& [tp, o] : unprinted) consumer.seek(tp, o);
      out.flush();
    }
    consumer.close();
  } catch (const std::exception& e) {
    report_error(err, e.what());
    status = 1;
  }
  restore();
  err << "Processed a total of " << count << " messages\n";
  // Stopped by a signal, the exit status is the JVM's after its shutdown hooks: 128 + the signal.
  if (status == 0 && stop_requested != 0) return 128 + stop_requested;
  return status;
}

}  // namespace gregor::tools
