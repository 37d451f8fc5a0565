// KIP-848 consumer groups over the wire, against an in-process broker with its metadata log:
// members driven through ConsumerGroupHeartbeat until the group is stable (no partition ever
// owned twice), ConsumerGroupDescribe, the classic group APIs on the group, and the group
// reloaded from __consumer_offsets after a restart; a coordinator loading its partition.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>

#include "../storage/temp_dir.h"
#include "broker/broker.h"
#include "common/error_code.h"
#include "group/records.h"
#include "protocol/generated/message/consumer_group_describe_request.h"
#include "protocol/generated/message/consumer_group_describe_response.h"
#include "protocol/generated/message/consumer_group_heartbeat_request.h"
#include "protocol/generated/message/consumer_group_heartbeat_response.h"
#include "protocol/generated/message/create_topics_request.h"
#include "protocol/generated/message/create_topics_response.h"
#include "protocol/generated/message/delete_groups_request.h"
#include "protocol/generated/message/delete_groups_response.h"
#include "protocol/generated/message/describe_groups_request.h"
#include "protocol/generated/message/describe_groups_response.h"
#include "protocol/generated/message/find_coordinator_request.h"
#include "protocol/generated/message/find_coordinator_response.h"
#include "protocol/generated/message/list_groups_request.h"
#include "protocol/generated/message/list_groups_response.h"
#include "protocol/generated/message/offset_commit_request.h"
#include "protocol/generated/message/offset_commit_response.h"
#include "protocol/generated/message/offset_fetch_request.h"
#include "protocol/generated/message/offset_fetch_response.h"
#include "broker_fixture.h"
#include "raw_client.h"

namespace gregor::broker {
namespace {

constexpr unsigned kShards = 2;

int16_t code(ErrorCode e) { return static_cast<int16_t>(e); }

using Heartbeat = protocol::ConsumerGroupHeartbeatRequest;
using HeartbeatResponse = protocol::ConsumerGroupHeartbeatResponse;

bool coordinator_busy(int16_t error) {
  return error == code(ErrorCode::coordinator_load_in_progress) || error == code(ErrorCode::not_coordinator) ||
         error == code(ErrorCode::coordinator_not_available);
}

class ConsumerGroupHeartbeatTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }

  void start() {
    BrokerOptions o = testing::broker_options({dir.path()}, dir.path(), "ConsumerGroupCluster00", kShards);
    o.groups.offsets_partitions = 4;
    o.groups.offsets_replication_factor = 1;
    o.groups.load_read_bytes = 1;  // a load reads one batch per turn of the loop
    broker = std::make_unique<Broker>(o);
    ASSERT_TRUE(broker->start().ok());
    client = std::make_unique<Client>(broker->bound_port("PLAINTEXT"));
  }
  void restart() {
    client.reset();
    testing::stop_broker(broker);
    start();
  }

  template <typename Response, typename Request>
  Response call(const Request& request, int16_t version) {
    return round_trip<Response>(*client, request, version, ++correlation);
  }

  Uuid create_topic(const std::string& name, int32_t partitions) {
    auto created = testing::create_topic(*client, ++correlation, name, partitions);
    EXPECT_EQ(created.error_code, 0) << created.error_message.value_or("");
    return created.topic_id;
  }
  void find_coordinator(const std::string& group) {
    protocol::FindCoordinatorRequest r;
    r.key_type = 0;
    r.coordinator_keys = {group};
    auto response = call<protocol::FindCoordinatorResponse>(r, 4);
    ASSERT_EQ(response.coordinators.size(), 1u);
    EXPECT_EQ(response.coordinators[0].error_code, 0);
  }

  // A heartbeat, sent again while the coordinator is still loading (a deadline, no sleeps that
  // synchronise anything: each try is a round trip).
  HeartbeatResponse heartbeat(const Heartbeat& r, int16_t version = 1) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      HeartbeatResponse response = call<HeartbeatResponse>(r, version);
      if (!coordinator_busy(response.error_code) || std::chrono::steady_clock::now() > deadline) return response;
    }
  }
  HeartbeatResponse join(const std::string& member, const std::string& topic = "orders") {
    Heartbeat r;
    r.group_id = "cg";
    r.member_id = member;
    r.member_epoch = 0;
    r.rebalance_timeout_ms = 30000;
    r.subscribed_topic_names = std::vector<std::string>{topic};
    r.topic_partitions.emplace();
    return heartbeat(r);
  }
  HeartbeatResponse beat(const std::string& member, int32_t epoch, const std::set<int32_t>& owned) {
    Heartbeat r;
    r.group_id = "cg";
    r.member_id = member;
    r.member_epoch = epoch;
    auto& tps = r.topic_partitions.emplace();
    if (!owned.empty()) {
      auto& tp = tps.emplace_back();
      tp.topic_id = topic;
      tp.partitions.assign(owned.begin(), owned.end());
    }
    return heartbeat(r);
  }
  protocol::ConsumerGroupDescribeResponse::DescribedGroup describe(const std::string& group = "cg") {
    protocol::ConsumerGroupDescribeRequest r;
    r.group_ids = {group};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      auto response = call<protocol::ConsumerGroupDescribeResponse>(r, 0);
      EXPECT_EQ(response.groups.size(), 1u);
      if (response.groups.empty()) return {};
      if (!coordinator_busy(response.groups[0].error_code) || std::chrono::steady_clock::now() > deadline) {
        return response.groups[0];
      }
    }
  }

  // Members heartbeat in turns, each reporting what it owns, until every one is stable at the
  // group's assignment epoch; no partition is ever owned by two members.
  void converge(std::map<std::string, int32_t>& epochs, std::map<std::string, std::set<int32_t>>& owned) {
    for (int round = 0; round < 10; ++round) {
      for (auto& [member, epoch] : epochs) {
        HeartbeatResponse r = beat(member, epoch, owned[member]);
        ASSERT_EQ(r.error_code, 0) << member << ": " << r.error_message.value_or("");
        epoch = r.member_epoch;
        if (r.assignment) {
          std::set<int32_t> mine;
          for (const auto& tp : r.assignment->topic_partitions) {
            EXPECT_EQ(tp.topic_id, topic);
            mine.insert(tp.partitions.begin(), tp.partitions.end());
          }
          owned[member] = mine;
        }
        std::map<int32_t, int> holders;
        for (const auto& [m, ps] : owned) {
          for (int32_t p : ps) EXPECT_EQ(++holders[p], 1) << "partition " << p << " owned twice";
        }
      }
      if (describe().group_state == "Stable") return;
    }
    FAIL() << "the group did not become stable";
  }

  storage::testing::TempDir dir;
  std::unique_ptr<Broker> broker;
  std::unique_ptr<Client> client;
  int32_t correlation = 0;
  Uuid topic;
};

TEST_F(ConsumerGroupHeartbeatTest, MembersReconcileThroughHeartbeats) {
  topic = create_topic("orders", 6);
  find_coordinator("cg");
  std::map<std::string, int32_t> epochs;
  std::map<std::string, std::set<int32_t>> owned;
  for (const std::string m : {"member-a", "member-b", "member-c"}) {
    HeartbeatResponse r = join(m);
    ASSERT_EQ(r.error_code, 0) << r.error_message.value_or("");
    EXPECT_EQ(r.member_id, m);
    EXPECT_EQ(r.heartbeat_interval_ms, 5000);
    epochs[m] = r.member_epoch;
    ASSERT_TRUE(r.assignment);
    for (const auto& tp : r.assignment->topic_partitions) owned[m].insert(tp.partitions.begin(), tp.partitions.end());
  }
  converge(epochs, owned);
  for (const auto& [m, ps] : owned) EXPECT_EQ(ps.size(), 2u) << m;

  auto d = describe();
  EXPECT_EQ(d.error_code, 0);
  EXPECT_EQ(d.group_state, "Stable");
  EXPECT_EQ(d.assignor_name, "uniform");
  ASSERT_EQ(d.members.size(), 3u);
  for (const auto& m : d.members) {
    EXPECT_EQ(m.member_epoch, d.assignment_epoch);
    EXPECT_EQ(m.client_id, "raw-client");
    EXPECT_EQ(m.client_host, "/127.0.0.1");
    ASSERT_EQ(m.assignment.topic_partitions.size(), 1u);
    EXPECT_EQ(m.assignment.topic_partitions[0].topic_name, "orders");
    EXPECT_EQ(m.assignment, m.target_assignment);
  }
  EXPECT_EQ(describe("no-such-group").error_code, code(ErrorCode::group_id_not_found));

  // The classic APIs see a consumer group.
  protocol::ListGroupsRequest list;
  list.types_filter = {"consumer"};
  auto listed = call<protocol::ListGroupsResponse>(list, 5);
  ASSERT_EQ(listed.groups.size(), 1u);
  EXPECT_EQ(listed.groups[0].group_id, "cg");
  EXPECT_EQ(listed.groups[0].group_state, "Stable");
  EXPECT_EQ(listed.groups[0].group_type, "consumer");
  protocol::DescribeGroupsRequest classic;
  classic.groups = {"cg"};
  EXPECT_EQ(call<protocol::DescribeGroupsResponse>(classic, 5).groups.at(0).group_state, "Dead");

  // Offsets with the member epoch.
  protocol::OffsetCommitRequest commit;
  commit.group_id = "cg";
  commit.member_id = "member-a";
  commit.generation_id_or_member_epoch = epochs["member-a"];
  auto& t = commit.topics.emplace_back();
  t.name = "orders";
  auto& p = t.partitions.emplace_back();
  p.partition_index = *owned["member-a"].begin();
  p.committed_offset = 17;
  EXPECT_EQ(call<protocol::OffsetCommitResponse>(commit, 9).topics.at(0).partitions.at(0).error_code, 0);
  commit.generation_id_or_member_epoch = epochs["member-a"] - 1;
  EXPECT_EQ(call<protocol::OffsetCommitResponse>(commit, 9).topics.at(0).partitions.at(0).error_code,
            code(ErrorCode::stale_member_epoch));
  protocol::OffsetFetchRequest fetch;
  auto& g = fetch.groups.emplace_back();
  g.group_id = "cg";
  g.member_id = "member-a";
  g.member_epoch = epochs["member-a"];
  auto& ft = g.topics.emplace();
  ft.emplace_back().name = "orders";
  ft.back().partition_indexes = {*owned["member-a"].begin()};
  auto fetched = call<protocol::OffsetFetchResponse>(fetch, 9);
  EXPECT_EQ(fetched.groups.at(0).error_code, 0);
  EXPECT_EQ(fetched.groups.at(0).topics.at(0).partitions.at(0).committed_offset, 17);
  g.member_epoch = 99;
  fetch.groups[0] = g;
  EXPECT_EQ(call<protocol::OffsetFetchResponse>(fetch, 9).groups.at(0).error_code,
            code(ErrorCode::stale_member_epoch));

  // c leaves; a and b share its partitions.
  Heartbeat leave;
  leave.group_id = "cg";
  leave.member_id = "member-c";
  leave.member_epoch = -1;
  EXPECT_EQ(heartbeat(leave).member_epoch, -1);
  epochs.erase("member-c");
  owned.erase("member-c");
  converge(epochs, owned);
  EXPECT_EQ(owned["member-a"].size() + owned["member-b"].size(), 6u);

  // Not deletable while members are in; deletable once all left.
  protocol::DeleteGroupsRequest del;
  del.groups_names = {"cg"};
  EXPECT_EQ(call<protocol::DeleteGroupsResponse>(del, 2).results.at(0).error_code, code(ErrorCode::non_empty_group));
  for (const std::string m : {"member-a", "member-b"}) {
    leave.member_id = m;
    EXPECT_EQ(heartbeat(leave).error_code, 0);
  }
  EXPECT_EQ(describe().group_state, "Empty");
  EXPECT_EQ(call<protocol::DeleteGroupsResponse>(del, 2).results.at(0).error_code, 0);
  EXPECT_EQ(describe().error_code, code(ErrorCode::group_id_not_found));
}

TEST_F(ConsumerGroupHeartbeatTest, GroupSurvivesARestart) {
  topic = create_topic("orders", 4);
  find_coordinator("cg");
  std::map<std::string, int32_t> epochs;
  std::map<std::string, std::set<int32_t>> owned;
  for (const std::string m : {"member-a", "member-b"}) epochs[m] = join(m).member_epoch;
  converge(epochs, owned);
  auto before = describe();

  restart();
  auto after = describe();
  EXPECT_EQ(after, before);
  // The members go on where they were.
  for (const auto& [m, epoch] : epochs) {
    auto r = beat(m, epoch, owned[m]);
    EXPECT_EQ(r.error_code, 0) << r.error_message.value_or("");
    EXPECT_EQ(r.member_epoch, epoch);
  }
}

TEST_F(ConsumerGroupHeartbeatTest, SubscriptionByRegularExpression) {
  topic = create_topic("orders", 3);
  create_topic("payments", 2);
  find_coordinator("cg");  // __consumer_offsets exists now: a regex never takes it
  Heartbeat r;
  r.group_id = "cg";
  r.member_id = "regex-member";
  r.member_epoch = 0;
  r.rebalance_timeout_ms = 30000;
  r.subscribed_topic_regex = ".*";
  r.topic_partitions.emplace();
  auto joined = heartbeat(r);
  ASSERT_EQ(joined.error_code, 0) << joined.error_message.value_or("");
  ASSERT_TRUE(joined.assignment);
  size_t partitions = 0;
  for (const auto& tp : joined.assignment->topic_partitions) partitions += tp.partitions.size();
  EXPECT_EQ(partitions, 5u);
  auto d = describe();
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].subscribed_topic_regex, ".*");
  r.member_id = "bad-regex";
  r.subscribed_topic_regex = "[";
  EXPECT_EQ(heartbeat(r).error_code, code(ErrorCode::invalid_regular_expression));
}

TEST_F(ConsumerGroupHeartbeatTest, ErrorsComeBackWithKafkasMessages) {
  topic = create_topic("orders", 2);
  find_coordinator("cg");
  Heartbeat r;
  r.group_id = "cg";
  r.member_id = "m";
  r.member_epoch = 0;
  r.subscribed_topic_names = std::vector<std::string>{"orders"};
  r.topic_partitions.emplace();
  auto invalid = heartbeat(r);
  EXPECT_EQ(invalid.error_code, code(ErrorCode::invalid_request));
  EXPECT_EQ(invalid.error_message, "RebalanceTimeoutMs must be provided in first request.");
  r.rebalance_timeout_ms = 1000;
  r.member_epoch = 5;
  EXPECT_EQ(heartbeat(r).error_code, code(ErrorCode::group_id_not_found));
  r.member_epoch = 0;
  auto joined = heartbeat(r);
  EXPECT_EQ(joined.error_code, 0);
  r.member_epoch = joined.member_epoch + 1;
  r.topic_partitions.reset();
  EXPECT_EQ(heartbeat(r).error_code, code(ErrorCode::fenced_member_epoch));
  r.member_id = "stranger";
  r.member_epoch = 1;
  EXPECT_EQ(heartbeat(r).error_code, code(ErrorCode::unknown_member_id));
  // Version 0: the coordinator names the member.
  Heartbeat v0;
  v0.group_id = "cg";
  v0.member_epoch = 0;
  v0.rebalance_timeout_ms = 1000;
  v0.subscribed_topic_names = std::vector<std::string>{"orders"};
  v0.topic_partitions.emplace();
  auto named = heartbeat(v0, 0);
  EXPECT_EQ(named.error_code, 0);
  ASSERT_TRUE(named.member_id);
  EXPECT_FALSE(named.member_id->empty());
}

TEST_F(ConsumerGroupHeartbeatTest, AReloadedCoordinatorIsLoadingUntilItHasReadItsLog) {
  create_topic("orders", 1);
  find_coordinator("simple");
  // Commits, each its own batch in __consumer_offsets, so the load takes many turns of the loop.
  protocol::OffsetCommitRequest commit;
  commit.group_id = "simple";
  auto& p = commit.topics.emplace_back().partitions.emplace_back();
  commit.topics[0].name = "orders";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int64_t offset = 1; offset <= 40;) {
    p.committed_offset = offset;
    int16_t error = call<protocol::OffsetCommitResponse>(commit, 8).topics.at(0).partitions.at(0).error_code;
    if (error == 0) ++offset;
    ASSERT_TRUE(error == 0 || (coordinator_busy(error) && std::chrono::steady_clock::now() < deadline)) << error;
  }
  const int32_t partition = group::partition_for_group("simple", 4);
  const unsigned s = shard_of(storage::TopicPartition{kOffsetsTopic, partition}, kShards);
  // Reloaded (as when leadership comes back): requests and ListGroups are refused at once.
  auto [loading, error, list_error] = run_on(broker->shard(s), [&] {
    GroupService& groups = broker->groups(s);
    groups.reload(partition);
    ErrorCode answered = ErrorCode::none;
    groups.run<int>(partition, [](group::GroupCoordinator&, int64_t) { return 0; },
                    [&](ErrorCode e, int) { answered = e; });
    return std::tuple(groups.loading(partition), answered, groups.list_groups({}, {}).error);
  });
  EXPECT_TRUE(loading);
  EXPECT_EQ(error, ErrorCode::coordinator_load_in_progress);
  EXPECT_EQ(list_error, ErrorCode::coordinator_load_in_progress);
  // Clients retry until the load is done, and find everything the log had.
  protocol::OffsetFetchRequest fetch;
  auto& g = fetch.groups.emplace_back();
  g.group_id = "simple";
  g.topics.emplace().emplace_back().name = "orders";
  g.topics->back().partition_indexes = {0};
  protocol::OffsetFetchResponse fetched;
  do {
    fetched = call<protocol::OffsetFetchResponse>(fetch, 8);
  } while (coordinator_busy(fetched.groups.at(0).error_code) && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(fetched.groups.at(0).error_code, 0);
  EXPECT_EQ(fetched.groups.at(0).topics.at(0).partitions.at(0).committed_offset, 40);
  EXPECT_FALSE(run_on(broker->shard(s), [&] { return broker->groups(s).loading(partition); }));
}

}  // namespace
}  // namespace gregor::broker
