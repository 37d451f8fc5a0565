// Runs a command to completion with a deadline, capturing its output (tests run real clients).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace gregor::testing {

struct ProcessResult {
  int exit_code = -1;     // -1 when it was killed at the deadline
  bool timed_out = false;
  std::string output;     // stdout and stderr, interleaved
};

ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// True when an executable of that name is on PATH.
bool have_program(const std::string& name);

}  // namespace gregor::testing
