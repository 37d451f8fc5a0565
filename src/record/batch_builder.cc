#include "record/batch_builder.h"

#include <algorithm>
#include <climits>

#include "common/byte_writer.h"
#include "record/crc32c.h"
#include "common/endian.h"
#include "record/wire.h"

namespace gregor::record {

namespace {

size_t varint_size(int64_t v) {
  return uvarint_size((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

size_t nullable_size(const std::optional<BytesView>& b) {
  return b ? varint_size(static_cast<int64_t>(b->size())) + b->size() : varint_size(-1);
}

void write_nullable(ByteWriter& w, const std::optional<BytesView>& b) {
  if (!b) return w.write_varint(-1);
  w.write_varint(static_cast<int32_t>(b->size()));
  w.write_raw(*b);
}

bool too_long(const std::optional<BytesView>& b) { return b && b->size() > INT32_MAX; }

}  // namespace

void RecordBatchBuilder::append(int64_t timestamp, std::optional<BytesView> key,
                                std::optional<BytesView> value, std::span<const Header> headers) {
  if (!error_.empty()) return;
  if (count_ == INT32_MAX) {
    error_ = "too many records for one batch";
    return;
  }
  if (!base_timestamp_) base_timestamp_ = options_.delete_horizon_ms.value_or(timestamp);
  int64_t timestamp_delta = wire::wrapping_sub(timestamp, *base_timestamp_);
  max_timestamp_ = std::max(max_timestamp_, timestamp);

  // The record's length prefix comes first, so size the body before writing it.
  bool oversized = too_long(key) || too_long(value) || headers.size() > INT32_MAX;
  size_t body = 1 + varint_size(timestamp_delta) + varint_size(count_) + nullable_size(key) +
                nullable_size(value) + varint_size(static_cast<int64_t>(headers.size()));
  for (const Header& h : headers) {
    oversized |= h.key.size() > INT32_MAX || too_long(h.value);
    body += varint_size(static_cast<int64_t>(h.key.size())) + h.key.size() + nullable_size(h.value);
  }
  if (oversized || body > INT32_MAX) {
    error_ = "record " + std::to_string(count_) + " is too large";
    return;
  }

  ByteWriter w(records_);
  w.write_varint(static_cast<int32_t>(body));
  w.write_int8(0);  // record attributes: none defined
  w.write_varlong(timestamp_delta);
  w.write_varint(count_);
  write_nullable(w, key);
  write_nullable(w, value);
  w.write_varint(static_cast<int32_t>(headers.size()));
  for (const Header& h : headers) {
    w.write_varint(static_cast<int32_t>(h.key.size()));
    w.write_raw(BytesView::of(h.key));
    write_nullable(w, h.value);
  }
  ++count_;
}

std::optional<std::string> RecordBatchBuilder::finish(Bytes& out) const {
  if (!error_.empty()) return error_;
  if (count_ == 0) return std::nullopt;  // as Kafka's builder: no records, no batch
  size_t start = out.size();
  out.resize(start + v2::kHeaderSize);
  if (auto err = compress(options_.compression, records_, out)) {
    out.resize(start);
    return err;
  }
  size_t length = out.size() - start - v2::kLogOverhead;
  if (length > INT32_MAX) {
    out.resize(start);
    return "batch of " + std::to_string(length) + " bytes exceeds the int32 batchLength";
  }

  int16_t attributes = static_cast<int16_t>(options_.compression);
  if (options_.timestamp_type == TimestampType::log_append_time) attributes |= v2::kLogAppendTimeFlag;
  if (options_.transactional) attributes |= v2::kTransactionalFlag;
  if (options_.control) attributes |= v2::kControlFlag;
  if (options_.delete_horizon_ms) attributes |= v2::kDeleteHorizonFlag;

  uint8_t* p = out.data() + start;
  store_be(p + v2::kBaseOffset, options_.base_offset);
  store_be(p + v2::kBatchLength, static_cast<int32_t>(length));
  store_be(p + v2::kPartitionLeaderEpoch, options_.partition_leader_epoch);
  p[v2::kMagic] = 2;
  store_be(p + v2::kAttributes, attributes);
  store_be(p + v2::kLastOffsetDelta, count_ - 1);
  store_be(p + v2::kBaseTimestamp, *base_timestamp_);
  const bool log_append = options_.timestamp_type == TimestampType::log_append_time;
  store_be(p + v2::kMaxTimestamp, log_append ? options_.log_append_time : max_timestamp_);
  store_be(p + v2::kProducerId, options_.producer_id);
  store_be(p + v2::kProducerEpoch, options_.producer_epoch);
  store_be(p + v2::kBaseSequence, options_.base_sequence);
  store_be(p + v2::kRecordCount, count_);
  store_be(p + v2::kCrc, crc32c_extend(0, p + v2::kAttributes, out.size() - start - v2::kAttributes));
  return std::nullopt;
}

}  // namespace gregor::record
