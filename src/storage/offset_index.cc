#include "storage/offset_index.h"

#include "common/endian.h"

namespace gregor::storage {

OffsetPosition OffsetIndex::entry(size_t i) const {
  const uint8_t* p = file_.entry_bytes(i);
  return {base_offset_ + load_be<int32_t>(p), load_be<uint32_t>(p + 4)};
}

std::optional<OffsetPosition> OffsetIndex::last_entry() const {
  if (entries() == 0) return std::nullopt;
  return entry(entries() - 1);
}

Status OffsetIndex::load() {
  if (file_.loaded()) return {};
  if (Status s = file_.load(); !s.ok()) return s;
  for (size_t i = 0; i < entries(); ++i) {
    const uint8_t* p = file_.entry_bytes(i);
    int32_t relative = load_be<int32_t>(p);
    bool bad = relative < 0;
    if (i > 0) {
      const uint8_t* prev = file_.entry_bytes(i - 1);
      bad = bad || relative <= load_be<int32_t>(prev) || load_be<uint32_t>(p + 4) < load_be<uint32_t>(prev + 4);
    }
    if (bad) {
      return Status(ErrorCode::kafka_storage_error,
                    "corrupt index " + file_.path() + ": entry " + std::to_string(i) + " is out of order");
    }
  }
  return {};
}

StatusOr<OffsetPosition> OffsetIndex::lookup(int64_t target) {
  if (Status s = load(); !s.ok()) return s;
  size_t n = file_.prefix_length([&](size_t i) { return entry(i).offset <= target; });
  if (n == 0) return OffsetPosition{base_offset_, 0};
  return entry(n - 1);
}

void OffsetIndex::append(int64_t offset, uint32_t position) {
  uint8_t e[kEntrySize];
  store_be<int32_t>(e, static_cast<int32_t>(offset - base_offset_));
  store_be<uint32_t>(e + 4, position);
  file_.push(e);
}

Status OffsetIndex::truncate_to(int64_t offset) {
  if (Status s = load(); !s.ok()) return s;
  file_.keep(file_.prefix_length([&](size_t i) { return entry(i).offset < offset; }));
  return {};
}

}  // namespace gregor::storage
