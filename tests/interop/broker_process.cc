#include "broker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

extern char** environ;

namespace gregor::testing {

BrokerProcess::BrokerProcess(std::string data_dir, std::vector<std::string> overrides)
    : data_dir_(std::move(data_dir)), overrides_(std::move(overrides)), log_path_(data_dir_ + ".log") {}

BrokerProcess::~BrokerProcess() {
  if (pid_ > 0) stop(std::chrono::seconds(10));
}

std::string BrokerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool BrokerProcess::start(std::chrono::milliseconds deadline, int port) {
  std::vector<std::string> argv = {GREGOR_BINARY, "server",
                                   "--override", "log.dirs=" + data_dir_,
                                   "--override", "listeners=PLAINTEXT://127.0.0.1:" + std::to_string(port) +
                                                     ",CONTROLLER://127.0.0.1:0"};
  for (const std::string& o : overrides_) {
    argv.push_back("--override");
    argv.push_back(o);
  }
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  port_ = -1;
  int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    return false;
  }
  // The broker logs the port it bound; it accepts clients once it logs "started".
  const std::regex listening("listening on PLAINTEXT://[^ ]*:([0-9]+)");
  const auto until = std::chrono::steady_clock::now() + deadline;
  const size_t from = log().size();  // the log file keeps earlier runs
  while (std::chrono::steady_clock::now() < until) {
    std::string all = log();
    std::string text = all.substr(std::min(from, all.size()));
    std::smatch m;
    if (port_ < 0 && std::regex_search(text, m, listening)) port_ = std::stoi(m[1]);
    if (port_ > 0 && text.find("] started") != std::string::npos) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    // Polling the log the broker writes, until the condition or the deadline.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void BrokerProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  port_ = -1;
}

int BrokerProcess::stop(std::chrono::milliseconds deadline) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + deadline;
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= until) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  port_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace gregor::testing
