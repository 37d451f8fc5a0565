// A fixture for the tools' tests: a real `gregor server` process, and command lines run by the
// shell from the checkout as a user types them (bin/ scripts find the binary under test through
// GREGOR_BIN), with standard output and standard error kept apart.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "../interop/broker_process_test.h"

extern char** environ;

namespace gregor::testing {

// A program running in the background with its standard output and error in a file.
class Background {
 public:
  Background(const std::vector<std::string>& argv, std::string output) : output_(std::move(output)) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Background() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool started() const { return pid_ > 0; }
  std::string output() const {
    std::ifstream in(output_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Waits (up to the deadline) until the output holds text.
  bool wait_for(const std::string& text, std::chrono::seconds deadline = std::chrono::seconds(120)) const {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (output().find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }
  // Sends the signal and waits for the exit; the exit status, or -1.
  int stop(int sig, std::chrono::seconds deadline = std::chrono::seconds(60)) {
    kill(pid_, sig);
    const auto until = std::chrono::steady_clock::now() + deadline;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > until) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  std::string output_;
  pid_t pid_ = -1;
};

struct ToolRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class ToolTest : public BrokerProcessTest {
 protected:
  ToolRun shell(const std::string& command, std::chrono::seconds timeout = std::chrono::seconds(120)) {
    const std::string err_file = dir.path() + "/stderr.txt";
    ProcessResult r = run_process({"sh", "-c", "cd '" + std::string(GREGOR_SOURCE_DIR) + "' && GREGOR_BIN='" +
                                                   GREGOR_BINARY + "' " + command + " 2>'" + err_file + "'"},
                                  timeout);
    std::ifstream in(err_file);
    std::stringstream err;
    err << in.rdbuf();
    return {r.exit_code, r.output, err.str()};
  }
  // A command line (as shell() runs it) left running in the background; exec'd by the shell, so
  // a signal reaches the program itself.
  std::unique_ptr<Background> background(const std::string& command, const std::string& name) {
    return std::make_unique<Background>(
        std::vector<std::string>{"/bin/sh", "-c",
                                 "cd '" + std::string(GREGOR_SOURCE_DIR) + "' && GREGOR_BIN='" + GREGOR_BINARY +
                                     "' exec " + command},
        dir.path() + "/" + name + ".txt");
  }
  // The broker as Kafka's quickstart names it.
  std::string localhost() const { return "localhost:" + std::to_string(broker->port()); }
  // A file in the test's folder with the given contents; its path.
  std::string write_file(const std::string& name, const std::string& contents) {
    const std::string path = dir.path() + "/" + name;
    std::ofstream(path) << contents;
    return path;
  }
};

}  // namespace gregor::testing
