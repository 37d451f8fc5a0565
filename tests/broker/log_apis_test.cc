// The partition-log APIs over the wire, on a broker with its metadata and real topics spread
// over two shards and two log dirs: OffsetForLeaderEpoch, DeleteRecords (durable across a
// restart, fetches below the new log start out of range) and DescribeLogDirs.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "../storage/log_test_util.h"
#include "../storage/temp_dir.h"
#include "broker/broker.h"
#include "common/error_code.h"
#include "config/meta_properties.h"
#include "protocol/generated/message/create_topics_request.h"
#include "protocol/generated/message/create_topics_response.h"
#include "protocol/generated/message/delete_records_request.h"
#include "protocol/generated/message/delete_records_response.h"
#include "protocol/generated/message/describe_log_dirs_request.h"
#include "protocol/generated/message/describe_log_dirs_response.h"
#include "protocol/generated/message/fetch_request.h"
#include "protocol/generated/message/fetch_response.h"
#include "protocol/generated/message/list_offsets_request.h"
#include "protocol/generated/message/list_offsets_response.h"
#include "protocol/generated/message/metadata_request.h"
#include "protocol/generated/message/metadata_response.h"
#include "protocol/generated/message/offset_for_leader_epoch_request.h"
#include "protocol/generated/message/offset_for_leader_epoch_response.h"
#include "protocol/generated/message/produce_request.h"
#include "protocol/generated/message/produce_response.h"
#include "broker_fixture.h"
#include "raw_client.h"
#include "storage/checkpoint_file.h"
#include "storage/posix_file_system.h"

namespace gregor::broker {
namespace {

constexpr unsigned kShards = 2;

int16_t code(ErrorCode e) { return static_cast<int16_t>(e); }

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class LogApisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dirs = {dir.path() + "/logs-a", dir.path() + "/logs-b"};
    cluster_id = config::random_cluster_id();
    start();
  }

  void start() {
    broker = std::make_unique<Broker>(testing::broker_options(dirs, dirs[0], cluster_id, kShards));
    Status started = broker->start();
    ASSERT_TRUE(started.ok()) << started.message();
    client = std::make_unique<Client>(broker->bound_port("PLAINTEXT"));
  }

  void restart() {
    client.reset();
    testing::stop_broker(broker);
    start();
  }

  template <typename Response, typename Request>
  Response call(const Request& request, int16_t version) {
    return round_trip<Response>(*client, request, version, ++correlation);
  }

  void create_topic(const std::string& name, int32_t partitions,
                    std::vector<std::pair<std::string, std::string>> configs = {}) {
    auto created = testing::create_topic(*client, ++correlation, name, partitions, configs);
    ASSERT_EQ(created.error_code, 0) << created.error_message.value_or("");
  }

  // Appends one batch of count records; the base offset.
  int64_t produce(const std::string& topic, int32_t partition, int count) {
    Bytes batch = storage::testing::make_batch(count, now_ms());
    protocol::ProduceRequest request;
    request.acks = -1;
    request.timeout_ms = 30'000;
    auto& t = request.topic_data.emplace_back();
    t.name = topic;
    auto& p = t.partition_data.emplace_back();
    p.index = partition;
    p.records = BytesView(batch);
    auto response = call<protocol::ProduceResponse>(request, 9);
    const auto& r = response.responses.at(0).partition_responses.at(0);
    EXPECT_EQ(r.error_code, 0) << r.error_message.value_or("");
    return r.base_offset;
  }

  // A consumer's fetch of one partition from offset, answered at once.
  protocol::FetchResponse::PartitionData fetch(const std::string& topic, int32_t partition, int64_t offset) {
    protocol::FetchRequest request;
    request.max_wait_ms = 0;
    auto& t = request.topics.emplace_back();
    t.topic = topic;
    t.partitions.emplace_back().partition = partition;
    t.partitions.back().fetch_offset = offset;
    t.partitions.back().partition_max_bytes = 1 << 20;
    auto response = call<protocol::FetchResponse>(request, 12);
    EXPECT_EQ(response.responses.size(), 1u);
    if (response.responses.empty() || response.responses[0].partitions.empty()) return {};
    // The records point into the client's last frame, kept until the next call.
    return response.responses[0].partitions[0];
  }

  // The partition's log starts at start, for every reader: ListOffsets' earliest, a fetch below
  // it (OFFSET_OUT_OF_RANGE), and a fetch from it; the records read from it.
  std::vector<storage::testing::Rec> expect_log_start(const std::string& topic, int32_t partition, int64_t start) {
    protocol::ListOffsetsRequest earliest;
    earliest.replica_id = -1;
    auto& t = earliest.topics.emplace_back();
    t.name = topic;
    t.partitions.emplace_back().partition_index = partition;
    t.partitions.back().timestamp = storage::kEarliestTimestamp;
    auto listed = call<protocol::ListOffsetsResponse>(earliest, 7);
    EXPECT_EQ(listed.topics.at(0).partitions.at(0).offset, start);
    if (start > 0) {
      const auto below = fetch(topic, partition, start - 1);
      EXPECT_EQ(below.error_code, code(ErrorCode::offset_out_of_range));
      EXPECT_EQ(below.log_start_offset, start);
    }
    const auto from_start = fetch(topic, partition, start);
    EXPECT_EQ(from_start.error_code, 0);
    EXPECT_EQ(from_start.log_start_offset, start);
    if (!from_start.records) return {};
    return storage::testing::records_of(*from_start.records);
  }

  int32_t leader_epoch(const std::string& topic, int32_t partition) {
    protocol::MetadataRequest request;
    request.topics.emplace().emplace_back().name = topic;
    auto response = call<protocol::MetadataResponse>(request, 12);
    for (const auto& p : response.topics.at(0).partitions) {
      if (p.partition_index == partition) return p.leader_epoch;
    }
    ADD_FAILURE() << "no partition " << partition << " of " << topic;
    return -1;
  }

  template <typename F>
  auto on_shard_of(const TopicPartition& tp, F fn) {
    unsigned s = shard_of(tp, kShards);
    return run_on(broker->shard(s), [&] { return fn(broker->replicas(s)); });
  }

  storage::testing::TempDir dir;
  std::vector<std::string> dirs;
  std::string cluster_id;
  std::unique_ptr<Broker> broker;
  std::unique_ptr<Client> client;
  int32_t correlation = 0;
};

// ---- OffsetForLeaderEpoch ----

struct EpochQuery {
  std::string topic;
  int32_t partition;
  int32_t leader_epoch;
  int32_t current_leader_epoch = -1;
};

protocol::OffsetForLeaderEpochRequest epoch_request(const std::vector<EpochQuery>& queries, int32_t replica_id = -1) {
  protocol::OffsetForLeaderEpochRequest r;
  r.replica_id = replica_id;
  for (const EpochQuery& q : queries) {
    if (r.topics.empty() || r.topics.back().topic != q.topic) r.topics.emplace_back().topic = q.topic;
    auto& p = r.topics.back().partitions.emplace_back();
    p.partition = q.partition;
    p.leader_epoch = q.leader_epoch;
    p.current_leader_epoch = q.current_leader_epoch;
  }
  return r;
}

TEST_F(LogApisTest, OffsetForLeaderEpochAnswersWhereEachEpochEnds) {
  create_topic("epochs", 2);
  const int32_t epoch = leader_epoch("epochs", 0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(produce("epochs", 0, 2), 2 * i);

  // The latest epoch ends at the log end; an epoch above it, or none, is unknown to the log.
  auto response = call<protocol::OffsetForLeaderEpochResponse>(
      epoch_request({{"epochs", 0, epoch, epoch}, {"epochs", 0, epoch + 1}, {"epochs", 0, -1}}), 4);
  ASSERT_EQ(response.topics.size(), 1u);
  ASSERT_EQ(response.topics[0].partitions.size(), 3u);
  const auto& current = response.topics[0].partitions[0];
  EXPECT_EQ(current.error_code, 0);
  EXPECT_EQ(current.partition, 0);
  EXPECT_EQ(current.leader_epoch, epoch);
  EXPECT_EQ(current.end_offset, 6);
  for (int i : {1, 2}) {
    EXPECT_EQ(response.topics[0].partitions[i].error_code, 0);
    EXPECT_EQ(response.topics[0].partitions[i].leader_epoch, -1);
    EXPECT_EQ(response.topics[0].partitions[i].end_offset, -1);
  }

  // A partition with nothing appended yet knows its epoch from becoming leader.
  auto empty = call<protocol::OffsetForLeaderEpochResponse>(epoch_request({{"epochs", 1, epoch}}), 4);
  EXPECT_EQ(empty.topics.at(0).partitions.at(0).error_code, 0);
  EXPECT_EQ(empty.topics.at(0).partitions.at(0).leader_epoch, epoch);
  EXPECT_EQ(empty.topics.at(0).partitions.at(0).end_offset, 0);

  // A client that knows a newer epoch than the broker; partitions that do not exist.
  auto errors = call<protocol::OffsetForLeaderEpochResponse>(
      epoch_request({{"epochs", 0, epoch, epoch + 1}, {"epochs", 9, epoch}, {"missing", 0, 0}}), 4);
  ASSERT_EQ(errors.topics.size(), 2u);
  EXPECT_EQ(errors.topics[0].partitions[0].error_code, code(ErrorCode::unknown_leader_epoch));
  EXPECT_EQ(errors.topics[0].partitions[0].end_offset, -1);
  EXPECT_EQ(errors.topics[0].partitions[1].error_code, code(ErrorCode::unknown_topic_or_partition));
  EXPECT_EQ(errors.topics[1].topic, "missing");
  EXPECT_EQ(errors.topics[1].partitions[0].error_code, code(ErrorCode::unknown_topic_or_partition));

  // A new leader epoch starts at the log end: the old one now ends there.
  const TopicPartition tp{"epochs", 0};
  const int32_t newer = epoch + 2;
  ASSERT_TRUE(on_shard_of(tp, [&](ReplicaManager& r) {
    const ReplicaManager::Partition* p = r.find(tp);
    return p && r.make_leader(tp, p->topic_id, newer, p->log->config()).ok();
  }));
  EXPECT_EQ(produce("epochs", 0, 2), 6);
  for (int16_t version : {2, 3, 4}) {
    auto history = call<protocol::OffsetForLeaderEpochResponse>(
        epoch_request({{"epochs", 0, epoch}, {"epochs", 0, epoch + 1}, {"epochs", 0, newer, newer}}), version);
    const auto& ps = history.topics.at(0).partitions;
    ASSERT_EQ(ps.size(), 3u);
    EXPECT_EQ(ps[0].leader_epoch, epoch) << "v" << version;
    EXPECT_EQ(ps[0].end_offset, 6);
    // An epoch this log never saw answers the greatest one below it.
    EXPECT_EQ(ps[1].leader_epoch, epoch);
    EXPECT_EQ(ps[1].end_offset, 6);
    EXPECT_EQ(ps[2].leader_epoch, newer);
    EXPECT_EQ(ps[2].end_offset, 8);
  }
  // A client whose epoch is older than the broker's is fenced.
  auto fenced = call<protocol::OffsetForLeaderEpochResponse>(epoch_request({{"epochs", 0, epoch, epoch}}), 4);
  EXPECT_EQ(fenced.topics.at(0).partitions.at(0).error_code, code(ErrorCode::fenced_leader_epoch));

  // A partition the metadata has but this broker does not lead.
  const TopicPartition other{"epochs", 1};
  ASSERT_TRUE(on_shard_of(other, [&](ReplicaManager& r) { return r.remove(other).ok(); }));
  auto not_led = call<protocol::OffsetForLeaderEpochResponse>(epoch_request({{"epochs", 1, epoch}}), 4);
  EXPECT_EQ(not_led.topics.at(0).partitions.at(0).error_code, code(ErrorCode::not_leader_or_follower));
}

// ---- DeleteRecords ----

protocol::DeleteRecordsRequest delete_request(const std::string& topic, const std::vector<std::pair<int32_t, int64_t>>& offsets,
                                              int32_t timeout_ms = 30'000) {
  protocol::DeleteRecordsRequest r;
  r.timeout_ms = timeout_ms;
  auto& t = r.topics.emplace_back();
  t.name = topic;
  for (auto [partition, offset] : offsets) {
    auto& p = t.partitions.emplace_back();
    p.partition_index = partition;
    p.offset = offset;
  }
  return r;
}

TEST_F(LogApisTest, DeleteRecordsMovesTheLogStartAndFetchesBelowItAreOutOfRange) {
  create_topic("trim", 2);
  for (int i = 0; i < 5; ++i) produce("trim", 0, 2);
  for (int i = 0; i < 2; ++i) produce("trim", 1, 2);

  // An offset inside a batch, and -1 for the high watermark.
  auto response = call<protocol::DeleteRecordsResponse>(delete_request("trim", {{0, 5}, {1, -1}}), 2);
  ASSERT_EQ(response.topics.size(), 1u);
  const auto& ps = response.topics[0].partitions;
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0].partition_index, 0);
  EXPECT_EQ(ps[0].error_code, 0);
  EXPECT_EQ(ps[0].low_watermark, 5);
  EXPECT_EQ(ps[1].error_code, 0);
  EXPECT_EQ(ps[1].low_watermark, 4);

  auto records = expect_log_start("trim", 0, 5);
  ASSERT_FALSE(records.empty());
  // Whole batches: the one holding offset 5 starts at 4.
  EXPECT_EQ(records.front().offset, 4);
  EXPECT_EQ(records.back().offset, 9);
  EXPECT_TRUE(expect_log_start("trim", 1, 4).empty());

  // Below the log start changes nothing; beyond the high watermark, or negative, is out of range.
  for (int16_t version : {0, 1, 2}) {
    auto again = call<protocol::DeleteRecordsResponse>(delete_request("trim", {{0, 3}, {0, 11}, {0, -7}}), version);
    const auto& a = again.topics.at(0).partitions;
    ASSERT_EQ(a.size(), 3u);
    EXPECT_EQ(a[0].error_code, 0) << "v" << version;
    EXPECT_EQ(a[0].low_watermark, 5);
    EXPECT_EQ(a[1].error_code, code(ErrorCode::offset_out_of_range));
    EXPECT_EQ(a[1].low_watermark, -1);
    EXPECT_EQ(a[2].error_code, code(ErrorCode::offset_out_of_range));
  }

  // Up to the high watermark exactly empties the partition; a timeout of 0 still completes.
  auto all = call<protocol::DeleteRecordsResponse>(delete_request("trim", {{0, 10}}, 0), 2);
  EXPECT_EQ(all.topics.at(0).partitions.at(0).error_code, 0);
  EXPECT_EQ(all.topics.at(0).partitions.at(0).low_watermark, 10);
  EXPECT_TRUE(expect_log_start("trim", 0, 10).empty());
  EXPECT_EQ(produce("trim", 0, 1), 10);

  auto unknown = call<protocol::DeleteRecordsResponse>(delete_request("nope", {{0, 0}}), 2);
  EXPECT_EQ(unknown.topics.at(0).partitions.at(0).error_code, code(ErrorCode::unknown_topic_or_partition));
  EXPECT_EQ(unknown.topics.at(0).partitions.at(0).low_watermark, -1);
  auto bad_partition = call<protocol::DeleteRecordsResponse>(delete_request("trim", {{5, 0}}), 2);
  EXPECT_EQ(bad_partition.topics.at(0).partitions.at(0).error_code, code(ErrorCode::unknown_topic_or_partition));

  // A compacted topic keeps its records: Kafka refuses with POLICY_VIOLATION.
  create_topic("compacted", 1, {{"cleanup.policy", "compact"}});
  produce("compacted", 0, 2);
  auto refused = call<protocol::DeleteRecordsResponse>(delete_request("compacted", {{0, 1}}), 2);
  EXPECT_EQ(refused.topics.at(0).partitions.at(0).error_code, code(ErrorCode::policy_violation));
  EXPECT_EQ(expect_log_start("compacted", 0, 0).size(), 2u);
}

TEST_F(LogApisTest, DeleteRecordsIsCheckpointedBeforeItIsAnsweredAndSurvivesARestart) {
  create_topic("durable", 1);
  for (int i = 0; i < 4; ++i) produce("durable", 0, 3);
  auto response = call<protocol::DeleteRecordsResponse>(delete_request("durable", {{0, 7}}), 2);
  ASSERT_EQ(response.topics.at(0).partitions.at(0).error_code, 0);
  ASSERT_EQ(response.topics.at(0).partitions.at(0).low_watermark, 7);

  // Answered means in the log dir's checkpoint, whatever happens to the process next.
  storage::PosixFileSystem fs;
  int64_t checkpointed = -1;
  for (const std::string& d : dirs) {
    auto starts = storage::read_offset_checkpoint(fs, d + "/log-start-offset-checkpoint");
    ASSERT_TRUE(starts.ok()) << starts.status().message();
    if (auto it = starts->find(TopicPartition{"durable", 0}); it != starts->end()) checkpointed = it->second;
  }
  EXPECT_EQ(checkpointed, 7);

  restart();
  auto records = expect_log_start("durable", 0, 7);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().offset, 11);
  EXPECT_EQ(produce("durable", 0, 1), 12);
}

// ---- DescribeLogDirs ----

// The bytes of a partition's segment files (.log) on disk.
int64_t log_bytes(const std::string& partition_dir) {
  int64_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(partition_dir)) {
    if (entry.path().extension() == ".log") total += static_cast<int64_t>(entry.file_size());
  }
  return total;
}

TEST_F(LogApisTest, DescribeLogDirsListsEveryDirWithItsPartitionsFromEveryShard) {
  create_topic("dirs", 4);
  std::set<unsigned> shards;
  for (int32_t p = 0; p < 4; ++p) {
    for (int i = 0; i <= p; ++i) produce("dirs", p, 3);
    shards.insert(shard_of(TopicPartition{"dirs", p}, kShards));
  }
  ASSERT_EQ(shards.size(), kShards) << "the test wants partitions on every shard";

  protocol::DescribeLogDirsRequest all;
  all.topics = std::nullopt;
  auto response = call<protocol::DescribeLogDirsResponse>(all, 4);
  EXPECT_EQ(response.error_code, 0);
  ASSERT_EQ(response.results.size(), 2u);
  std::map<int32_t, std::string> found;  // partition -> its log dir
  for (size_t i = 0; i < 2; ++i) {
    const auto& result = response.results[i];
    EXPECT_EQ(result.error_code, 0);
    EXPECT_EQ(result.log_dir, std::filesystem::absolute(dirs[i]).string());
    EXPECT_GT(result.total_bytes, 0);
    EXPECT_GE(result.usable_bytes, 0);
    EXPECT_LE(result.usable_bytes, result.total_bytes);
    for (const auto& topic : result.topics) {
      // The metadata log is not a partition.
      ASSERT_EQ(topic.name, "dirs");
      for (const auto& p : topic.partitions) {
        EXPECT_TRUE(found.emplace(p.partition_index, dirs[i]).second) << "partition " << p.partition_index << " twice";
        EXPECT_EQ(p.partition_size, log_bytes(dirs[i] + "/dirs-" + std::to_string(p.partition_index)));
        EXPECT_GT(p.partition_size, 0);
        EXPECT_EQ(p.offset_lag, 0);
        EXPECT_FALSE(p.is_future_key);
      }
    }
  }
  ASSERT_EQ(found.size(), 4u);
  // New partitions go to the dir with the fewest: both dirs hold some.
  std::set<std::string> used;
  for (const auto& [p, d] : found) used.insert(d);
  EXPECT_EQ(used.size(), 2u);

  // Named partitions only, from v1 (no volume sizes): unknown ones are left out, and so is a
  // topic none of whose partitions were asked for.
  create_topic("other", 1);
  protocol::DescribeLogDirsRequest some;
  auto& t = some.topics.emplace().emplace_back();
  t.topic = "dirs";
  t.partitions = {2, 9};
  some.topics->emplace_back().topic = "missing";
  some.topics->back().partitions = {0};
  auto named = call<protocol::DescribeLogDirsResponse>(some, 1);
  ASSERT_EQ(named.results.size(), 2u);
  int listed = 0;
  for (const auto& result : named.results) {
    EXPECT_EQ(result.total_bytes, -1);
    for (const auto& topic : result.topics) {
      EXPECT_EQ(topic.name, "dirs");
      for (const auto& p : topic.partitions) {
        EXPECT_EQ(p.partition_index, 2);
        EXPECT_EQ(result.log_dir, std::filesystem::absolute(found[2]).string());
        ++listed;
      }
    }
  }
  EXPECT_EQ(listed, 1);

  // A dir that cannot be reached is reported with KAFKA_STORAGE_ERROR, the others as before.
  const std::string away = dirs[1] + ".away";
  std::filesystem::rename(dirs[1], away);
  auto offline = call<protocol::DescribeLogDirsResponse>(all, 4);
  std::filesystem::rename(away, dirs[1]);
  ASSERT_EQ(offline.results.size(), 2u);
  EXPECT_EQ(offline.results[0].error_code, 0);
  EXPECT_FALSE(offline.results[0].topics.empty());
  EXPECT_EQ(offline.results[1].error_code, code(ErrorCode::kafka_storage_error));
  EXPECT_TRUE(offline.results[1].topics.empty());
  EXPECT_EQ(offline.results[1].log_dir, std::filesystem::absolute(dirs[1]).string());
}

TEST_F(LogApisTest, OldVersionsKafka4RemovedCloseTheConnection) {
  // OffsetForLeaderEpoch v0-1 and DescribeLogDirs v0 are gone from Kafka 4.0, as here.
  client->send(epoch_request({{"x", 0, 0}}), 1, 1);
  EXPECT_FALSE(client->read_frame());
  client = std::make_unique<Client>(broker->bound_port("PLAINTEXT"));
  protocol::DescribeLogDirsRequest all;
  all.topics = std::nullopt;
  client->send(all, 0, 2);
  EXPECT_FALSE(client->read_frame());
}

}  // namespace
}  // namespace gregor::broker
