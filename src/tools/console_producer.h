// `gregor console-producer` (bin/kafka-console-producer.sh): Kafka 4.0's ConsoleProducer. Reads
// standard input a line at a time and sends each line as a record through the client library's
// producer (gregor/producer.h).
//
//   --bootstrap-server H:P[,H:P...] --topic T      required (--broker-list is the old name)
//   --property k=v, --reader-config FILE           the line reader's settings (LineMessageReader):
//       parse.key (false), key.separator (\t), parse.headers (false), headers.delimiter (\t),
//       headers.separator (,), headers.key.separator (:), null.marker (none), ignore.error (false)
//   --producer-property k=v, --producer.config FILE   producer settings, the flag winning
//   --request-required-acks (-1), --compression-codec [none|gzip|snappy|lz4|zstd] (bare: gzip),
//   --sync, --batch-size (16384), --timeout (linger.ms, 1000), --message-send-max-retries (3),
//   --retry-backoff-ms (100), --max-block-ms (60000), --request-timeout-ms (1500), ...
//       each sets its producer key when given, or when the properties leave that key unset
//
// The prompt ">" is printed before each line is read when standard input and output are both
// terminals, as Kafka's reader does when Java has a console. A line the reader cannot parse ends
// the tool (exit 1) after the records before it were delivered. A record that fails later is one
// line on err, Kafka's ErrorLoggingCallback message with the error; under --sync it ends the
// tool with exit 1. End of input (or SIGINT/SIGTERM) closes the producer, which delivers what it
// holds, and exits 0.
#pragma once

#include <exception>
#include <istream>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "gregor/producer.h"

namespace gregor::tools {

int run_console_producer(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                         std::ostream& err);

// Kafka's LineMessageReader: a line -> headers, key and value, per the reader properties above.
class LineMessageReader {
 public:
  struct Record {
    std::optional<Bytes> key;
    std::optional<Bytes> value;
    std::vector<Header> headers;
  };

  // Throws KafkaException for settings that contradict each other (Kafka's messages).
  explicit LineMessageReader(const std::map<std::string, std::string>& props);
  // Parses the next line (numbered from 1 on each call); throws KafkaException for a line
  // without its separators unless ignore.error.
  Record parse(const std::string& line);

 private:
  std::optional<std::string> part(bool enabled, const std::string& line, size_t start, const std::string& demarcation,
                                   const char* demarcation_name) const;
  std::vector<Header> split_headers(const std::string& headers) const;

  bool parse_key_ = false;
  std::string key_separator_ = "\t";
  bool parse_headers_ = false;
  std::string headers_delimiter_ = "\t";
  std::string headers_separator_ = ",";
  std::string headers_key_separator_ = ":";
  bool ignore_error_ = false;
  std::optional<std::string> null_marker_;
  int line_number_ = 0;
};

// Kafka's CommandLineUtils.parseKeyValueArgs: "k=v" pairs split at the first '=', a missing
// value read as "".
std::map<std::string, std::string> parse_key_value_args(const std::vector<std::string>& args);

// An error as the first line of Java's stack trace names it:
// "org.apache.kafka.common.errors.TimeoutException: Topic t not present in metadata after 60000 ms."
std::string java_exception_line(std::exception_ptr error);

}  // namespace gregor::tools
