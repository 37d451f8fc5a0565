// Writes v2 record batches.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/bytes.h"
#include "record/compression.h"
#include "record/record.h"
#include "record/record_batch.h"

namespace gregor::record {

struct BatchOptions {
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = -1;
  Compression compression = Compression::none;
  TimestampType timestamp_type = TimestampType::create_time;
  bool transactional = false;
  bool control = false;
  int64_t producer_id = -1;  // -1, -1, -1: not an idempotent producer
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  // Set by log compaction once tombstones may go; stored as the base timestamp.
  std::optional<int64_t> delete_horizon_ms;
  // With log_append_time, the broker's append time: written as maxTimestamp, which is what every
  // record's timestamp reads as. Records keep their create-time deltas, as in Kafka.
  int64_t log_append_time = kNoTimestamp;
};

// Records are encoded as they are appended, with consecutive offsets from base_offset.
// baseTimestamp is the first record's timestamp (or the delete horizon) and maxTimestamp the
// largest timestamp appended, or BatchOptions::log_append_time under log-append time. As with
// Kafka's builder, finishing with no records writes nothing.
class RecordBatchBuilder {
 public:
  explicit RecordBatchBuilder(const BatchOptions& options) : options_(options) {}

  void append(int64_t timestamp, std::optional<BytesView> key, std::optional<BytesView> value,
              std::span<const Header> headers = {});

  int32_t record_count() const { return count_; }
  // Size of the batch if it were written uncompressed now.
  size_t uncompressed_size() const { return v2::kHeaderSize + records_.size(); }

  // Appends the finished batch to out, leaving out's earlier contents untouched. Returns an
  // error message (and leaves out as it was) when a value did not fit its field or the
  // codec failed; nullopt on success. The builder can be finished more than once.
  [[nodiscard]] std::optional<std::string> finish(Bytes& out) const;

 private:
  BatchOptions options_;
  Bytes records_;
  int32_t count_ = 0;
  std::optional<int64_t> base_timestamp_;
  int64_t max_timestamp_ = kNoTimestamp;
  std::string error_;
};

}  // namespace gregor::record
