// The framing of metadata records (MetadataRecordSerde): every record type round-trips in every
// version, the bytes match Kafka's, and every kind of bad input is refused with a clear error.
#include "metadata/record_serde.h"

#include <gtest/gtest.h>

#include <set>

namespace gregor::metadata {
namespace {

Bytes encode(const MetadataRecord& record) {
  Bytes out;
  auto err = encode_record(record, out);
  EXPECT_FALSE(err) << *err;
  return out;
}

std::string decode_error(const Bytes& bytes) {
  auto decoded = decode_record(bytes);
  EXPECT_FALSE(decoded.ok());
  return decoded.ok() ? "" : decoded.error().to_string();
}

void expect_round_trip(const MetadataRecord& record) {
  const Bytes bytes = encode(record);
  auto decoded = decode_record(bytes);
  ASSERT_TRUE(decoded.ok()) << record.type_name() << " v" << record.version << ": " << decoded.error().to_string();
  EXPECT_EQ(*decoded, record) << record.type_name() << " v" << record.version;
  EXPECT_EQ(encode(*decoded), bytes);
}

template <size_t I = 0>
void round_trip_defaults_of_every_type(std::set<int16_t>& keys) {
  if constexpr (I < std::variant_size_v<MetadataRecordBody>) {
    using T = std::variant_alternative_t<I, MetadataRecordBody>;
    EXPECT_TRUE(keys.insert(T::kApiKey).second) << "two record types share api key " << T::kApiKey;
    EXPECT_STREQ(record_type_name(T::kApiKey), T::kName);
    for (int16_t v = T::kValidVersions.lo; v <= T::kValidVersions.hi; ++v) expect_round_trip(MetadataRecord(T{}, v));
    round_trip_defaults_of_every_type<I + 1>(keys);
  }
}

TEST(RecordSerde, EveryTypeRoundTripsInEveryVersion) {
  std::set<int16_t> keys;
  round_trip_defaults_of_every_type(keys);
  EXPECT_EQ(keys.size(), 25u);
}

TEST(RecordSerde, PopulatedRecordsRoundTrip) {
  const Uuid topic_id = Uuid::from_halves(0x1234, 0x5678);
  const Uuid dir = Uuid::from_halves(7, 8);

  expect_round_trip(MetadataRecord(protocol::TopicRecord{"orders", topic_id, {}}, 0));

  protocol::PartitionRecord partition;
  partition.partition_id = 3;
  partition.topic_id = topic_id;
  partition.replicas = {1, 2, 3};
  partition.isr = {1, 2};
  partition.leader = 1;
  partition.leader_epoch = 4;
  partition.partition_epoch = 9;
  expect_round_trip(MetadataRecord(partition, 0));
  partition.directories = {dir, dir, dir};
  expect_round_trip(MetadataRecord(partition, 1));
  partition.eligible_leader_replicas = std::vector<int32_t>{3};
  partition.last_known_elr = std::vector<int32_t>{};
  expect_round_trip(MetadataRecord(partition, 2));

  protocol::PartitionChangeRecord change;
  change.partition_id = 3;
  change.topic_id = topic_id;
  change.isr = std::vector<int32_t>{1};
  change.leader = 2;
  expect_round_trip(MetadataRecord(change, 0));
  change.directories = std::vector<Uuid>{dir};
  expect_round_trip(MetadataRecord(change, 1));

  expect_round_trip(MetadataRecord(protocol::ConfigRecord{2, "orders", "retention.ms", "1000", {}}, 0));
  expect_round_trip(MetadataRecord(protocol::ConfigRecord{4, "", "log.retention.ms", std::nullopt, {}}, 0));
  expect_round_trip(MetadataRecord(protocol::FeatureLevelRecord{"metadata.version", 21, {}}, 0));
  expect_round_trip(MetadataRecord(protocol::ProducerIdsRecord{1, 42, 3000, {}}, 0));
  expect_round_trip(MetadataRecord(protocol::RemoveTopicRecord{topic_id, {}}, 0));

  protocol::RegisterBrokerRecord broker;
  broker.broker_id = 1;
  broker.incarnation_id = Uuid::from_halves(99, 100);
  broker.broker_epoch = 17;
  broker.end_points.push_back({"PLAINTEXT", "localhost", 9092, 0, {}});
  broker.features.push_back({"metadata.version", 7, 21, {}});
  broker.rack = std::nullopt;
  broker.log_dirs = {dir};
  expect_round_trip(MetadataRecord(broker, 3));

  protocol::BrokerRegistrationChangeRecord registration;
  registration.broker_id = 1;
  registration.broker_epoch = 17;
  registration.fenced = -1;
  expect_round_trip(MetadataRecord(registration, 2));
}

TEST(RecordSerde, BytesAreKafkas) {
  // FeatureLevelRecord v0 {metadata.version, 21}: frame 1, type 12, version 0, then the body
  // (compact string, int16, no tagged fields).
  Bytes expected = {0x01, 0x0c, 0x00, 0x11};
  for (char c : std::string("metadata.version")) expected.push_back(static_cast<uint8_t>(c));
  expected.insert(expected.end(), {0x00, 0x15, 0x00});
  EXPECT_EQ(encode(MetadataRecord(protocol::FeatureLevelRecord{"metadata.version", 21, {}}, 0)), expected);
}

TEST(RecordSerde, EncodeRefusesAVersionTheTypeDoesNotHave) {
  Bytes out = {0xaa};
  auto err = encode_record(MetadataRecord(protocol::TopicRecord{}, 1), out);
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, "TopicRecord version 1 does not exist (only version 0)");
  EXPECT_EQ(out, Bytes{0xaa});
}

TEST(RecordSerde, EncodeRefusesAFieldTheVersionLacks) {
  protocol::PartitionRecord partition;
  partition.replicas = {1};
  partition.directories = {Uuid::from_halves(1, 1)};
  Bytes out;
  EXPECT_TRUE(encode_record(MetadataRecord(partition, 0), out));
  EXPECT_TRUE(out.empty());
}

TEST(RecordSerde, DecodeErrors) {
  const Bytes good = encode(MetadataRecord(protocol::RemoveTopicRecord{Uuid::from_halves(1, 2), {}}, 0));

  Bytes frame0 = good;
  frame0[0] = 0;
  EXPECT_EQ(decode_error(frame0),
            "at byte 1 (frame version): frame version 0 (the KRaft preview of Kafka 2.8) is not supported");
  Bytes frame2 = good;
  frame2[0] = 2;
  EXPECT_EQ(decode_error(frame2), "at byte 1 (frame version): unknown frame version 2 (only 1 is supported)");

  EXPECT_EQ(decode_error(Bytes{0x01, 0x63, 0x00}), "at byte 3 (type): unknown metadata record type 99");
  EXPECT_EQ(decode_error(Bytes{0x01, 0x09, 0x01}),
            "at byte 3 (version): RemoveTopicRecord version 1 is not supported (only version 0)");
  // 2^15 does not fit Kafka's short.
  EXPECT_EQ(decode_error(Bytes{0x01, 0x80, 0x80, 0x02, 0x00}), "at byte 4 (type): value 32768 is too large");

  EXPECT_EQ(decode_error(Bytes{}), "at byte 0 (frame version): needs 1 bytes, 0 left");
  Bytes truncated(good.begin(), good.end() - 3);
  EXPECT_NE(decode_error(truncated).find("(TopicId)"), std::string::npos) << decode_error(truncated);

  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(decode_error(trailing), "at byte 20: 1 byte(s) after the end of RemoveTopicRecord");
}

TEST(RecordSerde, DecodeOffsetsAreRelativeToTheBuffer) {
  auto decoded = decode_record(Bytes{0x01, 0x63, 0x00}, 100);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().offset, 103u);
}

}  // namespace
}  // namespace gregor::metadata
