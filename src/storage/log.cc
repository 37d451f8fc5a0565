#include "storage/log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cinttypes>
#include <random>

#include "common/endian.h"
#include "record/record_batch.h"

namespace gregor::storage {

namespace v2 = record::v2;

namespace {

// "00000000000000000042.log" -> 42; nullopt for any other name.
std::optional<int64_t> segment_base_of(const std::string& name, const char* extension) {
  std::string_view ext = extension;
  if (name.size() != 20 + ext.size() || name.compare(20, ext.size(), ext) != 0) return std::nullopt;
  int64_t value = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    if (value > (INT64_MAX - (name[i] - '0')) / 10) return std::nullopt;
    value = value * 10 + (name[i] - '0');
  }
  return value;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

SegmentOptions segment_options(const LogConfig& config) {
  SegmentOptions o;
  o.index_bytes = static_cast<size_t>(config.segment_index_bytes);
  o.index_interval_bytes = config.index_interval_bytes;
  return o;
}

// The offset whose segment is the first a sync must cover: the first not known durable, or below which indexes may
// not be synced; or, after a roll at full_flush_upto, the rolled segment's last offset, since its final index entries
// are still to be written even when the recovery point had already reached its end (a flush just before the roll).
int64_t first_to_sync(int64_t durable_offset, int64_t recovery_point, int64_t full_flush_upto) {
  int64_t from = std::min(durable_offset, recovery_point);
  return full_flush_upto >= 0 ? std::min(from, full_flush_upto - 1) : from;
}

ProducerBatch producer_batch_of(const BatchInfo& b) {
  ProducerBatch p;
  p.producer_id = b.producer_id;
  p.producer_epoch = b.producer_epoch;
  p.base_sequence = b.base_sequence;
  p.last_offset_delta = static_cast<int32_t>(b.last_offset - b.base_offset);
  p.base_offset = b.base_offset;
  p.max_timestamp = b.max_timestamp;
  p.transactional = b.attributes & record::v2::kTransactionalFlag;
  p.control = b.attributes & record::v2::kControlFlag;
  return p;
}

}  // namespace

Log::Log(FileSystem& fs, Clock& clock, SyncExecutor& syncs, Options options, LeaderEpochCache epochs)
    : fs_(fs),
      clock_(clock),
      syncs_(syncs),
      file_cache_(options.file_cache),
      dir_(std::move(options.dir)),
      config_(std::move(options.config)),
      epochs_(std::move(epochs)),
      producers_(fs, dir_, file_name(dir_), options.producer_id_expiration_ms) {}

Log::~Log() { *alive_ = false; }

std::string Log::name() const { return file_name(dir_); }

ValidationConfig Log::validation_config() const {
  ValidationConfig v;
  v.max_message_bytes = config_.max_message_bytes;
  v.segment_bytes = config_.segment_bytes;
  v.timestamp_type = config_.message_timestamp_type;
  v.timestamp_before_max_ms = config_.message_timestamp_before_max_ms;
  v.timestamp_after_max_ms = config_.message_timestamp_after_max_ms;
  v.compacted = config_.compact();
  return v;
}

void Log::update_config(const LogConfig& config) { config_ = config; }

StatusOr<std::unique_ptr<Log>> Log::open(FileSystem& fs, Clock& clock, SyncExecutor& syncs, Options options) {
  if (Status s = create_dirs_durably(fs, options.dir); !s.ok()) return s;
  auto epochs = LeaderEpochCache::load(fs, options.dir);
  if (!epochs.ok()) return epochs.status();
  bool clean = options.clean_shutdown;
  int64_t recovery_point = options.recovery_point;
  int64_t log_start = options.log_start_offset;
  std::optional<int64_t> hw = options.high_watermark;
  std::unique_ptr<Log> log(new Log(fs, clock, syncs, std::move(options), std::move(*epochs)));
  log->log_start_offset_ = log_start;
  if (Status s = log->load(clean, recovery_point); !s.ok()) return s;
  log->high_watermark_ = std::clamp(hw.value_or(log->next_offset_), log->log_start_offset_, log->next_offset_);
  return log;
}

Status Log::remove_leftovers() {
  auto names = fs_.list(dir_);
  if (!names.ok()) return names.status();
  std::vector<std::string> logs;
  for (const std::string& name : *names) {
    // Files of deletions, compactions and checkpoint writes that did not finish.
    if (ends_with(name, ".deleted") || ends_with(name, ".cleaned") || ends_with(name, ".tmp")) {
      if (Status s = fs_.remove(join_path(dir_, name)); !s.ok()) return s;
    }
  }
  // Indexes whose segment is gone.
  for (const std::string& name : *names) {
    for (const char* ext : {".index", ".timeindex"}) {
      auto base = segment_base_of(name, ext);
      if (base && !fs_.exists(Segment::log_path(dir_, *base))) {
        if (Status s = fs_.remove(join_path(dir_, name)); !s.ok()) return s;
      }
    }
  }
  return {};
}

StatusOr<std::vector<int64_t>> Log::complete_swaps() {
  auto names = fs_.list(dir_);
  if (!names.ok()) return names.status();
  std::vector<int64_t> swapped;
  // Every index of the segment at base, under any name a swap leaves; the caller rebuilds them.
  auto remove_indexes = [&](int64_t base) -> Status {
    for (const char* ext : {".index", ".timeindex"}) {
      for (const char* suffix : {"", ".swap", ".cleaned"}) {
        std::string path = join_path(dir_, Segment::file_stem(base) + ext + suffix);
        if (fs_.exists(path)) {
          if (Status s = fs_.remove(path); !s.ok()) return s;
        }
      }
    }
    return {};
  };
  for (const std::string& entry : *names) {
    auto base = segment_base_of(entry, ".log.swap");
    if (!base) continue;
    // The cleaned segment was complete and synced before it was renamed .swap, and that rename
    // was synced before any old segment went; what remains is to retire the segments it
    // replaces (those starting inside its offset range) and take its name. Its end comes from
    // a read-only scan, so nothing is written under the .swap name meanwhile.
    std::string swap_path = Segment::log_path(dir_, *base, ".swap");
    int64_t end = *base;
    {
      auto file = fs_.open(swap_path, OpenMode::read_only);
      if (!file.ok()) return file.status();
      auto size = (*file)->size();
      if (!size.ok()) return size.status();
      SegmentScanner scan(*file, 0, *size, 1 << 20);
      scan.set_verify(true);
      BatchInfo b;
      while (scan.next(b)) end = std::max(end, b.last_offset + 1);
      if (scan.end() == SegmentScanner::End::corrupt && scan.status().code() == ErrorCode::kafka_storage_error) {
        return scan.status();  // an I/O error, not a damaged batch
      }
    }
    for (const std::string& other : *names) {
      auto old = segment_base_of(other, ".log");
      if (old && *old >= *base && (*old < end || *old == *base)) {
        if (Status s = fs_.remove(join_path(dir_, other)); !s.ok()) return s;
      }
    }
    if (Status s = remove_indexes(*base); !s.ok()) return s;
    if (Status s = fs_.rename(swap_path, Segment::log_path(dir_, *base)); !s.ok()) return s;
    spdlog::info("[{}] completed the interrupted swap of segment {}", name(), *base);
    swapped.push_back(*base);
  }
  // A swap interrupted after its .log took the final name but before its indexes did (or, on a
  // file system that reorders renames, before its .log did): the stray indexes go and the
  // segment's indexes are rebuilt.
  for (const std::string& entry : *names) {
    auto base = segment_base_of(entry, ".index.swap");
    if (!base) base = segment_base_of(entry, ".timeindex.swap");
    if (!base || std::find(swapped.begin(), swapped.end(), *base) != swapped.end()) continue;
    if (Status s = remove_indexes(*base); !s.ok()) return s;
    spdlog::info("[{}] rebuilding the indexes of segment {} after an interrupted swap", name(), *base);
    swapped.push_back(*base);
  }
  if (!swapped.empty()) {
    if (Status s = fs_.sync_dir(dir_); !s.ok()) return s;
  }
  return swapped;
}

Status Log::load(bool clean_shutdown, int64_t recovery_point) {
  auto swapped = complete_swaps();
  if (!swapped.ok()) return swapped.status();
  if (Status s = remove_leftovers(); !s.ok()) return s;
  if (Status s = producers_.list_snapshots(); !s.ok()) return s;
  auto names = fs_.list(dir_);
  if (!names.ok()) return names.status();
  std::vector<int64_t> bases;
  for (const std::string& name : *names) {
    if (auto base = segment_base_of(name, ".log")) bases.push_back(*base);
  }
  std::sort(bases.begin(), bases.end());
  int64_t now = clock_.now_ms();
  for (int64_t base : bases) {
    auto segment = Segment::open(fs_, dir_, base, segment_options(config_), now, "", file_cache_);
    if (!segment.ok()) return segment.status();
    segments_.emplace(base, std::move(*segment));
  }

  if (segments_.empty()) {
    auto segment = Segment::create(fs_, dir_, log_start_offset_, segment_options(config_), now, "", file_cache_);
    if (!segment.ok()) return segment.status();
    segments_.emplace(log_start_offset_, std::move(*segment));
    if (Status s = fs_.sync_dir(dir_); !s.ok()) return s;
  } else if (clean_shutdown) {
    // Trust the files; only the active segment's tail is read, to learn the log end. An index
    // that fails its checks is rebuilt, as are the indexes of a completed swap.
    for (int64_t base : *swapped) {
      auto it = segments_.find(base);
      if (it == segments_.end()) continue;
      auto r = it->second->recover();
      if (!r.ok()) return r.status();
    }
    Segment& last = active();
    if (Status s = last.load_tail(); !s.ok()) {
      spdlog::warn("[{}] rebuilding segment {} after a clean shutdown: {}", name(), last.base_offset(), s.message());
      auto r = last.recover();
      if (!r.ok()) return r.status();
      clean_shutdown = false;
    }
  } else {
    // Rescan every segment from the one holding the recovery point; the first torn or corrupt
    // batch ends the log.
    int64_t from = std::max(recovery_point, segments_.begin()->first);
    for (int64_t base : *swapped) from = std::min(from, base);
    auto it = segments_.upper_bound(from);
    if (it != segments_.begin()) --it;
    for (; it != segments_.end(); ++it) {
      Segment& segment = *it->second;
      int64_t last_epoch = epochs_.latest_epoch().value_or(-1);
      Status epoch_status;
      auto r = segment.recover([&](const BatchInfo& b) {
        if (b.leader_epoch > last_epoch && epoch_status.ok()) {
          epoch_status = epochs_.assign(b.leader_epoch, b.base_offset);
          last_epoch = b.leader_epoch;
        }
      });
      if (!r.ok()) return r.status();
      if (!epoch_status.ok()) return epoch_status;
      if (r->truncated_bytes > 0) {
        recovery_report_ = "truncated " + std::to_string(r->truncated_bytes) + " bytes of segment " +
                           std::to_string(segment.base_offset()) + " at byte " + std::to_string(r->valid_bytes) +
                           ": " + r->reason;
        spdlog::warn("[{}] recovery {}", name(), recovery_report_);
        // Nothing after a damaged tail can be trusted: it was written later.
        std::vector<int64_t> later;
        for (auto next = std::next(it); next != segments_.end(); ++next) later.push_back(next->first);
        for (int64_t base : later) {
          auto node = segments_.extract(base);
          if (Status s = node.mapped()->delete_files(); !s.ok()) return s;
          recovery_report_ += "; deleted segment " + std::to_string(base);
        }
        break;
      }
    }
  }

  next_offset_ = std::max(active().next_offset(), active().base_offset());
  log_start_offset_ = std::max(log_start_offset_, segments_.begin()->first);
  if (log_start_offset_ > next_offset_) {
    // Everything left lies below the checkpointed log start: the tail that reached it was lost (the high watermark,
    // and so DeleteRecords, may run ahead of the disk) or files went missing. As Kafka's LogLoader does, the log
    // starts empty there: moving the log start back would hand out deleted offsets again.
    spdlog::warn("[{}] the log end {} is below the log start offset {}; starting empty at the log start", name(),
                 next_offset_, log_start_offset_);
    if (Status s = truncate_fully_and_start_at(log_start_offset_); !s.ok()) return s;
  }
  if (Status s = epochs_.truncate_from_end(next_offset_); !s.ok()) return s;
  if (Status s = epochs_.truncate_from_start(log_start_offset_); !s.ok()) return s;
  if (Status s = load_producer_state(); !s.ok()) return s;

  durable_offset_ = next_offset_;
  recovery_point_ = next_offset_;
  last_flush_ms_ = clock_.monotonic_ms();
  if (!clean_shutdown) {
    // The rebuilt indexes reach the disk before the recovery point says they can be trusted.
    recovery_point_ = std::min(recovery_point, next_offset_);
    if (Status s = flush(); !s.ok()) return s;
  }
  std::mt19937_64 rng(std::hash<std::string>()(dir_) ^ static_cast<uint64_t>(now));
  segment_jitter_ms_ = config_.segment_jitter_ms > 0
                           ? static_cast<int64_t>(rng() % static_cast<uint64_t>(config_.segment_jitter_ms))
                           : 0;
  return {};
}

Status Log::check_usable() const { return failed_; }

Status Log::maybe_roll(uint64_t bytes, int64_t first_offset, int64_t max_offset, int64_t max_timestamp) {
  if (!active().should_roll(bytes, max_offset, max_timestamp, clock_.now_ms(), config_.segment_bytes,
                            config_.max_segment_ms(), segment_jitter_ms_)) {
    return {};
  }
  return roll(first_offset);
}

Status Log::roll(int64_t base_offset) {
  Segment& old = active();
  if (old.empty() && old.base_offset() == base_offset) return {};
  if (durable_offset_ < next_offset_ && !old.empty()) {
    // The old segment's tail reaches the disk before anything is written to the new one: the
    // kernel writes pages back in any order, and a crash must never keep the new segment's
    // batches while losing the old one's, which would leave a hole in the log.
    if (Status s = old.sync_log(); !s.ok()) {
      recover_from_failure(s);
      return s;
    }
  }
  // The producer state at the new segment's base, written once every batch below it is durable, so that a snapshot
  // recovery finds at or below the log end always describes records that survived.
  if (Status s = producers_.take_snapshot(base_offset); !s.ok()) return s;
  auto segment = Segment::create(fs_, dir_, base_offset, segment_options(config_), clock_.now_ms(), "", file_cache_);
  if (!segment.ok()) return segment.status();
  old.on_become_inactive();
  if (old.empty()) {
    // Replaced rather than kept: an empty segment would shadow offsets of the new one.
    auto node = segments_.extract(old.base_offset());
    if (Status s = node.mapped()->delete_files(); !s.ok()) return s;
  }
  segments_.emplace(base_offset, std::move(*segment));
  dir_sync_needed_ = true;
  full_flush_upto_ = base_offset;
  if (config_.segment_jitter_ms > 0) {
    segment_jitter_ms_ = static_cast<int64_t>(std::mt19937_64(static_cast<uint64_t>(base_offset) ^
                                                              static_cast<uint64_t>(clock_.now_ms()))() %
                                              static_cast<uint64_t>(config_.segment_jitter_ms));
  }
  return {};
}

StatusOr<AppendResult> Log::append_as_leader(std::span<uint8_t> batch, int32_t leader_epoch,
                                             std::vector<RecordError>* record_errors) {
  if (Status s = check_usable(); !s.ok()) return s;
  auto v = validator_.validate_and_assign(batch, next_offset_, leader_epoch, validation_config(), clock_.now_ms(),
                                          record_errors);
  if (!v.ok()) return v.status();
  // The validator let exactly one batch through, its offsets assigned.
  const ProducerBatch producer = ProducerBatch::from_header(batch.data());
  if (producer.producer_id != kNoProducerId) {
    auto checked = producers_.check_append(producer);
    if (!checked.ok()) return checked.status();
    if (const std::optional<BatchMetadata>& dup = *checked) {
      // A retry of a batch already written: the client gets its offsets once that batch is durable, and nothing is
      // written again.
      AppendResult result;
      result.base_offset = dup->first_offset();
      result.last_offset = dup->last_offset;
      result.max_timestamp = dup->timestamp;
      if (config_.message_timestamp_type == record::TimestampType::log_append_time) {
        result.log_append_time = dup->timestamp;
      }
      result.log_start_offset = log_start_offset_;
      result.sync_required = dup->last_offset >= durable_offset_;
      result.duplicate = true;
      return result;
    }
  }
  if (leader_epoch >= 0 && leader_epoch > epochs_.latest_epoch().value_or(-1)) {
    if (Status s = epochs_.assign(leader_epoch, v->first_offset); !s.ok()) return s;
  }
  auto appended = finish_append(batch, *v);
  if (appended.ok() && producer.producer_id != kNoProducerId) producers_.update(producer);
  return appended;
}

StatusOr<AppendResult> Log::append_as_follower(std::span<const uint8_t> batches) {
  if (Status s = check_usable(); !s.ok()) return s;
  auto v = validator_.validate_replicated(batches, next_offset_, validation_config());
  if (!v.ok()) return v.status();
  // The leader epochs the batches carry start where the batch starts.
  size_t pos = 0;
  while (pos + v2::kHeaderSize <= batches.size()) {
    const uint8_t* p = batches.data() + pos;
    int32_t epoch = load_be<int32_t>(p + v2::kPartitionLeaderEpoch);
    if (epoch >= 0 && epoch > epochs_.latest_epoch().value_or(-1)) {
      if (Status s = epochs_.assign(epoch, load_be<int64_t>(p)); !s.ok()) return s;
    }
    pos += static_cast<size_t>(load_be<int32_t>(p + v2::kBatchLength)) + v2::kLogOverhead;
  }
  auto appended = finish_append(batches, *v);
  if (!appended.ok()) return appended;
  // The leader checked the producers' batches; a replica only follows their state.
  for (pos = 0; pos + v2::kHeaderSize <= batches.size();) {
    const uint8_t* p = batches.data() + pos;
    const size_t size = static_cast<size_t>(load_be<int32_t>(p + v2::kBatchLength)) + v2::kLogOverhead;
    const ProducerBatch producer = ProducerBatch::from_header(p);
    if (producer.producer_id != kNoProducerId) {
      std::optional<int32_t> coordinator_epoch;
      if (producer.control) coordinator_epoch = end_txn_coordinator_epoch(BytesView(p, size));
      producers_.update(producer, coordinator_epoch);
    }
    pos += size;
  }
  return appended;
}

StatusOr<AppendResult> Log::finish_append(std::span<const uint8_t> batches, const ValidatedAppend& v) {
  if (Status s = maybe_roll(v.bytes, v.first_offset, v.last_offset, v.max_timestamp); !s.ok()) return s;
  if (Status s = active().append(BytesView(batches.data(), batches.size())); !s.ok()) {
    // A failed write: remove what part of it landed. Earlier appends are untouched; their sync
    // decides their fate.
    if (Status d = active().discard_unwritten(); !d.ok()) go_offline(s, d);
    return s;
  }
  next_offset_ = v.last_offset + 1;
  unflushed_messages_ += v.records;
  AppendResult result;
  result.base_offset = v.first_offset;
  result.last_offset = v.last_offset;
  result.log_append_time = v.log_append_time;
  result.log_start_offset = log_start_offset_;
  result.max_timestamp = v.max_timestamp;
  result.records = v.records;
  result.sync_required = unflushed_messages_ >= config_.flush_messages;
  return result;
}

void Log::when_durable(int64_t end_offset, std::function<void(Status)> done) {
  if (!failed_.ok()) return done(failed_);
  if (end_offset <= durable_offset_) return done({});
  waiters_.push_back(Waiter{end_offset, std::move(done)});
  start_sync();
}

void Log::maybe_flush_on_interval() {
  if (!failed_.ok() || sync_in_flight_ || durable_offset_ >= next_offset_) return;
  if (config_.flush_ms == LogConfig::kLongMax) return;
  if (clock_.monotonic_ms() - last_flush_ms_ < config_.flush_ms) return;
  start_sync();
}

void Log::start_sync() {
  if (sync_in_flight_ || !failed_.ok()) return;
  if (durable_offset_ >= next_offset_ && !dir_sync_needed_ && full_flush_upto_ < 0) {
    complete_waiters(durable_offset_, {});
    return;
  }
  // The .log files that may hold unsynced batches, and for a roll the finished segments' indexes.
  std::vector<std::shared_ptr<File>> files;
  auto it = segments_.upper_bound(first_to_sync(durable_offset_, recovery_point_, full_flush_upto_));
  if (it != segments_.begin()) --it;
  int64_t full_upto = full_flush_upto_;
  for (; it != segments_.end(); ++it) {
    Segment& segment = *it->second;
    files.push_back(segment.log_file());
    if (full_upto >= 0 && segment.base_offset() < full_upto) {
      if (Status s = segment.flush_indexes(); !s.ok()) {
        recover_from_failure(s);
        return;
      }
      if (auto f = segment.offset_index().file().file()) files.push_back(f);
      if (auto f = segment.time_index().file().file()) files.push_back(f);
    }
  }
  bool sync_dir = dir_sync_needed_;
  dir_sync_needed_ = false;
  full_flush_upto_ = -1;
  int64_t target = next_offset_;
  int64_t messages = unflushed_messages_;
  uint64_t generation = generation_;
  sync_in_flight_ = true;
  FileSystem* fs = &fs_;
  std::string dir = dir_;
  syncs_.submit(
      [files = std::move(files), sync_dir, fs, dir]() -> Status {
        for (const auto& f : files) {
          if (Status s = f->sync(); !s.ok()) return s;
        }
        if (sync_dir) return fs->sync_dir(dir);
        return {};
      },
      [this, alive = alive_, target, messages, generation, full_upto, sync_dir](Status s) {
        if (!*alive) return;
        sync_in_flight_ = false;
        if (generation != generation_) {
          // A truncation happened meanwhile: this sync's target no longer describes the log.
          if (sync_dir) dir_sync_needed_ = true;
          if (!waiters_.empty()) start_sync();
          return;
        }
        if (!s.ok()) {
          spdlog::error("[{}] sync failed: {}", name(), s.message());
          recover_from_failure(s);
          return;
        }
        durable_offset_ = std::max(durable_offset_, target);
        if (full_upto >= 0) recovery_point_ = std::max(recovery_point_, std::min(full_upto, target));
        unflushed_messages_ = std::max<int64_t>(0, unflushed_messages_ - messages);
        last_flush_ms_ = clock_.monotonic_ms();
        complete_waiters(durable_offset_, {});
        if (!waiters_.empty() || full_flush_upto_ >= 0 || dir_sync_needed_) start_sync();
      });
}

void Log::complete_waiters(int64_t durable, const Status& failure) {
  std::vector<std::function<void(Status)>> ready;
  std::deque<Waiter> keep;
  for (Waiter& w : waiters_) {
    if (w.end_offset <= durable && failure.ok()) {
      ready.push_back(std::move(w.done));
    } else if (!failure.ok()) {
      ready.push_back(std::move(w.done));
    } else {
      keep.push_back(std::move(w));
    }
  }
  waiters_.swap(keep);
  for (auto& done : ready) done(failure);
}

void Log::recover_from_failure(const Status& cause) {
  // After a failed fdatasync the kernel may have dropped unsynced pages while reads still show
  // them: nothing after the durable offset can be trusted, so it all goes, and every append
  // waiting for a sync fails.
  Status s = truncate_to(durable_offset_);
  if (s.ok()) s = active().discard_unwritten();
  if (!s.ok()) go_offline(cause, s);
  complete_waiters(durable_offset_, cause);
}

void Log::go_offline(const Status& cause, const Status& undo) {
  failed_ = Status(ErrorCode::kafka_storage_error,
                   "log " + dir_ + " is offline after " + cause.message() + " and then " + undo.message());
  spdlog::error("[{}] {}", name(), failed_.message());
  complete_waiters(durable_offset_, failed_);
}

Status Log::flush() {
  if (!failed_.ok()) return failed_;
  auto it = segments_.upper_bound(first_to_sync(durable_offset_, recovery_point_, full_flush_upto_));
  if (it != segments_.begin()) --it;
  for (; it != segments_.end(); ++it) {
    if (Status s = it->second->sync_all(); !s.ok()) {
      recover_from_failure(s);
      return s;
    }
  }
  if (Status s = fs_.sync_dir(dir_); !s.ok()) {
    recover_from_failure(s);
    return s;
  }
  durable_offset_ = recovery_point_ = next_offset_;
  dir_sync_needed_ = false;
  full_flush_upto_ = -1;
  unflushed_messages_ = 0;
  last_flush_ms_ = clock_.monotonic_ms();
  complete_waiters(durable_offset_, {});
  return {};
}

StatusOr<ReadResult> Log::read(int64_t offset, uint32_t max_bytes, ReadLimit limit, bool min_one) {
  if (Status s = check_usable(); !s.ok()) return s;
  ReadResult result;
  result.high_watermark = high_watermark_;
  result.log_start_offset = log_start_offset_;
  result.log_end_offset = next_offset_;
  if (offset < log_start_offset_ || offset > next_offset_) {
    return Status(ErrorCode::offset_out_of_range,
                  "offset " + std::to_string(offset) + " is outside the log's range [" +
                      std::to_string(log_start_offset_) + ", " + std::to_string(next_offset_) + "]");
  }
  int64_t max_offset = limit == ReadLimit::high_watermark ? high_watermark_ : next_offset_;
  result.slice.file = active().log_file();
  result.slice.position = active().size();
  if (offset >= max_offset) return result;
  auto it = segments_.upper_bound(offset);
  if (it != segments_.begin()) --it;
  for (; it != segments_.end() && it->first < max_offset; ++it) {
    Segment& segment = *it->second;
    uint64_t max_position = segment.size();
    auto next = std::next(it);
    if (next == segments_.end() || next->first > max_offset) {
      auto position = segment.position_of(max_offset);
      if (!position.ok()) return position.status();
      max_position = *position;
    }
    auto slice = segment.read(std::max(offset, segment.base_offset()), max_bytes, max_position, min_one);
    if (!slice.ok()) return slice.status();
    if (slice->has_value()) {
      result.slice = **slice;
      return result;
    }
  }
  return result;
}

StatusOr<std::optional<TimestampAndOffset>> Log::offset_for_timestamp(int64_t timestamp) {
  if (Status s = check_usable(); !s.ok()) return s;
  using Found = std::optional<TimestampAndOffset>;
  auto epoch_at = [&](int64_t offset) { return epochs_.epoch_for_offset(offset).value_or(-1); };
  if (timestamp == kEarliestTimestamp || timestamp == kEarliestLocalTimestamp) {
    return Found(TimestampAndOffset{-1, log_start_offset_, epoch_at(log_start_offset_)});
  }
  if (timestamp == kLatestTimestamp) {
    return Found(TimestampAndOffset{-1, next_offset_, epochs_.latest_epoch().value_or(-1)});
  }
  if (timestamp == kMaxTimestamp) {
    Segment* best = nullptr;
    for (auto& [base, segment] : segments_) {
      if (!segment->tail_loaded()) {
        if (Status s = segment->load_tail(); !s.ok()) return s;
      }
      if (segment->max_timestamp() >= 0 && (!best || segment->max_timestamp() > best->max_timestamp())) {
        best = segment.get();
      }
    }
    if (!best) return Found();
    return best->find_offset_by_timestamp(best->max_timestamp(), log_start_offset_);
  }
  if (timestamp < 0) {
    return Status(ErrorCode::invalid_request, "unsupported ListOffsets timestamp " + std::to_string(timestamp));
  }
  for (auto& [base, segment] : segments_) {
    if (!segment->tail_loaded()) {
      if (Status s = segment->load_tail(); !s.ok()) return s;
    }
    if (segment->max_timestamp() < timestamp) continue;
    auto found = segment->find_offset_by_timestamp(timestamp, log_start_offset_);
    if (!found.ok() || found->has_value()) return found;
  }
  return Found();
}

Status Log::truncate_to(int64_t offset) {
  if (offset < 0) return Status(ErrorCode::offset_out_of_range, "cannot truncate to a negative offset");
  if (offset >= next_offset_) return {};
  ++generation_;
  std::vector<int64_t> doomed;
  for (auto it = segments_.upper_bound(offset); it != segments_.end(); ++it) doomed.push_back(it->first);
  if (doomed.size() == segments_.size()) return truncate_fully_and_start_at(offset);
  // The truncation is durable when it returns, so what it removed never comes back after a crash, nor can it come
  // back behind what is appended next. The later segments go first, the last one first so that a crash between
  // renames leaves a prefix of the log rather than a gap, and durably before the segment holding offset is cut.
  auto unfinished = [&](const Status& cause) {
    go_offline(cause, Status(ErrorCode::kafka_storage_error,
                             "the truncation to " + std::to_string(offset) + " could not be made durable"));
    return cause;
  };
  if (!doomed.empty()) {
    std::reverse(doomed.begin(), doomed.end());
    if (Status s = delete_segments(doomed, "truncation"); !s.ok()) return s;
    if (Status s = fs_.sync_dir(dir_); !s.ok()) return unfinished(s);
  }
  auto removed = active().truncate_to(offset);
  if (!removed.ok()) return removed.status();
  next_offset_ = offset;
  log_start_offset_ = std::min(log_start_offset_, offset);
  durable_offset_ = std::min(durable_offset_, offset);
  // The cut segment's indexes reach the disk only with the next full flush: until then recovery rescans it whole.
  // Were the recovery point left at offset, a roll there would put the segment below it, trusted as it is on disk.
  recovery_point_ = std::min(recovery_point_, active().base_offset());
  high_watermark_ = std::min(high_watermark_, offset);
  // The cut is synced before a roll at offset can put a segment after it: the segment must not still hold offsets
  // from offset on after a crash, where they would shadow the new segment's records.
  if (*removed > 0) {
    if (Status s = active().sync_log(); !s.ok()) return unfinished(s);
  }
  // Snapshots past the cut describe removed records: they go durably, before appends can reach their offsets again.
  if (Status s = producers_.remove_snapshots_above(offset, true); !s.ok()) return unfinished(s);
  if (Status s = rebuild_producer_state(); !s.ok()) return unfinished(s);
  return epochs_.truncate_from_end(offset);
}

Status Log::truncate_fully_and_start_at(int64_t offset) {
  ++generation_;
  std::vector<int64_t> all;
  for (auto& [base, segment] : segments_) all.push_back(base);
  // The old segments go before the new one is made, as in Kafka. A crash keeps a prefix of the directory's
  // operations, so it leaves the later old segments or the new one alone, never the new segment behind old ones:
  // records the truncation removed, then a gap up to its offset.
  if (Status s = delete_segments(all, "truncation"); !s.ok()) return s;
  // The snapshots go with the records; the directory sync below makes it durable.
  producers_.clear();
  if (Status s = producers_.remove_all_snapshots(); !s.ok()) {
    go_offline(s, Status(ErrorCode::kafka_storage_error, "the producer snapshots could not be removed"));
    return s;
  }
  auto segment = Segment::create(fs_, dir_, offset, segment_options(config_), clock_.now_ms(), "", file_cache_);
  if (!segment.ok()) {
    // No segment is left to append to; reopening the log starts it again at its log start.
    go_offline(segment.status(), Status(ErrorCode::kafka_storage_error, "the log has no segment left"));
    return segment.status();
  }
  segments_.emplace(offset, std::move(*segment));
  next_offset_ = log_start_offset_ = high_watermark_ = offset;
  durable_offset_ = recovery_point_ = offset;
  dir_sync_needed_ = true;
  full_flush_upto_ = -1;
  unflushed_messages_ = 0;
  // Writing the emptied leader epoch checkpoint syncs the directory: the truncation is durable when it returns.
  return epochs_.clear_and_flush();
}

void Log::set_high_watermark(int64_t offset) {
  high_watermark_ = std::clamp(offset, log_start_offset_, next_offset_);
}

void Log::raise_log_start(int64_t offset) {
  if (offset <= log_start_offset_) return;
  log_start_offset_ = offset;
  high_watermark_ = std::max(high_watermark_, offset);
  if (Status s = epochs_.truncate_from_start(offset); !s.ok()) {
    spdlog::warn("[{}] could not write the leader epoch checkpoint: {}", name(), s.message());
  }
}

StatusOr<int64_t> Log::delete_records_before(int64_t offset) {
  if (Status s = check_usable(); !s.ok()) return s;
  if (offset > high_watermark_) {
    return Status(ErrorCode::offset_out_of_range, "cannot move the log start offset of " + name() + " to " +
                                                      std::to_string(offset) + ", beyond the high watermark " +
                                                      std::to_string(high_watermark_));
  }
  raise_log_start(offset);
  auto deleted = apply_retention();
  if (!deleted.ok()) return deleted.status();
  return log_start_offset_;
}

Status Log::delete_segments(std::vector<int64_t> bases, const char* reason) {
  int64_t due = clock_.now_ms() + config_.file_delete_delay_ms;
  for (int64_t base : bases) {
    auto node = segments_.extract(base);
    if (node.empty()) continue;
    std::unique_ptr<Segment> segment = std::move(node.mapped());
    if (Status s = segment->change_suffix(".deleted"); !s.ok()) {
      segments_.emplace(base, std::move(segment));
      return s;
    }
    spdlog::info("[{}] deleting segment {} ({}, {} bytes)", name(), base, reason, segment->size());
    pending_deletes_.push_back(PendingDelete{std::move(segment), due});
  }
  return {};
}

StatusOr<int> Log::apply_retention() {
  if (Status s = check_usable(); !s.ok()) return s;
  int64_t now = clock_.now_ms();
  // Each rule deletes a prefix of the segments; together they delete the longest one.
  size_t by_time = 0, by_size = 0, by_start = 0;
  std::vector<Segment*> order;
  for (auto& [base, segment] : segments_) order.push_back(segment.get());
  for (size_t i = 0; i < order.size(); ++i) {
    int64_t upper = i + 1 < order.size() ? order[i + 1]->base_offset() : next_offset_;
    // An empty active segment at the log start has nothing to delete, and roll() would keep it rather than make a
    // new one: deleting it would leave the log without segments.
    if (upper <= log_start_offset_ && by_start == i && !order[i]->empty()) by_start = i + 1;
  }
  if (config_.delete_enabled()) {
    if (config_.retention_ms >= 0) {
      for (Segment* segment : order) {
        if (!segment->tail_loaded()) {
          if (Status s = segment->load_tail(); !s.ok()) return s;
        }
        if (segment->empty() || now - segment->largest_timestamp_for_retention() <= config_.retention_ms) break;
        ++by_time;
      }
    }
    if (config_.retention_bytes >= 0) {
      int64_t excess = static_cast<int64_t>(size_bytes()) - config_.retention_bytes;
      for (Segment* segment : order) {
        if (excess - static_cast<int64_t>(segment->size()) < 0 || segment->empty()) break;
        excess -= static_cast<int64_t>(segment->size());
        ++by_size;
      }
    }
  }
  size_t count = std::max({by_time, by_size, by_start});
  // Never beyond the high watermark: consumers have not read those yet.
  while (count > 0) {
    int64_t upper = count < order.size() ? order[count]->base_offset() : next_offset_;
    if (upper <= high_watermark_) break;
    --count;
  }
  if (count == 0) return 0;
  if (count == order.size()) {
    if (Status s = roll(next_offset_); !s.ok()) return s;
  }
  std::vector<int64_t> bases;
  for (size_t i = 0; i < count; ++i) bases.push_back(order[i]->base_offset());
  const char* reason = count == by_start ? "below the log start offset"
                       : count == by_time ? "retention.ms" : "retention.bytes";
  if (Status s = delete_segments(bases, reason); !s.ok()) return s;
  raise_log_start(segments_.begin()->first);
  // The snapshots of deleted segments go with them. The producers stay, as in Kafka, until producer.id.expiration.ms:
  // one that writes rarely to a partition with short retention keeps its sequence.
  if (Status s = producers_.remove_snapshots_below(segments_.begin()->first); !s.ok()) {
    spdlog::warn("[{}] could not remove old producer snapshots: {}", name(), s.message());
  }
  return static_cast<int>(count);
}

Status Log::delete_expired_files() {
  Status first_error;
  for (auto& segment : take_expired_files()) {
    if (Status s = segment->delete_files(); !s.ok() && first_error.ok()) first_error = s;
  }
  return first_error;
}

std::vector<std::unique_ptr<Segment>> Log::take_expired_files() {
  int64_t now = clock_.now_ms();
  std::vector<std::unique_ptr<Segment>> due;
  auto keep = pending_deletes_.begin();
  for (auto& pending : pending_deletes_) {
    if (pending.due_ms <= now) {
      due.push_back(std::move(pending.segment));
    } else {
      *keep++ = std::move(pending);
    }
  }
  pending_deletes_.erase(keep, pending_deletes_.end());
  return due;
}

StatusOr<std::unique_ptr<Segment>> Log::create_cleaned_segment(int64_t base_offset) {
  return Segment::create(fs_, dir_, base_offset, segment_options(config_), clock_.now_ms(), ".cleaned",
                         file_cache_);
}

Status Log::replace_segments(std::unique_ptr<Segment> cleaned, const std::vector<int64_t>& old_bases) {
  const int64_t base = cleaned->base_offset();
  const int64_t end = cleaned->next_offset();
  auto reject = [&](Status why) {
    if (Status d = cleaned->delete_files(); !d.ok()) {
      spdlog::warn("[{}] could not remove cleaned segment {}: {}", name(), base, d.message());
    }
    return why;
  };
  if (Status s = check_usable(); !s.ok()) return reject(s);
  // The run must be consecutive inactive segments from the cleaned segment's base, each
  // starting inside its range, with the next segment starting at or after its end: exactly
  // what recovery retires if a crash interrupts the swap.
  std::string problem;
  if (old_bases.empty() || old_bases.front() != base) {
    problem = "the segments to replace do not start at its base";
  } else {
    auto it = segments_.find(base);
    for (size_t i = 0; i < old_bases.size(); ++i) {
      std::string which = "segment " + std::to_string(old_bases[i]);
      if (it == segments_.end() || it->first != old_bases[i]) {
        problem = which + " is no longer there or does not follow the one before";
      } else if (std::next(it) == segments_.end()) {
        problem = which + " is the active segment";
      } else if (i > 0 && old_bases[i] >= end) {
        problem = which + " starts after its end " + std::to_string(end);
      }
      if (!problem.empty()) break;
      ++it;
    }
    if (problem.empty() && it != segments_.end() && it->first < end) {
      problem = "it would overlap segment " + std::to_string(it->first);
    }
  }
  if (!problem.empty()) {
    return reject(Status(ErrorCode::kafka_storage_error,
                         "cannot swap cleaned segment " + std::to_string(base) + " into " + name() + ": " + problem));
  }

  // 1. The cleaned segment becomes the swap. Once that rename is durable a crash completes the
  // swap; until then it must not survive a failure, or a later crash could complete a stale one.
  Status s = cleaned->change_suffix(".swap");
  if (s.ok()) s = fs_.sync_dir(dir_);
  if (!s.ok()) {
    Status undo;
    for (const char* ext : {".log", ".index", ".timeindex"}) {
      for (const char* suffix : {".cleaned", ".swap"}) {
        std::string path = join_path(dir_, Segment::file_stem(base) + ext + suffix);
        if (undo.ok() && fs_.exists(path)) undo = fs_.remove(path);
      }
    }
    if (undo.ok()) undo = fs_.sync_dir(dir_);
    if (!undo.ok()) go_offline(s, undo);
    return s;
  }
  // From here the swap must finish: if it cannot, the log goes offline and reopening it
  // completes the swap.
  auto unfinished = [&](const Status& cause) {
    go_offline(cause, Status(ErrorCode::kafka_storage_error,
                             "the swap of cleaned segment " + std::to_string(base) +
                                 " could not finish (reopening the log completes it)"));
    return cause;
  };
  // 2. The old segments go, durably, before the cleaned one takes the final name: no crash may
  // keep both, even on a file system that reorders renames.
  s = delete_segments(old_bases, "replaced by compaction");
  if (s.ok()) s = fs_.sync_dir(dir_);
  if (!s.ok()) return unfinished(s);
  // 3. The final name.
  if (s = cleaned->change_suffix(""); !s.ok()) return unfinished(s);
  segments_[base] = std::move(cleaned);
  if (s = fs_.sync_dir(dir_); !s.ok()) {
    // The log is whole; recovery copes with either name. The next sync retries the directory.
    dir_sync_needed_ = true;
    return s;
  }
  return {};
}

Status Log::load_segment_tails(int64_t from_offset) {
  if (Status s = check_usable(); !s.ok()) return s;
  auto it = segments_.upper_bound(from_offset);
  if (it != segments_.begin()) --it;
  for (; it != segments_.end(); ++it) {
    auto& segment = it->second;
    if (segment->tail_loaded()) continue;
    if (Status s = segment->load_tail(); !s.ok()) return s;
    // Only the tail was wanted: an inactive segment's indexes stay out of memory until read.
    if (segment.get() != &active()) segment->unload_indexes();
  }
  return {};
}

Status Log::close() {
  Status s = flush();
  // The next open finds the producers at the log end and replays nothing.
  if (s.ok()) s = producers_.take_snapshot(next_offset_);
  for (auto& [base, segment] : segments_) {
    if (Status c = segment->close(); s.ok() && !c.ok()) s = c;
  }
  for (auto& pending : pending_deletes_) {
    if (Status d = pending.segment->delete_files(); s.ok() && !d.ok()) s = d;
  }
  pending_deletes_.clear();
  *alive_ = false;
  return s;
}

void Log::remove_expired_producers() { producers_.remove_expired(clock_.now_ms()); }

Status Log::load_producer_state() {
  // A snapshot past the log end describes records recovery dropped; it must be gone before appends reach its offset.
  if (Status s = producers_.remove_snapshots_above(next_offset_, true); !s.ok()) return s;
  std::vector<int64_t> bases;
  for (const auto& [base, segment] : segments_) bases.push_back(base);
  if (Status s = producers_.remove_stray_snapshots(bases); !s.ok()) return s;
  if (Status s = rebuild_producer_state(); !s.ok()) return s;
  // Replayed producers expire on open as those loaded from the snapshot do.
  producers_.remove_expired(clock_.now_ms());
  return {};
}

Status Log::rebuild_producer_state() {
  auto loaded = producers_.load_latest(next_offset_, clock_.now_ms());
  if (!loaded.ok()) return loaded.status();
  const int64_t from = std::max(loaded->value_or(0), segments_.begin()->first);
  if (from >= next_offset_) return {};
  auto it = segments_.upper_bound(from);
  if (it != segments_.begin()) --it;
  for (; it != segments_.end(); ++it) {
    Segment& segment = *it->second;
    uint64_t start = 0;
    if (segment.base_offset() < from) {
      auto location = segment.translate_offset(from);
      if (!location.ok()) return location.status();
      if (!*location) continue;
      start = (*location)->position;
    }
    SegmentScanner scan(segment.log_file(), start, segment.size());
    BatchInfo b;
    while (scan.next(b)) {
      if (b.producer_id == kNoProducerId || b.last_offset < from) continue;
      const ProducerBatch producer = producer_batch_of(b);
      std::optional<int32_t> coordinator_epoch;
      if (producer.control) {
        auto bytes = scan.batch_bytes();
        if (!bytes.ok()) return bytes.status();
        coordinator_epoch = end_txn_coordinator_epoch(*bytes);
      }
      producers_.update(producer, coordinator_epoch);
    }
    if (scan.end() != SegmentScanner::End::clean) {
      // Recovery left whole batches only: anything else is an I/O error.
      return scan.status().ok() ? Status(ErrorCode::kafka_storage_error,
                                         "segment " + std::to_string(segment.base_offset()) + " of " + name() +
                                             " ends in a partial batch while rebuilding the producer state")
                                : scan.status();
    }
  }
  return {};
}

uint64_t Log::size_bytes() const {
  uint64_t total = 0;
  for (const auto& [base, segment] : segments_) total += segment->size();
  return total;
}

std::vector<const Segment*> Log::segments() const {
  std::vector<const Segment*> out;
  for (const auto& [base, segment] : segments_) out.push_back(segment.get());
  return out;
}

}  // namespace gregor::storage
