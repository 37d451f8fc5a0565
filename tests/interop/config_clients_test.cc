// The config APIs with real admin clients against a real `gregor server` process: kafka-python's
// KafkaAdminClient (describe_configs, alter_configs), kafkajs's admin (describeConfigs,
// alterConfigs) and confluent-kafka's AdminClient (librdkafka), on a topic and on the broker.
// kcat has no config API.
#include <gtest/gtest.h>

#include "broker_process.h"
#include "process.h"

namespace gregor::testing {
namespace {

using namespace std::chrono_literals;

class ConfigClientsTest : public BrokerProcessTest {
 protected:
  ProcessResult client(const std::string& program, const std::string& script, const std::string& topic) {
    return run_process({program, std::string(GREGOR_SOURCE_DIR) + "/tests/clients/" + script, broker->bootstrap(), topic},
                       90s);
  }
};

TEST_F(ConfigClientsTest, KafkaPythonDescribesAndAltersTopicAndBrokerConfigs) {
  auto result = client("/usr/bin/python3", "config_kafka_python.py", "kp-configs");
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(ConfigClientsTest, KafkajsDescribesAndAltersTopicAndBrokerConfigs) {
  auto result = client("node", "config_kafkajs.js", "kjs-configs");
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(ConfigClientsTest, ConfluentKafkaDescribesAndAltersTopicAndBrokerConfigs) {
  auto result = client("/usr/bin/python3", "config_confluent.py", "ck-configs");
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace gregor::testing
