// Hand-checked properties of the generated codec: exact bytes, tagged fields, version checks,
// framing and the API registry.
#include <gtest/gtest.h>

#include "protocol/frame.h"
#include "protocol/generated/api_registry.h"
#include "protocol/generated/message/api_versions_request.h"
#include "protocol/generated/message/fetch_request.h"
#include "protocol/generated/message/produce_request.h"
#include "protocol/generated/message/request_header.h"
#include "protocol/generated/group_coordinator/consumer_group_member_metadata_value.h"
#include "protocol/generated/transaction_coordinator/transaction_log_value.h"

namespace gregor::protocol {
namespace {

TEST(ApiRegistry, CoversEveryKeyWithItsVersions) {
  ASSERT_EQ(all_apis().size(), 88u);
  const ApiInfo* produce = find_api(0);
  ASSERT_NE(produce, nullptr);
  EXPECT_STREQ(produce->name, "Produce");
  EXPECT_EQ(produce->versions.lo, 0);
  EXPECT_EQ(produce->versions.hi, 11);
  EXPECT_EQ(produce->request_flexible_from, 9);
  EXPECT_STREQ(find_api(18)->name, "ApiVersions");
  EXPECT_STREQ(find_api(87)->name, all_apis().back().name);
  EXPECT_EQ(find_api(88), nullptr);
  EXPECT_EQ(find_api(-1), nullptr);
  for (size_t i = 0; i < all_apis().size(); ++i) EXPECT_EQ(all_apis()[i].key, static_cast<int16_t>(i));
}

TEST(ApiRegistry, HeaderVersions) {
  EXPECT_EQ(request_header_version(0, 8), 1);
  EXPECT_EQ(request_header_version(0, 9), 2);
  EXPECT_EQ(request_header_version(7, 0), 0);  // ControlledShutdown v0
  EXPECT_EQ(response_header_version(0, 9), 1);
  EXPECT_EQ(response_header_version(18, 3), 0);  // ApiVersions responses stay on header v0
  EXPECT_EQ(request_header_version(18, 3), 2);
  EXPECT_EQ(request_header_version(18, 99), 2);  // a newer client's ApiVersions is still readable
}

TEST(Codec, ApiVersionsRequestBytesAreExact) {
  RequestHeader h;
  h.request_api_key = 18;
  h.request_api_version = 3;
  h.correlation_id = 1;
  h.client_id = "rdkafka";
  ApiVersionsRequest body;
  body.client_software_name = "librdkafka";
  body.client_software_version = "2.0.2";
  Bytes frame;
  ASSERT_FALSE(write_request(h, body, frame));
  const Bytes expected = {
      0, 0, 0, 36,                                      // size
      0, 18, 0, 3, 0, 0, 0, 1,                          // key, version, correlation id
      0, 7, 'r', 'd', 'k', 'a', 'f', 'k', 'a',          // client id: classic string even in v2
      0,                                                // header tagged fields
      11, 'l', 'i', 'b', 'r', 'd', 'k', 'a', 'f', 'k', 'a',  // compact string
      6, '2', '.', '0', '.', '2',                       // compact string
      0};                                               // body tagged fields
  EXPECT_EQ(frame, expected);

  auto parsed = read_request_header(BytesView(frame).subview(4, frame.size() - 4));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->header, h);
  EXPECT_EQ(parsed->header_version, 2);
  EXPECT_EQ(parsed->body_offset, 18u);
  auto decoded = decode_message<ApiVersionsRequest>(parsed->body, 3);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value(), body);
}

TEST(Codec, KnownTaggedFieldsDecodeAndUnknownOnesSurviveInTagOrder) {
  FetchRequest req;
  req.cluster_id = "c1";  // tag 0 from v12
  req.unknown_tagged_fields.push_back({3, {0xaa}});
  req.unknown_tagged_fields.push_back({7, {}});
  Bytes v12;
  ASSERT_FALSE(encode_message(req, 12, v12));
  // The top-level tagged section closes the message: 3 fields, tags 0, 3, 7 in that order.
  const Bytes tail = {3, 0, 3, 3, 'c', '1', 3, 1, 0xaa, 7, 0};
  ASSERT_GE(v12.size(), tail.size());
  EXPECT_EQ(Bytes(v12.end() - static_cast<long>(tail.size()), v12.end()), tail);
  auto back = decode_message<FetchRequest>(v12, 12);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->cluster_id, "c1");
  EXPECT_EQ(back->unknown_tagged_fields, req.unknown_tagged_fields);

  FetchRequest with_state;
  with_state.replica_state.replica_epoch = 9;  // tag 1, a tagged struct from v15
  Bytes v15;
  ASSERT_FALSE(encode_message(with_state, 15, v15));
  auto decoded15 = decode_message<FetchRequest>(v15, 15);
  ASSERT_TRUE(decoded15.ok());
  EXPECT_EQ(decoded15->replica_state.replica_epoch, 9);
  EXPECT_TRUE(decoded15->unknown_tagged_fields.empty());
}

TEST(Codec, AnUnknownTaggedFieldWithTheLargestTagIsWrittenToo) {
  FetchRequest req;
  req.unknown_tagged_fields.push_back({7, {0x01}});
  req.unknown_tagged_fields.push_back({UINT32_MAX, {0x02}});
  Bytes v12;
  ASSERT_FALSE(encode_message(req, 12, v12));
  auto back = decode_message<FetchRequest>(v12, 12);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->unknown_tagged_fields, req.unknown_tagged_fields);
}

TEST(Codec, KnownTagOutsideItsVersionsIsMalformed) {
  // Tag 1 is FetchRequest's ReplicaState from v15; in v12 it is not unknown but invalid, as in
  // Kafka's reader.
  FetchRequest req;
  req.unknown_tagged_fields.push_back({1, {0}});
  Bytes v12;
  ASSERT_FALSE(encode_message(req, 12, v12));
  auto back = decode_message<FetchRequest>(v12, 12);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().field, "ReplicaState");
  EXPECT_NE(back.error().message.find("not valid for version 12"), std::string::npos);
}

TEST(Codec, UnknownTaggedFieldsAreWrittenOnlyWhereTheyCanBe) {
  ProduceRequest v3;
  v3.unknown_tagged_fields.push_back({5, {}});
  Bytes out;
  auto err = encode_message(v3, 3, out);  // not flexible: nowhere to put them
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("does not support them"), std::string::npos);

  ProduceRequest unordered;
  unordered.unknown_tagged_fields = {{5, {}}, {2, {}}};
  Bytes o2;
  ASSERT_TRUE(encode_message(unordered, 9, o2));

  FetchRequest clash;
  clash.cluster_id = "c";
  clash.unknown_tagged_fields.push_back({0, {}});  // ClusterId's tag
  Bytes o3;
  ASSERT_TRUE(encode_message(clash, 12, o3));
}

TEST(Codec, TaggedNullableStructUsesAVarintMarker) {
  // ClassicMemberMetadata: tag 0, nullable, a struct. Null is tag 0, size 1, varint 0.
  ConsumerGroupMemberMetadataValue value;
  value.classic_member_metadata = std::nullopt;
  Bytes out;
  ASSERT_FALSE(encode_message(value, 0, out));
  const Bytes tail = {1, 0, 1, 0};
  EXPECT_EQ(Bytes(out.end() - 4, out.end()), tail);
  auto back = decode_message<ConsumerGroupMemberMetadataValue>(out, 0);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->classic_member_metadata, std::nullopt);

  value.classic_member_metadata.emplace().session_timeout_ms = 45000;
  Bytes present;
  ASSERT_FALSE(encode_message(value, 0, present));
  auto again = decode_message<ConsumerGroupMemberMetadataValue>(present, 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->classic_member_metadata->session_timeout_ms, 45000);
}

TEST(Codec, FieldsWithOnlyTaggedVersionsAreAbsentBefore) {
  // TransactionLogValue's PreviousProducerId has taggedVersions 1+ and no versions: v0 values are
  // 35 bytes, without it.
  TransactionLogValue v0;
  Bytes out;
  ASSERT_FALSE(encode_message(v0, 0, out));
  EXPECT_EQ(out.size(), 35u);
  v0.previous_producer_id = 7;
  Bytes rejected;
  EXPECT_TRUE(encode_message(v0, 0, rejected));
  Bytes v1;
  ASSERT_FALSE(encode_message(v0, 1, v1));
  auto back = decode_message<TransactionLogValue>(v1, 1);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->previous_producer_id, 7);
}

TEST(Codec, FieldMissingFromAVersionIsRejectedUnlessIgnorable) {
  ProduceRequest req;
  req.transactional_id = "tx";  // from v3 on, not ignorable
  Bytes out;
  auto err = encode_message(req, 2, out);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("TransactionalId"), std::string::npos);
  EXPECT_FALSE(encode_message(req, 3, out));

  FetchRequest fetch;
  fetch.cluster_id = "ignored";  // ignorable: silently left out of v11
  Bytes f;
  EXPECT_FALSE(encode_message(fetch, 11, f));
}

TEST(Codec, DecodeErrorsSayWhatAndWhere) {
  ProduceRequest req;
  req.topic_data.emplace_back().name = "orders";
  req.topic_data[0].partition_data.emplace_back().records = BytesView::of("0123456789");
  Bytes out;
  ASSERT_FALSE(encode_message(req, 8, out));
  auto truncated = decode_message<ProduceRequest>(BytesView(out.data(), out.size() - 3), 8);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().field, "Records");
  EXPECT_NE(truncated.error().message.find("exceeds"), std::string::npos);

  Bytes trailing = out;
  trailing.push_back(0);
  auto extra = decode_message<ProduceRequest>(trailing, 8);
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.error().offset, out.size());
  // Kafka ignores bytes after a request body; the broker can ask for the same.
  EXPECT_TRUE(decode_message<ProduceRequest>(trailing, 8, TrailingBytes::ignore).ok());
}

TEST(Codec, UnknownApiKeyFailsTheHeader) {
  RequestHeader h;
  h.request_api_key = 999;
  h.request_api_version = 0;
  Bytes frame;
  ASSERT_FALSE(write_request(h, ApiVersionsRequest{}, frame));
  auto parsed = read_request_header(BytesView(frame).subview(4, frame.size() - 4));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("unknown API key 999"), std::string::npos);
}

TEST(Codec, RecordsAreViewsIntoTheFrame) {
  ProduceRequest req;
  req.topic_data.emplace_back().name = "t";
  req.topic_data[0].partition_data.emplace_back().records = BytesView::of("batch-bytes");
  Bytes out;
  ASSERT_FALSE(encode_message(req, 9, out));
  auto d = decode_message<ProduceRequest>(out, 9);
  ASSERT_TRUE(d.ok());
  const auto& records = *d->topic_data[0].partition_data[0].records;
  EXPECT_GE(records.data(), out.data());
  EXPECT_LE(records.end(), out.data() + out.size());
  EXPECT_EQ(records.as_chars(), "batch-bytes");
}

TEST(Codec, DefaultsFollowTheSpec) {
  ProduceRequest p;
  EXPECT_EQ(p.transactional_id, std::nullopt);  // "default": "null"
  FetchRequest f;
  EXPECT_EQ(f.replica_id, -1);
  EXPECT_EQ(f.max_bytes, 0x7fffffff);
  EXPECT_EQ(f.isolation_level, 0);
  EXPECT_EQ(f.cluster_id, std::nullopt);
}

}  // namespace
}  // namespace gregor::protocol
