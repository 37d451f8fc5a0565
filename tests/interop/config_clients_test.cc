// The config APIs with real admin clients against a real `gregor server` process: kafka-python's
// KafkaAdminClient (describe_configs, alter_configs), kafkajs's admin (describeConfigs,
// alterConfigs) and confluent-kafka's AdminClient (librdkafka), on a topic and on the broker.
// kcat has no config API.
#include <gtest/gtest.h>

#include "broker_process_test.h"

namespace gregor::testing {
namespace {

using namespace std::chrono_literals;

using ConfigClientsTest = BrokerProcessTest;

TEST_F(ConfigClientsTest, KafkaPythonDescribesAndAltersTopicAndBrokerConfigs) {
  auto result = python("config_kafka_python.py", {broker->bootstrap(), "kp-configs"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(ConfigClientsTest, KafkajsDescribesAndAltersTopicAndBrokerConfigs) {
  auto result = run_process(
      {"node", std::string(GREGOR_SOURCE_DIR) + "/tests/clients/config_kafkajs.js", broker->bootstrap(), "kjs-configs"},
      90s);
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(ConfigClientsTest, ConfluentKafkaDescribesAndAltersTopicAndBrokerConfigs) {
  auto result = python("config_confluent.py", {broker->bootstrap(), "ck-configs"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace gregor::testing
