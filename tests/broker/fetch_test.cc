// Fetch over the wire against a broker with metadata and real topics: fetch sessions (KIP-227)
// from full to incremental fetches, their errors and their end, topics named by id (v13+), and
// ListOffsets v9-v10.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

#include "../storage/log_test_util.h"
#include "../storage/temp_dir.h"
#include "broker/broker.h"
#include "common/error_code.h"
#include "protocol/generated/message/create_topics_request.h"
#include "protocol/generated/message/create_topics_response.h"
#include "protocol/generated/message/fetch_request.h"
#include "protocol/generated/message/fetch_response.h"
#include "protocol/generated/message/list_offsets_request.h"
#include "protocol/generated/message/list_offsets_response.h"
#include "protocol/generated/message/produce_request.h"
#include "protocol/generated/message/produce_response.h"
#include "broker_fixture.h"
#include "raw_client.h"

namespace gregor::broker {
namespace {

constexpr int16_t kError = static_cast<int16_t>(ErrorCode::none);

struct Wanted {
  std::string topic;
  int32_t partition;
  int64_t offset = 0;
};

// What a fetch response lists: "topic-partition" -> (error, high watermark, record count).
struct Listed {
  int16_t error;
  int64_t high_watermark;
  size_t records;
  bool operator==(const Listed&) const = default;
};
using Listing = std::map<std::string, Listed>;

const std::vector<Wanted> kEvents = {{"events", 0}, {"events", 1}, {"events", 2}};

class FetchTest : public ::testing::Test {
 protected:
  void SetUp() override { start(2, 1000); }

  // A broker of its own (fresh directories) with these shards and session slots, and its topics.
  void start(unsigned shards, int32_t slots) {
    const std::string root = dir.path() + "/" + std::to_string(++starts);
    BrokerOptions o =
        testing::broker_options({root + "/data"}, root + "/meta", Uuid::from_halves(7, 7).to_string(), shards);
    o.max_incremental_fetch_session_cache_slots = slots;
    broker = std::make_unique<Broker>(o);
    ASSERT_TRUE(broker->start().ok());
    port = broker->bound_port("PLAINTEXT");

    Client c(port);
    protocol::CreateTopicsRequest create;
    for (auto [name, partitions] : {std::pair{"events", 3}, std::pair{"other", 1}}) {
      auto& t = create.topics.emplace_back();
      t.name = name;
      t.num_partitions = partitions;
      t.replication_factor = 1;
    }
    c.send(create, 7, 1);
    auto created = c.receive<protocol::CreateTopicsResponse>(7);
    ASSERT_TRUE(created);
    for (const auto& t : created->second.topics) {
      ASSERT_EQ(t.error_code, 0) << t.error_message.value_or("");
      ids[t.name] = t.topic_id;
    }
  }

  void produce(const std::string& topic, int32_t partition, int count = 3) {
    Client c(port);
    Bytes batch = storage::testing::make_batch(count, 1000);
    c.send(produce_request(topic, partition, batch), 9, 1);
    auto response = c.receive<protocol::ProduceResponse>(9);
    ASSERT_TRUE(response);
    ASSERT_EQ(response->second.responses.at(0).partition_responses.at(0).error_code, 0);
  }

  // A fetch that does not wait, in session (id, epoch), by name or (v13+) by topic id.
  protocol::FetchRequest fetch(int16_t version, int32_t session_id, int32_t epoch, const std::vector<Wanted>& wanted,
                               const std::vector<Wanted>& forgotten = {}) {
    protocol::FetchRequest r;
    r.max_wait_ms = 0;
    r.min_bytes = 0;
    r.session_id = session_id;
    r.session_epoch = epoch;
    for (const Wanted& w : wanted) {
      if (r.topics.empty() || r.topics.back().topic != w.topic) {
        auto& t = r.topics.emplace_back();
        t.topic = w.topic;
        if (version >= 13) t.topic_id = ids.count(w.topic) ? ids[w.topic] : Uuid::from_halves(99, 99);
      }
      auto& p = r.topics.back().partitions.emplace_back();
      p.partition = w.partition;
      p.fetch_offset = w.offset;
      p.partition_max_bytes = 1 << 20;
    }
    for (const Wanted& w : forgotten) {
      auto& t = r.forgotten_topics_data.emplace_back();
      t.topic = w.topic;
      if (version >= 13) t.topic_id = ids[w.topic];
      t.partitions.push_back(w.partition);
    }
    if (version < 13) {
      for (auto& t : r.topics) t.topic_id = Uuid();
      for (auto& t : r.forgotten_topics_data) t.topic_id = Uuid();
    } else {
      for (auto& t : r.topics) t.topic.clear();
      for (auto& t : r.forgotten_topics_data) t.topic.clear();
    }
    return r;
  }

  std::optional<protocol::FetchResponse> send(Client& c, int16_t version, const protocol::FetchRequest& r) {
    c.send(r, version, ++correlation);
    auto response = c.receive<protocol::FetchResponse>(version);
    if (!response) return std::nullopt;
    EXPECT_EQ(response->first, correlation);
    return std::move(response->second);
  }

  // A full fetch of every partition of events (v12) that opens a session; its id, 0 if none.
  int32_t open_session(Client& c) {
    auto full = send(c, 12, fetch(12, 0, 0, kEvents));
    EXPECT_TRUE(full);
    if (!full) return 0;
    EXPECT_EQ(full->error_code, kError);
    return full->session_id;
  }

  // The response's partitions; topics named by id are named back through ids.
  Listing listing(const protocol::FetchResponse& response) {
    Listing out;
    for (const auto& t : response.responses) {
      std::string name = t.topic;
      for (const auto& [n, id] : ids) {
        if (!t.topic_id.is_zero() && id == t.topic_id) name = n;
      }
      if (name.empty()) name = t.topic_id.to_string();
      for (const auto& p : t.partitions) {
        size_t records = p.records && p.records->size() > 0 ? storage::testing::records_of(*p.records).size() : 0;
        out[name + "-" + std::to_string(p.partition_index)] = Listed{p.error_code, p.high_watermark, records};
      }
    }
    return out;
  }

  storage::testing::TempDir dir;
  std::unique_ptr<Broker> broker;
  int port = 0;
  std::map<std::string, Uuid> ids;
  int32_t correlation = 0;
  int starts = 0;
};

TEST_F(FetchTest, AFullFetchOpensASessionAndIncrementalOnesListOnlyWhatChanged) {
  produce("events", 0);
  Client c(port);
  auto full = send(c, 12, fetch(12, 0, 0, kEvents));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->error_code, kError);
  const int32_t session = full->session_id;
  ASSERT_NE(session, 0);
  EXPECT_EQ(listing(*full), (Listing{{"events-0", {0, 3, 3}}, {"events-1", {0, 0, 0}}, {"events-2", {0, 0, 0}}}));

  // The client moves events-0 to offset 3: nothing new anywhere, so nothing listed.
  auto quiet = send(c, 12, fetch(12, session, 1, {{"events", 0, 3}}));
  ASSERT_TRUE(quiet);
  EXPECT_EQ(quiet->error_code, kError);
  EXPECT_EQ(quiet->session_id, session);
  EXPECT_TRUE(quiet->responses.empty());

  // New data in events-1 only: only events-1, read from the offset the session remembers.
  produce("events", 1);
  auto changed = send(c, 12, fetch(12, session, 2, {}));
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->session_id, session);
  EXPECT_EQ(listing(*changed), (Listing{{"events-1", {0, 3, 3}}}));

  // A partition added to the session is listed; the others stay quiet.
  auto added = send(c, 12, fetch(12, session, 3, {{"events", 1, 3}, {"other", 0}}));
  ASSERT_TRUE(added);
  EXPECT_EQ(listing(*added), (Listing{{"other-0", {0, 0, 0}}}));
}

TEST_F(FetchTest, AnIncrementalLongPollIsAnsweredWithThePartitionThatGotData) {
  Client c(port);
  const int32_t session = open_session(c);
  ASSERT_NE(session, 0);
  // Waits up to a minute for a byte: only the produce below can end it early.
  protocol::FetchRequest poll = fetch(12, session, 1, {});
  poll.max_wait_ms = 60'000;
  poll.min_bytes = 1;
  const auto start = std::chrono::steady_clock::now();
  c.send(poll, 12, ++correlation);
  std::thread producer([&] { produce("events", 2); });
  auto response = c.receive<protocol::FetchResponse>(12);
  producer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30)) << "woken by the append";
  ASSERT_TRUE(response);
  EXPECT_EQ(response->second.session_id, session);
  EXPECT_EQ(listing(response->second), (Listing{{"events-2", {0, 3, 3}}}));
}

TEST_F(FetchTest, ForgottenPartitionsLeaveTheSession) {
  Client c(port);
  const int32_t session = open_session(c);
  ASSERT_NE(session, 0);
  auto forgot = send(c, 12, fetch(12, session, 1, {}, {{"events", 0}}));
  ASSERT_TRUE(forgot);
  EXPECT_EQ(forgot->error_code, kError);
  produce("events", 0);
  produce("events", 2);
  auto next = send(c, 12, fetch(12, session, 2, {}));
  ASSERT_TRUE(next);
  EXPECT_EQ(listing(*next), (Listing{{"events-2", {0, 3, 3}}}));
}

TEST_F(FetchTest, SessionErrorsComeAtTheTopLevelWithNoPartitions) {
  Client c(port);
  const int32_t session = open_session(c);
  ASSERT_NE(session, 0);

  auto bad_epoch = send(c, 12, fetch(12, session, 5, kEvents));
  ASSERT_TRUE(bad_epoch);
  EXPECT_EQ(bad_epoch->error_code, static_cast<int16_t>(ErrorCode::invalid_fetch_session_epoch));
  EXPECT_EQ(bad_epoch->session_id, 0);
  EXPECT_TRUE(bad_epoch->responses.empty());

  auto unknown = send(c, 12, fetch(12, session ^ 1, 1, kEvents));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->error_code, static_cast<int16_t>(ErrorCode::fetch_session_id_not_found));
  EXPECT_TRUE(unknown->responses.empty());

  // Topic ids cannot continue a session made with names.
  auto by_id = send(c, 13, fetch(13, session, 1, {}));
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->error_code, static_cast<int16_t>(ErrorCode::fetch_session_topic_id_error));

  // None of these moved the session: epoch 1 still continues it.
  auto fine = send(c, 12, fetch(12, session, 1, {}));
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->error_code, kError);
  EXPECT_EQ(fine->session_id, session);
}

TEST_F(FetchTest, EpochMinusOneClosesTheSessionAndFetchesWithoutOne) {
  produce("other", 0);
  Client c(port);
  const int32_t session = open_session(c);
  ASSERT_NE(session, 0);
  auto closing = send(c, 12, fetch(12, session, -1, {{"other", 0}}));
  ASSERT_TRUE(closing);
  EXPECT_EQ(closing->error_code, kError);
  EXPECT_EQ(closing->session_id, 0);
  EXPECT_EQ(listing(*closing), (Listing{{"other-0", {0, 3, 3}}}));
  auto gone = send(c, 12, fetch(12, session, 1, {}));
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->error_code, static_cast<int16_t>(ErrorCode::fetch_session_id_not_found));
}

TEST_F(FetchTest, ASessionGoesOnOverNewConnectionsOnAnyShard) {
  Client first(port);
  const int32_t session = open_session(first);
  ASSERT_NE(session, 0);
  // The kernel spreads connections over both shards: some of these land on the other one. Each
  // fetch moves the partition read last to its new offset, as a client does.
  std::vector<Wanted> moved;
  for (int32_t epoch = 1; epoch <= 12; ++epoch) {
    const int32_t partition = epoch % 3;
    produce("events", partition, 1);
    Client c(port);
    auto next = send(c, 12, fetch(12, session, epoch, moved));
    ASSERT_TRUE(next);
    EXPECT_EQ(next->error_code, kError) << "epoch " << epoch;
    EXPECT_EQ(next->session_id, session);
    const int64_t end = (epoch + 2) / 3;  // records in the partition so far
    EXPECT_EQ(listing(*next), (Listing{{"events-" + std::to_string(partition), {0, end, 1}}})) << "epoch " << epoch;
    moved = {{"events", partition, end}};
  }
}

TEST_F(FetchTest, WithNoRoomForASessionTheFetchIsAnsweredWithout) {
  broker.reset();
  ids.clear();
  start(1, 1);  // one shard, one session slot
  Client a(port);
  auto first = send(a, 12, fetch(12, 0, 0, kEvents));
  ASSERT_TRUE(first);
  EXPECT_NE(first->session_id, 0);
  Client b(port);
  auto second = send(b, 12, fetch(12, 0, 0, {{"other", 0}}));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->error_code, kError);
  EXPECT_EQ(second->session_id, 0);
  EXPECT_EQ(listing(*second), (Listing{{"other-0", {0, 0, 0}}}));
  // The first session is still there.
  auto still = send(a, 12, fetch(12, first->session_id, 1, {}));
  ASSERT_TRUE(still);
  EXPECT_EQ(still->error_code, kError);
  EXPECT_EQ(still->session_id, first->session_id);
}

TEST_F(FetchTest, V13AndLaterNameTopicsById) {
  produce("events", 2);
  for (int16_t version : {13, 15, 16, 17}) {
    Client c(port);
    std::vector<Wanted> wanted = kEvents;
    wanted.push_back({"gone", 0});  // an id no topic has
    auto full = send(c, version, fetch(version, 0, 0, wanted));
    ASSERT_TRUE(full) << "v" << version;
    EXPECT_EQ(full->error_code, kError);
    ASSERT_NE(full->session_id, 0);
    for (const auto& t : full->responses) {
      EXPECT_TRUE(t.topic.empty());  // v13+ carry the id, not the name
      EXPECT_FALSE(t.topic_id.is_zero());
    }
    const std::string unknown = Uuid::from_halves(99, 99).to_string();
    EXPECT_EQ(listing(*full), (Listing{{"events-0", {0, 0, 0}},
                                       {"events-1", {0, 0, 0}},
                                       {"events-2", {0, 3, 3}},
                                       {unknown + "-0", {static_cast<int16_t>(ErrorCode::unknown_topic_id), -1, 0}}}))
        << "v" << version;
    // The unknown id stays in the session and its error is listed each time; the rest is quiet.
    auto next = send(c, version, fetch(version, full->session_id, 1, {{"events", 2, 3}}));
    ASSERT_TRUE(next);
    EXPECT_EQ(next->error_code, kError);
    EXPECT_EQ(listing(*next), (Listing{{unknown + "-0", {static_cast<int16_t>(ErrorCode::unknown_topic_id), -1, 0}}}));
    // Names cannot continue a session made with topic ids.
    auto by_name = send(c, 12, fetch(12, full->session_id, 2, {}));
    ASSERT_TRUE(by_name);
    EXPECT_EQ(by_name->error_code, static_cast<int16_t>(ErrorCode::fetch_session_topic_id_error));
  }
}

TEST_F(FetchTest, UnknownTopicsAndPartitionsByNameAreListedLast) {
  Client c(port);
  auto full = send(c, 12, fetch(12, 0, -1, {{"nope", 0}, {"events", 7}, {"events", 0}}));
  ASSERT_TRUE(full);
  // Read partitions first, then the unknown ones, each run of one topic as one entry.
  ASSERT_EQ(full->responses.size(), 3u);
  EXPECT_EQ(full->responses[0].topic, "events");
  EXPECT_EQ(full->responses[0].partitions.at(0).partition_index, 0);
  EXPECT_EQ(full->responses[1].topic, "nope");
  EXPECT_EQ(full->responses[2].topic, "events");
  EXPECT_EQ(full->responses[2].partitions.at(0).partition_index, 7);
  const int16_t unknown = static_cast<int16_t>(ErrorCode::unknown_topic_or_partition);
  EXPECT_EQ(listing(*full), (Listing{{"events-0", {0, 0, 0}}, {"nope-0", {unknown, -1, 0}}, {"events-7", {unknown, -1, 0}}}));
}

TEST_F(FetchTest, ListOffsetsV9AndV10) {
  produce("events", 0);
  Client c(port);
  for (int16_t version : {9, 10}) {
    protocol::ListOffsetsRequest r;
    r.replica_id = -1;
    if (version >= 10) r.timeout_ms = 1000;
    auto& t = r.topics.emplace_back();
    t.name = "events";
    for (int64_t timestamp : {-1, -2, -5}) {
      auto& p = t.partitions.emplace_back();
      p.partition_index = 0;
      p.timestamp = timestamp;
    }
    c.send(r, version, version);
    auto response = c.receive<protocol::ListOffsetsResponse>(version);
    ASSERT_TRUE(response);
    const auto& ps = response->second.topics.at(0).partitions;
    ASSERT_EQ(ps.size(), 3u);
    EXPECT_EQ(ps[0].offset, 3);   // latest
    EXPECT_EQ(ps[1].offset, 0);   // earliest
    EXPECT_EQ(ps[2].error_code, 0);
    EXPECT_EQ(ps[2].offset, -1);  // latest tiered: nothing is tiered
    EXPECT_EQ(ps[2].timestamp, -1);
    EXPECT_EQ(ps[2].leader_epoch, -1);
  }
}

}  // namespace
}  // namespace gregor::broker
