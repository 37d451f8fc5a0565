#include "storage/log_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "storage/checkpoint_file.h"
#include "storage/partition_metadata.h"

namespace gregor::storage {

std::optional<TopicPartition> parse_partition_dir(const std::string& name) {
  for (std::string_view suffix : {"-delete", "-future", "-stray"}) {
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return std::nullopt;
    }
  }
  size_t dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  int64_t partition = 0;
  for (size_t i = dash + 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    partition = partition * 10 + (name[i] - '0');
    if (partition > INT32_MAX) return std::nullopt;
  }
  return TopicPartition{name.substr(0, dash), static_cast<int32_t>(partition)};
}

LogManager::LogManager(FileSystem& fs, Clock& clock, SyncExecutor& syncs, Options options)
    : fs_(fs),
      clock_(clock),
      syncs_(syncs),
      options_(std::move(options)),
      own_file_cache_(!options_.file_cache && options_.max_open_files > 0
                          ? std::make_unique<FileCache>(options_.max_open_files)
                          : nullptr),
      file_cache_(options_.file_cache ? options_.file_cache : own_file_cache_.get()),
      next_clean_check_ms_(clock.monotonic_ms()),
      last_retention_ms_(clock.monotonic_ms()),
      last_producer_expiration_ms_(clock.monotonic_ms()),
      last_recovery_checkpoint_ms_(clock.monotonic_ms()),
      last_start_checkpoint_ms_(clock.monotonic_ms()) {}

LogManager::~LogManager() {
  // The cleaner thread may be reading this manager's logs: it lets go before they close.
  abort_cleaning(std::nullopt);
}

StatusOr<std::unique_ptr<LogManager>> LogManager::open(FileSystem& fs, Clock& clock, SyncExecutor& syncs,
                                                       Options options) {
  if (options.log_dirs.empty()) return Status(ErrorCode::invalid_config, "log.dirs is empty");
  std::unique_ptr<LogManager> manager(new LogManager(fs, clock, syncs, std::move(options)));
  for (const std::string& dir : manager->options_.log_dirs) {
    if (Status s = manager->load_dir(dir); !s.ok()) return s;
  }
  return manager;
}

Status LogManager::load_dir(const std::string& dir) {
  if (Status s = create_dirs_durably(fs_, dir); !s.ok()) return s;
  bool clean = fs_.exists(join_path(dir, std::string(kCleanShutdownFile)));
  if (!clean) opened_clean_ = false;
  auto recovery_points = read_offset_checkpoint(fs_, join_path(dir, std::string(kRecoveryPointOffsetCheckpointFile)));
  if (!recovery_points.ok()) return recovery_points.status();
  auto log_starts = read_offset_checkpoint(fs_, join_path(dir, std::string(kLogStartOffsetCheckpointFile)));
  if (!log_starts.ok()) return log_starts.status();
  auto cleaner_offsets = read_offset_checkpoint(fs_, join_path(dir, std::string(kCleanerOffsetCheckpointFile)));
  if (!cleaner_offsets.ok()) return cleaner_offsets.status();
  for (const auto& [tp, offset] : *cleaner_offsets) {
    if (!options_.owns || options_.owns(tp)) cleaner_offsets_[tp] = offset;
  }
  auto names = fs_.list(dir);
  if (!names.ok()) return names.status();
  std::sort(names->begin(), names->end());
  size_t loaded = 0;
  for (const std::string& name : *names) {
    std::string path = join_path(dir, name);
    if (name.ends_with("-delete")) {
      // A deletion the last run did not finish: "<topic>-<partition>.<32 hex>-delete".
      size_t dot = name.rfind('.');
      auto deleted = dot == std::string::npos ? std::nullopt : parse_partition_dir(name.substr(0, dot));
      if (deleted && options_.owns && !options_.owns(*deleted)) continue;
      if (Status s = remove_tree(path); !s.ok()) return s;
      continue;
    }
    auto tp = parse_partition_dir(name);
    if (!tp || (options_.owns && !options_.owns(*tp))) continue;
    if (logs_.count(*tp)) {
      return Status(ErrorCode::kafka_storage_error, "duplicate log directories for " + tp->to_string() +
                                                        " (" + path + " and " + logs_[*tp].log_dir + ")");
    }
    Uuid topic_id;
    if (fs_.exists(partition_metadata_path(path))) {
      auto meta = read_partition_metadata(fs_, path);
      if (!meta.ok()) return meta.status();
      topic_id = meta->topic_id;
    }
    Log::Options o;
    o.dir = path;
    o.config = options_.defaults;
    o.file_cache = file_cache_;
    o.clean_shutdown = clean;
    o.producer_id_expiration_ms = options_.producer_id_expiration_ms;
    auto rp = recovery_points->find(*tp);
    o.recovery_point = rp == recovery_points->end() ? 0 : rp->second;
    auto start = log_starts->find(*tp);
    o.log_start_offset = start == log_starts->end() ? 0 : start->second;
    auto log = Log::open(fs_, clock_, syncs_, o);
    if (!log.ok()) return log.status();
    logs_.emplace(*tp, Entry{std::move(*log), dir, topic_id});
    ++loaded;
  }
  if (loaded > 0) {
    spdlog::info("loaded {} logs from {} ({})", loaded, dir, clean ? "clean shutdown" : "recovered");
  }
  if (clean && options_.manage_dir_files) return remove_clean_shutdown_marker(fs_, dir);
  return {};
}

Status remove_clean_shutdown_marker(FileSystem& fs, const std::string& log_dir) {
  std::string marker = join_path(log_dir, std::string(kCleanShutdownFile));
  if (!fs.exists(marker)) return {};
  if (Status s = fs.remove(marker); !s.ok()) return s;
  return fs.sync_dir(log_dir);
}

Status write_clean_shutdown_marker(FileSystem& fs, const std::string& log_dir) {
  return write_file_atomically(fs, join_path(log_dir, std::string(kCleanShutdownFile)),
                               BytesView::of("{\"version\":0,\"brokerEpoch\":-1}"));
}

Status write_dir_checkpoints(FileSystem& fs, const std::string& log_dir, const LogManager::DirCheckpoints& c) {
  if (Status s = write_offset_checkpoint(fs, join_path(log_dir, std::string(kRecoveryPointOffsetCheckpointFile)),
                                         c.recovery_points);
      !s.ok()) {
    return s;
  }
  if (Status s = write_offset_checkpoint(fs, join_path(log_dir, std::string(kLogStartOffsetCheckpointFile)),
                                         c.log_starts);
      !s.ok()) {
    return s;
  }
  return write_offset_checkpoint(fs, join_path(log_dir, std::string(kCleanerOffsetCheckpointFile)),
                                 c.cleaner_offsets);
}

void LogManager::DirCheckpoints::merge(const DirCheckpoints& other) {
  recovery_points.insert(other.recovery_points.begin(), other.recovery_points.end());
  log_starts.insert(other.log_starts.begin(), other.log_starts.end());
  cleaner_offsets.insert(other.cleaner_offsets.begin(), other.cleaner_offsets.end());
}

LogManager::DirCheckpoints LogManager::checkpoints(const std::string& log_dir) const {
  DirCheckpoints c;
  for (const auto& [tp, entry] : logs_) {
    if (entry.log_dir != log_dir) continue;
    c.recovery_points[tp] = entry.log->recovery_point();
    c.log_starts[tp] = entry.log->log_start_offset();
    if (auto it = cleaner_offsets_.find(tp); it != cleaner_offsets_.end()) c.cleaner_offsets[tp] = it->second;
  }
  return c;
}

StatusOr<Log*> LogManager::get_or_create(const TopicPartition& tp, const Uuid& topic_id, const LogConfig& config) {
  if (shut_down_) return Status(ErrorCode::kafka_storage_error, "the log manager is shut down");
  if (auto it = logs_.find(tp); it != logs_.end()) {
    if (it->second.topic_id != Uuid() && topic_id != Uuid() && it->second.topic_id != topic_id) {
      return Status(ErrorCode::inconsistent_topic_id, "partition " + tp.to_string() + " has topic id " +
                                                          it->second.topic_id.to_string() + ", not " +
                                                          topic_id.to_string());
    }
    return it->second.log.get();
  }
  // The log dir with the fewest partitions, as Kafka places new logs.
  std::map<std::string, size_t> load;
  for (const std::string& dir : options_.log_dirs) load[dir] = 0;
  for (const auto& [p, entry] : logs_) ++load[entry.log_dir];
  std::string dir = options_.log_dirs.front();
  for (const std::string& d : options_.log_dirs) {
    if (load[d] < load[dir]) dir = d;
  }
  std::string path = join_path(dir, tp.to_string());
  Log::Options o;
  o.dir = path;
  o.config = config;
  o.file_cache = file_cache_;
  o.producer_id_expiration_ms = options_.producer_id_expiration_ms;
  auto log = Log::open(fs_, clock_, syncs_, o);
  if (!log.ok()) return log.status();
  if (topic_id != Uuid()) {
    if (Status s = write_partition_metadata(fs_, path, topic_id); !s.ok()) return s;
  }
  Log* result = log->get();
  logs_.emplace(tp, Entry{std::move(*log), dir, topic_id});
  return result;
}

Log* LogManager::get(const TopicPartition& tp) const {
  auto it = logs_.find(tp);
  return it == logs_.end() ? nullptr : it->second.log.get();
}

std::optional<Uuid> LogManager::topic_id(const TopicPartition& tp) const {
  auto it = logs_.find(tp);
  if (it == logs_.end() || it->second.topic_id == Uuid()) return std::nullopt;
  return it->second.topic_id;
}

std::vector<TopicPartition> LogManager::partitions() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, entry] : logs_) out.push_back(tp);
  return out;
}

Status LogManager::remove(const TopicPartition& tp) {
  auto it = logs_.find(tp);
  if (it == logs_.end()) return Status(ErrorCode::unknown_topic_or_partition, "no log for " + tp.to_string());
  abort_cleaning(tp);
  Entry entry = std::move(it->second);
  logs_.erase(it);
  cleaner_offsets_.erase(tp);
  cleaning_paused_.erase(tp);
  Status closed = entry.log->close();
  std::string from = entry.log->dir();
  entry.log.reset();
  // Kafka's name: a random unique id, 32 hex digits.
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device random;
  std::string id;
  for (int i = 0; i < 32; ++i) id += kHex[random() % 16];
  std::string to = join_path(entry.log_dir, tp.to_string() + "." + id + "-delete");
  if (Status s = fs_.rename(from, to); !s.ok()) return s;
  if (Status s = fs_.sync_dir(entry.log_dir); !s.ok()) return s;
  pending_dir_deletes_.push_back(PendingDirDelete{to, clock_.now_ms() + options_.defaults.file_delete_delay_ms});
  if (!closed.ok()) spdlog::warn("closing the log of {} before deleting it: {}", tp.to_string(), closed.message());
  return {};
}

Status LogManager::remove_tree(const std::string& path) {
  auto names = fs_.list(path);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    std::string child = join_path(path, name);
    auto grandchildren = fs_.list(child);
    if (grandchildren.ok()) {
      if (Status s = remove_tree(child); !s.ok()) return s;
    } else if (Status s = fs_.remove(child); !s.ok()) {
      return s;
    }
  }
  return fs_.remove(path);
}

void LogManager::tick() {
  if (shut_down_) return;
  int64_t now = clock_.monotonic_ms();
  for (auto& [tp, entry] : logs_) entry.log->maybe_flush_on_interval();
  if (now - last_retention_ms_ >= options_.retention_check_interval_ms) {
    last_retention_ms_ = now;
    for (auto& [tp, entry] : logs_) {
      auto deleted = entry.log->apply_retention();
      if (!deleted.ok()) spdlog::warn("retention of {}: {}", tp.to_string(), deleted.status().message());
    }
  }
  if (now - last_producer_expiration_ms_ >= options_.producer_id_expiration_check_interval_ms) {
    last_producer_expiration_ms_ = now;
    for (auto& [tp, entry] : logs_) entry.log->remove_expired_producers();
  }
  // Removing files (segments past file.delete.delay.ms, deleted partitions) runs on the
  // background thread when there is one: an unlink of a large file can take a while.
  for (auto& [tp, entry] : logs_) {
    auto expired = entry.log->take_expired_files();
    if (expired.empty()) continue;
    auto segments = std::make_shared<std::vector<std::unique_ptr<Segment>>>(std::move(expired));
    run_in_background(
        [segments] {
          Status first;
          for (auto& segment : *segments) {
            if (Status s = segment->delete_files(); !s.ok() && first.ok()) first = s;
          }
          segments->clear();
          return first;
        },
        "removing deleted segments of " + tp.to_string());
  }
  int64_t wall = clock_.now_ms();
  auto due = std::stable_partition(pending_dir_deletes_.begin(), pending_dir_deletes_.end(),
                                   [&](const PendingDirDelete& d) { return d.due_ms > wall; });
  for (auto it = due; it != pending_dir_deletes_.end(); ++it) {
    run_in_background([this, path = it->path] { return remove_tree(path); }, "removing " + it->path);
  }
  pending_dir_deletes_.erase(due, pending_dir_deletes_.end());
  if (cleaner_thread_) cleaner_thread_->run_completions();  // moves the pass in progress on
  if (options_.cleaner_enable && !cleaning_ && now >= next_clean_check_ms_) {
    // Kafka's cleaner looks again at once after a pass, and backs off when nothing was due.
    if (!start_cleaning()) next_clean_check_ms_ = now + options_.cleaner_backoff_ms;
  }
  if (options_.manage_dir_files &&
      (now - last_recovery_checkpoint_ms_ >= options_.recovery_point_checkpoint_interval_ms ||
       now - last_start_checkpoint_ms_ >= options_.log_start_checkpoint_interval_ms)) {
    last_recovery_checkpoint_ms_ = last_start_checkpoint_ms_ = now;
    if (Status s = write_checkpoints(); !s.ok()) spdlog::warn("writing checkpoints: {}", s.message());
  }
}

void LogManager::run_in_background(std::function<Status()> work, std::string what) {
  if (options_.cleaner_thread && !cleaner_thread_) cleaner_thread_ = std::make_unique<ThreadSyncExecutor>();
  auto report = [what = std::move(what)](Status s) {
    if (!s.ok()) spdlog::warn("{}: {}", what, s.message());
  };
  if (!cleaner_thread_) return report(work());
  cleaner_thread_->submit(std::move(work), std::move(report));
}

void LogManager::wait_for_background() {
  // A compaction pass in progress keeps going; only the removals are waited for.
  while (cleaner_thread_ && cleaner_thread_->in_flight() > (cleaning_ && cleaning_->background ? 1u : 0u)) {
    cleaner_thread_->run_completions(/*wait=*/true);
  }
}

bool LogManager::start_cleaning() {
  int64_t now = clock_.now_ms();
  // The filthiest log that is due, as Kafka's grabFilthiestCompactedLog picks.
  const TopicPartition* chosen = nullptr;
  double worst = -1;
  for (auto& [tp, entry] : logs_) {
    if (!entry.log->config().compact() || cleaning_paused_.count(tp)) continue;
    auto it = cleaner_offsets_.find(tp);
    auto range = cleanable(*entry.log, it == cleaner_offsets_.end() ? std::nullopt : std::optional(it->second), now);
    if (!range.ok()) {
      spdlog::warn("compaction of {}: {}", tp.to_string(), range.status().message());
      continue;
    }
    if (range->should_clean && range->cleanable_ratio > worst) {
      worst = range->cleanable_ratio;
      chosen = &tp;
    }
  }
  if (!chosen) return false;
  if (!cleaner_) cleaner_ = std::make_unique<LogCleaner>();
  if (options_.cleaner_thread && !cleaner_thread_) cleaner_thread_ = std::make_unique<ThreadSyncExecutor>();
  CleanerOptions options;
  options.dedupe_buffer_size = options_.cleaner_dedupe_buffer_size;
  options.io_max_bytes_per_second = options_.cleaner_io_max_bytes_per_second;
  if (auto it = cleaner_offsets_.find(*chosen); it != cleaner_offsets_.end()) options.first_dirty_offset = it->second;
  // The producers the log knows keep their last batch, as Kafka's lastRecordsOfActiveProducers.
  Log& log = *logs_.at(*chosen).log;
  options.active_producers.emplace();
  for (const auto& [id, producer] : log.producer_state().producers()) {
    ProducerLastRecord& last = (*options.active_producers)[id];
    if (!producer.empty()) last.last_data_offset = producer.last_data_offset();
    last.producer_epoch = producer.producer_epoch;
  }
  auto pass = cleaner_->start(log, options, now);
  if (!pass.ok()) {
    spdlog::warn("compaction of {}: {}", chosen->to_string(), pass.status().message());
    return false;
  }
  cleaning_.emplace(Cleaning{*chosen, std::move(*pass), false, Status()});
  advance_cleaning();
  return true;
}

void LogManager::advance_cleaning() {
  while (cleaning_ && !cleaning_->background) {
    CleaningPass& pass = *cleaning_->pass;
    if (pass.done() || !cleaning_->failure.ok() || pass.cancelled()) return end_cleaning();
    if (!pass.background_next()) {
      cleaning_->failure = pass.run_owner_step();
    } else if (!cleaner_thread_) {
      cleaning_->failure = pass.run_background_step();
    } else {
      cleaning_->background = true;
      cleaner_thread_->submit([&pass] { return pass.run_background_step(); },
                              [this](Status s) {
                                cleaning_->background = false;
                                cleaning_->failure = std::move(s);
                                advance_cleaning();
                              });
    }
  }
}

void LogManager::end_cleaning() {
  Cleaning c = std::move(*cleaning_);
  cleaning_.reset();
  next_clean_check_ms_ = clock_.monotonic_ms();  // the next pass may start at once
  last_pass_ = c.failure;
  if (!c.pass->done() || !c.failure.ok() || c.pass->cancelled()) {
    c.pass->abandon();
    if (last_pass_.ok()) last_pass_ = Status(ErrorCode::kafka_storage_error, "cleaning " + c.tp.to_string() + " was aborted");
    if (c.pass->cancelled()) {
      spdlog::info("compaction of {} aborted", c.tp.to_string());
    } else {
      spdlog::warn("compaction of {}: {}", c.tp.to_string(), c.failure.message());
      // Kafka marks the partition uncleanable; backing off keeps a broken log from spinning.
      next_clean_check_ms_ += options_.cleaner_backoff_ms;
    }
    return;
  }
  auto entry = logs_.find(c.tp);
  if (entry == logs_.end()) return;
  cleaner_offsets_[c.tp] = c.pass->result().first_dirty_offset;
  if (!options_.manage_dir_files) return;  // in the next gathered checkpoints
  if (Status s = write_cleaner_checkpoint(entry->second.log_dir); !s.ok()) {
    spdlog::warn("writing the cleaner checkpoint of {}: {}", entry->second.log_dir, s.message());
  }
}

Status LogManager::write_cleaner_checkpoint(const std::string& log_dir) {
  return write_offset_checkpoint(fs_, join_path(log_dir, std::string(kCleanerOffsetCheckpointFile)),
                                 checkpoints(log_dir).cleaner_offsets);
}

void LogManager::abort_cleaning(const std::optional<TopicPartition>& tp) {
  if (!cleaning_ || (tp && cleaning_->tp != *tp)) return;
  cleaning_->pass->cancel();
  // The background step stops at its next batch; its completion ends the pass.
  while (cleaning_ && cleaning_->background) cleaner_thread_->run_completions(/*wait=*/true);
  if (cleaning_) end_cleaning();
}

StatusOr<bool> LogManager::clean_one() {
  if (!cleaning_ && !start_cleaning()) return false;
  while (cleaning_ && cleaning_->background) cleaner_thread_->run_completions(/*wait=*/true);
  // The pass ended in a completion that ran above, or inline in start_cleaning.
  if (cleaning_) return Status(ErrorCode::unknown_server_error, "the compaction pass did not end");
  if (!last_pass_.ok()) return last_pass_;
  return true;
}

std::optional<TopicPartition> LogManager::cleaning() const {
  if (!cleaning_) return std::nullopt;
  return cleaning_->tp;
}

void LogManager::pause_cleaning(const TopicPartition& tp) {
  abort_cleaning(tp);
  ++cleaning_paused_[tp];
}

void LogManager::resume_cleaning(const TopicPartition& tp) {
  auto it = cleaning_paused_.find(tp);
  if (it != cleaning_paused_.end() && --it->second <= 0) cleaning_paused_.erase(it);
}

Status LogManager::write_checkpoints() {
  for (const std::string& dir : options_.log_dirs) {
    if (Status s = write_dir_checkpoints(fs_, dir, checkpoints(dir)); !s.ok()) return s;
  }
  return {};
}

Status LogManager::shutdown() {
  if (shut_down_) return {};
  shut_down_ = true;
  abort_cleaning(std::nullopt);
  Status first;
  for (auto& [tp, entry] : logs_) {
    if (Status s = entry.log->close(); !s.ok()) {
      spdlog::error("closing the log of {}: {}", tp.to_string(), s.message());
      if (first.ok()) first = s;
    }
  }
  if (!options_.manage_dir_files) return first;  // the gatherer writes checkpoints and marker
  if (Status s = write_checkpoints(); !s.ok() && first.ok()) first = s;
  if (!first.ok()) return first;  // no marker: the next start recovers
  for (const std::string& dir : options_.log_dirs) {
    if (Status s = write_clean_shutdown_marker(fs_, dir); !s.ok()) return s;
  }
  return {};
}

}  // namespace gregor::storage
