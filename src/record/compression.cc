#include "record/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <memory>
#include <span>

#include "common/endian.h"
#include "record/wire.h"

namespace gregor::record {

namespace {

constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderSize = 16;         // magic, int32 version, int32 compatible version
constexpr size_t kXerialBlockInput = 32 * 1024;  // snappy-java's default block size
constexpr int kZstdLevel = 3;                    // zstd's and Kafka's default level

DecodeError codec_error(Compression codec, size_t offset, std::string message) {
  return DecodeError{offset, compression_name(codec), std::move(message)};
}

// The decompressed output region at the end of a caller's buffer. It grows geometrically but
// never past limit + 1 bytes, so a stream that writes that extra byte is known to be too big
// without ever allocating more than the caller allowed.
class BoundedSink {
 public:
  BoundedSink(Bytes& out, size_t limit, size_t size_hint)
      : out_(out), start_(out.size()), cap_(limit == SIZE_MAX ? limit : limit + 1), limit_(limit) {
    grow(std::max<size_t>(size_hint, 1));
  }
  // Unless keep() was called (on success), the caller's buffer is restored as it was.
  ~BoundedSink() { out_.resize(start_ + (kept_ ? used_ : 0)); }
  std::optional<DecodeError> keep() {
    kept_ = true;
    return std::nullopt;
  }

  // Writable space after what has been committed; grows the region when it is full.
  std::span<uint8_t> space() {
    if (start_ + used_ == out_.size()) grow(used_ + 1);
    return {out_.data() + start_ + used_, out_.size() - start_ - used_};
  }
  // Exactly n bytes of writable space (n must fit the limit); commits them.
  uint8_t* take(size_t n) {
    if (out_.size() - start_ - used_ < n) grow(used_ + n);
    uint8_t* p = out_.data() + start_ + used_;
    used_ += n;
    return p;
  }
  void commit(size_t n) { used_ += n; }
  size_t room() const { return limit_ - std::min(used_, limit_); }
  bool over_limit() const { return used_ > limit_; }

 private:
  void grow(size_t at_least) {
    size_t region = out_.size() - start_;
    size_t target = std::min(cap_, std::max({at_least, region * 2, size_t{256}}));
    if (target <= region) return;
    out_.reserve(start_ + target);
    out_.resize(start_ + target);
  }

  Bytes& out_;
  size_t start_;
  size_t cap_;
  size_t limit_;
  size_t used_ = 0;
  bool kept_ = false;
};

DecodeError too_big(Compression codec, size_t offset, size_t limit) {
  return codec_error(codec, offset,
                     "decompressed data exceeds the limit of " + std::to_string(limit) + " bytes");
}

// A first guess at the output size: enough for typical ratios, and never more than allowed.
size_t guess(size_t input_size, size_t limit) { return std::min(limit, input_size * 4); }

// ---- gzip ----

std::optional<std::string> gzip_compress(BytesView input, Bytes& out) {
  if (input.size() > UINT_MAX) return "gzip input too large";
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return "gzip: deflateInit2 failed";
  size_t start = out.size();
  size_t bound = deflateBound(&z, static_cast<uLong>(input.size()));
  out.resize(start + bound);
  z.next_in = const_cast<Bytef*>(input.data());
  z.avail_in = static_cast<uInt>(input.size());
  z.next_out = out.data() + start;
  z.avail_out = static_cast<uInt>(bound);
  int rc = deflate(&z, Z_FINISH);
  out.resize(start + z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return "gzip: deflate failed";
  return std::nullopt;
}

std::optional<DecodeError> gzip_decompress(BytesView input, size_t limit, Bytes& out) {
  constexpr Compression kGzip = Compression::gzip;
  if (input.size() > UINT_MAX) return codec_error(kGzip, 0, "input too large");
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return codec_error(kGzip, 0, "inflateInit2 failed");
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&z};
  z.next_in = const_cast<Bytef*>(input.data());
  z.avail_in = static_cast<uInt>(input.size());
  BoundedSink sink(out, limit, guess(input.size(), limit));
  for (;;) {
    auto at = [&] { return input.size() - z.avail_in; };
    std::span<uint8_t> space = sink.space();
    z.next_out = space.data();
    z.avail_out = static_cast<uInt>(std::min<size_t>(space.size(), UINT_MAX));
    uInt before = z.avail_out;
    int rc = inflate(&z, Z_NO_FLUSH);
    sink.commit(before - z.avail_out);
    if (sink.over_limit()) return too_big(kGzip, at(), limit);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) return sink.keep();
      inflateReset(&z);  // another gzip member follows
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && z.avail_in == 0) return codec_error(kGzip, at(), "truncated gzip stream");
    return codec_error(kGzip, at(), z.msg ? z.msg : "corrupt gzip stream");
  }
}

// ---- snappy ----

std::optional<std::string> snappy_compress(BytesView input, Bytes& out) {
  out.insert(out.end(), std::begin(kXerialMagic), std::end(kXerialMagic));
  uint8_t versions[8];
  store_be<uint32_t>(versions, 1);
  store_be<uint32_t>(versions + 4, 1);
  out.insert(out.end(), versions, versions + 8);
  for (size_t pos = 0; pos < input.size(); pos += kXerialBlockInput) {
    size_t n = std::min(kXerialBlockInput, input.size() - pos);
    size_t at = out.size();
    out.resize(at + 4 + snappy::MaxCompressedLength(n));
    size_t written = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(input.data() + pos), n,
                        reinterpret_cast<char*>(out.data() + at + 4), &written);
    store_be<uint32_t>(out.data() + at, static_cast<uint32_t>(written));
    out.resize(at + 4 + written);
  }
  return std::nullopt;
}

// One raw snappy block. Its preamble states the uncompressed length, so the limit is checked
// before anything is allocated.
std::optional<DecodeError> snappy_block(BytesView block, size_t offset, size_t limit, BoundedSink& sink) {
  const char* src = reinterpret_cast<const char*>(block.data());
  size_t n = 0;
  if (!snappy::GetUncompressedLength(src, block.size(), &n))
    return codec_error(Compression::snappy, offset, "corrupt snappy block length");
  if (n > sink.room()) return too_big(Compression::snappy, offset, limit);
  if (!snappy::RawUncompress(src, block.size(), reinterpret_cast<char*>(sink.take(n))))
    return codec_error(Compression::snappy, offset, "corrupt snappy block");
  return std::nullopt;
}

std::optional<DecodeError> snappy_decompress(BytesView input, size_t limit, Bytes& out) {
  bool xerial = input.size() >= kXerialHeaderSize &&
                std::equal(std::begin(kXerialMagic), std::end(kXerialMagic), input.data());
  if (!xerial) {
    BoundedSink sink(out, limit, 0);
    if (auto err = snappy_block(input, 0, limit, sink)) return err;
    return sink.keep();
  }
  BoundedSink sink(out, limit, guess(input.size(), limit));
  size_t pos = kXerialHeaderSize;
  while (pos < input.size()) {
    if (input.size() - pos < 4) return codec_error(Compression::snappy, pos, "truncated xerial block length");
    uint32_t n = load_be<uint32_t>(input.data() + pos);
    if (n > input.size() - pos - 4)
      return codec_error(Compression::snappy, pos,
                         "xerial block of " + std::to_string(n) + " bytes exceeds the " +
                             std::to_string(input.size() - pos - 4) + " bytes left");
    if (auto err = snappy_block(input.subview(pos + 4, n), pos + 4, limit, sink)) return err;
    pos += 4 + n;
  }
  return sink.keep();
}

// ---- lz4 ----

std::optional<std::string> lz4_compress(BytesView input, Bytes& out) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  size_t start = out.size();
  size_t bound = LZ4F_compressFrameBound(input.size(), &prefs);
  out.resize(start + bound);
  size_t n = LZ4F_compressFrame(out.data() + start, bound, input.data(), input.size(), &prefs);
  if (LZ4F_isError(n)) {
    out.resize(start);
    return std::string("lz4: ") + LZ4F_getErrorName(n);
  }
  out.resize(start + n);
  return std::nullopt;
}

// The frame descriptor: magic, FLG, BD, optional 8-byte content size, optional 4-byte
// dictionary id, then the checksum byte HC. Returns its length including HC, or 0 if the input
// is too short or not an LZ4 frame.
size_t lz4_header_size(BytesView input) {
  if (input.size() < 7 || input[0] != 0x04 || input[1] != 0x22 || input[2] != 0x4D || input[3] != 0x18)
    return 0;
  uint8_t flg = input[4];
  size_t n = 7 + ((flg & 0x08) ? 8 : 0) + ((flg & 0x01) ? 4 : 0);
  return n <= input.size() ? n : 0;
}

std::optional<DecodeError> lz4_decompress(BytesView input, size_t limit, Bytes& out, bool repair_header) {
  constexpr Compression kLz4 = Compression::lz4;
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION)))
    return codec_error(kLz4, 0, "cannot create a decompression context");
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> ctx(raw,
                                                                           LZ4F_freeDecompressionContext);

  BoundedSink sink(out, limit, guess(input.size(), limit));
  const uint8_t* src = input.data();
  const uint8_t* end = input.data() + input.size();
  std::array<uint8_t, 19> header{};
  BytesView header_view;
  if (repair_header) {
    size_t n = lz4_header_size(input);
    if (n == 0) return codec_error(kLz4, 0, "not an LZ4 frame");
    std::copy(src, src + n, header.begin());
    header[n - 1] = static_cast<uint8_t>(XXH32(header.data() + 4, n - 5, 0) >> 8);
    header_view = BytesView(header.data(), n);
    src += n;
  }
  for (;;) {
    // The repaired header, when there is one, is fed first in place of the original.
    bool from_header = !header_view.empty();
    const uint8_t* in = from_header ? header_view.data() : src;
    size_t in_size = from_header ? header_view.size() : static_cast<size_t>(end - src);
    size_t at = static_cast<size_t>(src - input.data());

    std::span<uint8_t> space = sink.space();
    size_t produced = space.size();
    size_t consumed = in_size;
    size_t rc = LZ4F_decompress(ctx.get(), space.data(), &produced, in, &consumed, nullptr);
    if (LZ4F_isError(rc)) return codec_error(kLz4, at, LZ4F_getErrorName(rc));
    sink.commit(produced);
    if (sink.over_limit()) return too_big(kLz4, at, limit);
    if (from_header) {
      header_view = header_view.subview(consumed, header_view.size() - consumed);
      continue;
    }
    src += consumed;
    if (rc == 0 && src == end) return sink.keep();  // a frame ended with the input
    if (src == end && produced < space.size()) return codec_error(kLz4, at, "truncated LZ4 frame");
  }
}

// ---- zstd ----

struct ZstdFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

std::optional<std::string> zstd_compress(BytesView input, Bytes& out) {
  thread_local std::unique_ptr<ZSTD_CCtx, ZstdFree> cctx(ZSTD_createCCtx());
  if (!cctx) return "zstd: cannot create a compression context";
  size_t start = out.size();
  size_t bound = ZSTD_compressBound(input.size());
  out.resize(start + bound);
  size_t n = ZSTD_compressCCtx(cctx.get(), out.data() + start, bound, input.data(), input.size(), kZstdLevel);
  if (ZSTD_isError(n)) {
    out.resize(start);
    return std::string("zstd: ") + ZSTD_getErrorName(n);
  }
  out.resize(start + n);
  return std::nullopt;
}

std::optional<DecodeError> zstd_decompress(BytesView input, size_t limit, Bytes& out) {
  constexpr Compression kZstd = Compression::zstd;
  thread_local std::unique_ptr<ZSTD_DCtx, ZstdFree> dctx(ZSTD_createDCtx());
  if (!dctx) return codec_error(kZstd, 0, "cannot create a decompression context");
  ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_only);
  // A frame's declared window is allocated up front. Producers that stream (no content size)
  // declare their level's window whatever the data size: up to 128 MiB at levels 20-22, which
  // Kafka and librdkafka accept. So accept zstd's default limit (2^27) too; the output is still
  // bounded by `limit`.
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, 27);

  size_t hint = guess(input.size(), limit);
  unsigned long long content = ZSTD_getFrameContentSize(input.data(), input.size());
  if (content != ZSTD_CONTENTSIZE_UNKNOWN && content != ZSTD_CONTENTSIZE_ERROR && content <= limit)
    hint = static_cast<size_t>(content);
  BoundedSink sink(out, limit, hint);
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  for (;;) {
    std::span<uint8_t> space = sink.space();
    ZSTD_outBuffer o{space.data(), space.size(), 0};
    size_t rc = ZSTD_decompressStream(dctx.get(), &o, &in);
    if (ZSTD_isError(rc)) return codec_error(kZstd, in.pos, ZSTD_getErrorName(rc));
    sink.commit(o.pos);
    if (sink.over_limit()) return too_big(kZstd, in.pos, limit);
    if (rc == 0 && in.pos == in.size) return sink.keep();  // the last frame is complete
    if (in.pos == in.size && o.pos < o.size) return codec_error(kZstd, in.pos, "truncated zstd frame");
  }
}

}  // namespace

const char* compression_name(Compression codec) {
  switch (codec) {
    case Compression::none:
      return "none";
    case Compression::gzip:
      return "gzip";
    case Compression::snappy:
      return "snappy";
    case Compression::lz4:
      return "lz4";
    case Compression::zstd:
      return "zstd";
  }
  return "unknown";
}

std::optional<std::string> compress(Compression codec, BytesView input, Bytes& out) {
  switch (codec) {
    case Compression::none:
      out.insert(out.end(), input.begin(), input.end());
      return std::nullopt;
    case Compression::gzip:
      return gzip_compress(input, out);
    case Compression::snappy:
      return snappy_compress(input, out);
    case Compression::lz4:
      return lz4_compress(input, out);
    case Compression::zstd:
      return zstd_compress(input, out);
  }
  return "unknown compression codec " + std::to_string(static_cast<int>(codec));
}

std::optional<DecodeError> decompress(Compression codec, BytesView input, size_t max_output, Bytes& out) {
  switch (codec) {
    case Compression::none:
      if (input.size() > max_output) return too_big(codec, 0, max_output);
      out.insert(out.end(), input.begin(), input.end());
      return std::nullopt;
    case Compression::gzip:
      return gzip_decompress(input, max_output, out);
    case Compression::snappy:
      return snappy_decompress(input, max_output, out);
    case Compression::lz4:
      return lz4_decompress(input, max_output, out, false);
    case Compression::zstd:
      return zstd_decompress(input, max_output, out);
  }
  return DecodeError{0, "compression",
                     "unknown compression codec " + std::to_string(static_cast<int>(codec))};
}

std::optional<DecodeError> decompress_lz4_legacy_v0(BytesView input, size_t max_output, Bytes& out) {
  return lz4_decompress(input, max_output, out, true);
}

}  // namespace gregor::record
