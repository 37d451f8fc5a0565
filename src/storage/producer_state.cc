#include "storage/producer_state.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cinttypes>
#include <limits>

#include "common/endian.h"
#include "record/control_record.h"
#include "record/crc32c.h"
#include "record/record.h"
#include "record/record_batch.h"

namespace gregor::storage {

namespace v2 = record::v2;

namespace {

constexpr size_t kCrcOffset = 2;
constexpr size_t kEntriesOffset = 6;  // the CRC covers the count and the entries
constexpr size_t kEntrySize = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;
constexpr std::string_view kSnapshotSuffix = ".snapshot";

Status corrupt_snapshot(std::string why) { return Status(ErrorCode::corrupt_message, std::move(why)); }

// Kafka's isProducerExpired; timestamps come from clients, so the difference saturates.
bool expired(int64_t now_ms, int64_t last_timestamp, int64_t current_txn_first_offset, int64_t expiration_ms) {
  int64_t idle = 0;
  if (__builtin_sub_overflow(now_ms, last_timestamp, &idle)) idle = last_timestamp < 0 ? INT64_MAX : INT64_MIN;
  return current_txn_first_offset < 0 && idle >= expiration_ms;
}

}  // namespace

// Kafka's DefaultRecordBatch.incrementSequence and decrementSequence, in 64 bits: the operands
// may come from damaged files, and must not overflow.
int32_t increment_sequence(int32_t sequence, int32_t increment) {
  const int64_t s = sequence, i = increment, max = std::numeric_limits<int32_t>::max();
  return static_cast<int32_t>(s > max - i ? i - (max - s) - 1 : s + i);
}

int32_t decrement_sequence(int32_t sequence, int32_t decrement) {
  const int64_t s = sequence, d = decrement, max = std::numeric_limits<int32_t>::max();
  return static_cast<int32_t>(s < d ? max - (d - s) + 1 : s - d);
}

ProducerBatch ProducerBatch::from_header(const uint8_t* header) {
  ProducerBatch b;
  b.base_offset = load_be<int64_t>(header + v2::kBaseOffset);
  int16_t attributes = load_be<int16_t>(header + v2::kAttributes);
  b.last_offset_delta = load_be<int32_t>(header + v2::kLastOffsetDelta);
  b.max_timestamp = load_be<int64_t>(header + v2::kMaxTimestamp);
  b.producer_id = load_be<int64_t>(header + v2::kProducerId);
  b.producer_epoch = load_be<int16_t>(header + v2::kProducerEpoch);
  b.base_sequence = load_be<int32_t>(header + v2::kBaseSequence);
  b.transactional = attributes & v2::kTransactionalFlag;
  b.control = attributes & v2::kControlFlag;
  return b;
}

std::optional<int32_t> end_txn_coordinator_epoch(BytesView batch) {
  auto view = record::RecordBatchView::parse(batch);
  if (!view.ok() || view->record_count() <= 0) return std::nullopt;
  // A marker batch holds one small record: no decompression buffer worth the name.
  record::RecordReader reader(1 << 20);
  if (reader.open(*view)) return std::nullopt;
  record::Record r;
  if (!reader.next(r) || !r.key || !r.value) return std::nullopt;
  auto marker = record::parse_end_txn_marker(*r.key, *r.value);
  if (!marker.ok()) return std::nullopt;
  return marker->coordinator_epoch;
}

// ---- ProducerStateEntry ----

const BatchMetadata* ProducerStateEntry::find_batch(int32_t first_seq, int32_t last_seq) const {
  for (int i = 0; i < count_; ++i) {
    const BatchMetadata& b = batch(i);
    if (b.first_seq() == first_seq && b.last_seq == last_seq) return &b;
  }
  return nullptr;
}

void ProducerStateEntry::update_epoch(int16_t epoch) {
  if (producer_epoch == epoch) return;
  producer_epoch = epoch;
  start_ = 0;
  count_ = 0;
}

void ProducerStateEntry::add_batch(int16_t epoch, const BatchMetadata& b) {
  update_epoch(epoch);
  if (count_ == kBatchesToRetain) {
    start_ = static_cast<uint8_t>((start_ + 1) % kBatchesToRetain);
    --count_;
  }
  batches_[(start_ + count_) % kBatchesToRetain] = b;
  ++count_;
  last_timestamp = b.timestamp;
}

// ---- snapshots ----

Bytes encode_producer_snapshot(const std::vector<ProducerSnapshotEntry>& entries) {
  Bytes out(kEntriesOffset + 4 + entries.size() * kEntrySize);
  uint8_t* p = out.data();
  store_be<int16_t>(p, kProducerSnapshotVersion);
  store_be<int32_t>(p + kEntriesOffset, static_cast<int32_t>(entries.size()));
  p += kEntriesOffset + 4;
  for (const ProducerSnapshotEntry& e : entries) {
    store_be<int64_t>(p, e.producer_id);
    store_be<int16_t>(p + 8, e.producer_epoch);
    store_be<int32_t>(p + 10, e.last_sequence);
    store_be<int64_t>(p + 14, e.last_offset);
    store_be<int32_t>(p + 22, e.offset_delta);
    store_be<int64_t>(p + 26, e.timestamp);
    store_be<int32_t>(p + 34, e.coordinator_epoch);
    store_be<int64_t>(p + 38, e.current_txn_first_offset);
    p += kEntrySize;
  }
  uint32_t crc = record::crc32c(BytesView(out.data() + kEntriesOffset, out.size() - kEntriesOffset));
  store_be<uint32_t>(out.data() + kCrcOffset, crc);
  return out;
}

StatusOr<std::vector<ProducerSnapshotEntry>> decode_producer_snapshot(BytesView bytes) {
  if (bytes.size() < kEntriesOffset + 4) {
    return corrupt_snapshot("Snapshot failed schema validation: " + std::to_string(bytes.size()) +
                            " bytes, shorter than the header");
  }
  int32_t count = load_be<int32_t>(bytes.data() + kEntriesOffset);
  size_t available = (bytes.size() - kEntriesOffset - 4) / kEntrySize;
  if (count < 0 || static_cast<size_t>(count) > available) {
    return corrupt_snapshot("Snapshot failed schema validation: " + std::to_string(count) +
                            " producer entries, with room for " + std::to_string(available));
  }
  int16_t version = load_be<int16_t>(bytes.data());
  if (version != kProducerSnapshotVersion) {
    return corrupt_snapshot("Snapshot contained an unknown file version " + std::to_string(version));
  }
  uint32_t stored = load_be<uint32_t>(bytes.data() + kCrcOffset);
  uint32_t computed = record::crc32c(bytes.subview(kEntriesOffset, bytes.size() - kEntriesOffset));
  if (stored != computed) {
    return corrupt_snapshot("Snapshot is corrupt (CRC is no longer valid). Stored crc: " + std::to_string(stored) +
                            ". Computed crc: " + std::to_string(computed));
  }
  std::vector<ProducerSnapshotEntry> entries(static_cast<size_t>(count));
  const uint8_t* p = bytes.data() + kEntriesOffset + 4;
  for (ProducerSnapshotEntry& e : entries) {
    e.producer_id = load_be<int64_t>(p);
    e.producer_epoch = load_be<int16_t>(p + 8);
    e.last_sequence = load_be<int32_t>(p + 10);
    e.last_offset = load_be<int64_t>(p + 14);
    e.offset_delta = load_be<int32_t>(p + 22);
    e.timestamp = load_be<int64_t>(p + 26);
    e.coordinator_epoch = load_be<int32_t>(p + 34);
    e.current_txn_first_offset = load_be<int64_t>(p + 38);
    p += kEntrySize;
  }
  return entries;
}

std::string producer_snapshot_file_name(int64_t offset) {
  char name[32];
  std::snprintf(name, sizeof name, "%020" PRId64 ".snapshot", offset);
  return name;
}

std::optional<int64_t> producer_snapshot_offset(const std::string& name) {
  if (name.size() != 20 + kSnapshotSuffix.size() || name.compare(20, kSnapshotSuffix.size(), kSnapshotSuffix) != 0) {
    return std::nullopt;
  }
  int64_t value = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    if (value > (std::numeric_limits<int64_t>::max() - (name[i] - '0')) / 10) return std::nullopt;
    value = value * 10 + (name[i] - '0');
  }
  return value;
}

// ---- ProducerStateManager ----

ProducerStateManager::ProducerStateManager(FileSystem& fs, std::string dir, std::string partition,
                                           int64_t expiration_ms)
    : fs_(fs), dir_(std::move(dir)), partition_(std::move(partition)), expiration_ms_(expiration_ms) {}

const ProducerStateEntry* ProducerStateManager::find(int64_t producer_id) const {
  auto it = producers_.find(producer_id);
  return it == producers_.end() ? nullptr : &it->second;
}

StatusOr<std::optional<BatchMetadata>> ProducerStateManager::check_append(const ProducerBatch& b) const {
  using Result = std::optional<BatchMetadata>;
  const ProducerStateEntry* current = find(b.producer_id);
  if (!current) return Result();  // a producer this partition does not know may start anywhere
  const int64_t offset = b.base_offset;
  const int32_t first_seq = b.base_sequence;
  if (b.producer_epoch == current->producer_epoch) {
    // A retry of a batch already written: the client gets the offsets it had.
    if (const BatchMetadata* dup = current->find_batch(first_seq, b.last_sequence())) return Result(*dup);
  }
  if (b.producer_epoch < current->producer_epoch) {
    return Status(ErrorCode::invalid_producer_epoch,
                  "Epoch of producer " + std::to_string(b.producer_id) + " at offset " + std::to_string(offset) +
                      " in " + partition_ + " is " + std::to_string(b.producer_epoch) +
                      ", which is smaller than the last seen epoch " + std::to_string(current->producer_epoch));
  }
  if (b.producer_epoch != current->producer_epoch) {
    if (first_seq != 0 && current->producer_epoch != kNoProducerEpoch) {
      return Status(ErrorCode::out_of_order_sequence_number,
                    "Invalid sequence number for new epoch of producer " + std::to_string(b.producer_id) +
                        " at offset " + std::to_string(offset) + " in partition " + partition_ + ": " +
                        std::to_string(b.producer_epoch) + " (request epoch), " + std::to_string(first_seq) +
                        " (seq. number), " + std::to_string(current->producer_epoch) + " (current producer epoch)");
    }
  } else {
    const int32_t last_seq = current->last_seq();
    const bool in_sequence = int64_t{first_seq} == int64_t{last_seq} + 1 ||
                             (first_seq == 0 && last_seq == std::numeric_limits<int32_t>::max());
    // With no epoch known (the records went with retention or DeleteRecords), any sequence goes.
    if (current->producer_epoch != kNoProducerEpoch && !in_sequence) {
      return Status(ErrorCode::out_of_order_sequence_number,
                    "Out of order sequence number for producer " + std::to_string(b.producer_id) + " at offset " +
                        std::to_string(offset) + " in partition " + partition_ + ": " + std::to_string(first_seq) +
                        " (incoming seq. number), " + std::to_string(last_seq) + " (current end sequence number)");
    }
  }
  if (current->current_txn_first_offset >= 0 && !b.transactional) {
    return Status(ErrorCode::invalid_txn_state, "Expected transactional write from producer " +
                                                    std::to_string(b.producer_id) + " at offset " +
                                                    std::to_string(offset) + " in partition " + partition_);
  }
  return Result();
}

void ProducerStateManager::update(const ProducerBatch& b, std::optional<int32_t> coordinator_epoch) {
  auto [it, inserted] = producers_.try_emplace(b.producer_id);
  ProducerStateEntry& entry = it->second;
  if (inserted) entry.producer_id = b.producer_id;
  if (b.control) {
    // An end-transaction marker closes the producer's transaction; an empty control batch (its
    // marker compacted away) changes nothing, as in Kafka.
    if (!coordinator_epoch) return;
    entry.update_epoch(b.producer_epoch);
    entry.coordinator_epoch = *coordinator_epoch;
    entry.current_txn_first_offset = -1;
    entry.last_timestamp = b.max_timestamp;
    return;
  }
  entry.add_batch(b.producer_epoch, BatchMetadata{b.last_sequence(), b.last_offset(), b.last_offset_delta,
                                                  b.max_timestamp});
  if (b.transactional && entry.current_txn_first_offset < 0) entry.current_txn_first_offset = b.base_offset;
}

std::vector<ProducerSnapshotEntry> ProducerStateManager::snapshot_entries() const {
  std::vector<ProducerSnapshotEntry> out;
  out.reserve(producers_.size());
  for (const auto& [id, e] : producers_) {
    out.push_back(ProducerSnapshotEntry{id, e.producer_epoch, e.last_seq(), e.last_data_offset(),
                                        e.last_offset_delta(), e.last_timestamp, e.coordinator_epoch,
                                        e.current_txn_first_offset});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.producer_id < b.producer_id; });
  return out;
}

void ProducerStateManager::remove_expired(int64_t now_ms) {
  std::erase_if(producers_, [&](const auto& item) {
    const ProducerStateEntry& e = item.second;
    return expired(now_ms, e.last_timestamp, e.current_txn_first_offset, expiration_ms_);
  });
}

Status ProducerStateManager::list_snapshots() {
  auto names = fs_.list(dir_);
  if (!names.ok()) return names.status();
  snapshots_.clear();
  for (const std::string& name : *names) {
    if (auto offset = producer_snapshot_offset(name)) snapshots_.insert(*offset);
  }
  return {};
}

Status ProducerStateManager::take_snapshot(int64_t offset) {
  if (snapshots_.count(offset)) return {};
  Bytes contents = encode_producer_snapshot(snapshot_entries());
  if (Status s = write_file_atomically(fs_, join_path(dir_, producer_snapshot_file_name(offset)), contents); !s.ok()) {
    return s;
  }
  snapshots_.insert(offset);
  return {};
}

StatusOr<std::optional<int64_t>> ProducerStateManager::load_latest(int64_t max_offset, int64_t now_ms) {
  producers_.clear();
  while (true) {
    auto it = snapshots_.upper_bound(max_offset);
    if (it == snapshots_.begin()) return std::optional<int64_t>();
    const int64_t offset = *std::prev(it);
    const std::string path = join_path(dir_, producer_snapshot_file_name(offset));
    auto contents = read_file(fs_, path);
    if (!contents.ok()) return contents.status();
    auto entries = decode_producer_snapshot(*contents);
    if (!entries.ok()) {
      spdlog::warn("[{}] deleting producer snapshot {}: {}", partition_, path, entries.status().message());
      if (Status s = remove_snapshot(offset); !s.ok()) return s;
      continue;
    }
    for (const ProducerSnapshotEntry& e : *entries) {
      if (expired(now_ms, e.timestamp, e.current_txn_first_offset, expiration_ms_)) continue;
      ProducerStateEntry& entry = producers_[e.producer_id];
      entry.producer_id = e.producer_id;
      entry.producer_epoch = e.producer_epoch;
      entry.coordinator_epoch = e.coordinator_epoch;
      entry.current_txn_first_offset = e.current_txn_first_offset;
      if (e.last_offset >= 0) {
        entry.add_batch(e.producer_epoch, BatchMetadata{e.last_sequence, e.last_offset, e.offset_delta, e.timestamp});
      }
      entry.last_timestamp = e.timestamp;
    }
    return std::optional<int64_t>(offset);
  }
}

Status ProducerStateManager::remove_snapshot(int64_t offset) {
  snapshots_.erase(offset);
  const std::string path = join_path(dir_, producer_snapshot_file_name(offset));
  if (!fs_.exists(path)) return {};
  return fs_.remove(path);
}

Status ProducerStateManager::remove_snapshots_above(int64_t offset, bool sync) {
  std::vector<int64_t> doomed(snapshots_.upper_bound(offset), snapshots_.end());
  // The latest first, so that a crash in between leaves a prefix of the snapshots.
  for (auto it = doomed.rbegin(); it != doomed.rend(); ++it) {
    if (Status s = remove_snapshot(*it); !s.ok()) return s;
  }
  if (sync && !doomed.empty()) return fs_.sync_dir(dir_);
  return {};
}

Status ProducerStateManager::remove_snapshots_below(int64_t offset) {
  std::vector<int64_t> doomed(snapshots_.begin(), snapshots_.lower_bound(offset));
  for (int64_t o : doomed) {
    if (Status s = remove_snapshot(o); !s.ok()) return s;
  }
  return {};
}

Status ProducerStateManager::remove_stray_snapshots(const std::vector<int64_t>& segment_bases) {
  if (snapshots_.empty()) return {};
  const int64_t latest = *snapshots_.rbegin();
  const bool keep_latest = segment_bases.empty() || latest > segment_bases.back();
  std::vector<int64_t> doomed;
  for (int64_t o : snapshots_) {
    if (o == latest && keep_latest) continue;
    if (!std::binary_search(segment_bases.begin(), segment_bases.end(), o)) doomed.push_back(o);
  }
  for (int64_t o : doomed) {
    if (Status s = remove_snapshot(o); !s.ok()) return s;
  }
  return {};
}

Status ProducerStateManager::remove_all_snapshots() {
  std::vector<int64_t> all(snapshots_.begin(), snapshots_.end());
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (Status s = remove_snapshot(*it); !s.ok()) return s;
  }
  return {};
}

}  // namespace gregor::storage
