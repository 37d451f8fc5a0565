// The admin client's consumer group calls against a real broker process, on groups made by
// kafka-python members: one held Stable by two members, one Empty with committed offsets. Lists
// (with state and type filters), describes (members, assignments decoded from the consumer
// protocol, a missing group as Dead), lists, alters and deletes committed offsets (refused while
// the group has members), removes members and deletes groups.
#include <gtest/gtest.h>

#include "../interop/broker_process_test.h"
#include "admin_test_util.h"
#include "../tools/held_group.h"
#include "common/error_code.h"
#include "gregor/admin.h"

namespace gregor {
namespace {

using testing::HeldGroup;

class AdminGroupsTest : public testing::BrokerProcessTest {
 protected:
  Properties props() const {
    return {{"bootstrap.servers", broker->bootstrap()}, {"client.id", "admin-groups-test"},
            {"default.api.timeout.ms", "30000"}};
  }
  // A topic with 3, 2 and 1 records in its partitions 0, 1 and 2.
  void make_orders(Admin& admin) {
    all(admin.create_topics({NewTopic{"orders", 3, 1, {}, {}}}));
    for (int p = 0; p < 3; ++p) {
      std::string input;
      for (int i = 0; i < 3 - p; ++i) input += "v" + std::to_string(i) + "\n";
      auto r = kcat({"-P", "-t", "orders", "-p", std::to_string(p)}, input);
      ASSERT_EQ(r.exit_code, 0) << r.output;
    }
  }
  void commit(const std::string& group, const std::string& offsets) {
    auto r = testing::run_process(testing::groups_clients({"commit", broker->bootstrap(), "orders", group, offsets}),
                                  std::chrono::seconds(180));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
};

using testing::code_of;

int16_t code(ErrorCode e) { return static_cast<int16_t>(e); }

TEST_F(AdminGroupsTest, ClassicGroupsAndTheirOffsets) {
  Admin admin(props());
  make_orders(admin);
  commit("idle", "0=1,1=2");
  HeldGroup busy(broker->bootstrap(), "orders", "busy", 2, dir.path());
  ASSERT_TRUE(busy.wait_ready()) << busy.stop();
  const int32_t broker_id = admin.describe_cluster().nodes.at(0).id;

  // Listing: both groups, their states and types; filters.
  std::map<std::string, ConsumerGroupListing> listed;
  for (auto& l : admin.list_consumer_groups()) listed[l.group_id] = l;
  ASSERT_TRUE(listed.count("busy") && listed.count("idle"));
  EXPECT_EQ(listed["busy"].state, GroupState::stable);
  EXPECT_EQ(listed["idle"].state, GroupState::empty);
  EXPECT_EQ(listed["busy"].type, GroupType::classic);
  EXPECT_FALSE(listed["busy"].simple_consumer_group);
  ListConsumerGroupsOptions stable;
  stable.states = {GroupState::stable};
  auto only_stable = admin.list_consumer_groups(stable);
  ASSERT_EQ(only_stable.size(), 1u);
  EXPECT_EQ(only_stable[0].group_id, "busy");
  ListConsumerGroupsOptions consumer_type;
  consumer_type.types = {GroupType::consumer};
  EXPECT_TRUE(admin.list_consumer_groups(consumer_type).empty());

  // Describing: members with their assignments (decoded from the consumer protocol).
  auto described = admin.describe_consumer_groups({"busy", "idle", "nowhere"});
  const ConsumerGroupDescription& b = described.at("busy").get();
  EXPECT_EQ(b.state, GroupState::stable);
  EXPECT_EQ(b.type, GroupType::classic);
  EXPECT_EQ(b.partition_assignor, "range");
  EXPECT_EQ(b.coordinator.id, broker_id);
  EXPECT_EQ(b.coordinator.port, broker->port());
  ASSERT_EQ(b.members.size(), 2u);
  std::set<TopicPartition> union_of;
  for (const MemberDescription& m : b.members) {
    EXPECT_TRUE(m.client_id == "busy-member-0" || m.client_id == "busy-member-1") << m.client_id;
    EXPECT_FALSE(m.member_id.empty());
    EXPECT_FALSE(m.host.empty());
    EXPECT_FALSE(m.assignment.topic_partitions.empty());
    // The member's own view of its assignment says the same.
    const std::string& report = busy.report();
    const size_t at = report.find("\"" + m.client_id + "\": [");
    ASSERT_NE(at, std::string::npos) << report;
    const std::string own = report.substr(at, report.find(']', at) - at);
    for (const TopicPartition& tp : m.assignment.topic_partitions) {
      EXPECT_TRUE(union_of.insert(tp).second) << "assigned twice: " << tp.partition;
      EXPECT_NE(own.find("\"orders:" + std::to_string(tp.partition) + "\""), std::string::npos) << own;
    }
  }
  EXPECT_EQ(union_of, (std::set<TopicPartition>{{"orders", 0}, {"orders", 1}, {"orders", 2}}));
  const ConsumerGroupDescription& i = described.at("idle").get();
  EXPECT_EQ(i.state, GroupState::empty);
  EXPECT_TRUE(i.members.empty());
  EXPECT_EQ(described.at("nowhere").get().state, GroupState::dead);

  // Committed offsets: everything read by the held group, the given ones for the idle one.
  auto offsets = admin.list_consumer_group_offsets({{"busy", {}}, {"idle", {}}});
  const GroupOffsets& bo = offsets.at("busy").get();
  ASSERT_EQ(bo.size(), 3u);
  EXPECT_EQ(bo.at({"orders", 0})->offset, 3);
  EXPECT_EQ(bo.at({"orders", 1})->offset, 2);
  EXPECT_EQ(bo.at({"orders", 2})->offset, 1);
  const GroupOffsets& io = offsets.at("idle").get();
  ASSERT_EQ(io.size(), 2u);
  EXPECT_EQ(io.at({"orders", 0})->offset, 1);
  EXPECT_EQ(io.at({"orders", 1})->offset, 2);
  auto some = admin.list_consumer_group_offsets({{"idle", {std::vector<TopicPartition>{{"orders", 1}, {"orders", 2}}}}});
  const GroupOffsets& so = some.at("idle").get();
  ASSERT_EQ(so.size(), 2u);
  EXPECT_EQ(so.at({"orders", 1})->offset, 2);
  EXPECT_FALSE(so.at({"orders", 2}).has_value());  // nothing committed there

  // Altering: refused while the group has members, done once it has none.
  auto refused = admin.alter_consumer_group_offsets("busy", {{{"orders", 0}, {0, "", {}}}});
  EXPECT_EQ(code_of(refused.at({"orders", 0})), code(ErrorCode::unknown_member_id));
  try {
    refused.at({"orders", 0}).get();
  } catch (const ApiException& e) {
    EXPECT_NE(std::string(e.what()).find("is not empty"), std::string::npos) << e.what();
  }
  auto altered = admin.alter_consumer_group_offsets("idle", {{{"orders", 0}, {0, "", {}}}, {{"orders", 2}, {1, "m", {}}}});
  ASSERT_EQ(altered.size(), 2u);
  all(altered);
  const GroupOffsets after = admin.list_consumer_group_offsets({{"idle", {}}}).at("idle").get();
  EXPECT_EQ(after.at({"orders", 0})->offset, 0);
  EXPECT_EQ(after.at({"orders", 2})->offset, 1);
  EXPECT_EQ(after.at({"orders", 2})->metadata, "m");

  // Deleting offsets: the idle group's go; the busy group is subscribed to the topic.
  all(admin.delete_consumer_group_offsets("idle", {{"orders", 1}}));
  EXPECT_FALSE(admin.list_consumer_group_offsets({{"idle", {}}}).at("idle").get().count({"orders", 1}));
  auto subscribed = admin.delete_consumer_group_offsets("busy", {{"orders", 1}});
  EXPECT_EQ(code_of(subscribed.at({"orders", 1})), code(ErrorCode::group_subscribed_to_topic));

  // Deleting groups: not while it has members.
  auto deleted = admin.delete_consumer_groups({"busy", "idle"});
  EXPECT_EQ(code_of(deleted.at("busy")), code(ErrorCode::non_empty_group));
  EXPECT_TRUE(deleted.at("idle").ok());
  EXPECT_EQ(admin.describe_consumer_groups({"idle"}).at("idle").get().state, GroupState::dead);
  std::set<std::string> remaining;
  for (auto& l : admin.list_consumer_groups()) remaining.insert(l.group_id);
  EXPECT_FALSE(remaining.count("idle"));

  // Removing every member: one result per member id, each a success.
  auto removed = admin.remove_members_from_consumer_group("busy");
  ASSERT_EQ(removed.size(), 2u);
  for (const auto& [member, result] : removed) {
    EXPECT_TRUE(result.ok()) << member;
    bool known = false;
    for (const MemberDescription& m : b.members) known = known || m.member_id == member;
    EXPECT_TRUE(known) << member;
  }
  busy.stop();
}

TEST_F(AdminGroupsTest, UnknownGroupsAndAClosedClient) {
  Admin admin(props());
  EXPECT_TRUE(admin.list_consumer_groups().empty());
  auto offsets = admin.list_consumer_group_offsets({{"ghost", {}}});
  EXPECT_TRUE(offsets.at("ghost").get().empty());
  auto deleted = admin.delete_consumer_groups({"ghost"});
  EXPECT_EQ(code_of(deleted.at("ghost")), code(ErrorCode::group_id_not_found));
  auto removed = admin.delete_consumer_group_offsets("ghost", {{"orders", 0}});
  EXPECT_EQ(code_of(removed.at({"orders", 0})), code(ErrorCode::group_id_not_found));
  EXPECT_EQ(to_string(GroupState::preparing_rebalance), "PreparingRebalance");
  EXPECT_EQ(parse_group_state("stable"), GroupState::stable);
  EXPECT_EQ(parse_group_type("CONSUMER"), GroupType::consumer);
  EXPECT_EQ(parse_group_state("sleeping"), GroupState::unknown);
  admin.close();
  EXPECT_THROW(admin.list_consumer_groups(), IllegalStateException);
}

}  // namespace
}  // namespace gregor
