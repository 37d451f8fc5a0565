#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "common/byte_reader.h"
#include "common/byte_writer.h"

namespace gregor {
namespace {

TEST(ByteCodec, FixedWidthIntegersAreBigEndian) {
  Bytes b;
  ByteWriter w(b);
  w.write_int16(0x0102);
  w.write_int32(-2);
  w.write_int64(0x0102030405060708);
  w.write_uint16(0xfffe);
  EXPECT_EQ(b, (Bytes{1, 2, 0xff, 0xff, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xfe}));
  ByteReader r(b);
  EXPECT_EQ(r.read_int16("a"), 0x0102);
  EXPECT_EQ(r.read_int32("b"), -2);
  EXPECT_EQ(r.read_int64("c"), 0x0102030405060708);
  EXPECT_EQ(r.read_uint16("d"), 0xfffe);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
}

TEST(ByteCodec, VarintsMatchKafkaEncoding) {
  // Values and encodings as Kafka's ByteUtils writes them (zigzag for signed).
  struct Case {
    int64_t value;
    Bytes encoded;
  };
  for (const auto& c : {Case{0, {0x00}}, Case{-1, {0x01}}, Case{1, {0x02}}, Case{63, {0x7e}},
                        Case{-64, {0x7f}}, Case{64, {0x80, 0x01}}, Case{300, {0xd8, 0x04}}}) {
    Bytes b;
    ByteWriter w(b);
    w.write_varlong(c.value);
    EXPECT_EQ(b, c.encoded) << c.value;
    ByteReader r(b);
    EXPECT_EQ(r.read_varlong("v"), c.value);
  }
  for (int64_t v : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    Bytes b;
    ByteWriter(b).write_varlong(v);
    EXPECT_EQ(b.size(), 10u);
    ByteReader r(b);
    EXPECT_EQ(r.read_varlong("v"), v);
  }
  for (int32_t v : {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), 0, -7}) {
    Bytes b;
    ByteWriter(b).write_varint(v);
    ByteReader r(b);
    EXPECT_EQ(r.read_varint("v"), v);
  }
}

TEST(ByteCodec, OverlongVarintFails) {
  Bytes b(6, 0x80);
  ByteReader r(b);
  r.read_uvarint("count");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "count");
  EXPECT_NE(r.error().message.find("longer than 5"), std::string::npos);
}

TEST(ByteCodec, ClassicAndCompactStrings) {
  Bytes b;
  ByteWriter w(b);
  w.write_string("hi", false);
  w.write_string("hi", true);
  w.write_nullable_string(std::nullopt, false);
  w.write_nullable_string(std::nullopt, true);
  EXPECT_EQ(b, (Bytes{0, 2, 'h', 'i', 3, 'h', 'i', 0xff, 0xff, 0}));
  ByteReader r(b);
  EXPECT_EQ(r.read_string(false, "a"), "hi");
  EXPECT_EQ(r.read_string(true, "b"), "hi");
  EXPECT_EQ(r.read_nullable_string(false, "c"), std::nullopt);
  EXPECT_EQ(r.read_nullable_string(true, "d"), std::nullopt);
  EXPECT_TRUE(r.ok());
}

TEST(ByteCodec, NullInNonNullableStringFails) {
  Bytes b{0xff, 0xff};
  ByteReader r(b);
  r.read_string(false, "Topic");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "Topic");
}

TEST(ByteCodec, HostileLengthsFailBeforeAllocating) {
  // An array claiming 2^31-1 int64 elements in a 10-byte buffer.
  Bytes b{0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0};
  ByteReader r(b);
  EXPECT_EQ(r.read_array_length(false, "Offsets", 8), 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().offset, 4u);
  EXPECT_NE(r.error().to_string().find("Offsets"), std::string::npos);

  Bytes s{0x7f, 0xff, 'x'};
  ByteReader rs(s);
  rs.read_string(false, "Name");
  EXPECT_FALSE(rs.ok());

  // As in Kafka, any negative length is null: fine where null is allowed, an error elsewhere.
  Bytes neg{0xff, 0xff, 0xff, 0xfe};
  ByteReader rn(neg);
  rn.read_bytes(false, "Data");
  ASSERT_FALSE(rn.ok());
  EXPECT_NE(rn.error().message.find("null bytes in a non-nullable field"), std::string::npos);
  ByteReader rnull(neg);
  EXPECT_EQ(rnull.read_nullable_bytes(false, "Data"), std::nullopt);
  EXPECT_TRUE(rnull.ok());
  // A compact length of 2^31 or more reads as a signed int: negative, so null.
  Bytes huge{0x80, 0x80, 0x80, 0x80, 0x08};
  ByteReader rh(huge);
  EXPECT_EQ(rh.read_nullable_string(true, "Name"), std::nullopt);
  EXPECT_TRUE(rh.ok());
}

TEST(ByteCodec, StringsAreAtMost32767BytesInEitherEncoding) {
  Bytes b;
  ByteWriter w(b);
  w.write_uvarint(40001);  // compact length of a 40000-byte string
  b.resize(b.size() + 40000, 'x');
  ByteReader r(b);
  r.read_string(true, "Name");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("32767"), std::string::npos);
}

TEST(ByteCodec, ErrorsAreStickyAndKeepTheFirstCause) {
  Bytes b{1};
  ByteReader r(b);
  r.read_int32("First");
  r.read_int8("Second");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "First");
  EXPECT_EQ(r.read_int8("Third"), 0);
}

TEST(ByteCodec, LimitsBoundASectionAndSkipItsRest) {
  Bytes b{1, 2, 3, 4, 5};
  ByteReader r(b);
  const uint8_t* saved = r.push_limit(3, "section");
  EXPECT_EQ(r.read_int8("a"), 1);
  EXPECT_EQ(r.remaining(), 2u);
  r.pop_limit(saved);
  EXPECT_EQ(r.read_int8("b"), 4);
  r.push_limit(2, "too long");
  EXPECT_FALSE(r.ok());
}

TEST(ByteCodec, StringLongerThan32767BytesFailsToEncode) {
  for (bool compact : {false, true}) {
    Bytes b;
    ByteWriter w(b);
    w.write_string(std::string(32767, 'x'), compact);
    EXPECT_TRUE(w.ok());
    w.write_string(std::string(32768, 'x'), compact);
    EXPECT_FALSE(w.ok()) << "compact " << compact;
  }
}

TEST(ByteCodec, Float64AndUuid) {
  Bytes b;
  ByteWriter w(b);
  w.write_float64(-1.5);
  Uuid u = Uuid::from_halves(0x0123456789abcdef, 0xfedcba9876543210);
  w.write_uuid(u);
  ByteReader r(b);
  EXPECT_EQ(r.read_float64("f"), -1.5);
  EXPECT_EQ(r.read_uuid("u"), u);
}

}  // namespace
}  // namespace gregor
