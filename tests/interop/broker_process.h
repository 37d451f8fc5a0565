// A real `gregor server` process on a free loopback port with a data dir of its own, for tests
// that run real Kafka clients against the broker.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace gregor::testing {

class BrokerProcess {
 public:
  // data_dir: the broker's log dir (kept across restarts); overrides: extra key=value settings.
  BrokerProcess(std::string data_dir, std::vector<std::string> overrides = {});
  ~BrokerProcess();

  // Starts the broker and waits (up to the deadline) until it listens; false on failure. port 0
  // takes a free one; a restart may ask for the port it had, so clients find it again.
  bool start(std::chrono::milliseconds deadline = std::chrono::seconds(60), int port = 0);
  // SIGKILL, as a crash: no clean shutdown.
  void kill();
  // SIGTERM and wait for the exit; returns the exit code (-1 when killed at the deadline).
  int stop(std::chrono::milliseconds deadline = std::chrono::seconds(60));
  int port() const { return port_; }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }
  // Everything the broker printed so far.
  std::string log() const;

 private:
  std::string data_dir_;
  std::vector<std::string> overrides_;
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = -1;
};

}  // namespace gregor::testing
