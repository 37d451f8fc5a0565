// Real admin clients against a real `gregor server` process: kafka-python's KafkaAdminClient
// and kafkajs's admin create, list, describe, grow and delete topics and describe the cluster;
// what they produce to new partitions is read back with kcat; deleted topics stay deleted, and
// leave nothing on disk, across a restart; delete.topic.enable=false refuses deletions.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "../storage/temp_dir.h"
#include "broker_process.h"
#include "process.h"

namespace gregor::testing {
namespace {

using namespace std::chrono_literals;

class AdminClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker = std::make_unique<BrokerProcess>(data_dir());
    ASSERT_TRUE(broker->start()) << broker->log();
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << broker->log();
  }
  std::string data_dir() const { return dir.path() + "/data"; }
  std::string clients_dir() const { return std::string(GREGOR_SOURCE_DIR) + "/tests/clients/"; }
  // The data dir's entries whose names start with prefix.
  std::vector<std::string> entries(const std::string& prefix) const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(data_dir())) {
      std::string name = e.path().filename().string();
      if (name.starts_with(prefix)) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  ProcessResult kcat(std::vector<std::string> args) {
    std::vector<std::string> argv = {"kcat", "-b", broker->bootstrap()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, 60s);
  }

  storage::testing::TempDir dir;
  std::unique_ptr<BrokerProcess> broker;
};

TEST_F(AdminClientsTest, KafkaPythonAdminClient) {
  auto run = run_process({"/usr/bin/python3", clients_dir() + "kafka_python_admin.py", broker->bootstrap()}, 120s);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("ok"), std::string::npos) << run.output;
  // kp-assigned was deleted (3 partitions) and created again with one: after a restart only
  // its new partition is left, and the deleted directories are gone.
  ASSERT_EQ(broker->stop(), 0) << broker->log();
  ASSERT_TRUE(broker->start()) << broker->log();
  EXPECT_EQ(entries("kp-assigned"), std::vector<std::string>{"kp-assigned-0"});
  EXPECT_EQ(entries("kp-configured").size(), 4u);
  if (!have_program("kcat")) return;
  auto listed = kcat({"-L", "-t", "kp-assigned"});
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("1 partitions"), std::string::npos) << listed.output;
}

TEST_F(AdminClientsTest, KafkajsAdminAndProducer) {
  auto run = run_process({"node", clients_dir() + "kafkajs_admin.js", broker->bootstrap(), "kjs-topic"}, 120s);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("ok"), std::string::npos) << run.output;
  // The deleted topic's directories are renamed at once, and removed after file.delete.delay.ms.
  for (const std::string& e : entries("kjs-topic-assigned")) EXPECT_TRUE(e.ends_with("-delete")) << e;
  if (!have_program("kcat")) GTEST_SKIP() << "kcat is not installed";
  // What the kafkajs producer sent, read back by librdkafka: partition 2 was added by
  // createPartitions.
  auto new_partition = kcat({"-C", "-t", "kjs-topic", "-p", "2", "-o", "beginning", "-e", "-q", "-f", "%k=%s@%o\n"});
  ASSERT_EQ(new_partition.exit_code, 0) << new_partition.output;
  EXPECT_EQ(new_partition.output, "k2a=to-new-partition-2@0\nk2b=again-to-partition-2@1\n");
  auto first = kcat({"-C", "-t", "kjs-topic", "-p", "0", "-o", "beginning", "-e", "-q", "-f", "%k=%s@%o\n"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(first.output, "k0=to-partition-0@0\n");
}

// delete.topic.enable=false, from the broker's configuration to the client's error.
TEST(AdminClientsConfig, DeletionDisabledByConfigurationIsRefused) {
  storage::testing::TempDir dir;
  BrokerProcess broker(dir.path() + "/data", {"delete.topic.enable=false"});
  ASSERT_TRUE(broker.start()) << broker.log();
  auto run = run_process({"node", std::string(GREGOR_SOURCE_DIR) + "/tests/clients/kafkajs_delete_topic.js",
                          broker.bootstrap(), "undeletable"},
                         120s);
  ASSERT_EQ(run.exit_code, 0) << run.output << broker.log();
  // kafkajs sends DeleteTopics v1, from before TOPIC_DELETION_DISABLED (v3): Kafka answers those
  // with INVALID_REQUEST.
  EXPECT_EQ(run.output, "INVALID_REQUEST\nlisted\n");
}

}  // namespace
}  // namespace gregor::testing
