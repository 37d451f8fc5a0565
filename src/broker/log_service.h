// Storage for the broker, thread-per-core: each shard has its own LogManager holding the
// partitions that hash to it (shard_of), its own sync thread (fdatasync off the loop, the
// completions posted back to the loop), and a timer driving the manager's tick(). A log dir's
// checkpoint files and clean-shutdown marker cover every shard's partitions, so shard 0 gathers
// them from all shards and writes them (storage.md, "One manager per core").
#pragma once

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <vector>

#include "broker/net/shard.h"
#include "common/status.h"
#include "storage/clock.h"
#include "storage/file_system.h"
#include "storage/log_manager.h"
#include "storage/sync_executor.h"

namespace gregor::broker {

// The shard that owns a partition: stable for a given shard count.
unsigned shard_of(const storage::TopicPartition& tp, unsigned shards);

class LogService {
 public:
  struct Options {
    storage::LogManager::Options manager;  // log_dirs and the log.* settings
    int64_t tick_interval_ms = 200;
    int64_t checkpoint_interval_ms = 60'000;  // log.flush.offset.checkpoint.interval.ms
  };

  // Opens every shard's manager, before the shards' loops run, then removes the clean-shutdown
  // markers (a crash from then on is noticed).
  static StatusOr<std::unique_ptr<LogService>> open(storage::FileSystem& fs, storage::Clock& clock,
                                                    const std::vector<Shard*>& shards, Options options);
  ~LogService();

  // Starts the tick and checkpoint timers on the shards' loops.
  void start();
  // The manager of the calling shard (or of the given one, from its own thread only).
  storage::LogManager& local();
  storage::LogManager& of(unsigned shard) { return *shards_[shard]->manager; }
  // On each shard's loop: stops its timers and shuts its manager down (full flush).
  void stop_on_shard(unsigned shard);
  // After every shard's loop has ended: writes the gathered checkpoints and the markers.
  Status finish_shutdown();
  // Gathers every shard's checkpoints and writes them now (DeleteRecords answers once its new
  // log start is on disk). From any shard's loop. Writes are one at a time, on shard 0, each
  // gathering after every request it answers was made, so an older gathering never overwrites
  // a newer one.
  asio::awaitable<Status> checkpoint_now();
  bool opened_clean() const { return opened_clean_; }

 private:
  struct PerShard {
    Shard* shard = nullptr;
    // The shard's share of the descriptor budget; outlives the sync jobs holding its files.
    std::unique_ptr<storage::FileCache> file_cache;
    std::unique_ptr<storage::ThreadSyncExecutor> syncs;
    std::unique_ptr<storage::LogManager> manager;
    std::unique_ptr<asio::steady_timer> tick_timer;
    std::unique_ptr<asio::steady_timer> checkpoint_timer;
    bool stopped = false;
    Status shutdown_status;
  };

  LogService(storage::FileSystem& fs, storage::Clock& clock, Options options)
      : fs_(fs), clock_(clock), options_(std::move(options)) {}
  asio::awaitable<void> tick_loop(PerShard& s);
  asio::awaitable<void> checkpoint_loop();
  // On shard 0: gathers and writes until no checkpoint_now is waiting.
  asio::awaitable<void> checkpoint_rounds();
  Status write_gathered(const std::vector<storage::LogManager::DirCheckpoints>& per_dir);

  storage::FileSystem& fs_;
  storage::Clock& clock_;
  Options options_;
  std::vector<std::unique_ptr<PerShard>> shards_;
  bool opened_clean_ = true;
  // checkpoint_now callers waiting for the next gathering (shard 0 only).
  std::vector<std::function<void(Status)>> checkpoint_waiters_;
  bool checkpoint_running_ = false;
};

}  // namespace gregor::broker
