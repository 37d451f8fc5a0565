#include "record/batch_walker.h"

#include <string>

#include "record/legacy.h"
#include "common/endian.h"
#include "record/wire.h"

namespace gregor::record {

namespace {
constexpr size_t kLogOverhead = 12;  // offset + size
constexpr size_t kUpToMagic = 17;    // offset, size, crc or leader epoch, magic
}  // namespace

bool BatchWalker::fail(size_t at, const char* field, std::string message) {
  failed_ = true;
  error_ = DecodeError{at, field, std::move(message)};
  return false;
}

bool BatchWalker::next(BatchEntry& out) {
  if (failed_) return false;
  size_t left = records_.size() - pos_;
  if (left < kUpToMagic) {
    partial_ = left;
    pos_ = records_.size();
    return false;
  }
  const uint8_t* p = records_.data() + pos_;
  // The smallest legal entry of any magic is a magic-0 message, so a smaller size is corrupt
  // even when the rest of the batch is not here.
  int32_t size = load_be<int32_t>(p + 8);
  if (size < legacy::kMinMessageSizeV0)
    return fail(pos_ + 8, "size",
                "batch size " + std::to_string(size) + " is below the minimum of " +
                    std::to_string(legacy::kMinMessageSizeV0));
  size_t total = kLogOverhead + static_cast<size_t>(size);
  if (total > left) {
    partial_ = left;
    pos_ = records_.size();
    return false;
  }
  int8_t magic = static_cast<int8_t>(p[16]);
  if (magic < 0 || magic > 2) return fail(pos_ + 16, "magic", "unknown magic " + std::to_string(magic));
  out = BatchEntry{records_.subview(pos_, total), pos_, magic};
  pos_ += total;
  return true;
}

}  // namespace gregor::record
