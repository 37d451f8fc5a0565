// kafka-dump-log's record decoders: __consumer_offsets and __cluster_metadata records as the JSON
// Kafka's tool prints (the expected strings are the ones Kafka's own DumpLogSegmentsTest
// expects), and the JSON writer under them.
#include <gtest/gtest.h>

#include "common/byte_writer.h"
#include "group/records.h"
#include "metadata/record_serde.h"
#include "protocol/generated/group_coordinator/all.h"
#include "protocol/generated/message/consumer_protocol_assignment.h"
#include "protocol/generated/message/consumer_protocol_subscription.h"
#include "tools/dump_log.h"
#include "tools/message_json.h"

namespace gregor::tools {
namespace {

// A message behind its int16 version, as group records and consumer protocol bytes carry it.
template <typename T>
Bytes versioned(const T& message, int16_t version) {
  Bytes out;
  ByteWriter w(out);
  w.write_int16(version);
  message.encode(w, version);
  EXPECT_TRUE(w.ok());
  return out;
}

record::Record record_of(const std::optional<Bytes>& key, const std::optional<Bytes>& value, int64_t offset = 0) {
  record::Record r;
  r.offset = offset;
  if (key) r.key = BytesView(*key);
  if (value) r.value = BytesView(*value);
  return r;
}

storage::ParsedRecord offsets(const std::optional<Bytes>& key, const std::optional<Bytes>& value) {
  auto parsed = parse_offsets_record(record_of(key, value));
  EXPECT_TRUE(parsed.ok()) << parsed.status().to_string();
  return parsed.ok() ? *parsed : storage::ParsedRecord{};
}

TEST(OffsetsDecoderTest, ConsumerGroupRecordsAsKafkaPrintsThem) {
  group::ConsumerGroupRecord metadata;
  metadata.kind = group::ConsumerGroupRecord::Kind::metadata;
  metadata.group = "group";
  protocol::ConsumerGroupMetadataValue epoch;
  epoch.epoch = 10;
  metadata.value = epoch;
  group::Record written = group::consumer_group_record(metadata);
  auto parsed = offsets(written.key, written.value);
  EXPECT_EQ(parsed.key, R"({"type":"3","data":{"groupId":"group"}})");
  EXPECT_EQ(parsed.value, R"({"version":"0","data":{"epoch":10}})");

  // A tombstone.
  parsed = offsets(written.key, std::nullopt);
  EXPECT_EQ(parsed.key, R"({"type":"3","data":{"groupId":"group"}})");
  EXPECT_EQ(parsed.value, "<DELETE>");
}

TEST(OffsetsDecoderTest, OffsetCommits) {
  protocol::OffsetCommitValue value;
  value.offset = 42;
  value.leader_epoch = 3;
  value.metadata = "m";
  value.commit_timestamp = 1700000000000;
  group::Record written = group::offset_commit_record("g", "t", 7, value);
  auto parsed = offsets(written.key, written.value);
  EXPECT_EQ(parsed.key, R"({"type":"1","data":{"group":"g","topic":"t","partition":7}})");
  EXPECT_EQ(parsed.value,
            R"({"version":"3","data":{"offset":42,"leaderEpoch":3,"metadata":"m","commitTimestamp":1700000000000}})");

  // Version 1 keeps an expire timestamp, and has no leader epoch.
  value.expire_timestamp = 1700000060000;
  written = group::offset_commit_record("g", "t", 7, value);
  EXPECT_EQ(offsets(written.key, written.value).value,
            R"({"version":"1","data":{"offset":42,"metadata":"m","commitTimestamp":1700000000000,)"
            R"("expireTimestamp":1700000060000}})");
}

protocol::GroupMetadataValue classic_group(Bytes subscription, Bytes assignment) {
  protocol::GroupMetadataValue value;
  value.protocol_type = "consumer";
  value.protocol = "range";
  value.leader = "member";
  value.generation = 10;
  protocol::GroupMetadataValue::MemberMetadata member;
  member.member_id = "member";
  member.client_id = "client";
  member.client_host = "host";
  member.group_instance_id = "instance";
  member.session_timeout = 100;
  member.rebalance_timeout = 1000;
  member.subscription = std::move(subscription);
  member.assignment = std::move(assignment);
  value.members.push_back(std::move(member));
  return value;
}

TEST(OffsetsDecoderTest, ClassicConsumerGroupsWithTheirSubscriptionsDecoded) {
  protocol::ConsumerProtocolSubscription subscription;
  subscription.topics = {"foo"};
  protocol::ConsumerProtocolSubscription::TopicPartition owned;
  owned.topic = "foo";
  owned.partitions = {0};
  subscription.owned_partitions = {owned};
  subscription.generation_id = 0;
  subscription.rack_id = "rack";
  protocol::ConsumerProtocolAssignment assignment;
  protocol::ConsumerProtocolAssignment::TopicPartition assigned;
  assigned.topic = "foo";
  assigned.partitions = {0};
  assignment.assigned_partitions = {assigned};

  protocol::GroupMetadataKey key;
  key.group = "group";
  Bytes key_bytes = versioned(key, 2);
  auto parsed = offsets(key_bytes, versioned(classic_group(versioned(subscription, 3), versioned(assignment, 3)), 4));
  EXPECT_EQ(parsed.key, R"({"type":"2","data":{"group":"group"}})");
  EXPECT_EQ(parsed.value,
            R"({"version":"4","data":{"protocolType":"consumer","generation":10,"protocol":"range",)"
            R"("leader":"member","currentStateTimestamp":-1,"members":[{"memberId":"member",)"
            R"("groupInstanceId":"instance","clientId":"client","clientHost":"host",)"
            R"("rebalanceTimeout":1000,"sessionTimeout":100,"subscription":{"topics":["foo"],)"
            R"("userData":null,"ownedPartitions":[{"topic":"foo","partitions":[0]}],)"
            R"("generationId":0,"rackId":"rack"},"assignment":{"assignedPartitions":)"
            R"([{"topic":"foo","partitions":[0]}],"userData":null}}]}})");

  // Bytes that are no consumer protocol message stay bytes (base64).
  auto text = [](std::string_view s) { return BytesView::of(s).to_bytes(); };
  parsed = offsets(key_bytes, versioned(classic_group(text("Subscription"), text("Assignment")), 4));
  EXPECT_EQ(parsed.value,
            R"({"version":"4","data":{"protocolType":"consumer","generation":10,"protocol":"range",)"
            R"("leader":"member","currentStateTimestamp":-1,"members":[{"memberId":"member",)"
            R"("groupInstanceId":"instance","clientId":"client","clientHost":"host",)"
            R"("rebalanceTimeout":1000,"sessionTimeout":100,"subscription":"U3Vic2NyaXB0aW9u",)"
            R"("assignment":"QXNzaWdubWVudA=="}]}})");
}

TEST(OffsetsDecoderTest, RecordsItCannotReadAreSkippedWithKafkasWords) {
  protocol::ConsumerGroupMetadataKey key;
  key.group_id = "group";
  protocol::ConsumerGroupMetadataValue value;
  value.epoch = 10;

  auto unknown = offsets(versioned(key, 32767), versioned(value, 0));
  EXPECT_EQ(unknown.key, "Unknown record type 32767 at offset 0, skipping.");
  EXPECT_EQ(unknown.value, std::nullopt);

  // A value of another record type does not decode as this one's.
  auto wrong = offsets(versioned(key, 3), versioned(protocol::ConsumerGroupMemberMetadataValue{}, 0));
  ASSERT_TRUE(wrong.key);
  EXPECT_TRUE(wrong.key->starts_with("Error at offset 0, skipping. ")) << *wrong.key;
  EXPECT_EQ(wrong.value, std::nullopt);

  // No key at all stops the dump, as Kafka's parser throws.
  auto missing = parse_offsets_record(record_of(std::nullopt, std::nullopt, 12));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "Failed to decode message at offset 12 using the specified decoder (message had a missing key)");
}

std::string metadata_payload(const metadata::MetadataRecord& record) {
  Bytes value;
  EXPECT_FALSE(metadata::encode_record(record, value));
  auto parsed = parse_cluster_metadata_record(record_of(std::nullopt, value));
  EXPECT_EQ(parsed.key, std::nullopt);
  return parsed.value.value_or("");
}

TEST(ClusterMetadataDecoderTest, RecordsAsKafkaPrintsThem) {
  const Uuid topic_id = *Uuid::parse("Uj5wn_FqTXirEASvVZRY1w");
  protocol::TopicRecord topic;
  topic.name = "test-topic";
  topic.topic_id = topic_id;
  EXPECT_EQ(metadata_payload({topic, 0}),
            R"({"type":"TOPIC_RECORD","version":0,"data":{"name":"test-topic","topicId":"Uj5wn_FqTXirEASvVZRY1w"}})");

  // Tagged fields appear only when they are not their defaults.
  protocol::PartitionChangeRecord change;
  change.topic_id = topic_id;
  change.partition_id = 0;
  change.leader = 1;
  change.isr = std::vector<int32_t>{0, 1, 2};
  EXPECT_EQ(metadata_payload({change, 0}),
            R"({"type":"PARTITION_CHANGE_RECORD","version":0,"data":{"partitionId":0,)"
            R"("topicId":"Uj5wn_FqTXirEASvVZRY1w","isr":[0,1,2],"leader":1}})");

  protocol::FeatureLevelRecord feature;
  feature.name = "metadata.version";
  feature.feature_level = 25;
  EXPECT_EQ(metadata_payload({feature, 0}),
            R"({"type":"FEATURE_LEVEL_RECORD","version":0,"data":{"name":"metadata.version","featureLevel":25}})");
}

TEST(ClusterMetadataDecoderTest, ABogusRecordIsSkipped) {
  Bytes bogus;
  ByteWriter w(bogus);
  w.write_uvarint(10000);
  w.write_uvarint(10000);
  auto parsed = parse_cluster_metadata_record(record_of(std::nullopt, bogus, 5));
  ASSERT_TRUE(parsed.value);
  EXPECT_TRUE(parsed.value->starts_with("Error at offset 5, skipping. ")) << *parsed.value;
}

TEST(MessageJsonTest, StringsBytesAndNumbersAsJacksonWritesThem) {
  std::string out;
  append_json_string(out, "a\"b\\c\n\t\x01\xC3\xA9\xFF");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\t\\u0001\xC3\xA9\xEF\xBF\xBD\"");
  EXPECT_EQ(base64(BytesView::of("")), "");
  EXPECT_EQ(base64(BytesView::of("a")), "YQ==");
  EXPECT_EQ(base64(BytesView::of("ab")), "YWI=");
  EXPECT_EQ(base64(BytesView::of("abc")), "YWJj");
  EXPECT_EQ(java_double(1), "1.0");
  EXPECT_EQ(java_double(0.25), "0.25");
  EXPECT_EQ(java_double(-12.5), "-12.5");
  EXPECT_EQ(java_double(0.001), "0.001");
  EXPECT_EQ(java_double(1e7), "1.0E7");
  EXPECT_EQ(java_double(1.5e-4), "1.5E-4");
  EXPECT_EQ(json_field_name("TopicId"), "topicId");
  EXPECT_EQ(json_field_name("memberId"), "memberId");
}

}  // namespace
}  // namespace gregor::tools
