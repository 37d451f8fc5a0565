// bin/kafka-console-producer.sh against a real broker process: Kafka's quickstart line verbatim,
// the line reader's keys, headers and null marker, compression codecs seen in the segment,
// --sync (one batch a line) and acks, the producer's settings from flags and files, the prompt on
// a terminal, and Kafka's errors. What was written is read back by kcat.
#include <algorithm>
#include <regex>

#include "tool_test.h"

namespace gregor::testing {
namespace {

class ConsoleProducerTest : public ToolTest {
 protected:
  // Lines on the producer's standard input (from a file, so the shell adds nothing).
  ToolRun produce(const std::string& input, const std::string& args) {
    const std::string file = write_file("lines.txt", input);
    return shell("bin/kafka-console-producer.sh --bootstrap-server " + broker->bootstrap() + " " + args + " < '" +
                 file + "'");
  }
  // Every record of the topic's partition 0, one line each, in kcat's format.
  std::string read_back(const std::string& topic, const std::string& format = "%s\\n") {
    ProcessResult r = kcat({"-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", format});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output;
  }
  // A run that failed with exit status 1 and one error on standard error.
  static void expect_error(const ToolRun& r, const std::string& err) {
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, err);
  }
  // The batch lines kafka-dump-log.sh prints for the topic's first segment.
  std::vector<std::string> batches(const std::string& topic) {
    ToolRun r = shell("bin/kafka-dump-log.sh --files '" + dir.path() + "/data/" + topic + "-0/00000000000000000000.log'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("baseOffset: ", 0) == 0) lines.push_back(line);
    }
    return lines;
  }
};

TEST_F(ConsoleProducerTest, KafkasQuickstartLine) {
  ToolRun created = shell("bin/kafka-topics.sh --create --topic quickstart-events --bootstrap-server " + localhost());
  ASSERT_EQ(created.exit_code, 0) << created.err;

  // Kafka's quickstart types two events and ends the input; the last line has no newline.
  const std::string events = write_file("events.txt", "This is my first event\nThis is my second event");
  ToolRun r = shell("bin/kafka-console-producer.sh --topic quickstart-events --bootstrap-server " + localhost() +
                    " < '" + events + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");  // no prompt: standard input is no terminal
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(read_back("quickstart-events"), "This is my first event\nThis is my second event\n");
}

TEST_F(ConsoleProducerTest, KeysHeadersAndNullMarker) {
  ToolRun r = produce("user1:alice\nuser2:bob:smith\n:empty key\n",
                      "--topic keyed --property parse.key=true --property key.separator=:");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_back("keyed", "%k=%s\\n"), "user1=alice\nuser2=bob:smith\n=empty key\n");

  // Kafka's default layout: headers, tab, key, tab, value; the null marker makes nulls.
  r = produce("h1:v1,h2:v2\tk1\tvalue1\n~\tk2\tvalue2\nh3:~\t~\t~\n",
              "--topic headed --property parse.headers=true --property parse.key=true --property null.marker=~");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // %S is the value's size, -1 for a null value; %K the key's; kcat shows a null header value as NULL.
  EXPECT_EQ(read_back("headed", "%h|%k|%K|%s|%S\\n"), "h1=v1,h2=v2|k1|2|value1|6\n|k2|2|value2|6\nh3=NULL||-1||-1\n");

  // Other separators from a reader config file, with --property taking precedence over it.
  const std::string config = write_file("reader.properties",
                                        "parse.headers=true\nheaders.delimiter=|\nheaders.separator=;\n"
                                        "headers.key.separator==\nparse.key=true\nkey.separator=#\n");
  r = produce("a=1;b=2|k#v\n", "--topic custom --reader-config '" + config + "' --property key.separator=@");
  expect_error(r, "org.apache.kafka.common.KafkaException: No key separator found on line number 1: 'a=1;b=2|k#v'\n");
  r = produce("a=1;b=2|k@v\n", "--topic custom --reader-config '" + config + "' --property key.separator=@");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_back("custom", "%h|%k|%s\\n"), "a=1,b=2|k|v\n");
}

TEST_F(ConsoleProducerTest, ReaderErrors) {
  // A line without its separator ends the tool; the lines before it are delivered.
  ToolRun r = produce("a\tb\nno separator\nc\td\n", "--topic t --property parse.key=true");
  expect_error(r, "org.apache.kafka.common.KafkaException: No key separator found on line number 2: 'no separator'\n");
  EXPECT_EQ(read_back("t", "%k=%s\\n"), "a=b\n");

  // ignore.error: a missing key separator makes the whole line the value.
  r = produce("no separator\n", "--topic t --property parse.key=true --property ignore.error=true");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_back("t", "%k=%s\\n"), "a=b\n=no separator\n");

  r = produce("x:1,y\tv\n", "--topic t --property parse.headers=true");
  expect_error(r,
               "org.apache.kafka.common.KafkaException: No header key separator found in pair 'y' on line number 1\n");

  struct Case {
    std::string property;
    std::string err;
  };
  for (const Case& c : std::vector<Case>{
           {"headers.delimiter=,", "headers.delimiter and headers.separator may not be equal"},
           {"headers.delimiter=:", "headers.delimiter and headers.key.separator may not be equal"},
           {"headers.separator=:", "headers.separator and headers.key.separator may not be equal"},
           {"null.marker=,", "null.marker and headers.separator may not be equal"},
       }) {
    r = produce("v\n", "--topic t --property " + c.property);
    EXPECT_EQ(r.exit_code, 1) << c.property;
    EXPECT_EQ(r.err, "org.apache.kafka.common.KafkaException: " + c.err + "\n");
  }
}

TEST_F(ConsoleProducerTest, CompressionCodecs) {
  ToolRun r = produce("one\ntwo\nthree\n", "--topic lz4-events --compression-codec lz4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_back("lz4-events"), "one\ntwo\nthree\n");
  // Three lines within the linger (--timeout, 1000 ms) make one compressed batch.
  std::vector<std::string> written = batches("lz4-events");
  ASSERT_EQ(written.size(), 1u);
  EXPECT_NE(written[0].find(" count: 3 "), std::string::npos) << written[0];
  EXPECT_NE(written[0].find(" compresscodec: lz4 "), std::string::npos) << written[0];

  // Without a value the flag means gzip; without the flag, none.
  r = produce("g\n", "--topic gzip-events --compression-codec");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_back("gzip-events"), "g\n");
  EXPECT_NE(batches("gzip-events").at(0).find(" compresscodec: gzip "), std::string::npos);
  for (const char* codec : {"snappy", "zstd", "none"}) {
    r = produce(std::string(codec) + "\n", std::string("--topic plain --compression-codec=") + codec);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(read_back("plain"), "snappy\nzstd\nnone\n");
  written = batches("plain");
  ASSERT_EQ(written.size(), 3u);
  EXPECT_NE(written[0].find(" compresscodec: snappy "), std::string::npos) << written[0];
  EXPECT_NE(written[1].find(" compresscodec: zstd "), std::string::npos) << written[1];
  EXPECT_NE(written[2].find(" compresscodec: none "), std::string::npos) << written[2];

  r = produce("x\n", "--topic t --compression-codec brotli");
  expect_error(r,
               "org.apache.kafka.common.config.ConfigException: Invalid value brotli for configuration "
               "compression.type: String must be one of: none, gzip, snappy, lz4, zstd\n");
}

TEST_F(ConsoleProducerTest, SyncAndAcks) {
  // --sync waits for each record before reading the next line: a batch per line.
  ToolRun r = produce("s1\ns2\ns3\n", "--topic synced --sync --timeout 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_back("synced"), "s1\ns2\ns3\n");
  EXPECT_EQ(batches("synced").size(), 3u);

  for (const char* acks : {"0", "1", "all", "-1"}) {
    r = produce(std::string("acks ") + acks + "\n", std::string("--topic acked --request-required-acks ") + acks);
    ASSERT_EQ(r.exit_code, 0) << acks << ": " << r.err;
  }
  EXPECT_EQ(read_back("acked"), "acks 0\nacks 1\nacks all\nacks -1\n");
  r = produce("x\n", "--topic acked --request-required-acks 2");
  expect_error(r,
               "org.apache.kafka.common.config.ConfigException: Invalid value 2 for configuration acks: String must "
               "be one of: all, -1, 0, 1\n");
}

TEST_F(ConsoleProducerTest, FailedRecords) {
  const std::string big(300, 'x');
  // Asynchronously, a record that fails is one error line and the tool goes on.
  ToolRun r = produce(big + "\nsmall\n", "--topic limited --producer-property max.request.size=200");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  static const std::regex line(
      R"(\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] ERROR Error when sending message to topic limited with key: null, )"
      R"(value: 300 bytes with error: org\.apache\.kafka\.common\.errors\.RecordTooLargeException: The message is \d+ )"
      R"(bytes when serialized which is larger than 200, which is the value of the max\.request\.size configuration\. )"
      R"(\(org\.apache\.kafka\.clients\.producer\.internals\.ErrorLoggingCallback\)\n)");
  EXPECT_TRUE(std::regex_match(r.err, line)) << r.err;
  EXPECT_EQ(read_back("limited"), "small\n");

  // Under --sync it ends the tool, as the future's ExecutionException does in Kafka.
  r = produce(big + "\nnever sent\n", "--topic limited --producer-property max.request.size=200 --sync");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("java.util.concurrent.ExecutionException: org.apache.kafka.common.errors."
                        "RecordTooLargeException: The message is ",
                        0),
            0u)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(read_back("limited"), "small\n");
}

TEST_F(ConsoleProducerTest, ProducerSettingsFromFilesAndFlags) {
  const std::string big(300, 'y');
  // --producer.config is read; --producer-property wins over it.
  const std::string config = write_file("producer.properties", "max.request.size=200\nclient.id=from-file\n");
  ToolRun r = produce(big + "\n", "--topic configured --sync --producer.config '" + config + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("RecordTooLargeException"), std::string::npos) << r.err;
  r = produce(big + "\n", "--topic configured --sync --producer.config '" + config +
                              "' --producer-property max.request.size=100000");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_back("configured"), big + "\n");

  // Gregor refuses an unknown producer key where Kafka would only log it.
  r = produce("x\n", "--topic configured --producer-property lingr.ms=5");
  expect_error(r, "org.apache.kafka.common.config.ConfigException: Unknown configuration 'lingr.ms'\n");
  // A flag's value goes to its producer key, checked there.
  r = produce("x\n", "--topic configured --request-timeout-ms -5");
  expect_error(r,
               "org.apache.kafka.common.config.ConfigException: Invalid value -5 for configuration "
               "request.timeout.ms: Value must be at least 0\n");
  r = produce("x\n", "--topic configured --max-block-ms 1000 --retry-backoff-ms 50 --message-send-max-retries 1 "
                     "--batch-size 100 --max-partition-memory-bytes 200 --socket-buffer-size 65536 "
                     "--metadata-expiry-ms 1000 --max-memory-bytes 1048576");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_back("configured"), big + "\nx\n");
}

TEST_F(ConsoleProducerTest, BadCommandLines) {
  struct Case {
    std::string args;
    std::string err;
  };
  for (const Case& c : std::vector<Case>{
           {"--topic t", "Missing required option(s) [bootstrap-server]\n"},
           {"--bootstrap-server " + broker->bootstrap(), "Missing required argument \"[topic]\"\n"},
           {"--bootstrap-server " + broker->bootstrap() + " --topic t --batch-size abc",
            "Cannot parse argument 'abc' of option batch-size\n"},
           {"--bootstrap-server " + broker->bootstrap() + " --topic t --request-timeout-ms 99999999999",
            "Cannot parse argument '99999999999' of option request-timeout-ms\n"},
           {"--bootstrap-server " + broker->bootstrap() + " --topic t --line-reader com.example.Reader",
            "java.lang.ClassNotFoundException: com.example.Reader (the only reader is "
            "org.apache.kafka.tools.LineMessageReader)\n"},
           {"--bootstrap-server " + broker->bootstrap() + " --topic t --nonsense", "nonsense is not a recognized option\n"},
       }) {
    ToolRun r = shell("bin/kafka-console-producer.sh " + c.args + " < /dev/null");
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_EQ(r.err, c.err) << c.args;
  }
}

TEST_F(ConsoleProducerTest, PromptOnATerminal) {
  // Ctrl-D after two lines: a prompt before each read, the last one met by the end of input.
  ToolRun r = shell("/usr/bin/python3 tests/tools/console_producer_tty.py eof " + broker->bootstrap() + " typed first second");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ">first\n>second\n>\nexit 0\n");
  // Ctrl-C: the producer is closed, delivering what it held, and the exit status is the JVM's.
  r = shell("/usr/bin/python3 tests/tools/console_producer_tty.py interrupt " + broker->bootstrap() + " typed third");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ">third\n>^C\nexit 130\n");
  EXPECT_EQ(read_back("typed"), "first\nsecond\nthird\n");
}

}  // namespace
}  // namespace gregor::testing
