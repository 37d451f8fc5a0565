#include "broker/log_service.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

namespace gregor::broker {

unsigned shard_of(const storage::TopicPartition& tp, unsigned shards) {
  // FNV-1a over the topic name and the partition number.
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&](uint8_t b) { h = (h ^ b) * 0x100000001b3ULL; };
  for (char c : tp.topic) mix(static_cast<uint8_t>(c));
  for (int i = 0; i < 4; ++i) mix(static_cast<uint8_t>(static_cast<uint32_t>(tp.partition) >> (8 * i)));
  return static_cast<unsigned>(h % shards);
}

StatusOr<std::unique_ptr<LogService>> LogService::open(storage::FileSystem& fs, storage::Clock& clock,
                                                       const std::vector<Shard*>& shards, Options options) {
  std::unique_ptr<LogService> service(new LogService(fs, clock, std::move(options)));
  const unsigned n = static_cast<unsigned>(shards.size());
  for (Shard* shard : shards) {
    auto s = std::make_unique<PerShard>();
    s->shard = shard;
    PerShard* raw = s.get();
    s->syncs = std::make_unique<storage::ThreadSyncExecutor>([raw] {
      asio::post(raw->shard->executor(), [raw] { raw->syncs->run_completions(); });
    });
    storage::LogManager::Options o = service->options_.manager;
    if (o.max_open_files > 0 && !o.file_cache) {
      s->file_cache = std::make_unique<storage::FileCache>(std::max<size_t>(o.max_open_files / n, 16));
      o.file_cache = s->file_cache.get();
    }
    const unsigned id = shard->id();
    // The metadata log (__cluster_metadata-0, in the first log dir by default) is not a
    // partition of any shard: the metadata service keeps it.
    o.owns = [id, n](const storage::TopicPartition& tp) {
      return tp.topic != "__cluster_metadata" && shard_of(tp, n) == id;
    };
    o.manage_dir_files = false;
    auto manager = storage::LogManager::open(fs, clock, *s->syncs, o);
    if (!manager.ok()) return manager.status();
    if (!(*manager)->opened_clean()) service->opened_clean_ = false;
    s->manager = std::move(*manager);
    service->shards_.push_back(std::move(s));
  }
  for (const std::string& dir : service->options_.manager.log_dirs) {
    if (Status s = storage::remove_clean_shutdown_marker(fs, dir); !s.ok()) return s;
  }
  return service;
}

LogService::~LogService() = default;

storage::LogManager& LogService::local() {
  Shard* current = Shard::current();
  return *shards_[current ? current->id() : 0]->manager;
}

void LogService::start() {
  for (auto& s : shards_) {
    s->tick_timer = std::make_unique<asio::steady_timer>(s->shard->context());
    asio::co_spawn(s->shard->context(), tick_loop(*s), asio::detached);
  }
  shards_[0]->checkpoint_timer = std::make_unique<asio::steady_timer>(shards_[0]->shard->context());
  asio::co_spawn(shards_[0]->shard->context(), checkpoint_loop(), asio::detached);
}

asio::awaitable<void> LogService::tick_loop(PerShard& s) {
  while (!s.stopped) {
    s.tick_timer->expires_after(std::chrono::milliseconds(options_.tick_interval_ms));
    std::error_code ec;
    co_await s.tick_timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (s.stopped) break;
    s.manager->tick();
  }
}

asio::awaitable<void> LogService::checkpoint_loop() {
  PerShard& home = *shards_[0];
  while (!home.stopped) {
    home.checkpoint_timer->expires_after(std::chrono::milliseconds(options_.checkpoint_interval_ms));
    std::error_code ec;
    co_await home.checkpoint_timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (home.stopped) break;
    if (Status s = co_await checkpoint_now(); !s.ok()) spdlog::warn("writing checkpoints: {}", s.message());
  }
}

asio::awaitable<Status> LogService::checkpoint_now() {
  auto request = [this](auto reply) {
    checkpoint_waiters_.push_back(std::move(reply));
    if (checkpoint_running_) return;
    checkpoint_running_ = true;
    asio::co_spawn(shards_[0]->shard->context(), checkpoint_rounds(), asio::detached);
  };
  co_return co_await invoke_on_async<Status>(*shards_[0]->shard, request);
}

asio::awaitable<void> LogService::checkpoint_rounds() {
  PerShard& home = *shards_[0];
  while (!checkpoint_waiters_.empty()) {
    std::vector<std::function<void(Status)>> waiters = std::move(checkpoint_waiters_);
    checkpoint_waiters_.clear();
    Status written;
    // Once the managers shut down, finish_shutdown writes the last checkpoints.
    if (!home.stopped) {
      const auto& dirs = options_.manager.log_dirs;
      std::vector<storage::LogManager::DirCheckpoints> gathered(dirs.size());
      for (auto& s : shards_) {
        storage::LogManager* manager = s->manager.get();
        auto per_dir = co_await invoke_on(*s->shard, [manager, &dirs] {
          std::vector<storage::LogManager::DirCheckpoints> out;
          for (const std::string& dir : dirs) out.push_back(manager->checkpoints(dir));
          return out;
        });
        for (size_t i = 0; i < dirs.size(); ++i) gathered[i].merge(per_dir[i]);
      }
      if (!home.stopped) written = write_gathered(gathered);
    }
    for (auto& done : waiters) done(written);
  }
  checkpoint_running_ = false;
}

Status LogService::write_gathered(const std::vector<storage::LogManager::DirCheckpoints>& per_dir) {
  const auto& dirs = options_.manager.log_dirs;
  for (size_t i = 0; i < dirs.size(); ++i) {
    if (Status s = storage::write_dir_checkpoints(fs_, dirs[i], per_dir[i]); !s.ok()) return s;
  }
  return {};
}

void LogService::stop_on_shard(unsigned shard) {
  PerShard& s = *shards_[shard];
  s.stopped = true;
  if (s.tick_timer) s.tick_timer->cancel();
  if (s.checkpoint_timer) s.checkpoint_timer->cancel();
  s.shutdown_status = s.manager->shutdown();
}

Status LogService::finish_shutdown() {
  const auto& dirs = options_.manager.log_dirs;
  std::vector<storage::LogManager::DirCheckpoints> gathered(dirs.size());
  Status first;
  for (auto& s : shards_) {
    if (!s->stopped) s->shutdown_status = s->manager->shutdown();
    if (!s->shutdown_status.ok() && first.ok()) first = s->shutdown_status;
    for (size_t i = 0; i < dirs.size(); ++i) gathered[i].merge(s->manager->checkpoints(dirs[i]));
  }
  // Completions of syncs that finished during shutdown have nowhere to run now: the logs are
  // closed and fully flushed, so they are dropped with the executors.
  if (Status s = write_gathered(gathered); !s.ok() && first.ok()) first = s;
  if (!first.ok()) return first;  // no marker: the next start recovers
  for (const std::string& dir : dirs) {
    if (Status s = storage::write_clean_shutdown_marker(fs_, dir); !s.ok()) return s;
  }
  return {};
}

}  // namespace gregor::broker
