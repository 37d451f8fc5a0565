// bin/kafka-consumer-groups.sh against a real broker process, on groups kafka-python members
// made: one held Stable by two members, one Empty with committed offsets. Every action, its
// output lines as Kafka 4.0's ConsumerGroupCommand prints them (columns as wide as Kafka makes
// them), and its errors.
#include <gtest/gtest.h>

#include <array>

#include "held_group.h"
#include "tool_test.h"

namespace gregor::testing {
namespace {

std::string pad(const std::string& s, size_t n) { return s.size() >= n ? s : s + std::string(n - s.size(), ' '); }

class ConsumerGroupsTest : public ToolTest {
 protected:
  ToolRun groups(const std::string& args) {
    return shell("bin/kafka-consumer-groups.sh --bootstrap-server " + broker->bootstrap() + " " + args);
  }
  // Topic orders with 3, 2 and 1 records in partitions 0, 1, 2; group idle committed 1 and 2 on
  // partitions 0 and 1 and left.
  void SetUp() override {
    ToolTest::SetUp();
    ToolRun created = shell("bin/kafka-topics.sh --bootstrap-server " + broker->bootstrap() +
                            " --create --topic orders --partitions 3");
    ASSERT_EQ(created.exit_code, 0) << created.err;
    for (int p = 0; p < 3; ++p) {
      std::string input;
      for (int i = 0; i < 3 - p; ++i) input += "v" + std::to_string(i) + "\n";
      auto r = kcat({"-P", "-t", "orders", "-p", std::to_string(p)}, input);
      ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    auto r = run_process(groups_clients({"commit", broker->bootstrap(), "orders", "idle", "0=1,1=2"}),
                         std::chrono::seconds(180));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  // The member ids of a held group, by client id, from --members.
  std::map<std::string, std::string> member_ids(const std::string& group) {
    ToolRun r = groups("--describe --group " + group + " --members");
    std::map<std::string, std::string> ids;
    std::stringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      std::stringstream fields(line);
      std::string g, member, host, client;
      fields >> g >> member >> host >> client;
      if (g == group) ids[client] = member;
    }
    return ids;
  }
};

TEST_F(ConsumerGroupsTest, ListAndDescribe) {
  HeldGroup busy(broker->bootstrap(), "orders", "busy", 2, dir.path());
  ASSERT_TRUE(busy.wait_ready()) << busy.stop();
  // The range assignor gives the first member (by member id, which starts with the client id)
  // partitions 0 and 1.
  ASSERT_EQ(busy.report(), "{\"busy-member-0\": [\"orders:0\", \"orders:1\"], \"busy-member-1\": [\"orders:2\"]}");

  ToolRun r = groups("--list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "busy\nidle\n");
  r = groups("--list --state");
  EXPECT_EQ(r.out, pad("GROUP", 25) + " " + pad("STATE", 20) + "\n" + pad("busy", 25) + " " + pad("Stable", 20) + "\n" +
                       pad("idle", 25) + " " + pad("Empty", 20) + "\n");
  r = groups("--list --state Empty --type");
  EXPECT_EQ(r.out, pad("GROUP", 25) + " " + pad("TYPE", 20) + " " + pad("STATE", 20) + "\n" + pad("idle", 25) + " " +
                       pad("Classic", 20) + " " + pad("Empty", 20) + "\n");
  r = groups("--list --state bogus");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "Invalid state list 'bogus'. Valid states are: PreparingRebalance, CompletingRebalance, Stable, Dead, "
            "Empty, Assigning, Reconciling\n");

  const auto ids = member_ids("busy");
  ASSERT_EQ(ids.size(), 2u);
  const std::string m0 = ids.at("busy-member-0"), m1 = ids.at("busy-member-1");
  const size_t cw = std::max<size_t>(15, std::max(m0.size(), m1.size()));

  // The offsets view: every partition with its lag, the member reading it, host and client id.
  r = groups("--describe --group busy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto row = [&](const std::string& group, const std::string& p, const std::string& offset, const std::string& end,
                 const std::string& lag, const std::string& consumer, const std::string& host, const std::string& client,
                 size_t consumer_w) {
    return "\n" + pad(group, 15) + " " + pad("orders", 15) + " " + pad(p, 10) + " " + pad(offset, 15) + " " +
           pad(end, 15) + " " + pad(lag, 15) + " " + pad(consumer, consumer_w) + " " + pad(host, 15) + " " + client;
  };
  auto head = [&](size_t consumer_w) {
    return "\n" + pad("GROUP", 15) + " " + pad("TOPIC", 15) + " " + pad("PARTITION", 10) + " " +
           pad("CURRENT-OFFSET", 15) + " " + pad("LOG-END-OFFSET", 15) + " " + pad("LAG", 15) + " " +
           pad("CONSUMER-ID", consumer_w) + " " + pad("HOST", 15) + " CLIENT-ID";
  };
  EXPECT_EQ(r.out, head(cw) + row("busy", "0", "3", "3", "0", m0, "/127.0.0.1", "busy-member-0", cw) +
                       row("busy", "1", "2", "2", "0", m0, "/127.0.0.1", "busy-member-0", cw) +
                       row("busy", "2", "1", "1", "0", m1, "/127.0.0.1", "busy-member-1", cw) + "\n");
  EXPECT_EQ(r.err, "");

  // An Empty group: the message on stderr, committed offsets without consumers.
  r = groups("--describe --group idle --offsets");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "\nConsumer group 'idle' has no active members.\n");
  EXPECT_EQ(r.out, head(15) + row("idle", "0", "1", "3", "2", "-", "-", "-", 15) +
                       row("idle", "1", "2", "2", "0", "-", "-", "-", 15) + "\n");

  // Members, verbose.
  r = groups("--describe --group busy --members --verbose");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto member_row = [&](const std::string& id, const std::string& host, const std::string& client,
                        const std::string& count, const std::string& epoch, const std::string& current) {
    return pad("busy", 15) + " " + pad(id, cw) + " " + pad(host, 15) + " " + pad(client, 15) + " " + pad(count, 15) +
           " " + pad(epoch, 15) + " " + pad(current, 20) + " " + pad("-", 15) + " " + pad("-", 20) + "\n";
  };
  const std::string member_header = "\n" + pad("GROUP", 15) + " " + pad("CONSUMER-ID", cw) + " " + pad("HOST", 15) +
                                    " " + pad("CLIENT-ID", 15) + " " + pad("#PARTITIONS", 15) + " " +
                                    pad("CURRENT-EPOCH", 15) + " " + pad("CURRENT-ASSIGNMENT", 20) + " " +
                                    pad("TARGET-EPOCH", 15) + " " + pad("TARGET-ASSIGNMENT", 20) + "\n";
  EXPECT_EQ(r.out, member_header +
                       member_row(m0, "/127.0.0.1", "busy-member-0", "2", "-", "orders:0,1") +
                       member_row(m1, "/127.0.0.1", "busy-member-1", "1", "-", "orders:2"));

  // State.
  r = groups("--describe --group busy --state");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string coordinator = "127.0.0.1:" + std::to_string(broker->port()) + "  (1)";
  const size_t coord_w = std::max<size_t>(25, coordinator.size());
  EXPECT_EQ(r.out, "\n" + pad("GROUP", 15) + " " + pad("COORDINATOR (ID)", coord_w) + " " +
                       pad("ASSIGNMENT-STRATEGY", 20) + " " + pad("STATE", 20) + " #MEMBERS\n" + pad("busy", 15) + " " +
                       pad(coordinator, coord_w) + " " + pad("range", 20) + " " + pad("Stable", 20) + " 2\n");

  // A group that does not exist; bad combinations of options.
  r = groups("--describe --group nowhere");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: Consumer group 'nowhere' does not exist.\n");
  r = groups("--describe");
  EXPECT_EQ(r.err, "Option [describe] takes one of these options: [all-groups], [group]\n");
  r = groups("--describe --group busy --members --state");
  EXPECT_EQ(r.err, "Option [describe] takes at most one of these options: [members], [offsets], [state]\n");
  r = groups("--list --describe");
  EXPECT_EQ(r.exit_code, 1);

  // --all-groups: both, in name order.
  r = groups("--describe --all-groups --state");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\nbusy "), std::string::npos) << r.out;
  EXPECT_LT(r.out.find("\nbusy "), r.out.find("\nidle ")) << r.out;
  busy.stop();
}

TEST_F(ConsumerGroupsTest, ResetDeleteOffsetsAndDelete) {
  HeldGroup busy(broker->bootstrap(), "orders", "busy", 1, dir.path());
  ASSERT_TRUE(busy.wait_ready()) << busy.stop();
  auto plan = [](const std::vector<std::array<std::string, 3>>& rows, const std::string& group = "idle") {
    std::string s = "\n" + pad("GROUP", 15) + " " + pad("TOPIC", 15) + " " + pad("PARTITION", 10) + " NEW-OFFSET";
    for (const auto& r : rows) s += "\n" + pad(group, 15) + " " + pad(r[0], 15) + " " + pad(r[1], 10) + " " + r[2];
    return s + "\n";
  };

  // An active group is refused.
  ToolRun r = groups("--reset-offsets --group busy --all-topics --to-earliest --execute");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: Assignments can only be reset if the group 'busy' is inactive, but the current state is "
                   "Stable.\n");

  // Dry run (the default, with Kafka's warning): the plan, nothing changed.
  r = groups("--reset-offsets --group idle --all-topics --to-earliest");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.substr(0, 70), "WARN: No action will be performed as the --execute option is missing.I");
  EXPECT_EQ(r.out, plan({{"orders", "0", "0"}, {"orders", "1", "0"}}));
  r = groups("--describe --group idle");
  EXPECT_NE(r.out.find("\nidle            orders          0          1 "), std::string::npos) << r.out;

  // Each scenario.
  r = groups("--reset-offsets --group idle --topic orders --to-latest --dry-run");
  EXPECT_EQ(r.out, plan({{"orders", "0", "3"}, {"orders", "1", "2"}, {"orders", "2", "1"}}));
  r = groups("--reset-offsets --group idle --topic orders:0,1 --shift-by -1 --dry-run");
  EXPECT_EQ(r.out, plan({{"orders", "0", "0"}, {"orders", "1", "1"}}));
  r = groups("--reset-offsets --group idle --topic orders:0 --shift-by 10 --dry-run");  // to the log end
  EXPECT_EQ(r.out, plan({{"orders", "0", "3"}}));
  r = groups("--reset-offsets --group idle --topic orders:2 --shift-by 1 --dry-run");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Cannot shift offset for partition orders-2 since there is no current committed offset\n");
  r = groups("--reset-offsets --group idle --topic orders --to-current --dry-run");
  EXPECT_EQ(r.out, plan({{"orders", "0", "1"}, {"orders", "1", "2"}, {"orders", "2", "1"}}));
  r = groups("--reset-offsets --group idle --topic orders --to-offset 2 --dry-run");
  EXPECT_EQ(r.out, plan({{"orders", "0", "2"}, {"orders", "1", "2"}, {"orders", "2", "1"}}));
  r = groups("--reset-offsets --group idle --topic orders:1 --to-datetime 2000-01-01T00:00:00.000 --dry-run");
  EXPECT_EQ(r.out, plan({{"orders", "1", "0"}}));
  r = groups("--reset-offsets --group idle --topic orders:1 --to-datetime 2999-01-01T00:00:00.000Z --dry-run");
  EXPECT_EQ(r.out, "\nWarn: Partition 1 from topic orders is empty. Falling back to latest known offset.\n" +
                       plan({{"orders", "1", "2"}}));
  r = groups("--reset-offsets --group idle --topic orders:0 --by-duration P1D --dry-run");
  EXPECT_EQ(r.out, plan({{"orders", "0", "0"}}));
  r = groups("--reset-offsets --group idle --topic orders:7 --to-earliest --dry-run");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: Executing consumer group command failed due to The partitions \"orders-7\" do not exist\n");
  r = groups("--reset-offsets --group idle --to-earliest --dry-run");
  EXPECT_EQ(r.err, "One of the reset scopes should be defined: --all-topics, --topic.\n");
  r = groups("--reset-offsets --group idle --all-topics --to-earliest --to-latest");
  EXPECT_EQ(r.err, "Option \"[to-earliest]\" can't be used with option \"[to-latest]\"\n");

  // --execute changes them; --export writes the plan as CSV, --from-file reads it back.
  r = groups("--reset-offsets --group idle --topic orders --to-offset 1 --execute");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  r = groups("--describe --group idle");
  EXPECT_NE(r.out.find("\nidle            orders          2          1               1               0 "),
            std::string::npos)
      << r.out;
  r = groups("--reset-offsets --group idle --all-topics --to-latest --dry-run --export");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "orders,0,3\norders,1,2\norders,2,1\n\n");
  const std::string csv = dir.path() + "/plan.csv";
  std::ofstream(csv) << "orders,0,2\norders,1,9\n";
  r = groups("--reset-offsets --group idle --from-file " + csv + " --execute");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, plan({{"orders", "0", "2"}, {"orders", "1", "2"}}));

  // Deleting offsets: done for the idle group; the busy one reads the topic.
  r = groups("--delete-offsets --group idle --topic orders:1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Request succeeded for deleting offsets from group idle.\n\n" + pad("TOPIC", 15) + " " +
                       pad("PARTITION", 10) + " " + pad("STATUS", 15) + "\n" + pad("orders", 15) + " " + pad("1", 10) +
                       " " + pad("Successful", 15) + "\n");
  r = groups("--delete-offsets --group busy --topic orders:0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: Encountered some partition-level error, see the follow-up details.\n");
  EXPECT_NE(r.out.find(pad("orders", 15) + " " + pad("0", 10) + " Error: "), std::string::npos) << r.out;

  // Deleting groups: not one with members.
  r = groups("--delete --group busy --group idle");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: Deletion of some consumer groups failed:\n");
  EXPECT_NE(r.out.find("* Group 'busy' could not be deleted due to: "
                       "org.apache.kafka.common.errors.GroupNotEmptyException: "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nThese consumer groups were deleted successfully: 'idle'\n"), std::string::npos) << r.out;
  busy.stop();
  // Once its member left, the busy group goes too.
  r = groups("--delete --group busy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Deletion of requested consumer groups ('busy') was successful.\n");
  r = groups("--list");
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace gregor::testing
