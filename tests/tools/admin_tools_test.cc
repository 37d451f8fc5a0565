// bin/kafka-configs.sh, bin/kafka-get-offsets.sh and bin/kafka-delete-records.sh against a real
// broker process: their output lines and errors as Kafka's ConfigCommand, GetOffsetShell and
// DeleteRecordsCommand print them.
#include <gtest/gtest.h>

#include "tool_test.h"

namespace gregor::testing {
namespace {

class AdminToolsTest : public ToolTest {
 protected:
  ToolRun tool(const std::string& script, const std::string& args) {
    return shell("bin/" + script + " --bootstrap-server " + broker->bootstrap() + " " + args);
  }
  // Topics orders (3, 2 and 1 records in partitions 0, 1, 2) and other (one record).
  void make_topics() {
    ToolRun r = shell("bin/kafka-topics.sh --bootstrap-server " + broker->bootstrap() +
                      " --create --topic orders --partitions 3");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = shell("bin/kafka-topics.sh --bootstrap-server " + broker->bootstrap() + " --create --topic other");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (int p = 0; p < 3; ++p) {
      std::string input;
      for (int i = 0; i < 3 - p; ++i) input += "v" + std::to_string(i) + "\n";
      auto k = kcat({"-P", "-t", "orders", "-p", std::to_string(p)}, input);
      ASSERT_EQ(k.exit_code, 0) << k.output;
    }
    auto k = kcat({"-P", "-t", "other", "-p", "0"}, "x\n");
    ASSERT_EQ(k.exit_code, 0) << k.output;
  }
};

TEST_F(AdminToolsTest, Configs) {
  make_topics();
  ToolRun r = tool("kafka-configs.sh", "--entity-type topics --entity-name orders --describe");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Dynamic configs for topic orders are:\n");

  r = tool("kafka-configs.sh", "--entity-type topics --entity-name orders --alter --add-config "
                               "'retention.ms=1000,cleanup.policy=[compact,delete]'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Completed updating config for topic orders.\n");
  r = tool("kafka-configs.sh", "--topic orders --describe");
  EXPECT_EQ(r.out,
            "Dynamic configs for topic orders are:\n"
            "  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, "
            "DEFAULT_CONFIG:log.cleanup.policy=delete}\n"
            "  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000}\n");
  r = tool("kafka-configs.sh", "--topic orders --describe --all");
  EXPECT_EQ(r.out.substr(0, 34), "All configs for topic orders are:\n");
  EXPECT_NE(r.out.find("\n  compression.type=producer sensitive=false synonyms={DEFAULT_CONFIG:compression.type=producer}\n"), std::string::npos)
      << r.out;

  r = tool("kafka-configs.sh", "--topic orders --alter --delete-config retention.ms");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = tool("kafka-configs.sh", "--topic orders --describe");
  EXPECT_EQ(r.out.find("retention.ms"), std::string::npos) << r.out;

  // Errors: a key the broker does not know, deleting what is not set, a bad pair.
  r = tool("kafka-configs.sh", "--topic orders --alter --add-config nope=1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error while executing config command with args '--bootstrap-server " + broker->bootstrap() +
                       " --topic orders --alter --add-config nope=1'\n"
                       "java.util.concurrent.ExecutionException: org.apache.kafka.common.errors."
                       "InvalidConfigurationException: Unknown topic config name: nope\n");
  r = tool("kafka-configs.sh", "--topic orders --alter --delete-config segment.ms");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Invalid config(s): segment.ms\n");
  r = tool("kafka-configs.sh", "--topic orders --alter --add-config novalue");
  EXPECT_EQ(r.err, "requirement failed: Invalid entity config: all configs to be added must be in the format "
                   "\"key=val\".\n");

  // Brokers: the cluster-wide default and one broker.
  r = tool("kafka-configs.sh", "--entity-type brokers --entity-default --alter --add-config log.cleaner.threads=2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Completed updating default config for brokers in the cluster.\n");
  r = tool("kafka-configs.sh", "--entity-type brokers --describe");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Dynamic configs for broker 1 are:\n"
            "Default configs for brokers in the cluster are:\n"
            "  log.cleaner.threads=2 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleaner.threads=2}\n");
  r = tool("kafka-configs.sh", "--broker 1 --describe");
  EXPECT_EQ(r.out, "Dynamic configs for broker 1 are:\n");
}

TEST_F(AdminToolsTest, GetOffsetsAndDeleteRecords) {
  make_topics();
  ToolRun r = tool("kafka-get-offsets.sh", "--topic orders");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "orders:0:3\norders:1:2\norders:2:1\n");
  r = tool("kafka-get-offsets.sh", "--exclude-internal-topics");
  EXPECT_EQ(r.out, "orders:0:3\norders:1:2\norders:2:1\nother:0:1\n");
  r = tool("kafka-get-offsets.sh", "--topic 'o.*' --partitions 0 --time -2");
  EXPECT_EQ(r.out, "orders:0:0\nother:0:0\n");
  r = tool("kafka-get-offsets.sh", "--topic-partitions 'orders:1-,other' --time earliest");
  EXPECT_EQ(r.out, "orders:1:0\norders:2:0\nother:0:0\n");
  r = tool("kafka-get-offsets.sh", "--topic orders --partitions 1 --time 99999999999999");
  EXPECT_EQ(r.out, "orders:1:\n");
  r = tool("kafka-get-offsets.sh", "--topic nothing");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Could not match any topic-partitions with the specified filters\n");
  r = tool("kafka-get-offsets.sh", "--topic orders --time yesterday");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.substr(0, 36), "Malformed time argument yesterday. P");

  const std::string json = dir.path() + "/offsets.json";
  std::ofstream(json) << R"({"partitions": [{"topic": "orders", "partition": 0, "offset": 2},
    {"partition": 1, "topic": "orders", "offset": -1}, {"topic": "orders", "partition": 2, "offset": 5}], "version": 1})";
  r = tool("kafka-delete-records.sh", "--offset-json-file " + json);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Executing records delete operation\n"
            "Records delete operation completed:\n"
            "partition: orders-0\tlow_watermark: 2\n"
            "partition: orders-1\tlow_watermark: 2\n"
            "partition: orders-2\terror: org.apache.kafka.common.errors.OffsetOutOfRangeException: The requested "
            "offset is outside the range the partition holds.\n");
  r = tool("kafka-get-offsets.sh", "--topic orders --time earliest");
  EXPECT_EQ(r.out, "orders:0:2\norders:1:2\norders:2:0\n");
  std::ofstream(json) << R"({"partitions": [{"topic": "orders", "partition": 0, "offset": 2},
    {"topic": "orders", "partition": 0, "offset": 3}], "version": 1})";
  r = tool("kafka-delete-records.sh", "--offset-json-file " + json);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Offset json file contains duplicate topic partitions: orders-0\n");
}

}  // namespace
}  // namespace gregor::testing
