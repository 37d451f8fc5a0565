// Consumer groups with real clients against a real `gregor server` process: confluent-kafka
// (librdkafka), kafka-python and kafkajs members, each a process of its own, sharing partitions
// with each assignor, taking over from members that die or stop polling, resetting and committing
// offsets that survive broker restarts and crashes, static membership, and the admin clients'
// group APIs. The checks are the scripts tests/clients/group_*; the broker runs with
// group.min.session.timeout.ms=1000 so that the members' short sessions keep each test quick.
#include <gtest/gtest.h>
#include <sys/types.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include "broker_process_test.h"

namespace gregor::testing {
namespace {

using namespace std::chrono_literals;

class GroupClientsTest : public BrokerProcessTest {
 protected:
  void SetUp() override {
    broker = std::make_unique<BrokerProcess>(dir.path() + "/data",
                                             std::vector<std::string>{"group.min.session.timeout.ms=1000",
                                                                      "offsets.topic.num.partitions=5"});
    ASSERT_TRUE(broker->start()) << broker->log();
  }
  void TearDown() override {
    // The broker stops cleanly after whatever the clients did (a crash, or what the sanitizers
    // found, would exit otherwise).
    EXPECT_EQ(broker->stop(), 0);
    BrokerProcessTest::TearDown();
  }
  // The broker's process id, for a script that kills it at a moment of its own choosing: the
  // process whose command line names this test's data dir.
  pid_t broker_pid() {
    const std::string wanted = "log.dirs=" + dir.path() + "/data";
    std::error_code ec;  // processes come and go while this looks
    for (auto it = std::filesystem::directory_iterator("/proc", ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec)) {
      const std::string name = it->path().filename();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream in(it->path() / "cmdline");
      std::string arg;
      while (std::getline(in, arg, '\0')) {
        if (arg == wanted) return static_cast<pid_t>(std::stol(name));
      }
    }
    return -1;
  }
  ProcessResult node(const std::string& script, std::vector<std::string> args) {
    std::vector<std::string> argv = {"node", std::string(GREGOR_SOURCE_DIR) + "/tests/clients/" + script};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, 90s);
  }
  void expect_ok(const ProcessResult& result) {
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("ok"), std::string::npos) << result.output;
  }
  void balance(const std::string& topic, const std::string& members) {
    expect_ok(python("group_balance.py", {broker->bootstrap(), topic, members}));
  }
};

// 1. librdkafka's assignors: three members on six partitions get two each, every record once.
TEST_F(GroupClientsTest, ConfluentRangeAssignor) {
  balance("ck-range", "confluent:range,confluent:range,confluent:range");
}

TEST_F(GroupClientsTest, ConfluentRoundRobinAssignor) {
  balance("ck-roundrobin", "confluent:roundrobin,confluent:roundrobin,confluent:roundrobin");
}

TEST_F(GroupClientsTest, ConfluentCooperativeStickyAssignor) {
  balance("ck-cooperative", "confluent:cooperative-sticky,confluent:cooperative-sticky,confluent:cooperative-sticky");
}

// 2. The other libraries alone.
TEST_F(GroupClientsTest, KafkaPythonGroup) {
  balance("kp-group", "kafka-python:roundrobin,kafka-python:roundrobin,kafka-python:roundrobin");
}

TEST_F(GroupClientsTest, KafkajsGroup) { balance("kjs-group", "kafkajs:roundrobin,kafkajs:roundrobin,kafkajs:roundrobin"); }

// 3. kafka-python and librdkafka members in one group, sharing the range protocol.
TEST_F(GroupClientsTest, MixedKafkaPythonAndConfluentGroup) {
  balance("mixed-group", "kafka-python:range,confluent:range,kafka-python:range");
}

// 4. A member killed with SIGKILL: its partitions move once its session times out.
TEST_F(GroupClientsTest, KilledMemberLosesItsPartitionsAfterTheSessionTimeout) {
  expect_ok(python("group_failover.py", {broker->bootstrap(), "killed", "kill"}));
}

TEST_F(GroupClientsTest, KilledKafkaPythonMemberLosesItsPartitionsAfterTheSessionTimeout) {
  expect_ok(python("group_failover.py", {broker->bootstrap(), "killed-kp", "kafka-python-kill"}));
}

// 5. A member that stops polling beyond max.poll.interval.ms.
TEST_F(GroupClientsTest, MemberThatStopsPollingIsRemoved) {
  expect_ok(python("group_failover.py", {broker->bootstrap(), "stalled", "stall"}));
}

// 6. auto.offset.reset earliest, latest and none.
TEST_F(GroupClientsTest, AutoOffsetReset) { expect_ok(python("group_offset_reset.py", {broker->bootstrap(), "reset"})); }

// 7. enable.auto.commit.
TEST_F(GroupClientsTest, AutoCommit) { expect_ok(python("group_commits.py", {broker->bootstrap(), "auto", "auto"})); }

// 8. Synchronous and asynchronous commits.
TEST_F(GroupClientsTest, SyncAndAsyncCommits) {
  expect_ok(python("group_commits.py", {broker->bootstrap(), "commits", "sync-async"}));
}

// 9. Committed offsets survive a clean restart, and a crash of the broker once acknowledged.
TEST_F(GroupClientsTest, OffsetsSurviveBrokerRestartAndCrash) {
  auto script = [&](const std::string& mode, const std::string& group, const std::string& offsets,
                    std::vector<std::string> more = {}) {
    std::vector<std::string> args = {broker->bootstrap(), "restarts", mode, group, offsets};
    args.insert(args.end(), more.begin(), more.end());
    return python("group_resume.py", args);
  };
  expect_ok(script("commit", "left", "0=3,1=7,2=10"));
  // The member is still in the group when the broker goes down.
  expect_ok(script("commit", "stayed", "0=1,1=0,2=9", {"stay"}));
  ASSERT_EQ(broker->stop(), 0) << broker->log();
  ASSERT_TRUE(broker->start()) << broker->log();
  expect_ok(script("verify", "left", "0=3,1=7,2=10"));
  expect_ok(script("verify", "stayed", "0=1,1=0,2=9"));

  expect_ok(script("commit", "left", "0=4,1=8,2=5"));
  // The script kills the broker the moment it acknowledges the commit.
  const pid_t pid = broker_pid();
  ASSERT_GT(pid, 1);
  expect_ok(script("commit", "stayed", "0=2,1=6,2=10", {"stay", "crash=" + std::to_string(pid)}));
  broker->kill();  // reaps it
  ASSERT_TRUE(broker->start()) << broker->log();
  expect_ok(script("verify", "left", "0=4,1=8,2=5"));
  expect_ok(script("verify", "stayed", "0=2,1=6,2=10"));
}

// A running group rides out a broker crash: the broker comes back on the same port and loads
// the group, which carries on reading and committing.
TEST_F(GroupClientsTest, RunningGroupCarriesOnAcrossABrokerCrash) {
  const std::string ready = dir.path() + "/ready", restarted = dir.path() + "/restarted";
  auto script = std::async(std::launch::async, [&, bootstrap = broker->bootstrap()] {
    return python("group_live_restart.py", {bootstrap, "live", ready, restarted});
  });
  const auto until = std::chrono::steady_clock::now() + 60s;
  // Polling for the file the script writes, until it does, the script ends, or the deadline.
  while (!std::filesystem::exists(ready) && std::chrono::steady_clock::now() < until &&
         script.wait_for(20ms) == std::future_status::timeout) {
  }
  if (std::filesystem::exists(ready)) {
    const int port = broker->port();
    broker->kill();
    ASSERT_TRUE(broker->start(60s, port)) << broker->log();
    std::ofstream(restarted) << "restarted\n";
  }
  expect_ok(script.get());
}

// 10. A new consumer starts at the committed offsets, whichever library committed them.
TEST_F(GroupClientsTest, NewConsumerStartsAtTheCommittedOffsets) {
  expect_ok(python("group_resume.py", {broker->bootstrap(), "resume", "resume"}));
}

// 11. A static member restarted comes back without a rebalance.
TEST_F(GroupClientsTest, StaticMemberRejoinsWithoutRebalance) {
  expect_ok(python("group_static.py", {broker->bootstrap(), "static"}));
}

// 12. The admin clients' group APIs.
TEST_F(GroupClientsTest, KafkaPythonAdminGroups) {
  expect_ok(python("group_admin_kafka_python.py", {broker->bootstrap(), "kp-admin"}));
}

TEST_F(GroupClientsTest, KafkajsAdminGroups) { expect_ok(node("group_admin_kafkajs.js", {broker->bootstrap(), "kjs-admin"})); }

}  // namespace
}  // namespace gregor::testing
