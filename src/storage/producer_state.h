// A partition's producer state, as Kafka's ProducerStateManager keeps it: for each producer id
// that wrote to the partition, its epoch and the metadata of its last few batches, which is
// what idempotent produce needs to fence old epochs, find gaps in the sequence and answer a
// retried batch with the offsets it already has instead of writing it twice.
//
// Checks on a leader append of a batch with a producer id (Kafka's ProducerAppendInfo for a
// client append), in this order:
//   - the same epoch and the same sequence range as one of the last kBatchesToRetain batches:
//     a duplicate, answered with that batch's offsets and not appended again;
//   - an epoch older than the producer's ............................ INVALID_PRODUCER_EPOCH
//   - a new epoch that does not start at sequence 0, or the same epoch with a first sequence
//     other than the last one + 1 (wrapping from INT32_MAX to 0) ..... OUT_OF_ORDER_SEQUENCE_NUMBER
//     A producer the partition does not know (never seen, expired, or whose state went with
//     the records) may start at any sequence, as in Kafka since KIP-360: UNKNOWN_PRODUCER_ID is
//     no longer returned.
//   - a non-transactional batch while the producer's transaction is open ... INVALID_TXN_STATE
// Replicated and recovered batches only update the state.
//
// Snapshots. `<offset, 20 digits>.snapshot` in the partition directory holds the state of every
// producer for the records below offset, in Kafka's format (version 1, read by Kafka's tools):
//
//   version: int16 (1) | crc: uint32, CRC-32C of everything after it | count: int32 | entries
//   entry: producer id int64 | epoch int16 | last sequence int32 | last offset int64 |
//          offset delta int32 (last offset - first offset of the last batch) | timestamp int64 |
//          coordinator epoch int32 | current transaction first offset int64 (-1: none)
//
// Only each producer's last batch is in a snapshot, as in Kafka. The log writes one when a
// segment rolls (at the new segment's base) and when it closes (at the log end), and rebuilds
// the rest from its batches on open (see log.h and docs/storage.md). Writes are atomic (a .tmp
// renamed into place) and durable; a snapshot that fails to decode is deleted and an older one
// used.
//
// Not thread-safe: the partition's owner uses it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "storage/file_system.h"

namespace gregor::storage {

inline constexpr int64_t kNoProducerId = -1;
inline constexpr int16_t kNoProducerEpoch = -1;
inline constexpr int32_t kNoSequence = -1;
// How many batches of each producer are remembered for duplicate detection: the most a client
// keeps in flight per partition (max.in.flight.requests.per.connection with idempotence).
inline constexpr int kBatchesToRetain = 5;
inline constexpr int16_t kProducerSnapshotVersion = 1;

// Sequence numbers wrap from INT32_MAX to 0.
int32_t increment_sequence(int32_t sequence, int32_t increment);
int32_t decrement_sequence(int32_t sequence, int32_t decrement);

struct BatchMetadata {
  int32_t last_seq = kNoSequence;
  int64_t last_offset = -1;
  int32_t offset_delta = 0;  // last offset - first offset
  int64_t timestamp = -1;    // the batch's max timestamp

  int32_t first_seq() const { return decrement_sequence(last_seq, offset_delta); }
  // Wrapping: a damaged snapshot may hold any values.
  int64_t first_offset() const {
    return static_cast<int64_t>(static_cast<uint64_t>(last_offset) - static_cast<uint64_t>(int64_t{offset_delta}));
  }
  friend bool operator==(const BatchMetadata&, const BatchMetadata&) = default;
};

// What producer state reads from a v2 batch header.
struct ProducerBatch {
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
  int32_t base_sequence = kNoSequence;
  int32_t last_offset_delta = 0;
  int64_t base_offset = 0;
  int64_t max_timestamp = -1;
  bool transactional = false;
  bool control = false;

  // From the 61 header bytes of a magic 2 batch.
  static ProducerBatch from_header(const uint8_t* header);
  int32_t last_sequence() const { return increment_sequence(base_sequence, last_offset_delta); }
  int64_t last_offset() const { return base_offset + last_offset_delta; }
};

// The end-transaction marker's coordinator epoch of a control batch (whole batch bytes), or
// nullopt when it holds no marker (an empty batch, as compaction leaves, or another type).
std::optional<int32_t> end_txn_coordinator_epoch(BytesView batch);

class ProducerStateEntry {
 public:
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
  int32_t coordinator_epoch = -1;
  int64_t last_timestamp = -1;
  int64_t current_txn_first_offset = -1;  // the open transaction's first offset; -1: none

  bool empty() const { return count_ == 0; }
  int size() const { return count_; }
  // Oldest first.
  const BatchMetadata& batch(int i) const { return batches_[(start_ + i) % kBatchesToRetain]; }
  const BatchMetadata& last_batch() const { return batch(count_ - 1); }
  int32_t last_seq() const { return empty() ? kNoSequence : last_batch().last_seq; }
  int64_t last_data_offset() const { return empty() ? -1 : last_batch().last_offset; }
  int32_t last_offset_delta() const { return empty() ? 0 : last_batch().offset_delta; }

  // The remembered batch with exactly this sequence range, if any.
  const BatchMetadata* find_batch(int32_t first_seq, int32_t last_seq) const;
  // A new epoch forgets the batches of the old one.
  void update_epoch(int16_t epoch);
  void add_batch(int16_t epoch, const BatchMetadata& batch);

 private:
  std::array<BatchMetadata, kBatchesToRetain> batches_{};
  uint8_t start_ = 0;
  uint8_t count_ = 0;
};

// One producer as a snapshot stores it.
struct ProducerSnapshotEntry {
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
  int32_t last_sequence = kNoSequence;
  int64_t last_offset = -1;
  int32_t offset_delta = 0;
  int64_t timestamp = -1;
  int32_t coordinator_epoch = -1;
  int64_t current_txn_first_offset = -1;
  friend bool operator==(const ProducerSnapshotEntry&, const ProducerSnapshotEntry&) = default;
};

Bytes encode_producer_snapshot(const std::vector<ProducerSnapshotEntry>& entries);
// Fails (corrupt_message, Kafka's one-line messages, in its order: the schema, then the
// version, then the CRC) on a file too short for its header or its count of entries, a negative
// count, another version, or a CRC mismatch; bytes after the entries are covered by the CRC and
// otherwise ignored, as in Kafka.
StatusOr<std::vector<ProducerSnapshotEntry>> decode_producer_snapshot(BytesView bytes);
// "00000000000000000042.snapshot", and back (nullopt for any other name).
std::string producer_snapshot_file_name(int64_t offset);
std::optional<int64_t> producer_snapshot_offset(const std::string& name);

class ProducerStateManager {
 public:
  ProducerStateManager(FileSystem& fs, std::string dir, std::string partition, int64_t expiration_ms);

  // Checks a leader append of batch (offsets assigned). nullopt: append it, then update();
  // a value: a duplicate of that batch, which must not be appended; otherwise the error.
  StatusOr<std::optional<BatchMetadata>> check_append(const ProducerBatch& batch) const;
  // Records an appended batch (leader, follower or recovery); coordinator_epoch is the marker's
  // for a control batch.
  void update(const ProducerBatch& batch, std::optional<int32_t> coordinator_epoch = std::nullopt);

  const ProducerStateEntry* find(int64_t producer_id) const;
  const std::unordered_map<int64_t, ProducerStateEntry>& producers() const { return producers_; }
  std::vector<ProducerSnapshotEntry> snapshot_entries() const;  // sorted by producer id
  void set_expiration_ms(int64_t ms) { expiration_ms_ = ms; }

  // Forgets producers idle for producer.id.expiration.ms with no open transaction.
  void remove_expired(int64_t now_ms);
  void clear() { producers_.clear(); }

  // ---- snapshot files ----
  // Learns which snapshot files the directory holds.
  Status list_snapshots();
  const std::set<int64_t>& snapshot_offsets() const { return snapshots_; }
  // Writes the current state as the snapshot at offset (durably), unless one is there already.
  Status take_snapshot(int64_t offset);
  // Replaces the state with the latest snapshot at or below max_offset, leaving out producers
  // expired at now_ms; snapshots that fail to decode are deleted. Returns its offset, or nullopt
  // (empty state) when there is none.
  StatusOr<std::optional<int64_t>> load_latest(int64_t max_offset, int64_t now_ms);
  // Deletes the snapshots above offset; with sync, durably (a truncation's must not come back).
  Status remove_snapshots_above(int64_t offset, bool sync);
  // Deletes the snapshots below offset (their segments are gone).
  Status remove_snapshots_below(int64_t offset);
  // Deletes the snapshots at no segment base (segment_bases sorted), except the latest when
  // above every base (the clean-shutdown one), as Kafka's removeStraySnapshots.
  Status remove_stray_snapshots(const std::vector<int64_t>& segment_bases);
  Status remove_all_snapshots();

 private:
  Status remove_snapshot(int64_t offset);

  FileSystem& fs_;
  std::string dir_;
  std::string partition_;  // for messages
  int64_t expiration_ms_;
  std::unordered_map<int64_t, ProducerStateEntry> producers_;
  std::set<int64_t> snapshots_;
};

}  // namespace gregor::storage
