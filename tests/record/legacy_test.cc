#include "record/legacy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <xxhash.h>
#include <lz4frame.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "batch_bytes.h"

namespace gregor::record {
namespace {

using testing::append;
using ::testing::HasSubstr;
using testing::legacy_message;
using testing::view;

constexpr size_t kLimit = 1 << 20;
constexpr int8_t kGzip = 1, kSnappy = 2, kLz4 = 3, kLogAppendTime = 0x08;

struct Owned {
  int64_t offset;
  int64_t timestamp;
  std::optional<std::string> key, value;
  bool operator==(const Owned&) const = default;
};

std::optional<std::string> str(const std::optional<BytesView>& v) {
  if (!v) return std::nullopt;
  return std::string(v->as_chars());
}

LegacyBatchView parsed(const Bytes& bytes) {
  auto entry = LegacyBatchView::parse(bytes);
  EXPECT_TRUE(entry) << entry.error().to_string();
  return *entry;
}

std::vector<Owned> read_all(const Bytes& entry_bytes) {
  LegacyBatchView entry = parsed(entry_bytes);
  EXPECT_FALSE(entry.verify_crc());
  LegacyRecordReader reader(kLimit);
  auto err = reader.open(entry);
  EXPECT_FALSE(err) << err->to_string();
  std::vector<Owned> out;
  Record r;
  while (reader.next(r)) {
    EXPECT_TRUE(r.headers.empty());
    out.push_back({r.offset, r.timestamp, str(r.key), str(r.value)});
  }
  return out;
}

DecodeError open_error(const Bytes& entry_bytes) {
  LegacyRecordReader reader(kLimit);
  auto err = reader.open(parsed(entry_bytes));
  EXPECT_TRUE(err);
  return err ? *err : DecodeError{};
}

Bytes gzip(const Bytes& input) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&z, input.size()));
  z.next_in = const_cast<uint8_t*>(input.data());
  z.avail_in = static_cast<uInt>(input.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Three magic-1 messages with relative offsets 0..2, as a producer compresses them.
Bytes inner_v1() {
  Bytes set = legacy_message(0, 1, 0, 1000, view("a"), view("first"));
  append(set, legacy_message(1, 1, 0, 1002, std::nullopt, view("second")));
  append(set, legacy_message(2, 1, 0, 1001, view("c"), std::nullopt));
  return set;
}

// ---- uncompressed ----

TEST(Legacy, MagicZeroMessage) {
  // Explicit bytes: offset 10, size 19, crc, magic 0, attributes 0, null key, value "hello".
  Bytes entry = {0, 0, 0,    0,    0,    0,    0, 10, 0, 0, 0,   19,  0,   0,   0,  0,
                 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0,  0, 5, 'h', 'e', 'l', 'l', 'o'};
  uint32_t crc = static_cast<uint32_t>(::crc32(0, entry.data() + 16, static_cast<uInt>(entry.size() - 16)));
  for (int i = 0; i < 4; ++i) entry[12 + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  EXPECT_EQ(entry, legacy_message(10, 0, 0, 0, std::nullopt, view("hello")));

  LegacyBatchView m = parsed(entry);
  EXPECT_EQ(m.magic(), 0);
  EXPECT_EQ(m.offset(), 10);
  EXPECT_EQ(m.crc(), crc);
  EXPECT_EQ(m.timestamp_type(), TimestampType::none);
  EXPECT_EQ(m.timestamp(), kNoTimestamp);
  EXPECT_EQ(m.compression(), Compression::none);
  EXPECT_EQ(read_all(entry), (std::vector<Owned>{{10, kNoTimestamp, std::nullopt, "hello"}}));
}

TEST(Legacy, MagicOneMessageWithTimestamps) {
  Bytes create = legacy_message(7, 1, 0, 1234567, view("key"), view("value"));
  EXPECT_EQ(parsed(create).timestamp_type(), TimestampType::create_time);
  EXPECT_EQ(read_all(create), (std::vector<Owned>{{7, 1234567, "key", "value"}}));
  Bytes appended = legacy_message(8, 1, kLogAppendTime, 999, view(""), view(""));
  EXPECT_EQ(parsed(appended).timestamp_type(), TimestampType::log_append_time);
  EXPECT_EQ(read_all(appended), (std::vector<Owned>{{8, 999, "", ""}}));
}

TEST(Legacy, CrcMismatchIsReported) {
  Bytes entry = legacy_message(0, 1, 0, 5, view("k"), view("v"));
  entry.back() ^= 1;
  auto err = parsed(entry).verify_crc();
  ASSERT_TRUE(err);
  EXPECT_EQ(err->field, "crc");
  EXPECT_EQ(err->offset, 12u);
}

// ---- compressed wrappers ----

TEST(Legacy, GzipWrapperMagicOneHasRelativeInnerOffsets) {
  Bytes wrapper = legacy_message(102, 1, kGzip, 1002, std::nullopt, gzip(inner_v1()));
  EXPECT_EQ(parsed(wrapper).compression(), Compression::gzip);
  EXPECT_EQ(read_all(wrapper), (std::vector<Owned>{{100, 1000, "a", "first"},
                                                   {101, 1002, std::nullopt, "second"},
                                                   {102, 1001, "c", std::nullopt}}));
}

TEST(Legacy, WrapperLogAppendTimeOverridesInnerTimestamps) {
  Bytes wrapper = legacy_message(52, 1, kGzip | kLogAppendTime, 777, std::nullopt, gzip(inner_v1()));
  std::vector<Owned> records = read_all(wrapper);
  ASSERT_EQ(records.size(), 3u);
  for (const Owned& r : records) EXPECT_EQ(r.timestamp, 777);
  EXPECT_EQ(records.front().offset, 50);
}

TEST(Legacy, ZeroWrapperOffsetLeavesRelativeOffsets) {
  Bytes wrapper = legacy_message(0, 1, kGzip, 1002, std::nullopt, gzip(inner_v1()));
  std::vector<Owned> records = read_all(wrapper);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].offset, 0);
  EXPECT_EQ(records[2].offset, 2);
}

TEST(Legacy, GzipWrapperMagicZeroHasAbsoluteInnerOffsets) {
  Bytes inner = legacy_message(5, 0, 0, 0, view("x"), view("five"));
  append(inner, legacy_message(6, 0, 0, 0, view("y"), view("six")));
  Bytes wrapper = legacy_message(6, 0, kGzip, 0, std::nullopt, gzip(inner));
  EXPECT_EQ(read_all(wrapper),
            (std::vector<Owned>{{5, kNoTimestamp, "x", "five"}, {6, kNoTimestamp, "y", "six"}}));
}

TEST(Legacy, SnappyWrapper) {
  Bytes packed;
  ASSERT_FALSE(compress(Compression::snappy, inner_v1(), packed));
  Bytes wrapper = legacy_message(2, 1, kSnappy, 1002, std::nullopt, packed);
  EXPECT_EQ(read_all(wrapper).size(), 3u);
}

TEST(Legacy, Lz4WrapperMagicZeroWithTheOldHeaderChecksum) {
  Bytes inner = legacy_message(0, 0, 0, 0, std::nullopt, view("lz4 v0"));
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  Bytes frame(LZ4F_compressFrameBound(inner.size(), &prefs));
  size_t n = LZ4F_compressFrame(frame.data(), frame.size(), inner.data(), inner.size(), &prefs);
  ASSERT_FALSE(LZ4F_isError(n));
  frame.resize(n);
  frame[6] = static_cast<uint8_t>(XXH32(frame.data(), 6, 0) >> 8);  // hashed from the magic on
  Bytes wrapper = legacy_message(0, 0, kLz4, 0, std::nullopt, frame);
  EXPECT_EQ(read_all(wrapper), (std::vector<Owned>{{0, kNoTimestamp, std::nullopt, "lz4 v0"}}));
  // Magic 1 used the correct checksum, and is held to it.
  Bytes v1_inner = legacy_message(0, 1, 0, 0, std::nullopt, view("lz4 v1"));
  Bytes v1_frame(LZ4F_compressFrameBound(v1_inner.size(), &prefs));
  n = LZ4F_compressFrame(v1_frame.data(), v1_frame.size(), v1_inner.data(), v1_inner.size(), &prefs);
  v1_frame.resize(n);
  v1_frame[6] = static_cast<uint8_t>(XXH32(v1_frame.data(), 6, 0) >> 8);
  EXPECT_EQ(open_error(legacy_message(0, 1, kLz4, 0, std::nullopt, v1_frame)).field, "value (lz4)");
}

// ---- wrapper errors ----

TEST(Legacy, InnerCrcMismatch) {
  Bytes inner = inner_v1();
  inner[35] ^= 1;  // the 'f' of "first"
  DecodeError err = open_error(legacy_message(2, 1, kGzip, 0, std::nullopt, gzip(inner)));
  EXPECT_EQ(err.field, "crc");
  EXPECT_THAT(err.message, HasSubstr("decompressed value of the wrapper"));
}

TEST(Legacy, NestedCompressionIsRejected) {
  Bytes nested = legacy_message(0, 1, kGzip, 0, std::nullopt, gzip(inner_v1()));
  DecodeError err = open_error(legacy_message(0, 1, kGzip, 0, std::nullopt, gzip(nested)));
  EXPECT_THAT(err.message, HasSubstr("itself compressed"));
}

TEST(Legacy, InnerMagicMustMatchTheWrapper) {
  Bytes inner = legacy_message(0, 0, 0, 0, std::nullopt, view("v0 inside v1"));
  DecodeError err = open_error(legacy_message(0, 1, kGzip, 0, std::nullopt, gzip(inner)));
  EXPECT_EQ(err.field, "magic");
}

TEST(Legacy, NullWrapperValue) {
  DecodeError err = open_error(legacy_message(0, 1, kGzip, 0, std::nullopt, std::nullopt));
  EXPECT_THAT(err.message, HasSubstr("null value"));
}

TEST(Legacy, EmptyCompressedSet) {
  DecodeError err = open_error(legacy_message(0, 1, kGzip, 0, std::nullopt, gzip({})));
  EXPECT_THAT(err.message, HasSubstr("no messages"));
}

TEST(Legacy, WrapperOffsetBelowTheLastInnerOffset) {
  DecodeError err = open_error(legacy_message(1, 1, kGzip, 0, std::nullopt, gzip(inner_v1())));
  EXPECT_EQ(err.field, "offset");
  EXPECT_THAT(err.message, HasSubstr("below its last inner relative offset 2"));
}

TEST(Legacy, TrailingPartialInnerMessage) {
  Bytes inner = inner_v1();
  inner.resize(inner.size() - 3);
  DecodeError err = open_error(legacy_message(2, 1, kGzip, 0, std::nullopt, gzip(inner)));
  EXPECT_EQ(err.field, "messageSize");
}

TEST(Legacy, CorruptCompressedValue) {
  Bytes packed = gzip(inner_v1());
  packed[12] ^= 0xFF;
  packed.resize(packed.size() - 5);
  Bytes wrapper = legacy_message(2, 1, kGzip, 0, std::nullopt, packed);
  DecodeError err = open_error(wrapper);
  EXPECT_EQ(err.field, "value (gzip)");
  EXPECT_GE(err.offset, 34u);  // inside the wrapper's value
}

// ---- framing errors ----

TEST(Legacy, FramingErrors) {
  Bytes good = legacy_message(0, 1, 0, 5, view("key"), view("value"));
  auto error_of = [](const Bytes& b) {
    auto m = LegacyBatchView::parse(b, 50);
    EXPECT_FALSE(m);
    return m ? DecodeError{} : m.error();
  };
  for (size_t n = 0; n < good.size(); ++n) {
    DecodeError err = error_of(Bytes(good.begin(), good.begin() + static_cast<ptrdiff_t>(n)));
    EXPECT_TRUE(err.field == "message header" || err.field == "magic" || err.field == "messageSize") << n;
  }
  Bytes zstd = good;
  zstd[17] = 4;
  EXPECT_THAT(error_of(zstd).message, HasSubstr("not valid before magic 2"));
  Bytes magic2 = good;
  magic2[16] = 2;
  EXPECT_EQ(error_of(magic2).field, "magic");
  EXPECT_EQ(error_of(magic2).offset, 66u);
  Bytes long_value = good;
  long_value[long_value.size() - 6] = 6;  // value length 6, five bytes present
  EXPECT_EQ(error_of(long_value).field, "value");
  Bytes short_value = good;
  short_value[short_value.size() - 6] = 4;
  EXPECT_THAT(error_of(short_value).message, HasSubstr("1 bytes after the value"));
  Bytes tiny = good;
  tiny[11] = 21;  // under the 22-byte magic-1 minimum
  EXPECT_THAT(error_of(tiny).message, HasSubstr("below the 22-byte minimum"));
}

}  // namespace
}  // namespace gregor::record
