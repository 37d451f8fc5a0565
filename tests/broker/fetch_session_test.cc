// The fetch session state machine (KIP-227) driven step by step: requests and times in, the
// partitions to read and what the response lists out.
#include "broker/fetch_session.h"

#include <gtest/gtest.h>

namespace gregor::broker {
namespace {

FetchPartitionRequest part(const std::string& topic, int32_t partition, int64_t offset = 0) {
  FetchPartitionRequest p;
  p.topic = topic;
  p.partition = partition;
  p.fetch_offset = offset;
  p.max_bytes = 1 << 20;
  return p;
}

FetchPartitionOutcome outcome(int64_t high_watermark, size_t records = 0, ErrorCode error = ErrorCode::none) {
  FetchPartitionOutcome o;
  o.high_watermark = high_watermark;
  o.log_start_offset = 0;
  o.records_size = records;
  o.error = error;
  return o;
}

std::vector<std::string> names_of(const FetchContext& c) {
  std::vector<std::string> out;
  for (const auto& p : c.partitions) out.push_back(p.topic + "-" + std::to_string(p.partition));
  return out;
}

class FetchSessionTest : public ::testing::Test {
 protected:
  // A full fetch of partitions at time now that creates a session; returns its id.
  int32_t create(std::vector<FetchPartitionRequest> partitions, int64_t now, bool follower = false,
                 int16_t version = 12) {
    const size_t n = partitions.size();
    FetchContext c = cache.new_context(version, 0, 0, follower, std::move(partitions), {}, nullptr, now);
    EXPECT_EQ(c.kind, FetchContext::Kind::full);
    std::vector<FetchPartitionOutcome> outcomes(n, outcome(10));
    return cache.respond(c, outcomes, now).session_id;
  }
  // An incremental fetch with nothing changed in the request; the response's partitions by name.
  std::vector<std::string> incremental(int32_t id, int32_t epoch, const std::vector<FetchPartitionOutcome>& outcomes,
                                       int64_t now, std::vector<FetchPartitionRequest> changed = {},
                                       std::vector<ForgottenPartition> forgotten = {}) {
    FetchContext c = cache.new_context(12, id, epoch, false, std::move(changed), forgotten, nullptr, now);
    EXPECT_EQ(c.kind, FetchContext::Kind::incremental) << static_cast<int>(c.error);
    FetchSessionResponse r = cache.respond(c, outcomes, now);
    EXPECT_EQ(r.error, ErrorCode::none);
    EXPECT_EQ(r.session_id, id);
    std::vector<std::string> out;
    for (size_t i : r.include) out.push_back(names_of(c)[i]);
    return out;
  }

  FetchSessionCache cache{0, 1, 10, 42};
};

TEST(FetchSessionEpochTest, CountsUpWrapsToOneAndStaysFinal) {
  EXPECT_EQ(next_session_epoch(0), 1);
  EXPECT_EQ(next_session_epoch(41), 42);
  EXPECT_EQ(next_session_epoch(INT32_MAX), 1);
  EXPECT_EQ(next_session_epoch(-1), -1);
}

TEST(FetchSessionShardsTest, IdsNameTheShardThatMadeThemAndSlotsAreShared) {
  for (unsigned shard = 0; shard < 3; ++shard) {
    FetchSessionCache cache(shard, 3, 100, shard);
    for (int i = 0; i < 20; ++i) {
      FetchContext c = cache.new_context(12, 0, 0, false, {part("t", i)}, {}, nullptr, 0);
      int32_t id = cache.respond(c, std::vector<FetchPartitionOutcome>{outcome(0)}, 0).session_id;
      ASSERT_GT(id, 0);
      EXPECT_EQ(FetchSessionCache::shard_of_session(id, 3), shard);
    }
  }
  EXPECT_EQ(FetchSessionCache::shard_of_session(0, 3), std::nullopt);
  EXPECT_EQ(FetchSessionCache::shard_of_session(-5, 3), std::nullopt);
  EXPECT_EQ(FetchSessionCache::shard_of_session(INT32_MAX, 3), std::nullopt);  // past the last range
  EXPECT_EQ(FetchSessionCache::slots_of_shard(1000, 0, 3), 334u);
  EXPECT_EQ(FetchSessionCache::slots_of_shard(1000, 2, 3), 333u);
  EXPECT_EQ(FetchSessionCache::slots_of_shard(1, 1, 2), 0u);
}

TEST_F(FetchSessionTest, AFullFetchCreatesASessionAndListsEveryPartition) {
  FetchContext c = cache.new_context(12, 0, 0, false, {part("a", 0), part("a", 1), part("b", 0)}, {}, nullptr, 0);
  ASSERT_EQ(c.kind, FetchContext::Kind::full);
  EXPECT_EQ(names_of(c), (std::vector<std::string>{"a-0", "a-1", "b-0"}));
  FetchSessionResponse r = cache.respond(c, std::vector<FetchPartitionOutcome>(3, outcome(5)), 0);
  EXPECT_EQ(r.error, ErrorCode::none);
  EXPECT_NE(r.session_id, 0);
  EXPECT_EQ(r.include, (std::vector<size_t>{0, 1, 2}));
  auto session = cache.get(r.session_id);
  ASSERT_TRUE(session);
  EXPECT_EQ(session->epoch(), 1);
  EXPECT_EQ(session->size(), 3u);
  EXPECT_EQ(cache.total_partitions(), 3u);
}

TEST_F(FetchSessionTest, SessionlessFetchesKeepNoSession) {
  FetchContext c = cache.new_context(12, 0, -1, false, {part("a", 0), part("a", 0, 7)}, {}, nullptr, 0);
  ASSERT_EQ(c.kind, FetchContext::Kind::sessionless);
  // Named twice, fetched once, with the later parameters.
  ASSERT_EQ(c.partitions.size(), 1u);
  EXPECT_EQ(c.partitions[0].fetch_offset, 7);
  FetchSessionResponse r = cache.respond(c, std::vector<FetchPartitionOutcome>{outcome(5)}, 0);
  EXPECT_EQ(r.session_id, 0);
  EXPECT_EQ(r.include, std::vector<size_t>{0});
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(FetchSessionTest, IncrementalFetchesListOnlyWhatChanged) {
  int32_t id = create({part("a", 0), part("a", 1), part("b", 0)}, 0);
  // Nothing new: nothing listed.
  EXPECT_TRUE(incremental(id, 1, {outcome(10), outcome(10), outcome(10)}, 1).empty());
  // A new high watermark, then data: those partitions only.
  EXPECT_EQ(incremental(id, 2, {outcome(10), outcome(11), outcome(10)}, 2), std::vector<std::string>{"a-1"});
  EXPECT_EQ(incremental(id, 3, {outcome(10), outcome(11), outcome(11, 100)}, 3), std::vector<std::string>{"b-0"});
  // b-0 returned data, so it is read last now.
  FetchContext c = cache.new_context(12, id, 4, false, {}, {}, nullptr, 4);
  EXPECT_EQ(names_of(c), (std::vector<std::string>{"a-0", "a-1", "b-0"}));
  EXPECT_EQ(cache.respond(c, std::vector<FetchPartitionOutcome>{outcome(10, 50), outcome(11), outcome(11)}, 4).include,
            std::vector<size_t>{0});
  c = cache.new_context(12, id, 5, false, {}, {}, nullptr, 5);
  EXPECT_EQ(names_of(c), (std::vector<std::string>{"a-1", "b-0", "a-0"}));
}

TEST_F(FetchSessionTest, AnErrorIsAlwaysListedAndThePartitionComesBackAfterIt) {
  int32_t id = create({part("a", 0), part("a", 1)}, 0);
  auto failed = outcome(-1, 0, ErrorCode::not_leader_or_follower);
  EXPECT_EQ(incremental(id, 1, {failed, outcome(10)}, 1), std::vector<std::string>{"a-0"});
  EXPECT_EQ(incremental(id, 2, {failed, outcome(10)}, 2), std::vector<std::string>{"a-0"});
  // Recovered with the same high watermark as before the error: listed once more.
  EXPECT_EQ(incremental(id, 3, {outcome(10), outcome(10)}, 3), std::vector<std::string>{"a-0"});
  EXPECT_TRUE(incremental(id, 4, {outcome(10), outcome(10)}, 4).empty());
}

TEST_F(FetchSessionTest, RequestsAddAndUpdatePartitionsAndForgottenOnesLeave) {
  int32_t id = create({part("a", 0), part("a", 1)}, 0);
  FetchContext c = cache.new_context(12, id, 1, false, {part("a", 1, 40), part("c", 0)}, {{Uuid(), "a", 0}}, nullptr, 1);
  ASSERT_EQ(c.kind, FetchContext::Kind::incremental);
  EXPECT_EQ(names_of(c), (std::vector<std::string>{"a-1", "c-0"}));
  EXPECT_EQ(c.partitions[0].fetch_offset, 40);
  // The new partition is listed (its high watermark was unknown), the updated one is not.
  auto r = cache.respond(c, std::vector<FetchPartitionOutcome>{outcome(10), outcome(3)}, 1);
  EXPECT_EQ(r.include, std::vector<size_t>{1});
  EXPECT_EQ(cache.get(id)->size(), 2u);
  EXPECT_EQ(cache.total_partitions(), 2u);
}

TEST_F(FetchSessionTest, ForgettingEveryPartitionEndsTheSession) {
  int32_t id = create({part("a", 0)}, 0);
  FetchContext c = cache.new_context(12, id, 1, false, {}, {{Uuid(), "a", 0}}, nullptr, 1);
  EXPECT_EQ(c.kind, FetchContext::Kind::sessionless);
  EXPECT_TRUE(c.partitions.empty());
  EXPECT_FALSE(cache.get(id));
  EXPECT_EQ(cache.respond(c, {}, 1).session_id, 0);
}

TEST_F(FetchSessionTest, SessionErrorsAsKafkaReturnsThem) {
  int32_t id = create({part("a", 0)}, 0);
  FetchContext unknown = cache.new_context(12, id + 1, 1, false, {part("a", 0)}, {}, nullptr, 1);
  EXPECT_EQ(unknown.kind, FetchContext::Kind::session_error);
  EXPECT_EQ(unknown.error, ErrorCode::fetch_session_id_not_found);
  EXPECT_TRUE(unknown.partitions.empty());
  FetchSessionResponse r = cache.respond(unknown, {}, 1);
  EXPECT_EQ(r.error, ErrorCode::fetch_session_id_not_found);
  EXPECT_EQ(r.session_id, 0);
  EXPECT_TRUE(r.include.empty());

  FetchContext stale = cache.new_context(12, id, 2, false, {}, {}, nullptr, 1);
  EXPECT_EQ(stale.error, ErrorCode::invalid_fetch_session_epoch);
  // A session made without topic ids is not continued with them, nor the other way round.
  FetchContext by_id = cache.new_context(13, id, 1, false, {}, {}, nullptr, 1);
  EXPECT_EQ(by_id.error, ErrorCode::fetch_session_topic_id_error);
  // The errors left the session as it was: epoch 1 still works.
  EXPECT_TRUE(incremental(id, 1, {outcome(10)}, 2).empty());
}

TEST_F(FetchSessionTest, AResponseRacedByTheNextRequestIsADuplicate) {
  int32_t id = create({part("a", 0)}, 0);
  FetchContext first = cache.new_context(12, id, 1, false, {}, {}, nullptr, 1);
  FetchContext second = cache.new_context(12, id, 2, false, {}, {}, nullptr, 1);
  EXPECT_EQ(cache.respond(second, std::vector<FetchPartitionOutcome>{outcome(10)}, 1).error, ErrorCode::none);
  FetchSessionResponse late = cache.respond(first, std::vector<FetchPartitionOutcome>{outcome(10)}, 1);
  EXPECT_EQ(late.error, ErrorCode::invalid_fetch_session_epoch);
  EXPECT_EQ(late.session_id, id);
  EXPECT_TRUE(late.include.empty());
}

TEST_F(FetchSessionTest, FullFetchesNamingASessionCloseIt) {
  int32_t id = create({part("a", 0)}, 0);
  // Epoch -1: closed, and this fetch is sessionless.
  FetchContext closing = cache.new_context(12, id, -1, false, {part("a", 0)}, {}, nullptr, 1);
  EXPECT_EQ(closing.kind, FetchContext::Kind::sessionless);
  EXPECT_FALSE(cache.get(id));
  EXPECT_EQ(cache.size(), 0u);
  // Epoch 0: closed, and a new session made.
  int32_t again = create({part("a", 0)}, 2);
  FetchContext renew = cache.new_context(12, again, 0, false, {part("b", 0)}, {}, nullptr, 3);
  EXPECT_EQ(renew.kind, FetchContext::Kind::full);
  int32_t renewed = cache.respond(renew, std::vector<FetchPartitionOutcome>{outcome(1)}, 3).session_id;
  EXPECT_NE(renewed, 0);
  EXPECT_NE(renewed, again);
  EXPECT_FALSE(cache.get(again));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(FetchSessionCacheTest, AFullCacheEvictsByKafkasRules) {
  FetchSessionCache cache(0, 1, 2, 7);
  auto create = [&](int n, int64_t now, bool follower = false) {
    std::vector<FetchPartitionRequest> ps;
    for (int i = 0; i < n; ++i) ps.push_back(part("t", i));
    FetchContext c = cache.new_context(12, 0, 0, follower, ps, {}, nullptr, now);
    return cache.respond(c, std::vector<FetchPartitionOutcome>(ps.size(), outcome(0)), now).session_id;
  };
  auto use = [&](int32_t id, int64_t now) {
    FetchContext c = cache.new_context(12, id, cache.get(id)->epoch(), false, {}, {}, nullptr, now);
    cache.respond(c, std::vector<FetchPartitionOutcome>(c.partitions.size(), outcome(0)), now);
  };
  int32_t small = create(1, 0);
  int32_t big = create(5, 0);
  ASSERT_NE(small, 0);
  ASSERT_NE(big, 0);
  // Full of young consumer sessions: a consumer gets none, however large.
  EXPECT_EQ(create(9, 1000), 0);
  // A follower evicts a consumer's session: the one with the fewest partitions.
  int32_t follower = create(1, 2000, true);
  EXPECT_NE(follower, 0);
  EXPECT_FALSE(cache.get(small));
  EXPECT_EQ(cache.evictions(), 1u);
  // Once used after the eviction time since its creation, a consumer's session may be evicted
  // by a consumer's with more partitions; a follower's only by a follower's.
  use(big, 125'000);
  use(follower, 125'000);
  EXPECT_EQ(create(3, 130'000), 0);  // big is older but has more partitions
  int32_t bigger = create(6, 130'000);
  EXPECT_NE(bigger, 0);
  EXPECT_FALSE(cache.get(big));
  EXPECT_TRUE(cache.get(follower));
  // Unused for longer than the eviction time, any session makes room.
  int32_t late = create(1, 300'000);
  EXPECT_NE(late, 0);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.evictions(), 3u);
}

TEST(FetchSessionCacheTest, NoSlotsMeansNoSessions) {
  FetchSessionCache cache(0, 1, 0, 7);
  FetchContext c = cache.new_context(12, 0, 0, false, {part("a", 0)}, {}, nullptr, 0);
  FetchSessionResponse r = cache.respond(c, std::vector<FetchPartitionOutcome>{outcome(0)}, 0);
  EXPECT_EQ(r.session_id, 0);
  EXPECT_EQ(r.include, std::vector<size_t>{0});
}

TEST(FetchSessionTopicIdTest, PartitionsAreKnownByIdAndNamesResolveLater) {
  FetchSessionCache cache(0, 1, 10, 3);
  const Uuid known = Uuid::from_halves(1, 1);
  const Uuid later = Uuid::from_halves(2, 2);
  FetchPartitionRequest a = part("a", 0);
  a.topic_id = known;
  FetchPartitionRequest unknown = part("", 0);
  unknown.topic_id = later;
  FetchContext c = cache.new_context(13, 0, 0, false, {a, unknown}, {}, nullptr, 0);
  int32_t id = cache.respond(c, std::vector<FetchPartitionOutcome>{outcome(4), outcome(-1, 0, ErrorCode::unknown_topic_id)}, 0)
                   .session_id;
  ASSERT_NE(id, 0);
  // v12 may not continue it.
  EXPECT_EQ(cache.new_context(12, id, 1, false, {}, {}, nullptr, 1).error, ErrorCode::fetch_session_topic_id_error);
  auto names = [&](const Uuid& u) { return u == later ? std::string("created") : std::string(); };
  FetchContext next = cache.new_context(13, id, 1, false, {}, {}, names, 1);
  ASSERT_EQ(next.kind, FetchContext::Kind::incremental);
  EXPECT_EQ(names_of(next), (std::vector<std::string>{"a-0", "created-0"}));
  // Forgotten by id; the name does not matter.
  FetchContext forget = cache.new_context(13, id, 2, false, {}, {{known, "", 0}}, names, 2);
  EXPECT_EQ(names_of(forget), std::vector<std::string>{"created-0"});
}

}  // namespace
}  // namespace gregor::broker
