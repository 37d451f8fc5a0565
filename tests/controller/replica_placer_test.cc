// Kafka's striped replica placement: distinct brokers per partition, racks spread, leaders
// spread, fenced brokers last and never leaders, and Kafka's errors.
#include "controller/replica_placer.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace gregor::controller {
namespace {

std::vector<std::vector<int32_t>> place(uint64_t seed, int32_t partitions, int32_t rf,
                                        const std::vector<UsableBroker>& brokers) {
  Random random(seed);
  auto placed = place_replicas(random, partitions, rf, brokers);
  EXPECT_TRUE(placed.ok()) << placed.status().to_string();
  return placed.ok() ? *placed : std::vector<std::vector<int32_t>>{};
}

std::string place_error(int32_t rf, const std::vector<UsableBroker>& brokers) {
  Random random(1);
  auto placed = place_replicas(random, 1, rf, brokers);
  EXPECT_FALSE(placed.ok());
  if (placed.ok()) return "";
  EXPECT_EQ(placed.status().code(), ErrorCode::invalid_replication_factor);
  return placed.status().message();
}

TEST(ReplicaPlacer, ThreeBrokersInThreeRacksSpreadReplicasAndLeaders) {
  const std::vector<UsableBroker> brokers = {{1, "a", false}, {2, "b", false}, {3, "c", false}};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto placed = place(seed, 6, 3, brokers);
    ASSERT_EQ(placed.size(), 6u);
    std::map<int32_t, int> leaders;
    for (const auto& replicas : placed) {
      EXPECT_EQ(std::set<int32_t>(replicas.begin(), replicas.end()).size(), 3u);
      ++leaders[replicas.front()];
    }
    // Each broker leads two of the six partitions.
    EXPECT_EQ(leaders, (std::map<int32_t, int>{{1, 2}, {2, 2}, {3, 2}})) << "seed " << seed;
  }
}

TEST(ReplicaPlacer, EveryPartitionSpansEveryRack) {
  std::vector<UsableBroker> brokers;
  for (int32_t id = 0; id < 6; ++id) brokers.push_back({id, std::string(1, static_cast<char>('a' + id % 3)), false});
  for (uint64_t seed = 0; seed < 20; ++seed) {
    for (const auto& replicas : place(seed, 12, 3, brokers)) {
      std::set<int32_t> racks;
      for (int32_t b : replicas) racks.insert(b % 3);
      EXPECT_EQ(racks.size(), 3u) << "seed " << seed;
    }
  }
}

TEST(ReplicaPlacer, StripesAcrossRacks) {
  // Racks a, b, c of three brokers each: consecutive partitions start one rack further on.
  std::vector<UsableBroker> brokers;
  for (int32_t id = 0; id < 9; ++id) brokers.push_back({id, std::string(1, static_cast<char>('a' + id / 3)), false});
  auto placed = place(7, 3, 3, brokers);
  std::set<int32_t> leader_racks;
  for (const auto& replicas : placed) {
    leader_racks.insert(replicas[0] / 3);
    EXPECT_EQ((replicas[1] / 3), (replicas[0] / 3 + 1) % 3);
    EXPECT_EQ((replicas[2] / 3), (replicas[0] / 3 + 2) % 3);
  }
  EXPECT_EQ(leader_racks.size(), 3u);
}

TEST(ReplicaPlacer, FencedBrokersAreNeverLeadersAndComeLast) {
  const std::vector<UsableBroker> brokers = {
      {1, std::nullopt, false}, {2, std::nullopt, true}, {3, std::nullopt, false}};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    for (const auto& replicas : place(seed, 10, 2, brokers)) {
      EXPECT_NE(replicas[0], 2);
      EXPECT_EQ(std::set<int32_t>(replicas.begin(), replicas.end()), (std::set<int32_t>{1, 3}));
    }
    for (const auto& replicas : place(seed, 10, 3, brokers)) EXPECT_NE(replicas[0], 2);
  }
}

TEST(ReplicaPlacer, SameSeedSamePlacement) {
  const std::vector<UsableBroker> brokers = {{1, "a", false}, {2, "a", false}, {3, "b", false}, {4, "b", false}};
  EXPECT_EQ(place(42, 20, 2, brokers), place(42, 20, 2, brokers));
}

TEST(ReplicaPlacer, OneBroker) {
  EXPECT_EQ(place(3, 3, 1, {{1, std::nullopt, false}}), (std::vector<std::vector<int32_t>>{{1}, {1}, {1}}));
}

TEST(ReplicaPlacer, KafkasErrors) {
  const std::vector<UsableBroker> one = {{1, std::nullopt, false}};
  EXPECT_EQ(place_error(0, one), "Invalid replication factor 0: the replication factor must be positive.");
  EXPECT_EQ(place_error(3, one),
            "The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.");
  EXPECT_EQ(place_error(1, {{1, std::nullopt, true}}), "All brokers are currently fenced.");
  EXPECT_EQ(place_error(1, {}), "All brokers are currently fenced.");
}

}  // namespace
}  // namespace gregor::controller
