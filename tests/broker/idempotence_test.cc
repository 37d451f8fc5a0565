// Idempotent produce over the wire, on an in-process broker with its metadata log and
// controller: InitProducerId, the producer state's checks and duplicates in Produce responses,
// record errors, and producer state across clean and unclean restarts.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "../storage/log_test_util.h"
#include "../storage/temp_dir.h"
#include "broker/broker.h"
#include "common/error_code.h"
#include "protocol/generated/message/create_topics_request.h"
#include "protocol/generated/message/create_topics_response.h"
#include "protocol/generated/message/init_producer_id_request.h"
#include "protocol/generated/message/init_producer_id_response.h"
#include "protocol/generated/message/produce_request.h"
#include "protocol/generated/message/produce_response.h"
#include "broker_fixture.h"
#include "raw_client.h"
#include "storage/producer_state.h"

namespace gregor::broker {
namespace {

constexpr int16_t kProduceVersion = 11;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class IdempotenceTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }

  void start() {
    broker = std::make_unique<Broker>(
        testing::broker_options({log_dir()}, dir.path() + "/metadata", "idempotence-test-cluster", 2));
    ASSERT_TRUE(broker->start().ok());
    client = std::make_unique<Client>(broker->bound_port("PLAINTEXT"));
  }

  void stop() {
    client.reset();
    testing::stop_broker(broker);
  }

  std::string log_dir() const { return dir.path() + "/logs"; }

  void create_topic(const std::string& name, std::vector<std::pair<std::string, std::string>> configs = {}) {
    auto created = testing::create_topic(*client, next_correlation_++, name, 1, configs);
    ASSERT_EQ(created.error_code, 0) << created.error_message.value_or("");
  }

  protocol::InitProducerIdResponse init_producer_id(int16_t version, std::optional<std::string> transactional_id = {},
                                                    int64_t producer_id = -1, int16_t epoch = -1,
                                                    int32_t timeout_ms = 60'000) {
    protocol::InitProducerIdRequest request;
    request.transactional_id = std::move(transactional_id);
    request.transaction_timeout_ms = timeout_ms;
    if (version >= 3) {
      request.producer_id = producer_id;
      request.producer_epoch = epoch;
    }
    client->send(request, version, next_correlation_++);
    auto response = client->receive<protocol::InitProducerIdResponse>(version);
    EXPECT_TRUE(response);
    return response ? response->second : protocol::InitProducerIdResponse{};
  }

  // One batch of count records from producer (id, epoch) at sequence seq, to topic-0.
  protocol::produce_response::PartitionProduceResponse produce(const std::string& topic, int64_t id, int16_t epoch, int32_t seq,
                                             int count = 3, int16_t version = kProduceVersion, Bytes batch = {}) {
    if (batch.empty()) {
      // Current timestamps: a producer whose last batch is older than producer.id.expiration.ms is forgotten.
      batch = storage::testing::make_batch(count, now_ms(), 0, record::Compression::none, 0, true, {id, epoch, seq});
    }
    protocol::ProduceRequest request;
    request.acks = -1;
    request.timeout_ms = 30'000;
    auto& data = request.topic_data.emplace_back();
    data.name = topic;
    auto& partition = data.partition_data.emplace_back();
    partition.index = 0;
    partition.records = BytesView(batch);
    client->send(request, version, next_correlation_++);
    auto response = client->receive<protocol::ProduceResponse>(version);
    EXPECT_TRUE(response);
    if (!response || response->second.responses.empty() || response->second.responses[0].partition_responses.empty()) {
      return {};
    }
    return response->second.responses[0].partition_responses[0];
  }

  storage::testing::TempDir dir;
  std::unique_ptr<Broker> broker;
  std::unique_ptr<Client> client;
  int32_t next_correlation_ = 1;
};

TEST_F(IdempotenceTest, InitProducerIdHandsOutNewIdsAtEpochZero) {
  std::set<int64_t> ids;
  for (int16_t version = 0; version <= 5; ++version) {
    auto r = init_producer_id(version);
    EXPECT_EQ(r.error_code, 0) << "v" << version;
    EXPECT_EQ(r.producer_epoch, 0);
    EXPECT_GE(r.producer_id, 0);
    ids.insert(r.producer_id);
  }
  EXPECT_EQ(ids.size(), 6u);
  // KIP-360: naming its current id and epoch, an idempotent producer gets a new id (only a transactional one keeps
  // its id with a bumped epoch).
  int64_t current = *ids.rbegin();
  auto bumped = init_producer_id(4, std::nullopt, current, 0);
  EXPECT_EQ(bumped.error_code, 0);
  EXPECT_GT(bumped.producer_id, current);
  EXPECT_EQ(bumped.producer_epoch, 0);
  // Either both or neither.
  auto half = init_producer_id(4, std::nullopt, -1, 3);
  EXPECT_EQ(half.error_code, static_cast<int16_t>(ErrorCode::invalid_request));
  EXPECT_EQ(half.producer_id, -1);
}

TEST_F(IdempotenceTest, ATransactionalIdFindsNoCoordinatorYet) {
  auto r = init_producer_id(4, std::string("payments"));
  EXPECT_EQ(r.error_code, static_cast<int16_t>(ErrorCode::coordinator_not_available));
  EXPECT_EQ(r.producer_id, -1);
  EXPECT_EQ(r.producer_epoch, -1);
  EXPECT_EQ(init_producer_id(4, std::string("")).error_code, static_cast<int16_t>(ErrorCode::invalid_request));
  EXPECT_EQ(init_producer_id(4, std::string("payments"), -1, -1, 0).error_code,
            static_cast<int16_t>(ErrorCode::invalid_transaction_timeout));
  EXPECT_EQ(init_producer_id(4, std::string("payments"), -1, -1, 900'001).error_code,
            static_cast<int16_t>(ErrorCode::invalid_transaction_timeout));
}

TEST_F(IdempotenceTest, ProducerIdsComeInBlocksThatSurviveARestart) {
  int64_t first = init_producer_id(4).producer_id;
  // Past the prefetch point and the end of the first block.
  int64_t last = first;
  for (int i = 0; i < 1'050; ++i) {
    auto r = init_producer_id(4);
    ASSERT_EQ(r.error_code, 0);
    ASSERT_EQ(r.producer_id, last + 1);
    last = r.producer_id;
  }
  stop();
  start();
  // A restart never hands out an id again: the controller's blocks are in the metadata log.
  int64_t after = init_producer_id(4).producer_id;
  EXPECT_GT(after, last);
}

TEST_F(IdempotenceTest, RetriesAreAnsweredWithTheirOffsetsAndGapsAndOldEpochsRefused) {
  create_topic("events");
  int64_t id = init_producer_id(4).producer_id;
  auto a = produce("events", id, 0, 0);
  EXPECT_EQ(a.error_code, 0);
  EXPECT_EQ(a.base_offset, 0);
  auto b = produce("events", id, 0, 3);
  EXPECT_EQ(b.error_code, 0);
  EXPECT_EQ(b.base_offset, 3);
  // The first batch again: its offset, no error, and nothing written.
  auto retry = produce("events", id, 0, 0);
  EXPECT_EQ(retry.error_code, 0);
  EXPECT_EQ(retry.base_offset, 0);
  auto c = produce("events", id, 0, 6);
  EXPECT_EQ(c.base_offset, 6) << "the retry was written again";
  // A gap.
  auto gap = produce("events", id, 0, 10);
  EXPECT_EQ(gap.error_code, static_cast<int16_t>(ErrorCode::out_of_order_sequence_number));
  EXPECT_EQ(gap.base_offset, -1);
  EXPECT_NE(gap.error_message.value_or("").find("Out of order sequence number for producer " + std::to_string(id)),
            std::string::npos);
  // A new epoch starts at 0; the old one is fenced.
  EXPECT_EQ(produce("events", id, 1, 5).error_code, static_cast<int16_t>(ErrorCode::out_of_order_sequence_number));
  auto bumped = produce("events", id, 1, 0);
  EXPECT_EQ(bumped.error_code, 0);
  EXPECT_EQ(bumped.base_offset, 9);
  auto fenced = produce("events", id, 0, 9);
  EXPECT_EQ(fenced.error_code, static_cast<int16_t>(ErrorCode::invalid_producer_epoch));
  // Another producer is independent.
  int64_t other = init_producer_id(4).producer_id;
  EXPECT_EQ(produce("events", other, 0, 0).base_offset, 12);
}

TEST_F(IdempotenceTest, RefusedRecordsAreListedInRecordErrors) {
  create_topic("compacted", {{"cleanup.policy", "compact"}});
  Bytes keyless = storage::testing::make_batch(3, 1000, 0, record::Compression::none, 0, /*with_keys=*/false);
  auto r = produce("compacted", -1, -1, -1, 3, kProduceVersion, keyless);
  EXPECT_EQ(r.error_code, static_cast<int16_t>(ErrorCode::invalid_record));
  ASSERT_EQ(r.record_errors.size(), 3u);
  for (int32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.record_errors[i].batch_index, i);
    EXPECT_EQ(r.record_errors[i].batch_index_error_message, "Compacted topic cannot accept message without key");
  }
  EXPECT_NE(r.error_message.value_or("").find("One or more records have been rejected due to 3 record errors"),
            std::string::npos);
  // Before v8 the error alone.
  auto v7 = produce("compacted", -1, -1, -1, 3, 7, keyless);
  EXPECT_EQ(v7.error_code, static_cast<int16_t>(ErrorCode::invalid_record));
  EXPECT_TRUE(v7.record_errors.empty());

  create_topic("recent", {{"message.timestamp.before.max.ms", "60000"}});
  Bytes old;
  {
    record::RecordBatchBuilder builder({});
    const int64_t now = now_ms();
    builder.append(now, BytesView::of("k"), BytesView::of("fresh"));
    builder.append(now - 3'600'000, BytesView::of("k"), BytesView::of("stale"));
    ASSERT_FALSE(builder.finish(old));
  }
  auto stale = produce("recent", -1, -1, -1, 2, kProduceVersion, old);
  EXPECT_EQ(stale.error_code, static_cast<int16_t>(ErrorCode::invalid_timestamp));
  EXPECT_EQ(stale.error_message, "One or more records have been rejected due to invalid timestamp");
  ASSERT_EQ(stale.record_errors.size(), 1u);
  EXPECT_EQ(stale.record_errors[0].batch_index, 1);
}

class IdempotenceRestartTest : public IdempotenceTest, public ::testing::WithParamInterface<bool> {};

TEST_P(IdempotenceRestartTest, ProducerStateSurvivesARestart) {
  const bool clean = GetParam();
  create_topic("events");
  int64_t id = init_producer_id(4).producer_id;
  for (int i = 0; i < 4; ++i) ASSERT_EQ(produce("events", id, 0, i * 3).base_offset, i * 3);
  stop();
  const std::string partition_dir = log_dir() + "/events-0";
  ASSERT_TRUE(std::filesystem::exists(partition_dir + "/" + storage::producer_snapshot_file_name(12)))
      << "a clean stop writes the producer snapshot at the log end";
  if (!clean) {
    // As after a crash: no clean-shutdown marker and no snapshot at the log end; the state is rebuilt from the log.
    std::filesystem::remove(log_dir() + "/.kafka_cleanshutdown");
    for (const auto& entry : std::filesystem::directory_iterator(partition_dir)) {
      if (entry.path().extension() == ".snapshot") std::filesystem::remove(entry.path());
    }
  }
  start();
  // The last batch and the ones before it are still known: retries get their offsets.
  auto retry = produce("events", id, 0, 9);
  EXPECT_EQ(retry.error_code, 0);
  EXPECT_EQ(retry.base_offset, 9);
  if (!clean) {
    // Rebuilt from the log, every recent batch is known, not only the last one a snapshot keeps.
    auto older = produce("events", id, 0, 3);
    EXPECT_EQ(older.error_code, 0);
    EXPECT_EQ(older.base_offset, 3);
  }
  EXPECT_EQ(produce("events", id, 0, 13).error_code, static_cast<int16_t>(ErrorCode::out_of_order_sequence_number));
  auto next = produce("events", id, 0, 12);
  EXPECT_EQ(next.error_code, 0);
  EXPECT_EQ(next.base_offset, 12);
}

INSTANTIATE_TEST_SUITE_P(CleanAndUnclean, IdempotenceRestartTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Clean" : "Unclean"; });

}  // namespace
}  // namespace gregor::broker
