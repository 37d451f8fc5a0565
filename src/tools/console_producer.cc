#include "tools/console_producer.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <ctime>
#include <iostream>
#include <mutex>
#include <regex>

#include "tools/command_line.h"

namespace gregor::tools {

namespace {

using Arg = OptionSpec::Arg;

constexpr const char* kLineReader = "org.apache.kafka.tools.LineMessageReader";

bool is_true(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  const auto last = s.find_last_not_of(" \t\r\n");
  std::string t = first == std::string::npos ? "" : s.substr(first, last - first + 1);
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t == "true";
}

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

// "NOT_ENOUGH_REPLICAS" -> "NotEnoughReplicasException", as Kafka names the exception of an error
// code (INVALID_TOPIC_EXCEPTION -> InvalidTopicException).
std::string exception_class_of(std::string name) {
  const std::string suffix = "_EXCEPTION";
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    name.resize(name.size() - suffix.size());
  }
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? c : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    upper = false;
  }
  return out + "Exception";
}

// log4j's %d in Kafka's tools-log4j configuration: local time, "2025-03-18 10:31:07,042".
std::string log_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ",%03d", static_cast<int>(ms));
  return buf;
}

// A signal that ends the input as end of file does: the producer still delivers what it holds,
// as Kafka's shutdown hook closes it. A read in progress returns (EINTR, no SA_RESTART); standard
// input becomes /dev/null so that a read about to start finds the end of input too.
std::atomic<int> g_stop_signal{0};
int g_dev_null = -1;
extern "C" void on_stop_signal(int sig) {
  g_stop_signal.store(sig);
  if (g_dev_null >= 0) dup2(g_dev_null, STDIN_FILENO);
}

void install_stop_handlers() {
  g_dev_null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: the blocked read of standard input returns
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// A numeric option, checked as jopt-simple converts it (Integer or Long); its value as text.
std::optional<std::string> number_option(const CommandLine& cl, const std::string& name, int64_t fallback, bool is_long,
                                         std::ostream& err) {
  if (!cl.has(name)) return std::to_string(fallback);
  const std::string text = cl.value(name);
  int64_t parsed = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, parsed);
  const bool fits = is_long || (parsed >= INT32_MIN && parsed <= INT32_MAX);
  if (begin == end || ec != std::errc() || ptr != end || !fits) {
    err << "Cannot parse argument '" << text << "' of option " << name << '\n';
    return std::nullopt;
  }
  return std::to_string(parsed);
}

std::vector<OptionSpec> console_producer_options() {
  return {
      {"topic", Arg::required, "REQUIRED: The topic id to produce messages to.", "topic"},
      {"broker-list", Arg::required,
       "DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.  The broker list "
       "string in the form HOST1:PORT1,HOST2:PORT2.",
       "broker-list"},
      {"bootstrap-server", Arg::required,
       "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to. The broker list string "
       "in the form HOST1:PORT1,HOST2:PORT2.",
       "server to connect to"},
      {"sync", Arg::none, "If set message send requests to the brokers are synchronously, one at a time as they arrive."},
      {"compression-codec", Arg::optional,
       "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'.If specified without value, then it "
       "defaults to 'gzip'",
       "compression-codec"},
      {"batch-size", Arg::required,
       "Number of messages to send in a single batch if they are not being sent synchronously. please note that this "
       "option will be replaced if max-partition-memory-bytes is also set (default: 16384)",
       "size"},
      {"message-send-max-retries", Arg::required,
       "This property specifies the number of retries before the producer give up and drop this message. This is the "
       "option to control `retries` in producer configs. (default: 3)",
       "Integer"},
      {"retry-backoff-ms", Arg::required,
       "The amount of time that the producer waits before refreshing the metadata. This is the option to control "
       "`retry.backoff.ms` in producer configs. (default: 100)",
       "Long"},
      {"timeout", Arg::required,
       "If set and the producer is running in asynchronous mode, this gives the maximum amount of time a message will "
       "queue awaiting sufficient batch size. The value is given in ms. This is the option to control `linger.ms` in "
       "producer configs. (default: 1000)",
       "timeout_ms"},
      {"request-required-acks", Arg::required, "The required `acks` of the producer requests (default: -1)",
       "request required acks"},
      {"request-timeout-ms", Arg::required,
       "The ack timeout of the producer requests. Value must be non-negative and non-zero. (default: 1500)",
       "request timeout ms"},
      {"metadata-expiry-ms", Arg::required,
       "The period of time in milliseconds after which we force a refresh of metadata even if we haven't seen any "
       "leadership changes. This is the option to control `metadata.max.age.ms` in producer configs. (default: "
       "300000)",
       "metadata expiration interval"},
      {"max-block-ms", Arg::required, "The max time that the producer will block for during a send request. (default: 60000)",
       "max block on send"},
      {"max-memory-bytes", Arg::required,
       "The total memory used by the producer to buffer records waiting to be sent to the server. This is the option "
       "to control `buffer.memory` in producer configs. (default: 33554432)",
       "total memory in bytes"},
      {"max-partition-memory-bytes", Arg::required,
       "The buffer size allocated for a partition. When records are received which are smaller than this size the "
       "producer will attempt to optimistically group them together until this size is reached. This is the option "
       "to control `batch.size` in producer configs. (default: 16384)",
       "memory in bytes per partition"},
      {"line-reader", Arg::required,
       "The class name of the class to use for reading lines from standard in. By default each line is read as a "
       "separate message. (default: org.apache.kafka.tools.LineMessageReader)",
       "reader_class"},
      {"socket-buffer-size", Arg::required,
       "The size of the tcp RECV size. This is the option to control `send.buffer.bytes` in producer configs. "
       "(default: 102400)",
       "size"},
      {"property", Arg::required,
       "A mechanism to pass user-defined properties in the form key=value to the message reader. Default properties "
       "include: parse.key=false, parse.headers=false, ignore.error=false, key.separator=\\t, headers.delimiter=\\t, "
       "headers.separator=',', headers.key.separator=':', null.marker (when set, any fields (key, value and headers) "
       "equal to this will be replaced by null). Default parsing pattern when parse.headers=true and parse.key=true: "
       "\"h1:v1,h2:v2...\\tkey\\tvalue\"",
       "prop"},
      {"reader-config", Arg::required,
       "Config properties file for the message reader. Note that [property] takes precedence over this config.",
       "config file"},
      {"producer-property", Arg::required,
       "A mechanism to pass user-defined properties in the form key=value to the producer. ", "producer_prop"},
      {"producer.config", Arg::required,
       "Producer config properties file. Note that [producer-property] takes precedence over this config.",
       "config file"},
  };
}

// The producer's properties, as Kafka's ConsoleProducerConfig.producerProps builds them; nullopt
// after reporting a bad number.
std::optional<Properties> producer_props(const CommandLine& cl, std::ostream& err) {
  Properties props;
  if (cl.has("producer.config")) props = load_properties(cl.value("producer.config"));
  for (auto& [k, v] : parse_key_value_args(cl.values("producer-property"))) props[k] = v;
  props["bootstrap.servers"] = cl.has("bootstrap-server") ? cl.value("bootstrap-server") : cl.value("broker-list");
  props["compression.type"] = cl.has("compression-codec") ? cl.value("compression-codec", "gzip") : "none";
  if (!props.count("client.id")) props["client.id"] = "console-producer";
  props["key.serializer"] = "org.apache.kafka.common.serialization.ByteArraySerializer";
  props["value.serializer"] = "org.apache.kafka.common.serialization.ByteArraySerializer";

  // Kafka's maybeMergeOptions: a flag given wins; else its default fills a key still unset.
  auto merge = [&](const std::string& key, const std::string& option, std::optional<std::string> value) {
    if (!value) return false;
    if (cl.has(option) || !props.count(key)) props[key] = *value;
    return true;
  };
  bool ok = merge("linger.ms", "timeout", number_option(cl, "timeout", 1000, true, err)) &&
            merge("acks", "request-required-acks", cl.value("request-required-acks", "-1")) &&
            merge("request.timeout.ms", "request-timeout-ms", number_option(cl, "request-timeout-ms", 1500, false, err)) &&
            merge("retries", "message-send-max-retries", number_option(cl, "message-send-max-retries", 3, false, err)) &&
            merge("retry.backoff.ms", "retry-backoff-ms", number_option(cl, "retry-backoff-ms", 100, true, err)) &&
            merge("send.buffer.bytes", "socket-buffer-size", number_option(cl, "socket-buffer-size", 102400, false, err)) &&
            merge("buffer.memory", "max-memory-bytes", number_option(cl, "max-memory-bytes", 32 << 20, true, err)) &&
            merge("batch.size", "batch-size", number_option(cl, "batch-size", 16384, false, err)) &&
            merge("batch.size", "max-partition-memory-bytes",
                  number_option(cl, "max-partition-memory-bytes", 16384, false, err)) &&
            merge("metadata.max.age.ms", "metadata-expiry-ms", number_option(cl, "metadata-expiry-ms", 300000, true, err)) &&
            merge("max.block.ms", "max-block-ms", number_option(cl, "max-block-ms", 60000, true, err));
  if (!ok) return std::nullopt;
  return props;
}

}  // namespace

std::map<std::string, std::string> parse_key_value_args(const std::vector<std::string>& args) {
  std::map<std::string, std::string> props;
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      props[arg] = "";
    } else {
      props[arg.substr(0, eq)] = arg.substr(eq + 1);
    }
  }
  return props;
}

std::string java_exception_line(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const ConfigException& e) {
    return std::string("org.apache.kafka.common.config.ConfigException: ") + e.what();
  } catch (const ApiException& e) {
    return "org.apache.kafka.common.errors." + exception_class_of(e.name()) + ": " + e.what();
  } catch (const SerializationException& e) {
    return std::string("org.apache.kafka.common.errors.SerializationException: ") + e.what();
  } catch (const RecordTooLargeException& e) {
    return std::string("org.apache.kafka.common.errors.RecordTooLargeException: ") + e.what();
  } catch (const TimeoutException& e) {
    return std::string("org.apache.kafka.common.errors.TimeoutException: ") + e.what();
  } catch (const IllegalStateException& e) {
    return std::string("java.lang.IllegalStateException: ") + e.what();
  } catch (const KafkaException& e) {
    return std::string("org.apache.kafka.common.KafkaException: ") + e.what();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

LineMessageReader::LineMessageReader(const std::map<std::string, std::string>& props) {
  auto get = [&](const char* key) -> const std::string* {
    auto it = props.find(key);
    return it == props.end() ? nullptr : &it->second;
  };
  if (auto v = get("parse.key")) parse_key_ = is_true(*v);
  if (auto v = get("key.separator")) key_separator_ = *v;
  if (auto v = get("parse.headers")) parse_headers_ = is_true(*v);
  if (auto v = get("headers.delimiter")) headers_delimiter_ = *v;
  if (auto v = get("headers.separator")) headers_separator_ = *v;
  if (auto v = get("headers.key.separator")) headers_key_separator_ = *v;
  if (auto v = get("ignore.error")) ignore_error_ = is_true(*v);
  try {
    std::regex check(headers_separator_);
  } catch (const std::regex_error&) {
    throw KafkaException("headers.separator is not a valid regular expression: " + headers_separator_);
  }
  if (headers_delimiter_ == headers_separator_) {
    throw KafkaException("headers.delimiter and headers.separator may not be equal");
  }
  if (headers_delimiter_ == headers_key_separator_) {
    throw KafkaException("headers.delimiter and headers.key.separator may not be equal");
  }
  if (headers_separator_ == headers_key_separator_) {
    throw KafkaException("headers.separator and headers.key.separator may not be equal");
  }
  if (auto v = get("null.marker")) null_marker_ = *v;
  const std::pair<const std::string*, const char*> clashes[] = {{&key_separator_, "key.separator"},
                                                                {&headers_separator_, "headers.separator"},
                                                                {&headers_delimiter_, "headers.delimiter"},
                                                                {&headers_key_separator_, "headers.key.separator"}};
  for (const auto& [value, name] : clashes) {
    if (null_marker_ && *value == *null_marker_) {
      throw KafkaException(std::string("null.marker and ") + name + " may not be equal");
    }
  }
}

std::optional<std::string> LineMessageReader::part(bool enabled, const std::string& line, size_t start,
                                                   const std::string& demarcation, const char* demarcation_name) const {
  if (!enabled) return std::nullopt;
  const size_t index = line.find(demarcation, start);
  if (index == std::string::npos) {
    if (ignore_error_) return std::nullopt;
    throw KafkaException(std::string("No ") + demarcation_name + " found on line number " +
                         std::to_string(line_number_) + ": '" + line + "'");
  }
  return line.substr(start, index - start);
}

std::vector<Header> LineMessageReader::split_headers(const std::string& headers) const {
  // Java's String.split: the separator is a regular expression, trailing empty pairs are dropped.
  std::vector<std::string> pairs;
  const std::regex separator(headers_separator_);
  size_t start = 0;
  for (auto it = std::sregex_iterator(headers.begin(), headers.end(), separator); it != std::sregex_iterator(); ++it) {
    const size_t at = static_cast<size_t>(it->position());
    if (it->length() == 0 && at == 0) continue;
    pairs.push_back(headers.substr(start, at - start));
    start = at + static_cast<size_t>(it->length());
  }
  pairs.push_back(headers.substr(start));
  if (pairs.size() > 1) {
    while (!pairs.empty() && pairs.back().empty()) pairs.pop_back();
  }

  std::vector<Header> out;
  for (const std::string& pair : pairs) {
    const size_t i = pair.find(headers_key_separator_);
    if (i == std::string::npos) {
      if (ignore_error_) {
        out.push_back({pair, std::nullopt});
        continue;
      }
      throw KafkaException("No header key separator found in pair '" + pair + "' on line number " +
                           std::to_string(line_number_));
    }
    std::string key = pair.substr(0, i);
    if (key == null_marker_) {
      throw KafkaException("Header keys should not be equal to the null marker '" + *null_marker_ +
                           "' as they can't be null");
    }
    const std::string value = pair.substr(i + headers_key_separator_.size());
    out.push_back({std::move(key), value == null_marker_ ? std::nullopt : std::optional<Bytes>(to_bytes(value))});
  }
  return out;
}

LineMessageReader::Record LineMessageReader::parse(const std::string& line) {
  ++line_number_;
  const auto headers = part(parse_headers_, line, 0, headers_delimiter_, "headers delimiter");
  const size_t header_offset = headers ? headers->size() + headers_delimiter_.size() : 0;
  const auto key = part(parse_key_, line, header_offset, key_separator_, "key separator");
  const size_t key_offset = key ? key->size() + key_separator_.size() : 0;
  const std::string value = line.substr(header_offset + key_offset);

  Record record;
  if (key && key != null_marker_) record.key = to_bytes(*key);
  if (value != null_marker_) record.value = to_bytes(value);
  if (headers && headers != null_marker_) record.headers = split_headers(*headers);
  return record;
}

int run_console_producer(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                         std::ostream& err) {
  CommandLine cl("This tool helps to read data from standard input and publish it to Kafka.", console_producer_options());
  if (auto stop = cl.parse(args, out, err)) return stop->exit_code;
  if (!cl.has("bootstrap-server") && !cl.has("broker-list")) {
    err << "Missing required option(s) [bootstrap-server]\n";
    return 1;
  }
  if (!cl.require({"topic"}, err)) return 1;
  const std::string topic = cl.value("topic");
  const std::string reader_class = cl.value("line-reader", kLineReader);
  if (reader_class != kLineReader) {
    err << "java.lang.ClassNotFoundException: " << reader_class << " (the only reader is " << kLineReader << ")\n";
    return 1;
  }
  const bool sync = cl.has("sync");
  const bool standard_input = &in == &std::cin;
  // Java's System.console() exists when standard input and output are both terminals.
  const bool prompt = standard_input && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);

  std::optional<Producer<Bytes, Bytes>> producer;
  std::optional<LineMessageReader> reader;
  try {
    std::map<std::string, std::string> reader_props;
    if (cl.has("reader-config")) reader_props = load_properties(cl.value("reader-config"));
    reader_props["topic"] = topic;
    for (auto& [k, v] : parse_key_value_args(cl.values("property"))) reader_props[k] = v;
    reader.emplace(reader_props);
    auto props = producer_props(cl, err);
    if (!props) return 1;
    producer.emplace(*props);
  } catch (const std::exception&) {
    err << java_exception_line(std::current_exception()) << '\n';
    return 1;
  }

  std::mutex err_mutex;
  if (standard_input) install_stop_handlers();
  int exit_code = 0;
  std::string failure;  // the line that ends the tool
  try {
    std::string line;
    while (g_stop_signal.load() == 0) {
      if (prompt) out << '>' << std::flush;
      if (!std::getline(in, line)) break;
      if (!line.empty() && line.back() == '\r') line.pop_back();  // readLine ends lines at \r\n too
      LineMessageReader::Record parsed = reader->parse(line);
      ProducerRecord<Bytes, Bytes> record(topic, std::nullopt, std::move(parsed.key), std::move(parsed.value),
                                          std::move(parsed.headers));
      if (sync) {
        auto delivered = producer->send(record);
        try {
          delivered.get();
        } catch (const std::exception&) {
          // Java's future wraps the record's error.
          failure = "java.util.concurrent.ExecutionException: " + java_exception_line(std::current_exception());
          break;
        }
        continue;
      }
      // Kafka's ErrorLoggingCallback without logAsString: the key's and value's sizes, not their bytes.
      const std::string key_text = record.key ? std::to_string(record.key->size()) + " bytes" : "null";
      const std::string value_text = record.value ? std::to_string(record.value->size()) + " bytes" : "null";
      auto log_failure = [&err, &err_mutex, topic, key_text, value_text](const RecordMetadata&, std::exception_ptr e) {
        if (!e) return;
        std::lock_guard lock(err_mutex);
        err << '[' << log_timestamp() << "] ERROR Error when sending message to topic " << topic
            << " with key: " << key_text << ", value: " << value_text << " with error: " << java_exception_line(e)
            << " (org.apache.kafka.clients.producer.internals.ErrorLoggingCallback)\n"
            << std::flush;
      };
      producer->send(record, log_failure);
    }
  } catch (const std::exception&) {
    failure = java_exception_line(std::current_exception());
  }
  if (!failure.empty()) {
    std::lock_guard lock(err_mutex);
    err << failure << '\n';
    exit_code = 1;
  }
  // Kafka's shutdown hook: close, which delivers every record still held.
  producer->close();
  if (const int sig = g_stop_signal.load(); sig != 0) exit_code = 128 + sig;
  return exit_code;
}

}  // namespace gregor::tools
