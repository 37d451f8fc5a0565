#include "record/compression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <xxhash.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>

namespace gregor::record {
namespace {

using ::testing::HasSubstr;

constexpr Compression kCodecs[] = {Compression::none, Compression::gzip, Compression::snappy,
                                   Compression::lz4, Compression::zstd};

Bytes text(size_t size) {
  Bytes out;
  std::string line = R"({"id":0,"user":"someone","action":"click","page":"/home"})";
  for (size_t i = 0; out.size() < size; ++i) {
    line[6] = static_cast<char>('0' + i % 10);
    out.insert(out.end(), line.begin(), line.end());
  }
  out.resize(size);
  return out;
}

Bytes noise(size_t size) {
  std::mt19937 rng(7);
  Bytes out(size);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

Bytes compressed(Compression codec, const Bytes& input) {
  Bytes out;
  auto err = compress(codec, input, out);
  EXPECT_FALSE(err) << *err;
  return out;
}

Bytes decompressed(Compression codec, const Bytes& input, size_t limit = 1 << 24) {
  Bytes out;
  auto err = decompress(codec, input, limit, out);
  EXPECT_FALSE(err) << err->to_string();
  return out;
}

class CodecTest : public ::testing::TestWithParam<Compression> {};

TEST_P(CodecTest, RoundTripsAssortedInputs) {
  // Sizes straddle the 32 KiB xerial block and the 64 KiB LZ4 block.
  for (const Bytes& input : {Bytes{}, Bytes{'x'}, text(1000), text(200 * 1024), noise(70 * 1024)}) {
    Bytes packed = compressed(GetParam(), input);
    EXPECT_EQ(decompressed(GetParam(), packed), input) << input.size() << " bytes";
  }
}

TEST_P(CodecTest, AppendsWithoutDisturbingEarlierBytes) {
  Bytes input = text(5000);
  Bytes packed = {0xAA, 0xBB};
  ASSERT_FALSE(compress(GetParam(), input, packed));
  EXPECT_EQ(packed[0], 0xAA);
  EXPECT_EQ(packed[1], 0xBB);
  Bytes out = {0xCC};
  ASSERT_FALSE(decompress(GetParam(), BytesView(packed.data() + 2, packed.size() - 2), 1 << 20, out));
  ASSERT_EQ(out.size(), input.size() + 1);
  EXPECT_EQ(out[0], 0xCC);
  EXPECT_EQ(Bytes(out.begin() + 1, out.end()), input);
}

TEST_P(CodecTest, RefusesOutputBeyondTheLimitWithoutAllocatingIt) {
  Bytes input(10 << 20, 0);  // 10 MiB of zeros: a bomb for every real codec
  Bytes packed = compressed(GetParam(), input);
  const size_t limit = 1 << 20;
  Bytes out;
  auto err = decompress(GetParam(), packed, limit, out);
  ASSERT_TRUE(err);
  EXPECT_THAT(err->message, HasSubstr("exceeds the limit of 1048576 bytes"));
  EXPECT_EQ(err->field, compression_name(GetParam()));
  EXPECT_TRUE(out.empty());
  EXPECT_LE(out.capacity(), limit + 1);
}

TEST_P(CodecTest, LimitIsInclusive) {
  Bytes input = text(100000);
  Bytes packed = compressed(GetParam(), input);
  EXPECT_EQ(decompressed(GetParam(), packed, input.size()), input);
  Bytes out;
  EXPECT_TRUE(decompress(GetParam(), packed, input.size() - 1, out));
}

// Codecs with a framing that can be truncated or corrupted.
class RealCodecTest : public ::testing::TestWithParam<Compression> {};

TEST_P(RealCodecTest, TruncatedInputFails) {
  Bytes packed = compressed(GetParam(), text(100000));
  for (size_t cut : {size_t{1}, size_t{10}, packed.size() / 2, packed.size() - 1}) {
    Bytes out;
    auto err = decompress(GetParam(), BytesView(packed.data(), cut), 1 << 20, out);
    EXPECT_TRUE(err) << "cut at " << cut;
    EXPECT_TRUE(out.empty());
  }
}

TEST_P(RealCodecTest, GarbageFails) {
  Bytes out;
  auto err = decompress(GetParam(), noise(300), 1 << 20, out);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->field, compression_name(GetParam()));
}

auto codec_name = [](const auto& info) { return std::string(compression_name(info.param)); };
INSTANTIATE_TEST_SUITE_P(AllCodecs, CodecTest, ::testing::ValuesIn(kCodecs), codec_name);
INSTANTIATE_TEST_SUITE_P(AllCodecs, RealCodecTest, ::testing::ValuesIn(kCodecs + 1, std::end(kCodecs)),
                         codec_name);

// ---- snappy framings ----

Bytes raw_snappy(const Bytes& input) {
  std::string out;
  snappy::Compress(reinterpret_cast<const char*>(input.data()), input.size(), &out);
  return Bytes(out.begin(), out.end());
}

Bytes xerial_header() { return {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1}; }

void append_block(Bytes& frame, const Bytes& block) {
  uint32_t n = static_cast<uint32_t>(block.size());
  frame.insert(frame.end(), {uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)});
  frame.insert(frame.end(), block.begin(), block.end());
}

TEST(Snappy, WritesXerialFraming) {
  Bytes input = text(40000);  // two blocks: 32 KiB and the rest
  Bytes packed = compressed(Compression::snappy, input);
  ASSERT_GE(packed.size(), 20u);
  EXPECT_EQ(Bytes(packed.begin(), packed.begin() + 16), xerial_header());
  size_t first =
      (size_t{packed[16]} << 24) | (size_t{packed[17]} << 16) | (size_t{packed[18]} << 8) | packed[19];
  std::string block;
  ASSERT_TRUE(snappy::Uncompress(reinterpret_cast<const char*>(packed.data() + 20), first, &block));
  EXPECT_EQ(block.size(), 32u * 1024);
}

TEST(Snappy, ReadsHandBuiltXerialFrame) {
  Bytes a = text(1000), b = noise(500);
  Bytes frame = xerial_header();
  append_block(frame, raw_snappy(a));
  append_block(frame, raw_snappy(b));
  Bytes expected = a;
  expected.insert(expected.end(), b.begin(), b.end());
  EXPECT_EQ(decompressed(Compression::snappy, frame), expected);
}

TEST(Snappy, ReadsRawBlockAsLibrdkafkaWrites) {
  Bytes input = text(3000);
  EXPECT_EQ(decompressed(Compression::snappy, raw_snappy(input)), input);
}

TEST(Snappy, RejectsXerialBlockLongerThanTheInput) {
  Bytes frame = xerial_header();
  append_block(frame, raw_snappy(text(100)));
  frame[19] += 1;
  Bytes out;
  auto err = decompress(Compression::snappy, frame, 1 << 20, out);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->offset, 16u);
  EXPECT_THAT(err->message, HasSubstr("exceeds"));
}

TEST(Snappy, DeclaredHugeLengthFailsBeforeAllocating) {
  Bytes block = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00};  // preamble claims 4 GiB
  Bytes out;
  auto err = decompress(Compression::snappy, block, 1 << 20, out);
  ASSERT_TRUE(err);
  EXPECT_THAT(err->message, HasSubstr("exceeds the limit"));
  EXPECT_LE(out.capacity(), size_t{1} << 20);
}

// ---- streams written by the reference tools ----

TEST(Gzip, ReadsGzipToolOutput) {
  // printf 'hello kafka' | gzip -n
  Bytes stream = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb,
                  0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x4e, 0x4c, 0xcb, 0x4e, 0x04,
                  0x00, 0xd1, 0x75, 0x81, 0x6c, 0x0b, 0x00, 0x00, 0x00};
  EXPECT_EQ(decompressed(Compression::gzip, stream), Bytes(BytesView::of("hello kafka").to_bytes()));
}

TEST(Gzip, ReadsZlibDefaultDeflateStream) {
  Bytes input = text(20000);
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes stream(deflateBound(&z, input.size()));
  z.next_in = input.data();
  z.avail_in = static_cast<uInt>(input.size());
  z.next_out = stream.data();
  z.avail_out = static_cast<uInt>(stream.size());
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  stream.resize(z.total_out);
  deflateEnd(&z);
  EXPECT_EQ(decompressed(Compression::gzip, stream), input);
}

TEST(Gzip, ReadsConcatenatedMembers) {
  Bytes a = text(300), b = noise(300);
  Bytes stream = compressed(Compression::gzip, a);
  Bytes second = compressed(Compression::gzip, b);
  stream.insert(stream.end(), second.begin(), second.end());
  Bytes expected = a;
  expected.insert(expected.end(), b.begin(), b.end());
  EXPECT_EQ(decompressed(Compression::gzip, stream), expected);
}

TEST(Gzip, ReportsCorruptionWithZlibsMessage) {
  Bytes stream = compressed(Compression::gzip, text(1000));
  stream[0] = 0x00;  // not the gzip magic
  Bytes out;
  auto err = decompress(Compression::gzip, stream, 1 << 20, out);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->field, "gzip");
  EXPECT_THAT(err->message, HasSubstr("header"));
}

// printf 'hello kafka' | lz4 -c  (content checksum on, one stored block)
const Bytes kLz4ToolFrame = {0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x0b, 0x00, 0x00,
                             0x80, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x6b, 0x61, 0x66,
                             0x6b, 0x61, 0x00, 0x00, 0x00, 0x00, 0x84, 0x11, 0x88, 0x1b};

TEST(Lz4, ReadsLz4ToolOutput) {
  EXPECT_EQ(decompressed(Compression::lz4, kLz4ToolFrame), BytesView::of("hello kafka").to_bytes());
}

TEST(Lz4, HeaderChecksumMatchesXxhash) {
  // HC is the second byte of xxHash32 over FLG and BD.
  EXPECT_EQ((XXH32(kLz4ToolFrame.data() + 4, 2, 0) >> 8) & 0xff, kLz4ToolFrame[6]);
}

TEST(Lz4, WritesTheFrameKafkaReads) {
  Bytes frame = compressed(Compression::lz4, text(1000));
  ASSERT_GE(frame.size(), 7u);
  EXPECT_EQ(Bytes(frame.begin(), frame.begin() + 4), (Bytes{0x04, 0x22, 0x4d, 0x18}));
  EXPECT_EQ(frame[4], 0x60);  // version 01, independent blocks, no checksums, no content size
  EXPECT_EQ(frame[5], 0x40);  // 64 KiB maximum block size
  EXPECT_EQ(frame[6], (XXH32(frame.data() + 4, 2, 0) >> 8) & 0xff);
}

TEST(Lz4, LegacyV0ReaderAcceptsTheBrokenHeaderChecksum) {
  Bytes input = text(1000);
  Bytes frame = compressed(Compression::lz4, input);
  // Magic-0 producers hashed the magic number along with FLG and BD.
  frame[6] = static_cast<uint8_t>(XXH32(frame.data(), 6, 0) >> 8);
  ASSERT_NE(frame[6], (XXH32(frame.data() + 4, 2, 0) >> 8) & 0xff);
  Bytes out;
  EXPECT_TRUE(decompress(Compression::lz4, frame, 1 << 20, out));
  ASSERT_FALSE(decompress_lz4_legacy_v0(frame, 1 << 20, out));
  EXPECT_EQ(out, input);
  // A correct checksum is fine too.
  Bytes good = compressed(Compression::lz4, input);
  out.clear();
  ASSERT_FALSE(decompress_lz4_legacy_v0(good, 1 << 20, out));
  EXPECT_EQ(out, input);
}

TEST(Zstd, ReadsFrameWithoutContentSize) {
  // printf 'hello kafka' | zstd -c --no-check  (streamed, so no content size in the header)
  Bytes frame = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x59, 0x00, 0x00, 0x68,
                 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x6b, 0x61, 0x66, 0x6b, 0x61};
  ASSERT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  EXPECT_EQ(decompressed(Compression::zstd, frame), BytesView::of("hello kafka").to_bytes());
}

TEST(Zstd, ReadsHighLevelStreamedFramesWithLargeWindows) {
  // A producer at level 22 that streams (no pledged size) declares a 128 MiB window whatever the
  // data size; Kafka and librdkafka read such frames, so Gregor must too.
  Bytes input;
  for (int i = 0; i < 2000; ++i) input.push_back(static_cast<uint8_t>('a' + i % 7));
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 22);
  Bytes frame(ZSTD_compressBound(input.size()) + 64);
  ZSTD_outBuffer out{frame.data(), frame.size(), 0};
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_continue);  // not e_end: the size stays unknown
  ZSTD_inBuffer none{nullptr, 0, 0};
  while (ZSTD_compressStream2(cctx, &out, &none, ZSTD_e_end) != 0) {
  }
  ZSTD_freeCCtx(cctx);
  frame.resize(out.pos);
  ASSERT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  // Frame header: magic (4 bytes), descriptor, then the window descriptor when the frame is not
  // single-segment; its top five bits are the window log minus 10.
  ASSERT_EQ(frame[4] & 0x20, 0);
  ASSERT_GT(10 + (frame[5] >> 3), 23) << "window log";
  EXPECT_EQ(decompressed(Compression::zstd, frame, 1 << 20), input);
}

TEST(Zstd, StreamedLargeFrameWithoutContentSizeStaysBounded) {
  Bytes input(4 << 20, 'a');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  Bytes frame(ZSTD_compressBound(input.size()));
  size_t n = ZSTD_compress2(cctx, frame.data(), frame.size(), input.data(), input.size());
  ZSTD_freeCCtx(cctx);
  ASSERT_FALSE(ZSTD_isError(n));
  frame.resize(n);
  ASSERT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  EXPECT_EQ(decompressed(Compression::zstd, frame), input);
  Bytes out;
  auto err = decompress(Compression::zstd, frame, 100000, out);
  ASSERT_TRUE(err);
  EXPECT_THAT(err->message, HasSubstr("exceeds the limit"));
  EXPECT_LE(out.capacity(), 100001u);
}

TEST(Compression, UnknownCodecIsAnError) {
  Bytes out;
  EXPECT_TRUE(compress(static_cast<Compression>(5), text(10), out));
  EXPECT_TRUE(decompress(static_cast<Compression>(5), text(10), 100, out));
}

}  // namespace
}  // namespace gregor::record
