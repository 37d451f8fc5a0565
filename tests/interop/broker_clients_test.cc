// Real Kafka clients against a real `gregor server` process: kcat with every codec, keys,
// headers and null values; confluent-kafka (librdkafka) and kafka-python producing and
// consuming with explicit offsets; a restart that keeps every acknowledged record.
#include <gtest/gtest.h>

#include "broker_process_test.h"

namespace gregor::testing {
namespace {

using namespace std::chrono_literals;

using BrokerClientsTest = BrokerProcessTest;

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
  EXPECT_NE(broker->log().find("[info] shut down cleanly"), std::string::npos);
  ASSERT_TRUE(broker->start()) << broker->log();
  // The second run produces 50 more and reads back all 100 from offset 0.
  auto second = python("confluent_roundtrip.py", {broker->bootstrap(), "durable", "50", "100"});
  EXPECT_EQ(second.exit_code, 0) << second.output;
}

}  // namespace
}  // namespace gregor::testing
