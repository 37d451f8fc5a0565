#include "storage/sync_executor.h"

namespace gregor::storage {

ThreadSyncExecutor::ThreadSyncExecutor(std::function<void()> wake) : wake_(std::move(wake)) {
  thread_ = std::thread([this] { loop(); });
}

ThreadSyncExecutor::~ThreadSyncExecutor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  thread_.join();
}

void ThreadSyncExecutor::submit(std::function<Status()> work, std::function<void(Status)> done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Job{std::move(work), std::move(done), {}});
    ++in_flight_;
  }
  work_ready_.notify_one();
}

void ThreadSyncExecutor::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to sync
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    job.result = job.work();
    lock.lock();
    completed_.push_back(std::move(job));
    done_ready_.notify_all();
    if (wake_) {
      lock.unlock();
      wake_();
      lock.lock();
    }
  }
}

size_t ThreadSyncExecutor::run_completions(bool wait) {
  std::deque<Job> ready;
  {
    std::unique_lock lock(mutex_);
    if (wait) done_ready_.wait(lock, [&] { return !completed_.empty() || in_flight_ == 0; });
    ready.swap(completed_);
    in_flight_ -= ready.size();
  }
  for (Job& job : ready) job.done(job.result);
  return ready.size();
}

size_t ThreadSyncExecutor::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

}  // namespace gregor::storage
