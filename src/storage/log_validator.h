// Checks the batches of an append and stamps them in place, as Kafka's LogValidator does for a
// topic that keeps the producer's compression (compression.type=producer): batches are stored
// as received, so a leader append rewrites only header fields (base offset, leader epoch, and
// the timestamp fields for LogAppendTime or a wrong maxTimestamp, which recomputes the CRC).
//
// Checks, in Kafka's order and with its error codes:
//   framing and CRC ........................................ CORRUPT_MESSAGE
//   a batch above max.message.bytes ........................ MESSAGE_TOO_LARGE
//   all batches above segment.bytes ........................ RECORD_LIST_TOO_LARGE
//   magic other than 2, control batch from a client, record count that disagrees with the
//   offset range, producer id without a base sequence, malformed or out-of-order records,
//   a record without a key on a compacted topic ............ INVALID_RECORD
//   CreateTime record outside message.timestamp.before/after.max.ms of now ... INVALID_TIMESTAMP
//
// The last two are record errors, as Kafka reports them in ProduceResponse v8+: every record of
// the batch is checked, each one refused is listed (its index in the batch and why), and the
// status carries Kafka's summary: "One or more records have been rejected due to invalid
// timestamp" when any timestamp was refused, else the count and the first three errors.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "record/record.h"
#include "record/record_batch.h"

namespace gregor::storage {

struct ValidationConfig {
  int64_t max_message_bytes = 1048588;
  int64_t segment_bytes = 1 << 30;
  record::TimestampType timestamp_type = record::TimestampType::create_time;
  int64_t timestamp_before_max_ms = INT64_MAX;
  int64_t timestamp_after_max_ms = INT64_MAX;
  bool compacted = false;  // cleanup.policy includes compact: every record needs a key
};

// A record the validator refused: its index in the batch (Kafka's batchIndex) and why.
struct RecordError {
  int32_t batch_index = 0;
  std::string message;
  friend bool operator==(const RecordError&, const RecordError&) = default;
};

struct ValidatedAppend {
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  int64_t max_timestamp = -1;
  int64_t offset_of_max_timestamp = -1;  // last offset of the batch holding it
  int64_t log_append_time = -1;          // -1 unless LogAppendTime stamped the batches
  int32_t batches = 0;
  int64_t records = 0;
  uint64_t bytes = 0;
};

class LogValidator {
 public:
  // Leader append: checks everything and assigns offsets from next_offset, stamping
  // leader_epoch and (for LogAppendTime) now_ms into each batch. Refused records are appended
  // to record_errors when given.
  StatusOr<ValidatedAppend> validate_and_assign(std::span<uint8_t> batches, int64_t next_offset,
                                                int32_t leader_epoch, const ValidationConfig& config, int64_t now_ms,
                                                std::vector<RecordError>* record_errors = nullptr);
  // Follower (replication) append: framing, CRC and sizes only; offsets are kept and must
  // increase from next_offset.
  StatusOr<ValidatedAppend> validate_replicated(std::span<const uint8_t> batches, int64_t next_offset,
                                                const ValidationConfig& config);

 private:
  Status check_records(const record::RecordBatchView& batch, int32_t batch_index, const ValidationConfig& config,
                       int64_t now_ms, int64_t& max_timestamp, std::vector<RecordError>* record_errors);

  // Reused across appends, so a compressed batch is inflated into the same buffer each time.
  record::RecordReader reader_{64u << 20};
};

}  // namespace gregor::storage
