// The topic administration APIs over the wire, against an in-process broker with its metadata
// log: DeleteTopics, CreatePartitions and DescribeCluster, what they leave on disk, and the logs
// of deleted topics found at start.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "../storage/log_test_util.h"
#include "../storage/temp_dir.h"
#include "broker/broker.h"
#include "common/error_code.h"
#include "protocol/generated/message/create_partitions_request.h"
#include "protocol/generated/message/create_partitions_response.h"
#include "protocol/generated/message/create_topics_request.h"
#include "protocol/generated/message/create_topics_response.h"
#include "protocol/generated/message/delete_topics_request.h"
#include "protocol/generated/message/delete_topics_response.h"
#include "protocol/generated/message/describe_cluster_request.h"
#include "protocol/generated/message/describe_cluster_response.h"
#include "protocol/generated/message/metadata_request.h"
#include "protocol/generated/message/metadata_response.h"
#include "protocol/generated/message/produce_request.h"
#include "protocol/generated/message/produce_response.h"
#include "broker_fixture.h"
#include "raw_client.h"
#include "storage/partition_metadata.h"
#include "storage/posix_file_system.h"

namespace gregor::broker {
namespace {

namespace fs = std::filesystem;

constexpr unsigned kShards = 2;
constexpr int16_t kNone = 0;

int16_t code(ErrorCode e) { return static_cast<int16_t>(e); }

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }

  void start(bool delete_topic_enable = true) {
    BrokerOptions o = testing::broker_options({dir.path()}, dir.path(), "AdminTestCluster000000", kShards);
    // Deleted directories go at the next tick, so a test can see them gone.
    o.storage->manager.defaults.file_delete_delay_ms = 0;
    o.metadata->log_defaults.file_delete_delay_ms = 0;
    o.storage->tick_interval_ms = 20;
    o.metadata->controller.delete_topic_enable = delete_topic_enable;
    broker = std::make_unique<Broker>(o);
    ASSERT_TRUE(broker->start().ok());
    settle();
    client = std::make_unique<Client>(broker->bound_port("PLAINTEXT"));
  }
  void stop() {
    client.reset();
    testing::stop_broker(broker);
  }
  // Every shard has run what was posted to it so far (an image's reconcile, say).
  void settle() {
    for (unsigned s = 0; s < kShards; ++s) run_on(broker->shard(s), [] { return 0; });
  }

  template <typename Response, typename Request>
  Response call(const Request& request, int16_t version) {
    return round_trip<Response>(*client, request, version, ++correlation);
  }

  protocol::CreateTopicsResponse::CreatableTopicResult create_topic(const std::string& name, int32_t partitions) {
    return testing::create_topic(*client, ++correlation, name, partitions);
  }
  protocol::DeleteTopicsResponse delete_by_name(std::vector<std::string> names, int16_t version = 6) {
    protocol::DeleteTopicsRequest r;
    r.timeout_ms = 30000;
    if (version >= 6) {
      for (std::string& n : names) r.topics.emplace_back().name = std::move(n);
    } else {
      r.topic_names = std::move(names);
    }
    return call<protocol::DeleteTopicsResponse>(r, version);
  }
  protocol::CreatePartitionsResponse create_partitions(const std::string& topic, int32_t count,
                                                       bool validate_only = false, int16_t version = 3) {
    protocol::CreatePartitionsRequest r;
    r.timeout_ms = 30000;
    r.validate_only = validate_only;
    auto& t = r.topics.emplace_back();
    t.name = topic;
    t.count = count;
    t.assignments = std::nullopt;
    return call<protocol::CreatePartitionsResponse>(r, version);
  }
  protocol::MetadataResponse::MetadataResponseTopic describe(const std::string& topic) {
    protocol::MetadataRequest r;
    r.topics.emplace();
    r.topics->emplace_back().name = topic;
    r.allow_auto_topic_creation = false;
    auto response = call<protocol::MetadataResponse>(r, 12);
    EXPECT_EQ(response.topics.size(), 1u);
    return response.topics.empty() ? protocol::MetadataResponse::MetadataResponseTopic{} : response.topics[0];
  }
  // Produces `count` records to one partition; the error code and base offset.
  std::pair<int16_t, int64_t> produce(const std::string& topic, int32_t partition, int count) {
    Bytes batch = storage::testing::make_batch(count, 1000);
    auto response = call<protocol::ProduceResponse>(produce_request(topic, partition, batch), 9);
    if (response.responses.empty() || response.responses[0].partition_responses.empty()) return {-1, -1};
    const auto& pr = response.responses[0].partition_responses[0];
    return {pr.error_code, pr.base_offset};
  }
  // The log end offset and topic id of a partition this broker leads (-1 and zero when it does not).
  std::pair<int64_t, Uuid> led(const TopicPartition& tp) {
    unsigned s = shard_of(tp, kShards);
    return run_on(broker->shard(s), [&] {
      auto* p = broker->replicas(s).find(tp);
      return p ? std::make_pair(p->log->log_end_offset(), p->topic_id) : std::make_pair(int64_t{-1}, Uuid{});
    });
  }
  // The topic id in a partition directory's partition.metadata.
  Uuid topic_id_on_disk(const std::string& tp) {
    auto meta = storage::read_partition_metadata(posix, dir.file(tp));
    EXPECT_TRUE(meta.ok()) << tp;
    return meta.ok() ? meta->topic_id : Uuid{};
  }
  // Creates a one-partition topic with `records` records, and keeps a copy of its directory
  // (as "saved") taken while the broker was stopped.
  void create_and_save(const std::string& topic, int records) {
    ASSERT_EQ(create_topic(topic, 1).error_code, kNone);
    ASSERT_EQ(produce(topic, 0, records).first, kNone);
    stop();
    fs::copy(dir.file(topic + "-0"), dir.file("saved"), fs::copy_options::recursive);
    start();
  }
  // The log dir's entries for a partition: its directory and any "<tp>.<id>-delete" ones.
  std::vector<std::string> dirs_of(const std::string& tp) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir.path())) {
      std::string name = e.path().filename().string();
      if (name == tp || name.starts_with(tp + ".")) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // Waits (up to a deadline) until the log dir has nothing left of the partition.
  bool removed_from_disk(const std::string& tp) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
      if (dirs_of(tp).empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  storage::testing::TempDir dir;
  std::unique_ptr<Broker> broker;
  std::unique_ptr<Client> client;
  int32_t correlation = 0;
  storage::PosixFileSystem posix;
};

// ---- DeleteTopics ----

TEST_F(AdminTest, DeleteTopicsByNameStopsLeadingAndRemovesTheLogs) {
  ASSERT_EQ(create_topic("doomed", 3).error_code, kNone);
  ASSERT_EQ(create_topic("kept", 1).error_code, kNone);
  for (int p = 0; p < 3; ++p) ASSERT_EQ(produce("doomed", p, 2).first, kNone);
  const Uuid doomed_id = describe("doomed").topic_id;

  auto response = delete_by_name({"doomed"}, 5);
  ASSERT_EQ(response.responses.size(), 1u);
  EXPECT_EQ(response.responses[0].name, "doomed");
  EXPECT_EQ(response.responses[0].error_code, kNone);
  // Answered means gone: no shard leads it, and the next request sees no topic.
  for (int p = 0; p < 3; ++p) EXPECT_EQ(led({"doomed", p}).first, -1);
  EXPECT_EQ(describe("doomed").error_code, code(ErrorCode::unknown_topic_or_partition));
  EXPECT_EQ(produce("doomed", 0, 1).first, code(ErrorCode::unknown_topic_or_partition));
  EXPECT_EQ(describe("kept").error_code, kNone);
  // The directories are renamed "-delete" at once and removed after file.delete.delay.ms.
  settle();
  for (int p = 0; p < 3; ++p) {
    std::string tp = "doomed-" + std::to_string(p);
    for (const std::string& d : dirs_of(tp)) EXPECT_TRUE(d.ends_with("-delete")) << d;
    EXPECT_TRUE(removed_from_disk(tp)) << tp;
  }
  EXPECT_EQ(dirs_of("kept-0"), std::vector<std::string>{"kept-0"});
  EXPECT_FALSE(doomed_id.is_zero());
}

TEST_F(AdminTest, DeleteTopicsByIdNamesTheTopicDeleted) {
  auto created = create_topic("by-id", 1);
  ASSERT_EQ(created.error_code, kNone);
  protocol::DeleteTopicsRequest r;
  r.topics.emplace_back().topic_id = created.topic_id;
  auto unknown_id = Uuid::from_halves(0x1234, 0x5678);
  r.topics.emplace_back().topic_id = unknown_id;
  auto response = call<protocol::DeleteTopicsResponse>(r, 6);
  ASSERT_EQ(response.responses.size(), 2u);
  for (const auto& t : response.responses) {
    if (t.topic_id == created.topic_id) {
      EXPECT_EQ(t.name, "by-id");
      EXPECT_EQ(t.error_code, kNone);
    } else {
      EXPECT_EQ(t.topic_id, unknown_id);
      EXPECT_EQ(t.name, std::nullopt);
      EXPECT_EQ(t.error_code, code(ErrorCode::unknown_topic_id));
    }
  }
  EXPECT_EQ(describe("by-id").error_code, code(ErrorCode::unknown_topic_or_partition));
}

TEST_F(AdminTest, DeleteTopicsErrorsAreKafkas) {
  ASSERT_EQ(create_topic("twice", 1).error_code, kNone);
  // Unknown names, and a name given twice: nothing of it is deleted.
  auto response = delete_by_name({"missing", "twice", "twice"}, 6);
  ASSERT_EQ(response.responses.size(), 2u);
  for (const auto& t : response.responses) {
    if (t.name == "missing") {
      EXPECT_EQ(t.error_code, code(ErrorCode::unknown_topic_or_partition));
    } else {
      EXPECT_EQ(t.name, "twice");
      EXPECT_EQ(t.error_code, code(ErrorCode::invalid_request));
      EXPECT_EQ(t.error_message, "Duplicate topic name.");
    }
  }
  EXPECT_EQ(describe("twice").error_code, kNone);
  // v1 (no error messages) by name.
  auto v1 = delete_by_name({"missing"}, 1);
  ASSERT_EQ(v1.responses.size(), 1u);
  EXPECT_EQ(v1.responses[0].error_code, code(ErrorCode::unknown_topic_or_partition));
  // Neither name nor id; both name and id.
  protocol::DeleteTopicsRequest r;
  r.topics.emplace_back();
  auto& both = r.topics.emplace_back();
  both.name = "twice";
  both.topic_id = describe("twice").topic_id;
  auto bad = call<protocol::DeleteTopicsResponse>(r, 6);
  ASSERT_EQ(bad.responses.size(), 2u);
  for (const auto& t : bad.responses) EXPECT_EQ(t.error_code, code(ErrorCode::invalid_request));
  EXPECT_EQ(describe("twice").error_code, kNone);
}

TEST_F(AdminTest, DeletionDisabledIsRefusedAsKafkaDoes) {
  stop();
  start(/*delete_topic_enable=*/false);
  ASSERT_EQ(create_topic("stays", 1).error_code, kNone);
  auto v6 = delete_by_name({"stays"}, 6);
  ASSERT_EQ(v6.responses.size(), 1u);
  EXPECT_EQ(v6.responses[0].error_code, code(ErrorCode::topic_deletion_disabled));
  // Before v3 clients did not know that error.
  auto v2 = delete_by_name({"stays"}, 2);
  ASSERT_EQ(v2.responses.size(), 1u);
  EXPECT_EQ(v2.responses[0].error_code, code(ErrorCode::invalid_request));
  EXPECT_EQ(describe("stays").error_code, kNone);
}

TEST_F(AdminTest, ATopicCreatedAgainAfterDeletionHasANewIdAndAnEmptyLog) {
  auto first = create_topic("phoenix", 1);
  ASSERT_EQ(first.error_code, kNone);
  ASSERT_EQ(produce("phoenix", 0, 5), std::make_pair(kNone, int64_t{0}));
  EXPECT_EQ(led({"phoenix", 0}).first, 5);
  ASSERT_EQ(delete_by_name({"phoenix"}).responses.at(0).error_code, kNone);
  auto second = create_topic("phoenix", 1);
  ASSERT_EQ(second.error_code, kNone);
  EXPECT_NE(second.topic_id, first.topic_id);
  EXPECT_EQ(describe("phoenix").topic_id, second.topic_id);
  EXPECT_EQ(led({"phoenix", 0}), std::make_pair(int64_t{0}, second.topic_id));
  EXPECT_EQ(produce("phoenix", 0, 1), std::make_pair(kNone, int64_t{0}));
  settle();
  EXPECT_EQ(topic_id_on_disk("phoenix-0"), second.topic_id);
}

// ---- CreatePartitions ----

TEST_F(AdminTest, NewPartitionsAreLedOnceAnswered) {
  ASSERT_EQ(create_topic("grows", 1).error_code, kNone);
  auto response = create_partitions("grows", 4);
  ASSERT_EQ(response.results.size(), 1u);
  EXPECT_EQ(response.results[0].name, "grows");
  EXPECT_EQ(response.results[0].error_code, kNone);
  EXPECT_EQ(describe("grows").partitions.size(), 4u);
  for (int p = 1; p < 4; ++p) {
    EXPECT_EQ(produce("grows", p, 2), std::make_pair(kNone, int64_t{0})) << "partition " << p;
  }
  // v0 (not flexible) too.
  auto v0 = create_partitions("grows", 5, false, 0);
  ASSERT_EQ(v0.results.size(), 1u);
  EXPECT_EQ(v0.results[0].error_code, kNone);
  EXPECT_EQ(produce("grows", 4, 1).first, kNone);
}

TEST_F(AdminTest, ValidateOnlyCreatesNothing) {
  ASSERT_EQ(create_topic("checked", 2).error_code, kNone);
  auto ok = create_partitions("checked", 6, /*validate_only=*/true);
  ASSERT_EQ(ok.results.size(), 1u);
  EXPECT_EQ(ok.results[0].error_code, kNone);
  auto bad = create_partitions("checked", 1, /*validate_only=*/true);
  ASSERT_EQ(bad.results.size(), 1u);
  EXPECT_EQ(bad.results[0].error_code, code(ErrorCode::invalid_partitions));
  EXPECT_EQ(describe("checked").partitions.size(), 2u);
  EXPECT_EQ(led({"checked", 2}).first, -1);
  EXPECT_EQ(produce("checked", 2, 1).first, code(ErrorCode::unknown_topic_or_partition));
}

TEST_F(AdminTest, CreatePartitionsErrorsAreKafkas) {
  ASSERT_EQ(create_topic("three", 3).error_code, kNone);
  auto same = create_partitions("three", 3);
  ASSERT_EQ(same.results.size(), 1u);
  EXPECT_EQ(same.results[0].error_code, code(ErrorCode::invalid_partitions));
  EXPECT_EQ(same.results[0].error_message, "Topic already has 3 partition(s).");
  auto fewer = create_partitions("three", 2);
  ASSERT_EQ(fewer.results.size(), 1u);
  EXPECT_EQ(fewer.results[0].error_code, code(ErrorCode::invalid_partitions));
  EXPECT_EQ(fewer.results[0].error_message, "The topic three currently has 3 partition(s); 2 would not be an increase.");
  auto unknown = create_partitions("nowhere", 2);
  ASSERT_EQ(unknown.results.size(), 1u);
  EXPECT_EQ(unknown.results[0].error_code, code(ErrorCode::unknown_topic_or_partition));

  protocol::CreatePartitionsRequest r;
  r.timeout_ms = 30000;
  for (int i = 0; i < 2; ++i) {
    auto& t = r.topics.emplace_back();
    t.name = "three";
    t.count = 5;
    t.assignments = std::nullopt;
  }
  auto& assigned = r.topics.emplace_back();
  assigned.name = "assigned";
  assigned.count = 2;
  assigned.assignments.emplace();
  assigned.assignments->emplace_back().broker_ids = {1};
  assigned.assignments->emplace_back().broker_ids = {1};  // one more than the 1 partition added
  ASSERT_EQ(create_topic("assigned", 1).error_code, kNone);
  auto mixed = call<protocol::CreatePartitionsResponse>(r, 3);
  ASSERT_EQ(mixed.results.size(), 2u);
  for (const auto& t : mixed.results) {
    if (t.name == "three") {
      EXPECT_EQ(t.error_code, code(ErrorCode::invalid_request));
      EXPECT_EQ(t.error_message, "Duplicate topic name.");
    } else {
      EXPECT_EQ(t.name, "assigned");
      EXPECT_EQ(t.error_code, code(ErrorCode::invalid_replica_assignment));
    }
  }
  EXPECT_EQ(describe("three").partitions.size(), 3u);
  EXPECT_EQ(describe("assigned").partitions.size(), 1u);

  // An explicit assignment to this broker works.
  assigned.assignments->pop_back();
  protocol::CreatePartitionsRequest one;
  one.timeout_ms = 30000;
  one.topics.push_back(assigned);
  auto done = call<protocol::CreatePartitionsResponse>(one, 3);
  ASSERT_EQ(done.results.size(), 1u);
  EXPECT_EQ(done.results[0].error_code, kNone);
  EXPECT_EQ(produce("assigned", 1, 1).first, kNone);
}

// ---- DescribeCluster ----

TEST_F(AdminTest, DescribeClusterListsThisBrokerAsController) {
  for (int16_t version : {0, 1}) {
    protocol::DescribeClusterRequest r;
    auto response = call<protocol::DescribeClusterResponse>(r, version);
    EXPECT_EQ(response.error_code, kNone);
    EXPECT_EQ(response.cluster_id, "AdminTestCluster000000");
    EXPECT_EQ(response.controller_id, 1);
    EXPECT_EQ(response.endpoint_type, 1);
    EXPECT_EQ(response.cluster_authorized_operations, INT32_MIN);
    ASSERT_EQ(response.brokers.size(), 1u);
    EXPECT_EQ(response.brokers[0].broker_id, 1);
    EXPECT_EQ(response.brokers[0].host, "127.0.0.1");
    EXPECT_EQ(response.brokers[0].port, broker->bound_port("PLAINTEXT"));
    EXPECT_EQ(response.brokers[0].rack, std::nullopt);
  }
  // With no authorizer every operation on the cluster is allowed: CREATE, ALTER, DESCRIBE,
  // CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE.
  protocol::DescribeClusterRequest with_ops;
  with_ops.include_cluster_authorized_operations = true;
  EXPECT_EQ(call<protocol::DescribeClusterResponse>(with_ops, 1).cluster_authorized_operations, 8096);
}

TEST_F(AdminTest, DescribeClusterRefusesOtherEndpointTypes) {
  protocol::DescribeClusterRequest controller;
  controller.endpoint_type = 2;
  auto mismatched = call<protocol::DescribeClusterResponse>(controller, 1);
  EXPECT_EQ(mismatched.error_code, code(ErrorCode::mismatched_endpoint_type));
  EXPECT_EQ(mismatched.error_message,
            "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER");
  EXPECT_TRUE(mismatched.brokers.empty());
  protocol::DescribeClusterRequest unknown;
  unknown.endpoint_type = 7;
  auto unsupported = call<protocol::DescribeClusterResponse>(unknown, 1);
  EXPECT_EQ(unsupported.error_code, code(ErrorCode::unsupported_endpoint_type));
  EXPECT_EQ(unsupported.error_message, "Unsupported endpoint type 7");
}

// ---- logs of deleted topics at start ----

// A topic deleted while its log directory survived, as after a crash between the commit of the
// deletion and the rename of the directory: at the next start the directory is deleted.
TEST_F(AdminTest, TheLogOfATopicDeletedWhileItsDirectorySurvivedIsDeletedAtStart) {
  create_and_save("lost", 4);
  ASSERT_EQ(led({"lost", 0}).first, 4);
  ASSERT_EQ(delete_by_name({"lost"}).responses.at(0).error_code, kNone);
  stop();
  fs::rename(dir.file("saved"), dir.file("lost-0"));
  // And a partition directory without partition.metadata (a crash right after its creation).
  fs::create_directory(dir.file("bare-0"));
  start();
  EXPECT_EQ(led({"lost", 0}).first, -1);
  EXPECT_TRUE(removed_from_disk("lost-0"));
  EXPECT_TRUE(removed_from_disk("bare-0"));
  EXPECT_EQ(describe("lost").error_code, code(ErrorCode::unknown_topic_or_partition));
}

// Deleted and created again while the old incarnation's directory survived: the new topic
// starts from an empty log of its own, not from the old records.
TEST_F(AdminTest, AnOldIncarnationsLogIsReplacedAtStart) {
  create_and_save("again", 3);
  ASSERT_EQ(delete_by_name({"again"}).responses.at(0).error_code, kNone);
  auto second = create_topic("again", 1);
  ASSERT_EQ(second.error_code, kNone);
  stop();
  fs::remove_all(dir.file("again-0"));
  fs::rename(dir.file("saved"), dir.file("again-0"));
  start();
  EXPECT_EQ(led({"again", 0}), std::make_pair(int64_t{0}, second.topic_id));
  EXPECT_EQ(produce("again", 0, 1), std::make_pair(kNone, int64_t{0}));
  settle();
  EXPECT_EQ(topic_id_on_disk("again-0"), second.topic_id);
}

}  // namespace
}  // namespace gregor::broker
