// Real Kafka clients against a real `gregor server` process: kcat with every codec, keys,
// headers and null values; confluent-kafka (librdkafka) and kafka-python producing and
// consuming with explicit offsets; a restart that keeps every acknowledged record; idempotent
// producers (librdkafka, kafkajs), one of them riding out a broker crash and restart.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "../storage/temp_dir.h"
#include "broker_process.h"
#include "process.h"

namespace gregor::testing {
namespace {

using namespace std::chrono_literals;

class BrokerClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker = std::make_unique<BrokerProcess>(dir.path() + "/data");
    ASSERT_TRUE(broker->start()) << broker->log();
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << broker->log();
  }
  ProcessResult kcat(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv = {"kcat", "-b", broker->bootstrap()};
    argv.insert(argv.end(), args.begin(), args.end());
    if (input.empty()) return run_process(argv, 60s);
    std::string file = dir.path() + "/input.txt";
    std::ofstream(file) << input;
    std::string command;
    for (const std::string& a : argv) command += "'" + a + "' ";
    return run_process({"sh", "-c", command + "< '" + file + "'"}, 60s);
  }
  ProcessResult python(const std::string& script, std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/python3", std::string(GREGOR_SOURCE_DIR) + "/tests/clients/" + script};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, 90s);
  }

  storage::testing::TempDir dir;
  std::unique_ptr<BrokerProcess> broker;
};

TEST_F(BrokerClientsTest, KcatProducesAndConsumesWithEveryCodec) {
  if (!have_program("kcat")) GTEST_SKIP() << "kcat is not installed";
  std::string expected;
  for (std::string codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
    std::string input;
    for (int i = 0; i < 3; ++i) input += codec + "-key-" + std::to_string(i) + ":" + codec + "-value\n";
    auto produced = kcat({"-P", "-t", "codecs", "-z", codec, "-K", ":", "-H", "codec=" + codec}, input);
    ASSERT_EQ(produced.exit_code, 0) << produced.output;
    for (int i = 0; i < 3; ++i) expected += codec + "-key-" + std::to_string(i) + "=" + codec + "-value|codec=" + codec + "\n";
  }
  auto consumed = kcat({"-C", "-t", "codecs", "-o", "beginning", "-e", "-q", "-f", "%k=%s|%h\n"});
  ASSERT_EQ(consumed.exit_code, 0) << consumed.output;
  EXPECT_EQ(consumed.output, expected);
  // A null value (kcat -Z turns an empty value into null) and the record timestamps.
  auto null_value = kcat({"-P", "-t", "nulls", "-Z", "-K", ":"}, "k:\n");
  ASSERT_EQ(null_value.exit_code, 0) << null_value.output;
  auto read_null = kcat({"-C", "-t", "nulls", "-o", "beginning", "-e", "-q", "-Z", "-f", "%k=%S %T\n"});
  ASSERT_EQ(read_null.exit_code, 0) << read_null.output;
  EXPECT_EQ(read_null.output.substr(0, 5), "k=-1 ") << read_null.output;
}

TEST_F(BrokerClientsTest, ConfluentKafkaAndKafkaPythonProduceAndConsume) {
  auto ck = python("confluent_roundtrip.py", {broker->bootstrap(), "ck-topic", "100"});
  EXPECT_EQ(ck.exit_code, 0) << ck.output;
  auto kp = python("kafka_python_roundtrip.py", {broker->bootstrap(), "kp-topic", "100"});
  EXPECT_EQ(kp.exit_code, 0) << kp.output;
}

TEST_F(BrokerClientsTest, EveryAcknowledgedRecordSurvivesARestart) {
  auto first = python("confluent_roundtrip.py", {broker->bootstrap(), "durable", "50"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(broker->stop(), 0) << broker->log();
  EXPECT_NE(broker->log().find("shut down cleanly"), std::string::npos);
  ASSERT_TRUE(broker->start()) << broker->log();
  // The second run produces 50 more and reads back all 100 from offset 0.
  auto second = python("confluent_roundtrip.py", {broker->bootstrap(), "durable", "50", "100"});
  EXPECT_EQ(second.exit_code, 0) << second.output;
}

// The number in the file the producer script rewrites after each delivery report (0 before it has).
int read_progress(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  return in >> n ? n : 0;
}

TEST_F(BrokerClientsTest, AnIdempotentProducerRidesOutABrokerCrashWithoutLossOrDuplicates) {
  const std::string progress = dir.path() + "/progress";
  const int port = broker->port();
  const std::string bootstrap = broker->bootstrap();
  constexpr int kCount = 3000;
  ProcessResult produced;
  std::thread producer([&] {
    produced = python("confluent_idempotent_restart.py", {bootstrap, "restarted", std::to_string(kCount), progress});
  });
  // A third of the stream acknowledged: the broker dies with batches in flight and more queued behind them.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (read_progress(progress) < kCount / 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);  // polling the producer's progress file, up to the deadline
  }
  const int at_crash = read_progress(progress);
  broker->kill();
  // Back on the same port, recovered without a clean shutdown: the producer state comes from the log.
  const bool restarted = broker->start(60s, port);
  producer.join();
  EXPECT_GE(at_crash, kCount / 3) << "the producer did not get going";
  EXPECT_LT(at_crash, kCount) << "the stream ended before the crash";
  EXPECT_TRUE(restarted) << "the broker did not come back on port " << port;
  EXPECT_EQ(produced.exit_code, 0) << produced.output;
}

TEST_F(BrokerClientsTest, KafkajsIdempotentProducer) {
  auto produced = run_process({"node", std::string(GREGOR_SOURCE_DIR) + "/tests/clients/kafkajs_idempotent.js",
                               broker->bootstrap(), "kafkajs-idempotent", "50"},
                              90s);
  ASSERT_EQ(produced.exit_code, 0) << produced.output;
  std::string offsets;
  for (int i = 0; i < 50; i += 10) offsets += std::to_string(i) + "\n";
  EXPECT_EQ(produced.output, offsets);
  if (!have_program("kcat")) return;
  auto consumed = kcat({"-C", "-t", "kafkajs-idempotent", "-p", "0", "-o", "beginning", "-e", "-q", "-f", "%k=%s\n"});
  ASSERT_EQ(consumed.exit_code, 0) << consumed.output;
  std::string expected;
  for (int i = 0; i < 50; ++i) expected += "k" + std::to_string(i) + "=v" + std::to_string(i) + "\n";
  EXPECT_EQ(consumed.output, expected);
}

}  // namespace
}  // namespace gregor::testing
