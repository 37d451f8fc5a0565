// A fixture for tests that run real clients against a real `gregor server` process: the broker
// starts in a data dir of its own, its output is printed when a test fails, and helpers run kcat
// and the Python clients in tests/clients against it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "../storage/temp_dir.h"
#include "broker_process.h"
#include "process.h"

namespace gregor::testing {

class BrokerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker = std::make_unique<BrokerProcess>(dir.path() + "/data");
    ASSERT_TRUE(broker->start()) << broker->log();
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << broker->log();
  }
  // kcat against the broker, reading input (when given) from its standard input.
  ProcessResult kcat(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv = {"kcat", "-b", broker->bootstrap()};
    argv.insert(argv.end(), args.begin(), args.end());
    if (input.empty()) return run_process(argv, std::chrono::seconds(60));
    std::string file = dir.path() + "/input.txt";
    std::ofstream(file) << input;
    std::string command;
    for (const std::string& a : argv) command += "'" + a + "' ";
    return run_process({"sh", "-c", command + "< '" + file + "'"}, std::chrono::seconds(60));
  }
  // A script of tests/clients run by Debian's Python, which has kafka-python and confluent-kafka.
  ProcessResult python(const std::string& script, std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/python3", std::string(GREGOR_SOURCE_DIR) + "/tests/clients/" + script};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, std::chrono::seconds(90));
  }

  storage::testing::TempDir dir;
  std::unique_ptr<BrokerProcess> broker;
};

}  // namespace gregor::testing
