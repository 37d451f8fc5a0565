#include "raft/raft_log.h"

#include <algorithm>
#include <cassert>

namespace gregor::raft {

int32_t RaftLog::last_epoch() const {
  if (!batches_.empty()) return batches_.back().epoch;
  return snapshot_ ? snapshot_->epoch : 0;
}

const Batch* RaftLog::batch_at(int64_t offset) const {
  auto it = std::upper_bound(batches_.begin(), batches_.end(), offset,
                             [](int64_t o, const Batch& b) { return o < b.base_offset; });
  if (it == batches_.begin()) return nullptr;
  --it;
  return offset < it->end_offset() ? &*it : nullptr;
}

void RaftLog::append(Batch b) {
  assert(b.base_offset == end_offset() && b.epoch >= last_epoch() && !b.records.empty());
  batches_.push_back(std::move(b));
}

void RaftLog::truncate_to(int64_t offset) {
  assert(offset >= start_offset());
  while (!batches_.empty() && batches_.back().base_offset >= offset) batches_.pop_back();
  assert(end_offset() == offset || offset > end_offset());
}

void RaftLog::install_snapshot(SnapshotId id) {
  batches_.clear();
  snapshot_ = id;
}

void RaftLog::delete_below(SnapshotId id) {
  if (snapshot_ && id.offset <= snapshot_->offset) return;
  while (!batches_.empty() && batches_.front().end_offset() <= id.offset) batches_.pop_front();
  assert(batches_.empty() || batches_.front().base_offset == id.offset);
  snapshot_ = id;
}

OffsetAndEpoch RaftLog::end_offset_for_epoch(int32_t epoch) const {
  if (epoch >= last_epoch()) return {end_offset(), last_epoch()};
  // Walk the epochs from the newest: the answer ends where the first newer epoch begins.
  int64_t next_start = end_offset();
  for (auto it = batches_.rbegin(); it != batches_.rend(); ++it) {
    if (it->epoch <= epoch) return {next_start, it->epoch};
    next_start = it->base_offset;
  }
  if (snapshot_ && snapshot_->epoch <= epoch) return {next_start, snapshot_->epoch};
  // Older than anything the log holds: nothing of that epoch survives here.
  return {start_offset(), epoch};
}

FetchPosition RaftLog::validate(int64_t offset, int32_t epoch) const {
  if (snapshot_ && (offset < snapshot_->offset || (offset == snapshot_->offset && epoch != snapshot_->epoch) ||
                    epoch < snapshot_->epoch))
    return {FetchPosition::Kind::snapshot, *snapshot_};
  OffsetAndEpoch end = end_offset_for_epoch(epoch);
  if (end.epoch != epoch || end.offset < offset) return {FetchPosition::Kind::diverging, end};
  return {FetchPosition::Kind::valid, {offset, epoch}};
}

std::vector<Batch> RaftLog::read(int64_t offset, int32_t max_bytes) const {
  std::vector<Batch> out;
  auto it = std::upper_bound(batches_.begin(), batches_.end(), offset,
                             [](int64_t o, const Batch& b) { return o < b.base_offset; });
  if (it != batches_.begin() && std::prev(it)->end_offset() > offset) --it;
  int64_t bytes = 0;
  for (; it != batches_.end(); ++it) {
    for (const auto& r : it->records) bytes += static_cast<int64_t>(r.size());
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(*it);
  }
  return out;
}

}  // namespace gregor::raft
