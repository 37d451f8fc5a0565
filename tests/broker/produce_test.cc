// Produce over the wire into partitions led by the broker's shards.
#include <gtest/gtest.h>

#include <asio/post.hpp>
#include <future>

#include "../storage/log_test_util.h"
#include "../storage/temp_dir.h"
#include "broker/broker.h"
#include "common/error_code.h"
#include "protocol/generated/message/produce_request.h"
#include "protocol/generated/message/produce_response.h"
#include "raw_client.h"

namespace gregor::broker {
namespace {

template <typename F>
auto run_on(Shard& shard, F fn) {
  std::promise<std::invoke_result_t<F>> done;
  asio::post(shard.executor(), [&] { done.set_value(fn()); });
  return done.get_future().get();
}

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

}  // namespace
}  // namespace gregor::broker
