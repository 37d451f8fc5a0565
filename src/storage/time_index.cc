#include "storage/time_index.h"

#include "common/endian.h"

namespace gregor::storage {

TimestampOffset TimeIndex::entry(size_t i) const {
  const uint8_t* p = file_.entry_bytes(i);
  return {load_be<int64_t>(p), base_offset_ + load_be<int32_t>(p + 8)};
}

std::optional<TimestampOffset> TimeIndex::last_entry() const {
  if (entries() == 0) return std::nullopt;
  return entry(entries() - 1);
}

Status TimeIndex::load() {
  if (file_.loaded()) return {};
  if (Status s = file_.load(); !s.ok()) return s;
  for (size_t i = 0; i < entries(); ++i) {
    TimestampOffset e = entry(i);
    bool bad = e.offset < base_offset_;
    if (i > 0) {
      TimestampOffset prev = entry(i - 1);
      bad = bad || e.timestamp <= prev.timestamp || e.offset < prev.offset;
    }
    if (bad) {
      return Status(ErrorCode::kafka_storage_error,
                    "corrupt index " + file_.path() + ": entry " + std::to_string(i) + " is out of order");
    }
  }
  return {};
}

StatusOr<TimestampOffset> TimeIndex::lookup(int64_t target) {
  if (Status s = load(); !s.ok()) return s;
  size_t n = file_.prefix_length([&](size_t i) { return entry(i).timestamp <= target; });
  if (n == 0) return TimestampOffset{-1, base_offset_};
  return entry(n - 1);
}

void TimeIndex::maybe_append(int64_t timestamp, int64_t offset, bool final) {
  if (!final && full()) return;
  if (entries() >= file_.max_entries()) return;
  if (auto last = last_entry()) {
    if (timestamp <= last->timestamp || offset < last->offset) return;
  }
  uint8_t e[kEntrySize];
  store_be<int64_t>(e, timestamp);
  store_be<int32_t>(e + 8, static_cast<int32_t>(offset - base_offset_));
  file_.push(e);
}

Status TimeIndex::truncate_to(int64_t offset) {
  if (Status s = load(); !s.ok()) return s;
  file_.keep(file_.prefix_length([&](size_t i) { return entry(i).offset < offset; }));
  return {};
}

}  // namespace gregor::storage
