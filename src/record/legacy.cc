#include "record/legacy.h"

#include <zlib.h>

#include <cstdio>
#include <string>

#include "common/byte_reader.h"
#include "common/endian.h"
#include "record/wire.h"

namespace gregor::record {

namespace {

std::string hex32(uint32_t v) {
  char buf[11];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

Record to_record(const LegacyBatchView& m, int64_t offset, int64_t timestamp) {
  Record r;
  r.offset = offset;
  r.timestamp = timestamp;
  r.attributes = m.attributes();
  r.key = m.key();
  r.value = m.value();
  return r;
}

}  // namespace

Result<LegacyBatchView> LegacyBatchView::parse(BytesView data, size_t position) {
  ByteReader r(data, position);
  r.skip(legacy::kLogOverhead + 4, "message header");  // offset, size, crc
  int8_t magic = r.read_int8("magic");
  if (!r.ok()) return r.error();
  int32_t size = load_be<int32_t>(data.data() + legacy::kSize);
  auto at = [&](size_t field) { return position + field; };
  if (magic != 0 && magic != 1)
    return DecodeError{at(legacy::kMagic), "magic", "expected magic 0 or 1, found " + std::to_string(magic)};
  int32_t min_size = magic == 0 ? legacy::kMinMessageSizeV0 : legacy::kMinMessageSizeV1;
  if (size < min_size)
    return DecodeError{at(legacy::kSize), "messageSize",
                       "message size " + std::to_string(size) + " is below the " + std::to_string(min_size) +
                           "-byte minimum for magic " + std::to_string(magic)};
  size_t total = legacy::kLogOverhead + static_cast<size_t>(size);
  if (total > data.size())
    return DecodeError{
        at(legacy::kSize), "messageSize",
        "entry of " + std::to_string(total) + " bytes, only " + std::to_string(data.size()) + " bytes given"};

  LegacyBatchView m(data.subview(0, total), position);
  int codec = m.attributes() & legacy::kCompressionMask;
  if (codec > static_cast<int>(Compression::lz4))
    return DecodeError{at(legacy::kAttributes), "attributes",
                       "compression codec " + std::to_string(codec) + " is not valid before magic 2"};
  size_t key_at = magic == 0 ? legacy::kTimestamp : legacy::kTimestamp + 8;
  ByteReader body(m.data_.subview(key_at, total - key_at), position + key_at);
  m.key_ = body.read_nullable_bytes_view(false, "key");
  m.value_ = body.read_nullable_bytes_view(false, "value");
  if (body.ok() && !body.at_end())
    body.fail("value", std::to_string(body.remaining()) + " bytes after the value, inside the message");
  if (!body.ok()) return body.error();
  return m;
}

int64_t LegacyBatchView::offset() const { return load_be<int64_t>(data_.data() + legacy::kOffset); }
uint32_t LegacyBatchView::crc() const { return load_be<uint32_t>(data_.data() + legacy::kCrc); }

TimestampType LegacyBatchView::timestamp_type() const {
  if (magic() == 0) return TimestampType::none;
  return (attributes() & legacy::kLogAppendTimeFlag) ? TimestampType::log_append_time
                                                     : TimestampType::create_time;
}

int64_t LegacyBatchView::timestamp() const {
  return magic() == 0 ? kNoTimestamp : load_be<int64_t>(data_.data() + legacy::kTimestamp);
}

uint32_t LegacyBatchView::compute_crc() const {
  const uint8_t* p = data_.data() + legacy::kMagic;
  return static_cast<uint32_t>(
      ::crc32(::crc32(0, nullptr, 0), p, static_cast<uInt>(data_.size() - legacy::kMagic)));
}

std::optional<DecodeError> LegacyBatchView::verify_crc() const {
  uint32_t computed = compute_crc();
  if (computed == crc()) return std::nullopt;
  return DecodeError{position_ + legacy::kCrc, "crc",
                     "CRC mismatch: message says " + hex32(crc()) + ", contents give " + hex32(computed)};
}

std::optional<DecodeError> LegacyRecordReader::open(const LegacyBatchView& entry) {
  rest_ = {};
  single_.reset();
  wrapper_time_.reset();
  offset_base_ = 0;
  if (entry.compression() == Compression::none) {
    single_ = entry;
    return std::nullopt;
  }
  return open_wrapper(entry);
}

std::optional<DecodeError> LegacyRecordReader::open_wrapper(const LegacyBatchView& wrapper) {
  if (!wrapper.value())
    return DecodeError{wrapper.position(), "value", "compressed wrapper message has a null value"};
  size_t value_at =
      wrapper.position() + static_cast<size_t>(wrapper.value()->data() - wrapper.bytes().data());
  buffer_.clear();
  auto err = wrapper.compression() == Compression::lz4 && wrapper.magic() == 0
                 ? decompress_lz4_legacy_v0(*wrapper.value(), max_decompressed_, buffer_)
                 : decompress(wrapper.compression(), *wrapper.value(), max_decompressed_, buffer_);
  if (err) {
    err->offset += value_at;
    err->field = std::string("value (") + compression_name(wrapper.compression()) + ")";
    return err;
  }

  // Validate every inner message now, so iteration cannot fail half way, and find the last
  // inner offset, which magic 1 needs before the first record can be given its offset.
  auto inner_error = [&](DecodeError e) {
    e.message += " (offset within the decompressed value of the wrapper at byte " +
                 std::to_string(wrapper.position()) + ")";
    return e;
  };
  BytesView all(buffer_);
  size_t pos = 0;
  int64_t last_inner = 0;
  while (pos < all.size()) {
    Result<LegacyBatchView> inner = LegacyBatchView::parse(all.subview(pos, all.size() - pos), pos);
    if (!inner) return inner_error(inner.error());
    if (inner->magic() != wrapper.magic())
      return inner_error({pos + legacy::kMagic, "magic",
                          "inner magic " + std::to_string(inner->magic()) + " differs from wrapper magic " +
                              std::to_string(wrapper.magic())});
    if (inner->compression() != Compression::none)
      return inner_error({pos + legacy::kAttributes, "attributes", "inner message is itself compressed"});
    if (auto crc_error = inner->verify_crc()) return inner_error(*crc_error);
    last_inner = inner->offset();
    pos += inner->bytes().size();
  }
  if (pos == 0) return inner_error({0, "", "compressed message set holds no messages"});

  if (wrapper.magic() == 1) {
    // A zero wrapper offset comes from producers (some librdkafka versions) that leave offset
    // assignment to the broker; the inner relative offsets then stand as they are.
    int64_t wrapper_offset = wrapper.offset();
    if (wrapper_offset != 0) {
      if (wrapper_offset < last_inner)
        return DecodeError{wrapper.position() + legacy::kOffset, "offset",
                           "wrapper offset " + std::to_string(wrapper_offset) +
                               " is below its last inner relative offset " + std::to_string(last_inner)};
      offset_base_ = wire::wrapping_sub(wrapper_offset, last_inner);
    }
    if (wrapper.timestamp_type() == TimestampType::log_append_time) wrapper_time_ = wrapper.timestamp();
  }
  rest_ = all;
  return std::nullopt;
}

bool LegacyRecordReader::next(Record& out) {
  if (single_) {
    out = to_record(*single_, single_->offset(), single_->timestamp());
    single_.reset();
    return true;
  }
  if (rest_.empty()) return false;
  Result<LegacyBatchView> inner = LegacyBatchView::parse(rest_);  // validated by open()
  if (!inner) return false;
  rest_ = rest_.subview(inner->bytes().size(), rest_.size() - inner->bytes().size());
  out = to_record(*inner, wire::wrapping_add(offset_base_, inner->offset()),
                  wrapper_time_ ? *wrapper_time_ : inner->timestamp());
  return true;
}

}  // namespace gregor::record
