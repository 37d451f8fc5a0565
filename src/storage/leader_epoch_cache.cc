#include "storage/leader_epoch_cache.h"

#include <algorithm>

namespace gregor::storage {
namespace {

Status invalid_entry(const EpochEntry& entry) {
  return Status(ErrorCode::unknown_server_error,
                "Received invalid partition leader epoch entry " + entry.to_string());
}

bool is_valid(const EpochEntry& entry) { return entry.epoch >= 0 && entry.start_offset >= 0; }

}  // namespace

LeaderEpochCache::LeaderEpochCache(FileSystem& fs, std::string partition_dir)
    : fs_(&fs), path_(join_path(partition_dir, std::string(kLeaderEpochCheckpointFile))) {}

StatusOr<LeaderEpochCache> LeaderEpochCache::load(FileSystem& fs, std::string partition_dir) {
  LeaderEpochCache cache(fs, std::move(partition_dir));
  auto entries = read_leader_epoch_checkpoint(fs, cache.path_);
  if (!entries.ok()) return entries.status();
  for (const EpochEntry& entry : *entries) {
    if (!is_valid(entry)) {
      return Status(ErrorCode::kafka_storage_error,
                    "Invalid leader epoch entry " + entry.to_string() +
                        " in checkpoint file " + cache.path_);
    }
    cache.assign_in_memory(entry);
  }
  return cache;
}

bool LeaderEpochCache::assign_in_memory(const EpochEntry& entry) {
  if (!entries_.empty()) {
    const EpochEntry& latest = entries_.back();
    if (entry.epoch == latest.epoch && entry.start_offset >= latest.start_offset) return false;
  }
  // Entries increase in both epoch and start offset, so the conflicting ones are a suffix.
  while (!entries_.empty() &&
         (entries_.back().epoch >= entry.epoch || entries_.back().start_offset >= entry.start_offset)) {
    entries_.pop_back();
  }
  entries_.push_back(entry);
  return true;
}

Status LeaderEpochCache::assign(int32_t epoch, int64_t start_offset) {
  EpochEntry entry{epoch, start_offset};
  if (!is_valid(entry)) return invalid_entry(entry);
  if (!assign_in_memory(entry)) return {};
  return flush();
}

Status LeaderEpochCache::assign(const std::vector<EpochEntry>& entries) {
  for (const EpochEntry& entry : entries) {
    if (!is_valid(entry)) return invalid_entry(entry);
    assign_in_memory(entry);
  }
  if (entries.empty()) return {};
  return flush();
}

std::optional<EpochEntry> LeaderEpochCache::latest_entry() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.back();
}

std::optional<int32_t> LeaderEpochCache::latest_epoch() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.back().epoch;
}

std::optional<EpochEntry> LeaderEpochCache::earliest_entry() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.front();
}

std::optional<int32_t> LeaderEpochCache::previous_epoch() const {
  if (entries_.size() < 2) return std::nullopt;
  return entries_[entries_.size() - 2].epoch;
}

std::optional<EpochEntry> LeaderEpochCache::previous_entry(int32_t epoch) const {
  // The last entry whose epoch is below epoch.
  auto it = std::lower_bound(entries_.begin(), entries_.end(), epoch,
                             [](const EpochEntry& e, int32_t value) { return e.epoch < value; });
  if (it == entries_.begin()) return std::nullopt;
  return *std::prev(it);
}

std::optional<int32_t> LeaderEpochCache::previous_epoch(int32_t epoch) const {
  auto entry = previous_entry(epoch);
  if (!entry) return std::nullopt;
  return entry->epoch;
}

std::optional<int32_t> LeaderEpochCache::next_epoch(int32_t epoch) const {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), epoch,
                             [](int32_t value, const EpochEntry& e) { return value < e.epoch; });
  if (it == entries_.end()) return std::nullopt;
  return it->epoch;
}

std::optional<EpochEntry> LeaderEpochCache::epoch_entry(int32_t epoch) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), epoch,
                             [](const EpochEntry& e, int32_t value) { return e.epoch < value; });
  if (it == entries_.end() || it->epoch != epoch) return std::nullopt;
  return *it;
}

std::optional<int32_t> LeaderEpochCache::epoch_for_offset(int64_t offset) const {
  std::optional<int32_t> previous;
  for (const EpochEntry& entry : entries_) {
    if (entry.start_offset == offset) return entry.epoch;
    if (entry.start_offset > offset) return previous;
    previous = entry.epoch;
  }
  return previous;
}

std::pair<int32_t, int64_t> LeaderEpochCache::end_offset_for(int32_t requested_epoch,
                                                              int64_t log_end_offset) const {
  constexpr std::pair<int32_t, int64_t> kUndefined{kUndefinedEpoch, kUndefinedEpochOffset};
  if (requested_epoch == kUndefinedEpoch) return kUndefined;
  if (!entries_.empty() && entries_.back().epoch == requested_epoch) {
    // The latest epoch is still being written: it ends at the log end.
    return {requested_epoch, log_end_offset};
  }
  // The first entry with a greater epoch; its start ends the requested epoch.
  auto higher = std::upper_bound(entries_.begin(), entries_.end(), requested_epoch,
                                 [](int32_t value, const EpochEntry& e) { return value < e.epoch; });
  if (higher == entries_.end()) return kUndefined;
  if (higher == entries_.begin()) {
    // Older than anything known (the history was truncated): answer with the requested epoch
    // and the start of the first known one.
    return {requested_epoch, higher->start_offset};
  }
  return {std::prev(higher)->epoch, higher->start_offset};
}

bool LeaderEpochCache::truncate_end_of(std::vector<EpochEntry>& entries, int64_t end_offset) {
  if (end_offset < 0) return false;
  bool removed = false;
  while (!entries.empty() && entries.back().start_offset >= end_offset) {
    entries.pop_back();
    removed = true;
  }
  return removed;
}

bool LeaderEpochCache::truncate_start_of(std::vector<EpochEntry>& entries, int64_t start_offset) {
  auto first_after = std::find_if(entries.begin(), entries.end(),
                                  [&](const EpochEntry& e) { return e.start_offset > start_offset; });
  if (first_after == entries.begin()) return false;
  // Already starting there: nothing to change (Kafka rewrites the checkpoint anyway; skipping
  // that saves two fsyncs on every log open).
  if (std::prev(first_after) == entries.begin() && entries.front().start_offset == start_offset) return false;
  // Keep the epoch start_offset falls in, now starting at start_offset.
  EpochEntry kept{std::prev(first_after)->epoch, start_offset};
  auto last_removed = entries.erase(entries.begin(), std::prev(first_after));
  *last_removed = kept;
  return true;
}

Status LeaderEpochCache::truncate_from_end(int64_t end_offset) {
  return truncate_end_of(entries_, end_offset) ? flush() : Status();
}

Status LeaderEpochCache::truncate_from_start(int64_t start_offset) {
  return truncate_start_of(entries_, start_offset) ? flush() : Status();
}

std::vector<EpochEntry> LeaderEpochCache::epoch_entries_in_range(int64_t start_offset,
                                                                 int64_t end_offset) const {
  std::vector<EpochEntry> copy = entries_;
  if (start_offset >= 0) truncate_start_of(copy, start_offset);
  truncate_end_of(copy, end_offset);
  return copy;
}

Status LeaderEpochCache::clear_and_flush() {
  entries_.clear();
  return flush();
}

Status LeaderEpochCache::flush() const {
  return write_leader_epoch_checkpoint(*fs_, path_, entries_);
}

void LeaderEpochCache::set_partition_dir(std::string partition_dir) {
  path_ = join_path(partition_dir, std::string(kLeaderEpochCheckpointFile));
}

}  // namespace gregor::storage
