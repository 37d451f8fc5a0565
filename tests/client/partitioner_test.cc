// The built-in partitioner's logic on its own: Kafka's murmur2 vectors, toPositive, and the
// sticky partition of records without keys (KIP-794).
#include <gtest/gtest.h>

#include <set>

#include "client/builtin_partitioner.h"
#include "gregor/producer.h"

namespace gregor {
namespace {

TEST(ClientPartitioner, Murmur2MatchesKafkasVectors) {
  // Kafka's UtilsTest.testMurmur2.
  const std::vector<std::pair<std::string, int32_t>> cases = {
      {"21", -973932308},
      {"foobar", -790332482},
      {"a-little-bit-long-string", -985981536},
      {"a-little-bit-longer-string", -1486304829},
      {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
      {"abc", 479470107},
  };
  for (const auto& [key, expected] : cases) {
    Bytes b(key.begin(), key.end());
    EXPECT_EQ(murmur2(b.data(), b.size()), expected) << key;
  }
  EXPECT_EQ(murmur2(nullptr, 0), 275646681);
  // toPositive clears the sign bit: -790332482 & 0x7fffffff = 1357151166.
  EXPECT_EQ(partition_for_key(Bytes{'f', 'o', 'o', 'b', 'a', 'r'}, 10), 6);
  EXPECT_EQ(partition_for_key(Bytes{'f', 'o', 'o', 'b', 'a', 'r'}, 50), 16);
}

TEST(ClientPartitioner, NullKeysStickUntilBatchSizeBytes) {
  client::BuiltInPartitioner p(100, false, 7);
  auto all = [](int32_t) { return true; };
  const int32_t first = p.partition("t", nullptr, 4, all);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(p.partition("t", nullptr, 4, all), first);
    p.appended("t", first, 30);  // 30, 60, 90 bytes: still under batch.size
  }
  EXPECT_EQ(p.partition("t", nullptr, 4, all), first);
  p.appended("t", first, 30);  // 120: the next record moves on
  const int32_t second = p.partition("t", nullptr, 4, all);
  EXPECT_NE(second, first);
  // Bytes appended to another partition (an explicit one) do not count.
  p.appended("t", (second + 1) % 4, 1000);
  EXPECT_EQ(p.partition("t", nullptr, 4, all), second);
  // Topics stick separately.
  const int32_t other = p.partition("u", nullptr, 4, all);
  p.appended("u", other, 1000);
  EXPECT_EQ(p.partition("t", nullptr, 4, all), second);
}

TEST(ClientPartitioner, StickyChoicePrefersPartitionsWithALeader) {
  client::BuiltInPartitioner p(10, false, 1);
  auto only_two = [](int32_t partition) { return partition == 2; };
  std::set<int32_t> chosen;
  for (int i = 0; i < 20; ++i) {
    int32_t c = p.partition("t", nullptr, 5, only_two);
    chosen.insert(c);
    p.appended("t", c, 10);
  }
  // Partition 2 is the only one with a leader; switching away from it falls back to the others.
  EXPECT_TRUE(chosen.count(2));
  auto none = [](int32_t) { return false; };
  client::BuiltInPartitioner q(10, false, 1);
  const int32_t c = q.partition("t", nullptr, 3, none);
  EXPECT_GE(c, 0);
  EXPECT_LT(c, 3);
}

TEST(ClientPartitioner, KeysHashUnlessIgnored) {
  Bytes key{'f', 'o', 'o', 'b', 'a', 'r'};
  auto all = [](int32_t) { return true; };
  client::BuiltInPartitioner keyed(100, false);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(keyed.partition("t", &key, 10, all), 6);
  client::BuiltInPartitioner ignoring(1000000, true, 3);
  std::set<int32_t> seen;
  for (int i = 0; i < 20; ++i) {
    Bytes k{static_cast<uint8_t>(i)};
    seen.insert(ignoring.partition("t", &k, 10, all));
  }
  EXPECT_EQ(seen.size(), 1u);
}

}  // namespace
}  // namespace gregor
