// A tiny single-partition "broker" for interoperability tests: it answers ApiVersions, Metadata,
// Produce, Fetch, ListOffsets and OffsetForLeaderEpoch with the generated codec, and records
// every request frame it receives so tests can check Gregor decodes real clients' bytes.
// One thread accepts, one thread serves each connection; it is test support, not the broker.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/bytes.h"
#include "common/uuid.h"

namespace gregor::testing {

struct CapturedRequest {
  int16_t api_key = 0;
  int16_t api_version = 0;
  Bytes frame;  // everything after the size prefix: header + body
};

class FakeBroker {
 public:
  explicit FakeBroker(std::string topic);
  ~FakeBroker();
  FakeBroker(const FakeBroker&) = delete;
  FakeBroker& operator=(const FakeBroker&) = delete;

  uint16_t port() const { return port_; }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }
  const Uuid& topic_id() const { return topic_id_; }

  // Batches served to Fetch from offset 0 of partition 0 (their base offsets already set).
  void set_log(Bytes batches, int64_t end_offset);

  std::vector<CapturedRequest> requests() const;
  // Waits until pred(requests()) holds or the deadline passes; returns whether it held.
  bool wait_for(const std::function<bool(const std::vector<CapturedRequest>&)>& pred,
                std::chrono::milliseconds timeout) const;

 private:
  void accept_loop();
  void serve(int fd);
  bool respond(const CapturedRequest& req, Bytes& out);

  std::string topic_;
  Uuid topic_id_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::vector<CapturedRequest> requests_;
  std::vector<int> conn_fds_;
  std::vector<std::thread> conn_threads_;
  Bytes log_;
  int64_t log_end_offset_ = 0;
  int64_t produced_ = 0;
};

}  // namespace gregor::testing
