// Where a log's fdatasync calls run. Syncing on the thread that owns a partition would stall
// every other partition of that core for a disk round trip, so the log hands the sync to an
// executor and carries on appending; when the sync is done, the completion runs back on the
// owner's thread and acknowledges every append the sync covered (group commit).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "common/status.h"

namespace gregor::storage {

class SyncExecutor {
 public:
  virtual ~SyncExecutor() = default;
  // Runs work (only fdatasync calls on files it holds) somewhere, then done(its status) on the
  // thread that owns the log.
  virtual void submit(std::function<Status()> work, std::function<void(Status)> done) = 0;
};

// Runs the sync on the caller's thread, at once: tools, tests, and logs whose owner may block.
class InlineSyncExecutor final : public SyncExecutor {
 public:
  void submit(std::function<Status()> work, std::function<void(Status)> done) override { done(work()); }
};

// One background thread runs the syncs in submission order; completions queue up until the
// owner calls run_completions(). An event loop passes wake, which the background thread calls
// whenever a completion is ready, to post a run_completions() call to the owner's loop.
class ThreadSyncExecutor final : public SyncExecutor {
 public:
  explicit ThreadSyncExecutor(std::function<void()> wake = {});
  ~ThreadSyncExecutor() override;

  void submit(std::function<Status()> work, std::function<void(Status)> done) override;
  // Runs the completions that are ready; with wait, first blocks until at least one is (or
  // nothing is in flight). Returns how many ran.
  size_t run_completions(bool wait = false);
  // Submitted syncs whose completion has not run yet.
  size_t in_flight() const;

 private:
  struct Job {
    std::function<Status()> work;
    std::function<void(Status)> done;
    Status result;
  };
  void loop();

  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable done_ready_;
  std::deque<Job> queue_;
  std::deque<Job> completed_;
  size_t in_flight_ = 0;
  bool stopping_ = false;
  std::function<void()> wake_;
  std::thread thread_;
};

}  // namespace gregor::storage
