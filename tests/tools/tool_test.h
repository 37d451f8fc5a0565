// A fixture for the tests that run the scripts under bin/ against a real broker process, as a
// user types them in a shell from the checkout.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "../interop/broker_process_test.h"

namespace gregor::testing {

struct ToolRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class ToolTest : public BrokerProcessTest {
 protected:
  // A shell command line run from the checkout; stdout and stderr apart.
  ToolRun shell(const std::string& command) {
    const std::string err_file = dir.path() + "/stderr.txt";
    ProcessResult r = run_process({"sh", "-c", "cd '" + std::string(GREGOR_SOURCE_DIR) + "' && GREGOR_BIN='" +
                                                   GREGOR_BINARY + "' " + command + " 2>'" + err_file + "'"},
                                  std::chrono::seconds(120));
    std::ifstream in(err_file);
    std::stringstream err;
    err << in.rdbuf();
    return {r.exit_code, r.output, err.str()};
  }
  std::string localhost() const { return "localhost:" + std::to_string(broker->port()); }
};

}  // namespace gregor::testing
