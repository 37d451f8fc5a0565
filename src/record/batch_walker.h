// Splits a `records` field (produce or fetch data, a log segment slice) into its batches.
//
// Every format starts with offset int64 and a size int32 (batchLength, messageSize) counting
// the bytes after it, and has its magic byte at offset 16, so batches of any magic can be
// stepped over alike. Fetch responses may end in a partial batch, cut at the byte limit; the
// walker stops before it and reports its size instead of failing.
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/decode_error.h"

namespace gregor::record {

struct BatchEntry {
  BytesView bytes;      // exactly one batch (magic 2) or one top-level message (magic 0/1)
  size_t position = 0;  // where bytes starts within the walked buffer
  int8_t magic = 0;
};

class BatchWalker {
 public:
  explicit BatchWalker(BytesView records) : records_(records) {}

  // The next complete batch; false at the end, before a partial batch, or on an error.
  bool next(BatchEntry& out);
  bool ok() const { return !failed_; }
  const DecodeError& error() const { return error_; }
  // Bytes of the incomplete batch the walk stopped before (0 when it ended cleanly).
  size_t partial_tail() const { return partial_; }

 private:
  bool fail(size_t at, const char* field, std::string message);

  BytesView records_;
  size_t pos_ = 0;
  size_t partial_ = 0;
  bool failed_ = false;
  DecodeError error_;
};

}  // namespace gregor::record
