// KIP-848 consumer groups on the group coordinator, driven by a simulated clock: joins, the
// incremental reconciliation of several members (revocation before assignment), leaves, session
// and rebalance timeouts, static members, fenced epochs, the other group APIs on a consumer group,
// and a reload from the records written.
#include <gtest/gtest.h>

#include <map>

#include "group/group_coordinator.h"

namespace gregor::group {
namespace {

using Heartbeat = protocol::ConsumerGroupHeartbeatRequest;
using HeartbeatResponse = protocol::ConsumerGroupHeartbeatResponse;

int16_t code(ErrorCode e) { return static_cast<int16_t>(e); }

Uuid topic_id(uint8_t n) {
  Uuid id;
  id.bytes[0] = 0x40;
  id.bytes[15] = n;
  return id;
}

const Uuid kTopic = topic_id(1);
const Uuid kOther = topic_id(2);

using Owned = std::map<int32_t, int>;  // partitions of "t", for brevity: partition -> 1

struct Harness {
  explicit Harness(GroupConfig config = GroupConfig{}) : config(config), c(config, 0, 7) {
    topics.put({kTopic, "t", 6});
    topics.put({kOther, "u", 2});
    c.finish_loading(now);
  }

  HeartbeatResponse send(Heartbeat r, int16_t version = 1) {
    if (r.group_id.empty()) r.group_id = "g";
    auto response = c.consumer_group_heartbeat(r, version, Client{"client", "/127.0.0.1"}, topics, now);
    collect();
    return response;
  }
  // A (re)join: epoch 0 with everything a first heartbeat carries.
  HeartbeatResponse join(const std::string& member, std::vector<std::string> subscribe = {"t"},
                         std::optional<std::string> instance = std::nullopt,
                         std::optional<std::string> assignor = std::nullopt) {
    Heartbeat r;
    r.member_id = member;
    r.member_epoch = 0;
    r.instance_id = instance;
    r.rebalance_timeout_ms = 30000;
    r.subscribed_topic_names = subscribe;
    r.server_assignor = assignor;
    r.topic_partitions.emplace();
    return send(r);
  }
  // A heartbeat reporting the partitions of "t" the member owns.
  HeartbeatResponse beat(const std::string& member, int32_t epoch, const std::set<int32_t>& owned,
                         std::optional<std::string> instance = std::nullopt) {
    Heartbeat r;
    r.member_id = member;
    r.member_epoch = epoch;
    r.instance_id = instance;
    auto& tp = r.topic_partitions.emplace();
    if (!owned.empty()) {
      auto& t = tp.emplace_back();
      t.topic_id = kTopic;
      t.partitions.assign(owned.begin(), owned.end());
    }
    return send(r);
  }
  HeartbeatResponse leave(const std::string& member, int32_t epoch = -1,
                          std::optional<std::string> instance = std::nullopt) {
    Heartbeat r;
    r.member_id = member;
    r.member_epoch = epoch;
    r.instance_id = instance;
    return send(r);
  }
  void advance(int64_t ms) {
    now += ms;
    c.tick(now);
    collect();
  }
  void collect() {
    for (Record& r : c.take_records()) log.push_back(std::move(r));
  }
  protocol::ConsumerGroupDescribeResponse::DescribedGroup describe(const std::string& group = "g") {
    return c.consumer_group_describe(group, topics);
  }
  std::string state(const std::string& group = "g") { return describe(group).group_state; }

  GroupConfig config;
  GroupCoordinator c;
  TopicTable topics;
  int64_t now = 1'000'000;
  std::vector<Record> log;
};

// The partitions of "t" in a response's assignment (the response must carry one).
std::set<int32_t> assigned(const HeartbeatResponse& r) {
  EXPECT_TRUE(r.assignment.has_value());
  std::set<int32_t> out;
  if (!r.assignment) return out;
  for (const auto& tp : r.assignment->topic_partitions) {
    if (tp.topic_id == kTopic) out.insert(tp.partitions.begin(), tp.partitions.end());
  }
  return out;
}

std::set<int32_t> all(int32_t n) {
  std::set<int32_t> out;
  for (int32_t i = 0; i < n; ++i) out.insert(i);
  return out;
}

TEST(ConsumerGroup, FirstMemberGetsEverything) {
  Harness h;
  auto r = h.join("a");
  EXPECT_EQ(r.error_code, 0);
  EXPECT_EQ(r.member_id, "a");
  EXPECT_EQ(r.member_epoch, 1);
  EXPECT_EQ(r.heartbeat_interval_ms, 5000);
  EXPECT_EQ(assigned(r), all(6));
  EXPECT_EQ(h.state(), "Stable");
  auto d = h.describe();
  EXPECT_EQ(d.group_epoch, 1);
  EXPECT_EQ(d.assignment_epoch, 1);
  EXPECT_EQ(d.assignor_name, "uniform");
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].client_host, "/127.0.0.1");
  EXPECT_EQ(d.members[0].subscribed_topic_names, std::vector<std::string>{"t"});
  ASSERT_EQ(d.members[0].assignment.topic_partitions.size(), 1u);
  EXPECT_EQ(d.members[0].assignment.topic_partitions[0].topic_name, "t");
  // A steady heartbeat changes nothing and carries no assignment.
  h.log.clear();
  auto again = h.beat("a", 1, all(6));
  EXPECT_EQ(again.member_epoch, 1);
  EXPECT_FALSE(again.assignment.has_value());
  EXPECT_TRUE(h.log.empty());
}

TEST(ConsumerGroup, VersionZeroGetsAMemberIdFromTheCoordinator) {
  Harness h;
  Heartbeat r;
  r.member_epoch = 0;
  r.rebalance_timeout_ms = 30000;
  r.subscribed_topic_names = std::vector<std::string>{"t"};
  r.topic_partitions.emplace();
  auto response = h.send(r, 0);
  EXPECT_EQ(response.error_code, 0);
  ASSERT_TRUE(response.member_id);
  EXPECT_EQ(response.member_id->size(), 22u);  // a Kafka Uuid string
  // Version 1 members bring their own.
  EXPECT_EQ(h.send(r, 1).error_code, code(ErrorCode::invalid_request));
}

// Two members: the second only gets partitions once the first revoked them.
TEST(ConsumerGroup, RevokeBeforeAssign) {
  Harness h;
  h.join("a");
  auto b = h.join("b");
  EXPECT_EQ(b.member_epoch, 2);
  EXPECT_TRUE(assigned(b).empty());  // its target is still a's
  EXPECT_EQ(h.state(), "Reconciling");

  // a learns what to give back, keeping its epoch.
  auto a = h.beat("a", 1, all(6));
  EXPECT_EQ(a.member_epoch, 1);
  std::set<int32_t> kept = assigned(a);
  EXPECT_EQ(kept.size(), 3u);
  // b asks again: still nothing, a has not let go.
  EXPECT_FALSE(h.beat("b", 2, {}).assignment.has_value());
  // a still reports everything: no progress.
  EXPECT_EQ(h.beat("a", 1, all(6)).member_epoch, 1);
  // a revoked: it moves to epoch 2; then b gets the rest.
  a = h.beat("a", 1, kept);
  EXPECT_EQ(a.member_epoch, 2);
  b = h.beat("b", 2, {});
  std::set<int32_t> rest = assigned(b);
  EXPECT_EQ(rest.size(), 3u);
  for (int32_t p : rest) EXPECT_FALSE(kept.count(p));
  EXPECT_EQ(h.state(), "Stable");
  auto d = h.describe();
  for (const auto& m : d.members) EXPECT_EQ(m.member_epoch, 2);
}

// Three members join one after the other; at no point do two members hold a partition.
TEST(ConsumerGroup, ThreeMembersConverge) {
  Harness h;
  std::map<std::string, std::set<int32_t>> owned;
  std::map<std::string, int32_t> epoch;
  auto apply = [&](const std::string& m, const HeartbeatResponse& r) {
    ASSERT_EQ(r.error_code, 0) << (r.error_message ? *r.error_message : "");
    epoch[m] = r.member_epoch;
    if (r.assignment) owned[m] = assigned(r);
    std::map<int32_t, int> holders;
    for (const auto& [id, ps] : owned) {
      for (int32_t p : ps) EXPECT_EQ(++holders[p], 1) << "partition " << p << " owned twice";
    }
  };
  apply("a", h.join("a"));
  apply("b", h.join("b"));
  apply("c", h.join("c"));
  for (int round = 0; round < 4; ++round) {
    for (const std::string m : {"a", "b", "c"}) apply(m, h.beat(m, epoch[m], owned[m]));
  }
  EXPECT_EQ(h.state(), "Stable");
  for (const std::string m : {"a", "b", "c"}) EXPECT_EQ(owned[m].size(), 2u) << m;
  // c leaves: the group epoch goes up and the others share its partitions.
  auto left = h.leave("c");
  EXPECT_EQ(left.member_epoch, -1);
  owned.erase("c");
  EXPECT_EQ(h.state(), "Assigning");
  for (int round = 0; round < 2; ++round) {
    for (const std::string m : {"a", "b"}) apply(m, h.beat(m, epoch[m], owned[m]));
  }
  EXPECT_EQ(h.state(), "Stable");
  EXPECT_EQ(owned["a"].size() + owned["b"].size(), 6u);
}

TEST(ConsumerGroup, SessionTimeoutFencesTheMember) {
  Harness h;
  h.join("a");
  int32_t epoch = h.join("b").member_epoch;
  std::set<int32_t> owned;
  for (int i = 0; i < 8; ++i) {
    h.advance(6000);
    auto b = h.beat("b", epoch, owned);
    epoch = b.member_epoch;
    if (b.assignment) owned = assigned(b);
  }
  // a has been silent for 48 s (> 45 s): it is gone, and b ends up with everything.
  auto d = h.describe();
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].member_id, "b");
  EXPECT_EQ(owned, all(6));
  EXPECT_EQ(h.beat("a", 1, all(6)).error_code, code(ErrorCode::unknown_member_id));
}

TEST(ConsumerGroup, RebalanceTimeoutFencesAMemberThatDoesNotRevoke) {
  Harness h;
  h.join("a");
  h.join("b");
  EXPECT_EQ(h.beat("a", 1, all(6)).member_epoch, 1);  // told to revoke: its timer starts
  for (int i = 0; i < 7; ++i) {
    h.advance(5000);
    h.beat("a", 1, all(6));  // alive, but never revokes
    h.beat("b", 2, {});
  }
  EXPECT_EQ(h.beat("a", 1, all(6)).error_code, code(ErrorCode::unknown_member_id));
  auto d = h.describe();
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(assigned(h.join("b")), all(6));
}

TEST(ConsumerGroup, EpochsAreChecked) {
  Harness h;
  h.join("a");
  h.join("b");
  auto a = h.beat("a", 1, all(6));
  std::set<int32_t> kept = assigned(a);
  a = h.beat("a", 1, kept);
  ASSERT_EQ(a.member_epoch, 2);
  EXPECT_EQ(h.beat("a", 3, kept).error_code, code(ErrorCode::fenced_member_epoch));
  // The previous epoch is still accepted with a subset of the current assignment (the response
  // that moved the member on may have been lost) ...
  EXPECT_EQ(h.beat("a", 1, kept).error_code, 0);
  // ... but not with partitions it no longer has.
  auto fenced = h.beat("a", 1, all(6));
  EXPECT_EQ(fenced.error_code, code(ErrorCode::fenced_member_epoch));
  ASSERT_TRUE(fenced.error_message);
  EXPECT_NE(fenced.error_message->find("smaller member epoch"), std::string::npos);
  // A fenced member rejoins with epoch 0 under the same id.
  auto rejoined = h.join("a");
  EXPECT_EQ(rejoined.error_code, 0);
  EXPECT_EQ(rejoined.member_epoch, 2);
}

TEST(ConsumerGroup, RequestErrors) {
  Harness h;
  EXPECT_EQ(h.beat("a", 1, {}).error_code, code(ErrorCode::group_id_not_found));
  h.join("a");
  EXPECT_EQ(h.beat("x", 1, {}).error_code, code(ErrorCode::unknown_member_id));
  Heartbeat r;
  r.member_id = "b";
  r.member_epoch = 0;
  r.subscribed_topic_names = std::vector<std::string>{"t"};
  r.topic_partitions.emplace();
  auto no_timeout = h.send(r);
  EXPECT_EQ(no_timeout.error_code, code(ErrorCode::invalid_request));
  EXPECT_EQ(no_timeout.error_message, "RebalanceTimeoutMs must be provided in first request.");
  r.rebalance_timeout_ms = 1000;
  r.server_assignor = "sticky";
  auto assignor = h.send(r);
  EXPECT_EQ(assignor.error_code, code(ErrorCode::unsupported_assignor));
  EXPECT_EQ(assignor.error_message, "ServerAssignor sticky is not supported. Supported assignors: uniform, range.");
  r.server_assignor.reset();
  r.subscribed_topic_regex = "t(";
  auto regex = h.send(r);
  EXPECT_EQ(regex.error_code, code(ErrorCode::invalid_regular_expression));
  ASSERT_TRUE(regex.error_message);
  EXPECT_EQ(regex.error_message->rfind("SubscribedTopicRegex `t(` is not a valid regular expression: ", 0), 0u);
  r.subscribed_topic_regex.reset();
  r.member_epoch = -3;
  EXPECT_EQ(h.send(r).error_code, code(ErrorCode::invalid_request));
  EXPECT_EQ(h.leave("nobody").error_code, code(ErrorCode::unknown_member_id));
}

TEST(ConsumerGroup, MaxSize) {
  GroupConfig config;
  config.consumer.max_size = 2;
  Harness h(config);
  h.join("a");
  h.join("b");
  auto c = h.join("c");
  EXPECT_EQ(c.error_code, code(ErrorCode::group_max_size_reached));
  EXPECT_EQ(c.error_message, "The consumer group has reached its maximum capacity of 2 members.");
  EXPECT_EQ(h.join("a").error_code, 0);  // a member already in is not turned away
}

TEST(ConsumerGroup, RangeAssignorOnRequest) {
  Harness h;
  h.join("a", {"t"}, std::nullopt, "range");
  EXPECT_EQ(h.describe().assignor_name, "range");
}

TEST(ConsumerGroup, StaticMemberComesBackUnderANewId) {
  Harness h;
  auto first = h.join("a1", {"t"}, "instance");
  EXPECT_EQ(assigned(first), all(6));
  // Another process with the same instance id while the first is still there.
  EXPECT_EQ(h.join("a2", {"t"}, "instance").error_code, code(ErrorCode::unreleased_instance_id));
  // The first leaves for a restart (-2): it keeps its partitions ...
  auto gone = h.leave("a1", -2, "instance");
  EXPECT_EQ(gone.error_code, 0);
  EXPECT_EQ(gone.member_epoch, -2);
  const int32_t epoch = h.describe().group_epoch;
  // ... and its successor takes them over without a rebalance.
  auto back = h.join("a2", {"t"}, "instance");
  EXPECT_EQ(back.error_code, 0);
  EXPECT_EQ(back.member_epoch, 1);
  EXPECT_EQ(assigned(back), all(6));
  auto d = h.describe();
  EXPECT_EQ(d.group_epoch, epoch);
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].member_id, "a2");
  EXPECT_EQ(d.members[0].instance_id, "instance");
  // The old id is fenced by the new one.
  EXPECT_EQ(h.beat("a1", 1, all(6), "instance").error_code, code(ErrorCode::fenced_instance_id));
  // A static member leaving for good (-1) goes like a dynamic one.
  EXPECT_EQ(h.leave("a2", -1, "instance").member_epoch, -1);
  EXPECT_EQ(h.state(), "Empty");
}

TEST(ConsumerGroup, HeartbeatsWhoseRecordsWouldNotFitChangeNothing) {
  GroupConfig config;
  config.max_record_batch_bytes = 4096;
  Harness h(config);
  auto a = h.join("a");
  ASSERT_EQ(a.error_code, 0);
  const int32_t epoch = h.describe().group_epoch;
  h.log.clear();
  // A subscription too large for the member's record: Kafka's write fails, and the heartbeat
  // gets the error that maps to, with nothing written.
  Heartbeat big;
  big.member_id = "b";
  big.member_epoch = 0;
  big.rebalance_timeout_ms = 30000;
  big.subscribed_topic_names = std::vector<std::string>{"t", std::string(5000, 'x')};
  big.topic_partitions.emplace();
  auto refused = h.send(big);
  EXPECT_EQ(refused.error_code, code(ErrorCode::unknown_server_error));
  ASSERT_TRUE(refused.error_message);
  EXPECT_TRUE(h.log.empty());
  EXPECT_EQ(h.describe().members.size(), 1u);
  EXPECT_EQ(h.describe().group_epoch, epoch);
  // A member already in that sends a rack id too large keeps what it had.
  Heartbeat rack;
  rack.member_id = "a";
  rack.member_epoch = a.member_epoch;
  rack.rack_id = std::string(5000, 'r');
  EXPECT_EQ(h.send(rack).error_code, code(ErrorCode::unknown_server_error));
  EXPECT_TRUE(h.log.empty());
  EXPECT_FALSE(h.describe().members.at(0).rack_id);
  EXPECT_EQ(h.beat("a", a.member_epoch, all(6)).error_code, 0);
  // Others join as usual.
  EXPECT_EQ(h.join("b").error_code, 0);
  EXPECT_EQ(h.describe().members.size(), 2u);
  for (const Record& r : h.log) EXPECT_LE(batch_bytes({r}), 4096u);
}

TEST(ConsumerGroup, ARefusedTakeOverLeavesTheStaticMembersTimersAlone) {
  GroupConfig config;
  config.max_record_batch_bytes = 4096;
  Harness h(config);
  int32_t a_epoch = h.join("a").member_epoch;
  ASSERT_EQ(h.join("s1", {"t"}, "instance").error_code, 0);
  ASSERT_EQ(h.leave("s1", -2, "instance").error_code, 0);
  // The instance's next process brings a rack id too large: refused, and s1 is still the one
  // waiting for its successor, on its session timeout.
  Heartbeat next;
  next.member_id = "s2";
  next.member_epoch = 0;
  next.instance_id = "instance";
  next.rack_id = std::string(5000, 'r');
  next.rebalance_timeout_ms = 30000;
  next.subscribed_topic_names = std::vector<std::string>{"t"};
  next.topic_partitions.emplace();
  EXPECT_EQ(h.send(next).error_code, code(ErrorCode::unknown_server_error));
  for (int i = 0; i < 10; ++i) {
    h.advance(5000);
    auto beat = h.beat("a", a_epoch, {});
    ASSERT_EQ(beat.error_code, 0);
    a_epoch = beat.member_epoch;
  }
  // 50 s later s1's session is over: it is gone.
  auto d = h.describe();
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].member_id, "a");
}

TEST(ConsumerGroup, TopicGrowthBumpsTheGroupEpoch) {
  Harness h;
  h.join("a");
  h.topics.put({kTopic, "t", 8});
  auto r = h.beat("a", 1, all(6));
  EXPECT_EQ(r.member_epoch, 2);
  EXPECT_EQ(assigned(r), all(8));
  // A topic subscribed to before it exists joins the assignment once created.
  h.join("a", {"t", "later"});
  h.topics.put({topic_id(3), "later", 1});
  r = h.beat("a", h.describe().members[0].member_epoch, all(8));
  ASSERT_TRUE(r.assignment);
  EXPECT_EQ(r.assignment->topic_partitions.size(), 2u);
}

// How many partitions, of any topic, a response assigns.
size_t assigned_count(const HeartbeatResponse& r) {
  size_t n = 0;
  if (r.assignment) {
    for (const auto& tp : r.assignment->topic_partitions) n += tp.partitions.size();
  }
  return n;
}

TEST(ConsumerGroup, SubscriptionByRegularExpression) {
  Harness h;
  h.topics.put({topic_id(9), "__consumer_offsets", 50});  // never matched
  Heartbeat r;
  r.member_id = "a";
  r.member_epoch = 0;
  r.rebalance_timeout_ms = 30000;
  r.subscribed_topic_regex = ".*";
  r.topic_partitions.emplace();
  auto a = h.send(r);
  ASSERT_EQ(a.error_code, 0) << a.error_message.value_or("");
  EXPECT_EQ(assigned_count(a), 8u);  // t and u, not the internal topic
  EXPECT_EQ(h.describe().members[0].subscribed_topic_regex, ".*");
  // A new topic that matches joins the subscription at the next heartbeat.
  h.topics.put({topic_id(4), "t2", 3});
  auto again = h.beat("a", a.member_epoch, all(6));
  EXPECT_EQ(again.member_epoch, a.member_epoch + 1);
  EXPECT_EQ(assigned_count(again), 11u);
  // A narrower expression bumps the epoch and drops what it no longer matches.
  r.member_epoch = again.member_epoch;
  r.subscribed_topic_regex = "t.*";
  r.topic_partitions.reset();
  auto narrower = h.send(r);
  EXPECT_EQ(narrower.member_epoch, again.member_epoch);  // u must be revoked first
  EXPECT_EQ(assigned_count(narrower), 9u);
  // Another member by name shares t; when the regex member leaves, u and t2 leave the subscription.
  h.join("b", {"t"});
  h.leave("a");
  auto b = h.beat("b", h.describe().members[0].member_epoch, {});
  EXPECT_EQ(b.error_code, 0);
  EXPECT_EQ(assigned(b), all(6));
  EXPECT_EQ(assigned_count(b), 6u);
  // Offsets of u may go now; t's may not.
  protocol::OffsetDeleteRequest del;
  del.group_id = "g";
  for (const std::string topic : {"t", "u"}) {
    auto& t = del.topics.emplace_back();
    t.name = topic;
    t.partitions.emplace_back().partition_index = 0;
  }
  auto deleted = h.c.offset_delete(del, h.now);
  EXPECT_EQ(deleted.topics.at(0).partitions.at(0).error_code, code(ErrorCode::group_subscribed_to_topic));
  EXPECT_EQ(deleted.topics.at(1).partitions.at(0).error_code, 0);
}

TEST(ConsumerGroup, ReloadFromTheRecords) {
  Harness h;
  h.join("a");
  h.join("b", {"t", "u"}, "static-b");
  auto a = h.beat("a", 1, all(6));
  h.beat("a", 1, assigned(a));
  h.beat("b", 2, {});
  h.leave("b", -2, "static-b");
  auto before = h.describe();

  GroupCoordinator fresh(h.config, 0, 9);
  for (const Record& r : h.log) {
    ASSERT_TRUE(fresh.replay(BytesView(r.key), r.value ? std::optional<BytesView>(BytesView(*r.value)) : std::nullopt).ok());
  }
  fresh.finish_loading(h.now);
  auto after = fresh.consumer_group_describe("g", h.topics);
  EXPECT_EQ(after, before);
  // The reloaded group goes on: the static member comes back with its partitions.
  auto back = fresh.consumer_group_heartbeat(
      [&] {
        Heartbeat r;
        r.group_id = "g";
        r.member_id = "b2";
        r.member_epoch = 0;
        r.instance_id = "static-b";
        r.rebalance_timeout_ms = 30000;
        r.subscribed_topic_names = std::vector<std::string>{"t", "u"};
        r.topic_partitions.emplace();
        return r;
      }(),
      1, Client{"client", "/127.0.0.1"}, h.topics, h.now + 10000);
  EXPECT_EQ(back.error_code, 0);
  EXPECT_EQ(back.member_epoch, before.assignment_epoch);
  // Sessions restart at load: a member silent since is fenced a session later.
  fresh.tick(h.now + 45000);
  auto d = fresh.consumer_group_describe("g", h.topics);
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].member_id, "b2");
}

TEST(ConsumerGroup, LeavingWritesTombstones) {
  Harness h;
  h.join("a");
  h.log.clear();
  h.leave("a");
  std::set<ConsumerGroupRecord::Kind> tombstones;
  for (const Record& r : h.log) {
    auto d = decode_record(BytesView(r.key), r.value ? std::optional<BytesView>(BytesView(*r.value)) : std::nullopt);
    ASSERT_TRUE(d.ok());
    auto* cg = std::get_if<ConsumerGroupRecord>(&*d);
    ASSERT_TRUE(cg);
    if (cg->tombstone()) tombstones.insert(cg->kind);
  }
  EXPECT_EQ(tombstones, (std::set<ConsumerGroupRecord::Kind>{ConsumerGroupRecord::Kind::current_member_assignment,
                                                              ConsumerGroupRecord::Kind::target_assignment_member,
                                                              ConsumerGroupRecord::Kind::member_metadata}));
  EXPECT_EQ(h.state(), "Empty");
}

// ---------------------------------------------------------------------------------------------
// The other group APIs on a consumer group

protocol::OffsetCommitRequest commit_request(const std::string& member, int32_t epoch) {
  protocol::OffsetCommitRequest r;
  r.group_id = "g";
  r.member_id = member;
  r.generation_id_or_member_epoch = epoch;
  auto& t = r.topics.emplace_back();
  t.name = "t";
  auto& p = t.partitions.emplace_back();
  p.partition_index = 0;
  p.committed_offset = 42;
  return r;
}

int16_t commit_error(Harness& h, const protocol::OffsetCommitRequest& r, int16_t version) {
  auto response = h.c.offset_commit(r, version, [](const std::string&, int32_t) { return true; }, h.now);
  h.collect();
  return response.topics.at(0).partitions.at(0).error_code;
}

TEST(ConsumerGroup, OffsetsWithMemberEpochs) {
  Harness h;
  h.join("a");
  EXPECT_EQ(commit_error(h, commit_request("a", 1), 9), 0);
  EXPECT_EQ(commit_error(h, commit_request("a", 0), 9), code(ErrorCode::stale_member_epoch));
  EXPECT_EQ(commit_error(h, commit_request("x", 1), 9), code(ErrorCode::unknown_member_id));
  EXPECT_EQ(commit_error(h, commit_request("a", 1), 8), code(ErrorCode::unsupported_version));
  EXPECT_EQ(commit_error(h, commit_request("", -1), 9), code(ErrorCode::unknown_member_id));  // not empty
  // No group at all: version 9 says so.
  auto none = commit_request("a", 1);
  none.group_id = "nope";
  EXPECT_EQ(commit_error(h, none, 9), code(ErrorCode::group_id_not_found));

  std::vector<protocol::OffsetFetchRequest::OffsetFetchRequestTopics> topics(1);
  topics[0].name = "t";
  topics[0].partition_indexes = {0};
  auto fetched = h.c.offset_fetch("g", topics, false, std::string("a"), 1);
  EXPECT_EQ(fetched.error_code, 0);
  EXPECT_EQ(fetched.topics.at(0).partitions.at(0).committed_offset, 42);
  EXPECT_EQ(h.c.offset_fetch("g", topics, false, std::string("a"), 7).error_code, code(ErrorCode::stale_member_epoch));
  EXPECT_EQ(h.c.offset_fetch("g", topics, false, std::string("x"), 1).error_code, code(ErrorCode::unknown_member_id));
  EXPECT_EQ(h.c.offset_fetch("g", topics, false).error_code, 0);  // an admin fetch

  // Empty, the group takes commits without an epoch; its offsets expire a retention period after
  // their commit, and the group with them.
  h.leave("a");
  EXPECT_EQ(commit_error(h, commit_request("", -1), 9), 0);
  h.advance(h.config.offsets_retention_ms + h.config.offsets_retention_check_interval_ms);
  EXPECT_EQ(h.describe().error_code, code(ErrorCode::group_id_not_found));
  EXPECT_EQ(h.c.group_count(), 0u);
}

TEST(ConsumerGroup, ListDescribeDelete) {
  Harness h;
  h.join("a");
  auto listed = h.c.list_groups({}, {"consumer"});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].group_type, "consumer");
  EXPECT_EQ(listed[0].protocol_type, "consumer");
  EXPECT_EQ(listed[0].group_state, "Stable");
  EXPECT_TRUE(h.c.list_groups({}, {"classic"}).empty());
  EXPECT_EQ(h.c.list_groups({"stable"}, {}).size(), 1u);
  EXPECT_TRUE(h.c.list_groups({"empty"}, {}).empty());
  // DescribeGroups only knows classic groups.
  EXPECT_EQ(h.c.describe_group("g").group_state, "Dead");
  EXPECT_EQ(h.describe("nope").error_code, code(ErrorCode::group_id_not_found));
  EXPECT_EQ(h.describe("").error_code, code(ErrorCode::invalid_group_id));

  EXPECT_EQ(h.c.delete_group("g", h.now), ErrorCode::non_empty_group);
  h.leave("a");
  commit_error(h, commit_request("", -1), 9);
  EXPECT_EQ(h.c.delete_group("g", h.now), ErrorCode::none);
  EXPECT_EQ(h.describe().error_code, code(ErrorCode::group_id_not_found));
  EXPECT_EQ(h.c.group_count(), 0u);
}

protocol::JoinGroupRequest classic_join(const std::string& group) {
  protocol::JoinGroupRequest r;
  r.group_id = group;
  r.protocol_type = "consumer";
  r.session_timeout_ms = 10000;
  r.rebalance_timeout_ms = 10000;
  auto& p = r.protocols.emplace_back();
  p.name = "range";
  return r;
}

TEST(ConsumerGroup, ClassicAndConsumerGroupsDoNotMix) {
  Harness h;
  h.join("a");
  // A classic JoinGroup to a live consumer group.
  h.c.join_group(1, classic_join("g"), 9, Client{"c", "/127.0.0.1"}, h.now);
  auto replies = h.c.take_replies();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(std::get<protocol::JoinGroupResponse>(replies[0].response).error_code,
            code(ErrorCode::inconsistent_group_protocol));
  protocol::HeartbeatRequest hb;
  hb.group_id = "g";
  hb.member_id = "a";
  EXPECT_EQ(h.c.heartbeat(hb, 4, h.now).error_code, code(ErrorCode::unknown_member_id));

  // A classic group with members turns consumer heartbeats away.
  h.c.join_group(2, classic_join("classic"), 3, Client{"c", "/127.0.0.1"}, h.now);
  h.c.take_replies();
  Heartbeat r;
  r.group_id = "classic";
  r.member_id = "m";
  r.member_epoch = 0;
  r.rebalance_timeout_ms = 1000;
  r.subscribed_topic_names = std::vector<std::string>{"t"};
  r.topic_partitions.emplace();
  auto refused = h.send(r);
  EXPECT_EQ(refused.error_code, code(ErrorCode::group_id_not_found));
  EXPECT_EQ(refused.error_message, "Group classic is not a consumer group.");

  // An empty classic group (offsets only) becomes a consumer group and keeps its offsets.
  auto commit = commit_request("", -1);
  commit.group_id = "offsets-only";
  EXPECT_EQ(commit_error(h, commit, 8), 0);
  r.group_id = "offsets-only";
  EXPECT_EQ(h.send(r).error_code, 0);
  EXPECT_EQ(h.describe("offsets-only").members.size(), 1u);
  std::vector<protocol::OffsetFetchRequest::OffsetFetchRequestTopics> topics(1);
  topics[0].name = "t";
  topics[0].partition_indexes = {0};
  EXPECT_EQ(h.c.offset_fetch("offsets-only", topics, false).topics.at(0).partitions.at(0).committed_offset, 42);

  // And back: once empty, a classic JoinGroup replaces the consumer group; the offsets stay.
  Heartbeat leave;
  leave.group_id = "offsets-only";
  leave.member_id = "m";
  leave.member_epoch = -1;
  EXPECT_EQ(h.send(leave).error_code, 0);
  h.c.join_group(3, classic_join("offsets-only"), 9, Client{"c", "/127.0.0.1"}, h.now);
  h.collect();
  replies = h.c.take_replies();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(std::get<protocol::JoinGroupResponse>(replies[0].response).error_code, code(ErrorCode::member_id_required));
  EXPECT_EQ(h.describe("offsets-only").error_code, code(ErrorCode::group_id_not_found));
  EXPECT_EQ(h.c.offset_fetch("offsets-only", topics, false).topics.at(0).partitions.at(0).committed_offset, 42);

  // Replaying all of it gives the same groups and offsets.
  GroupCoordinator fresh(h.config, 0, 9);
  for (const Record& rec : h.log) {
    ASSERT_TRUE(
        fresh.replay(BytesView(rec.key), rec.value ? std::optional<BytesView>(BytesView(*rec.value)) : std::nullopt)
            .ok());
  }
  fresh.finish_loading(h.now);
  EXPECT_EQ(fresh.offset_fetch("offsets-only", topics, false).topics.at(0).partitions.at(0).committed_offset, 42);
  EXPECT_EQ(fresh.consumer_group_describe("offsets-only", h.topics).error_code, code(ErrorCode::group_id_not_found));
  EXPECT_EQ(fresh.consumer_group_describe("g", h.topics).members.size(), 1u);
}

}  // namespace
}  // namespace gregor::group
