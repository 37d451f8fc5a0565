// The admin client against a real broker process: topics created (with configs, validate-only,
// already existing), listed, described, grown and deleted; the cluster described; configs
// described and altered; offsets listed by earliest, latest and timestamp after kcat wrote
// records; records deleted; errors as ApiException with Kafka's codes.
#include "gregor/admin.h"

#include <gtest/gtest.h>

#include "../interop/broker_process_test.h"
#include "admin_test_util.h"
#include "client/network_client.h"
#include "common/error_code.h"

namespace gregor {
namespace {

using namespace std::chrono_literals;

class AdminTest : public testing::BrokerProcessTest {
 protected:
  Properties props() const {
    return {{"bootstrap.servers", broker->bootstrap()}, {"client.id", "admin-test"}, {"default.api.timeout.ms", "20000"}};
  }
};

using testing::code_of;

TEST_F(AdminTest, CreatesListsDescribesAndDeletesTopics) {
  Admin admin(props());
  auto created = admin.create_topics({NewTopic{"alpha", 3, 1, {}, {{"retention.ms", "1234"}}}, NewTopic{"beta", {}, {}, {}, {}}});
  ASSERT_EQ(created.size(), 2u);
  const CreatedTopic& alpha = created.at("alpha").get();
  EXPECT_EQ(alpha.num_partitions, 3);
  EXPECT_EQ(alpha.replication_factor, 1);
  EXPECT_EQ(alpha.topic_id.size(), 22u);
  EXPECT_EQ(alpha.configs.at("retention.ms"), "1234");
  EXPECT_EQ(created.at("beta").get().num_partitions, 1);  // the broker's num.partitions

  // Again: TOPIC_ALREADY_EXISTS for that topic alone.
  auto again = admin.create_topics({NewTopic{"alpha", 1, 1, {}, {}}, NewTopic{"gamma", 2, 1, {}, {}}});
  EXPECT_EQ(code_of(again.at("alpha")), static_cast<int16_t>(ErrorCode::topic_already_exists));
  EXPECT_TRUE(again.at("gamma").ok());
  EXPECT_THROW(all(again), ApiException);

  // validate_only creates nothing; bad settings are the broker's errors.
  CreateTopicsOptions validate;
  validate.validate_only = true;
  auto checked = admin.create_topics({NewTopic{"ghost", 2, 1, {}, {}}}, validate);
  EXPECT_TRUE(checked.at("ghost").ok());
  auto bad = admin.create_topics({NewTopic{"bad-rf", 1, 3, {}, {}}, NewTopic{"bad-config", 1, 1, {}, {{"cleanup.policy", "nope"}}}});
  EXPECT_EQ(code_of(bad.at("bad-rf")), static_cast<int16_t>(ErrorCode::invalid_replication_factor));
  EXPECT_EQ(code_of(bad.at("bad-config")), static_cast<int16_t>(ErrorCode::invalid_config));

  auto names = admin.list_topics();
  EXPECT_TRUE(names.count("alpha") && names.count("beta") && names.count("gamma"));
  EXPECT_FALSE(names.count("ghost"));
  EXPECT_EQ(names.at("alpha").topic_id, alpha.topic_id);
  for (const auto& [name, listing] : names) EXPECT_FALSE(listing.internal) << name;

  auto described = admin.describe_topics({"alpha", "nowhere"});
  const TopicDescription& d = described.at("alpha").get();
  EXPECT_EQ(d.topic_id, alpha.topic_id);
  ASSERT_EQ(d.partitions.size(), 3u);
  const ClusterDescription cluster = admin.describe_cluster();
  ASSERT_EQ(cluster.nodes.size(), 1u);
  for (int p = 0; p < 3; ++p) {
    EXPECT_EQ(d.partitions[p].partition, p);
    ASSERT_TRUE(d.partitions[p].leader.has_value());
    EXPECT_EQ(d.partitions[p].leader->id, cluster.nodes[0].id);
    ASSERT_EQ(d.partitions[p].replicas.size(), 1u);
    ASSERT_EQ(d.partitions[p].isr.size(), 1u);
  }
  EXPECT_EQ(code_of(described.at("nowhere")), static_cast<int16_t>(ErrorCode::unknown_topic_or_partition));

  auto deleted = admin.delete_topics({"beta", "nowhere"});
  EXPECT_TRUE(deleted.at("beta").ok());
  EXPECT_EQ(code_of(deleted.at("nowhere")), static_cast<int16_t>(ErrorCode::unknown_topic_or_partition));
  EXPECT_FALSE(admin.list_topics().count("beta"));
}

TEST_F(AdminTest, DescribesTheClusterAndListsInternalTopicsOnlyWhenAsked) {
  Admin admin(props());
  const ClusterDescription cluster = admin.describe_cluster();
  EXPECT_FALSE(cluster.cluster_id.empty());
  ASSERT_EQ(cluster.nodes.size(), 1u);
  EXPECT_EQ(cluster.nodes[0].port, broker->port());
  ASSERT_TRUE(cluster.controller.has_value());

  // Looking for a group's coordinator makes the offsets topic; it is internal.
  client::NetworkClient core(client::ClientOptions::from(admin_config_def().parse(props())));
  auto find = [&core] { core.find_coordinator(0, "admin-group", [](ErrorCode, std::string, int32_t) {}); };
  core.post(find);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  ListTopicsOptions internal;
  internal.list_internal = true;
  std::map<std::string, TopicListing> all_topics;
  while (!all_topics.count("__consumer_offsets") && std::chrono::steady_clock::now() < deadline) {
    all_topics = admin.list_topics(internal);
  }
  ASSERT_TRUE(all_topics.count("__consumer_offsets"));
  EXPECT_TRUE(all_topics.at("__consumer_offsets").internal);
  EXPECT_FALSE(admin.list_topics().count("__consumer_offsets"));
}

TEST_F(AdminTest, GrowsPartitions) {
  Admin admin(props());
  all(admin.create_topics({NewTopic{"grow", 1, 1, {}, {}}}));
  CreatePartitionsOptions validate;
  validate.validate_only = true;
  EXPECT_TRUE(admin.create_partitions({{"grow", NewPartitions{4, {}}}}, validate).at("grow").ok());
  EXPECT_EQ(admin.describe_topics({"grow"}).at("grow").get().partitions.size(), 1u);
  EXPECT_TRUE(admin.create_partitions({{"grow", NewPartitions{4, {}}}}).at("grow").ok());
  EXPECT_EQ(admin.describe_topics({"grow"}).at("grow").get().partitions.size(), 4u);
  auto shrink = admin.create_partitions({{"grow", NewPartitions{2, {}}}, {"nowhere", NewPartitions{2, {}}}});
  EXPECT_EQ(code_of(shrink.at("grow")), static_cast<int16_t>(ErrorCode::invalid_partitions));
  EXPECT_EQ(code_of(shrink.at("nowhere")), static_cast<int16_t>(ErrorCode::unknown_topic_or_partition));
}

TEST_F(AdminTest, DescribesAndAltersConfigs) {
  Admin admin(props());
  all(admin.create_topics({NewTopic{"configured", 1, 1, {}, {{"retention.ms", "5000"}}}}));
  const ConfigResource topic{ConfigResource::Type::topic, "configured"};
  const Config before = admin.describe_configs({topic}).at(topic).get();
  ASSERT_NE(before.get("retention.ms"), nullptr);
  EXPECT_EQ(before.get("retention.ms")->value, "5000");
  EXPECT_EQ(before.get("retention.ms")->source, ConfigEntry::Source::dynamic_topic_config);
  ASSERT_NE(before.get("cleanup.policy"), nullptr);
  EXPECT_EQ(before.get("cleanup.policy")->value, "delete");
  EXPECT_NE(before.get("cleanup.policy")->source, ConfigEntry::Source::dynamic_topic_config);

  auto altered = admin.incremental_alter_configs(
      {{topic, {AlterConfigOp{"retention.ms", std::nullopt, AlterConfigOp::Type::remove},
                AlterConfigOp{"cleanup.policy", "compact", AlterConfigOp::Type::set}}}});
  EXPECT_TRUE(altered.at(topic).ok());
  const Config after = admin.describe_configs({topic}).at(topic).get();
  EXPECT_EQ(after.get("cleanup.policy")->value, "compact");
  EXPECT_EQ(after.get("cleanup.policy")->source, ConfigEntry::Source::dynamic_topic_config);
  EXPECT_NE(after.get("retention.ms")->source, ConfigEntry::Source::dynamic_topic_config);

  // A broker's configs go to that broker.
  const ConfigResource node{ConfigResource::Type::broker, std::to_string(admin.describe_cluster().nodes[0].id)};
  const Config broker_config = admin.describe_configs({node}).at(node).get();
  EXPECT_NE(broker_config.get("log.retention.hours"), nullptr);

  const ConfigResource missing{ConfigResource::Type::topic, "nowhere"};
  EXPECT_EQ(code_of(admin.describe_configs({missing}).at(missing)),
            static_cast<int16_t>(ErrorCode::unknown_topic_or_partition));
  auto bad = admin.incremental_alter_configs({{topic, {AlterConfigOp{"no.such.config", "1", AlterConfigOp::Type::set}}}});
  EXPECT_EQ(code_of(bad.at(topic)), static_cast<int16_t>(ErrorCode::invalid_config));
}

TEST_F(AdminTest, ListsOffsetsAndDeletesRecords) {
  Admin admin(props());
  all(admin.create_topics({NewTopic{"offsets", 2, 1, {}, {}}}));
  // Ten records with timestamps 1000..10000 into partition 0.
  std::string input;
  for (int i = 1; i <= 10; ++i) input += "v" + std::to_string(i) + "\n";
  ASSERT_EQ(kcat({"-P", "-t", "offsets", "-p", "0"}, input).exit_code, 0);
  const TopicPartition p0{"offsets", 0}, p1{"offsets", 1}, nowhere{"nowhere", 0};
  auto offsets = admin.list_offsets({{p0, OffsetSpec::latest()}, {p1, OffsetSpec::earliest()}, {nowhere, OffsetSpec::latest()}});
  EXPECT_EQ(offsets.at(p0).get().offset, 10);
  EXPECT_EQ(offsets.at(p1).get().offset, 0);
  EXPECT_EQ(code_of(offsets.at(nowhere)), static_cast<int16_t>(ErrorCode::unknown_topic_or_partition));
  // A timestamp in the future: no offset; one in the past: the first record.
  auto by_time = admin.list_offsets({{p0, OffsetSpec::for_timestamp(0)}});
  EXPECT_EQ(by_time.at(p0).get().offset, 0);
  auto future = admin.list_offsets({{p0, OffsetSpec::for_timestamp(32503680000000)}});
  EXPECT_EQ(future.at(p0).get().offset, -1);

  auto deleted = admin.delete_records({{p0, 4}});
  EXPECT_EQ(deleted.at(p0).get().low_watermark, 4);
  EXPECT_EQ(admin.list_offsets({{p0, OffsetSpec::earliest()}}).at(p0).get().offset, 4);
  auto too_far = admin.delete_records({{p0, 99}});
  EXPECT_EQ(code_of(too_far.at(p0)), static_cast<int16_t>(ErrorCode::offset_out_of_range));
}

TEST_F(AdminTest, ConfigurationAndTimeouts) {
  EXPECT_THROW(Admin({{"bootstrap.servers", broker->bootstrap()}, {"linger.ms", "5"}}), ConfigException);
  // A broker that is gone: the call ends at its timeout with a TimeoutException.
  Properties p = props();
  testing::BrokerProcess gone(dir.path() + "/gone");
  ASSERT_TRUE(gone.start());
  p["bootstrap.servers"] = gone.bootstrap();
  ASSERT_EQ(gone.stop(), 0);
  Admin admin(p);
  AdminOptions quick;
  quick.timeout = 1500ms;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(admin.list_topics({quick}), TimeoutException);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  admin.close();
  EXPECT_THROW(admin.describe_cluster(), IllegalStateException);
}

}  // namespace
}  // namespace gregor
