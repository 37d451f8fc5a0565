// The controller's answers and records for each request, checked against Kafka's validation
// rules and messages, and the image its records build.
#include "controller/quorum_controller.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "controller_test_util.h"

namespace gregor::controller {
namespace {

using metadata::ConfigResourceType;
using metadata::MetadataRecord;
using protocol::CreateTopicsRequest;
using testing::ControllerTest;
using testing::expect_error;

constexpr int8_t kTopic = 2;
constexpr int8_t kBroker = 4;

// ---- bootstrap and registration ----

TEST_F(ControllerTest, BootstrapWritesMetadataVersionInATransaction) {
  const auto records = QuorumController::bootstrap_records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_NE(records[0].get<protocol::BeginTransactionRecord>(), nullptr);
  const auto* level = records[1].get<protocol::FeatureLevelRecord>();
  ASSERT_NE(level, nullptr);
  EXPECT_EQ(level->name, "metadata.version");
  EXPECT_EQ(level->feature_level, 21);
  EXPECT_NE(records[2].get<protocol::EndTransactionRecord>(), nullptr);
  EXPECT_EQ(image()->metadata_version(), kMetadataVersion);
  // Only an empty log is bootstrapped.
  EXPECT_TRUE(controller->bootstrap().empty());
}

TEST_F(ControllerTest, RegisteredBrokerIsUnfencedByAHeartbeat) {
  const metadata::BrokerRegistration* b = image()->broker(1);
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->fenced);
  EXPECT_EQ(b->endpoint("PLAINTEXT")->host, "broker1");
  // The epoch is the offset of the RegisterBrokerRecord: after the three bootstrap records.
  EXPECT_EQ(b->epoch, 3);

  auto result = controller->register_broker(registration(2, "rack-b"), now_ms);
  EXPECT_EQ(result.response.error_code, 0);
  EXPECT_EQ(result.response.broker_epoch, next_offset);
  ASSERT_EQ(result.records.size(), 1u);
  const auto* reg = result.records[0].get<protocol::RegisterBrokerRecord>();
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(result.records[0].version, 3);
  EXPECT_TRUE(reg->fenced);
  EXPECT_EQ(reg->rack, "rack-b");
  const int64_t epoch = result.response.broker_epoch;
  commit(result.records);
  EXPECT_TRUE(image()->broker(2)->fenced);
  EXPECT_EQ(image()->broker_nodes("PLAINTEXT").size(), 1u);

  // Behind its own registration: still fenced, not caught up, and nothing written.
  auto behind = controller->broker_heartbeat(heartbeat(2, epoch, epoch - 1), now_ms);
  EXPECT_EQ(behind.response.error_code, 0);
  EXPECT_FALSE(behind.response.is_caught_up);
  EXPECT_TRUE(behind.response.is_fenced);
  EXPECT_FALSE(behind.response.should_shut_down);
  EXPECT_TRUE(behind.records.empty());

  // Caught up: unfenced by a BrokerRegistrationChangeRecord.
  auto caught_up = controller->broker_heartbeat(heartbeat(2, epoch, epoch), now_ms);
  EXPECT_TRUE(caught_up.response.is_caught_up);
  EXPECT_FALSE(caught_up.response.is_fenced);
  ASSERT_EQ(caught_up.records.size(), 1u);
  const auto* change = caught_up.records[0].get<protocol::BrokerRegistrationChangeRecord>();
  ASSERT_NE(change, nullptr);
  EXPECT_EQ(caught_up.records[0].version, 2);
  EXPECT_EQ(change->fenced, -1);
  EXPECT_EQ(change->in_controlled_shutdown, 0);
  EXPECT_EQ(change->broker_epoch, epoch);
  commit(caught_up.records);
  EXPECT_TRUE(image()->broker(2)->active());
  EXPECT_EQ(image()->broker_nodes("PLAINTEXT").size(), 2u);

  // Further heartbeats change nothing.
  auto again = controller->broker_heartbeat(heartbeat(2, epoch, epoch + 5), now_ms);
  EXPECT_FALSE(again.response.is_fenced);
  EXPECT_TRUE(again.records.empty());
}

TEST_F(ControllerTest, HeartbeatErrors) {
  // Unknown broker and wrong epoch: Kafka's STALE_BROKER_EPOCH, nothing written.
  auto unknown = controller->broker_heartbeat(heartbeat(9, 3, 100), now_ms);
  EXPECT_EQ(unknown.response.error_code, static_cast<int16_t>(ErrorCode::stale_broker_epoch));
  EXPECT_TRUE(unknown.records.empty());
  auto stale = controller->broker_heartbeat(heartbeat(1, 2, 100), now_ms);
  EXPECT_EQ(stale.response.error_code, static_cast<int16_t>(ErrorCode::stale_broker_epoch));
  EXPECT_TRUE(stale.records.empty());
  // A stale heartbeat does not keep the session alive.
  now_ms += 9000;
  auto fenced = controller->tick(now_ms);
  ASSERT_EQ(fenced.size(), 1u);
  EXPECT_EQ(fenced[0].get<protocol::BrokerRegistrationChangeRecord>()->broker_id, 1);
}

TEST_F(ControllerTest, SessionTimeoutFencesAndAHeartbeatUnfencesAgain) {
  const int64_t epoch2 = register_broker(2);
  // Broker 1 keeps heartbeating, broker 2 stops.
  now_ms += 5000;
  commit(controller->broker_heartbeat(heartbeat(1, 3, next_offset - 1), now_ms));
  EXPECT_TRUE(controller->tick(now_ms).empty());
  now_ms += 3999;  // 8999 ms after broker 2's last heartbeat
  EXPECT_TRUE(controller->tick(now_ms).empty());
  EXPECT_EQ(controller->next_session_expiry_ms(), now_ms + 1);
  now_ms += 1;
  auto records = controller->tick(now_ms);
  ASSERT_EQ(records.size(), 1u);
  const auto* change = records[0].get<protocol::BrokerRegistrationChangeRecord>();
  ASSERT_NE(change, nullptr);
  EXPECT_EQ(change->broker_id, 2);
  EXPECT_EQ(change->broker_epoch, epoch2);
  EXPECT_EQ(change->fenced, 1);
  commit(records);
  EXPECT_TRUE(image()->broker(2)->fenced);
  EXPECT_FALSE(image()->broker(1)->fenced);
  EXPECT_EQ(image()->broker_nodes("PLAINTEXT").size(), 1u);
  // Fenced already: a later tick writes nothing more.
  now_ms += 20000;
  commit(controller->tick(now_ms));  // broker 1's session expires too
  EXPECT_TRUE(image()->broker(1)->fenced);
  EXPECT_TRUE(controller->tick(now_ms + 20000).empty());

  // The same registration heartbeats again: unfenced, it is still caught up.
  auto back = controller->broker_heartbeat(heartbeat(2, epoch2, next_offset - 1), now_ms);
  EXPECT_FALSE(back.response.is_fenced);
  ASSERT_EQ(back.records.size(), 1u);
  EXPECT_EQ(back.records[0].get<protocol::BrokerRegistrationChangeRecord>()->fenced, -1);
  commit(back.records);
  EXPECT_TRUE(image()->broker(2)->active());
}

TEST_F(ControllerTest, DuplicateRegistrationWhileTheSessionIsValid) {
  const int64_t epoch2 = register_broker(2);
  // Another process with id 2 and a new incarnation, while the first still has a session.
  auto other = registration(2);
  other.incarnation_id = Uuid::from_halves(2, 99);
  now_ms += 8999;
  auto refused = controller->register_broker(other, now_ms);
  EXPECT_EQ(refused.response.error_code, static_cast<int16_t>(ErrorCode::duplicate_broker_registration));
  EXPECT_TRUE(refused.records.empty());

  // The same incarnation again (a retried registration): accepted, a new epoch, fenced until it
  // catches up.
  auto same = controller->register_broker(registration(2), now_ms);
  EXPECT_EQ(same.response.error_code, 0);
  EXPECT_GT(same.response.broker_epoch, epoch2);
  commit(same.records);
  EXPECT_EQ(image()->broker(2)->epoch, same.response.broker_epoch);
  EXPECT_TRUE(image()->broker(2)->fenced);
  // The old epoch is stale now.
  EXPECT_EQ(controller->broker_heartbeat(heartbeat(2, epoch2, next_offset), now_ms).response.error_code,
            static_cast<int16_t>(ErrorCode::stale_broker_epoch));

  // Unfenced again, then silent: once the session has expired the new incarnation gets in, with
  // a new epoch.
  commit(controller->broker_heartbeat(heartbeat(2, same.response.broker_epoch, next_offset), now_ms));
  EXPECT_EQ(controller->register_broker(other, now_ms).response.error_code,
            static_cast<int16_t>(ErrorCode::duplicate_broker_registration));
  now_ms += 9000;
  commit(controller->tick(now_ms));
  auto accepted = controller->register_broker(other, now_ms);
  EXPECT_EQ(accepted.response.error_code, 0);
  EXPECT_EQ(accepted.response.broker_epoch, next_offset);
  commit(accepted.records);
  EXPECT_EQ(image()->broker(2)->incarnation_id, other.incarnation_id);
  // Unfenced, the new incarnation makes the old one the duplicate.
  commit(controller->broker_heartbeat(heartbeat(2, accepted.response.broker_epoch, next_offset), now_ms));
  EXPECT_EQ(controller->register_broker(registration(2), now_ms).response.error_code,
            static_cast<int16_t>(ErrorCode::duplicate_broker_registration));
}

TEST_F(ControllerTest, AFencedBrokerHasNoSession) {
  // Broker 2 shut down cleanly (fenced) a moment ago: its next process registers at once.
  const int64_t epoch2 = register_broker(2);
  commit(controller->broker_heartbeat(heartbeat(2, epoch2, next_offset, false, true), now_ms));
  EXPECT_TRUE(image()->broker(2)->fenced);
  auto restarted = registration(2);
  restarted.incarnation_id = Uuid::from_halves(2, 5);
  EXPECT_EQ(controller->register_broker(restarted, now_ms).response.error_code, 0);
}

TEST_F(ControllerTest, TheLocalBrokerGetsNoSessionOnActivation) {
  // A combined node restarting after a crash: its broker registration is still unfenced, but it
  // died with the process, so the new process registers at once; another broker has to wait.
  register_broker(2);
  controller = std::make_unique<QuorumController>(options(), image());
  controller->activate(now_ms, 1);
  auto again = registration(1);
  again.incarnation_id = Uuid::from_halves(1, 5);
  EXPECT_EQ(controller->register_broker(again, now_ms).response.error_code, 0);
  auto other = registration(2);
  other.incarnation_id = Uuid::from_halves(2, 5);
  EXPECT_EQ(controller->register_broker(other, now_ms).response.error_code,
            static_cast<int16_t>(ErrorCode::duplicate_broker_registration));
}

TEST_F(ControllerTest, WantFenceAndShutdown) {
  const int64_t epoch2 = register_broker(2);
  const int64_t epoch3 = register_broker(3);
  const int64_t epoch4 = register_broker(4, std::nullopt, false);
  // A fenced broker that asks to stay fenced stays fenced, caught up or not.
  auto stay = controller->broker_heartbeat(heartbeat(4, epoch4, next_offset, true), now_ms);
  EXPECT_TRUE(stay.response.is_fenced);
  EXPECT_TRUE(stay.response.is_caught_up);
  EXPECT_TRUE(stay.records.empty());
  // A fenced broker that wants to shut down may, at once, with nothing to write.
  auto fenced_stop = controller->broker_heartbeat(heartbeat(4, epoch4, 0, false, true), now_ms);
  EXPECT_TRUE(fenced_stop.response.is_fenced);
  EXPECT_TRUE(fenced_stop.response.should_shut_down);
  EXPECT_TRUE(fenced_stop.records.empty());

  // An unfenced broker that asks to be fenced is fenced.
  auto fence = controller->broker_heartbeat(heartbeat(2, epoch2, next_offset, true), now_ms);
  EXPECT_TRUE(fence.response.is_fenced);
  EXPECT_FALSE(fence.response.should_shut_down);
  ASSERT_EQ(fence.records.size(), 1u);
  EXPECT_EQ(fence.records[0].get<protocol::BrokerRegistrationChangeRecord>()->fenced, 1);
  commit(fence.records);
  EXPECT_TRUE(image()->broker(2)->fenced);

  // An unfenced broker asking to shut down (controlled shutdown): it has no leaderships to move
  // here, so it is fenced and told to shut down at once.
  create_topic("led", 3, 1);
  auto stop = controller->broker_heartbeat(heartbeat(3, epoch3, next_offset, false, true), now_ms);
  EXPECT_TRUE(stop.response.is_fenced);
  EXPECT_TRUE(stop.response.should_shut_down);
  ASSERT_EQ(stop.records.size(), 1u);
  EXPECT_EQ(stop.records[0].get<protocol::BrokerRegistrationChangeRecord>()->fenced, 1);
  commit(stop.records);
  EXPECT_TRUE(image()->broker(3)->fenced);
}

TEST_F(ControllerTest, ANewControllerGivesEveryBrokerAFreshSession) {
  register_broker(2);
  now_ms += 8000;
  // Failover: the new controller starts from the committed image and knows no heartbeats.
  controller = std::make_unique<QuorumController>(options(), image());
  controller->activate(now_ms);
  now_ms += 8999;
  EXPECT_TRUE(controller->tick(now_ms).empty());
  now_ms += 1;
  auto records = controller->tick(now_ms);
  EXPECT_EQ(records.size(), 2u);  // brokers 1 and 2
}

TEST_F(ControllerTest, ControllerRegistration) {
  protocol::ControllerRegistrationRequest request;
  request.controller_id = 3000;
  request.incarnation_id = Uuid::from_halves(3, 3);
  request.listeners.push_back({"CONTROLLER", "c1", 9093, 0, {}});
  request.features.push_back({"metadata.version", 1, kMetadataVersion, {}});
  auto result = controller->register_controller(request);
  EXPECT_EQ(result.response.error_code, 0);
  ASSERT_EQ(result.records.size(), 1u);
  const auto* record = result.records[0].get<protocol::RegisterControllerRecord>();
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->controller_id, 3000);
  EXPECT_EQ(record->end_points.size(), 1u);
  commit(result.records);
}

TEST_F(ControllerTest, RegistrationErrors) {
  auto wrong_cluster = registration(2);
  wrong_cluster.cluster_id = "other";
  auto r = controller->register_broker(wrong_cluster, now_ms);
  EXPECT_EQ(r.response.error_code, static_cast<int16_t>(ErrorCode::inconsistent_cluster_id));
  EXPECT_TRUE(r.records.empty());

  auto old_broker = registration(2);
  old_broker.features[0].max_supported_version = 20;
  EXPECT_EQ(controller->register_broker(old_broker, now_ms).response.error_code,
            static_cast<int16_t>(ErrorCode::unsupported_version));
  // No range at all means the first KRaft version only.
  auto no_range = registration(2);
  no_range.features.clear();
  EXPECT_EQ(controller->register_broker(no_range, now_ms).response.error_code,
            static_cast<int16_t>(ErrorCode::unsupported_version));

  auto zk = registration(2);
  zk.is_migrating_zk_broker = true;
  EXPECT_EQ(controller->register_broker(zk, now_ms).response.error_code,
            static_cast<int16_t>(ErrorCode::broker_id_not_registered));
  EXPECT_EQ(controller->uncommitted_records(), 0u);
}

// ---- CreateTopics ----

TEST_F(ControllerTest, CreateTopicThenReplayGivesTheImage) {
  auto result = controller->create_topics(create_request({topic("orders", 3, 1)}));
  ASSERT_EQ(result.response.topics.size(), 1u);
  const auto& t = result.response.topics[0];
  EXPECT_EQ(t.error_code, 0);
  EXPECT_EQ(t.error_message, std::nullopt);
  EXPECT_FALSE(t.topic_id.is_zero());
  EXPECT_EQ(t.num_partitions, 3);
  EXPECT_EQ(t.replication_factor, 1);
  ASSERT_EQ(result.records.size(), 4u);
  EXPECT_NE(result.records[0].get<protocol::TopicRecord>(), nullptr);
  for (int i = 1; i < 4; ++i) {
    const auto* p = result.records[static_cast<size_t>(i)].get<protocol::PartitionRecord>();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(result.records[static_cast<size_t>(i)].version, 1);
    EXPECT_EQ(p->partition_id, i - 1);
  }
  // Nothing is committed until replayed; the latest state already has it.
  EXPECT_EQ(image()->topic("orders"), nullptr);
  EXPECT_NE(controller->latest_image()->topic("orders"), nullptr);
  commit(result.records);
  EXPECT_EQ(controller->uncommitted_records(), 0u);

  const metadata::TopicImage* topic_image = image()->topic("orders");
  ASSERT_NE(topic_image, nullptr);
  EXPECT_EQ(topic_image->id, t.topic_id);
  EXPECT_EQ(topic_image->partition_count(), 3);
  for (int32_t p = 0; p < 3; ++p) {
    const metadata::PartitionRegistration* part = topic_image->partition(p);
    EXPECT_EQ(part->replicas, std::vector<int32_t>{1});
    EXPECT_EQ(part->isr, std::vector<int32_t>{1});
    EXPECT_EQ(part->leader, 1);
    EXPECT_EQ(part->leader_epoch, 0);
    EXPECT_EQ(part->partition_epoch, 0);
    // Broker 1 registered no log dirs: the replica's directory is "migrating" (wherever it is).
    EXPECT_EQ(part->directories, std::vector<Uuid>{metadata::kDirectoryMigrating});
  }
  EXPECT_EQ(image()->last_offset(), next_offset - 1);
}

TEST_F(ControllerTest, CreateTopicsReturnsConfigsWithTheirSources) {
  auto t = topic("orders", 1, 1);
  t.configs.push_back({"retention.ms", "1000", {}});
  t.configs.push_back({"cleanup.policy", "compact", {}});
  auto response = commit(controller->create_topics(create_request({t})));
  const auto& result = response.topics[0];
  ASSERT_EQ(result.error_code, 0) << result.error_message.value_or("");
  ASSERT_TRUE(result.configs);
  std::map<std::string, protocol::CreateTopicsResponse::CreatableTopicConfigs> by_name;
  for (const auto& c : *result.configs) by_name[c.name] = c;
  EXPECT_EQ(by_name.size(), storage::LogConfig::topic_config_keys().size());
  EXPECT_EQ(by_name["retention.ms"].value, "1000");
  EXPECT_EQ(by_name["retention.ms"].config_source, 1);  // DYNAMIC_TOPIC_CONFIG
  EXPECT_EQ(by_name["cleanup.policy"].value, "compact");
  EXPECT_EQ(by_name["segment.bytes"].value, "1073741824");
  EXPECT_EQ(by_name["segment.bytes"].config_source, 5);  // DEFAULT_CONFIG
  EXPECT_FALSE(by_name["segment.bytes"].is_sensitive);
  // Sorted by name, as Kafka returns them.
  EXPECT_TRUE(std::is_sorted(result.configs->begin(), result.configs->end(),
                             [](const auto& a, const auto& b) { return a.name < b.name; }));
  // The configs are records too, between the topic and its partitions.
  EXPECT_EQ(image()->configs(ConfigResourceType::topic, "orders"),
            (metadata::MetadataImage::Configs{{"cleanup.policy", "compact"}, {"retention.ms", "1000"}}));
}

class StaticConfigControllerTest : public ControllerTest {
 protected:
  QuorumController::Options options() override {
    QuorumController::Options o = ControllerTest::options();
    o.static_config = {{"log.retention.hours", "1"}, {"num.partitions", "3"}};
    o.default_num_partitions = 3;
    return o;
  }
};

TEST_F(StaticConfigControllerTest, DefaultsComeFromTheBrokerLayers) {
  auto created = commit(controller->create_topics(create_request({topic("a", -1, -1)})));
  ASSERT_EQ(created.topics[0].error_code, 0);
  EXPECT_EQ(created.topics[0].num_partitions, 3);
  EXPECT_EQ(created.topics[0].replication_factor, 1);
  auto find = [](const auto& result, const std::string& name) {
    for (const auto& c : *result.configs) {
      if (c.name == name) return c;
    }
    return protocol::CreateTopicsResponse::CreatableTopicConfigs{};
  };
  EXPECT_EQ(find(created.topics[0], "retention.ms").value, "3600000");
  EXPECT_EQ(find(created.topics[0], "retention.ms").config_source, 4);  // STATIC_BROKER_CONFIG

  // A cluster-wide dynamic default, then this broker's own, each override the layer below.
  protocol::IncrementalAlterConfigsRequest alter;
  alter.resources.push_back({kBroker, "", {{"log.retention.ms", 0, "7000", {}}}, {}});
  ASSERT_EQ(commit(controller->incremental_alter_configs(alter)).responses[0].error_code, 0);
  auto second = commit(controller->create_topics(create_request({topic("b")})));
  EXPECT_EQ(find(second.topics[0], "retention.ms").value, "7000");
  EXPECT_EQ(find(second.topics[0], "retention.ms").config_source, 3);  // DYNAMIC_DEFAULT_BROKER_CONFIG
  alter.resources[0].resource_name = "1";
  alter.resources[0].configs[0].value = "8000";
  ASSERT_EQ(commit(controller->incremental_alter_configs(alter)).responses[0].error_code, 0);
  auto third = commit(controller->create_topics(create_request({topic("c")})));
  EXPECT_EQ(find(third.topics[0], "retention.ms").value, "8000");
  EXPECT_EQ(find(third.topics[0], "retention.ms").config_source, 2);  // DYNAMIC_BROKER_CONFIG
}

TEST_F(ControllerTest, ValidateOnlyWritesNothing) {
  auto result = controller->create_topics(create_request({topic("orders", 2, 1)}, true));
  EXPECT_EQ(result.response.topics[0].error_code, 0);
  EXPECT_EQ(result.response.topics[0].num_partitions, 2);
  EXPECT_TRUE(result.records.empty());
  EXPECT_EQ(controller->uncommitted_records(), 0u);
  EXPECT_EQ(controller->latest_image()->topic("orders"), nullptr);
  // The name is still free.
  create_topic("orders");
}

TEST_F(ControllerTest, InvalidTopicNames) {
  const std::string long_name(250, 'x');
  auto response = controller->create_topics(
      create_request({topic(""), topic("."), topic(".."), topic(long_name), topic("a/b"), topic("ok")}));
  ASSERT_EQ(response.response.topics.size(), 6u);
  const ErrorCode invalid = ErrorCode::invalid_topic_exception;
  expect_error(response.response.topics[0], invalid, "Topic name is invalid: the empty string is not allowed");
  expect_error(response.response.topics[1], invalid, "Topic name is invalid: '.' is not allowed");
  expect_error(response.response.topics[2], invalid, "Topic name is invalid: '..' is not allowed");
  expect_error(response.response.topics[3], invalid,
               "Topic name is invalid: the length of '" + long_name + "' is longer than the max allowed length 249");
  expect_error(response.response.topics[4], invalid,
               "Topic name is invalid: 'a/b' contains one or more characters other than ASCII alphanumerics, '.', "
               "'_' and '-'");
  EXPECT_EQ(response.response.topics[5].error_code, 0);
  // Only the valid topic has records.
  EXPECT_EQ(response.records.size(), 2u);
}

TEST_F(ControllerTest, NamesThatCollideWithAnExistingTopic) {
  create_topic("metrics.cpu");
  auto response = controller->create_topics(create_request({topic("metrics_cpu"), topic("metrics.cpu")}));
  expect_error(response.response.topics[0], ErrorCode::invalid_topic_exception,
               "Topic 'metrics_cpu' collides with existing topic: metrics.cpu");
  expect_error(response.response.topics[1], ErrorCode::topic_already_exists, "Topic 'metrics.cpu' already exists.");
}

TEST_F(ControllerTest, AlreadyExistsEvenBeforeCommit) {
  create_topic("orders");
  expect_error(controller->create_topics(create_request({topic("orders")})).response.topics[0],
               ErrorCode::topic_already_exists, "Topic 'orders' already exists.");
  // A second request for a name handed out but not committed yet fails too.
  auto first = controller->create_topics(create_request({topic("pending")}));
  EXPECT_EQ(first.response.topics[0].error_code, 0);
  expect_error(controller->create_topics(create_request({topic("pending")})).response.topics[0],
               ErrorCode::topic_already_exists, "Topic 'pending' already exists.");
}

TEST_F(ControllerTest, DuplicateTopicsInOneRequest) {
  auto result = controller->create_topics(create_request({topic("a"), topic("b"), topic("a")}));
  ASSERT_EQ(result.response.topics.size(), 2u);
  EXPECT_EQ(result.response.topics[0].name, "b");
  EXPECT_EQ(result.response.topics[0].error_code, 0);
  EXPECT_EQ(result.response.topics[1].name, "a");
  expect_error(result.response.topics[1], ErrorCode::invalid_request, "Duplicate topic name.");
}

TEST_F(ControllerTest, InvalidPartitionsAndReplicationFactors) {
  auto result = controller->create_topics(create_request(
      {topic("p0", 0, 1), topic("p-2", -2, 1), topic("r0", 1, 0), topic("r-2", 1, -2), topic("r3", 1, 3)}));
  const auto& t = result.response.topics;
  expect_error(t[0], ErrorCode::invalid_partitions, "Number of partitions was set to an invalid non-positive value.");
  expect_error(t[1], ErrorCode::invalid_partitions, "Number of partitions was set to an invalid non-positive value.");
  expect_error(t[2], ErrorCode::invalid_replication_factor,
               "Replication factor must be larger than 0, or -1 to use the default value.");
  expect_error(t[3], ErrorCode::invalid_replication_factor,
               "Replication factor must be larger than 0, or -1 to use the default value.");
  expect_error(t[4], ErrorCode::invalid_replication_factor,
               "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached "
               "because only 1 broker(s) are registered.");
  EXPECT_EQ(t[4].num_partitions, -1);
  EXPECT_TRUE(result.records.empty());
}

TEST_F(ControllerTest, MinusOneMeansTheDefaults) {
  auto result = create_topic("d", -1, -1);
  EXPECT_EQ(result.num_partitions, 1);
  EXPECT_EQ(result.replication_factor, 1);
}

TEST_F(ControllerTest, InvalidConfigs) {
  auto null_value = topic("a");
  null_value.configs.push_back({"retention.ms", std::nullopt, {}});
  null_value.configs.push_back({"segment.ms", std::nullopt, {}});
  auto bad_value = topic("b");
  bad_value.configs.push_back({"segment.bytes", "abc", {}});
  auto unknown = topic("c");
  unknown.configs.push_back({"no.such.config", "1", {}});
  auto result = controller->create_topics(create_request({null_value, bad_value, unknown}));
  const auto& t = result.response.topics;
  expect_error(t[0], ErrorCode::invalid_config, "Null value not supported for topic configs: retention.ms,segment.ms");
  expect_error(t[1], ErrorCode::invalid_config,
               "Invalid value abc for configuration segment.bytes: Not a number of type INT");
  EXPECT_EQ(t[2].error_code, static_cast<int16_t>(ErrorCode::invalid_config));
  EXPECT_NE(t[2].error_message->find("no.such.config"), std::string::npos) << *t[2].error_message;
  EXPECT_TRUE(result.records.empty());
}

TEST_F(ControllerTest, ManualAssignments) {
  register_broker(2);
  register_broker(3);
  auto t = topic("manual", -1, -1);
  t.assignments = {{0, {2, 3}, {}}, {1, {3, 1}, {}}};
  auto result = commit(controller->create_topics(create_request({t})));
  ASSERT_EQ(result.topics[0].error_code, 0) << result.topics[0].error_message.value_or("");
  EXPECT_EQ(result.topics[0].num_partitions, 2);
  EXPECT_EQ(result.topics[0].replication_factor, 2);
  const metadata::TopicImage* topic_image = image()->topic("manual");
  EXPECT_EQ(topic_image->partition(0)->replicas, (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(topic_image->partition(1)->replicas, (std::vector<int32_t>{3, 1}));
  EXPECT_EQ(topic_image->partition(1)->leader, 3);

  auto with_rf = topic("e1", -1, 2);
  with_rf.assignments = {{0, {1}, {}}};
  auto with_count = topic("e2", 1, -1);
  with_count.assignments = {{0, {1}, {}}};
  auto twice = topic("e3", -1, -1);
  twice.assignments = {{0, {1}, {}}, {0, {2}, {}}};
  auto unknown_broker = topic("e4", -1, -1);
  unknown_broker.assignments = {{0, {9}, {}}};
  auto same_broker = topic("e5", -1, -1);
  same_broker.assignments = {{0, {2, 2}, {}}};
  auto uneven = topic("e6", -1, -1);
  uneven.assignments = {{0, {1, 2}, {}}, {1, {1}, {}}};
  auto gap = topic("e7", -1, -1);
  gap.assignments = {{0, {1}, {}}, {2, {2}, {}}};
  auto empty = topic("e8", -1, -1);
  empty.assignments = {{0, {}, {}}};
  auto errors = controller->create_topics(
      create_request({with_rf, with_count, twice, unknown_broker, same_broker, uneven, gap, empty}));
  const auto& e = errors.response.topics;
  expect_error(e[0], ErrorCode::invalid_request,
               "A manual partition assignment was specified, but replication factor was not set to -1.");
  expect_error(e[1], ErrorCode::invalid_request,
               "A manual partition assignment was specified, but numPartitions was not set to -1.");
  const ErrorCode bad = ErrorCode::invalid_replica_assignment;
  expect_error(e[2], bad, "Found multiple manual partition assignments for partition 0");
  expect_error(e[3], bad, "The manual partition assignment includes broker 9, but no such broker is registered.");
  expect_error(e[4], bad, "The manual partition assignment includes the broker 2 more than once.");
  expect_error(e[5], bad,
               "The manual partition assignment includes a partition with 1 replica(s), but this is not consistent "
               "with previous partitions, which have 2 replica(s).");
  expect_error(e[6], bad, "partitions should be a consecutive 0-based integer sequence");
  expect_error(e[7], bad, "The manual partition assignment includes an empty replica list.");
  EXPECT_TRUE(errors.records.empty());
}

TEST_F(ControllerTest, TheMetadataTopicCannotBeCreated) {
  auto result = controller->create_topics(create_request({topic("__cluster_metadata")}));
  expect_error(result.response.topics[0], ErrorCode::topic_authorization_failed, "Authorization failed.");
  EXPECT_TRUE(result.records.empty());
}

TEST_F(ControllerTest, TooManyRecordsFailTheWholeRequest) {
  auto result = controller->create_topics(create_request({topic("small"), topic("huge", 20000, 1)}));
  ASSERT_EQ(result.response.topics.size(), 2u);
  for (const auto& t : result.response.topics) {
    expect_error(t, ErrorCode::policy_violation, "Unable to perform excessively large batch operation.");
  }
  EXPECT_TRUE(result.records.empty());
  EXPECT_TRUE(controller->create_topics(create_request({topic("max", INT32_MAX, 1)})).records.empty());
}

TEST_F(ControllerTest, FencedBrokersDoNotLead) {
  // Broker 2 registers but stays fenced.
  register_broker(2, std::nullopt, false);
  EXPECT_TRUE(image()->broker(2)->fenced);
  auto t = commit(controller->create_topics(create_request({topic("t", 4, 2)})));
  ASSERT_EQ(t.topics[0].error_code, 0);
  for (const auto& [id, p] : image()->topic("t")->partitions) {
    EXPECT_EQ(p->leader, 1);
    EXPECT_EQ(p->isr, std::vector<int32_t>{1});
    EXPECT_EQ(p->replicas.size(), 2u);
  }
  auto manual = topic("m", -1, -1);
  manual.assignments = {{0, {2}, {}}};
  expect_error(controller->create_topics(create_request({manual})).response.topics[0],
               ErrorCode::invalid_replica_assignment,
               "All brokers specified in the manual partition assignment for partition 0 are fenced or in controlled "
               "shutdown.");
}

TEST_F(ControllerTest, PlacementWithThreeBrokersAndRacksSpreadsReplicas) {
  // Broker 1 has no rack; register three racked brokers and place only on them by hand-check:
  // with four brokers, rf 3 puts every partition on three different brokers and racks.
  register_broker(2, "rack-b");
  register_broker(3, "rack-c");
  register_broker(4, "rack-d");
  auto result = create_topic("spread", 8, 3);
  EXPECT_EQ(result.replication_factor, 3);
  std::map<int32_t, int> leaders;
  for (const auto& [id, p] : image()->topic("spread")->partitions) {
    std::set<std::optional<std::string>> racks;
    for (int32_t b : p->replicas) racks.insert(image()->broker(b)->rack);
    EXPECT_EQ(racks.size(), 3u);
    EXPECT_EQ(p->isr, p->replicas);
    EXPECT_EQ(p->leader, p->replicas.front());
    ++leaders[p->leader];
  }
  EXPECT_EQ(leaders.size(), 4u);
  for (const auto& [broker, count] : leaders) EXPECT_EQ(count, 2) << "broker " << broker;
}

// ---- DeleteTopics ----

protocol::DeleteTopicsRequest delete_by_name(std::vector<std::string> names) {
  protocol::DeleteTopicsRequest r;
  r.topic_names = std::move(names);
  return r;
}

TEST_F(ControllerTest, DeleteByNameAndById) {
  const Uuid a = create_topic("a").topic_id;
  const Uuid b = create_topic("b").topic_id;
  auto by_name = commit(controller->delete_topics(delete_by_name({"a"}), 5));
  ASSERT_EQ(by_name.responses.size(), 1u);
  EXPECT_EQ(by_name.responses[0].name, "a");
  EXPECT_EQ(by_name.responses[0].topic_id, a);
  expect_error(by_name.responses[0], ErrorCode::none, std::nullopt);
  EXPECT_EQ(image()->topic("a"), nullptr);

  protocol::DeleteTopicsRequest by_id;
  by_id.topics.push_back({std::nullopt, b, {}});
  auto deleted = commit(controller->delete_topics(by_id, 6));
  EXPECT_EQ(deleted.responses[0].name, "b");
  EXPECT_EQ(deleted.responses[0].error_code, 0);
  EXPECT_TRUE(image()->topics().empty());
}

TEST_F(ControllerTest, DeleteErrors) {
  const Uuid a = create_topic("a").topic_id;
  create_topic("b");
  const Uuid missing = Uuid::from_halves(5, 5);
  protocol::DeleteTopicsRequest r;
  r.topic_names = {"nope", "dup", "dup"};
  r.topics.push_back({std::nullopt, missing, {}});
  r.topics.push_back({std::nullopt, Uuid{}, {}});
  r.topics.push_back({"b", a, {}});
  r.topics.push_back({std::nullopt, a, {}});
  r.topics.push_back({"a", Uuid{}, {}});
  auto result = controller->delete_topics(r, 6);
  std::map<std::string, protocol::DeleteTopicsResponse::DeletableTopicResult> by_key;
  for (const auto& t : result.response.responses) by_key[t.name.value_or("") + "/" + t.topic_id.to_string()] = t;
  const std::string zero = Uuid{}.to_string();
  expect_error(by_key["nope/" + zero], ErrorCode::unknown_topic_or_partition,
               "This server does not host this topic-partition.");
  expect_error(by_key["dup/" + zero], ErrorCode::invalid_request, "Duplicate topic name.");
  expect_error(by_key["/" + missing.to_string()], ErrorCode::unknown_topic_id,
               "This server does not host this topic ID.");
  expect_error(by_key["/" + zero], ErrorCode::invalid_request, "Neither topic name nor id were specified.");
  expect_error(by_key["b/" + a.to_string()], ErrorCode::invalid_request,
               "You may not specify both topic name and topic id.");
  expect_error(by_key["a/" + a.to_string()], ErrorCode::invalid_request,
               "The provided topic name maps to an ID that was already supplied.");
  EXPECT_EQ(result.response.responses.size(), 6u);
  EXPECT_TRUE(result.records.empty());
}

class NoDeleteControllerTest : public ControllerTest {
 protected:
  QuorumController::Options options() override {
    QuorumController::Options o = ControllerTest::options();
    o.delete_topic_enable = false;
    return o;
  }
};

TEST_F(NoDeleteControllerTest, DeletionDisabled) {
  create_topic("a");
  auto old = controller->delete_topics(delete_by_name({"a"}), 2);
  expect_error(old.response.responses[0], ErrorCode::invalid_request, "Topic deletion is disabled.");
  auto current = controller->delete_topics(delete_by_name({"a"}), 6);
  expect_error(current.response.responses[0], ErrorCode::topic_deletion_disabled, std::nullopt);
  EXPECT_TRUE(current.records.empty());
  EXPECT_NE(image()->topic("a"), nullptr);
}

TEST_F(ControllerTest, DeletedTopicTakesItsConfigsAndTheNameIsFree) {
  auto t = topic("a");
  t.configs.push_back({"retention.ms", "5", {}});
  const Uuid first = commit(controller->create_topics(create_request({t}))).topics[0].topic_id;
  commit(controller->delete_topics(delete_by_name({"a"}), 6));
  EXPECT_TRUE(image()->configs(ConfigResourceType::topic, "a").empty());
  EXPECT_NE(create_topic("a").topic_id, first);
}

// ---- CreatePartitions ----

protocol::CreatePartitionsRequest increase(const std::string& name, int32_t count, bool validate_only = false) {
  protocol::CreatePartitionsRequest r;
  protocol::CreatePartitionsRequest::CreatePartitionsTopic t;
  t.name = name;
  t.count = count;
  t.assignments = std::nullopt;
  r.topics.push_back(std::move(t));
  r.validate_only = validate_only;
  return r;
}

TEST_F(ControllerTest, PartitionsIncrease) {
  create_topic("a", 3);
  auto result = controller->create_partitions(increase("a", 5));
  ASSERT_EQ(result.response.results.size(), 1u);
  expect_error(result.response.results[0], ErrorCode::none, std::nullopt);
  ASSERT_EQ(result.records.size(), 2u);
  commit(result.records);
  const metadata::TopicImage* t = image()->topic("a");
  EXPECT_EQ(t->partition_count(), 5);
  EXPECT_EQ(t->partition(4)->replicas, std::vector<int32_t>{1});
  EXPECT_EQ(t->partition(4)->leader, 1);
}

TEST_F(ControllerTest, PartitionsErrors) {
  create_topic("a", 3);
  auto same = controller->create_partitions(increase("a", 3)).response.results[0];
  expect_error(same, ErrorCode::invalid_partitions, "Topic already has 3 partition(s).");
  auto fewer = controller->create_partitions(increase("a", 2)).response.results[0];
  expect_error(fewer, ErrorCode::invalid_partitions,
               "The topic a currently has 3 partition(s); 2 would not be an increase.");
  auto unknown = controller->create_partitions(increase("nope", 2)).response.results[0];
  expect_error(unknown, ErrorCode::unknown_topic_or_partition, std::nullopt);

  auto wrong_count = increase("a", 5);
  wrong_count.topics[0].assignments =
      std::vector<protocol::CreatePartitionsRequest::CreatePartitionsAssignment>{{{1}, {}}};
  expect_error(controller->create_partitions(wrong_count).response.results[0], ErrorCode::invalid_replica_assignment,
               "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.");
  auto wrong_rf = increase("a", 4);
  register_broker(2);
  wrong_rf.topics[0].assignments =
      std::vector<protocol::CreatePartitionsRequest::CreatePartitionsAssignment>{{{1, 2}, {}}};
  expect_error(controller->create_partitions(wrong_rf).response.results[0], ErrorCode::invalid_replica_assignment,
               "The manual partition assignment includes a partition with 2 replica(s), but this is not consistent "
               "with previous partitions, which have 1 replica(s).");

  auto duplicate = increase("a", 4);
  duplicate.topics.push_back(duplicate.topics[0]);
  auto dup_result = controller->create_partitions(duplicate);
  ASSERT_EQ(dup_result.response.results.size(), 1u);
  expect_error(dup_result.response.results[0], ErrorCode::invalid_request, "Duplicate topic name.");
  EXPECT_TRUE(dup_result.records.empty());

  auto huge = controller->create_partitions(increase("a", 100000));
  expect_error(huge.response.results[0], ErrorCode::policy_violation,
               "Unable to perform excessively large batch operation.");
  EXPECT_EQ(controller->uncommitted_records(), 0u);
}

TEST_F(ControllerTest, PartitionsManualAssignmentAndValidateOnly) {
  register_broker(2);
  create_topic("a", 1);
  EXPECT_TRUE(controller->create_partitions(increase("a", 2, true)).records.empty());
  auto manual = increase("a", 3);
  manual.topics[0].assignments =
      std::vector<protocol::CreatePartitionsRequest::CreatePartitionsAssignment>{{{2}, {}}, {{1}, {}}};
  auto result = commit(controller->create_partitions(manual));
  EXPECT_EQ(result.results[0].error_code, 0);
  EXPECT_EQ(image()->topic("a")->partition(1)->replicas, std::vector<int32_t>{2});
  EXPECT_EQ(image()->topic("a")->partition(2)->replicas, std::vector<int32_t>{1});
}

// ---- configs ----

protocol::IncrementalAlterConfigsRequest incremental(
    int8_t type, const std::string& name,
    std::vector<protocol::IncrementalAlterConfigsRequest::AlterableConfig> configs, bool validate_only = false) {
  protocol::IncrementalAlterConfigsRequest r;
  r.resources.push_back({type, name, std::move(configs), {}});
  r.validate_only = validate_only;
  return r;
}

TEST_F(ControllerTest, IncrementalAlterTopicConfigs) {
  create_topic("a");
  auto set = commit(controller->incremental_alter_configs(
      incremental(kTopic, "a", {{"retention.ms", 0, "100", {}}, {"cleanup.policy", 2, "compact", {}}})));
  ASSERT_EQ(set.responses.size(), 1u);
  expect_error(set.responses[0], ErrorCode::none, std::nullopt);
  EXPECT_EQ(set.responses[0].resource_name, "a");
  EXPECT_EQ(set.responses[0].resource_type, kTopic);
  // APPEND starts from the default ("delete").
  EXPECT_EQ(image()->configs(ConfigResourceType::topic, "a"),
            (metadata::MetadataImage::Configs{{"cleanup.policy", "delete,compact"}, {"retention.ms", "100"}}));

  commit(controller->incremental_alter_configs(
      incremental(kTopic, "a", {{"retention.ms", 1, std::nullopt, {}}, {"cleanup.policy", 3, "delete", {}}})));
  EXPECT_EQ(image()->configs(ConfigResourceType::topic, "a"),
            (metadata::MetadataImage::Configs{{"cleanup.policy", "compact"}}));

  // Setting a value to what it is changes nothing and writes nothing.
  auto same = controller->incremental_alter_configs(incremental(kTopic, "a", {{"cleanup.policy", 0, "compact", {}}}));
  EXPECT_EQ(same.response.responses[0].error_code, 0);
  EXPECT_TRUE(same.records.empty());

  auto validate_only =
      controller->incremental_alter_configs(incremental(kTopic, "a", {{"retention.ms", 0, "5", {}}}, true));
  EXPECT_EQ(validate_only.response.responses[0].error_code, 0);
  EXPECT_TRUE(validate_only.records.empty());
}

TEST_F(ControllerTest, IncrementalAlterConfigErrors) {
  create_topic("a");
  auto check = [&](protocol::IncrementalAlterConfigsRequest request, ErrorCode code, const std::string& message) {
    auto result = controller->incremental_alter_configs(request);
    ASSERT_EQ(result.response.responses.size(), request.resources.size());
    expect_error(result.response.responses[0], code, message);
    EXPECT_TRUE(result.records.empty());
  };
  check(incremental(kTopic, "nope", {{"retention.ms", 0, "1", {}}}), ErrorCode::unknown_topic_or_partition,
        "The topic 'nope' does not exist.");
  check(incremental(kTopic, "a", {{"retention.ms", 0, "x", {}}}), ErrorCode::invalid_config,
        "Invalid value x for configuration retention.ms: Not a number of type LONG");
  check(incremental(kTopic, "a", {{"retention.ms", 2, "1", {}}}), ErrorCode::invalid_config,
        "Can't APPEND to key retention.ms because its type is not LIST.");
  check(incremental(kTopic, "a", {{"retention.ms", 0, "1", {}}, {"retention.ms", 0, "2", {}}}),
        ErrorCode::invalid_request, "Error due to duplicate config keys");
  check(incremental(kTopic, "a", {{"retention.ms", 0, std::nullopt, {}}, {"segment.ms", 0, std::nullopt, {}}}),
        ErrorCode::invalid_request, "Null value not supported for : retention.ms, segment.ms");
  check(incremental(kTopic, "", {{"retention.ms", 0, "1", {}}}), ErrorCode::invalid_request,
        "Default topic resources are not allowed.");
  check(incremental(kTopic, "a b", {{"retention.ms", 0, "1", {}}}), ErrorCode::invalid_topic_exception,
        "Topic name is invalid: 'a b' contains one or more characters other than ASCII alphanumerics, '.', '_' and "
        "'-'");
  check(incremental(kBroker, "2", {{"log.retention.ms", 0, "1", {}}}), ErrorCode::invalid_request,
        "Unexpected broker id, expected 1, but received 2");
  check(incremental(kBroker, "x", {{"log.retention.ms", 0, "1", {}}}), ErrorCode::invalid_request,
        "Node id must be an integer, but it is: x");
  check(incremental(kBroker, "", {{"log.retention.ms", 0, "soon", {}}}), ErrorCode::invalid_request,
        "Invalid value soon for configuration log.retention.ms: Not a number of type LONG");
  check(incremental(kTopic, "a", {{"retention.ms", 9, "1", {}}}), ErrorCode::invalid_request,
        "Unknown operations type 9");
  check(incremental(1, "a", {{"retention.ms", 0, "1", {}}}), ErrorCode::invalid_request, "Unknown resource type 1");

  auto twice = incremental(kTopic, "a", {{"retention.ms", 0, "1", {}}});
  twice.resources.push_back(twice.resources[0]);
  auto result = controller->incremental_alter_configs(twice);
  ASSERT_EQ(result.response.responses.size(), 2u);
  for (const auto& r : result.response.responses) {
    expect_error(r, ErrorCode::invalid_request, "Each resource must appear at most once.");
  }
}

TEST_F(ControllerTest, BrokerConfigsAlwaysWriteARecord) {
  auto first =
      commit(controller->incremental_alter_configs(incremental(kBroker, "", {{"log.retention.ms", 0, "9", {}}})));
  EXPECT_EQ(first.responses[0].error_code, 0);
  EXPECT_EQ(image()->configs(ConfigResourceType::broker, "").at("log.retention.ms"), "9");
  // Unchanged, but brokers reload on the record, so it is written.
  EXPECT_EQ(controller->incremental_alter_configs(incremental(kBroker, "", {{"log.retention.ms", 0, "9", {}}}))
                .records.size(),
            1u);
  commit(controller->incremental_alter_configs(incremental(kBroker, "1", {{"log.cleaner.threads", 0, "2", {}}})));
  EXPECT_EQ(image()->configs(ConfigResourceType::broker, "1").at("log.cleaner.threads"), "2");
}

TEST_F(ControllerTest, LegacyAlterConfigsReplacesTheSet) {
  create_topic("a");
  commit(controller->incremental_alter_configs(
      incremental(kTopic, "a", {{"retention.ms", 0, "100", {}}, {"segment.ms", 0, "200", {}}})));
  protocol::AlterConfigsRequest legacy;
  legacy.resources.push_back({kTopic, "a", {{"retention.ms", "300", {}}}, {}});
  auto result = commit(controller->alter_configs(legacy));
  expect_error(result.responses[0], ErrorCode::none, std::nullopt);
  EXPECT_EQ(image()->configs(ConfigResourceType::topic, "a"),
            (metadata::MetadataImage::Configs{{"retention.ms", "300"}}));

  legacy.resources[0].configs[0].value = std::nullopt;
  expect_error(controller->alter_configs(legacy).response.responses[0], ErrorCode::invalid_request,
               "Null value not supported for : retention.ms");
  legacy.resources[0].resource_type = 8;  // BROKER_LOGGER: only IncrementalAlterConfigs knows it
  legacy.resources[0].configs[0].value = "1";
  expect_error(controller->alter_configs(legacy).response.responses[0], ErrorCode::invalid_request,
               "Unknown resource type 8");
}

// ---- producer ids ----

TEST_F(ControllerTest, ProducerIdBlocksAreConsecutive) {
  const int64_t epoch = image()->broker(1)->epoch;
  auto first = controller->allocate_producer_ids(1, epoch);
  auto second = controller->allocate_producer_ids(1, epoch);  // before the first is committed
  EXPECT_EQ(first.response.error_code, 0);
  EXPECT_EQ(first.response.producer_id_start, 0);
  EXPECT_EQ(first.response.producer_id_len, 1000);
  EXPECT_EQ(second.response.producer_id_start, 1000);
  commit(first.records);
  commit(second.records);
  EXPECT_EQ(image()->producer_ids().next_producer_id, 2000);
  EXPECT_EQ(commit(controller->allocate_producer_ids(1, epoch)).producer_id_start, 2000);

  // A controller started from the committed image carries on.
  QuorumController restarted(options(), image());
  EXPECT_EQ(restarted.allocate_producer_ids(1, epoch).response.producer_id_start, 3000);

  EXPECT_EQ(controller->allocate_producer_ids(1, epoch + 1).response.error_code,
            static_cast<int16_t>(ErrorCode::stale_broker_epoch));
  EXPECT_EQ(controller->allocate_producer_ids(7, epoch).response.error_code,
            static_cast<int16_t>(ErrorCode::stale_broker_epoch));
}

// ---- wire ----

template <typename Response>
void expect_encodes_in_every_version(const Response& response, int16_t from = Response::kValidVersions.lo,
                                     int16_t to = Response::kValidVersions.hi) {
  for (int16_t v = from; v <= to; ++v) {
    Bytes out;
    auto err = protocol::encode_message(response, v, out);
    EXPECT_FALSE(err) << Response::kName << " v" << v << ": " << *err;
  }
}

TEST_F(ControllerTest, ResponsesEncodeInEveryVersion) {
  auto with_config = topic("a", 2, 1);
  with_config.configs.push_back({"retention.ms", "1", {}});
  auto created = commit(controller->create_topics(create_request({with_config, topic("."), topic("a")})));
  expect_encodes_in_every_version(created);
  expect_encodes_in_every_version(controller->create_partitions(increase("a", 3)).response);
  expect_encodes_in_every_version(controller->create_partitions(increase("zzz", 3)).response);
  expect_encodes_in_every_version(controller->delete_topics(delete_by_name({"a", "zzz"}), 5).response, 0, 5);
  protocol::DeleteTopicsRequest by_id;
  by_id.topics.push_back({std::nullopt, created.topics[0].topic_id, {}});
  by_id.topics.push_back({std::nullopt, Uuid::from_halves(4, 4), {}});
  expect_encodes_in_every_version(controller->delete_topics(by_id, 6).response, 6, 6);
  expect_encodes_in_every_version(
      controller->incremental_alter_configs(incremental(kTopic, "a", {{"retention.ms", 0, "x", {}}})).response);
  protocol::AlterConfigsRequest legacy;
  legacy.resources.push_back({kTopic, "a", {{"retention.ms", "2", {}}}, {}});
  expect_encodes_in_every_version(controller->alter_configs(legacy).response);
  expect_encodes_in_every_version(controller->allocate_producer_ids(1, image()->broker(1)->epoch).response);
  expect_encodes_in_every_version(controller->register_broker(registration(5), now_ms).response);
  expect_encodes_in_every_version(controller->broker_heartbeat(heartbeat(9, 3, 100), now_ms).response);
  expect_encodes_in_every_version(controller->broker_heartbeat(heartbeat(1, 3, 100), now_ms).response);
  expect_encodes_in_every_version(controller->register_controller({}).response);
}

// ---- commit and abandonment ----

TEST_F(ControllerTest, AbandonedRecordsLeaveTheLatestState) {
  auto result = controller->create_topics(create_request({topic("lost")}));
  EXPECT_NE(controller->latest_image()->topic("lost"), nullptr);
  const int64_t offset_with_pending = controller->next_write_offset();
  controller->abandon_uncommitted();
  EXPECT_EQ(controller->latest_image()->topic("lost"), nullptr);
  EXPECT_EQ(controller->next_write_offset(), offset_with_pending - static_cast<int64_t>(result.records.size()));
  create_topic("lost");
}

TEST_F(ControllerTest, ReplayOfOtherRecordsDropsWhatWasHandedOut) {
  auto mine = controller->create_topics(create_request({topic("mine")}));
  // Someone else's record reaches the log first.
  commit(std::vector<MetadataRecord>{MetadataRecord(protocol::TopicRecord{"theirs", Uuid::from_halves(9, 9), {}}, 0)});
  EXPECT_EQ(controller->uncommitted_records(), 0u);
  EXPECT_EQ(controller->latest_image()->topic("mine"), nullptr);
  EXPECT_NE(controller->latest_image()->topic("theirs"), nullptr);
}

TEST_F(ControllerTest, ReplayRefusesRecordsThatDoNotFit) {
  protocol::PartitionRecord orphan;
  orphan.topic_id = Uuid::from_halves(3, 3);
  orphan.replicas = {1};
  EXPECT_FALSE(controller->replay(MetadataRecord(orphan, 1), next_offset, 1).ok());
}

}  // namespace
}  // namespace gregor::controller
