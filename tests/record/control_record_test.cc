#include "record/control_record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "record/record.h"
#include "record/record_batch.h"

namespace gregor::record {
namespace {

using ::testing::HasSubstr;

Bytes to_bytes(const auto& array) { return Bytes(array.begin(), array.end()); }

TEST(ControlRecord, KeyAndValueEncoding) {
  EXPECT_EQ(to_bytes(encode_control_key(ControlRecordType::abort)), (Bytes{0, 0, 0, 0}));
  EXPECT_EQ(to_bytes(encode_control_key(ControlRecordType::commit)), (Bytes{0, 0, 0, 1}));
  EXPECT_EQ(to_bytes(encode_end_txn_value(0x01020304)), (Bytes{0, 0, 1, 2, 3, 4}));
}

TEST(ControlRecord, ParsesMarkers) {
  auto key = encode_control_key(ControlRecordType::commit);
  auto value = encode_end_txn_value(12);
  auto marker =
      parse_end_txn_marker(BytesView(key.data(), key.size()), BytesView(value.data(), value.size()));
  ASSERT_TRUE(marker) << marker.error().to_string();
  EXPECT_EQ(marker->type, ControlRecordType::commit);
  EXPECT_EQ(marker->coordinator_epoch, 12);
}

TEST(ControlRecord, NewerVersionsAndLongerValuesAreRead) {
  Bytes key = {0, 1, 0, 0, 0xAA};          // version 1, abort, plus a trailing byte
  Bytes value = {0, 3, 0, 0, 0, 9, 0xBB};  // version 3
  auto marker = parse_end_txn_marker(key, value);
  ASSERT_TRUE(marker);
  EXPECT_EQ(marker->type, ControlRecordType::abort);
  EXPECT_EQ(marker->coordinator_epoch, 9);
}

TEST(ControlRecord, OtherControlTypesPassThroughButAreNotMarkers) {
  Bytes key = {0, 0, 0, 3};
  auto type = parse_control_key(key);
  ASSERT_TRUE(type);
  EXPECT_EQ(static_cast<int16_t>(*type), 3);
  auto marker = parse_end_txn_marker(key, Bytes{0, 0, 0, 0, 0, 1});
  ASSERT_FALSE(marker);
  EXPECT_THAT(marker.error().message, HasSubstr("not a transaction marker"));
}

TEST(ControlRecord, MalformedKeysAndValues) {
  auto short_key = parse_control_key(Bytes{0, 0, 1});
  ASSERT_FALSE(short_key);
  EXPECT_EQ(short_key.error().field, "control key type");
  auto negative = parse_control_key(Bytes{0xFF, 0xFF, 0, 1});
  ASSERT_FALSE(negative);
  EXPECT_THAT(negative.error().message, HasSubstr("negative version"));
  auto short_value = parse_end_txn_marker(Bytes{0, 0, 0, 1}, Bytes{0, 0, 0, 0, 1});
  ASSERT_FALSE(short_value);
  EXPECT_EQ(short_value.error().field, "coordinator epoch");
}

TEST(ControlRecord, EndTxnBatchRoundTrip) {
  BatchOptions options;
  options.base_offset = 300;
  options.producer_id = 4000;
  options.producer_epoch = 6;
  options.base_sequence = 55;               // cleared: markers carry no sequence
  options.compression = Compression::gzip;  // cleared: markers are written uncompressed
  Bytes out;
  ASSERT_FALSE(build_end_txn_batch(options, {ControlRecordType::commit, 21}, 123456, out));

  auto batch = RecordBatchView::parse(out);
  ASSERT_TRUE(batch) << batch.error().to_string();
  EXPECT_FALSE(batch->verify_crc());
  EXPECT_TRUE(batch->is_control());
  EXPECT_TRUE(batch->is_transactional());
  EXPECT_EQ(batch->compression(), Compression::none);
  EXPECT_EQ(batch->producer_id(), 4000);
  EXPECT_EQ(batch->producer_epoch(), 6);
  EXPECT_EQ(batch->base_sequence(), -1);
  EXPECT_EQ(batch->record_count(), 1);

  RecordReader reader(1 << 20);
  ASSERT_FALSE(reader.open(*batch));
  Record r;
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.offset, 300);
  EXPECT_EQ(r.timestamp, 123456);
  ASSERT_TRUE(r.key && r.value);
  auto marker = parse_end_txn_marker(*r.key, *r.value);
  ASSERT_TRUE(marker);
  EXPECT_EQ(marker->type, ControlRecordType::commit);
  EXPECT_EQ(marker->coordinator_epoch, 21);
  EXPECT_FALSE(reader.next(r));
  EXPECT_TRUE(reader.ok());
}

}  // namespace
}  // namespace gregor::record
