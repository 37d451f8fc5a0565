// The log as the Raft core sees it: batches with offsets and epochs above an optional snapshot,
// and the leader-epoch cache derived from them. An in-memory model; the driver mirrors every
// change (Ready::log_ops) onto the durable metadata log.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "raft/types.h"

namespace gregor::raft {

// What a leader concludes from a follower's fetch position (Kafka's ValidOffsetAndEpoch).
struct FetchPosition {
  enum class Kind { valid, diverging, snapshot };
  Kind kind = Kind::valid;
  OffsetAndEpoch at;  // diverging: the leader's end of that epoch; snapshot: the snapshot to fetch
};

class RaftLog {
 public:
  int64_t start_offset() const { return snapshot_ ? snapshot_->offset : 0; }
  int64_t end_offset() const { return batches_.empty() ? start_offset() : batches_.back().end_offset(); }
  // The epoch of the last record, from the snapshot when the log above it is empty; 0 when empty.
  int32_t last_epoch() const;
  OffsetAndEpoch end_offset_and_epoch() const { return {end_offset(), last_epoch()}; }
  const std::optional<SnapshotId>& snapshot() const { return snapshot_; }
  const std::deque<Batch>& batches() const { return batches_; }

  // The batch holding offset, or null.
  const Batch* batch_at(int64_t offset) const;

  // b.base_offset must be end_offset() and its epoch at least last_epoch().
  void append(Batch b);
  // Drops every batch at or above offset; offset must be a batch boundary no lower than the start.
  void truncate_to(int64_t offset);
  // Replaces everything with an empty log that starts at the snapshot.
  void install_snapshot(SnapshotId id);
  // Forgets the batches the snapshot covers (its end offset must be a batch boundary).
  void delete_below(SnapshotId id);

  // Kafka's endOffsetForEpoch: the largest epoch not above `epoch` that the log knows, and the
  // offset where it ends (the start of the next epoch, or the log end offset).
  OffsetAndEpoch end_offset_for_epoch(int32_t epoch) const;
  // Kafka's validateOffsetAndEpoch, for a follower fetching at (offset, last fetched epoch).
  FetchPosition validate(int64_t offset, int32_t epoch) const;
  // Whole batches from the one starting at offset, at least one and then up to max_bytes of
  // record payload.
  std::vector<Batch> read(int64_t offset, int32_t max_bytes) const;

 private:
  std::optional<SnapshotId> snapshot_;
  std::deque<Batch> batches_;
};

}  // namespace gregor::raft
