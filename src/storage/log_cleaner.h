// Log compaction for cleanup.policy=compact (and compact,delete): Kafka's LogCleaner, Cleaner and
// LogCleanerManager. A cleaning pass keeps, for every key, only the record with the latest
// offset, and drops tombstones (null values) once delete.retention.ms has passed since a pass
// first saw them. Offsets never change: consumers and followers read a cleaned log with gaps.
//
// One pass over a log (clean_log / LogCleaner::clean), as Kafka's Cleaner.doClean:
//
//   1. The cleanable range. The dirty section starts at the cleaner checkpoint (the first offset
//      not yet cleaned, which the caller keeps in cleaner-offset-checkpoint) and ends at the
//      first uncleanable offset: the smallest of the high watermark (Kafka's last stable
//      offset), the caller's first unstable offset, the active segment's base, the base of the
//      first dirty segment holding a record newer than now - min.compaction.lag.ms, and, a
//      Gregor rule, the end of the last segment below the recovery point (a segment is only
//      rewritten once it is synced whole, which recovery relies on).
//   2. A header scan from the log start up to there, standing in for what Kafka reads from its
//      transaction indexes and producer state (see "Transactions and producers" below).
//   3. The offset map: key -> latest offset over the dirty section, in a hash table bounded by
//      dedupe_buffer_size (log.cleaner.dedupe.buffer.size, 24 bytes a key as Kafka's
//      SkimpyOffsetMap); when it fills, the pass ends where the map stopped and the next pass
//      goes on from there.
//   4. The rewrite: every segment from the log start up to the map's end, grouped as Kafka
//      groups them (a group's segments total at most segment.bytes, its index entries fit
//      segment.index.bytes, its offsets fit 32-bit relative offsets), each group into one
//      cleaned segment that replaces the group (Log::replace_segments, crash-safe). Records are
//      kept when no later record of the same key is in the map and, for tombstones, while
//      their batch's delete horizon is unset or not yet reached. Records without a key are
//      dropped (Kafka counts them as invalid). Records past the map's end are all kept.
//   5. The result: the new first dirty offset (the map's end), for the caller to checkpoint.
//
// Batches, as Kafka's MemoryRecords.filterTo:
//   - a batch whose records all stay, and that needs no delete horizon, is copied byte for byte;
//   - otherwise it is rebuilt with the kept records at their own offsets (offset deltas keep
//     their gaps) and the original base offset, last offset delta (so the batch still covers
//     its whole offset range and the producer's last sequence survives), partition leader
//     epoch, producer id / epoch / base sequence, transactional and control flags, timestamp
//     type (LogAppendTime records keep the batch's append time) and compression codec;
//   - a batch with tombstones (or a marker of a transaction with nothing left) and no delete
//     horizon yet is rebuilt with the delete-horizon flag and baseTimestamp = now +
//     delete.retention.ms (KIP-534); a later pass past that time drops those tombstones;
//   - a batch left with no records goes, unless it must stay (the last batch of its group, see
//     below, or the last batch of an active producer): then it stays as Kafka writes it, a
//     61-byte header with recordCount 0, codec none and baseTimestamp -1.
//
// The last batch of every group is always kept (empty if need be), so a cleaned segment ends
// exactly where the segments it replaces did, as Log::replace_segments requires; Kafka keeps
// only the last batch of the whole pass.
//
// Transactions and producers. Gregor has no transaction index yet, so the header scan (step 2)
// derives transactions from the log itself, and the active producers too unless the caller
// passes them (the log manager passes the log's producer state, producer_state.h):
//   - aborted transactions: from each producer's first transactional batch to its abort
//     marker; their batches are discarded and never enter the offset map (as Kafka's
//     CleanedTransactionMetadata with the aborted-transaction index);
//   - a transaction with no marker in the scanned segments is treated as open: cleaning stops
//     before its first offset (a conservative last stable offset, also when its marker lies in
//     the uncleanable part of the log);
//   - markers: an abort marker stays while batches of its transaction remain, a commit marker
//     while batches of its transaction were seen in this pass; then it gets a delete horizon
//     and goes once that passes (as Kafka);
//   - active producers: each producer's last batch in the scanned range, unless its last
//     timestamp is older than producer_id_expiration_ms and it has no open transaction; that
//     batch is kept (empty if need be) so its sequence and epoch survive. A producer whose
//     newer batches lie in the uncleanable part keeps one batch more than in Kafka. The log
//     manager passes the log's producer state as active_producers instead, as Kafka does.
// Missing: a transaction index in cleaned segments (there is none anywhere yet), and aborted
// transactions whose marker lies beyond the scanned segments count as open, not aborted.
//
// Threads. A pass is a CleaningPass run in steps. The owner's steps (planning with cleanable(),
// the segment list, creating each cleaned segment, and each swap with Log::replace_segments)
// touch the Log and run on its owner's thread. The background steps (the header scan and offset
// map; reading a group and writing and syncing its cleaned segment) read segments only through
// their files (File::read_at, safe on any thread) and write only the cleaned segment, which
// nobody else sees until the swap, so they run on a cleaner thread while the owner keeps
// appending. Before each swap the owner checks that the group's segments are still the very
// files the pass read (same File objects, same sizes); retention or truncation in between
// aborts the pass. LogCleaner::clean and clean_log run every step on the caller's thread, which
// must be the log's owner; the log manager hands the background steps to its cleaner thread.
//
// Cleanup policies. compact,delete: the log manager's retention (Log::apply_retention) still
// deletes old segments; compaction additionally runs. compact alone: retention only removes
// segments below the log start offset. clean_log refuses a log whose policy has no compact.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <map>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "storage/log.h"

namespace gregor::storage {

// Kafka's LastRecord: what the producer-state manager knows of an active producer's last write.
struct ProducerLastRecord {
  std::optional<int64_t> last_data_offset;  // last offset of its last data batch, if it has one
  int16_t producer_epoch = -1;
};

struct CleanerOptions {
  // The cleaner checkpoint: where the dirty section starts. nullopt: the log start (a log never
  // cleaned). A checkpoint outside [log start, log end] restarts from the log start.
  std::optional<int64_t> first_dirty_offset;
  // The first offset of a transaction still open, when the caller knows it (the log's first
  // unstable offset); cleaning stops before it. The header scan finds open transactions too.
  std::optional<int64_t> first_unstable_offset;
  // log.cleaner.dedupe.buffer.size / log.cleaner.threads: memory for the offset map. A pass
  // allocates only what its dirty section needs, up to this.
  size_t dedupe_buffer_size = 128u << 20;
  double dedupe_buffer_load_factor = 0.9;  // log.cleaner.io.buffer.load.factor, in (0, 1]
  size_t io_buffer_size = 512u << 10;      // log.cleaner.io.buffer.size: read and write unit
  int64_t producer_id_expiration_ms = 86'400'000;  // producer.id.expiration.ms
  // log.cleaner.io.max.bytes.per.second: bytes read and written by the background steps.
  double io_max_bytes_per_second = std::numeric_limits<double>::max();
  // Kafka's lastRecordsOfActiveProducers; nullopt: derived from the log (see above).
  std::optional<std::map<int64_t, ProducerLastRecord>> active_producers;
};

// What LogCleanerManager computes to pick a log (cleanableOffsets, LogToClean, maxCompactionDelay).
struct CleanableRange {
  int64_t first_dirty_offset = 0;        // the checkpoint, or the log start when it was invalid
  bool checkpoint_reset = false;         // it was invalid: the caller should store the new one
  // Cleaning stops before this (>= first_dirty_offset); a pass may stop earlier, before a
  // transaction without marker it finds.
  int64_t first_uncleanable_offset = 0;
  uint64_t clean_bytes = 0;              // segments before the first dirty offset
  uint64_t cleanable_bytes = 0;          // whole segments from there to the first uncleanable one
  uint64_t total_bytes = 0;              // clean + cleanable
  double cleanable_ratio = 0;            // cleanable / total (0 for an empty log)
  // How long ago max.compaction.lag.ms passed for the oldest dirty batch; 0 when it has not.
  int64_t max_compaction_delay_ms = 0;
  // Whether the log needs a pass: it is not empty, and its ratio exceeds
  // min.cleanable.dirty.ratio or max.compaction.lag.ms has passed with cleanable bytes left.
  bool should_clean = false;
};

struct CleanResult {
  int64_t first_dirty_offset = 0;        // the new cleaner checkpoint
  int64_t first_uncleanable_offset = 0;  // where this pass had to stop at most
  int groups = 0;                        // cleaned segments swapped in
  int segments_replaced = 0;
  int64_t map_records = 0;   // records of the dirty section read into the offset map
  size_t map_entries = 0;
  double map_utilization = 0;  // entries / slots
  uint64_t bytes_read = 0;     // of the segments rewritten
  uint64_t bytes_written = 0;
  int64_t records_read = 0;
  int64_t records_retained = 0;
  int64_t invalid_records = 0;  // records without a key, dropped
  int64_t batches_rebuilt = 0;
  int64_t batches_copied = 0;
  int64_t batches_emptied = 0;  // kept as a header without records
  int64_t batches_removed = 0;
};

// Kafka's SkimpyOffsetMap: an open-addressing table of 128-bit key hashes (XXH3, seeded afresh
// on every reset) and offsets, 24 bytes a slot, never deleting. A hash collision would drop a
// record, as in Kafka with MD5.
class OffsetMap {
 public:
  static constexpr size_t kBytesPerEntry = 24;

  // Empties the map and sizes it: at most memory_bytes, fewer slots when expected_keys at the
  // load factor need less. The map is full at slots * load_factor entries.
  Status reset(size_t memory_bytes, uint64_t expected_keys, double load_factor);
  void put(BytesView key, int64_t offset);
  // The offset stored for key, or -1.
  int64_t get(BytesView key) const;
  size_t slots() const { return table_.size(); }
  size_t size() const { return entries_; }
  bool full() const { return entries_ >= max_entries_; }
  // The latest offset put or declared mapped (the dirty section is clean up to here).
  int64_t latest_offset() const { return latest_; }
  void update_latest_offset(int64_t offset) { latest_ = offset; }
  double utilization() const { return table_.empty() ? 0 : static_cast<double>(entries_) / table_.size(); }

 private:
  struct Slot {
    uint64_t low;
    uint64_t high;
    int64_t offset;  // -1: empty
  };
  std::vector<Slot> table_;
  size_t entries_ = 0;
  size_t max_entries_ = 0;
  int64_t latest_ = -1;
  uint64_t seed_ = 0;
};

// The range a pass over the log would clean and whether the log is due one. Runs on the owner's
// thread: with min.compaction.lag.ms set it learns the dirty segments' largest timestamps, as
// retention does, and with max.compaction.lag.ms set it reads each dirty segment's first batch
// header.
StatusOr<CleanableRange> cleanable(Log& log, std::optional<int64_t> first_dirty_offset, int64_t now_ms,
                                   std::optional<int64_t> first_unstable_offset = std::nullopt);

// One pass over one log, in steps (see Threads above). Drive it with
//   while (!pass.done()) background_next() ? run_background_step() : run_owner_step();
// and call abandon() on the owner's thread when a step fails or the pass is given up.
class CleaningPass {
 public:
  // On the owner's thread: plans the pass. The offset map and scratch buffer must outlive it.
  static StatusOr<std::unique_ptr<CleaningPass>> start(Log& log, const CleanerOptions& options, int64_t now_ms,
                                                       OffsetMap& map, Bytes& scratch);
  ~CleaningPass();

  bool done() const;
  // Whether the next step is a background one (any thread) rather than the owner's.
  bool background_next() const;
  // Any thread, one at a time: the header scan and offset map, or one group's cleaned segment.
  Status run_background_step();
  // The owner's thread: swaps in the segment just written, then creates the next group's.
  Status run_owner_step();
  // Any thread: a running background step stops at its next batch, later steps fail at once.
  void cancel();
  bool cancelled() const;
  // The owner's thread, once no step runs: removes the cleaned segment in progress, if any.
  void abandon();
  // Complete once done() without error.
  const CleanResult& result() const;

  class Impl;

 private:
  explicit CleaningPass(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A cleaner (one of Kafka's cleaner threads): keeps its offset map between passes.
class LogCleaner {
 public:
  // A pass using this cleaner's offset map; one at a time.
  StatusOr<std::unique_ptr<CleaningPass>> start(Log& log, const CleanerOptions& options, int64_t now_ms);
  // One pass over log (see the top of this file), every step on the caller's thread; cleans
  // whatever the range allows, whether or not cleanable() says the log is due. On failure the
  // caller keeps its old checkpoint; groups already swapped in stay (cleaning them again is
  // harmless).
  StatusOr<CleanResult> clean(Log& log, const CleanerOptions& options, int64_t now_ms);
  const OffsetMap& offset_map() const { return map_; }

 private:
  OffsetMap map_;
  Bytes scratch_;
};

// One pass with a cleaner of its own.
StatusOr<CleanResult> clean_log(Log& log, const CleanerOptions& options, int64_t now_ms);

}  // namespace gregor::storage
