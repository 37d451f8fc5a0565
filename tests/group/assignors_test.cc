// The server-side assignors: every partition assigned once, balance, and how much of the current
// assignment each keeps when members come and go.
#include "group/assignors.h"

#include <gtest/gtest.h>

namespace gregor::group {
namespace {

Uuid topic_id(uint8_t n) {
  Uuid id;
  id.bytes[15] = n;
  return id;
}

const Uuid kT1 = topic_id(1);
const Uuid kT2 = topic_id(2);

size_t size(const TopicPartitionSet& s) {
  size_t n = 0;
  for (const auto& [t, ps] : s) n += ps.size();
  return n;
}

// Every partition of every subscribed topic goes to exactly one member that subscribes to it.
void expect_complete(const AssignmentSpec& spec, const GroupAssignment& a) {
  std::map<std::pair<uint8_t, int32_t>, int> seen;
  for (const auto& [member, set] : a) {
    for (const auto& [t, ps] : set) {
      EXPECT_TRUE(spec.members.at(member).topics.count(t)) << member;
      for (int32_t p : ps) ++seen[{t.bytes[15], p}];
    }
  }
  std::set<Uuid, UuidLess> subscribed;
  for (const auto& [id, m] : spec.members) subscribed.insert(m.topics.begin(), m.topics.end());
  size_t expected = 0;
  for (const Uuid& t : subscribed) expected += static_cast<size_t>(spec.partitions.at(t));
  EXPECT_EQ(seen.size(), expected);
  for (const auto& [tp, n] : seen) EXPECT_EQ(n, 1) << int(tp.first) << "-" << tp.second;
}

AssignmentSpec spec_of(std::vector<std::string> members, std::set<Uuid, UuidLess> topics) {
  AssignmentSpec spec;
  spec.partitions[kT1] = 7;
  spec.partitions[kT2] = 3;
  for (const auto& m : members) spec.members[m].topics = topics;
  return spec;
}

TEST(UniformAssignor, SpreadsEvenly) {
  AssignmentSpec spec = spec_of({"a", "b", "c"}, {kT1, kT2});
  GroupAssignment a = assign_uniform(spec);
  expect_complete(spec, a);
  std::vector<size_t> sizes;
  for (const auto& [m, set] : a) sizes.push_back(size(set));
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 4}));  // 10 partitions over 3
}

TEST(UniformAssignor, KeepsWhatBalanceAllows) {
  AssignmentSpec spec = spec_of({"a", "b"}, {kT1, kT2});
  GroupAssignment before = assign_uniform(spec);
  // A third member arrives: the first two give up only what it needs.
  spec.members["c"].topics = {kT1, kT2};
  for (const auto& [m, set] : before) spec.members[m].current = set;
  GroupAssignment after = assign_uniform(spec);
  expect_complete(spec, after);
  size_t moved = 0;
  for (const std::string m : {"a", "b"}) {
    for (const auto& [t, ps] : before[m]) {
      for (int32_t p : ps) moved += after[m].count(t) && after[m][t].count(p) ? 0 : 1;
    }
  }
  EXPECT_EQ(moved, size(after["c"]));
  EXPECT_EQ(size(after["c"]), 3u);
  // The same members again: nothing moves.
  for (const auto& [m, set] : after) spec.members[m].current = set;
  EXPECT_EQ(assign_uniform(spec), after);
}

TEST(UniformAssignor, DifferentSubscriptionsBalanceWhereTheyCan) {
  AssignmentSpec spec;
  spec.partitions[kT1] = 6;
  spec.partitions[kT2] = 2;
  spec.members["a"].topics = {kT1};
  spec.members["b"].topics = {kT1, kT2};
  spec.members["c"].topics = {kT2};
  GroupAssignment a = assign_uniform(spec);
  expect_complete(spec, a);
  // 8 partitions: c can only take t2's two; a and b share t1 evenly.
  EXPECT_EQ(size(a["c"]), 2u);
  EXPECT_EQ(size(a["a"]), 3u);
  EXPECT_EQ(size(a["b"]), 3u);
}

TEST(UniformAssignor, DropsPartitionsOfTopicsNoLongerThere) {
  AssignmentSpec spec = spec_of({"a"}, {kT1});
  spec.members["a"].current[kT2] = {0, 1};
  spec.members["a"].current[kT1] = {0, 9};  // 9 is beyond the topic's size
  GroupAssignment a = assign_uniform(spec);
  expect_complete(spec, a);
  EXPECT_FALSE(a["a"].count(kT2));
}

TEST(RangeAssignor, ContiguousRangesPerTopic) {
  AssignmentSpec spec = spec_of({"a", "b", "c"}, {kT1, kT2});
  GroupAssignment a = assign_range(spec);
  expect_complete(spec, a);
  // 7 partitions over 3 members: 3, 2, 2 in member order; 3 partitions: one each.
  EXPECT_EQ(a["a"][kT1], (std::set<int32_t>{0, 1, 2}));
  EXPECT_EQ(a["b"][kT1], (std::set<int32_t>{3, 4}));
  EXPECT_EQ(a["c"][kT1], (std::set<int32_t>{5, 6}));
  EXPECT_EQ(a["a"][kT2], (std::set<int32_t>{0}));
  EXPECT_EQ(a["b"][kT2], (std::set<int32_t>{1}));
  EXPECT_EQ(a["c"][kT2], (std::set<int32_t>{2}));
}

TEST(RangeAssignor, StickyWithinQuota) {
  AssignmentSpec spec = spec_of({"a", "b"}, {kT1});
  spec.members["a"].current[kT1] = {4, 5, 6};
  GroupAssignment a = assign_range(spec);
  expect_complete(spec, a);
  // a keeps its three and, first in line, takes the extra partition; b gets the rest.
  EXPECT_EQ(a["a"][kT1], (std::set<int32_t>{0, 4, 5, 6}));
  EXPECT_EQ(a["b"][kT1], (std::set<int32_t>{1, 2, 3}));
}

TEST(Assignors, ByName) {
  EXPECT_TRUE(known_assignor("uniform"));
  EXPECT_TRUE(known_assignor("range"));
  EXPECT_FALSE(known_assignor("sticky"));
  AssignmentSpec spec = spec_of({"a", "b", "c"}, {kT1});
  EXPECT_EQ(assign("range", spec), assign_range(spec));
  EXPECT_EQ(assign("uniform", spec), assign_uniform(spec));
}

}  // namespace
}  // namespace gregor::group
