// Record batches, magic 2: the unit producers send, logs store and consumers fetch.
//
//   offset  size  field
//        0     8  baseOffset            offset of the first record
//        8     4  batchLength           bytes after this field (total size - 12)
//       12     4  partitionLeaderEpoch
//       16     1  magic                 2
//       17     4  crc                   CRC-32C of bytes 21 .. end
//       21     2  attributes            bits 0-2 codec, 3 log-append time, 4 transactional,
//                                       5 control, 6 delete horizon set
//       23     4  lastOffsetDelta
//       27     8  baseTimestamp         (the delete horizon when bit 6 is set)
//       35     8  maxTimestamp
//       43     8  producerId
//       51     2  producerEpoch
//       53     4  baseSequence
//       57     4  recordCount
//       61        records, compressed as a whole when the codec is not none
//
// The CRC deliberately leaves out baseOffset, batchLength and partitionLeaderEpoch: the broker
// assigns offsets and stamps the leader epoch on a batch it has already validated, and those
// rewrites must not invalidate the checksum the producer computed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "common/bytes.h"
#include "common/decode_error.h"
#include "record/compression.h"
#include "common/result.h"

namespace gregor::record {

enum class TimestampType : int8_t { none = -1, create_time = 0, log_append_time = 1 };

inline constexpr int64_t kNoTimestamp = -1;

namespace v2 {
inline constexpr size_t kBaseOffset = 0;
inline constexpr size_t kBatchLength = 8;
inline constexpr size_t kPartitionLeaderEpoch = 12;
inline constexpr size_t kMagic = 16;
inline constexpr size_t kCrc = 17;
inline constexpr size_t kAttributes = 21;
inline constexpr size_t kLastOffsetDelta = 23;
inline constexpr size_t kBaseTimestamp = 27;
inline constexpr size_t kMaxTimestamp = 35;
inline constexpr size_t kProducerId = 43;
inline constexpr size_t kProducerEpoch = 51;
inline constexpr size_t kBaseSequence = 53;
inline constexpr size_t kRecordCount = 57;
inline constexpr size_t kHeaderSize = 61;
inline constexpr size_t kLogOverhead = 12;  // baseOffset + batchLength, not counted in batchLength

inline constexpr int16_t kCompressionMask = 0x07;
inline constexpr int16_t kLogAppendTimeFlag = 0x08;
inline constexpr int16_t kTransactionalFlag = 0x10;
inline constexpr int16_t kControlFlag = 0x20;
inline constexpr int16_t kDeleteHorizonFlag = 0x40;
}  // namespace v2

// A v2 batch read in place: accessors decode header fields straight from the bytes.
class RecordBatchView {
 public:
  // Checks the framing only: the 61-byte header is present, batchLength fits in the bytes given
  // (bytes after the batch are ignored), magic is 2, the codec is known, recordCount is not
  // negative. The CRC is a separate step (verify_crc). position is where data starts in the
  // buffer that error offsets refer to.
  static Result<RecordBatchView> parse(BytesView data, size_t position = 0);

  BytesView bytes() const { return data_; }  // exactly this batch
  size_t position() const { return position_; }

  int64_t base_offset() const;
  int32_t batch_length() const;
  int32_t partition_leader_epoch() const;
  int8_t magic() const;
  uint32_t crc() const;
  int16_t attributes() const;
  int32_t last_offset_delta() const;
  int64_t base_timestamp() const;
  int64_t max_timestamp() const;
  int64_t producer_id() const;
  int16_t producer_epoch() const;
  int32_t base_sequence() const;
  int32_t record_count() const;

  Compression compression() const { return static_cast<Compression>(attributes() & v2::kCompressionMask); }
  TimestampType timestamp_type() const;
  bool is_transactional() const { return attributes() & v2::kTransactionalFlag; }
  bool is_control() const { return attributes() & v2::kControlFlag; }
  std::optional<int64_t> delete_horizon_ms() const;

  int64_t last_offset() const;  // base offset + lastOffsetDelta
  int64_t next_offset() const;
  // The producer sequence of the last record; sequences wrap at INT32_MAX.
  int32_t last_sequence() const;

  // The records, still compressed when the codec is not none.
  BytesView records_section() const { return data_.subview(v2::kHeaderSize, data_.size() - v2::kHeaderSize); }

  uint32_t compute_crc() const;  // CRC-32C over attributes .. end
  std::optional<DecodeError> verify_crc() const;

 private:
  RecordBatchView(BytesView data, size_t position) : data_(data), position_(position) {}
  BytesView data_;
  size_t position_ = 0;
};

// In-place edits the broker makes to a batch whose framing it has checked; a span too short for
// the header (or, for set_log_append_time, for batchLength) is left alone and gives false.
// Base offset and leader epoch are outside the CRC, so those two leave it untouched;
// set_log_append_time and set_max_timestamp change covered fields (timestamp type and maxTimestamp) and recomputes it.
bool set_base_offset(std::span<uint8_t> batch, int64_t base_offset);
bool set_partition_leader_epoch(std::span<uint8_t> batch, int32_t epoch);
bool set_log_append_time(std::span<uint8_t> batch, int64_t timestamp);
// Kafka's setMaxTimestamp: sets the timestamp type flag and maxTimestamp, recomputing the CRC
// only when either changes. type must be create_time or log_append_time.
bool set_max_timestamp(std::span<uint8_t> batch, TimestampType type, int64_t timestamp);

}  // namespace gregor::record
