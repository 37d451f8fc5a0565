// The classic group state machine, driven by a simulated clock: every state transition, every
// timeout, the errors of each request, and a reload from the records it wrote.
#include "group/group_coordinator.h"

#include <gtest/gtest.h>

#include <map>

#include "protocol/generated/message/consumer_protocol_subscription.h"
#include "protocol/message_support.h"

namespace gregor::group {
namespace {

int16_t code(ErrorCode e) { return static_cast<int16_t>(e); }

// Consumer-protocol metadata subscribing to topics.
Bytes subscription(const std::vector<std::string>& topics) {
  protocol::ConsumerProtocolSubscription s;
  s.topics = topics;
  Bytes out;
  ByteWriter w(out);
  w.write_int16(1);
  s.encode(w, 1);
  return out;
}

struct JoinOptions {
  std::string member_id = "";
  std::optional<std::string> instance_id = std::nullopt;
  std::vector<std::pair<std::string, Bytes>> protocols = {{"range", subscription({"t"})}};
  std::string protocol_type = "consumer";
  int32_t session_timeout_ms = 10000;
  int32_t rebalance_timeout_ms = 30000;
  int16_t version = 9;
  std::string client_id = "client";
};

struct Harness {
  explicit Harness(GroupConfig config = test_config()) : config(config), c(config, 0, 42) { c.finish_loading(now); }

  static GroupConfig test_config() {
    GroupConfig config;
    config.initial_rebalance_delay_ms = 0;
    return config;
  }


  RequestId join(const std::string& group, JoinOptions o) {
    protocol::JoinGroupRequest r;
    r.group_id = group;
    r.member_id = o.member_id;
    r.group_instance_id = o.instance_id;
    r.protocol_type = o.protocol_type;
    r.session_timeout_ms = o.session_timeout_ms;
    r.rebalance_timeout_ms = o.rebalance_timeout_ms;
    for (auto& [name, metadata] : o.protocols) {
      auto& p = r.protocols.emplace_back();
      p.name = name;
      p.metadata = metadata;
    }
    RequestId id = next++;
    c.join_group(id, r, o.version, Client{o.client_id, "/127.0.0.1"}, now);
    drain();
    return id;
  }
  // A new dynamic member: the MEMBER_ID_REQUIRED round trip, then the join with its id.
  std::pair<std::string, RequestId> join_new(const std::string& group, JoinOptions o = {}) {
    RequestId first = join(group, o);
    EXPECT_TRUE(joins.count(first));
    EXPECT_EQ(joins[first].error_code, code(ErrorCode::member_id_required));
    o.member_id = joins[first].member_id;
    return {o.member_id, join(group, o)};
  }
  RequestId sync(const std::string& group, const std::string& member, int32_t generation,
                 std::vector<std::pair<std::string, std::string>> assignments = {},
                 std::optional<std::string> instance_id = std::nullopt) {
    protocol::SyncGroupRequest r;
    r.group_id = group;
    r.member_id = member;
    r.generation_id = generation;
    r.group_instance_id = instance_id;
    r.protocol_type = "consumer";
    r.protocol_name = "range";
    for (auto& [m, a] : assignments) {
      auto& out = r.assignments.emplace_back();
      out.member_id = m;
      out.assignment = Bytes(a.begin(), a.end());
    }
    RequestId id = next++;
    c.sync_group(id, r, 5, now);
    drain();
    return id;
  }
  int16_t heartbeat(const std::string& group, const std::string& member, int32_t generation,
                    std::optional<std::string> instance_id = std::nullopt) {
    protocol::HeartbeatRequest r;
    r.group_id = group;
    r.member_id = member;
    r.generation_id = generation;
    r.group_instance_id = instance_id;
    auto response = c.heartbeat(r, 4, now);
    drain();
    return response.error_code;
  }
  protocol::LeaveGroupResponse leave(const std::string& group, const std::string& member,
                                     std::optional<std::string> instance_id = std::nullopt) {
    protocol::LeaveGroupRequest r;
    r.group_id = group;
    auto& m = r.members.emplace_back();
    m.member_id = member;
    m.group_instance_id = instance_id;
    auto response = c.leave_group(r, 5, now);
    drain();
    return response;
  }
  protocol::OffsetCommitResponse commit(const std::string& group, const std::string& member, int32_t generation,
                                        std::vector<std::tuple<std::string, int32_t, int64_t>> offsets,
                                        std::string metadata = "") {
    protocol::OffsetCommitRequest r;
    r.group_id = group;
    r.member_id = member;
    r.generation_id_or_member_epoch = generation;
    for (auto& [topic, partition, offset] : offsets) {
      if (r.topics.empty() || r.topics.back().name != topic) r.topics.emplace_back().name = topic;
      auto& p = r.topics.back().partitions.emplace_back();
      p.partition_index = partition;
      p.committed_offset = offset;
      p.committed_metadata = metadata;
    }
    auto response = c.offset_commit(r, 8, [](const std::string& topic, int32_t) { return topic != "missing"; }, now);
    drain();
    return response;
  }
  int64_t committed(const std::string& group, const std::string& topic, int32_t partition) {
    std::vector<protocol::OffsetFetchRequest::OffsetFetchRequestTopics> topics(1);
    topics[0].name = topic;
    topics[0].partition_indexes = {partition};
    auto g = c.offset_fetch(group, topics, false);
    return g.topics.at(0).partitions.at(0).committed_offset;
  }
  std::string state(const std::string& group) { return c.describe_group(group).group_state; }
  void advance(int64_t ms) {
    now += ms;
    c.tick(now);
    drain();
  }
  void drain() {
    for (auto& r : c.take_replies()) {
      if (auto* j = std::get_if<protocol::JoinGroupResponse>(&r.response)) {
        EXPECT_FALSE(joins.count(r.id)) << "request " << r.id << " answered twice";
        joins[r.id] = *j;
      } else {
        auto& s = std::get<protocol::SyncGroupResponse>(r.response);
        EXPECT_FALSE(syncs.count(r.id)) << "request " << r.id << " answered twice";
        syncs[r.id] = s;
      }
    }
    for (auto& r : c.take_records()) records.push_back(std::move(r));
  }

  GroupConfig config;
  GroupCoordinator c;
  int64_t now = 1'000'000;
  RequestId next = 1;
  std::map<RequestId, protocol::JoinGroupResponse> joins;
  std::map<RequestId, protocol::SyncGroupResponse> syncs;
  std::vector<Record> records;
};

// A stable group of one member; returns its id.
std::string stable_group(Harness& h, const std::string& group) {
  auto [member, join] = h.join_new(group);
  EXPECT_TRUE(h.joins.count(join));
  const auto& r = h.joins[join];
  EXPECT_EQ(r.error_code, 0);
  RequestId s = h.sync(group, member, r.generation_id, {{member, "a1"}});
  EXPECT_TRUE(h.syncs.count(s));
  return member;
}

// The last record written is the group's, empty, at the generation.
void expect_stored_empty(const Harness& h, int32_t generation) {
  ASSERT_FALSE(h.records.empty());
  ASSERT_TRUE(h.records.back().value);
  auto last = decode_record(h.records.back().key, BytesView(*h.records.back().value));
  ASSERT_TRUE(last.ok());
  const auto& stored = std::get<GroupMetadataRecord>(*last);
  ASSERT_TRUE(stored.value);
  EXPECT_EQ(stored.value->generation, generation);
  EXPECT_TRUE(stored.value->members.empty());
}

TEST(PartitionForGroup, MatchesJavasStringHashCode) {
  EXPECT_EQ(partition_for_group("hello", 50), 99162322 % 50);
  // "polygenelubricants".hashCode() is Integer.MIN_VALUE, which Kafka's Utils.abs maps to 0.
  EXPECT_EQ(partition_for_group("polygenelubricants", 50), 0);
  EXPECT_EQ(partition_for_group("\xc3\xa9", 1000), 233);                  // U+00E9: one UTF-16 unit
  EXPECT_EQ(partition_for_group("\xf0\x9f\x98\x80", 10000000), 1772899);  // U+1F600: two of them
  EXPECT_EQ(partition_for_group("", 50), 0);
}

TEST(Records, RoundTripAndTombstones) {
  protocol::OffsetCommitValue v;
  v.offset = 42;
  v.metadata = "m";
  v.commit_timestamp = 7;
  Record r = offset_commit_record("g", "t", 3, v);
  auto decoded = decode_record(r.key, BytesView(*r.value));
  ASSERT_TRUE(decoded.ok());
  auto& o = std::get<OffsetCommitRecord>(*decoded);
  EXPECT_EQ(o.group, "g");
  EXPECT_EQ(o.partition, 3);
  EXPECT_EQ(o.value->offset, 42);
  Record tomb = group_metadata_record("g", std::nullopt);
  auto decoded_tomb = decode_record(tomb.key, std::nullopt);
  ASSERT_TRUE(decoded_tomb.ok());
  EXPECT_FALSE(std::get<GroupMetadataRecord>(*decoded_tomb).value);
  EXPECT_FALSE(decode_record(Bytes{0}, std::nullopt).ok());
  EXPECT_FALSE(decode_record(Bytes{0, 1, 0, 5, 'x'}, std::nullopt).ok());  // a key cut short
}

TEST(GroupCoordinator, ANewMemberIsToldItsIdThenLeadsAGroupOfOne) {
  Harness h;
  RequestId first = h.join("g", {});
  ASSERT_TRUE(h.joins.count(first));
  EXPECT_EQ(h.joins[first].error_code, code(ErrorCode::member_id_required));
  const std::string member = h.joins[first].member_id;
  EXPECT_EQ(member.rfind("client-", 0), 0u);
  EXPECT_EQ(h.state("g"), "Empty");
  RequestId second = h.join("g", {.member_id = member});
  ASSERT_TRUE(h.joins.count(second));
  const auto& r = h.joins[second];
  EXPECT_EQ(r.error_code, 0);
  EXPECT_EQ(r.generation_id, 1);
  EXPECT_EQ(r.leader, member);
  EXPECT_EQ(r.protocol_name, "range");
  EXPECT_EQ(r.protocol_type, "consumer");
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_EQ(h.state("g"), "CompletingRebalance");
  RequestId s = h.sync("g", member, 1, {{member, "assigned"}});
  ASSERT_TRUE(h.syncs.count(s));
  EXPECT_EQ(std::string(h.syncs[s].assignment.begin(), h.syncs[s].assignment.end()), "assigned");
  EXPECT_EQ(h.state("g"), "Stable");
  EXPECT_EQ(h.heartbeat("g", member, 1), 0);
  // The leader's assignment is in the log.
  ASSERT_FALSE(h.records.empty());
  auto last = decode_record(h.records.back().key, BytesView(*h.records.back().value));
  ASSERT_TRUE(last.ok());
  const auto& stored = std::get<GroupMetadataRecord>(*last);
  ASSERT_EQ(stored.value->members.size(), 1u);
  EXPECT_EQ(stored.value->generation, 1);
}

TEST(GroupCoordinator, OldClientsJoinWithoutTheMemberIdRoundTrip) {
  Harness h;
  RequestId j = h.join("g", {.version = 3});
  ASSERT_TRUE(h.joins.count(j));
  EXPECT_EQ(h.joins[j].error_code, 0);
  EXPECT_EQ(h.joins[j].generation_id, 1);
}

TEST(GroupCoordinator, TheInitialDelayWaitsForMoreMembersAndStretchesWhileTheyCome) {
  GroupConfig config = Harness::test_config();
  config.initial_rebalance_delay_ms = 3000;
  Harness h(config);
  auto [a, ja] = h.join_new("g");
  EXPECT_FALSE(h.joins.count(ja));
  h.advance(2000);
  auto [b, jb] = h.join_new("g");
  h.advance(1000);  // the first delay ends, but a member came: one more delay
  EXPECT_FALSE(h.joins.count(ja));
  h.advance(3000);
  ASSERT_TRUE(h.joins.count(ja));
  ASSERT_TRUE(h.joins.count(jb));
  EXPECT_EQ(h.joins[ja].generation_id, 1);
  EXPECT_EQ(h.joins[ja].members.size() + h.joins[jb].members.size(), 2u);  // only the leader gets them
}

TEST(GroupCoordinator, ASecondMemberRebalancesTheGroupAndTheLeaderAssignsBoth) {
  Harness h;
  const std::string a = stable_group(h, "g");
  auto [b, jb] = h.join_new("g");
  EXPECT_FALSE(h.joins.count(jb));
  EXPECT_EQ(h.state("g"), "PreparingRebalance");
  EXPECT_EQ(h.heartbeat("g", a, 1), code(ErrorCode::rebalance_in_progress));
  RequestId ja = h.join("g", {.member_id = a});
  ASSERT_TRUE(h.joins.count(ja) && h.joins.count(jb));
  EXPECT_EQ(h.joins[ja].generation_id, 2);
  EXPECT_EQ(h.joins[ja].leader, a);
  EXPECT_EQ(h.joins[ja].members.size(), 2u);
  EXPECT_TRUE(h.joins[jb].members.empty());
  RequestId sb = h.sync("g", b, 2);
  EXPECT_FALSE(h.syncs.count(sb));  // a follower waits for the leader
  RequestId sa = h.sync("g", a, 2, {{a, "A"}, {b, "B"}});
  ASSERT_TRUE(h.syncs.count(sa) && h.syncs.count(sb));
  EXPECT_EQ(std::string(h.syncs[sb].assignment.begin(), h.syncs[sb].assignment.end()), "B");
  EXPECT_EQ(h.state("g"), "Stable");
  EXPECT_EQ(h.heartbeat("g", b, 1), code(ErrorCode::illegal_generation));
}

TEST(GroupCoordinator, AMemberThatStopsHeartbeatingIsRemovedAfterItsSessionTimeout) {
  Harness h;
  const std::string a = stable_group(h, "g");
  auto [b, jb] = h.join_new("g");
  RequestId ja = h.join("g", {.member_id = a});
  h.sync("g", b, 2);
  h.sync("g", a, 2, {{a, "A"}, {b, "B"}});
  ASSERT_EQ(h.state("g"), "Stable");
  // a keeps heartbeating, b goes silent.
  for (int i = 0; i < 4; ++i) {
    h.advance(3000);
    const bool b_gone = h.now - 1'000'000 > 10000;  // b's last word was at the start
    EXPECT_EQ(h.heartbeat("g", a, 2), b_gone ? code(ErrorCode::rebalance_in_progress) : 0) << h.now;
  }
  EXPECT_EQ(h.state("g"), "PreparingRebalance");
  EXPECT_EQ(h.heartbeat("g", b, 2), code(ErrorCode::unknown_member_id));
  RequestId again = h.join("g", {.member_id = a});
  ASSERT_TRUE(h.joins.count(again));
  EXPECT_EQ(h.joins[again].generation_id, 3);
  EXPECT_EQ(h.joins[again].members.size(), 1u);
  (void)ja;
  (void)jb;
}

TEST(GroupCoordinator, MembersThatDoNotRejoinWithinTheRebalanceTimeoutAreLeftOut) {
  Harness h;
  const std::string a = stable_group(h, "g");
  auto [b, jb] = h.join_new("g", {.rebalance_timeout_ms = 20000});
  // a keeps its session alive with heartbeats but never rejoins.
  for (int i = 0; i < 12; ++i) {
    h.advance(3000);
    if (h.joins.count(jb)) break;
    EXPECT_EQ(h.heartbeat("g", a, 1), code(ErrorCode::rebalance_in_progress));
  }
  // The rebalance timeout is the largest of the members': a's 30 s.
  ASSERT_TRUE(h.joins.count(jb));
  EXPECT_EQ(h.joins[jb].generation_id, 2);
  EXPECT_EQ(h.joins[jb].leader, b);
  EXPECT_EQ(h.heartbeat("g", a, 2), code(ErrorCode::unknown_member_id));
}

TEST(GroupCoordinator, AMemberThatNeverSyncsIsRemovedAndTheGroupRebalances) {
  Harness h;
  const std::string a = stable_group(h, "g");
  auto [b, jb] = h.join_new("g");
  h.join("g", {.member_id = a});
  ASSERT_TRUE(h.joins.count(jb));
  h.sync("g", a, 2, {{a, "A"}, {b, "B"}});
  EXPECT_EQ(h.state("g"), "Stable");
  // b never syncs; after the rebalance timeout it is removed.
  for (int i = 0; i < 11; ++i) {
    h.advance(3000);
    h.heartbeat("g", a, 2);
  }
  EXPECT_EQ(h.state("g"), "PreparingRebalance");
  EXPECT_EQ(h.heartbeat("g", b, 2), code(ErrorCode::unknown_member_id));
}


TEST(GroupCoordinator, AFollowerWaitingInSyncOutlivesItsSessionUntilTheLeaderAssigns) {
  Harness h;
  const std::string a = stable_group(h, "g");
  auto [b, jb] = h.join_new("g", {.session_timeout_ms = 10000});
  h.join("g", {.member_id = a});
  ASSERT_TRUE(h.joins.count(jb));
  RequestId sb = h.sync("g", b, 2);
  // The leader takes longer than b's session to send its assignment (but less than the
  // rebalance timeout): b, waiting in SyncGroup, is not expired meanwhile.
  for (int i = 0; i < 5; ++i) {
    h.advance(3000);
    EXPECT_EQ(h.heartbeat("g", a, 2), 0);
  }
  EXPECT_FALSE(h.syncs.count(sb));
  RequestId sa = h.sync("g", a, 2, {{a, "A"}, {b, "B"}});
  ASSERT_TRUE(h.syncs.count(sa) && h.syncs.count(sb));
  EXPECT_EQ(h.syncs[sb].error_code, 0);
  EXPECT_EQ(std::string(h.syncs[sb].assignment.begin(), h.syncs[sb].assignment.end()), "B");
  // With its assignment it gets a full session from then on to send its first heartbeat.
  h.advance(9000);
  EXPECT_EQ(h.heartbeat("g", b, 2), 0);
  EXPECT_EQ(h.state("g"), "Stable");
}
TEST(GroupCoordinator, LeavingRebalancesAndTheLastOneLeavingEmptiesTheGroup) {
  Harness h;
  const std::string a = stable_group(h, "g");
  auto left = h.leave("g", a);
  ASSERT_EQ(left.members.size(), 1u);
  EXPECT_EQ(left.members[0].error_code, 0);
  EXPECT_EQ(h.state("g"), "Empty");
  auto again = h.leave("g", a);
  EXPECT_EQ(again.members[0].error_code, code(ErrorCode::unknown_member_id));
  // Empty with the next generation, written to the log.
  expect_stored_empty(h, 2);
}

TEST(GroupCoordinator, RequestErrors) {
  Harness h;
  const std::string a = stable_group(h, "g");
  // Join: bad session timeout, another protocol type, no common protocol, unknown member.
  RequestId j1 = h.join("g", {.session_timeout_ms = 10});
  EXPECT_EQ(h.joins[j1].error_code, code(ErrorCode::invalid_session_timeout));
  RequestId j2 = h.join("g", {.protocol_type = "connect"});
  EXPECT_EQ(h.joins[j2].error_code, code(ErrorCode::inconsistent_group_protocol));
  RequestId j3 = h.join("g", {.protocols = {{"roundrobin", Bytes{}}}});
  EXPECT_EQ(h.joins[j3].error_code, code(ErrorCode::inconsistent_group_protocol));
  RequestId j4 = h.join("g", {.member_id = "nobody"});
  EXPECT_EQ(h.joins[j4].error_code, code(ErrorCode::unknown_member_id));
  RequestId j5 = h.join("other", {.member_id = "nobody"});
  EXPECT_EQ(h.joins[j5].error_code, code(ErrorCode::unknown_member_id));
  RequestId j6 = h.join("", {});
  EXPECT_EQ(h.joins[j6].error_code, code(ErrorCode::invalid_group_id));
  // Sync: unknown member, stale generation.
  RequestId s1 = h.sync("g", "nobody", 1);
  EXPECT_EQ(h.syncs[s1].error_code, code(ErrorCode::unknown_member_id));
  RequestId s2 = h.sync("g", a, 7);
  EXPECT_EQ(h.syncs[s2].error_code, code(ErrorCode::illegal_generation));
  // Heartbeat: unknown group and member.
  EXPECT_EQ(h.heartbeat("nope", a, 1), code(ErrorCode::unknown_member_id));
  EXPECT_EQ(h.heartbeat("g", "nobody", 1), code(ErrorCode::unknown_member_id));
  // None of it changed the group.
  EXPECT_EQ(h.state("g"), "Stable");
  EXPECT_EQ(h.heartbeat("g", a, 1), 0);
}

TEST(GroupCoordinator, AStaticMemberRejoinsWithoutARebalanceAndFencesItsOldId) {
  Harness h;
  RequestId j = h.join("g", {.instance_id = "i1"});  // static members skip MEMBER_ID_REQUIRED
  ASSERT_TRUE(h.joins.count(j));
  const std::string old_id = h.joins[j].member_id;
  EXPECT_EQ(h.joins[j].error_code, 0);
  h.sync("g", old_id, 1, {{old_id, "A"}}, "i1");
  ASSERT_EQ(h.state("g"), "Stable");
  // The process restarts: same instance id, no member id.
  RequestId again = h.join("g", {.instance_id = "i1"});
  ASSERT_TRUE(h.joins.count(again));
  const auto& r = h.joins[again];
  EXPECT_EQ(r.error_code, 0);
  EXPECT_NE(r.member_id, old_id);
  EXPECT_EQ(r.generation_id, 1);
  EXPECT_TRUE(r.skip_assignment);
  EXPECT_EQ(h.state("g"), "Stable");
  RequestId s = h.sync("g", r.member_id, 1, {}, "i1");
  ASSERT_TRUE(h.syncs.count(s));
  EXPECT_EQ(std::string(h.syncs[s].assignment.begin(), h.syncs[s].assignment.end()), "A");
  EXPECT_EQ(h.heartbeat("g", old_id, 1, "i1"), code(ErrorCode::fenced_instance_id));
}

// Kafka compares only the protocol the group would select next: a restarted consumer's
// subscription carries new metadata (no owned partitions, no generation), which alone must not
// rebalance a stable group.
TEST(GroupCoordinator, AStaticMemberWithNewMetadataKeepsTheAssignment) {
  Harness h;
  RequestId j = h.join("g", {.instance_id = "i1"});
  const std::string old_id = h.joins[j].member_id;
  h.sync("g", old_id, 1, {{old_id, "A"}}, "i1");
  ASSERT_EQ(h.state("g"), "Stable");
  RequestId again = h.join("g", {.instance_id = "i1", .protocols = {{"range", subscription({"t", "u"})}}});
  ASSERT_TRUE(h.joins.count(again));
  EXPECT_EQ(h.joins[again].error_code, 0);
  EXPECT_EQ(h.joins[again].generation_id, 1);
  EXPECT_TRUE(h.joins[again].skip_assignment);
  EXPECT_EQ(h.state("g"), "Stable");
  RequestId s = h.sync("g", h.joins[again].member_id, 1, {}, "i1");
  ASSERT_TRUE(h.syncs.count(s));
  EXPECT_EQ(std::string(h.syncs[s].assignment.begin(), h.syncs[s].assignment.end()), "A");
}

TEST(GroupCoordinator, GroupMaxSize) {
  GroupConfig config = Harness::test_config();
  config.max_size = 1;
  Harness h(config);
  stable_group(h, "g");
  RequestId j = h.join("g", {});
  EXPECT_EQ(h.joins[j].error_code, code(ErrorCode::group_max_size_reached));
}

TEST(GroupCoordinator, TheProtocolMostMembersPreferWins) {
  Harness h;
  JoinOptions range_first{.protocols = {{"range", Bytes{1}}, {"roundrobin", Bytes{2}}}};
  JoinOptions rr_first{.protocols = {{"roundrobin", Bytes{2}}, {"range", Bytes{1}}}};
  auto [a, ja] = h.join_new("g", rr_first);
  // More members join before the first join completes: a new group waits no delay here, so
  // join all three into a rebalance of an existing generation instead.
  RequestId sa = h.sync("g", a, 1, {{a, ""}});
  ASSERT_TRUE(h.syncs.count(sa));
  auto [b, jb] = h.join_new("g", range_first);
  auto [c, jc] = h.join_new("g", rr_first);
  rr_first.member_id = a;
  RequestId ja2 = h.join("g", rr_first);
  ASSERT_TRUE(h.joins.count(ja2));
  EXPECT_EQ(h.joins[ja2].protocol_name, "roundrobin");
  (void)ja;
  (void)jb;
  (void)jc;
}

TEST(GroupCoordinator, OffsetCommitsAndTheirErrors) {
  Harness h;
  // A consumer without a group (generation -1) commits to an empty group it creates.
  auto simple = h.commit("solo", "", -1, {{"t", 0, 10}, {"missing", 0, 1}});
  EXPECT_EQ(simple.topics[0].partitions[0].error_code, 0);
  EXPECT_EQ(simple.topics[1].partitions[0].error_code, code(ErrorCode::unknown_topic_or_partition));
  EXPECT_EQ(h.committed("solo", "t", 0), 10);
  EXPECT_EQ(h.committed("solo", "t", 1), -1);
  EXPECT_EQ(h.state("solo"), "Empty");
  auto big = h.commit("solo", "", -1, {{"t", 0, 11}}, std::string(5000, 'm'));
  EXPECT_EQ(big.topics[0].partitions[0].error_code, code(ErrorCode::offset_metadata_too_large));
  EXPECT_EQ(h.committed("solo", "t", 0), 10);
  // A group member commits with its generation; others are refused.
  const std::string a = stable_group(h, "g");
  EXPECT_EQ(h.commit("g", a, 1, {{"t", 0, 5}}).topics[0].partitions[0].error_code, 0);
  EXPECT_EQ(h.commit("g", a, 9, {{"t", 0, 6}}).topics[0].partitions[0].error_code,
            code(ErrorCode::illegal_generation));
  EXPECT_EQ(h.commit("g", "nobody", 1, {{"t", 0, 6}}).topics[0].partitions[0].error_code,
            code(ErrorCode::unknown_member_id));
  EXPECT_EQ(h.commit("g", "", -1, {{"t", 0, 6}}).topics[0].partitions[0].error_code,
            code(ErrorCode::unknown_member_id));
  EXPECT_EQ(h.commit("nogroup", "m", 3, {{"t", 0, 6}}).topics[0].partitions[0].error_code,
            code(ErrorCode::illegal_generation));
  EXPECT_EQ(h.committed("g", "t", 0), 5);
  // In CompletingRebalance commits wait for the new generation.
  auto [b, jb] = h.join_new("g");
  h.join("g", {.member_id = a});
  ASSERT_EQ(h.state("g"), "CompletingRebalance");
  EXPECT_EQ(h.commit("g", a, 2, {{"t", 0, 7}}).topics[0].partitions[0].error_code,
            code(ErrorCode::rebalance_in_progress));
  // ... but who the member is and its generation are checked first, as Kafka does.
  EXPECT_EQ(h.commit("g", "nobody", 2, {{"t", 0, 7}}).topics[0].partitions[0].error_code,
            code(ErrorCode::unknown_member_id));
  EXPECT_EQ(h.commit("g", a, 1, {{"t", 0, 7}}).topics[0].partitions[0].error_code,
            code(ErrorCode::illegal_generation));
  EXPECT_EQ(h.committed("g", "t", 0), 5);
  (void)jb;
}

TEST(GroupCoordinator, AReloadFromTheRecordsRestoresGroupsAndOffsets) {
  Harness h;
  const std::string a = stable_group(h, "g");
  h.commit("g", a, 1, {{"t", 0, 5}, {"t", 1, 6}});
  h.commit("solo", "", -1, {{"t", 0, 9}});
  Harness reloaded;
  GroupCoordinator fresh(reloaded.config, 0, 7);
  for (const Record& r : h.records) {
    ASSERT_TRUE(fresh.replay(r.key, r.value ? std::optional<BytesView>(BytesView(*r.value)) : std::nullopt).ok());
  }
  fresh.finish_loading(h.now);
  EXPECT_EQ(fresh.describe_group("g").group_state, "Stable");
  ASSERT_EQ(fresh.describe_group("g").members.size(), 1u);
  EXPECT_EQ(fresh.describe_group("g").members[0].member_id, a);
  std::vector<protocol::OffsetFetchRequest::OffsetFetchRequestTopics> topics(1);
  topics[0].name = "t";
  topics[0].partition_indexes = {0, 1};
  auto fetched = fresh.offset_fetch("g", topics, false);
  EXPECT_EQ(fetched.topics[0].partitions[0].committed_offset, 5);
  EXPECT_EQ(fetched.topics[0].partitions[1].committed_offset, 6);
  EXPECT_EQ(fresh.offset_fetch("solo", std::nullopt, false).topics.at(0).partitions.at(0).committed_offset, 9);
  // The loaded member has a session from the load on: it heartbeats, or it goes.
  protocol::HeartbeatRequest hb;
  hb.group_id = "g";
  hb.member_id = a;
  hb.generation_id = 1;
  EXPECT_EQ(fresh.heartbeat(hb, 4, h.now + 5000).error_code, 0);
  fresh.tick(h.now + 16000);
  EXPECT_EQ(fresh.describe_group("g").group_state, "Empty");
}

TEST(GroupCoordinator, OffsetsOfAnEmptyGroupExpireAfterTheRetentionAndTheGroupGoes) {
  GroupConfig config = Harness::test_config();
  config.offsets_retention_ms = 60000;
  config.offsets_retention_check_interval_ms = 10000;
  Harness h(config);
  h.commit("solo", "", -1, {{"t", 0, 9}});
  h.advance(50000);
  EXPECT_EQ(h.committed("solo", "t", 0), 9);
  const size_t before = h.records.size();
  h.advance(20000);
  EXPECT_EQ(h.committed("solo", "t", 0), -1);
  EXPECT_EQ(h.state("solo"), "Dead");
  ASSERT_EQ(h.records.size(), before + 2);  // the offset's tombstone, then the group's
  EXPECT_FALSE(h.records[before].value);
  EXPECT_FALSE(h.records[before + 1].value);
}

TEST(GroupCoordinator, DeleteGroupsAndOffsetDelete) {
  Harness h;
  const std::string a = stable_group(h, "g");
  h.commit("g", a, 1, {{"t", 0, 5}, {"u", 0, 6}});
  EXPECT_EQ(h.c.delete_group("g", h.now), ErrorCode::non_empty_group);
  EXPECT_EQ(h.c.delete_group("nope", h.now), ErrorCode::group_id_not_found);
  // Members subscribe to t: its offsets stay, u's can go.
  protocol::OffsetDeleteRequest del;
  del.group_id = "g";
  for (const char* topic : {"t", "u"}) {
    auto& t = del.topics.emplace_back();
    t.name = topic;
    t.partitions.emplace_back().partition_index = 0;
  }
  auto deleted = h.c.offset_delete(del, h.now);
  h.drain();
  EXPECT_EQ(deleted.error_code, 0);
  EXPECT_EQ(deleted.topics[0].partitions[0].error_code, code(ErrorCode::group_subscribed_to_topic));
  EXPECT_EQ(deleted.topics[1].partitions[0].error_code, 0);
  EXPECT_EQ(h.committed("g", "t", 0), 5);
  EXPECT_EQ(h.committed("g", "u", 0), -1);
  h.leave("g", a);
  ASSERT_EQ(h.state("g"), "Empty");
  EXPECT_EQ(h.c.delete_group("g", h.now), ErrorCode::none);
  h.drain();
  EXPECT_EQ(h.state("g"), "Dead");
  EXPECT_EQ(h.committed("g", "t", 0), -1);
  EXPECT_FALSE(h.records.back().value);
}

TEST(GroupCoordinator, ListAndDescribeGroups) {
  Harness h;
  const std::string a = stable_group(h, "g");
  h.commit("solo", "", -1, {{"t", 0, 9}});
  EXPECT_EQ(h.c.list_groups({}, {}).size(), 2u);
  auto stable = h.c.list_groups({"stable"}, {});
  ASSERT_EQ(stable.size(), 1u);
  EXPECT_EQ(stable[0].group_id, "g");
  EXPECT_EQ(stable[0].protocol_type, "consumer");
  EXPECT_EQ(stable[0].group_type, "classic");
  EXPECT_TRUE(h.c.list_groups({}, {"consumer"}).empty());
  auto d = h.c.describe_group("g");
  EXPECT_EQ(d.group_state, "Stable");
  EXPECT_EQ(d.protocol_data, "range");
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].client_host, "/127.0.0.1");
  EXPECT_EQ(std::string(d.members[0].member_assignment.begin(), d.members[0].member_assignment.end()), "a1");
  EXPECT_EQ(h.c.describe_group("nope").group_state, "Dead");
}

// ---------------------------------------------------------------------------------------------
// Records too large for one batch of the offsets partition

// A group of a (leader) and b that has completed the join of generation 2, nobody synced yet.
std::pair<std::string, std::string> completing_pair(Harness& h, const std::string& group, JoinOptions b_options = {}) {
  const std::string a = stable_group(h, group);
  auto [b, jb] = h.join_new(group, b_options);
  RequestId ja = h.join(group, {.member_id = a});
  EXPECT_TRUE(h.joins.count(ja) && h.joins.count(jb));
  EXPECT_EQ(h.state(group), "CompletingRebalance");
  return {a, b};
}

// The same group once both synced: stable at generation 2.
std::pair<std::string, std::string> stable_pair(Harness& h, const std::string& group, JoinOptions b_options = {}) {
  auto [a, b] = completing_pair(h, group, b_options);
  h.sync(group, b, 2);
  h.sync(group, a, 2, {{a, "A"}, {b, "B"}});
  EXPECT_EQ(h.state(group), "Stable");
  return {a, b};
}

GroupConfig small_batches() {
  GroupConfig config = Harness::test_config();
  config.max_record_batch_bytes = 4096;
  return config;
}

// Every record written fits one batch, as the log will check.
void expect_batches_fit(const Harness& h) {
  // The harness drains after each call, so its records are many calls' worth: each is checked
  // on its own, and the calls under test write one or two.
  for (const Record& r : h.records) EXPECT_LE(batch_bytes({r}), static_cast<size_t>(h.config.max_record_batch_bytes));
}

TEST(GroupCoordinatorSizes, ABatchIsMeasuredAtItsWidest) {
  Record r{Bytes(10, 'k'), Bytes(100, 'v')};
  EXPECT_EQ(record_bytes(r), 10u + 100u + 36u);
  EXPECT_EQ(batch_bytes({r, r}), 61u + 2 * 146u);
  EXPECT_EQ(record_bytes(Record{Bytes(10, 'k'), std::nullopt}), 46u);
}

TEST(GroupCoordinatorSizes, ACommitTooLargeForABatchStoresNothingAndTheGroupGoesOn) {
  Harness h(small_batches());
  const std::string a = stable_group(h, "g");
  const std::string other = stable_group(h, "other");
  const size_t before = h.records.size();
  // Two partitions with 3000 bytes of metadata each: more than 4096 bytes in one append.
  auto big = h.commit("g", a, 1, {{"t", 0, 5}, {"t", 1, 6}, {"missing", 0, 1}}, std::string(3000, 'm'));
  ASSERT_EQ(big.topics.size(), 2u);
  EXPECT_EQ(big.topics[0].partitions[0].error_code, code(ErrorCode::invalid_commit_offset_size));
  EXPECT_EQ(big.topics[0].partitions[1].error_code, code(ErrorCode::invalid_commit_offset_size));
  // A partition refused on its own keeps its own error, as in Kafka.
  EXPECT_EQ(big.topics[1].partitions[0].error_code, code(ErrorCode::unknown_topic_or_partition));
  EXPECT_EQ(h.records.size(), before);
  EXPECT_EQ(h.committed("g", "t", 0), -1);
  EXPECT_EQ(h.committed("g", "t", 1), -1);
  // A simple commit that does not fit makes no group either.
  auto solo = h.commit("solo", "", -1, {{"t", 0, 1}, {"t", 1, 1}}, std::string(3000, 'm'));
  EXPECT_EQ(solo.topics[0].partitions[0].error_code, code(ErrorCode::invalid_commit_offset_size));
  EXPECT_EQ(h.state("solo"), "Dead");
  EXPECT_EQ(h.records.size(), before);
  // The group is as it was: the member commits less at once, both groups heartbeat.
  EXPECT_EQ(h.state("g"), "Stable");
  EXPECT_EQ(h.commit("g", a, 1, {{"t", 0, 5}}, std::string(3000, 'm')).topics[0].partitions[0].error_code, 0);
  EXPECT_EQ(h.commit("g", a, 1, {{"t", 1, 6}}).topics[0].partitions[0].error_code, 0);
  EXPECT_EQ(h.committed("g", "t", 0), 5);
  EXPECT_EQ(h.committed("g", "t", 1), 6);
  EXPECT_EQ(h.heartbeat("g", a, 1), 0);
  EXPECT_EQ(h.heartbeat("other", other, 1), 0);
  expect_batches_fit(h);
}

TEST(GroupCoordinatorSizes, ALeaderAssignmentTooLargeForABatchFailsTheSyncsAndTheGroupRebalances) {
  Harness h(small_batches());
  auto [a, b] = completing_pair(h, "g");
  RequestId sb = h.sync("g", b, 2);
  EXPECT_FALSE(h.syncs.count(sb));
  const size_t before = h.records.size();
  RequestId sa = h.sync("g", a, 2, {{a, std::string(3000, 'A')}, {b, std::string(3000, 'B')}});
  // As Kafka's classic coordinator when storing the assignment fails: everyone waiting in
  // SyncGroup, the leader too, gets the error, the assignments are void and the group rebalances.
  ASSERT_TRUE(h.syncs.count(sa) && h.syncs.count(sb));
  EXPECT_EQ(h.syncs[sa].error_code, code(ErrorCode::unknown_server_error));
  EXPECT_EQ(h.syncs[sb].error_code, code(ErrorCode::unknown_server_error));
  EXPECT_TRUE(h.syncs[sb].assignment.empty());
  EXPECT_EQ(h.records.size(), before);
  EXPECT_EQ(h.state("g"), "PreparingRebalance");
  EXPECT_EQ(h.heartbeat("g", a, 2), code(ErrorCode::rebalance_in_progress));
  // Both rejoin; a smaller assignment is stored and the group is stable again.
  RequestId ja3 = h.join("g", {.member_id = a});
  RequestId jb3 = h.join("g", {.member_id = b});
  ASSERT_TRUE(h.joins.count(ja3) && h.joins.count(jb3));
  EXPECT_EQ(h.joins[ja3].generation_id, 3);
  RequestId sb3 = h.sync("g", b, 3);
  RequestId sa3 = h.sync("g", a, 3, {{a, "A"}, {b, "B"}});
  ASSERT_TRUE(h.syncs.count(sa3) && h.syncs.count(sb3));
  EXPECT_EQ(h.syncs[sb3].error_code, 0);
  EXPECT_EQ(std::string(h.syncs[sb3].assignment.begin(), h.syncs[sb3].assignment.end()), "B");
  EXPECT_EQ(h.state("g"), "Stable");
  expect_batches_fit(h);
}

TEST(GroupCoordinatorSizes, AStaticMemberWhoseRecordWouldNotFitIsNotSwapped) {
  Harness h(small_batches());
  RequestId j = h.join("g", {.instance_id = "i1", .protocols = {{"range", Bytes(1500, 's')}}});
  ASSERT_TRUE(h.joins.count(j));
  const std::string old_id = h.joins[j].member_id;
  h.sync("g", old_id, 1, {{old_id, std::string(1500, 'A')}}, "i1");
  ASSERT_EQ(h.state("g"), "Stable");
  const size_t before = h.records.size();
  // The restarted process has a client id long enough that the group's record no longer fits.
  RequestId again = h.join("g", {.instance_id = "i1", .protocols = {{"range", Bytes(1500, 's')}},
                                 .client_id = std::string(1500, 'c')});
  ASSERT_TRUE(h.joins.count(again));
  EXPECT_EQ(h.joins[again].error_code, code(ErrorCode::unknown_server_error));
  EXPECT_EQ(h.records.size(), before);
  // The old member is still the instance's.
  EXPECT_EQ(h.heartbeat("g", old_id, 1, "i1"), 0);
  EXPECT_EQ(h.c.describe_group("g").members.at(0).member_id, old_id);
  // With a shorter client id the swap goes through.
  RequestId third = h.join("g", {.instance_id = "i1", .protocols = {{"range", Bytes(1500, 's')}}});
  ASSERT_TRUE(h.joins.count(third));
  EXPECT_EQ(h.joins[third].error_code, 0);
  EXPECT_EQ(h.heartbeat("g", old_id, 1, "i1"), code(ErrorCode::fenced_instance_id));
  expect_batches_fit(h);
}

TEST(GroupCoordinatorSizes, AGroupWhoseRecordCannotFitIsNeverMade) {
  Harness h(small_batches());
  RequestId j = h.join(std::string(5000, 'g'), {});
  ASSERT_TRUE(h.joins.count(j));
  EXPECT_EQ(h.joins[j].error_code, code(ErrorCode::unknown_server_error));
  EXPECT_EQ(h.c.group_count(), 0u);
  RequestId typed = h.join("g", {.protocol_type = std::string(5000, 'p')});
  EXPECT_EQ(h.joins[typed].error_code, code(ErrorCode::unknown_server_error));
  EXPECT_EQ(h.c.group_count(), 0u);
  EXPECT_TRUE(h.records.empty());
}

TEST(GroupCoordinatorSizes, DeletesWhoseTombstonesWouldNotFitChangeNothing) {
  GroupConfig config = small_batches();
  config.max_record_batch_bytes = 1024;
  Harness h(config);
  // Offsets committed a few at a time, too many to delete in one batch.
  for (int32_t p = 0; p < 20; ++p) ASSERT_EQ(h.commit("solo", "", -1, {{"t", p, 1}}).topics[0].partitions[0].error_code, 0);
  const size_t before = h.records.size();
  EXPECT_EQ(h.c.delete_group("solo", h.now), ErrorCode::unknown_server_error);
  protocol::OffsetDeleteRequest del;
  del.group_id = "solo";
  auto& t = del.topics.emplace_back();
  t.name = "t";
  for (int32_t p = 0; p < 20; ++p) t.partitions.emplace_back().partition_index = p;
  auto deleted = h.c.offset_delete(del, h.now);
  EXPECT_EQ(deleted.error_code, code(ErrorCode::unknown_server_error));
  h.drain();
  EXPECT_EQ(h.records.size(), before);
  EXPECT_EQ(h.committed("solo", "t", 19), 1);
  // Fewer at a time go.
  t.partitions.resize(5);
  deleted = h.c.offset_delete(del, h.now);
  h.drain();
  EXPECT_EQ(deleted.error_code, 0);
  EXPECT_EQ(h.committed("solo", "t", 0), -1);
  EXPECT_EQ(h.committed("solo", "t", 19), 1);
  expect_batches_fit(h);
}

TEST(GroupCoordinatorSizes, ExpiryWritesWhatFitsABatchAndGoesOnAtOnce) {
  GroupConfig config = small_batches();
  config.max_record_batch_bytes = 1024;
  config.offsets_retention_ms = 60000;
  config.offsets_retention_check_interval_ms = 10000;
  Harness h(config);
  for (int32_t p = 0; p < 40; ++p) h.commit("solo", "", -1, {{"t", p, 1}});
  h.records.clear();
  h.advance(70000);  // the check at 70 s finds every offset expired
  size_t calls = 1;
  std::vector<Record> all;
  for (;;) {
    std::vector<Record> batch = std::move(h.records);
    h.records.clear();
    EXPECT_LE(batch_bytes(batch), 1024u);
    all.insert(all.end(), batch.begin(), batch.end());
    ASSERT_TRUE(h.c.next_deadline());
    if (*h.c.next_deadline() > h.now) break;
    h.c.tick(h.now);  // the caller ticks again at once
    h.drain();
    ASSERT_LT(++calls, 100u);
  }
  EXPECT_GT(calls, 2u);
  EXPECT_EQ(all.size(), 41u);  // every offset's tombstone, then the group's
  EXPECT_EQ(h.state("solo"), "Dead");
  EXPECT_EQ(*h.c.next_deadline(), h.now + 10000);
}

// ---------------------------------------------------------------------------------------------
// The transitions and timeouts the tests above leave out (the table in docs/groups.md)

TEST(GroupTransitions, PreparingRebalanceEmptiesWhenItsMembersGo) {
  Harness h;
  const std::string a = stable_group(h, "g");
  auto [b, jb] = h.join_new("g");
  ASSERT_EQ(h.state("g"), "PreparingRebalance");
  // b gives up waiting and leaves; a, which never rejoined, stops heartbeating.
  h.leave("g", b);
  ASSERT_TRUE(h.joins.count(jb));
  EXPECT_EQ(h.joins[jb].error_code, code(ErrorCode::unknown_member_id));
  EXPECT_EQ(h.state("g"), "PreparingRebalance");
  h.advance(10001);  // a's session, shorter than the rebalance timeout
  EXPECT_EQ(h.state("g"), "Empty");
  expect_stored_empty(h, 2);
}

TEST(GroupTransitions, ASessionEndsInPreparingRebalanceForAMemberThatDoesNotRejoin) {
  Harness h;
  auto [a, b] = stable_pair(h, "g", {.session_timeout_ms = 20000});
  // a rejoins (it leads, so this rebalances); b neither rejoins nor heartbeats.
  RequestId ja = h.join("g", {.member_id = a});
  ASSERT_EQ(h.state("g"), "PreparingRebalance");
  h.advance(19999);
  EXPECT_FALSE(h.joins.count(ja));
  h.advance(2);  // b's session (20 s) ends before the rebalance timeout (30 s): the join completes
  ASSERT_TRUE(h.joins.count(ja));
  EXPECT_EQ(h.joins[ja].generation_id, 3);
  EXPECT_EQ(h.joins[ja].members.size(), 1u);
  EXPECT_EQ(h.state("g"), "CompletingRebalance");
}

TEST(GroupTransitions, ASessionEndsInCompletingRebalanceForAMemberThatDoesNotSync) {
  Harness h;
  auto [a, b] = completing_pair(h, "g");
  // a, the leader, heartbeats and syncs only after b's session is over; b does neither.
  h.advance(5000);
  EXPECT_EQ(h.heartbeat("g", a, 2), 0);
  h.advance(5001);
  EXPECT_EQ(h.state("g"), "PreparingRebalance");
  EXPECT_EQ(h.heartbeat("g", b, 2), code(ErrorCode::unknown_member_id));
  RequestId sa = h.sync("g", a, 2, {{a, "A"}, {b, "B"}});
  ASSERT_TRUE(h.syncs.count(sa));
  EXPECT_EQ(h.syncs[sa].error_code, code(ErrorCode::rebalance_in_progress));
}

TEST(GroupTransitions, ALeaderThatNeverSyncsIsRemovedAtTheSyncTimeout) {
  Harness h;
  auto [a, b] = completing_pair(h, "g");
  RequestId sb = h.sync("g", b, 2);  // b waits for an assignment that does not come
  // a keeps heartbeating but never syncs: after the rebalance timeout (30 s) it is out, b's
  // SyncGroup is told to rejoin, and the group rebalances without a.
  for (int i = 0; i < 9; ++i) {
    h.advance(3000);
    EXPECT_EQ(h.heartbeat("g", a, 2), 0) << i;
  }
  EXPECT_FALSE(h.syncs.count(sb));
  h.advance(3001);
  ASSERT_TRUE(h.syncs.count(sb));
  EXPECT_EQ(h.syncs[sb].error_code, code(ErrorCode::rebalance_in_progress));
  EXPECT_EQ(h.state("g"), "PreparingRebalance");
  EXPECT_EQ(h.heartbeat("g", a, 2), code(ErrorCode::unknown_member_id));
  RequestId jb3 = h.join("g", {.member_id = b});
  ASSERT_TRUE(h.joins.count(jb3));
  EXPECT_EQ(h.joins[jb3].leader, b);
  EXPECT_EQ(h.joins[jb3].generation_id, 3);
}

TEST(GroupTransitions, ComingLeavingOrChangingInCompletingRebalanceRebalancesAgain) {
  Harness h;
  auto [a, b] = stable_pair(h, "g");
  // A third member arrives while the followers wait for the leader's assignment.
  RequestId ja = h.join("g", {.member_id = a});
  RequestId jb = h.join("g", {.member_id = b});
  ASSERT_TRUE(h.joins.count(ja) && h.joins.count(jb));
  ASSERT_EQ(h.state("g"), "CompletingRebalance");
  RequestId sb = h.sync("g", b, 3);
  auto [c, jc] = h.join_new("g");
  ASSERT_TRUE(h.syncs.count(sb));
  EXPECT_EQ(h.syncs[sb].error_code, code(ErrorCode::rebalance_in_progress));
  EXPECT_EQ(h.state("g"), "PreparingRebalance");
  ja = h.join("g", {.member_id = a});
  jb = h.join("g", {.member_id = b});
  ASSERT_TRUE(h.joins.count(ja) && h.joins.count(jc));
  EXPECT_EQ(h.joins[ja].generation_id, 4);
  ASSERT_EQ(h.state("g"), "CompletingRebalance");
  // c leaves before the assignment: again.
  h.leave("g", c);
  EXPECT_EQ(h.state("g"), "PreparingRebalance");
  ja = h.join("g", {.member_id = a});
  jb = h.join("g", {.member_id = b});
  ASSERT_TRUE(h.joins.count(ja));
  EXPECT_EQ(h.joins[ja].generation_id, 5);
  // b comes back with other metadata: again.
  RequestId changed = h.join("g", {.member_id = b, .protocols = {{"range", subscription({"t", "u"})}}});
  EXPECT_EQ(h.state("g"), "PreparingRebalance");
  ja = h.join("g", {.member_id = a});
  ASSERT_TRUE(h.joins.count(ja) && h.joins.count(changed));
  EXPECT_EQ(h.joins[changed].generation_id, 6);
}

TEST(GroupTransitions, NewMetadataOrTheLeaderRejoiningRebalancesAStableGroup) {
  Harness h;
  auto [a, b] = stable_pair(h, "g");
  // A follower rejoining with the same metadata just gets the current generation back.
  RequestId same = h.join("g", {.member_id = b});
  ASSERT_TRUE(h.joins.count(same));
  EXPECT_EQ(h.joins[same].generation_id, 2);
  EXPECT_EQ(h.state("g"), "Stable");
  // New metadata rebalances.
  h.join("g", {.member_id = b, .protocols = {{"range", subscription({"u"})}}});
  EXPECT_EQ(h.state("g"), "PreparingRebalance");
  RequestId ja = h.join("g", {.member_id = a});
  ASSERT_TRUE(h.joins.count(ja));
  h.sync("g", a, 3, {{a, "A"}, {b, "B"}});
  ASSERT_EQ(h.state("g"), "Stable");
  // So does the leader rejoining (say, for a new topic).
  h.join("g", {.member_id = a});
  EXPECT_EQ(h.state("g"), "PreparingRebalance");
}

TEST(GroupTransitions, APendingMemberHoldsTheJoinUntilItsSessionEnds) {
  Harness h;
  const std::string a = stable_group(h, "g");
  auto [b, jb] = h.join_new("g");
  // c is told its id and never comes back with it (KIP-394): the join waits for it as long as
  // its session timeout, not the rebalance timeout.
  RequestId jc = h.join("g", {.session_timeout_ms = 15000});
  ASSERT_EQ(h.joins[jc].error_code, code(ErrorCode::member_id_required));
  RequestId ja = h.join("g", {.member_id = a});
  EXPECT_FALSE(h.joins.count(ja));
  h.advance(14999);
  EXPECT_FALSE(h.joins.count(ja));
  h.advance(2);
  ASSERT_TRUE(h.joins.count(ja) && h.joins.count(jb));
  EXPECT_EQ(h.joins[ja].members.size(), 2u);
  // Its id is no good now.
  RequestId late = h.join("g", {.member_id = h.joins[jc].member_id});
  EXPECT_EQ(h.joins[late].error_code, code(ErrorCode::unknown_member_id));
}

TEST(GroupTransitions, ANewMemberWaitingInAJoinIsDroppedAfterTheNewMemberTimeout) {
  Harness h;
  // a's rebalance timeout is longer than the five minutes a new member may wait.
  const std::string a = [&] {
    auto [member, join] = h.join_new("g", {.rebalance_timeout_ms = 600000});
    h.sync("g", member, 1, {{member, "A"}});
    return member;
  }();
  auto [b, jb] = h.join_new("g", {.rebalance_timeout_ms = 600000});
  ASSERT_EQ(h.state("g"), "PreparingRebalance");
  for (int i = 0; i < 99; ++i) {
    h.advance(3000);
    ASSERT_EQ(h.heartbeat("g", a, 1), code(ErrorCode::rebalance_in_progress));
  }
  EXPECT_FALSE(h.joins.count(jb));
  h.advance(3001);  // 300 s since b joined
  ASSERT_TRUE(h.joins.count(jb));
  EXPECT_EQ(h.joins[jb].error_code, code(ErrorCode::unknown_member_id));
  EXPECT_EQ(h.state("g"), "PreparingRebalance");  // still waiting for a to rejoin
}

TEST(GroupTransitions, TheInitialDelayStopsAtTheRebalanceTimeout) {
  GroupConfig config = Harness::test_config();
  config.initial_rebalance_delay_ms = 3000;
  Harness h(config);
  // The clock moves a millisecond at a time, so that each delay starts when the last one ends.
  auto walk = [&h](int64_t ms) {
    for (int64_t i = 0; i < ms; ++i) h.advance(1);
  };
  auto [a, ja] = h.join_new("g", {.rebalance_timeout_ms = 10000});
  // A new member every 2.5 s stretches the delay (3 s, then 3 s more twice), but never past
  // the rebalance timeout: the last stretch is the 1 s left of it.
  std::vector<RequestId> joins{ja};
  for (int i = 0; i < 3; ++i) {
    walk(2500);
    joins.push_back(h.join_new("g", {.rebalance_timeout_ms = 10000}).second);
    EXPECT_FALSE(h.joins.count(ja));
  }
  walk(2499);  // 9.999 s
  EXPECT_FALSE(h.joins.count(ja));
  walk(1);
  for (RequestId j : joins) {
    ASSERT_TRUE(h.joins.count(j));
    EXPECT_EQ(h.joins[j].generation_id, 1);
  }
}

TEST(GroupTransitions, ASilentStaticMemberIsRemovedAfterItsSession) {
  Harness h;
  RequestId j = h.join("g", {.instance_id = "i1"});
  const std::string s = h.joins[j].member_id;
  h.sync("g", s, 1, {{s, "A"}}, "i1");
  RequestId k = h.join("g", {.instance_id = "i2"});
  ASSERT_EQ(h.state("g"), "PreparingRebalance");
  RequestId j2 = h.join("g", {.member_id = s, .instance_id = "i1"});
  ASSERT_TRUE(h.joins.count(j2) && h.joins.count(k));
  const std::string t = h.joins[k].member_id;
  h.sync("g", t, 2, {}, "i2");
  h.sync("g", s, 2, {{s, "A"}, {t, "B"}}, "i1");
  ASSERT_EQ(h.state("g"), "Stable");
  // i2's process dies without leaving (static members do not): after its session it is removed
  // and the group rebalances; its instance id is free again.
  for (int i = 0; i < 4; ++i) {
    h.advance(3000);
    EXPECT_EQ(h.heartbeat("g", s, 2, "i1"), i < 3 ? 0 : code(ErrorCode::rebalance_in_progress)) << i;
  }
  EXPECT_EQ(h.state("g"), "PreparingRebalance");
  EXPECT_EQ(h.heartbeat("g", t, 2, "i2"), code(ErrorCode::unknown_member_id));
  RequestId back = h.join("g", {.instance_id = "i2"});
  ASSERT_FALSE(h.joins.count(back));  // joins the rebalance under a new id
}

TEST(GroupTransitions, OffsetsWithTheirOwnExpiryAndThoseOfTopicsAStableGroupNoLongerReads) {
  GroupConfig config = Harness::test_config();
  config.offsets_retention_ms = 60000;
  config.offsets_retention_check_interval_ms = 10000;
  Harness h(config);
  // OffsetCommit v2-4 may set a retention of its own.
  protocol::OffsetCommitRequest r;
  r.group_id = "solo";
  r.generation_id_or_member_epoch = -1;
  r.retention_time_ms = 20000;
  auto& t = r.topics.emplace_back();
  t.name = "t";
  t.partitions.emplace_back().committed_offset = 3;
  h.c.offset_commit(r, 2, [](const std::string&, int32_t) { return true; }, h.now);
  h.drain();
  // A stable consumer group reading t commits to t and u; it does not subscribe to u.
  const std::string a = stable_group(h, "g");
  h.commit("g", a, 1, {{"t", 0, 5}, {"u", 0, 6}});
  for (int i = 0; i < 6; ++i) {
    h.advance(5000);
    ASSERT_EQ(h.heartbeat("g", a, 1), 0);
  }
  EXPECT_EQ(h.committed("solo", "t", 0), -1);  // its own 20 s
  EXPECT_EQ(h.state("solo"), "Dead");
  EXPECT_EQ(h.committed("g", "u", 0), 6);
  for (int i = 0; i < 6; ++i) {
    h.advance(5000);
    ASSERT_EQ(h.heartbeat("g", a, 1), 0);
  }
  EXPECT_EQ(h.committed("g", "u", 0), -1);  // u, unread, a retention after its commit
  EXPECT_EQ(h.committed("g", "t", 0), 5);   // t is read: kept
  EXPECT_EQ(h.state("g"), "Stable");
}

}  // namespace
}  // namespace gregor::group
