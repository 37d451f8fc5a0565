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
  // Checked in Kafka's order: the size as soon as it is here, then the magic, and only then
  // whether the whole batch is; a corrupt partial batch is corrupt, not just partial.
  const size_t left = records_.size() - pos_;
  const uint8_t* p = records_.data() + pos_;
  auto stop_partial = [&] {
    partial_ = left;
    pos_ = records_.size();
    return false;
  };
  if (left < kLogOverhead) return stop_partial();
  // The smallest legal entry of any magic is a magic-0 message.
  const int32_t size = load_be<int32_t>(p + 8);
  if (size < legacy::kMinMessageSizeV0)
    return fail(pos_ + 8, "size",
                "batch size " + std::to_string(size) + " is below the minimum of " +
                    std::to_string(legacy::kMinMessageSizeV0));
  if (left < kUpToMagic) return stop_partial();
  const int8_t magic = static_cast<int8_t>(p[16]);
  if (magic < 0 || magic > 2) return fail(pos_ + 16, "magic", "unknown magic " + std::to_string(magic));
  const size_t total = kLogOverhead + static_cast<size_t>(size);
  if (total > left) return stop_partial();
  out = BatchEntry{records_.subview(pos_, total), pos_, magic};
  pos_ += total;
  return true;
}

}  // namespace gregor::record
