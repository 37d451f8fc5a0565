#include "tools/consumer_perf_test.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>

#include "gregor/consumer.h"
#include "tools/command_line.h"

namespace gregor::tools {

namespace {

using Arg = OptionSpec::Arg;
using namespace std::chrono_literals;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Java's SimpleDateFormat for the letters Kafka's default (yyyy-MM-dd HH:mm:ss:SSS) uses, in
// local time; other characters are copied.
std::string format_date(const std::string& pattern, int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  std::string out;
  for (size_t i = 0; i < pattern.size();) {
    size_t n = 1;
    while (i + n < pattern.size() && pattern[i + n] == pattern[i]) ++n;
    auto pad = [&](long v, size_t width) {
      std::string s = std::to_string(v);
      out += std::string(s.size() < width ? width - s.size() : 0, '0') + s;
    };
    switch (pattern[i]) {
      case 'y': pad(tm.tm_year + 1900, n); break;
      case 'M': pad(tm.tm_mon + 1, n); break;
      case 'd': pad(tm.tm_mday, n); break;
      case 'H': pad(tm.tm_hour, n); break;
      case 'm': pad(tm.tm_min, n); break;
      case 's': pad(tm.tm_sec, n); break;
      case 'S': pad(ms % 1000, n); break;
      default: out.append(n, pattern[i]);
    }
    i += n;
  }
  return out;
}

// Java's %.4f, which prints NaN and Infinity for the undefined rates of an empty run.
std::string f4(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

constexpr double kMB = 1024.0 * 1024.0;

// Times the rebalances: from a revocation (or the subscription) to the next assignment.
class JoinTimer : public ConsumerRebalanceListener {
 public:
  explicit JoinTimer(int64_t start) : join_start_(start) {}
  void onPartitionsRevoked(const std::set<TopicPartition>&) override { join_start_ = now_ms(); }
  void onPartitionsAssigned(const std::set<TopicPartition>&) override {
    const int64_t spent = now_ms() - join_start_;
    join_ms += spent;
    round_ms += spent;
  }
  int64_t join_ms = 0;   // all rebalances
  int64_t round_ms = 0;  // since the last progress line

 private:
  int64_t join_start_;
};

}  // namespace

int run_consumer_perf_test(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommandLine cl(
      "This tool is used to verify the consumer performance.",
      {
          {"bootstrap-server", Arg::required, "REQUIRED. The server(s) to connect to.", "server to connect to"},
          {"topic", Arg::required, "REQUIRED: The topic to consume from.", "topic"},
          {"group", Arg::required, "The group id to consume on.", "gid"},
          {"fetch-size", Arg::required, "The amount of data to fetch in a single request.", "size"},
          {"from-latest", Arg::none,
           "If the consumer does not already have an established offset to consume from, start with the latest "
           "message present in the log rather than the earliest message."},
          {"socket-buffer-size", Arg::required, "The size of the tcp RECV size.", "size"},
          {"consumer.config", Arg::required, "Consumer config properties file.", "config file"},
          {"print-metrics", Arg::none, "Print out the metrics."},
          {"show-detailed-stats", Arg::none,
           "If set, stats are reported for each reporting interval as configured by reporting-interval"},
          {"reporting-interval", Arg::required, "Interval in milliseconds at which to print progress info.",
           "interval_ms"},
          {"timeout", Arg::required, "The maximum allowed time in milliseconds between returned records.",
           "milliseconds"},
          {"hide-header", Arg::none, "If set, skips printing the header for the stats"},
          {"messages", Arg::required, "REQUIRED: The number of messages to consume.", "count"},
          {"date-format", Arg::required,
           "The date format to use for formatting the time field. See java.text.SimpleDateFormat for options.",
           "date format"},
      });
  if (auto stop = cl.parse(args, out, err)) return stop->exit_code;
  if (!cl.require({"bootstrap-server", "topic", "messages"}, err)) return 1;
  if (cl.has("print-metrics")) {
    err << "--print-metrics is not supported: the client keeps no metrics\n";
    return 1;
  }
  auto fetch_size = cl.int_value("fetch-size", 1024 * 1024, err);
  auto socket_buffer = cl.int_value("socket-buffer-size", 2 * 1024 * 1024, err);
  auto reporting_interval = cl.int_value("reporting-interval", 5000, err);
  if (!fetch_size || !socket_buffer || !reporting_interval) return 1;
  int64_t messages = 0, timeout_ms = 10000;
  for (auto [name, into] : {std::pair{"messages", &messages}, std::pair{"timeout", &timeout_ms}}) {
    if (!cl.has(name)) continue;
    try {
      size_t used = 0;
      *into = std::stoll(cl.value(name), &used);
      if (used != cl.value(name).size()) throw std::invalid_argument(name);
    } catch (const std::exception&) {
      err << "Cannot parse argument '" << cl.value(name) << "' of option " << name << '\n';
      return 1;
    }
  }
  if (*reporting_interval <= 0) {
    err << "Reporting interval must be greater than 0.\n";
    return 1;
  }
  const std::string date_format = cl.value("date-format", "yyyy-MM-dd HH:mm:ss:SSS");

  Properties props;
  try {
    if (cl.has("consumer.config")) props = load_properties(cl.value("consumer.config"));
  } catch (const std::exception& e) {
    err << e.what() << '\n';
    return 1;
  }
  props["bootstrap.servers"] = cl.value("bootstrap-server");
  if (cl.has("group")) {
    props["group.id"] = cl.value("group");
  } else if (!props.count("group.id")) {
    std::random_device rd;
    props["group.id"] = "perf-consumer-" + std::to_string(std::uniform_int_distribution<int>(0, 99999)(rd));
  }
  props["receive.buffer.bytes"] = std::to_string(*socket_buffer);
  props["max.partition.fetch.bytes"] = std::to_string(*fetch_size);
  props["auto.offset.reset"] = cl.has("from-latest") ? "latest" : "earliest";
  props.erase("key.deserializer");
  props.erase("value.deserializer");
  if (!props.count("client.id")) props["client.id"] = "perf-consumer-client";
  const bool detailed = cl.has("show-detailed-stats");

  if (!cl.has("hide-header"))
    out << (detailed ? "time, threadId" : "start.time, end.time")
        << ", data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, "
           "fetch.MB.sec, fetch.nMsg.sec\n";
  int64_t read = 0, bytes = 0;
  int64_t start = 0, end = 0;
  std::shared_ptr<JoinTimer> timer;
  try {
    ByteConsumer consumer(props);
    start = now_ms();
    timer = std::make_shared<JoinTimer>(start);
    consumer.subscribe(std::vector<std::string>{cl.value("topic")}, timer);
    int64_t last_consumed = start, current = start, last_report = start;
    int64_t last_bytes = 0, last_read = 0;
    while (read < messages && current - last_consumed <= timeout_ms) {
      auto records = consumer.poll(100ms);
      current = now_ms();
      if (!records.empty()) last_consumed = current;
      for (const auto& r : records) {
        ++read;
        if (r.key) bytes += static_cast<int64_t>(r.key->size());
        if (r.value) bytes += static_cast<int64_t>(r.value->size());
        if (current - last_report >= *reporting_interval) {
          if (detailed) {
            const double elapsed = static_cast<double>(current - last_report);
            const double interval_mb = static_cast<double>(bytes - last_bytes) / kMB;
            const double fetch_ms = elapsed - static_cast<double>(timer->round_ms);
            out << format_date(date_format, current) << ", 0, " << f4(static_cast<double>(bytes) / kMB) << ", "
                << f4(1000.0 * interval_mb / elapsed) << ", " << read << ", "
                << f4(static_cast<double>(read - last_read) / elapsed * 1000.0) << ", " << timer->round_ms << ", "
                << static_cast<int64_t>(fetch_ms) << ", " << f4(1000.0 * interval_mb / fetch_ms) << ", "
                << f4(1000.0 * static_cast<double>(read - last_read) / fetch_ms) << '\n';
            timer->round_ms = 0;
          }
          last_report = current;
          last_bytes = bytes;
          last_read = read;
        }
      }
    }
    end = now_ms();
    if (read < messages)
      out << "WARNING: Exiting before consuming the expected number of messages: timeout (" << timeout_ms
          << " ms) exceeded. You can use the --timeout option to increase the timeout.\n";
    consumer.close();
  } catch (const std::exception& e) {
    err << e.what() << '\n';
    return 1;
  }
  if (!detailed) {
    const double mb = static_cast<double>(bytes) / kMB;
    const double elapsed_sec = static_cast<double>(end - start) / 1000.0;
    const int64_t fetch_ms = (end - start) - timer->join_ms;
    out << format_date(date_format, start) << ", " << format_date(date_format, end) << ", " << f4(mb) << ", "
        << f4(mb / elapsed_sec) << ", " << read << ", " << f4(static_cast<double>(read) / elapsed_sec) << ", "
        << timer->join_ms << ", " << fetch_ms << ", " << f4(mb / (static_cast<double>(fetch_ms) / 1000.0)) << ", "
        << f4(static_cast<double>(read) / (static_cast<double>(fetch_ms) / 1000.0)) << '\n';
  }
  return 0;
}

}  // namespace gregor::tools
