#include "record/record_batch.h"

#include <cstdio>
#include <string>

#include "record/crc32c.h"
#include "common/endian.h"
#include "record/wire.h"

namespace gregor::record {

namespace {

DecodeError framing_error(size_t at, const char* field, std::string message) {
  return DecodeError{at, field, std::move(message)};
}

std::string hex32(uint32_t v) {
  char buf[11];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

uint32_t crc_of(const uint8_t* batch, size_t size) {
  return crc32c_extend(0, batch + v2::kAttributes, size - v2::kAttributes);
}

}  // namespace

Result<RecordBatchView> RecordBatchView::parse(BytesView data, size_t position) {
  if (data.size() < v2::kHeaderSize)
    return framing_error(
        position, "batch",
        "a v2 batch needs a 61-byte header, only " + std::to_string(data.size()) + " bytes given");
  int32_t length = load_be<int32_t>(data.data() + v2::kBatchLength);
  if (length < static_cast<int32_t>(v2::kHeaderSize - v2::kLogOverhead))
    return framing_error(position + v2::kBatchLength, "batchLength",
                         "batchLength " + std::to_string(length) + " is shorter than the 49-byte header");
  size_t total = static_cast<size_t>(length) + v2::kLogOverhead;
  if (total > data.size())
    return framing_error(
        position + v2::kBatchLength, "batchLength",
        "batch of " + std::to_string(total) + " bytes, only " + std::to_string(data.size()) + " bytes given");
  int8_t magic = static_cast<int8_t>(data[v2::kMagic]);
  if (magic != 2)
    return framing_error(position + v2::kMagic, "magic", "expected magic 2, found " + std::to_string(magic));
  RecordBatchView batch(data.subview(0, total), position);
  if ((batch.attributes() & v2::kCompressionMask) > static_cast<int>(Compression::zstd))
    return framing_error(
        position + v2::kAttributes, "attributes",
        "unknown compression codec " + std::to_string(batch.attributes() & v2::kCompressionMask));
  if (batch.record_count() < 0)
    return framing_error(position + v2::kRecordCount, "recordCount",
                         "negative record count " + std::to_string(batch.record_count()));
  return batch;
}

int64_t RecordBatchView::base_offset() const { return load_be<int64_t>(data_.data() + v2::kBaseOffset); }
int32_t RecordBatchView::batch_length() const { return load_be<int32_t>(data_.data() + v2::kBatchLength); }
int32_t RecordBatchView::partition_leader_epoch() const {
  return load_be<int32_t>(data_.data() + v2::kPartitionLeaderEpoch);
}
int8_t RecordBatchView::magic() const { return static_cast<int8_t>(data_[v2::kMagic]); }
uint32_t RecordBatchView::crc() const { return load_be<uint32_t>(data_.data() + v2::kCrc); }
int16_t RecordBatchView::attributes() const { return load_be<int16_t>(data_.data() + v2::kAttributes); }
int32_t RecordBatchView::last_offset_delta() const {
  return load_be<int32_t>(data_.data() + v2::kLastOffsetDelta);
}
int64_t RecordBatchView::base_timestamp() const {
  return load_be<int64_t>(data_.data() + v2::kBaseTimestamp);
}
int64_t RecordBatchView::max_timestamp() const { return load_be<int64_t>(data_.data() + v2::kMaxTimestamp); }
int64_t RecordBatchView::producer_id() const { return load_be<int64_t>(data_.data() + v2::kProducerId); }
int16_t RecordBatchView::producer_epoch() const {
  return load_be<int16_t>(data_.data() + v2::kProducerEpoch);
}
int32_t RecordBatchView::base_sequence() const { return load_be<int32_t>(data_.data() + v2::kBaseSequence); }
int32_t RecordBatchView::record_count() const { return load_be<int32_t>(data_.data() + v2::kRecordCount); }

TimestampType RecordBatchView::timestamp_type() const {
  return (attributes() & v2::kLogAppendTimeFlag) ? TimestampType::log_append_time
                                                 : TimestampType::create_time;
}

std::optional<int64_t> RecordBatchView::delete_horizon_ms() const {
  if (!(attributes() & v2::kDeleteHorizonFlag)) return std::nullopt;
  return base_timestamp();
}

int64_t RecordBatchView::last_offset() const {
  return wire::wrapping_add(base_offset(), last_offset_delta());
}
int64_t RecordBatchView::next_offset() const { return wire::wrapping_add(last_offset(), 1); }

int32_t RecordBatchView::last_sequence() const {
  int32_t base = base_sequence();
  if (base < 0) return -1;  // no sequence: not an idempotent producer
  int64_t last = int64_t{base} + last_offset_delta();
  if (last > INT32_MAX) last -= int64_t{INT32_MAX} + 1;
  return static_cast<int32_t>(last);
}

uint32_t RecordBatchView::compute_crc() const { return crc_of(data_.data(), data_.size()); }

std::optional<DecodeError> RecordBatchView::verify_crc() const {
  uint32_t computed = compute_crc();
  if (computed == crc()) return std::nullopt;
  return framing_error(position_ + v2::kCrc, "crc",
                       "CRC mismatch: batch says " + hex32(crc()) + ", contents give " + hex32(computed));
}

bool set_base_offset(std::span<uint8_t> batch, int64_t base_offset) {
  if (batch.size() < v2::kHeaderSize) return false;
  store_be(batch.data() + v2::kBaseOffset, base_offset);
  return true;
}

bool set_partition_leader_epoch(std::span<uint8_t> batch, int32_t epoch) {
  if (batch.size() < v2::kHeaderSize) return false;
  store_be(batch.data() + v2::kPartitionLeaderEpoch, epoch);
  return true;
}

bool set_log_append_time(std::span<uint8_t> batch, int64_t timestamp) {
  return set_max_timestamp(batch, TimestampType::log_append_time, timestamp);
}

bool set_max_timestamp(std::span<uint8_t> batch, TimestampType type, int64_t timestamp) {
  if (batch.size() < v2::kHeaderSize) return false;
  uint8_t* p = batch.data();
  int64_t size = int64_t{load_be<int32_t>(p + v2::kBatchLength)} + int64_t{v2::kLogOverhead};
  if (size < int64_t{v2::kHeaderSize} || static_cast<uint64_t>(size) > batch.size()) return false;
  int16_t attributes = load_be<int16_t>(p + v2::kAttributes);
  int16_t wanted = type == TimestampType::log_append_time ? attributes | v2::kLogAppendTimeFlag
                                                          : attributes & ~v2::kLogAppendTimeFlag;
  if (wanted == attributes && load_be<int64_t>(p + v2::kMaxTimestamp) == timestamp) return true;
  store_be<int16_t>(p + v2::kAttributes, wanted);
  store_be(p + v2::kMaxTimestamp, timestamp);
  store_be(p + v2::kCrc, crc_of(p, static_cast<size_t>(size)));
  return true;
}

}  // namespace gregor::record
