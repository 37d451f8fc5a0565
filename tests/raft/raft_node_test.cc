// Scripted scenarios for the Raft core: a tiny lossless cluster whose links the test cuts and
// restores, every message delivered in order, the disk persisting at once.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "raft/raft_node.h"

namespace gregor::raft {
namespace {

Config config_for(int32_t id, std::vector<int32_t> voters) {
  Config c;
  c.node_id = id;
  c.voters = std::move(voters);
  c.seed = 42;
  return c;
}

class Cluster {
 public:
  explicit Cluster(std::vector<int32_t> voters, std::vector<int32_t> observers = {}) : voters_(voters) {
    for (int32_t id : voters) add(id, {});
    for (int32_t id : observers) add(id, {});
  }

  void add(int32_t id, RaftNode::Restored restored) {
    nodes_[id] = std::make_unique<RaftNode>(config_for(id, voters_), std::move(restored));
  }
  RaftNode& operator[](int32_t id) { return *nodes_.at(id); }

  void cut(int32_t id) { cut_.insert(id); }
  void restore(int32_t id) { cut_.erase(id); }

  // Drains every node's Ready: quorum states kept, log made durable at once, messages delivered.
  void settle() {
    for (int round = 0; round < 1000; ++round) {
      bool any = false;
      for (auto& [id, node] : nodes_) {
        if (!node->has_ready()) continue;
        any = true;
        Ready r = node->take_ready();
        if (r.quorum_state) states[id] = *r.quorum_state;
        for (const LogOp& op : r.log_ops) ops[id].push_back(op);
        if (!r.log_ops.empty()) node->persisted(node->log().end_offset());
        for (const Message& m : r.messages) {
          sent.push_back(m);
          if (cut_.count(m.from) || cut_.count(m.to) || !nodes_.count(m.to)) continue;
          nodes_.at(m.to)->step(m);
        }
      }
      if (!any) return;
    }
  }

  // Advances time in 10 ms ticks until pred holds, at most max_ms.
  template <typename Pred>
  bool run_until(Pred pred, int64_t max_ms = 20000) {
    for (int64_t t = 0; t <= max_ms; t += 10) {
      settle();
      if (pred()) return true;
      for (auto& [id, node] : nodes_)
        if (!cut_.count(id)) node->tick(10);
    }
    settle();
    return pred();
  }

  int32_t leader() {
    for (auto& [id, node] : nodes_)
      if (node->role() == Role::leader && !cut_.count(id)) return id;
    return kNoId;
  }

  std::map<int32_t, QuorumStateRecord> states;
  std::map<int32_t, std::vector<LogOp>> ops;
  std::vector<Message> sent;

 private:
  std::vector<int32_t> voters_;
  std::map<int32_t, std::unique_ptr<RaftNode>> nodes_;
  std::set<int32_t> cut_;
};

TEST(RaftNode, ElectsOneLeaderWhoOpensItsEpochWithLeaderChange) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.run_until([&] { return c.leader() != kNoId; }));
  const int32_t leader = c.leader();
  const int32_t epoch = c[leader].epoch();
  EXPECT_EQ(epoch, 1);
  for (int32_t id : {1, 2, 3}) {
    if (id == leader) continue;
    EXPECT_EQ(c[id].role(), Role::follower);
    EXPECT_EQ(c[id].leader_id(), leader);
  }
  // The leader's vote for itself and its leadership are in its quorum state.
  EXPECT_EQ(c.states[leader], (QuorumStateRecord{epoch, leader, leader}));
  const Batch& first = c[leader].log().batches().front();
  EXPECT_TRUE(first.control);
  EXPECT_EQ(first.epoch, epoch);
  // The LeaderChange record commits on a majority.
  ASSERT_TRUE(c.run_until([&] { return c[leader].high_watermark() == 1; }));
}

TEST(RaftNode, ProposalsCommitAndReachEveryFollowerAndObserver) {
  Cluster c({1, 2, 3}, {9});
  ASSERT_TRUE(c.run_until([&] { return c.leader() != kNoId; }));
  const int32_t leader = c.leader();
  auto offset = c[leader].propose({"a", "b"});
  ASSERT_TRUE(offset.has_value());
  EXPECT_EQ(*offset, 1);
  EXPECT_FALSE(c[leader == 1 ? 2 : 1].propose({"x"}).has_value());  // only the leader appends
  ASSERT_TRUE(c.run_until([&] {
    for (int32_t id : {1, 2, 3, 9})
      if (c[id].high_watermark() < 3) return false;
    return true;
  }));
  EXPECT_EQ(c[9].role(), Role::follower);
  EXPECT_EQ(c[9].log().batches().back().records, (std::vector<std::string>{"a", "b"}));
  QuorumDescription d = c[leader].describe_quorum();
  EXPECT_EQ(d.error, ErrorCode::none);
  EXPECT_EQ(d.high_watermark, 3);
  ASSERT_EQ(d.voters.size(), 3u);
  ASSERT_EQ(d.observers.size(), 1u);
  EXPECT_EQ(d.observers[0].replica_id, 9);
  EXPECT_EQ(c[9].describe_quorum().error, ErrorCode::not_leader_or_follower);
}

TEST(RaftNode, PreVoteKeepsAnIsolatedVoterFromDisruptingTheLeader) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.run_until([&] { return c.leader() != kNoId; }));
  const int32_t leader = c.leader();
  const int32_t epoch = c[leader].epoch();
  const int32_t loner = leader == 3 ? 2 : 3;
  c.cut(loner);
  // Cut off, it keeps trying pre-votes, which never raise its epoch...
  for (int i = 0; i < 1000; ++i) c[loner].tick(10);
  c.settle();
  EXPECT_EQ(c[loner].epoch(), epoch);
  EXPECT_TRUE(c[loner].role() == Role::prospective || c[loner].role() == Role::unattached ||
              c[loner].role() == Role::follower);
  // ...so when it comes back the others, who hear from their leader, refuse it and the leader
  // stays.
  c.restore(loner);
  ASSERT_TRUE(c.run_until([&] { return c[loner].role() == Role::follower && c[loner].leader_id() == leader; }));
  EXPECT_EQ(c[leader].role(), Role::leader);
  EXPECT_EQ(c[leader].epoch(), epoch);
}

TEST(RaftNode, LeaderCutOffFromTheMajorityResignsAfterCheckQuorum) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.run_until([&] { return c.leader() != kNoId; }));
  const int32_t old_leader = c.leader();
  const int32_t epoch = c[old_leader].epoch();
  c.cut(old_leader);
  // The others elect a new leader in a later epoch...
  ASSERT_TRUE(c.run_until([&] { return c.leader() != kNoId && c.leader() != old_leader; }));
  EXPECT_GT(c[c.leader()].epoch(), epoch);
  // ...and the old one, hearing no fetches for 1.5 fetch timeouts (3000 ms from the last time a
  // majority had fetched, at most a fetch's 500 ms wait before the cut), resigns on its own.
  for (int i = 0; i < 200; ++i) c[old_leader].tick(10);
  EXPECT_EQ(c[old_leader].role(), Role::leader);
  for (int i = 0; i < 100; ++i) c[old_leader].tick(10);
  EXPECT_EQ(c[old_leader].role(), Role::resigned);
  // It tells the voters it is leaving (EndQuorumEpoch).
  c.settle();
  EXPECT_TRUE(std::holds_alternative<EndQuorumEpochRequest>(c.sent.back().body));
}

RaftNode::Restored with_log(QuorumStateRecord state, std::vector<Batch> batches) {
  RaftNode::Restored r;
  r.quorum_state = state;
  for (Batch& b : batches) r.log.append(std::move(b));
  return r;
}

TEST(RaftNode, FollowerTruncatesWhereItsLogDivergesFromTheLeaders) {
  Cluster c({1, 2, 3});
  // Node 3 led epoch 2 and wrote [3, 6) nobody else got; 1 and 2 moved on to epoch 3.
  const Batch e1{0, 1, false, {"a", "b", "c"}};
  c.add(1, with_log({3, kNoId, kNoId}, {e1, {3, 3, true, {"LC"}}, {4, 3, false, {"d"}}}));
  c.add(2, with_log({3, kNoId, kNoId}, {e1, {3, 3, true, {"LC"}}}));
  c.add(3, with_log({2, 3, 3}, {e1, {3, 2, false, {"x", "y", "z"}}}));
  // Node 3 restarts Resigned in epoch 2 and cannot win: its log is behind in epochs.
  EXPECT_EQ(c[3].role(), Role::resigned);
  ASSERT_TRUE(c.run_until([&] { return c.leader() != kNoId && c[3].role() == Role::follower; }));
  ASSERT_TRUE(c.run_until([&] { return c[3].log().end_offset() == c[c.leader()].log().end_offset(); }));
  bool truncated = false;
  for (const LogOp& op : c.ops[3])
    if (const auto* t = std::get_if<TruncateTo>(&op)) truncated = t->offset == 3;
  EXPECT_TRUE(truncated);
  EXPECT_EQ(c[3].log().batch_at(3)->epoch, 3);
}

TEST(RaftNode, FollowerBehindTheLogStartFetchesTheSnapshot) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.run_until([&] { return c.leader() != kNoId; }));
  const int32_t leader = c.leader();
  const int32_t lagging = leader == 3 ? 2 : 3;
  c.cut(lagging);
  for (int i = 0; i < 5; ++i) c[leader].propose({"r" + std::to_string(i)});
  ASSERT_TRUE(c.run_until([&] { return c[leader].high_watermark() == 6; }));
  const SnapshotId id{6, c[leader].epoch()};
  c[leader].snapshot_created(Snapshot{id, std::string(100, 's')});
  EXPECT_EQ(c[leader].log().start_offset(), 6);
  c.restore(lagging);
  ASSERT_TRUE(c.run_until([&] { return c[lagging].log().start_offset() == 6; }));
  const InstallSnapshot* installed = nullptr;
  for (const LogOp& op : c.ops[lagging])
    if (const auto* s = std::get_if<InstallSnapshot>(&op)) installed = s;
  ASSERT_NE(installed, nullptr);
  EXPECT_EQ(installed->snapshot.id, id);
  EXPECT_EQ(installed->snapshot.data, std::string(100, 's'));
  EXPECT_GE(c[lagging].high_watermark(), 6);
}

TEST(RaftNode, RequestsFromTheWrongEpochOrNodeGetKafkasErrors) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.run_until([&] { return c.leader() != kNoId; }));
  const int32_t leader = c.leader();
  const int32_t epoch = c[leader].epoch();
  auto answer = [&](int32_t from, MessageBody body) -> MessageBody {
    c.settle();
    c[leader].step(Message{from, leader, 777, std::move(body)});
    Ready r = c[leader].take_ready();
    for (const Message& m : r.messages)
      if (m.correlation_id == 777) return m.body;
    ADD_FAILURE() << "no answer";
    return {};
  };
  auto fetch = std::get<FetchResponse>(answer(9, FetchRequest{9, epoch + 1, 0, 0, 0}));
  EXPECT_EQ(fetch.error, ErrorCode::unknown_leader_epoch);
  fetch = std::get<FetchResponse>(answer(9, FetchRequest{9, epoch - 1, 0, 0, 0}));
  EXPECT_EQ(fetch.error, ErrorCode::fenced_leader_epoch);
  EXPECT_EQ(fetch.leader_id, leader);
  fetch = std::get<FetchResponse>(answer(9, FetchRequest{9, epoch, 0, epoch + 1, 0}));
  EXPECT_EQ(fetch.error, ErrorCode::invalid_request);
  auto vote = std::get<VoteResponse>(answer(9, VoteRequest{epoch + 1, 9, epoch, 10, false}));
  EXPECT_EQ(vote.error, ErrorCode::inconsistent_voter_set);
  const int32_t other = leader == 1 ? 2 : 1;
  vote = std::get<VoteResponse>(answer(other, VoteRequest{epoch - 1, other, 0, 0, false}));
  EXPECT_EQ(vote.error, ErrorCode::fenced_leader_epoch);
  vote = std::get<VoteResponse>(answer(other, VoteRequest{epoch, other, epoch, 100, true}));
  EXPECT_EQ(vote.error, ErrorCode::none);
  EXPECT_FALSE(vote.vote_granted);  // a leader grants no pre-vote
  auto snap = std::get<FetchSnapshotResponse>(answer(other, FetchSnapshotRequest{other, epoch, {5, 1}, 0, 10}));
  EXPECT_EQ(snap.error, ErrorCode::snapshot_not_found);
}

TEST(RaftNode, RestartsInTheStateItsQuorumStateFileNames) {
  Cluster c({1, 2, 3});
  c.add(1, with_log({4, 1, 1}, {}));
  EXPECT_EQ(c[1].role(), Role::resigned);  // it led epoch 4: it may not lead it again
  c.add(2, with_log({4, kNoId, 2}, {}));
  EXPECT_EQ(c[2].role(), Role::candidate);
  c.add(3, with_log({4, 1, kNoId}, {}));
  EXPECT_EQ(c[3].role(), Role::follower);
  EXPECT_EQ(c[3].leader_id(), 1);
  c.add(3, with_log({1, kNoId, kNoId}, {{0, 3, false, {"a"}}}));
  EXPECT_EQ(c[3].epoch(), 3);  // never behind the epochs its log holds
}

}  // namespace
}  // namespace gregor::raft
