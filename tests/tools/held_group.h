// A consumer group held Stable by kafka-python members (groups_clients.py hold) while a test
// looks at it with the admin client or kafka-consumer-groups.sh; shared by tests/client and
// tests/tools.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "../interop/process.h"

namespace gregor::testing {

// The groups_clients.py script, run by Debian's Python (which has kafka-python).
inline std::vector<std::string> groups_clients(std::vector<std::string> args) {
  std::vector<std::string> argv = {"/usr/bin/python3", std::string(GREGOR_SOURCE_DIR) + "/tests/tools/groups_clients.py"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

class HeldGroup {
 public:
  HeldGroup(const std::string& bootstrap, const std::string& topic, const std::string& group, int members,
            const std::string& dir)
      : ready_(dir + "/" + group + ".ready"), stop_(dir + "/" + group + ".stop") {
    auto argv = groups_clients({"hold", bootstrap, topic, group, std::to_string(members), ready_, stop_});
    thread_ = std::thread([this, argv] { 
      result_ = run_process(argv, std::chrono::seconds(300));
      finished_ = true;
    });
  }
  ~HeldGroup() { stop(); }

  // Waits until every partition is assigned and read (true), the script ends or the deadline
  // passes; report() is then the members' assignments (JSON: client id -> ["topic:p", ...]).
  bool wait_ready(std::chrono::seconds deadline = std::chrono::seconds(180)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until && !finished_) {
      if (std::filesystem::exists(ready_)) {
        std::ifstream in(ready_);
        std::stringstream s;
        s << in.rdbuf();
        report_ = s.str();
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  const std::string& report() const { return report_; }

  // The members leave; the script's output (for a failure message).
  std::string stop() {
    if (thread_.joinable()) {
      std::ofstream(stop_) << "stop";
      thread_.join();
    }
    return result_.output;
  }

 private:
  std::string ready_, stop_, report_;
  std::thread thread_;
  ProcessResult result_;
  std::atomic<bool> finished_{false};
};

}  // namespace gregor::testing
