#include "record/record_batch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "batch_bytes.h"
#include "record/batch_builder.h"
#include "record/record.h"

namespace gregor::record {
namespace {

using ::testing::HasSubstr;
using testing::V2Header;
using testing::view;

constexpr size_t kLimit = 1 << 20;

// A record copied out of the reader's views, for comparisons.
struct Owned {
  int64_t offset;
  int64_t timestamp;
  std::optional<std::string> key, value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  bool operator==(const Owned&) const = default;
};

std::optional<std::string> str(const std::optional<BytesView>& v) {
  if (!v) return std::nullopt;
  return std::string(v->as_chars());
}

std::vector<Owned> read_all(const RecordBatchView& batch, size_t limit = kLimit) {
  RecordReader reader(limit);
  auto err = reader.open(batch);
  EXPECT_FALSE(err) << err->to_string();
  std::vector<Owned> out;
  Record r;
  while (reader.next(r)) {
    Owned o{r.offset, r.timestamp, str(r.key), str(r.value), {}};
    for (const Header& h : r.headers) o.headers.emplace_back(std::string(h.key), str(h.value));
    out.push_back(std::move(o));
  }
  EXPECT_TRUE(reader.ok()) << reader.error().to_string();
  return out;
}

RecordBatchView parsed(const Bytes& bytes) {
  auto batch = RecordBatchView::parse(bytes);
  EXPECT_TRUE(batch.ok()) << batch.error().to_string();
  return *batch;
}

Bytes build(const BatchOptions& options, const std::vector<Owned>& records) {
  RecordBatchBuilder builder(options);
  for (const Owned& o : records) {
    std::vector<Header> headers;
    for (const auto& [k, v] : o.headers)
      headers.push_back({k, v ? std::optional<BytesView>(view(*v)) : std::nullopt});
    auto opt = [](const std::optional<std::string>& s) {
      return s ? std::optional<BytesView>(view(*s)) : std::nullopt;
    };
    builder.append(o.timestamp, opt(o.key), opt(o.value), headers);
  }
  Bytes out;
  auto err = builder.finish(out);
  EXPECT_FALSE(err) << *err;
  return out;
}

std::vector<Owned> sample_records(int64_t base_offset) {
  return {
      {base_offset + 0, 1000, "key-0", "value-0", {}},
      {base_offset + 1, 990, std::nullopt, "value without key", {}},
      {base_offset + 2, 1500, "tombstone", std::nullopt, {}},
      {base_offset + 3, 1200, std::nullopt, std::nullopt, {}},
      {base_offset + 4, 1100, "", "", {{"trace", "abc"}, {"", std::nullopt}, {"empty", ""}}},
      {base_offset + 5, 1300, "k", std::string(3000, 'x'), {{"h", "v"}}},
  };
}

// ---- builder and reader agree, for every codec ----

class BatchRoundTrip : public ::testing::TestWithParam<Compression> {};

TEST_P(BatchRoundTrip, RecordsAndHeaderFieldsSurvive) {
  BatchOptions options;
  options.base_offset = 1234;
  options.partition_leader_epoch = 9;
  options.compression = GetParam();
  options.producer_id = 77;
  options.producer_epoch = 3;
  options.base_sequence = 40;
  std::vector<Owned> records = sample_records(1234);
  Bytes bytes = build(options, records);

  RecordBatchView batch = parsed(bytes);
  EXPECT_EQ(batch.bytes().size(), bytes.size());
  EXPECT_FALSE(batch.verify_crc());
  EXPECT_EQ(batch.magic(), 2);
  EXPECT_EQ(batch.base_offset(), 1234);
  EXPECT_EQ(batch.batch_length(), static_cast<int32_t>(bytes.size() - 12));
  EXPECT_EQ(batch.partition_leader_epoch(), 9);
  EXPECT_EQ(batch.compression(), GetParam());
  EXPECT_EQ(batch.timestamp_type(), TimestampType::create_time);
  EXPECT_FALSE(batch.is_transactional());
  EXPECT_FALSE(batch.is_control());
  EXPECT_FALSE(batch.delete_horizon_ms());
  EXPECT_EQ(batch.record_count(), 6);
  EXPECT_EQ(batch.last_offset_delta(), 5);
  EXPECT_EQ(batch.last_offset(), 1239);
  EXPECT_EQ(batch.next_offset(), 1240);
  EXPECT_EQ(batch.base_timestamp(), 1000);
  EXPECT_EQ(batch.max_timestamp(), 1500);
  EXPECT_EQ(batch.producer_id(), 77);
  EXPECT_EQ(batch.producer_epoch(), 3);
  EXPECT_EQ(batch.base_sequence(), 40);
  EXPECT_EQ(batch.last_sequence(), 45);
  EXPECT_EQ(read_all(batch), records);
}

TEST_P(BatchRoundTrip, TransactionalLogAppendTimeBatch) {
  BatchOptions options;
  options.compression = GetParam();
  options.transactional = true;
  options.timestamp_type = TimestampType::log_append_time;
  options.log_append_time = 7777;
  Bytes bytes = build(options, {{0, 5000, "a", "b", {}}, {1, 5001, "c", "d", {}}});
  RecordBatchView batch = parsed(bytes);
  EXPECT_TRUE(batch.is_transactional());
  EXPECT_EQ(batch.timestamp_type(), TimestampType::log_append_time);
  EXPECT_EQ(batch.attributes(), static_cast<int16_t>(static_cast<int>(GetParam()) | 0x08 | 0x10));
  // As Kafka's builder: maxTimestamp is the append time, records keep their create-time deltas.
  EXPECT_EQ(batch.max_timestamp(), 7777);
  EXPECT_EQ(batch.base_timestamp(), 5000);
  auto records = read_all(batch);
  ASSERT_EQ(records.size(), 2u);
  for (const auto& r : records) EXPECT_EQ(r.timestamp, 7777);
}

TEST_P(BatchRoundTrip, CorruptionIsCaughtByTheCrc) {
  BatchOptions options;
  options.compression = GetParam();
  Bytes bytes = build(options, sample_records(0));
  for (size_t at : {size_t{21}, size_t{30}, size_t{58}, size_t{61}, bytes.size() / 2, bytes.size() - 1}) {
    Bytes corrupt = bytes;
    corrupt[at] ^= 0x10;
    auto batch = RecordBatchView::parse(corrupt);
    if (!batch) continue;  // flipping an attribute bit can make the codec unknown: also caught
    auto err = batch->verify_crc();
    ASSERT_TRUE(err) << "flip at " << at;
    EXPECT_EQ(err->field, "crc");
    EXPECT_EQ(err->offset, 17u);
    EXPECT_THAT(err->message, HasSubstr("CRC mismatch"));
  }
}

// The same, for the codecs that actually compress.
class CompressedBatch : public ::testing::TestWithParam<Compression> {};

TEST_P(CompressedBatch, DecompressionIsBounded) {
  BatchOptions options;
  options.compression = GetParam();
  Bytes bytes = build(options, {{0, 1, "k", std::string(100000, 'z'), {}}});
  RecordReader reader(10000);
  auto err = reader.open(parsed(bytes));
  ASSERT_TRUE(err);
  EXPECT_EQ(err->field, std::string("records (") + compression_name(GetParam()) + ")");
  EXPECT_THAT(err->message, HasSubstr("exceeds the limit of 10000 bytes"));
  Record r;
  EXPECT_FALSE(reader.next(r));
  EXPECT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().field, err->field);
  EXPECT_EQ(reader.error().message, err->message);
}

TEST_P(CompressedBatch, CorruptCompressedPayloadFailsToOpen) {
  BatchOptions options;
  options.compression = GetParam();
  Bytes bytes = build(options, sample_records(0));
  bytes.resize(bytes.size() - 8);  // cut the compressed stream short, then re-frame
  Bytes reframed(bytes.begin(), bytes.end());
  int32_t length = static_cast<int32_t>(reframed.size() - 12);
  for (int i = 0; i < 4; ++i) reframed[8 + i] = static_cast<uint8_t>(length >> (24 - 8 * i));
  RecordReader reader(kLimit);
  auto err = reader.open(parsed(reframed));
  ASSERT_TRUE(err);
  EXPECT_GE(err->offset, 61u);
}

auto codec_name = [](const auto& info) { return std::string(compression_name(info.param)); };
INSTANTIATE_TEST_SUITE_P(AllCodecs, BatchRoundTrip,
                         ::testing::Values(Compression::none, Compression::gzip, Compression::snappy,
                                           Compression::lz4, Compression::zstd),
                         codec_name);
INSTANTIATE_TEST_SUITE_P(AllCodecs, CompressedBatch,
                         ::testing::Values(Compression::gzip, Compression::snappy, Compression::lz4,
                                           Compression::zstd),
                         codec_name);

// ---- the builder's bytes match the layout written out by hand ----

TEST(RecordBatch, BuilderOutputMatchesTheWireLayout) {
  BatchOptions options;
  options.base_offset = 42;
  options.partition_leader_epoch = 5;
  options.producer_id = 1000;
  options.producer_epoch = 2;
  options.base_sequence = 7;
  RecordBatchBuilder builder(options);
  builder.append(1700000000000, view("key"), view("value"));
  builder.append(1700000000005, std::nullopt, view("v2"));
  Bytes built;
  ASSERT_FALSE(builder.finish(built));

  Bytes records = testing::v2_record(0, 0, "key", "value");
  testing::append(records, testing::v2_record(5, 1, std::nullopt, "v2"));
  V2Header h{.base_offset = 42,
             .leader_epoch = 5,
             .attributes = 0,
             .last_offset_delta = 1,
             .base_timestamp = 1700000000000,
             .max_timestamp = 1700000000005,
             .producer_id = 1000,
             .producer_epoch = 2,
             .base_sequence = 7,
             .record_count = 2};
  EXPECT_EQ(built, testing::v2_batch(h, records));
  // The first record, byte for byte: length 14 (zigzag 0x1c), attributes, both deltas 0,
  // key length 3 (zigzag 6) "key", value length 5 "value", no headers.
  Bytes first = {0x1c, 0x00, 0x00, 0x00, 0x06, 'k', 'e', 'y', 0x0a, 'v', 'a', 'l', 'u', 'e', 0x00};
  EXPECT_EQ(Bytes(built.begin() + 61, built.begin() + 61 + first.size()), first);
}

TEST(RecordBatch, EmptyBuilderWritesNothing) {
  // As Kafka's MemoryRecordsBuilder: no records, no batch (Kafka rejects empty client batches).
  for (Compression codec : {Compression::none, Compression::snappy}) {
    BatchOptions options;
    options.compression = codec;
    Bytes out = {1, 2, 3};
    EXPECT_FALSE(RecordBatchBuilder(options).finish(out));
    EXPECT_EQ(out, (Bytes{1, 2, 3}));
  }
}

TEST(RecordBatch, BatchWithoutRecordsYieldsNothingWhateverItsSection) {
  // recordCount 0: the records section is not even decompressed, as in Kafka.
  Bytes garbage = {0xde, 0xad, 0xbe, 0xef};
  Bytes bytes = testing::v2_batch({.attributes = static_cast<int16_t>(Compression::gzip)}, garbage);
  RecordBatchView batch = parsed(bytes);
  RecordReader reader(kLimit);
  ASSERT_FALSE(reader.open(batch));
  Record r;
  EXPECT_FALSE(reader.next(r));
  EXPECT_TRUE(reader.ok());
}

TEST(RecordBatch, DeleteHorizonBecomesTheBaseTimestamp) {
  BatchOptions options;
  options.delete_horizon_ms = 9000;
  Bytes bytes = build(options, {{0, 9500, "k", std::nullopt, {}}});
  RecordBatchView batch = parsed(bytes);
  EXPECT_EQ(batch.delete_horizon_ms(), 9000);
  EXPECT_EQ(batch.base_timestamp(), 9000);
  EXPECT_EQ(batch.attributes() & 0x40, 0x40);
  EXPECT_EQ(read_all(batch)[0].timestamp, 9500);
}

TEST(RecordBatch, LastSequenceWrapsAtInt32Max) {
  BatchOptions options;
  options.producer_id = 1;
  options.producer_epoch = 0;
  options.base_sequence = INT32_MAX - 1;
  Bytes bytes = build(options, sample_records(0));  // 6 records: MAX-1, MAX, 0, 1, 2, 3
  EXPECT_EQ(parsed(bytes).last_sequence(), 3);
  EXPECT_EQ(parsed(build({}, sample_records(0))).last_sequence(), -1);
}

// ---- in-place edits the broker makes ----

TEST(RecordBatch, CrcDoesNotCoverBaseOffsetLengthOrLeaderEpoch) {
  Bytes bytes = build({}, sample_records(0));
  uint32_t crc = parsed(bytes).crc();
  ASSERT_TRUE(set_base_offset(bytes, 5000));
  ASSERT_TRUE(set_partition_leader_epoch(bytes, 17));
  RecordBatchView batch = parsed(bytes);
  EXPECT_EQ(batch.crc(), crc);
  EXPECT_FALSE(batch.verify_crc());
  EXPECT_EQ(batch.base_offset(), 5000);
  EXPECT_EQ(batch.partition_leader_epoch(), 17);
  EXPECT_EQ(read_all(batch), sample_records(5000));
  // Every byte from the attributes on is covered.
  for (size_t at = 21; at < bytes.size(); ++at) {
    Bytes corrupt = bytes;
    corrupt[at] ^= 0x01;
    EXPECT_NE(RecordBatchView::parse(corrupt)->compute_crc(), crc) << at;
  }
}

TEST(RecordBatch, LogAppendTimeRewriteKeepsTheCrcValid) {
  for (Compression codec : {Compression::none, Compression::zstd}) {
    BatchOptions options;
    options.compression = codec;
    Bytes bytes = build(options, sample_records(0));
    uint32_t before = parsed(bytes).crc();
    ASSERT_TRUE(set_log_append_time(bytes, 77777));
    RecordBatchView batch = parsed(bytes);
    EXPECT_NE(batch.crc(), before);
    EXPECT_FALSE(batch.verify_crc());
    EXPECT_EQ(batch.timestamp_type(), TimestampType::log_append_time);
    EXPECT_EQ(batch.max_timestamp(), 77777);
    for (const Owned& r : read_all(batch)) EXPECT_EQ(r.timestamp, 77777);
  }
}

TEST(RecordBatch, SetMaxTimestampRewritesOnlyWhatChanged) {
  Bytes bytes = build({}, sample_records(0));
  int64_t max = parsed(bytes).max_timestamp();
  Bytes same = bytes;
  ASSERT_TRUE(set_max_timestamp(same, TimestampType::create_time, max));
  EXPECT_EQ(same, bytes);  // nothing changed, not even the CRC

  ASSERT_TRUE(set_max_timestamp(bytes, TimestampType::create_time, max + 5));
  EXPECT_EQ(parsed(bytes).max_timestamp(), max + 5);
  EXPECT_FALSE(parsed(bytes).verify_crc());

  ASSERT_TRUE(set_max_timestamp(bytes, TimestampType::log_append_time, 42));
  EXPECT_EQ(parsed(bytes).timestamp_type(), TimestampType::log_append_time);
  ASSERT_TRUE(set_max_timestamp(bytes, TimestampType::create_time, 43));
  EXPECT_EQ(parsed(bytes).timestamp_type(), TimestampType::create_time);
  EXPECT_EQ(parsed(bytes).max_timestamp(), 43);
  EXPECT_FALSE(parsed(bytes).verify_crc());
}

TEST(RecordBatch, InPlaceEditsRefuseShortSpans) {
  Bytes bytes(60, 0);
  EXPECT_FALSE(set_base_offset(bytes, 1));
  EXPECT_FALSE(set_partition_leader_epoch(bytes, 1));
  EXPECT_FALSE(set_log_append_time(bytes, 1));
  Bytes batch = build({}, sample_records(0));
  batch.pop_back();  // batchLength now claims one byte more than the span
  EXPECT_FALSE(set_log_append_time(batch, 1));
}

TEST(RecordBatch, ConcatenatedBatchesKeepTheirCrcs) {
  Bytes log;
  for (int i = 0; i < 3; ++i) {
    BatchOptions options;
    options.base_offset = i * 6;
    options.compression = i == 1 ? Compression::lz4 : Compression::none;
    testing::append(log, build(options, sample_records(i * 6)));
  }
  size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    auto batch = RecordBatchView::parse(BytesView(log.data() + pos, log.size() - pos), pos);
    ASSERT_TRUE(batch) << batch.error().to_string();
    EXPECT_FALSE(batch->verify_crc());
    EXPECT_EQ(read_all(*batch), sample_records(i * 6));
    pos += batch->bytes().size();
  }
  EXPECT_EQ(pos, log.size());
}

// ---- framing errors ----

TEST(RecordBatch, TruncatedBatchesAreRejectedWithTheReason) {
  Bytes bytes = build({}, sample_records(0));
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto batch = RecordBatchView::parse(BytesView(bytes.data(), n), 100);
    ASSERT_FALSE(batch) << n;
    if (n < 61) {
      EXPECT_EQ(batch.error().field, "batch");
      EXPECT_THAT(batch.error().message, HasSubstr("61-byte header"));
      EXPECT_EQ(batch.error().offset, 100u);
    } else {
      EXPECT_EQ(batch.error().field, "batchLength");
      EXPECT_THAT(batch.error().message, HasSubstr("only " + std::to_string(n) + " bytes given"));
      EXPECT_EQ(batch.error().offset, 108u);
    }
  }
}

TEST(RecordBatch, HeaderFieldsAreValidated) {
  Bytes good = build({}, sample_records(0));
  auto error_after = [&](size_t at, Bytes patch) {
    Bytes b = good;
    std::copy(patch.begin(), patch.end(), b.begin() + at);
    auto batch = RecordBatchView::parse(b);
    EXPECT_FALSE(batch);
    return batch ? DecodeError{} : batch.error();
  };
  EXPECT_EQ(error_after(16, {1}).field, "magic");
  EXPECT_THAT(error_after(16, {3}).message, HasSubstr("expected magic 2, found 3"));
  EXPECT_EQ(error_after(22, {0x05}).field, "attributes");  // codec 5
  EXPECT_EQ(error_after(57, {0x80}).field, "recordCount");
  DecodeError short_length = error_after(8, {0, 0, 0, 48});
  EXPECT_EQ(short_length.field, "batchLength");
  EXPECT_THAT(short_length.message, HasSubstr("shorter than the 49-byte header"));
  EXPECT_EQ(error_after(8, {0x7f}).field, "batchLength");  // longer than the bytes
}

TEST(RecordBatch, ExtraBytesAfterTheBatchAreNotPartOfIt) {
  Bytes bytes = build({}, sample_records(0));
  size_t size = bytes.size();
  bytes.resize(size + 10, 0xEE);
  RecordBatchView batch = parsed(bytes);
  EXPECT_EQ(batch.bytes().size(), size);
  EXPECT_FALSE(batch.verify_crc());
}

// ---- record-level errors, on hand-made record sections ----

DecodeError read_error(const V2Header& header, const Bytes& records, size_t position = 0) {
  Bytes bytes = testing::v2_batch(header, records);
  auto batch = RecordBatchView::parse(bytes, position);
  EXPECT_TRUE(batch);
  RecordReader reader(kLimit);
  EXPECT_FALSE(reader.open(*batch));
  Record r;
  while (reader.next(r)) {
  }
  EXPECT_FALSE(reader.ok());
  return reader.error();
}

TEST(RecordReader, CountLargerThanTheRecordsPresent) {
  Bytes records = testing::v2_record(0, 0, "k", "v");
  DecodeError err = read_error({.record_count = 2}, records);
  EXPECT_THAT(err.message, HasSubstr("declares 2 records but holds only 1"));
  EXPECT_EQ(err.offset, 61 + records.size());
}

TEST(RecordReader, BytesAfterTheLastRecord) {
  Bytes records = testing::v2_record(0, 0, "k", "v");
  testing::append(records, testing::v2_record(0, 1, "k", "v"));
  DecodeError err = read_error({.record_count = 1}, records);
  EXPECT_THAT(err.message, HasSubstr("bytes after the batch's 1 records"));
}

TEST(RecordReader, RecordLengthLongerThanTheSection) {
  Bytes records = testing::v2_record(0, 0, "k", "v");
  records[0] += 2;  // one more byte claimed (zigzag: +2)
  DecodeError err = read_error({.record_count = 1}, records, 1000);
  EXPECT_EQ(err.field, "record 0 length");
  EXPECT_EQ(err.offset, 1000 + 61 + 1u);
}

TEST(RecordReader, RecordLengthShorterThanItsFields) {
  Bytes records = testing::v2_record(0, 0, "key", "value");
  testing::append(records, {0x00});  // a spare byte for the lengthened record to own
  records[0] += 2;
  DecodeError err = read_error({.record_count = 1}, records);
  EXPECT_EQ(err.field, "record 0 length");
  EXPECT_THAT(err.message, HasSubstr("leaves 1 bytes unread"));
}

TEST(RecordReader, AnyNegativeKeyOrValueLengthIsNull) {
  // As Kafka's DefaultRecord.readFrom: -2 reads as null just like -1.
  Bytes records = testing::v2_record(0, 0, std::nullopt, std::nullopt);
  records[4] = 0x03;  // key length -2
  records[5] = 0x05;  // value length -3
  Bytes bytes = testing::v2_batch({.record_count = 1}, records);
  auto all = read_all(parsed(bytes));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].key, std::nullopt);
  EXPECT_EQ(all[0].value, std::nullopt);
}

TEST(RecordReader, InvalidKeyLengthNamesTheRecordAndField) {
  Bytes records = testing::v2_record(0, 0, "k", "v");
  Bytes second = testing::v2_record(1, 1, "k", "v");
  second[4] = 0x14;  // key length 10 in a 9-byte record
  testing::append(records, second);
  DecodeError err = read_error({.record_count = 2}, records);
  EXPECT_EQ(err.field, "record 1 key");
  EXPECT_EQ(err.offset, 61 + records.size() - second.size() + 5);
}

TEST(RecordReader, KeyRunningPastTheRecord) {
  Bytes records = testing::v2_record(0, 0, "k", "v");
  records[4] = 0x14;  // key length 10 in a 9-byte record
  DecodeError err = read_error({.record_count = 1}, records);
  EXPECT_EQ(err.field, "record 0 key");
}

TEST(RecordReader, NegativeHeaderCount) {
  Bytes records = testing::v2_record(0, 0, "k", "v");
  records.back() = 0x01;  // header count -1
  DecodeError err = read_error({.record_count = 1}, records);
  EXPECT_EQ(err.field, "record 0 headerCount");
}

TEST(RecordReader, ErrorsInsideCompressedRecordsSaySo) {
  Bytes records = testing::v2_record(0, 0, "k", "v");
  records[0] += 2;
  Bytes packed;
  ASSERT_FALSE(compress(Compression::gzip, records, packed));
  DecodeError err = read_error({.attributes = 1, .record_count = 1}, packed);
  EXPECT_EQ(err.field, "record 0 length");
  EXPECT_THAT(err.message, HasSubstr("decompressed"));
}

TEST(RecordReader, OpenResetsAfterAnError) {
  Bytes bad = testing::v2_batch({.record_count = 3}, testing::v2_record(0, 0, "k", "v"));
  Bytes good = build({}, sample_records(0));
  RecordReader reader(kLimit);
  Record r;
  ASSERT_FALSE(reader.open(parsed(bad)));
  while (reader.next(r)) {
  }
  ASSERT_FALSE(reader.ok());
  ASSERT_FALSE(reader.open(parsed(good)));
  int n = 0;
  while (reader.next(r)) ++n;
  EXPECT_TRUE(reader.ok());
  EXPECT_EQ(n, 6);
}

TEST(RecordReader, OffsetsAndTimestampsWrapInsteadOfOverflowing) {
  Bytes records = testing::v2_record(INT64_MAX, INT32_MAX, "k", "v");
  Bytes bytes =
      testing::v2_batch({.base_offset = INT64_MAX, .base_timestamp = INT64_MAX, .record_count = 1}, records);
  RecordReader reader(kLimit);
  ASSERT_FALSE(reader.open(parsed(bytes)));
  Record r;
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.offset, INT64_MIN + INT32_MAX - 1);
  EXPECT_EQ(r.timestamp, -2);
}

}  // namespace
}  // namespace gregor::record
