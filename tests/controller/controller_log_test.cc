// The whole path on one node: request -> controller -> records -> metadata log -> commit ->
// replay -> image; and after a restart, the log gives back the same image.
#include <gtest/gtest.h>

#include "controller/quorum_controller.h"
#include "metadata/metadata_log.h"
#include "storage/sim_file_system.h"

namespace gregor::controller {
namespace {

using metadata::MetadataImage;
using metadata::MetadataLog;
using metadata::MetadataRecord;

constexpr const char* kClusterId = "MkU3OEVBNTcwNTJENDM2Qg";

class ControllerLogTest : public ::testing::Test {
 protected:
  void start() {
    MetadataLog::Options log_options;
    log_options.metadata_dir = "/kraft";
    log_options.cluster_id = kClusterId;
    auto opened = MetadataLog::open(fs, clock, syncs, log_options);
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    log = std::move(opened->log);
    // Each start is a new leader epoch, as a Raft election would make it.
    epoch = opened->image->last_epoch() + 1;
    QuorumController::Options options;
    options.node_id = 1;
    options.cluster_id = kClusterId;
    options.random_seed = 99;
    controller = std::make_unique<QuorumController>(options, opened->image);
    published = controller->image();
  }

  // Appends the records; once committed, replays them and publishes the image.
  void write(const std::vector<MetadataRecord>& records) {
    bool committed = false;
    auto base = log->append(records, epoch, [&](Status s, int64_t first, int64_t) {
      ASSERT_TRUE(s.ok()) << s.to_string();
      for (size_t i = 0; i < records.size(); ++i) {
        ASSERT_TRUE(controller->replay(records[i], first + static_cast<int64_t>(i), epoch).ok());
      }
      published = controller->image();
      committed = true;
    });
    ASSERT_TRUE(base.ok()) << base.status().to_string();
    EXPECT_TRUE(committed);
  }

  template <typename Response>
  Response submit(ControllerResult<Response> result) {
    write(result.records);
    return std::move(result.response);
  }

  storage::SimFileSystem fs;
  storage::ManualClock clock;
  storage::InlineSyncExecutor syncs;
  std::unique_ptr<MetadataLog> log;
  std::unique_ptr<QuorumController> controller;
  std::shared_ptr<const MetadataImage> published;
  int32_t epoch = 0;
};

TEST_F(ControllerLogTest, ChangesSurviveARestart) {
  start();
  EXPECT_EQ(epoch, 0);
  write(controller->bootstrap());
  EXPECT_EQ(published->metadata_version(), kMetadataVersion);

  protocol::BrokerRegistrationRequest registration;
  registration.broker_id = 1;
  registration.cluster_id = kClusterId;
  registration.incarnation_id = Uuid::from_halves(1, 2);
  registration.listeners.push_back({"PLAINTEXT", "localhost", 9092, 0, {}});
  registration.features.push_back({"metadata.version", 7, kMetadataVersion, {}});
  registration.log_dirs = {Uuid::from_halves(50, 50)};
  const int64_t broker_epoch = submit(controller->register_broker(registration, 0)).broker_epoch;
  EXPECT_EQ(broker_epoch, 3);  // the RegisterBrokerRecord's offset
  // Caught up with its registration: unfenced.
  protocol::BrokerHeartbeatRequest heartbeat;
  heartbeat.broker_id = 1;
  heartbeat.broker_epoch = broker_epoch;
  heartbeat.current_metadata_offset = broker_epoch;
  EXPECT_FALSE(submit(controller->broker_heartbeat(heartbeat, 0)).is_fenced);

  protocol::CreateTopicsRequest create;
  protocol::CreateTopicsRequest::CreatableTopic topic;
  topic.name = "orders";
  topic.num_partitions = 4;
  topic.replication_factor = 1;
  topic.configs.push_back({"retention.ms", "60000", {}});
  create.topics.push_back(topic);
  const Uuid orders = submit(controller->create_topics(create)).topics[0].topic_id;
  // With one log dir, the broker's replicas are placed in it.
  EXPECT_EQ(published->partition(orders, 0)->directories, std::vector<Uuid>{Uuid::from_halves(50, 50)});

  EXPECT_EQ(submit(controller->allocate_producer_ids(1, broker_epoch)).producer_id_start, 0);
  protocol::CreatePartitionsRequest grow;
  grow.topics.push_back({"orders", 6, std::nullopt, {}});
  EXPECT_EQ(submit(controller->create_partitions(grow)).results[0].error_code, 0);

  const auto before = published;
  ASSERT_TRUE(log->close().ok());
  log.reset();
  controller.reset();

  start();
  EXPECT_EQ(epoch, 1);
  EXPECT_EQ(*published, *before);
  EXPECT_EQ(published->topic("orders")->partition_count(), 6);
  EXPECT_EQ(published->configs(metadata::ConfigResourceType::topic, "orders").at("retention.ms"), "60000");
  // Nothing to bootstrap, and the next producer id block follows the last one.
  EXPECT_TRUE(controller->bootstrap().empty());
  EXPECT_EQ(submit(controller->allocate_producer_ids(1, broker_epoch)).producer_id_start, 1000);
  EXPECT_EQ(published->last_epoch(), 1);

  protocol::DeleteTopicsRequest remove;
  remove.topic_names = {"orders"};
  EXPECT_EQ(submit(controller->delete_topics(remove, 5)).responses[0].error_code, 0);
  EXPECT_EQ(published->topic("orders"), nullptr);
}

}  // namespace
}  // namespace gregor::controller
