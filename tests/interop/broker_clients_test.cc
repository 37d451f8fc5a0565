// Real Kafka clients against a real `gregor server` process: kcat with every codec, keys,
// headers and null values; confluent-kafka (librdkafka) and kafka-python producing and
// consuming with explicit offsets, over several partitions and many fetches; @platformatic/kafka
// fetching by topic id (Fetch v17); a restart that keeps every acknowledged record; a second
// broker refused the first one's data dir and port.
#include <gtest/gtest.h>

#include "broker_process_test.h"

namespace gregor::testing {
namespace {

using namespace std::chrono_literals;

class BrokerClientsTest : public BrokerProcessTest {
 protected:
  void TearDown() override {
    BrokerProcessTest::TearDown();
    if (HasFailure() && other) std::cerr << other->log();
  }
  // A second broker, started with these settings, its data under dir/name.
  BrokerProcess& another_broker(const std::string& name, std::vector<std::string> overrides) {
    other = std::make_unique<BrokerProcess>(dir.path() + "/" + name, std::move(overrides));
    EXPECT_TRUE(other->start()) << other->log();
    return *other;
  }

  std::unique_ptr<BrokerProcess> other;
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

TEST_F(BrokerClientsTest, KafkajsProducesAndConsumesInAGroup) {
  auto run = run_process({"node", std::string(GREGOR_SOURCE_DIR) + "/tests/clients/kafkajs_roundtrip.js",
                          broker->bootstrap(), "kafkajs-topic", "200"},
                         120s);
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST_F(BrokerClientsTest, ConfluentKafkaAndKafkaPythonProduceAndConsume) {
  auto ck = python("confluent_roundtrip.py", {broker->bootstrap(), "ck-topic", "100"});
  EXPECT_EQ(ck.exit_code, 0) << ck.output;
  auto kp = python("kafka_python_roundtrip.py", {broker->bootstrap(), "kp-topic", "100"});
  EXPECT_EQ(kp.exit_code, 0) << kp.output;
}

TEST_F(BrokerClientsTest, ConsumersReadSeveralPartitionsOverManyFetches) {
  // Neither client keeps fetch sessions (librdkafka 2.0 and kafka-python 2.0 fetch without
  // one): this is the sessionless path, with fetch sizes that split every read.
  BrokerProcess& partitioned = another_broker("partitioned", {"num.partitions=4"});
  auto ck = python("fetch_partitions.py", {"confluent", partitioned.bootstrap(), "ck-fetch", "4", "60"});
  EXPECT_EQ(ck.exit_code, 0) << ck.output;
  auto kp = python("fetch_partitions.py", {"kafka-python", partitioned.bootstrap(), "kp-fetch", "4", "60"});
  EXPECT_EQ(kp.exit_code, 0) << kp.output;
}

TEST_F(BrokerClientsTest, PlatformaticKafkaFetchesByTopicIdWithV17) {
  // @platformatic/kafka fetches with Fetch v17, topics named by id, each fetch asking for a
  // session; it reads three partitions a few records at a time.
  BrokerProcess& partitioned = another_broker("by-id", {"num.partitions=3"});
  auto run = run_process({"node", std::string(GREGOR_SOURCE_DIR) + "/tests/clients/platformatic_fetch.mjs",
                          partitioned.bootstrap(), "by-id", "3", "20"},
                         90s);
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST_F(BrokerClientsTest, EveryAcknowledgedRecordSurvivesARestart) {
  auto first = python("confluent_roundtrip.py", {broker->bootstrap(), "durable", "50"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(broker->stop(), 0) << broker->log();
  EXPECT_NE(broker->log().find("[info] shut down cleanly"), std::string::npos);
  ASSERT_TRUE(broker->start()) << broker->log();
  // The second run produces 50 more and reads back all 100 from offset 0.
  auto second = python("confluent_roundtrip.py", {broker->bootstrap(), "durable", "50", "100"});
  EXPECT_EQ(second.exit_code, 0) << second.output;
}

TEST_F(BrokerClientsTest, ASecondBrokerCannotTakeTheDataDirOrThePort) {
  // Same data dir: refused by the directory lock, before it touches the logs.
  BrokerProcess same_dir(dir.path() + "/data");
  EXPECT_FALSE(same_dir.start(30s));
  EXPECT_NE(same_dir.log().find("another broker, in this process or another, is using"), std::string::npos)
      << same_dir.log();
  // Same port, other data dir: refused although the listeners use SO_REUSEPORT.
  BrokerProcess same_port(dir.path() + "/other");
  EXPECT_FALSE(same_port.start(30s, broker->port()));
  EXPECT_NE(same_port.log().find("cannot listen on PLAINTEXT://127.0.0.1:" + std::to_string(broker->port())),
            std::string::npos)
      << same_port.log();
  // The first broker serves on, alone.
  auto produced = kcat({"-P", "-t", "locked", "-p", "0"}, "one\ntwo\n");
  ASSERT_EQ(produced.exit_code, 0) << produced.output;
  auto consumed = kcat({"-C", "-t", "locked", "-p", "0", "-o", "beginning", "-c", "2", "-e", "-q"});
  EXPECT_EQ(consumed.exit_code, 0) << consumed.output;
  EXPECT_EQ(consumed.output, "one\ntwo\n");
}

}  // namespace
}  // namespace gregor::testing
