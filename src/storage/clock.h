// Time as the storage layer sees it: wall-clock milliseconds for timestamps and retention, and a
// monotonic clock for intervals (flush.ms). Tests drive a ManualClock.
#pragma once

#include <cstdint>

namespace gregor::storage {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ms() = 0;        // milliseconds since the epoch
  virtual int64_t monotonic_ms() = 0;  // milliseconds since an arbitrary start; never goes back
};

class SystemClock final : public Clock {
 public:
  int64_t now_ms() override;
  int64_t monotonic_ms() override;
  static SystemClock& instance();
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms = 1'700'000'000'000) : now_(now_ms) {}
  int64_t now_ms() override { return now_; }
  int64_t monotonic_ms() override { return now_; }
  void advance(int64_t ms) { now_ += ms; }
  void set(int64_t ms) { now_ = ms; }

 private:
  int64_t now_;
};

}  // namespace gregor::storage
