#include "tools/producer_perf_test.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "gregor/producer.h"
#include "tools/command_line.h"
#include "tools/console_producer.h"

namespace gregor::tools {

namespace {

using Arg = OptionSpec::Arg;

constexpr const char* kProgram = "producer-performance";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A double as Java's Formatter prints it with the given precision ("Infinity" and "NaN" too).
std::string java_fixed(double value, int precision) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, value);
  return buf;
}

// Kafka's ProducerPerformance.Stats: totals, a 5-second window, and every sampling-th latency
// kept for the percentiles.
class Stats {
 public:
  Stats(int64_t num_records, std::ostream& out)
      : start_(now_ms()),
        window_start_(start_),
        sampling_(num_records / std::min<int64_t>(num_records, 500000)),
        latencies_(static_cast<size_t>(num_records / sampling_ + 1)),
        out_(out) {}

  void record(int latency, int bytes, int64_t time) {
    std::lock_guard lock(mutex_);
    ++count_;
    bytes_ += bytes;
    total_latency_ += latency;
    max_latency_ = std::max(max_latency_, latency);
    ++window_count_;
    window_bytes_ += bytes;
    window_total_latency_ += latency;
    window_max_latency_ = std::max(window_max_latency_, latency);
    if (iteration_ % sampling_ == 0 && index_ < latencies_.size()) latencies_[index_++] = latency;
    if (time - window_start_ >= kReportingIntervalMs) {
      print_window();
      window_start_ = now_ms();
      window_count_ = 0;
      window_max_latency_ = 0;
      window_total_latency_ = 0;
      window_bytes_ = 0;
    }
    ++iteration_;
  }

  void print_total() {
    std::lock_guard lock(mutex_);
    const double elapsed = static_cast<double>(now_ms() - start_);
    const size_t size = std::min(index_, latencies_.size());
    std::sort(latencies_.begin(), latencies_.begin() + static_cast<std::ptrdiff_t>(size));
    auto percentile = [&](double p) { return latencies_[static_cast<size_t>(p * static_cast<double>(size))]; };
    out_ << count_ << " records sent, " << java_fixed(1000.0 * static_cast<double>(count_) / elapsed, 6)
         << " records/sec (" << java_fixed(1000.0 * static_cast<double>(bytes_) / elapsed / (1024.0 * 1024.0), 2)
         << " MB/sec), " << java_fixed(static_cast<double>(total_latency_) / static_cast<double>(count_), 2)
         << " ms avg latency, " << java_fixed(max_latency_, 2) << " ms max latency, " << percentile(0.5)
         << " ms 50th, " << percentile(0.95) << " ms 95th, " << percentile(0.99) << " ms 99th, "
         << percentile(0.999) << " ms 99.9th.\n"
         << std::flush;
  }

 private:
  static constexpr int64_t kReportingIntervalMs = 5000;

  void print_window() {
    const double elapsed = static_cast<double>(now_ms() - window_start_);
    out_ << window_count_ << " records sent, "
         << java_fixed(1000.0 * static_cast<double>(window_count_) / elapsed, 1) << " records/sec ("
         << java_fixed(1000.0 * static_cast<double>(window_bytes_) / elapsed / (1024.0 * 1024.0), 2) << " MB/sec), "
         << java_fixed(static_cast<double>(window_total_latency_) / static_cast<double>(window_count_), 1)
         << " ms avg latency, " << java_fixed(window_max_latency_, 1) << " ms max latency.\n"
         << std::flush;
  }

  std::mutex mutex_;
  const int64_t start_;
  int64_t window_start_;
  const int64_t sampling_;
  std::vector<int> latencies_;
  std::ostream& out_;
  int64_t iteration_ = 0;
  size_t index_ = 0;
  int64_t count_ = 0;
  int64_t bytes_ = 0;
  int max_latency_ = 0;
  int64_t total_latency_ = 0;
  int64_t window_count_ = 0;
  int window_max_latency_ = 0;
  int64_t window_total_latency_ = 0;
  int64_t window_bytes_ = 0;
};

std::vector<OptionSpec> perf_options() {
  return {
      {"topic", Arg::required, "produce messages to this topic", "TOPIC"},
      {"num-records", Arg::required, "number of messages to produce", "NUM-RECORDS"},
      {"record-size", Arg::required,
       "message size in bytes. Note that you must provide exactly one of --record-size or --payload-file or "
       "--payload-monotonic.",
       "RECORD-SIZE"},
      {"payload-file", Arg::required,
       "file to read the message payloads from. This works only for UTF-8 encoded text files. Payloads will be read "
       "from this file and a payload will be randomly selected when sending messages. Note that you must provide "
       "exactly one of --record-size or --payload-file or --payload-monotonic.",
       "PAYLOAD-FILE"},
      {"payload-monotonic", Arg::none,
       "payload is monotonically increasing integer. Note that you must provide exactly one of --record-size or "
       "--payload-file or --payload-monotonic."},
      {"payload-delimiter", Arg::required,
       "provides delimiter to be used when --payload-file is provided. Defaults to new line. Note that this parameter "
       "will be ignored if --payload-file is not provided. (default: \\n)",
       "PAYLOAD-DELIMITER"},
      {"throughput", Arg::required,
       "throttle maximum message throughput to *approximately* THROUGHPUT messages/sec. Set this to -1 to disable "
       "throttling.",
       "THROUGHPUT"},
      {"producer-props", Arg::required,
       "kafka producer related configuration properties like bootstrap.servers,client.id etc. These configs take "
       "precedence over those passed via --producer.config.",
       "PROP-NAME=PROP-VALUE"},
      {"producer.config", Arg::required, "producer config properties file.", "CONFIG-FILE"},
      {"print-metrics", Arg::none, "print out metrics at the end of the test. (not supported: no producer metrics)"},
      {"transactional-id", Arg::required, "The transactional id to use. (not supported: no transactions)",
       "TRANSACTIONAL-ID"},
      {"transaction-duration-ms", Arg::required,
       "The max age of each transaction. (not supported: no transactions)", "TRANSACTION-DURATION"},
  };
}

// argparse4j's --producer-props takes every value up to the next option; CommandLine takes one
// value a flag, so each value becomes a flag of its own.
std::vector<std::string> spread_producer_props(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    out.push_back(args[i]);
    if (args[i] != "--producer-props") continue;
    if (i + 1 < args.size() && args[i + 1].rfind("-", 0) != 0) {
      out.push_back(args[++i]);
      while (i + 1 < args.size() && args[i + 1].rfind("-", 0) != 0) {
        out.push_back("--producer-props");
        out.push_back(args[++i]);
      }
    }
  }
  return out;
}

struct Failure {
  std::string message;
};

template <typename T>
T number(const CommandLine& cl, const std::string& name, const char* type) {
  const std::string text = cl.value(name);
  T parsed{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    throw Failure{"argument --" + name + ": could not convert '" + text + "' to " + type};
  }
  return parsed;
}

// Kafka's readPayloadFile: the file split by the delimiter (a regular expression, as Java's
// Scanner takes it), a trailing empty payload dropped.
std::vector<Bytes> read_payload_file(const std::string& path, const std::string& delimiter, std::ostream& out) {
  out << "Reading payloads from: " << std::filesystem::absolute(path).string() << '\n';
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string contents = text.str();
  if (!in || contents.empty()) {
    throw Failure{"Exception in thread \"main\" java.lang.IllegalArgumentException: File does not exist or empty "
                  "file provided."};
  }
  std::vector<Bytes> payloads;
  const std::regex separator(delimiter);
  size_t start = 0;
  for (auto it = std::sregex_iterator(contents.begin(), contents.end(), separator); it != std::sregex_iterator();
       ++it) {
    if (it->length() == 0) continue;
    const size_t at = static_cast<size_t>(it->position());
    payloads.emplace_back(contents.begin() + static_cast<std::ptrdiff_t>(start),
                          contents.begin() + static_cast<std::ptrdiff_t>(at));
    start = at + static_cast<size_t>(it->length());
  }
  if (start < contents.size()) payloads.emplace_back(contents.begin() + static_cast<std::ptrdiff_t>(start), contents.end());
  out << "Number of messages read: " << payloads.size() << '\n';
  return payloads;
}

}  // namespace

ThroughputThrottler::ThroughputThrottler(double target_per_sec, int64_t start_ms)
    : start_ms_(start_ms),
      target_(target_per_sec),
      sleep_time_ns_(target_per_sec > 0 ? static_cast<int64_t>(1e9 / target_per_sec) : INT64_MAX) {}

bool ThroughputThrottler::should_throttle(int64_t amount_so_far, int64_t send_start_ms) const {
  if (target_ < 0) return false;
  const float elapsed_sec = static_cast<float>(send_start_ms - start_ms_) / 1000.f;
  return elapsed_sec > 0 && static_cast<double>(amount_so_far) / elapsed_sec > target_;
}

void ThroughputThrottler::throttle() {
  if (target_ == 0) {
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  }
  // Sleep, on average, 1/target seconds between records, in steps of at least 2 ms.
  constexpr int64_t kMinSleepNs = 2'000'000;
  sleep_deficit_ns_ += sleep_time_ns_;
  if (sleep_deficit_ns_ >= kMinSleepNs) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(sleep_deficit_ns_);
    std::this_thread::sleep_until(until);
    sleep_deficit_ns_ = 0;
  }
}

int run_producer_perf_test(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommandLine cl(
      "This tool is used to verify the producer performance. To enable transactions, you can specify a transaction "
      "id or set a transaction duration using --transaction-duration-ms. (Gregor's producer has no transactions.)",
      perf_options());
  if (args.empty()) {  // argparse4j prints the help and exits 0
    cl.print_usage(out);
    return 0;
  }
  std::ostringstream parse_err;
  if (auto stop = cl.parse(spread_producer_props(args), out, parse_err)) {
    if (stop->exit_code != 0) err << kProgram << ": error: " << parse_err.str();
    return stop->exit_code;
  }

  try {
    for (const char* required : {"topic", "num-records", "throughput"}) {
      if (!cl.has(required)) throw Failure{std::string("argument --") + required + " is required"};
    }
    const char* payload_options[] = {"record-size", "payload-file", "payload-monotonic"};
    std::vector<std::string> given;
    for (const char* o : payload_options) {
      if (cl.has(o)) given.push_back(o);
    }
    if (given.empty()) {
      throw Failure{"one of the following arguments is required: --record-size, --payload-file, --payload-monotonic"};
    }
    if (given.size() > 1) throw Failure{"argument --" + given[1] + ": not allowed with argument --" + given[0]};
    const int64_t num_records = number<int64_t>(cl, "num-records", "Long");
    const double throughput = number<double>(cl, "throughput", "Double");
    std::optional<int32_t> record_size;
    if (cl.has("record-size")) record_size = number<int32_t>(cl, "record-size", "Integer");
    if (cl.has("transaction-duration-ms")) number<int64_t>(cl, "transaction-duration-ms", "Long");
    if (num_records <= 0) throw Failure{"--num-records should be greater than zero"};
    if (record_size && *record_size <= 0) throw Failure{"--record-size should be greater than zero"};
    if (!cl.has("producer-props") && !cl.has("producer.config")) {
      throw Failure{"Either --producer-props or --producer.config must be specified."};
    }
    if (cl.has("print-metrics")) throw Failure{"--print-metrics is not supported: Gregor's producer keeps no metrics"};

    Properties props;
    if (cl.has("producer.config")) props = load_properties(cl.value("producer.config"));
    for (const std::string& prop : cl.values("producer-props")) {
      const size_t eq = prop.find('=');
      // Kafka splits at every '=' and wants exactly two pieces.
      if (eq == std::string::npos || eq == 0 || eq + 1 == prop.size() || prop.find('=', eq + 1) != std::string::npos) {
        throw Failure{"Exception in thread \"main\" java.lang.IllegalArgumentException: Invalid property: " + prop};
      }
      props[prop.substr(0, eq)] = prop.substr(eq + 1);
    }
    if (cl.has("transactional-id") || cl.has("transaction-duration-ms") || props.count("transactional.id")) {
      throw Failure{"transactions are not supported: Gregor's producer has no transactions"};
    }
    props["key.serializer"] = "org.apache.kafka.common.serialization.ByteArraySerializer";
    props["value.serializer"] = "org.apache.kafka.common.serialization.ByteArraySerializer";
    if (!props.count("client.id")) props["client.id"] = "perf-producer-client";

    std::string delimiter = cl.value("payload-delimiter", "\\n");
    if (delimiter == "\\n") delimiter = "\n";
    std::vector<Bytes> payloads;
    if (cl.has("payload-file")) payloads = read_payload_file(cl.value("payload-file"), delimiter, out);

    const std::string topic = cl.value("topic");
    const bool monotonic = cl.has("payload-monotonic");
    std::optional<Producer<Bytes, Bytes>> producer;
    try {
      producer.emplace(props);
    } catch (const std::exception&) {
      throw Failure{"Exception in thread \"main\" " + java_exception_line(std::current_exception())};
    }
    std::mt19937_64 random(0);
    Bytes payload(record_size ? static_cast<size_t>(*record_size) : 0);
    Stats stats(num_records, out);
    std::mutex err_mutex;
    ThroughputThrottler throttler(throughput, now_ms());
    for (int64_t i = 0; i < num_records; ++i) {
      if (!payloads.empty()) {
        payload = payloads[std::uniform_int_distribution<size_t>(0, payloads.size() - 1)(random)];
      } else if (record_size) {
        std::uniform_int_distribution<int> letter('A', 'Z');
        for (uint8_t& b : payload) b = static_cast<uint8_t>(letter(random));
      } else if (monotonic) {
        const std::string text = std::to_string(i);
        payload.assign(text.begin(), text.end());
      }
      const int64_t send_start = now_ms();
      const int bytes = static_cast<int>(payload.size());
      // Only records that arrived count, as in Kafka; a failure prints its error.
      auto on_completion = [&stats, &err, &err_mutex, send_start, bytes](const RecordMetadata&, std::exception_ptr e) {
        const int64_t now = now_ms();
        if (!e) {
          stats.record(static_cast<int>(now - send_start), bytes, now);
          return;
        }
        std::lock_guard lock(err_mutex);
        err << java_exception_line(e) << '\n';
      };
      producer->send(ProducerRecord<Bytes, Bytes>(topic, std::nullopt, std::nullopt, payload), on_completion);
      if (throttler.should_throttle(i, send_start)) throttler.throttle();
    }
    producer->close();
    stats.print_total();
  } catch (const Failure& f) {
    const bool plain = f.message.rfind("Exception in thread", 0) == 0;
    err << (plain ? "" : std::string(kProgram) + ": error: ") << f.message << '\n';
    return 1;
  } catch (const std::exception&) {
    err << "Exception in thread \"main\" " << java_exception_line(std::current_exception()) << '\n';
    return 1;
  }
  return 0;
}

}  // namespace gregor::tools
