// Message sets of magic 0 and 1, the formats before record batches. Each entry is
//   offset int64, messageSize int32, then the message:
//   crc uint32       CRC-32 (zlib's) of magic .. end
//   magic int8       0 or 1
//   attributes int8  bits 0-2 codec (zstd not allowed), bit 3 log-append time (magic 1)
//   timestamp int64  magic 1 only
//   key              int32 length + bytes, -1 for null
//   value            int32 length + bytes, -1 for null
//
// A compressed entry is a wrapper whose value is a whole message set, compressed. Inside,
// magic 0 uses absolute offsets; magic 1 numbers the inner messages from 0 and the wrapper
// carries the absolute offset of the last one. Each top-level entry plays the role of a
// batch; LegacyRecordReader yields its records in the same Record shape as v2, without headers.
#pragma once

#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "common/decode_error.h"
#include "record/compression.h"
#include "record/record.h"
#include "record/record_batch.h"
#include "common/result.h"

namespace gregor::record {

namespace legacy {
inline constexpr size_t kOffset = 0;
inline constexpr size_t kSize = 8;
inline constexpr size_t kCrc = 12;
inline constexpr size_t kMagic = 16;
inline constexpr size_t kAttributes = 17;
inline constexpr size_t kTimestamp = 18;  // magic 1
inline constexpr size_t kLogOverhead = 12;
inline constexpr int32_t kMinMessageSizeV0 = 14;  // crc, magic, attributes, two -1 lengths
inline constexpr int32_t kMinMessageSizeV1 = 22;  // plus the timestamp
inline constexpr int8_t kCompressionMask = 0x07;
inline constexpr int8_t kLogAppendTimeFlag = 0x08;
}  // namespace legacy

// One top-level entry (offset, size, message), read in place.
class LegacyBatchView {
 public:
  // Checks the framing: a complete entry, magic 0 or 1, key and value lengths that exactly
  // fill the message, a codec valid for the magic. The CRC is checked by verify_crc.
  static Result<LegacyBatchView> parse(BytesView data, size_t position = 0);

  BytesView bytes() const { return data_; }  // exactly this entry
  size_t position() const { return position_; }

  int64_t offset() const;  // for a wrapper: the offset of its last inner message
  uint32_t crc() const;
  int8_t magic() const { return static_cast<int8_t>(data_[legacy::kMagic]); }
  int8_t attributes() const { return static_cast<int8_t>(data_[legacy::kAttributes]); }
  Compression compression() const {
    return static_cast<Compression>(attributes() & legacy::kCompressionMask);
  }
  TimestampType timestamp_type() const;
  int64_t timestamp() const;  // kNoTimestamp for magic 0
  const std::optional<BytesView>& key() const { return key_; }
  const std::optional<BytesView>& value() const { return value_; }

  uint32_t compute_crc() const;
  std::optional<DecodeError> verify_crc() const;

 private:
  LegacyBatchView(BytesView data, size_t position) : data_(data), position_(position) {}
  BytesView data_;
  size_t position_ = 0;
  std::optional<BytesView> key_;
  std::optional<BytesView> value_;
};

// Yields the records of one entry: the entry itself, or the messages inside a compressed
// wrapper with absolute offsets (and, under log-append time, the wrapper's timestamp). open()
// decompresses (bounded by max_decompressed_size) and validates every inner message, CRC
// included, so next() cannot fail afterwards.
class LegacyRecordReader {
 public:
  explicit LegacyRecordReader(size_t max_decompressed_size) : max_decompressed_(max_decompressed_size) {}

  [[nodiscard]] std::optional<DecodeError> open(const LegacyBatchView& entry);
  bool next(Record& out);

 private:
  std::optional<DecodeError> open_wrapper(const LegacyBatchView& wrapper);

  size_t max_decompressed_;
  Bytes buffer_;
  BytesView rest_;  // entries not yet yielded
  // Added to inner offsets: 0 for magic 0, whose inner offsets are already absolute.
  int64_t offset_base_ = 0;
  std::optional<int64_t> wrapper_time_;    // set when the wrapper imposes log-append time
  std::optional<LegacyBatchView> single_;  // an uncompressed top-level entry, yielded once
};

}  // namespace gregor::record
