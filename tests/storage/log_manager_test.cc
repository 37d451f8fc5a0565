// The log manager: log dirs, checkpoints, the clean-shutdown marker, recovery of every log after
// a crash, partition metadata, deletion and periodic retention.
#include "storage/log_manager.h"

#include <gtest/gtest.h>

#include "common/endian.h"
#include "log_test_util.h"
#include "storage/checkpoint_file.h"
#include "storage/partition_metadata.h"
#include "storage/producer_state.h"
#include "storage/sim_file_system.h"

namespace gregor::storage {
namespace {

using testing::make_batch;
using testing::Rec;

class LogManagerTest : public ::testing::Test {
 protected:
  LogManager::Options options() {
    LogManager::Options o;
    o.log_dirs = {"/disk1/kafka", "/disk2/kafka"};
    o.defaults.message_timestamp_after_max_ms = LogConfig::kLongMax;
    o.defaults.retention_ms = -1;
    o.defaults.segment_bytes = 2048;
    return o;
  }
  std::unique_ptr<LogManager> open() {
    auto m = LogManager::open(fs, clock, syncs, options());
    EXPECT_TRUE(m.ok()) << m.status().to_string();
    return m.ok() ? std::move(*m) : nullptr;
  }
  void produce(Log& log, int batches) {
    for (int b = 0; b < batches; ++b) {
      int first = static_cast<int>(log.log_end_offset());
      Bytes batch = make_batch(5, 1000 + first, first);
      auto r = log.append_as_leader(batch, 0);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      bool durable = false;
      log.when_durable(r->last_offset + 1, [&](Status s) { durable = s.ok(); });
      EXPECT_TRUE(durable);
    }
    log.set_high_watermark(log.log_end_offset());
  }

  SimFileSystem fs;
  ManualClock clock;
  InlineSyncExecutor syncs;
  Uuid orders_id = Uuid::from_halves(0x1234, 0x5678);
};

TEST_F(LogManagerTest, SpreadsPartitionsOverLogDirsAndWritesTheirMetadata) {
  auto m = open();
  for (int p = 0; p < 4; ++p) ASSERT_TRUE(m->get_or_create({"orders", p}, orders_id, options().defaults).ok());
  EXPECT_TRUE(fs.exists("/disk1/kafka/orders-0"));
  EXPECT_TRUE(fs.exists("/disk2/kafka/orders-1"));
  EXPECT_TRUE(fs.exists("/disk1/kafka/orders-2"));
  auto meta = read_partition_metadata(fs, "/disk2/kafka/orders-3");
  ASSERT_TRUE(meta.ok()) << meta.status().to_string();
  EXPECT_EQ(meta->topic_id, orders_id);
  EXPECT_EQ(m->get_or_create({"orders", 0}, Uuid::from_halves(9, 9), options().defaults).status().code(),
            ErrorCode::inconsistent_topic_id);
}

TEST_F(LogManagerTest, CleanShutdownWritesCheckpointsAndTheMarker) {
  {
    auto m = open();
    produce(**m->get_or_create({"orders", 0}, orders_id, options().defaults), 10);
    produce(**m->get_or_create({"orders", 1}, orders_id, options().defaults), 3);
    ASSERT_TRUE(m->shutdown().ok());
  }
  EXPECT_TRUE(fs.exists("/disk1/kafka/.kafka_cleanshutdown"));
  auto points = read_offset_checkpoint(fs, "/disk1/kafka/recovery-point-offset-checkpoint");
  ASSERT_TRUE(points.ok());
  EXPECT_EQ(points->at(TopicPartition{"orders", 0}), 50);
  auto m = open();
  EXPECT_TRUE(m->opened_clean());
  EXPECT_FALSE(fs.exists("/disk1/kafka/.kafka_cleanshutdown"));  // a crash from now on is noticed
  EXPECT_EQ(m->size(), 2u);
  EXPECT_EQ(m->get({"orders", 0})->log_end_offset(), 50);
  EXPECT_EQ(m->get({"orders", 1})->log_end_offset(), 15);
  EXPECT_EQ(m->topic_id({"orders", 1}), orders_id);
  EXPECT_EQ(testing::read_all(*m->get({"orders", 0}), 0).size(), 50u);
}

TEST_F(LogManagerTest, RecoversEveryLogAfterACrash) {
  {
    auto m = open();
    produce(**m->get_or_create({"orders", 0}, orders_id, options().defaults), 10);
    produce(**m->get_or_create({"payments", 0}, Uuid::from_halves(1, 2), options().defaults), 4);
    ASSERT_TRUE(m->write_checkpoints().ok());
    produce(*m->get({"orders", 0}), 2);
    // No shutdown: the process dies here, and so does the power.
  }
  fs.crash(7);
  auto m = open();
  EXPECT_FALSE(m->opened_clean());
  ASSERT_NE(m->get({"orders", 0}), nullptr);
  EXPECT_EQ(m->get({"orders", 0})->log_end_offset(), 60);  // every acknowledged append
  EXPECT_EQ(m->get({"payments", 0})->log_end_offset(), 20);
}

TEST_F(LogManagerTest, RemovedPartitionsGoAfterTheDeleteDelay) {
  auto m = open();
  produce(**m->get_or_create({"orders", 0}, orders_id, options().defaults), 2);
  ASSERT_TRUE(m->remove({"orders", 0}).ok());
  EXPECT_EQ(m->get({"orders", 0}), nullptr);
  EXPECT_FALSE(fs.exists("/disk1/kafka/orders-0"));
  auto names = *fs.list("/disk1/kafka");
  ASSERT_EQ(std::count_if(names.begin(), names.end(), [](const std::string& n) { return n.ends_with("-delete"); }), 1);
  clock.advance(options().defaults.file_delete_delay_ms);
  m->tick();
  m->wait_for_background();  // removals run on the background thread
  names = *fs.list("/disk1/kafka");
  EXPECT_EQ(std::count_if(names.begin(), names.end(), [](const std::string& n) { return n.ends_with("-delete"); }), 0);
  // And a partition of the same name starts afresh.
  auto again = m->get_or_create({"orders", 0}, Uuid::from_halves(3, 4), options().defaults);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->log_end_offset(), 0);
}

TEST_F(LogManagerTest, TickAppliesRetention) {
  auto m = open();
  LogConfig c = options().defaults;
  c.retention_ms = 60'000;
  Log* log = *m->get_or_create({"orders", 0}, orders_id, c);
  for (int b = 0; b < 20; ++b) {
    Bytes batch = make_batch(5, clock.now_ms(), b * 5);
    auto r = log->append_as_leader(batch, 0);
    ASSERT_TRUE(r.ok());
    bool durable = false;
    log->when_durable(r->last_offset + 1, [&](Status s) { durable = s.ok(); });
    EXPECT_TRUE(durable);
  }
  log->set_high_watermark(log->log_end_offset());
  ASSERT_GE(log->segment_count(), 2u);
  clock.advance(300'000);
  m->tick();
  m->wait_for_background();  // removals run on the background thread
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->log_start_offset(), 100);
}

// 200 records over 4 keys in a compacted log, so nearly everything is superseded.
void fill_compacted(Log& log) {
  for (int i = 0; i < 40; ++i) {
    record::RecordBatchBuilder builder({});
    for (int r = 0; r < 5; ++r) {
      std::string key = "group-" + std::to_string(r % 4);
      std::string value = std::to_string(i * 5 + r);
      builder.append(1000 + i, BytesView::of(key), BytesView::of(value));
    }
    Bytes batch;
    ASSERT_FALSE(builder.finish(batch));
    auto appended = log.append_as_leader(batch, 0);
    ASSERT_TRUE(appended.ok()) << appended.status().to_string();
    bool durable = false;
    log.when_durable(appended->last_offset + 1, [&](Status s) { durable = s.ok(); });
    EXPECT_TRUE(durable);
  }
  log.set_high_watermark(log.log_end_offset());
  ASSERT_GE(log.segment_count(), 3u);
}

LogConfig compacted(LogConfig c) {
  c.cleanup_policy_compact = true;
  c.cleanup_policy_delete = false;
  return c;
}

const TopicPartition kOffsets{"__consumer_offsets", 0};

std::optional<int64_t> cleaner_checkpoint(SimFileSystem& fs) {
  auto checkpoint = read_offset_checkpoint(fs, "/disk1/kafka/cleaner-offset-checkpoint");
  if (!checkpoint.ok() || !checkpoint->count(kOffsets)) return std::nullopt;
  return checkpoint->at(kOffsets);
}

void expect_no_cleaned_files(SimFileSystem& fs, const std::string& dir) {
  auto names = fs.list(dir);
  ASSERT_TRUE(names.ok());
  for (const std::string& name : *names) EXPECT_EQ(name.find(".cleaned"), std::string::npos) << name;
}

TEST_F(LogManagerTest, TickCompactsCompactedTopicsAndCheckpointsTheCleanerOffset) {
  LogManager::Options o = options();
  o.cleaner_thread = false;  // tick() runs the whole pass
  auto m = LogManager::open(fs, clock, syncs, o);
  ASSERT_TRUE(m.ok());
  Log* log = *(*m)->get_or_create(kOffsets, orders_id, compacted(o.defaults));
  fill_compacted(*log);
  size_t before = testing::read_all(*log, 0).size();
  (*m)->tick();
  EXPECT_FALSE((*m)->cleaning());
  EXPECT_LT(testing::read_all(*log, 0).size(), before);
  ASSERT_TRUE(cleaner_checkpoint(fs));
  EXPECT_GT(*cleaner_checkpoint(fs), 0);
}

// The producers whose batches a batch header walk finds from offset 0, in order.
std::vector<int64_t> producer_ids_in(Log& log) {
  std::vector<int64_t> ids;
  int64_t offset = log.log_start_offset();
  while (offset < log.log_end_offset()) {
    auto r = log.read(offset, 64 * 1024);
    EXPECT_TRUE(r.ok());
    if (!r.ok() || r->slice.size == 0) break;
    Bytes bytes = testing::slice_bytes(r->slice);
    for (size_t pos = 0; pos + record::v2::kHeaderSize <= bytes.size();) {
      ProducerBatch b = ProducerBatch::from_header(bytes.data() + pos);
      if (b.producer_id >= 0) ids.push_back(b.producer_id);
      offset = b.last_offset() + 1;
      pos += static_cast<size_t>(load_be<int32_t>(bytes.data() + pos + record::v2::kBatchLength)) +
             record::v2::kLogOverhead;
    }
  }
  return ids;
}

TEST_F(LogManagerTest, CompactionKeepsTheLastBatchOfTheProducersTheLogKnows) {
  LogManager::Options o = options();
  o.cleaner_thread = false;
  o.producer_id_expiration_ms = 60'000;
  o.producer_id_expiration_check_interval_ms = 1'000;
  auto m = LogManager::open(fs, clock, syncs, o);
  ASSERT_TRUE(m.ok());
  Log* log = *(*m)->get_or_create(kOffsets, orders_id, compacted(o.defaults));
  // Two idempotent producers write group-0 once each, 30 s apart; then everything is superseded.
  for (int64_t id : {5, 6}) {
    record::BatchOptions options;
    options.producer_id = id;
    options.producer_epoch = 0;
    options.base_sequence = 0;
    record::RecordBatchBuilder builder(options);
    builder.append(clock.now_ms(), BytesView::of("group-0"), BytesView::of("idempotent"));
    Bytes batch;
    ASSERT_FALSE(builder.finish(batch));
    ASSERT_TRUE(log->append_as_leader(batch, 0).ok());
    clock.advance(30'000);
  }
  fill_compacted(*log);
  ASSERT_EQ(producer_ids_in(*log), (std::vector<int64_t>{5, 6}));
  // Producer 5 has been idle for producer.id.expiration.ms, producer 6 not yet.
  clock.advance(5'000);
  (*m)->tick();
  auto cleaned = (*m)->clean_one();
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().to_string();
  EXPECT_EQ(log->producer_state().find(5), nullptr);
  ASSERT_NE(log->producer_state().find(6), nullptr);
  // Its records superseded, producer 6's batch stays (empty) so its sequence survives; producer 5's goes.
  EXPECT_EQ(producer_ids_in(*log), (std::vector<int64_t>{6}));
}

TEST_F(LogManagerTest, ThePassReadsAndWritesOnTheCleanerThreadWhileAppendsGoOn) {
  auto m = open();
  Log* log = *m->get_or_create(kOffsets, orders_id, compacted(options().defaults));
  fill_compacted(*log);
  std::vector<Rec> before = testing::read_all(*log, 0);
  m->tick();
  // Its owner steps wait for tick(), so the pass is still in progress here, whatever the
  // cleaner thread has done meanwhile; the log takes appends all the same.
  ASSERT_EQ(m->cleaning(), kOffsets);
  produce(*log, 3);
  auto finished = m->clean_one();
  ASSERT_TRUE(finished.ok()) << finished.status().to_string();
  EXPECT_TRUE(*finished);
  EXPECT_FALSE(m->cleaning());
  std::vector<Rec> after = testing::read_all(*log, 0);
  EXPECT_LT(after.size(), before.size() + 15);
  // The latest value of every key survives, and so does everything appended during the pass.
  std::map<std::string, std::string> latest_before, latest_after;
  for (const Rec& r : before) latest_before[r.key] = r.value;
  for (const Rec& r : after) {
    if (r.offset < before.back().offset + 1) latest_after[r.key] = r.value;
  }
  EXPECT_EQ(latest_after, latest_before);
  ASSERT_GE(after.size(), 15u);
  EXPECT_EQ(std::vector<Rec>(after.end() - 15, after.end()), testing::read_all(*log, before.back().offset + 1));
  EXPECT_EQ(after.back().offset, log->log_end_offset() - 1);
  ASSERT_TRUE(cleaner_checkpoint(fs));
}

TEST_F(LogManagerTest, TruncationDuringAPassMakesTheSwapRefuseAndKeepsTheCheckpoint) {
  auto m = open();
  Log* log = *m->get_or_create(kOffsets, orders_id, compacted(options().defaults));
  fill_compacted(*log);
  m->tick();
  ASSERT_EQ(m->cleaning(), kOffsets);
  // A follower truncating into the segments being cleaned: the cleaned copy is now wrong.
  ASSERT_TRUE(log->truncate_to(12).ok());
  std::vector<Rec> truncated = testing::read_all(*log, 0);
  auto finished = m->clean_one();
  EXPECT_FALSE(finished.ok());
  EXPECT_FALSE(m->cleaning());
  EXPECT_EQ(testing::read_all(*log, 0), truncated);
  EXPECT_FALSE(cleaner_checkpoint(fs));
  expect_no_cleaned_files(fs, log->dir());
}

TEST_F(LogManagerTest, PausingAbortsThePassAndKeepsThePartitionOutUntilResumed) {
  auto m = open();
  Log* log = *m->get_or_create(kOffsets, orders_id, compacted(options().defaults));
  fill_compacted(*log);
  size_t before = testing::read_all(*log, 0).size();
  m->tick();
  ASSERT_EQ(m->cleaning(), kOffsets);
  m->pause_cleaning(kOffsets);
  EXPECT_FALSE(m->cleaning());
  expect_no_cleaned_files(fs, log->dir());
  clock.advance(options().cleaner_backoff_ms);
  m->tick();
  EXPECT_FALSE(m->cleaning());
  auto none = m->clean_one();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  EXPECT_EQ(testing::read_all(*log, 0).size(), before);
  m->resume_cleaning(kOffsets);
  auto cleaned = m->clean_one();
  ASSERT_TRUE(cleaned.ok());
  EXPECT_TRUE(*cleaned);
  EXPECT_LT(testing::read_all(*log, 0).size(), before);
}

TEST_F(LogManagerTest, RemovingOrShuttingDownAbortsThePass) {
  auto m = open();
  Log* log = *m->get_or_create(kOffsets, orders_id, compacted(options().defaults));
  fill_compacted(*log);
  m->tick();
  ASSERT_EQ(m->cleaning(), kOffsets);
  ASSERT_TRUE(m->remove(kOffsets).ok());
  EXPECT_FALSE(m->cleaning());

  Log* other = *m->get_or_create({"__consumer_offsets", 1}, orders_id, compacted(options().defaults));
  fill_compacted(*other);
  clock.advance(options().cleaner_backoff_ms);
  m->tick();
  ASSERT_EQ(m->cleaning(), (TopicPartition{"__consumer_offsets", 1}));
  std::string dir = other->dir();
  ASSERT_TRUE(m->shutdown().ok());
  EXPECT_FALSE(m->cleaning());
  expect_no_cleaned_files(fs, dir);
  EXPECT_TRUE(fs.exists("/disk1/kafka/.kafka_cleanshutdown"));
}

TEST_F(LogManagerTest, ManagersPerCoreSplitTheDirsAndTheirCheckpointsAreGathered) {
  auto open_shard = [&](int shard) {
    LogManager::Options o = options();
    o.owns = [shard](const TopicPartition& tp) { return tp.partition % 2 == shard; };
    o.manage_dir_files = false;
    auto m = LogManager::open(fs, clock, syncs, o);
    EXPECT_TRUE(m.ok()) << m.status().to_string();
    return std::move(*m);
  };
  {
    auto even = open_shard(0);
    auto odd = open_shard(1);
    for (int p = 0; p < 4; ++p) {
      LogManager& m = p % 2 == 0 ? *even : *odd;
      produce(**m.get_or_create({"orders", p}, orders_id, options().defaults), p + 1);
    }
    ASSERT_TRUE(even->shutdown().ok());
    ASSERT_TRUE(odd->shutdown().ok());
    // Neither wrote the dir files: the gatherer does.
    EXPECT_FALSE(fs.exists("/disk1/kafka/.kafka_cleanshutdown"));
    for (const std::string& dir : options().log_dirs) {
      LogManager::DirCheckpoints c = even->checkpoints(dir);
      c.merge(odd->checkpoints(dir));
      ASSERT_TRUE(write_dir_checkpoints(fs, dir, c).ok());
      ASSERT_TRUE(write_clean_shutdown_marker(fs, dir).ok());
    }
  }
  auto even = open_shard(0);
  auto odd = open_shard(1);
  EXPECT_TRUE(even->opened_clean());
  EXPECT_EQ(even->partitions(), (std::vector<TopicPartition>{{"orders", 0}, {"orders", 2}}));
  EXPECT_EQ(odd->partitions(), (std::vector<TopicPartition>{{"orders", 1}, {"orders", 3}}));
  for (int p = 0; p < 4; ++p) {
    Log* log = (p % 2 == 0 ? *even : *odd).get({"orders", p});
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->log_end_offset(), 5 * (p + 1));
    EXPECT_EQ(log->recovery_point(), 5 * (p + 1));
  }
  // The marker stays until the gatherer removes it, once every manager has opened.
  EXPECT_TRUE(fs.exists("/disk1/kafka/.kafka_cleanshutdown"));
  ASSERT_TRUE(remove_clean_shutdown_marker(fs, "/disk1/kafka").ok());
  EXPECT_FALSE(fs.exists("/disk1/kafka/.kafka_cleanshutdown"));
}

TEST(PartitionDirNames, ParseAsKafkaDoes) {
  EXPECT_EQ(parse_partition_dir("orders-3"), (TopicPartition{"orders", 3}));
  EXPECT_EQ(parse_partition_dir("my-topic-12"), (TopicPartition{"my-topic", 12}));
  EXPECT_EQ(parse_partition_dir("orders"), std::nullopt);
  EXPECT_EQ(parse_partition_dir("orders-x"), std::nullopt);
  EXPECT_EQ(parse_partition_dir("-3"), std::nullopt);
  EXPECT_EQ(parse_partition_dir("orders-3.0123abcd-delete"), std::nullopt);
  EXPECT_EQ(parse_partition_dir("orders-3.0123abcd-future"), std::nullopt);
}

}  // namespace
}  // namespace gregor::storage
