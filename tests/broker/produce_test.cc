// Produce over the wire into partitions led by the broker's shards.
#include <gtest/gtest.h>

#include <asio/post.hpp>
#include <future>
#include <thread>

#include "../storage/log_test_util.h"
#include "../storage/temp_dir.h"
#include "broker/broker.h"
#include "common/error_code.h"
#include "protocol/generated/message/fetch_request.h"
#include "protocol/generated/message/fetch_response.h"
#include "protocol/generated/message/produce_request.h"
#include "protocol/generated/message/produce_response.h"
#include "raw_client.h"

namespace gregor::broker {
namespace {

class ProduceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BrokerOptions o;
    o.listeners = {ListenerOptions{"PLAINTEXT", "127.0.0.1", 0}};
    o.shards = 2;
    LogService::Options logs;
    logs.manager.log_dirs = {dir.path()};
    logs.manager.defaults.message_timestamp_after_max_ms = storage::LogConfig::kLongMax;
    o.storage = logs;
    broker = std::make_unique<Broker>(o);
    ASSERT_TRUE(broker->start().ok());
    for (int p = 0; p < 4; ++p) lead({"events", p});
  }
  void lead(const TopicPartition& tp) {
    unsigned s = shard_of(tp, 2);
    bool ok = run_on(broker->shard(s), [&] {
      return broker->replicas(s).make_leader(tp, Uuid::from_halves(3, 4), 0, storage::LogConfig{}).ok();
    });
    ASSERT_TRUE(ok);
  }
  int64_t end_offset(const TopicPartition& tp) {
    unsigned s = shard_of(tp, 2);
    return run_on(broker->shard(s), [&] {
      auto* p = broker->replicas(s).find(tp);
      return p ? p->log->durable_offset() : -1;
    });
  }
  protocol::ProduceRequest request(int16_t acks, const std::vector<std::pair<std::string, int>>& targets,
                                   std::vector<Bytes>& keep) {
    protocol::ProduceRequest r;
    r.acks = acks;
    r.timeout_ms = 30000;
    for (const auto& [topic, partition] : targets) {
      if (r.topic_data.empty() || r.topic_data.back().name != topic) r.topic_data.emplace_back().name = topic;
      auto& pd = r.topic_data.back().partition_data.emplace_back();
      pd.index = partition;
      keep.push_back(storage::testing::make_batch(3, 1000));
      pd.records = BytesView(keep.back());
    }
    return r;
  }

  storage::testing::TempDir dir;
  std::unique_ptr<Broker> broker;
};

TEST_F(ProduceTest, AppendsToEveryPartitionAndAnswersWithTheirOffsets) {
  Client c(broker->bound_port("PLAINTEXT"));
  std::vector<Bytes> keep;
  for (int round = 0; round < 3; ++round) {
    c.send(request(-1, {{"events", 0}, {"events", 1}, {"events", 2}, {"events", 3}, {"nope", 0}}, keep), 9, round);
    auto response = c.receive<protocol::ProduceResponse>(9);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->first, round);
    ASSERT_EQ(response->second.responses.size(), 2u);
    for (const auto& r : response->second.responses[0].partition_responses) {
      EXPECT_EQ(r.error_code, 0) << r.error_message.value_or("");
      EXPECT_EQ(r.base_offset, 3 * round);
    }
    EXPECT_EQ(response->second.responses[1].partition_responses[0].error_code,
              static_cast<int16_t>(ErrorCode::unknown_topic_or_partition));
  }
  // Answered means durable.
  for (int p = 0; p < 4; ++p) EXPECT_EQ(end_offset({"events", p}), 9);
}

TEST_F(ProduceTest, BadAcksAndCorruptBatchesGetKafkasErrors) {
  Client c(broker->bound_port("PLAINTEXT"));
  std::vector<Bytes> keep;
  c.send(request(2, {{"events", 0}}, keep), 9, 1);
  auto bad_acks = c.receive<protocol::ProduceResponse>(9);
  ASSERT_TRUE(bad_acks);
  EXPECT_EQ(bad_acks->second.responses[0].partition_responses[0].error_code,
            static_cast<int16_t>(ErrorCode::invalid_required_acks));
  auto corrupt = request(1, {{"events", 0}}, keep);
  keep.back()[keep.back().size() - 1] ^= 0xff;  // breaks the CRC
  c.send(corrupt, 9, 2);
  auto response = c.receive<protocol::ProduceResponse>(9);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->second.responses[0].partition_responses[0].error_code,
            static_cast<int16_t>(ErrorCode::corrupt_message));
  EXPECT_EQ(end_offset({"events", 0}), 0);
}

TEST_F(ProduceTest, AcksZeroGetsNoResponseButIsWritten) {
  Client c(broker->bound_port("PLAINTEXT"));
  std::vector<Bytes> keep;
  c.send(request(0, {{"events", 1}}, keep), 9, 1);
  // The next request's answer comes first: acks=0 has none.
  c.send_api_versions(3, 2);
  auto frame = c.read_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(Client::api_versions(*frame, 3).first, 2);
  EXPECT_EQ(end_offset({"events", 1}), 3);
}

protocol::FetchRequest fetch_request(const std::string& topic, int partition, int64_t offset, int32_t min_bytes,
                                     int32_t max_wait_ms) {
  protocol::FetchRequest r;
  r.max_wait_ms = max_wait_ms;
  r.min_bytes = min_bytes;
  auto& t = r.topics.emplace_back();
  t.topic = topic;
  auto& p = t.partitions.emplace_back();
  p.partition = partition;
  p.fetch_offset = offset;
  p.partition_max_bytes = 1 << 20;
  return r;
}

TEST_F(ProduceTest, FetchReturnsWhatWasProducedFromTheLogFiles) {
  Client c(broker->bound_port("PLAINTEXT"));
  std::vector<Bytes> keep;
  for (int i = 0; i < 2; ++i) {
    c.send(request(1, {{"events", 2}}, keep), 9, i);
    ASSERT_TRUE(c.receive<protocol::ProduceResponse>(9));
  }
  c.send(fetch_request("events", 2, 1, 1, 0), 12, 7);
  auto response = c.receive<protocol::FetchResponse>(12);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->first, 7);
  const auto& p = response->second.responses.at(0).partitions.at(0);
  EXPECT_EQ(p.error_code, 0);
  EXPECT_EQ(p.high_watermark, 6);
  ASSERT_TRUE(p.records);
  // Whole batches from the one holding offset 1: both batches, records 0-5.
  auto recs = storage::testing::records_of(*p.records);
  ASSERT_EQ(recs.size(), 6u);
  EXPECT_EQ(recs.front().offset, 0);
  EXPECT_EQ(recs.back().offset, 5);

  c.send(fetch_request("events", 2, 99, 1, 0), 12, 8);
  auto out_of_range = c.receive<protocol::FetchResponse>(12);
  ASSERT_TRUE(out_of_range);
  EXPECT_EQ(out_of_range->second.responses.at(0).partitions.at(0).error_code,
            static_cast<int16_t>(ErrorCode::offset_out_of_range));
}

TEST_F(ProduceTest, ALongPollIsAnsweredWhenDataArrives) {
  Client consumer(broker->bound_port("PLAINTEXT"));
  // Waits up to a minute: only the produce below can end it early with data.
  auto start = std::chrono::steady_clock::now();
  consumer.send(fetch_request("events", 3, 0, 1, 60'000), 12, 1);
  std::thread producer([&] {
    Client c(broker->bound_port("PLAINTEXT"));
    std::vector<Bytes> keep;
    c.send(request(-1, {{"events", 3}}, keep), 9, 1);
    EXPECT_TRUE(c.receive<protocol::ProduceResponse>(9));
  });
  auto response = consumer.receive<protocol::FetchResponse>(12);
  producer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30)) << "woken by the append, not the deadline";
  ASSERT_TRUE(response);
  const auto& p = response->second.responses.at(0).partitions.at(0);
  EXPECT_EQ(p.error_code, 0);
  ASSERT_TRUE(p.records);
  EXPECT_EQ(storage::testing::records_of(*p.records).size(), 3u);
}

}  // namespace
}  // namespace gregor::broker
