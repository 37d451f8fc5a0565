// KIP-848 consumer groups with a real client against a real `gregor server` process:
// @platformatic/kafka's consumers with groupProtocol 'consumer' (ConsumerGroupHeartbeat v0,
// OffsetCommit and OffsetFetch with member epochs). librdkafka 2.0, kafka-python 2.0 and kafkajs
// speak only the classic protocol.
#include <gtest/gtest.h>

#include "broker_process_test.h"

namespace gregor::testing {
namespace {

using namespace std::chrono_literals;

class ConsumerGroupClientsTest : public BrokerProcessTest {
 protected:
  void TearDown() override {
    BrokerProcessTest::TearDown();
    if (HasFailure() && other) std::cerr << other->log();
  }
  std::unique_ptr<BrokerProcess> other;
};

TEST_F(ConsumerGroupClientsTest, PlatformaticConsumersShareAGroup) {
  // Short heartbeats, so that the reconciliation steps follow each other quickly.
  other = std::make_unique<BrokerProcess>(dir.path() + "/kip848",
                                          std::vector<std::string>{"num.partitions=4",
                                                                   "group.consumer.heartbeat.interval.ms=200"});
  ASSERT_TRUE(other->start()) << other->log();
  auto run = run_process({"node", std::string(GREGOR_SOURCE_DIR) + "/tests/clients/platformatic_consumer_group.mjs",
                          other->bootstrap(), "kip848", "4", "10"},
                         180s);
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

}  // namespace
}  // namespace gregor::testing
