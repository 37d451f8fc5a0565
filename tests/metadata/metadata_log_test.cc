// The __cluster_metadata log: one batch per append, commit once durable, replay on open, and
// what a crash or a failed sync leaves.
#include "metadata/metadata_log.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <deque>

#include "record/batch_builder.h"
#include "storage/sim_file_system.h"

namespace gregor::metadata {
namespace {

using storage::SimFileSystem;

constexpr const char* kDir = "/meta";

// Holds syncs until the test runs them, so appends can be left uncommitted.
class ManualSyncExecutor final : public storage::SyncExecutor {
 public:
  void submit(std::function<Status()> work, std::function<void(Status)> done) override {
    jobs_.push_back({std::move(work), std::move(done)});
  }
  void run_all() {
    while (!jobs_.empty()) {
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      job.second(job.first());
    }
  }

 private:
  std::deque<std::pair<std::function<Status()>, std::function<void(Status)>>> jobs_;
};

MetadataRecord topic(const std::string& name, uint64_t id) {
  return MetadataRecord(protocol::TopicRecord{name, Uuid::from_halves(id, id), {}}, 0);
}

MetadataRecord partition(uint64_t topic_id, int32_t p) {
  protocol::PartitionRecord r;
  r.topic_id = Uuid::from_halves(topic_id, topic_id);
  r.partition_id = p;
  r.replicas = {1};
  r.isr = {1};
  r.leader = 1;
  r.leader_epoch = 0;
  r.partition_epoch = 0;
  return MetadataRecord(std::move(r), 1);
}

struct Commit {
  Status status;
  int64_t base = -2;
  int64_t last = -2;
  bool called = false;
};

class MetadataLogTest : public ::testing::Test {
 protected:
  MetadataLog::Options options() {
    MetadataLog::Options o;
    o.metadata_dir = kDir;
    o.cluster_id = "cluster-1";
    return o;
  }

  MetadataLog::Opened open(storage::SyncExecutor& executor) {
    auto opened = MetadataLog::open(*fs, clock, executor, options());
    EXPECT_TRUE(opened.ok()) << opened.status().to_string();
    return opened.ok() ? std::move(*opened) : MetadataLog::Opened{};
  }

  int64_t append(MetadataLog& log, std::vector<MetadataRecord> records, int32_t epoch, Commit& commit) {
    auto base = log.append(records, epoch, [&commit](Status s, int64_t b, int64_t l) {
      commit = Commit{s, b, l, true};
    });
    EXPECT_TRUE(base.ok()) << base.status().to_string();
    return base.ok() ? *base : -1;
  }

  // The image the records make, as replay on open should build it.
  std::shared_ptr<const MetadataImage> expected_image(const std::vector<std::pair<MetadataLog::Batch, bool>>& batches) {
    ImageBuilder b(MetadataImage::empty());
    b.set_cluster_id("cluster-1");
    for (const auto& [batch, keep] : batches) {
      if (!keep) continue;
      for (size_t i = 0; i < batch.records.size(); ++i) {
        EXPECT_TRUE(b.apply(batch.records[i]).ok());
        b.set_last(batch.base_offset + static_cast<int64_t>(i), batch.leader_epoch);
      }
    }
    return b.build();
  }

  std::unique_ptr<SimFileSystem> fs = std::make_unique<SimFileSystem>();
  storage::ManualClock clock;
  storage::InlineSyncExecutor inline_syncs;
};

TEST_F(MetadataLogTest, LogConfigKeepsEverything) {
  storage::LogConfig c = MetadataLog::log_config(options());
  EXPECT_TRUE(c.cleanup_policy_delete);
  EXPECT_FALSE(c.cleanup_policy_compact);
  EXPECT_EQ(c.retention_ms, -1);
  EXPECT_EQ(c.retention_bytes, -1);
  EXPECT_EQ(c.max_message_bytes, 8 * 1024 * 1024);
}

TEST_F(MetadataLogTest, AppendIsOneBatchCommittedOnceDurable) {
  auto opened = open(inline_syncs);
  ASSERT_TRUE(opened.log);
  EXPECT_TRUE(fs->exists("/meta/__cluster_metadata-0"));
  EXPECT_EQ(*opened.image, *expected_image({}));

  Commit first;
  EXPECT_EQ(append(*opened.log, {topic("a", 1), partition(1, 0), partition(1, 1)}, 1, first), 0);
  EXPECT_TRUE(first.called);
  EXPECT_TRUE(first.status.ok());
  EXPECT_EQ(first.base, 0);
  EXPECT_EQ(first.last, 2);
  Commit second;
  EXPECT_EQ(append(*opened.log, {topic("b", 2)}, 2, second), 3);
  EXPECT_EQ(opened.log->committed_offset(), 4);
  EXPECT_EQ(opened.log->end_offset(), 4);

  std::vector<MetadataLog::Batch> batches;
  ASSERT_TRUE(opened.log
                  ->read_committed(0,
                                   [&](const MetadataLog::Batch& b) {
                                     batches.push_back(b);
                                     return Status{};
                                   })
                  .ok());
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].base_offset, 0);
  EXPECT_EQ(batches[0].leader_epoch, 1);
  EXPECT_EQ(batches[0].records, (std::vector<MetadataRecord>{topic("a", 1), partition(1, 0), partition(1, 1)}));
  EXPECT_EQ(batches[1].base_offset, 3);
  EXPECT_EQ(batches[1].leader_epoch, 2);

  // From an offset inside the first batch: that batch is still visited whole.
  int visited = 0;
  ASSERT_TRUE(opened.log
                  ->read_committed(2,
                                   [&](const MetadataLog::Batch&) {
                                     ++visited;
                                     return Status{};
                                   })
                  .ok());
  EXPECT_EQ(visited, 2);
}

TEST_F(MetadataLogTest, ReopenReplaysToTheSameImage) {
  std::vector<std::pair<MetadataLog::Batch, bool>> batches = {
      {{0, 1, {MetadataRecord(protocol::FeatureLevelRecord{"metadata.version", 21, {}}, 0)}}, true},
      {{1, 1, {topic("a", 1), partition(1, 0)}}, true},
      {{3, 2, {MetadataRecord(protocol::ConfigRecord{2, "a", "retention.ms", "10", {}}, 0)}}, true},
      {{4, 2, {MetadataRecord(protocol::RemoveTopicRecord{Uuid::from_halves(1, 1), {}}, 0), topic("b", 2)}}, true},
  };
  {
    auto opened = open(inline_syncs);
    for (auto& [batch, keep] : batches) {
      Commit c;
      EXPECT_EQ(append(*opened.log, batch.records, batch.leader_epoch, c), batch.base_offset);
      EXPECT_TRUE(c.status.ok());
    }
    ASSERT_TRUE(opened.log->close().ok());
  }
  auto reopened = open(inline_syncs);
  ASSERT_TRUE(reopened.log);
  EXPECT_EQ(*reopened.image, *expected_image(batches));
  EXPECT_EQ(reopened.image->last_offset(), 5);
  EXPECT_EQ(reopened.image->last_epoch(), 2);
  EXPECT_EQ(reopened.image->cluster_id(), "cluster-1");
  EXPECT_NE(reopened.image->topic("b"), nullptr);
  EXPECT_EQ(reopened.log->committed_offset(), 6);
}

TEST_F(MetadataLogTest, CrashLosesOnlyUncommittedBatches) {
  const MetadataLog::Batch committed{0, 1, {topic("a", 1), partition(1, 0)}};
  const MetadataLog::Batch uncommitted{2, 1, {topic("b", 2), partition(2, 0), partition(2, 1)}};
  const auto with_committed = expected_image({{committed, true}});
  const auto with_both = expected_image({{committed, true}, {uncommitted, true}});
  int kept = 0;
  int lost = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    SimFileSystem::Options sim_options;
    sim_options.seed = seed;
    fs = std::make_unique<SimFileSystem>(sim_options);
    ManualSyncExecutor syncs;
    Commit c1;
    Commit c2;
    {
      auto opened = open(syncs);
      append(*opened.log, committed.records, 1, c1);
      syncs.run_all();
      ASSERT_TRUE(c1.called && c1.status.ok());
      append(*opened.log, uncommitted.records, 1, c2);
      EXPECT_FALSE(c2.called);
      EXPECT_EQ(opened.log->committed_offset(), 2);
      fs->crash(seed);
    }
    auto reopened = open(inline_syncs);
    ASSERT_TRUE(reopened.log) << "seed " << seed;
    // The committed batch is always there; the other is there whole or not at all.
    if (*reopened.image == *with_both) {
      ++kept;
    } else {
      EXPECT_EQ(*reopened.image, *with_committed) << "seed " << seed;
      ++lost;
    }
  }
  EXPECT_GT(lost, 0);
}

TEST_F(MetadataLogTest, FailedSyncIsNotCommitted) {
  auto opened = open(inline_syncs);
  Commit ok;
  append(*opened.log, {topic("a", 1)}, 1, ok);
  ASSERT_TRUE(ok.status.ok());
  fs->inject_failure(storage::SimOp::sync, "__cluster_metadata-0", EIO);
  Commit failed;
  append(*opened.log, {topic("b", 2)}, 1, failed);
  ASSERT_TRUE(failed.called);
  EXPECT_FALSE(failed.status.ok());
  EXPECT_EQ(opened.log->committed_offset(), 1);
  // The log went back to its durable end: the next batch takes the failed one's offset.
  Commit again;
  EXPECT_EQ(append(*opened.log, {topic("c", 3)}, 1, again), 1);
  EXPECT_TRUE(again.status.ok());
  ASSERT_TRUE(opened.log->close().ok());
  auto reopened = open(inline_syncs);
  EXPECT_NE(reopened.image->topic("a"), nullptr);
  EXPECT_EQ(reopened.image->topic("b"), nullptr);
  EXPECT_NE(reopened.image->topic("c"), nullptr);
}

TEST_F(MetadataLogTest, EmptyAppendCommitsAfterWhatCameBefore) {
  ManualSyncExecutor syncs;
  auto opened = open(syncs);
  Commit batch;
  append(*opened.log, {topic("a", 1)}, 1, batch);
  Commit nothing;
  EXPECT_EQ(append(*opened.log, {}, 1, nothing), 1);
  EXPECT_FALSE(nothing.called);
  syncs.run_all();
  EXPECT_TRUE(batch.called);
  EXPECT_TRUE(nothing.called);
  EXPECT_TRUE(nothing.status.ok());
  EXPECT_EQ(opened.log->end_offset(), 1);
}

TEST_F(MetadataLogTest, RefusesWhatItCannotWrite) {
  MetadataLog::Options o = options();
  o.max_batch_bytes = 2000;
  auto opened = MetadataLog::open(*fs, clock, inline_syncs, o);
  ASSERT_TRUE(opened.ok());
  std::vector<MetadataRecord> many;
  for (int i = 0; i < 100; ++i) many.push_back(topic("topic-" + std::to_string(i), static_cast<uint64_t>(i + 1)));
  auto too_large = opened->log->append(many, 1, [](Status, int64_t, int64_t) { FAIL() << "must not commit"; });
  ASSERT_FALSE(too_large.ok());
  EXPECT_EQ(too_large.status().code(), ErrorCode::message_too_large);

  auto bad_version = opened->log->append(std::vector<MetadataRecord>{MetadataRecord(protocol::TopicRecord{}, 5)}, 1,
                                         [](Status, int64_t, int64_t) { FAIL() << "must not commit"; });
  ASSERT_FALSE(bad_version.ok());
  EXPECT_EQ(opened->log->end_offset(), 0);
}

TEST_F(MetadataLogTest, OpenFailsOnARecordThatDoesNotDecode) {
  {
    auto opened = open(inline_syncs);
    Commit c;
    append(*opened.log, {topic("a", 1)}, 1, c);
    record::RecordBatchBuilder builder(record::BatchOptions{});
    const Bytes garbage = {0x01, 0x63, 0x00};
    builder.append(clock.now_ms(), std::nullopt, garbage);
    Bytes batch;
    ASSERT_FALSE(builder.finish(batch));
    ASSERT_TRUE(opened.log->partition_log().append_as_leader(batch, 1).ok());
    ASSERT_TRUE(opened.log->close().ok());
  }
  auto reopened = MetadataLog::open(*fs, clock, inline_syncs, options());
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), ErrorCode::corrupt_message);
  EXPECT_NE(reopened.status().message().find("offset 1"), std::string::npos) << reopened.status().to_string();
  EXPECT_NE(reopened.status().message().find("unknown metadata record type 99"), std::string::npos);
}

TEST_F(MetadataLogTest, OpenFailsOnARecordThatDoesNotReplay) {
  {
    auto opened = open(inline_syncs);
    Commit c;
    append(*opened.log, {partition(9, 0)}, 1, c);
    ASSERT_TRUE(opened.log->close().ok());
  }
  auto reopened = MetadataLog::open(*fs, clock, inline_syncs, options());
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.status().message().find("replaying the metadata log at offset 0"), std::string::npos)
      << reopened.status().to_string();
}

}  // namespace
}  // namespace gregor::metadata
