// Walks the batches of a segment file through a read buffer: the headers for seeking (offset
// lookups, truncation) and whole batches for recovery and timestamp searches. It stops at the
// end of the file, before a torn tail, or at the first malformed batch, and says which.
#pragma once

#include <cstdint>
#include <memory>

#include "common/bytes.h"
#include "common/status.h"
#include "storage/file_system.h"

namespace gregor::storage {

// What a scan learns about one batch from its header.
struct BatchInfo {
  uint64_t position = 0;  // in the file
  uint32_t size = 0;      // whole batch, including offset and length fields
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t max_timestamp = -1;
  int32_t leader_epoch = -1;
  int8_t magic = 2;
  int16_t attributes = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
};

class SegmentScanner {
 public:
  enum class End { none, clean, torn, corrupt };

  // Scans file bytes [start, limit). read_size is the unit of file reads; a batch larger than
  // it is read whole.
  SegmentScanner(std::shared_ptr<File> file, uint64_t start, uint64_t limit, size_t read_size = 64 * 1024)
      : file_(std::move(file)), pos_(start), limit_(limit), read_size_(read_size) {}

  // The next batch's header; false at the end or on an error (see end(), status()).
  bool next(BatchInfo& out);
  // The bytes of the batch next() just returned (read on demand).
  StatusOr<BytesView> batch_bytes();
  // With verify on, next() checks each batch fully: magic 2 and its CRC. Off, only framing.
  void set_verify(bool verify) { verify_ = verify; }

  End end() const { return end_; }
  // Why the scan stopped early: the I/O error, or a one-line description of the corruption.
  const Status& status() const { return status_; }
  uint64_t position() const { return pos_; }

 private:
  // Makes [pos_, pos_ + n) available in buf_; false when the file ends first.
  StatusOr<bool> fill(size_t n);
  bool stop(End end, Status status = {});

  std::shared_ptr<File> file_;
  uint64_t pos_;
  uint64_t limit_;
  size_t read_size_;
  bool verify_ = false;
  Bytes buf_;
  uint64_t buf_start_ = 0;  // file position of buf_[0]
  BatchInfo current_;
  End end_ = End::none;
  Status status_;
};

}  // namespace gregor::storage
