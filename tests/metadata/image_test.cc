// Building metadata images from records: topics, partitions, configs, brokers, features and
// producer ids; replay errors; what a new image shares with the one before; transactions.
#include "metadata/image.h"

#include <gtest/gtest.h>

namespace gregor::metadata {
namespace {

const Uuid kTopicId = Uuid::from_halves(0xabc, 0xdef);
const Uuid kOtherId = Uuid::from_halves(0x123, 0x456);

MetadataRecord topic_record(const std::string& name, const Uuid& id) {
  return MetadataRecord(protocol::TopicRecord{name, id, {}}, 0);
}

MetadataRecord partition_record(const Uuid& topic, int32_t id, std::vector<int32_t> replicas) {
  protocol::PartitionRecord r;
  r.topic_id = topic;
  r.partition_id = id;
  r.replicas = replicas;
  r.isr = replicas;
  r.leader = replicas.front();
  r.leader_epoch = 0;
  r.partition_epoch = 0;
  return MetadataRecord(std::move(r), 1);
}

MetadataRecord config_record(ConfigResourceType type, const std::string& resource, const std::string& name,
                             std::optional<std::string> value) {
  return MetadataRecord(protocol::ConfigRecord{static_cast<int8_t>(type), resource, name, std::move(value), {}}, 0);
}

MetadataRecord register_broker(int32_t id, int64_t epoch, std::optional<std::string> rack = std::nullopt) {
  protocol::RegisterBrokerRecord r;
  r.broker_id = id;
  r.broker_epoch = epoch;
  r.incarnation_id = Uuid::from_halves(static_cast<uint64_t>(id), 1);
  r.end_points.push_back({"PLAINTEXT", "host" + std::to_string(id), static_cast<uint16_t>(9090 + id), 0, {}});
  r.end_points.push_back({"SSL", "host" + std::to_string(id), static_cast<uint16_t>(9190 + id), 1, {}});
  r.features.push_back({"metadata.version", 7, 21, {}});
  r.rack = std::move(rack);
  return MetadataRecord(std::move(r), 3);
}

MetadataRecord registration_change(int32_t id, int64_t epoch, int8_t fenced, int8_t shutting_down = 0) {
  protocol::BrokerRegistrationChangeRecord r;
  r.broker_id = id;
  r.broker_epoch = epoch;
  r.fenced = fenced;
  r.in_controlled_shutdown = shutting_down;
  return MetadataRecord(std::move(r), 2);
}

class ImageTest : public ::testing::Test {
 protected:
  // Applies records in order on top of the last image built; each must apply.
  std::shared_ptr<const MetadataImage> apply(std::vector<MetadataRecord> records) {
    ImageBuilder builder(image);
    for (const MetadataRecord& r : records) {
      Status s = builder.apply(r);
      EXPECT_TRUE(s.ok()) << r.type_name() << ": " << s.to_string();
    }
    image = builder.build();
    return image;
  }

  std::string apply_error(const MetadataRecord& record) {
    ImageBuilder builder(image);
    Status s = builder.apply(record);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(*builder.build(), *image) << "a failed record changed the builder";
    return s.message();
  }

  std::shared_ptr<const MetadataImage> image = MetadataImage::empty();
};

TEST_F(ImageTest, EmptyImage) {
  EXPECT_EQ(image->metadata_version(), 0);
  EXPECT_TRUE(image->topics().empty());
  EXPECT_TRUE(image->brokers().empty());
  EXPECT_EQ(image->last_offset(), -1);
  EXPECT_EQ(image->producer_ids().next_producer_id, 0);
  EXPECT_TRUE(image->configs(ConfigResourceType::topic, "x").empty());
}

TEST_F(ImageTest, CreateTopicWithPartitionsAndConfigs) {
  apply({topic_record("orders", kTopicId), config_record(ConfigResourceType::topic, "orders", "retention.ms", "1000"),
         partition_record(kTopicId, 0, {1, 2}), partition_record(kTopicId, 1, {2, 1})});
  const TopicImage* t = image->topic("orders");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t, image->topic(kTopicId));
  EXPECT_EQ(t->id, kTopicId);
  EXPECT_EQ(t->partition_count(), 2);
  const PartitionRegistration* p1 = image->partition(kTopicId, 1);
  ASSERT_NE(p1, nullptr);
  EXPECT_EQ(p1->replicas, (std::vector<int32_t>{2, 1}));
  EXPECT_EQ(p1->isr, (std::vector<int32_t>{2, 1}));
  EXPECT_EQ(p1->leader, 2);
  // A PartitionRecord without directories means "wherever it already is".
  EXPECT_EQ(p1->directories, (std::vector<Uuid>{kDirectoryMigrating, kDirectoryMigrating}));
  EXPECT_EQ(image->topic_names(), std::vector<std::string>{"orders"});
  EXPECT_EQ(image->configs(ConfigResourceType::topic, "orders").at("retention.ms"), "1000");
  EXPECT_EQ(image->topic("missing"), nullptr);
  EXPECT_EQ(image->partition(kTopicId, 2), nullptr);
}

TEST_F(ImageTest, AddPartitionsKeepsTheOthers) {
  apply({topic_record("orders", kTopicId), partition_record(kTopicId, 0, {1})});
  auto before = image;
  apply({partition_record(kTopicId, 1, {1}), partition_record(kTopicId, 2, {1})});
  EXPECT_EQ(image->topic(kTopicId)->partition_count(), 3);
  // Partition 0 is the very same object.
  EXPECT_EQ(image->topic(kTopicId)->partitions.at(0), before->topic(kTopicId)->partitions.at(0));
  EXPECT_EQ(before->topic(kTopicId)->partition_count(), 1);
}

TEST_F(ImageTest, PartitionChangeMovesLeaderAndIsr) {
  apply({topic_record("orders", kTopicId), partition_record(kTopicId, 0, {1, 2, 3})});

  protocol::PartitionChangeRecord shrink;
  shrink.topic_id = kTopicId;
  shrink.partition_id = 0;
  shrink.isr = std::vector<int32_t>{1, 2};
  apply({MetadataRecord(shrink, 1)});
  const PartitionRegistration* p = image->partition(kTopicId, 0);
  EXPECT_EQ(p->isr, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(p->leader, 1);
  EXPECT_EQ(p->leader_epoch, 0);  // no leader change, no leader epoch bump
  EXPECT_EQ(p->partition_epoch, 1);

  protocol::PartitionChangeRecord elect;
  elect.topic_id = kTopicId;
  elect.partition_id = 0;
  elect.leader = 2;
  elect.isr = std::vector<int32_t>{2};
  apply({MetadataRecord(elect, 1)});
  p = image->partition(kTopicId, 0);
  EXPECT_EQ(p->leader, 2);
  EXPECT_EQ(p->isr, std::vector<int32_t>{2});
  EXPECT_EQ(p->leader_epoch, 1);
  EXPECT_EQ(p->partition_epoch, 2);
  EXPECT_EQ(p->replicas, (std::vector<int32_t>{1, 2, 3}));

  protocol::PartitionChangeRecord reassign;
  reassign.topic_id = kTopicId;
  reassign.partition_id = 0;
  reassign.replicas = std::vector<int32_t>{2, 3, 4};
  reassign.adding_replicas = std::vector<int32_t>{4};
  reassign.removing_replicas = std::vector<int32_t>{1};
  reassign.leader_recovery_state = 1;
  apply({MetadataRecord(reassign, 1)});
  p = image->partition(kTopicId, 0);
  EXPECT_EQ(p->replicas, (std::vector<int32_t>{2, 3, 4}));
  EXPECT_EQ(p->adding_replicas, std::vector<int32_t>{4});
  EXPECT_EQ(p->removing_replicas, std::vector<int32_t>{1});
  EXPECT_EQ(p->directories.size(), 3u);
  EXPECT_EQ(p->leader_recovery_state, 1);
}

TEST_F(ImageTest, DeleteTopicTakesItsConfigs) {
  apply({topic_record("orders", kTopicId), partition_record(kTopicId, 0, {1}),
         config_record(ConfigResourceType::topic, "orders", "cleanup.policy", "compact"),
         topic_record("other", kOtherId)});
  apply({MetadataRecord(protocol::RemoveTopicRecord{kTopicId, {}}, 0)});
  EXPECT_EQ(image->topic("orders"), nullptr);
  EXPECT_EQ(image->topic(kTopicId), nullptr);
  EXPECT_TRUE(image->configs(ConfigResourceType::topic, "orders").empty());
  EXPECT_NE(image->topic("other"), nullptr);
  // The name can be used again, with a new id.
  apply({topic_record("orders", Uuid::from_halves(5, 5))});
  EXPECT_EQ(image->topic("orders")->id, Uuid::from_halves(5, 5));
}

TEST_F(ImageTest, ConfigsSetAndDelete) {
  apply({config_record(ConfigResourceType::broker, "", "log.retention.ms", "5000"),
         config_record(ConfigResourceType::broker, "1", "log.cleaner.threads", "2"),
         config_record(ConfigResourceType::topic, "orders", "retention.ms", "100")});
  EXPECT_EQ(image->configs(ConfigResourceType::broker, "").at("log.retention.ms"), "5000");
  EXPECT_EQ(image->configs(ConfigResourceType::broker, "1").size(), 1u);
  apply({config_record(ConfigResourceType::topic, "orders", "retention.ms", "200")});
  EXPECT_EQ(image->configs(ConfigResourceType::topic, "orders").at("retention.ms"), "200");
  // A null value deletes; a resource without configs is gone.
  apply({config_record(ConfigResourceType::topic, "orders", "retention.ms", std::nullopt)});
  EXPECT_TRUE(image->configs(ConfigResourceType::topic, "orders").empty());
  EXPECT_EQ(image->all_configs().size(), 2u);
}

TEST_F(ImageTest, BrokersRegisterFenceAndUnregister) {
  apply({register_broker(1, 10, "rack-a"), register_broker(2, 11)});
  const BrokerRegistration* b1 = image->broker(1);
  ASSERT_NE(b1, nullptr);
  EXPECT_TRUE(b1->fenced);  // registered brokers start fenced
  EXPECT_EQ(b1->rack, "rack-a");
  EXPECT_EQ(b1->supported_features.at("metadata.version"), (FeatureRange{7, 21}));
  EXPECT_TRUE(image->broker_nodes("PLAINTEXT").empty());

  apply(
      {registration_change(1, 10, kFencingChangeUnfence), MetadataRecord(protocol::UnfenceBrokerRecord{2, 11, {}}, 0)});
  EXPECT_FALSE(image->broker(1)->fenced);
  EXPECT_TRUE(image->broker(1)->active());
  EXPECT_EQ(image->broker_nodes("SSL"),
            (std::vector<BrokerNode>{{1, "host1", 9191, "rack-a"}, {2, "host2", 9192, std::nullopt}}));
  EXPECT_TRUE(image->broker_nodes("SASL_SSL").empty());
  EXPECT_EQ(image->broker(2)->endpoint("PLAINTEXT")->port, 9092);

  apply({MetadataRecord(protocol::FenceBrokerRecord{2, 11, {}}, 0), registration_change(1, 10, kFencingChangeNone, 1)});
  EXPECT_TRUE(image->broker(2)->fenced);
  EXPECT_TRUE(image->broker(1)->in_controlled_shutdown);
  EXPECT_FALSE(image->broker(1)->active());
  EXPECT_EQ(image->broker_nodes("PLAINTEXT").size(), 1u);

  // A new registration replaces the old one, fenced again.
  apply({register_broker(1, 20)});
  EXPECT_EQ(image->broker(1)->epoch, 20);
  EXPECT_TRUE(image->broker(1)->fenced);

  apply({MetadataRecord(protocol::UnregisterBrokerRecord{2, 11, {}}, 0)});
  EXPECT_EQ(image->broker(2), nullptr);
}

TEST_F(ImageTest, FeaturesAndProducerIds) {
  apply({MetadataRecord(protocol::FeatureLevelRecord{"metadata.version", 21, {}}, 0),
         MetadataRecord(protocol::FeatureLevelRecord{"group.version", 1, {}}, 0)});
  EXPECT_EQ(image->metadata_version(), 21);
  EXPECT_EQ(image->feature_level("group.version"), 1);
  apply({MetadataRecord(protocol::FeatureLevelRecord{"group.version", 0, {}}, 0)});
  EXPECT_FALSE(image->feature_level("group.version"));

  apply({MetadataRecord(protocol::ProducerIdsRecord{1, 10, 1000, {}}, 0)});
  EXPECT_EQ(image->producer_ids(), (ProducerIdsImage{1, 10, 1000}));
  apply({MetadataRecord(protocol::ProducerIdsRecord{1, 10, 2000, {}}, 0)});
  EXPECT_EQ(image->producer_ids().next_producer_id, 2000);
}

TEST_F(ImageTest, RecordsThatDoNotFitAreRefused) {
  apply({topic_record("orders", kTopicId), partition_record(kTopicId, 0, {1}), register_broker(1, 10),
         MetadataRecord(protocol::ProducerIdsRecord{1, 10, 1000, {}}, 0)});
  EXPECT_EQ(apply_error(topic_record("orders", kOtherId)), "Found duplicate TopicRecord for orders");
  EXPECT_NE(apply_error(topic_record("renamed", kTopicId)).find("of another topic"), std::string::npos);
  EXPECT_EQ(apply_error(partition_record(kOtherId, 0, {1})),
            "Tried to create partition " + kOtherId.to_string() + ":0, but no topic with that ID was found.");
  protocol::PartitionChangeRecord change;
  change.topic_id = kTopicId;
  change.partition_id = 7;
  EXPECT_NE(apply_error(MetadataRecord(change, 0)).find("no partition with that id"), std::string::npos);
  EXPECT_EQ(apply_error(MetadataRecord(protocol::RemoveTopicRecord{kOtherId, {}}, 0)),
            "Can't find topic with ID " + kOtherId.to_string() + " to remove.");
  EXPECT_NE(apply_error(registration_change(1, 99, kFencingChangeUnfence)).find("no broker registration with epoch"),
            std::string::npos);
  EXPECT_NE(apply_error(registration_change(5, 10, kFencingChangeUnfence)).find("no broker registration found"),
            std::string::npos);
  EXPECT_NE(apply_error(registration_change(1, 10, 7)).find("unknown value for fenced"), std::string::npos);
  EXPECT_NE(apply_error(MetadataRecord(protocol::ProducerIdsRecord{1, 10, 1000, {}}, 0)).find("is not greater"),
            std::string::npos);
  EXPECT_NE(apply_error(MetadataRecord(protocol::FeatureLevelRecord{"metadata.version", 0, {}}, 0)).find("Invalid"),
            std::string::npos);
  protocol::PartitionRecord bad_dirs;
  bad_dirs.topic_id = kTopicId;
  bad_dirs.replicas = {1, 2};
  bad_dirs.directories = {kDirectoryUnassigned};
  EXPECT_NE(apply_error(MetadataRecord(bad_dirs, 1)).find("directories"), std::string::npos);
}

TEST_F(ImageTest, UnmodelledRecordsAreIgnored) {
  auto before = image;
  apply({MetadataRecord(protocol::NoOpRecord{}, 0), MetadataRecord(protocol::AccessControlEntryRecord{}, 0),
         MetadataRecord(protocol::ClientQuotaRecord{}, 0)});
  EXPECT_EQ(*image, *before);
}

TEST_F(ImageTest, NewImagesShareWhatTheyDoNotChange) {
  apply({register_broker(1, 10), topic_record("orders", kTopicId), partition_record(kTopicId, 0, {1}),
         topic_record("other", kOtherId), config_record(ConfigResourceType::broker, "", "a", "b"),
         MetadataRecord(protocol::FeatureLevelRecord{"metadata.version", 21, {}}, 0)});
  auto before = image;
  protocol::PartitionChangeRecord change;
  change.topic_id = kTopicId;
  change.partition_id = 0;
  change.leader = 1;
  apply({MetadataRecord(change, 1)});
  EXPECT_NE(image, before);
  EXPECT_EQ(&image->brokers(), &before->brokers());
  EXPECT_EQ(&image->all_configs(), &before->all_configs());
  EXPECT_EQ(&image->features(), &before->features());
  EXPECT_EQ(&image->topic_ids_by_name(), &before->topic_ids_by_name());
  EXPECT_EQ(image->topics().at(kOtherId), before->topics().at(kOtherId));
  EXPECT_NE(image->topics().at(kTopicId), before->topics().at(kTopicId));
  // The old image is untouched.
  EXPECT_EQ(before->partition(kTopicId, 0)->leader_epoch, 0);
  EXPECT_EQ(image->partition(kTopicId, 0)->leader_epoch, 1);
}

TEST_F(ImageTest, BuilderKeepsGoingAfterBuild) {
  ImageBuilder builder(image);
  ASSERT_TRUE(builder.apply(topic_record("a", kTopicId)).ok());
  auto first = builder.build();
  ASSERT_TRUE(builder.apply(topic_record("b", kOtherId)).ok());
  auto second = builder.build();
  EXPECT_EQ(first->topics().size(), 1u);
  EXPECT_EQ(second->topics().size(), 2u);
  EXPECT_EQ(builder.build(), second);  // nothing new, same image
}

TEST_F(ImageTest, ImagesBuiltEarlierDoNotSeeLaterChanges) {
  apply({topic_record("orders", kTopicId), partition_record(kTopicId, 0, {1, 2}), partition_record(kTopicId, 1, {1})});
  protocol::PartitionChangeRecord change;
  change.topic_id = kTopicId;
  change.partition_id = 0;
  change.leader = 2;
  ImageBuilder builder(image);
  ASSERT_TRUE(builder.apply(MetadataRecord(change, 1)).ok());
  ASSERT_TRUE(builder.apply(MetadataRecord(change, 1)).ok());  // the same topic, twice before a build
  auto first = builder.build();
  ASSERT_TRUE(builder.apply(MetadataRecord(change, 1)).ok());
  ASSERT_TRUE(builder.apply(partition_record(kTopicId, 2, {2})).ok());
  auto second = builder.build();
  EXPECT_EQ(image->partition(kTopicId, 0)->leader_epoch, 0);
  EXPECT_EQ(first->partition(kTopicId, 0)->leader_epoch, 2);
  EXPECT_EQ(first->topic(kTopicId)->partition_count(), 2);
  EXPECT_EQ(second->partition(kTopicId, 0)->leader_epoch, 3);
  EXPECT_EQ(second->topic(kTopicId)->partition_count(), 3);
  EXPECT_EQ(second->topic(kTopicId)->partitions.at(1), image->topic(kTopicId)->partitions.at(1));
}

TEST_F(ImageTest, LastOffsetAndClusterId) {
  ImageBuilder builder(image);
  builder.set_cluster_id("abc");
  ASSERT_TRUE(builder.apply(topic_record("a", kTopicId)).ok());
  builder.set_last(41, 3);
  image = builder.build();
  EXPECT_EQ(image->cluster_id(), "abc");
  EXPECT_EQ(image->last_offset(), 41);
  EXPECT_EQ(image->last_epoch(), 3);
}

TEST_F(ImageTest, TransactionsApplyAsAWhole) {
  ImageBuilder builder(image);
  ASSERT_TRUE(builder.apply(MetadataRecord(protocol::BeginTransactionRecord{}, 0)).ok());
  ASSERT_TRUE(builder.apply(topic_record("a", kTopicId)).ok());
  EXPECT_TRUE(builder.in_transaction());
  EXPECT_TRUE(builder.build()->topics().empty());  // not published half-way
  ASSERT_TRUE(builder.apply(topic_record("b", kOtherId)).ok());
  ASSERT_TRUE(builder.apply(MetadataRecord(protocol::EndTransactionRecord{}, 0)).ok());
  EXPECT_EQ(builder.build()->topics().size(), 2u);

  ASSERT_TRUE(builder.apply(MetadataRecord(protocol::BeginTransactionRecord{}, 0)).ok());
  ASSERT_TRUE(builder.apply(MetadataRecord(protocol::RemoveTopicRecord{kTopicId, {}}, 0)).ok());
  ASSERT_TRUE(builder.apply(MetadataRecord(protocol::ProducerIdsRecord{1, 1, 1000, {}}, 0)).ok());
  ASSERT_TRUE(builder.apply(MetadataRecord(protocol::AbortTransactionRecord{}, 0)).ok());
  EXPECT_FALSE(builder.in_transaction());
  auto after = builder.build();
  EXPECT_EQ(after->topics().size(), 2u);
  EXPECT_EQ(after->producer_ids().next_producer_id, 0);

  EXPECT_FALSE(builder.apply(MetadataRecord(protocol::EndTransactionRecord{}, 0)).ok());
  EXPECT_FALSE(builder.apply(MetadataRecord(protocol::AbortTransactionRecord{}, 0)).ok());
  ASSERT_TRUE(builder.apply(MetadataRecord(protocol::BeginTransactionRecord{}, 0)).ok());
  EXPECT_FALSE(builder.apply(MetadataRecord(protocol::BeginTransactionRecord{}, 0)).ok());
}

}  // namespace
}  // namespace gregor::metadata
