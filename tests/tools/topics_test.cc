// bin/kafka-topics.sh against a real broker process: Kafka's quickstart commands verbatim (create
// the topic, describe it), then every action with its flags, the output lines of Kafka 4.0's
// TopicCommand and its one-line errors with exit status 1.
#include <gtest/gtest.h>

#include "tool_test.h"

namespace gregor::testing {
namespace {

class TopicsTest : public ToolTest {
 protected:
  ToolRun topics(const std::string& args) {
    return shell("bin/kafka-topics.sh --bootstrap-server " + broker->bootstrap() + " " + args);
  }
};

TEST_F(TopicsTest, KafkasQuickstartCommands) {
  ToolRun created = shell("bin/kafka-topics.sh --create --topic quickstart-events --bootstrap-server " + localhost());
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.out, "Created topic quickstart-events.\n");
  EXPECT_EQ(created.err, "");

  ToolRun described = shell("bin/kafka-topics.sh --describe --topic quickstart-events --bootstrap-server " + localhost());
  ASSERT_EQ(described.exit_code, 0) << described.err;
  // Topic: quickstart-events\tTopicId: <22 characters>\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: \n
  const std::string head = "Topic: quickstart-events\tTopicId: ";
  ASSERT_EQ(described.out.substr(0, head.size()), head) << described.out;
  const size_t id_end = described.out.find('\t', head.size());
  EXPECT_EQ(id_end - head.size(), 22u) << described.out;
  EXPECT_EQ(described.out.substr(id_end),
            "\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: \n"
            "\tTopic: quickstart-events\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: \n");
}

TEST_F(TopicsTest, CreateListDescribeAlterDelete) {
  ToolRun r = topics("--create --topic orders --partitions 3 --replication-factor 1 --config retention.ms=1000 "
                     "--config 'cleanup.policy = compact'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Created topic orders.\n");
  r = topics("--create --topic my_events.v1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could "
            "collide. To avoid issues it is best to use either, but not both.\nCreated topic my_events.v1.\n");

  // Exists already: an error, unless --if-not-exists.
  r = topics("--create --topic orders");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "Error while executing topic command : Topic 'orders' already exists.\n");
  r = topics("--create --topic orders --if-not-exists");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");

  r = topics("--list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "my_events.v1\norders\n");
  r = topics("--list --topic 'ord.*'");
  EXPECT_EQ(r.out, "orders\n");
  r = topics("--list --topic 'nomatch,my_events\\.v1'");
  EXPECT_EQ(r.out, "my_events.v1\n");
  r = topics("--list --topic ord");  // the whole name must match
  EXPECT_EQ(r.out, "\n");

  r = topics("--describe --topic orders");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string configs = "\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: cleanup.policy=compact,retention.ms=1000\n";
  EXPECT_NE(r.out.find(configs), std::string::npos) << r.out;
  for (int p = 0; p < 3; ++p) {
    const std::string line = "\tTopic: orders\tPartition: " + std::to_string(p) +
                             "\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: \n";
    EXPECT_NE(r.out.find(line), std::string::npos) << r.out;
  }
  // Only topics with overrides, without their partitions; no partition is under-replicated.
  r = topics("--describe --topics-with-overrides");
  EXPECT_EQ(r.out.rfind("Topic: orders\t", 0), 0u) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  r = topics("--describe --under-replicated-partitions");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");

  r = topics("--alter --topic orders --partitions 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = topics("--describe --topic orders");
  EXPECT_NE(r.out.find("\tPartitionCount: 5\t"), std::string::npos) << r.out;
  r = topics("--alter --topic orders --partitions 2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("Error while executing topic command : ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  r = topics("--delete --topic 'my_events\\.v1'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(topics("--list").out, "orders\n");

  r = topics("--describe --topic missing");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error while executing topic command : Topic 'Optional[missing]' does not exist as expected\n");
  r = topics("--delete --topic missing --if-exists");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(TopicsTest, BadCommandLinesAreOneLineErrors) {
  struct Case {
    std::string args;
    std::string err;
  };
  const std::string bootstrap = "--bootstrap-server " + broker->bootstrap();
  for (const Case& c : std::vector<Case>{
           {bootstrap + " --list --describe", "Command must include exactly one action: --list, --describe, --create, --alter or --delete\n"},
           {"--list", "--bootstrap-server must be specified\n"},
           {bootstrap + " --create", "Missing required argument \"[topic]\"\n"},
           {bootstrap + " --create --topic t --partitions 0", "Error while executing topic command : The partitions must be greater than 0\n"},
           {bootstrap + " --create --topic t --replication-factor 0",
            "Error while executing topic command : The replication factor must be between 1 and 32767 inclusive\n"},
           {bootstrap + " --create --topic t --config nonsense",
            "Error while executing topic command : requirement failed: Invalid topic config: all configs to be added "
            "must be in the format \"key=val\".\n"},
           {bootstrap + " --create --topic t --partitions x", "Cannot parse argument 'x' of option partitions\n"},
           {bootstrap + " --create --topic t --replication-factor 3",
            "Error while executing topic command : Unable to replicate the partition 3 time(s): The target replication "
            "factor of 3 cannot be reached because only 1 broker(s) are registered.\n"},
       }) {
    ToolRun r = shell("bin/kafka-topics.sh " + c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_EQ(r.err, c.err) << c.args;
  }
}

}  // namespace
}  // namespace gregor::testing
