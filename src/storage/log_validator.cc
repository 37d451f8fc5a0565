#include "storage/log_validator.h"

#include <string>

#include "record/batch_walker.h"

namespace gregor::storage {

namespace {

Status invalid_record(std::string message) { return Status(ErrorCode::invalid_record, std::move(message)); }

// Framing, CRC and size checks shared by leader and follower appends; calls f(view, span) for
// each batch.
template <typename Batches, typename F>
Status for_each_batch(Batches batches, const ValidationConfig& config, F&& f) {
  record::BatchWalker walker{BytesView(batches.data(), batches.size())};
  record::BatchEntry entry;
  uint64_t total = 0;
  int32_t index = 0;
  while (walker.next(entry)) {
    if (entry.magic != 2) {
      return invalid_record("batch " + std::to_string(index) + " has magic " + std::to_string(entry.magic) +
                            "; the log accepts only magic 2 record batches");
    }
    if (static_cast<int64_t>(entry.bytes.size()) > config.max_message_bytes) {
      return Status(ErrorCode::message_too_large, "batch of " + std::to_string(entry.bytes.size()) +
                                                      " bytes exceeds max.message.bytes " +
                                                      std::to_string(config.max_message_bytes));
    }
    auto view = record::RecordBatchView::parse(entry.bytes, entry.position);
    if (!view.ok()) return Status(ErrorCode::corrupt_message, view.error().to_string());
    if (auto err = view->verify_crc()) return Status(ErrorCode::corrupt_message, err->to_string());
    total += entry.bytes.size();
    if (Status s = f(*view, batches.subspan(entry.position, entry.bytes.size()), index); !s.ok()) return s;
    ++index;
  }
  if (!walker.ok()) return Status(ErrorCode::corrupt_message, walker.error().to_string());
  if (walker.partial_tail() > 0) {
    return Status(ErrorCode::corrupt_message,
                  "records end in a partial batch of " + std::to_string(walker.partial_tail()) + " bytes");
  }
  if (index == 0) return invalid_record("the append holds no record batches");
  if (static_cast<int64_t>(total) > config.segment_bytes) {
    return Status(ErrorCode::record_list_too_large, "batches of " + std::to_string(total) +
                                                        " bytes exceed segment.bytes " +
                                                        std::to_string(config.segment_bytes));
  }
  return {};
}

}  // namespace

Status LogValidator::check_records(const record::RecordBatchView& batch, int32_t batch_index,
                                   const ValidationConfig& config, int64_t now_ms, int64_t& max_timestamp,
                                   std::vector<RecordError>* record_errors) {
  if (auto err = reader_.open(batch)) return invalid_record(err->to_string());
  bool create_time = config.timestamp_type == record::TimestampType::create_time;
  record::Record r;
  int64_t expected = batch.base_offset();
  int32_t index = 0;
  // Record errors, as Kafka collects them: every refused record, then one status for the batch.
  int32_t refused = 0;
  bool bad_timestamp = false;
  std::string first_three;
  auto refuse = [&](ErrorCode code, std::string message) {
    if (refused < 3) {
      first_three += (refused > 0 ? ", " : "") + std::string("RecordError(batchIndex=") + std::to_string(index) +
                     ", message='" + message + "')";
    }
    ++refused;
    bad_timestamp |= code == ErrorCode::invalid_timestamp;
    if (record_errors) record_errors->push_back(RecordError{index, std::move(message)});
  };
  while (reader_.next(r)) {
    if (r.offset != expected) {
      return invalid_record("record " + std::to_string(index) + " has offset delta " +
                            std::to_string(r.offset - batch.base_offset()) + ", expected " +
                            std::to_string(expected - batch.base_offset()));
    }
    ++expected;
    if (config.compacted && !r.key) {
      refuse(ErrorCode::invalid_record, "Compacted topic cannot accept message without key");
    } else if (create_time && r.timestamp != record::kNoTimestamp) {
      // now - timestamp and timestamp - now, saturating: timestamps come from clients.
      int64_t behind = 0, ahead = 0;
      if (__builtin_sub_overflow(now_ms, r.timestamp, &behind)) behind = INT64_MAX;
      if (__builtin_sub_overflow(r.timestamp, now_ms, &ahead)) ahead = INT64_MAX;
      if (behind > config.timestamp_before_max_ms || ahead > config.timestamp_after_max_ms) {
        int64_t low = 0, high = 0;
        if (__builtin_sub_overflow(now_ms, config.timestamp_before_max_ms, &low)) low = INT64_MIN;
        if (__builtin_add_overflow(now_ms, config.timestamp_after_max_ms, &high)) high = INT64_MAX;
        refuse(ErrorCode::invalid_timestamp, "Timestamp " + std::to_string(r.timestamp) +
                                                 " of message with offset " + std::to_string(r.offset) +
                                                 " is out of range. The timestamp should be within [" +
                                                 std::to_string(low) + ", " + std::to_string(high) + "]");
      }
    } else if (!create_time && batch.timestamp_type() == record::TimestampType::log_append_time) {
      refuse(ErrorCode::invalid_timestamp, "Invalid timestamp type in message with offset " +
                                               std::to_string(r.offset) + " of batch " + std::to_string(batch_index) +
                                               ". Producer should not set timestamp type to LogAppendTime.");
    }
    if (r.timestamp > max_timestamp) max_timestamp = r.timestamp;
    ++index;
  }
  if (!reader_.ok()) return invalid_record(reader_.error().to_string());
  if (refused == 0) return {};
  if (bad_timestamp) {
    return Status(ErrorCode::invalid_timestamp, "One or more records have been rejected due to invalid timestamp");
  }
  return invalid_record("One or more records have been rejected due to " + std::to_string(refused) +
                        " record errors in total, and only showing the first three errors at most: [" + first_three +
                        "]");
}

StatusOr<ValidatedAppend> LogValidator::validate_and_assign(std::span<uint8_t> batches, int64_t next_offset,
                                                            int32_t leader_epoch, const ValidationConfig& config,
                                                            int64_t now_ms, std::vector<RecordError>* record_errors) {
  ValidatedAppend out;
  out.first_offset = next_offset;
  bool log_append_time = config.timestamp_type == record::TimestampType::log_append_time;
  Status s = for_each_batch(batches, config, [&](const record::RecordBatchView& batch, std::span<uint8_t> bytes,
                                                 int32_t index) -> Status {
    if (index > 0) return invalid_record("a produced append must hold exactly one record batch");
    int64_t count_from_offsets = int64_t{batch.last_offset_delta()} + 1;
    if (count_from_offsets <= 0) {
      return invalid_record("batch has an invalid offset range: last offset delta " +
                            std::to_string(batch.last_offset_delta()));
    }
    if (batch.record_count() <= 0) {
      return invalid_record("invalid record count " + std::to_string(batch.record_count()));
    }
    if (count_from_offsets != batch.record_count()) {
      return invalid_record("inconsistent batch: offset range of " + std::to_string(count_from_offsets) +
                            " and record count " + std::to_string(batch.record_count()));
    }
    if (batch.is_control()) return invalid_record("clients are not allowed to write control records");
    if (batch.producer_id() >= 0 && batch.base_sequence() < 0) {
      return invalid_record("invalid sequence number " + std::to_string(batch.base_sequence()) +
                            " in a batch with producer id " + std::to_string(batch.producer_id()));
    }
    int64_t max_timestamp = record::kNoTimestamp;
    if (Status st = check_records(batch, index, config, now_ms, max_timestamp, record_errors); !st.ok()) return st;

    record::set_base_offset(bytes, next_offset);
    record::set_partition_leader_epoch(bytes, leader_epoch);
    int64_t last = next_offset + batch.last_offset_delta();
    if (log_append_time) {
      record::set_max_timestamp(bytes, record::TimestampType::log_append_time, now_ms);
      max_timestamp = now_ms;
    } else {
      record::set_max_timestamp(bytes, record::TimestampType::create_time, max_timestamp);
    }
    if (max_timestamp > out.max_timestamp || out.offset_of_max_timestamp < 0) {
      out.max_timestamp = max_timestamp;
      out.offset_of_max_timestamp = last;
    }
    out.last_offset = last;
    out.records += batch.record_count();
    out.bytes += bytes.size();
    ++out.batches;
    next_offset = last + 1;
    return {};
  });
  if (!s.ok()) return s;
  if (log_append_time) out.log_append_time = now_ms;
  return out;
}

StatusOr<ValidatedAppend> LogValidator::validate_replicated(std::span<const uint8_t> batches, int64_t next_offset,
                                                            const ValidationConfig& config) {
  ValidatedAppend out;
  Status s = for_each_batch(batches, config, [&](const record::RecordBatchView& batch, std::span<const uint8_t> bytes,
                                                 int32_t index) -> Status {
    if (batch.base_offset() < next_offset || batch.last_offset() < batch.base_offset()) {
      return invalid_record("replicated batch " + std::to_string(index) + " has offsets " +
                            std::to_string(batch.base_offset()) + ".." + std::to_string(batch.last_offset()) +
                            ", not after " + std::to_string(next_offset - 1));
    }
    if (out.first_offset < 0) out.first_offset = batch.base_offset();
    if (batch.max_timestamp() > out.max_timestamp || out.offset_of_max_timestamp < 0) {
      out.max_timestamp = batch.max_timestamp();
      out.offset_of_max_timestamp = batch.last_offset();
    }
    out.last_offset = batch.last_offset();
    out.records += batch.record_count();
    out.bytes += bytes.size();
    ++out.batches;
    next_offset = batch.last_offset() + 1;
    return {};
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace gregor::storage
