// bin/kafka-producer-perf-test.sh against a real broker process: Kafka's report lines (the
// 5-second windows and the final line with percentiles), the records it wrote read back by kcat,
// the throttle, the payload sources, and its refusals.
#include <chrono>
#include <regex>

#include "tool_test.h"

namespace gregor::testing {
namespace {

const std::regex kWindowLine(
    R"(\d+ records sent, \d+\.\d records/sec \(\d+\.\d\d MB/sec\), \d+\.\d ms avg latency, \d+\.\d ms max latency\.)");

class ProducerPerfTest : public ToolTest {
 protected:
  ToolRun perf(const std::string& args) {
    return shell("bin/kafka-producer-perf-test.sh " + args, std::chrono::seconds(180));
  }
  std::string props() const { return "--producer-props bootstrap.servers=" + broker->bootstrap(); }
  // The output's lines; the last one is the final report, checked against Kafka's format for
  // `records` records; the ones before it must be window lines.
  std::vector<std::string> report(const ToolRun& r, int64_t records) {
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    EXPECT_FALSE(lines.empty()) << r.err;
    if (lines.empty()) return lines;
    const std::regex final_line(std::to_string(records) +
                                R"( records sent, \d+\.\d{6} records/sec \(\d+\.\d\d MB/sec\), \d+\.\d\d ms avg )"
                                R"(latency, \d+\.\d\d ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms )"
                                R"(99\.9th\.)");
    EXPECT_TRUE(std::regex_match(lines.back(), final_line)) << lines.back();
    lines.pop_back();
    return lines;
  }
  std::vector<std::string> values(const std::string& topic) {
    ProcessResult r = kcat({"-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\\n"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::vector<std::string> out;
    std::istringstream in(r.output);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
};

TEST_F(ProducerPerfTest, ThousandRecordsOfHundredBytes) {
  ToolRun r = perf("--topic perf --num-records 1000 --record-size 100 --throughput -1 " + props());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  for (const std::string& line : report(r, 1000)) EXPECT_TRUE(std::regex_match(line, kWindowLine)) << line;

  const std::vector<std::string> written = values("perf");
  ASSERT_EQ(written.size(), 1000u);
  static const std::regex payload("[A-Z]{100}");
  for (const std::string& v : written) ASSERT_TRUE(std::regex_match(v, payload)) << v;
}

TEST_F(ProducerPerfTest, ThrottledWithWindowLines) {
  // 1300 records at 200 a second take about 6.5 s: at least one 5-second window is reported.
  const auto start = std::chrono::steady_clock::now();
  ToolRun r = perf("--topic slow --num-records 1300 --record-size 10 --throughput 200 " + props() + " acks=1");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(elapsed, std::chrono::seconds(5));
  const std::vector<std::string> windows = report(r, 1300);
  EXPECT_GE(windows.size(), 1u) << r.out;
  for (const std::string& line : windows) EXPECT_TRUE(std::regex_match(line, kWindowLine)) << line;
  EXPECT_EQ(values("slow").size(), 1300u);
}

TEST_F(ProducerPerfTest, PayloadsFromAFileOrMonotonic) {
  const std::string file = write_file("payloads.txt", "alpha,beta,gamma,");
  ToolRun r = perf("--topic from-file --num-records 30 --payload-file '" + file + "' --payload-delimiter , " +
                   "--throughput -1 " + props());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("Reading payloads from: " + file + "\nNumber of messages read: 3\n", 0), 0u) << r.out;
  report(r, 30);
  const std::vector<std::string> written = values("from-file");
  ASSERT_EQ(written.size(), 30u);
  for (const std::string& v : written) EXPECT_TRUE(v == "alpha" || v == "beta" || v == "gamma") << v;

  // Settings from --producer.config, the flag's values winning.
  const std::string config = write_file("perf.properties", "bootstrap.servers=127.0.0.1:1\nlinger.ms=0\n");
  r = perf("--topic counted --num-records 5 --payload-monotonic --throughput -1 --producer.config '" + config + "' " +
           props());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  report(r, 5);
  EXPECT_EQ(values("counted"), (std::vector<std::string>{"0", "1", "2", "3", "4"}));
}

TEST_F(ProducerPerfTest, RefusalsAndBadCommandLines) {
  const std::string base = "--topic t --num-records 10 --throughput -1 ";
  struct Case {
    std::string args;
    std::string err;
  };
  const std::string empty = write_file("empty.txt", "");
  for (const Case& c : std::vector<Case>{
           {base + "--record-size 10 " + props() + " --transactional-id tx",
            "producer-performance: error: transactions are not supported: Gregor's producer has no transactions\n"},
           {base + "--record-size 10 " + props() + " transactional.id=tx",
            "producer-performance: error: transactions are not supported: Gregor's producer has no transactions\n"},
           {base + "--record-size 10 --transaction-duration-ms 100 " + props(),
            "producer-performance: error: transactions are not supported: Gregor's producer has no transactions\n"},
           {base + "--record-size 10 --print-metrics " + props(),
            "producer-performance: error: --print-metrics is not supported: Gregor's producer keeps no metrics\n"},
           {"--num-records 10 --throughput -1 --record-size 10 " + props(),
            "producer-performance: error: argument --topic is required\n"},
           {base + props(),
            "producer-performance: error: one of the following arguments is required: --record-size, "
            "--payload-file, --payload-monotonic\n"},
           {base + "--record-size 10 --payload-monotonic " + props(),
            "producer-performance: error: argument --payload-monotonic: not allowed with argument --record-size\n"},
           {"--topic t --num-records 0 --throughput -1 --record-size 10 " + props(),
            "producer-performance: error: --num-records should be greater than zero\n"},
           {base + "--record-size 0 " + props(), "producer-performance: error: --record-size should be greater than zero\n"},
           {"--topic t --num-records ten --throughput -1 --record-size 10 " + props(),
            "producer-performance: error: argument --num-records: could not convert 'ten' to Long\n"},
           {base + "--record-size 10",
            "producer-performance: error: Either --producer-props or --producer.config must be specified.\n"},
           {base + "--record-size 10 --bogus", "producer-performance: error: bogus is not a recognized option\n"},
           {base + "--record-size 10 " + props() + " acks",
            "Exception in thread \"main\" java.lang.IllegalArgumentException: Invalid property: acks\n"},
           {base + "--record-size 10 " + props() + " lingr.ms=5",
            "Exception in thread \"main\" org.apache.kafka.common.config.ConfigException: Unknown configuration "
            "'lingr.ms'\n"},
           {base + "--payload-file '" + empty + "' " + props(),
            "Exception in thread \"main\" java.lang.IllegalArgumentException: File does not exist or empty file "
            "provided.\n"},
       }) {
    ToolRun r = perf(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_EQ(r.err, c.err) << c.args;
  }
  // No arguments: the help, as argparse4j prints it.
  ToolRun r = perf("");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--num-records <NUM-RECORDS>"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace gregor::testing
