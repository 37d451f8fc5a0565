// A fixture for the tools' tests: a real `gregor server` process, and command lines run by the
// shell from the checkout as a user types them (bin/ scripts find the binary under test through
// GREGOR_BIN), with standard output and standard error kept apart.
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
