// The partition log: append, read, roll, lookups by offset and time, recovery, truncation,
// retention, group commit and failures, on the simulated file system and on the real one.
#include "storage/log.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <functional>

#include "log_test_util.h"
#include "storage/posix_file_system.h"
#include "storage/sim_file_system.h"

namespace gregor::storage {
namespace {

using testing::make_batch;
using testing::read_all;
using testing::Rec;

class LogTest : public ::testing::Test {
 protected:
  LogConfig config() {
    LogConfig c;
    c.message_timestamp_after_max_ms = LogConfig::kLongMax;
    c.retention_ms = -1;
    return c;
  }

  // On the fixture's file system unless on says otherwise (tests that crash one per attempt).
  std::unique_ptr<Log> open(LogConfig c, bool clean = false, int64_t recovery_point = 0, int64_t log_start = 0,
                            SimFileSystem* on = nullptr) {
    Log::Options o;
    o.dir = "/data/topic-0";
    o.config = c;
    o.clean_shutdown = clean;
    o.recovery_point = recovery_point;
    o.log_start_offset = log_start;
    auto log = Log::open(on ? *on : fs, clock, syncs, o);
    EXPECT_TRUE(log.ok()) << log.status().to_string();
    return log.ok() ? std::move(*log) : nullptr;
  }

  // For each crash point among the first operations of operation and a few ways the crash treats unsynced data:
  // fills a fresh file system's log with records 0..99 in several segments, runs operation until the crash point,
  // and hands the log recovered from scratch to check.
  void crash_anywhere_in(const std::function<void(Log&)>& operation, const std::function<void(Log&)>& check) {
    LogConfig c = config();
    c.segment_bytes = 1024;
    for (uint64_t crash_after = 0; crash_after < 30; ++crash_after) {
      for (uint64_t seed = 0; seed < 4; ++seed) {
        SCOPED_TRACE("crash after " + std::to_string(crash_after) + " operations, seed " + std::to_string(seed));
        SimFileSystem sim;
        {
          auto log = open(c, false, 0, 0, &sim);
          for (int b = 0; b < 20; ++b) append(*log, 5, b * 5, 1000 + b * 5);
          sim.set_crash_after(crash_after);
          operation(*log);
        }
        sim.clear_crash_after();
        sim.crash(seed);
        auto log = open(c, false, 0, 0, &sim);
        ASSERT_TRUE(log);
        check(*log);
      }
    }
  }

  // Appends one batch of count records as leader and waits for it to be durable.
  AppendResult append(Log& log, int count, int first, int64_t ts = 1000, size_t value_size = 0,
                      record::Compression codec = record::Compression::none) {
    Bytes b = make_batch(count, ts, first, codec, value_size);
    auto r = log.append_as_leader(b, 3);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok()) return {};
    if (r->sync_required) {
      Status durable(ErrorCode::unknown_server_error, "not called");
      log.when_durable(r->last_offset + 1, [&](Status s) { durable = s; });
      EXPECT_TRUE(durable.ok()) << durable.to_string();
    }
    return *r;
  }

  std::vector<Rec> expected(int from, int to, int64_t ts = 1000) {
    std::vector<Rec> out;
    for (int i = from; i < to; ++i) out.push_back(Rec{i, ts + i, "k" + std::to_string(i), "v" + std::to_string(i)});
    return out;
  }

  SimFileSystem fs;
  ManualClock clock{1'700'000'000'000};
  InlineSyncExecutor syncs;
};


TEST_F(LogTest, AppendAssignsOffsetsAndReadsBack) {
  auto log = open(config());
  for (int b = 0; b < 5; ++b) {
    AppendResult r = append(*log, 10, b * 10, 1000 + b * 10);
    EXPECT_EQ(r.base_offset, b * 10);
    EXPECT_EQ(r.last_offset, b * 10 + 9);
    EXPECT_EQ(r.log_append_time, -1);
    EXPECT_TRUE(r.sync_required);  // durable by default
  }
  EXPECT_EQ(log->log_end_offset(), 50);
  EXPECT_EQ(log->durable_offset(), 50);
  EXPECT_EQ(read_all(*log, 0), expected(0, 50));
  EXPECT_EQ(read_all(*log, 23), expected(23, 50));
  EXPECT_EQ(log->leader_epochs().latest_epoch(), 3);
}

TEST_F(LogTest, ReadsWholeBatchesUpToTheLimitButAlwaysOne) {
  auto log = open(config());
  for (int b = 0; b < 4; ++b) append(*log, 10, b * 10, 1000 + b * 10, 100);
  auto first = log->read(0, 1);
  ASSERT_TRUE(first.ok());
  auto one = testing::records_of(testing::slice_bytes(first->slice));
  ASSERT_EQ(one.size(), 10u);  // the first batch even though it is larger than 1 byte

  uint32_t first_size = first->slice.size;
  uint32_t second_size = log->read(10, 1)->slice.size;
  auto two = log->read(0, first_size + second_size + second_size / 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->slice.size, first_size + second_size);  // never a partial batch

  auto none = log->read(0, 1, ReadLimit::log_end, /*min_one=*/false);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->slice.size, 0u);
}

TEST_F(LogTest, ReadsStopAtTheHighWatermarkAndRejectOffsetsOutOfRange) {
  auto log = open(config());
  for (int b = 0; b < 3; ++b) append(*log, 10, b * 10, 1000 + b * 10);
  log->set_high_watermark(20);
  EXPECT_EQ(read_all(*log, 0, ReadLimit::high_watermark), expected(0, 20));
  auto at_hw = log->read(20, 1 << 20, ReadLimit::high_watermark);
  ASSERT_TRUE(at_hw.ok());
  EXPECT_EQ(at_hw->slice.size, 0u);
  EXPECT_EQ(at_hw->high_watermark, 20);
  auto at_end = log->read(30, 1 << 20);
  ASSERT_TRUE(at_end.ok());
  EXPECT_EQ(at_end->slice.size, 0u);
  EXPECT_EQ(log->read(31, 100).status().code(), ErrorCode::offset_out_of_range);
  EXPECT_EQ(log->read(-1, 100).status().code(), ErrorCode::offset_out_of_range);
}

TEST_F(LogTest, RollsOnSegmentBytesAndReadsAcrossSegments) {
  LogConfig c = config();
  c.segment_bytes = 4096;
  c.index_interval_bytes = 256;
  auto log = open(c);
  for (int b = 0; b < 40; ++b) append(*log, 5, b * 5, 1000 + b * 5, 50);
  EXPECT_GE(log->segment_count(), 4u);
  for (const Segment* s : log->segments()) EXPECT_LE(s->size(), 4096u);
  auto all = read_all(*log, 0, ReadLimit::log_end, 700);
  ASSERT_EQ(all.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(all[i].offset, i);
  // Every offset reads back from its own batch, through the index.
  for (int64_t o = 0; o < 200; o += 7) {
    auto r = log->read(o, 1);
    ASSERT_TRUE(r.ok());
    auto recs = testing::records_of(testing::slice_bytes(r->slice));
    ASSERT_FALSE(recs.empty());
    EXPECT_LE(recs.front().offset, o);
    EXPECT_GE(recs.back().offset, o);
  }
  // Rolled segments were flushed whole: the recovery point followed.
  EXPECT_EQ(log->recovery_point(), log->segments().back()->base_offset());
}

TEST_F(LogTest, RollsOnSegmentMsCountedFromTheFirstBatchTimestamp) {
  LogConfig c = config();
  c.segment_ms = 1000;
  auto log = open(c);
  append(*log, 1, 0, 5000);
  append(*log, 1, 1, 5500);
  EXPECT_EQ(log->segment_count(), 1u);
  append(*log, 1, 2, 6001);  // 1001 ms after the first batch's timestamp
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_EQ(log->segments().back()->base_offset(), 2);
}

TEST_F(LogTest, FindsOffsetsByTimestamp) {
  LogConfig c = config();
  c.segment_bytes = 2048;
  c.index_interval_bytes = 100;
  auto log = open(c);
  for (int b = 0; b < 30; ++b) append(*log, 4, b * 4, 1000 + b * 4);  // record i: timestamp 1000 + i
  for (int64_t target : {0, 1000, 1001, 1037, 1100, 1119}) {
    auto found = log->offset_for_timestamp(target);
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value()) << target;
    int64_t want = std::max<int64_t>(0, target - 1000);
    EXPECT_EQ((*found)->offset, want) << target;
    EXPECT_EQ((*found)->timestamp, 1000 + want);
    EXPECT_EQ((*found)->leader_epoch, 3);
  }
  auto beyond = log->offset_for_timestamp(1120);
  ASSERT_TRUE(beyond.ok());
  EXPECT_FALSE(beyond->has_value());
  EXPECT_EQ((*log->offset_for_timestamp(kEarliestTimestamp))->offset, 0);
  EXPECT_EQ((*log->offset_for_timestamp(kLatestTimestamp))->offset, 120);
  auto max = log->offset_for_timestamp(kMaxTimestamp);
  ASSERT_TRUE(max.ok() && max->has_value());
  EXPECT_EQ((*max)->offset, 119);
  EXPECT_EQ((*max)->timestamp, 1119);
}

TEST_F(LogTest, FindsOffsetsByTimestampInCompressedBatches) {
  auto log = open(config());
  for (int b = 0; b < 5; ++b) append(*log, 10, b * 10, 1000 + b * 10, 0, record::Compression::lz4);
  auto found = log->offset_for_timestamp(1025);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->offset, 25);
  EXPECT_EQ(read_all(*log, 0), expected(0, 50));
}

TEST_F(LogTest, LogAppendTimeStampsTheBrokerTime) {
  LogConfig c = config();
  c.message_timestamp_type = record::TimestampType::log_append_time;
  auto log = open(c);
  AppendResult r = append(*log, 3, 0, 5);
  EXPECT_EQ(r.log_append_time, clock.now_ms());
  for (const Rec& rec : read_all(*log, 0)) EXPECT_EQ(rec.timestamp, clock.now_ms());
}

TEST_F(LogTest, RejectsInvalidBatchesWithKafkasErrorCodes) {
  LogConfig c = config();
  c.max_message_bytes = 2000;
  c.message_timestamp_before_max_ms = 60'000;
  auto log = open(c);
  Bytes corrupt = make_batch(2, 1000);
  corrupt.back() ^= 1;
  EXPECT_EQ(log->append_as_leader(corrupt, 0).status().code(), ErrorCode::corrupt_message);

  Bytes big = make_batch(1, clock.now_ms(), 0, record::Compression::none, 3000);
  EXPECT_EQ(log->append_as_leader(big, 0).status().code(), ErrorCode::message_too_large);

  // Records 1 and 2 are too old: each is reported with its index in the batch, as Produce v8+ does.
  Bytes old;
  {
    record::RecordBatchBuilder builder({});
    builder.append(clock.now_ms(), BytesView::of("k"), BytesView::of("v"));
    builder.append(clock.now_ms() - 120'000, BytesView::of("k"), BytesView::of("v"));
    builder.append(clock.now_ms() - 130'000, BytesView::of("k"), BytesView::of("v"));
    ASSERT_FALSE(builder.finish(old));
  }
  std::vector<RecordError> record_errors;
  auto r = log->append_as_leader(old, 0, &record_errors);
  EXPECT_EQ(r.status().code(), ErrorCode::invalid_timestamp);
  EXPECT_EQ(r.status().message(), "One or more records have been rejected due to invalid timestamp");
  ASSERT_EQ(record_errors.size(), 2u);
  EXPECT_EQ(record_errors[0].batch_index, 1);
  EXPECT_EQ(record_errors[1].batch_index, 2);
  EXPECT_NE(record_errors[0].message.find("of message with offset 1 is out of range"), std::string::npos)
      << record_errors[0].message;

  Bytes two = make_batch(1, clock.now_ms());
  Bytes second = make_batch(1, clock.now_ms());
  two.insert(two.end(), second.begin(), second.end());
  EXPECT_EQ(log->append_as_leader(two, 0).status().code(), ErrorCode::invalid_record);

  Bytes partial = make_batch(2, clock.now_ms());
  partial.pop_back();
  EXPECT_EQ(log->append_as_leader(partial, 0).status().code(), ErrorCode::corrupt_message);

  EXPECT_EQ(log->log_end_offset(), 0);  // nothing was written
}

TEST_F(LogTest, CompactedTopicsNeedKeys) {
  LogConfig c = config();
  c.cleanup_policy_compact = true;
  auto log = open(c);
  Bytes keyless = make_batch(2, clock.now_ms(), 0, record::Compression::none, 0, /*with_keys=*/false);
  std::vector<RecordError> record_errors;
  auto refused = log->append_as_leader(keyless, 0, &record_errors);
  EXPECT_EQ(refused.status().code(), ErrorCode::invalid_record);
  EXPECT_EQ(refused.status().message(),
            "One or more records have been rejected due to 2 record errors in total, and only showing the first three "
            "errors at most: [RecordError(batchIndex=0, message='Compacted topic cannot accept message without key'), "
            "RecordError(batchIndex=1, message='Compacted topic cannot accept message without key')]");
  EXPECT_EQ(record_errors, (std::vector<RecordError>{{0, "Compacted topic cannot accept message without key"},
                                                     {1, "Compacted topic cannot accept message without key"}}));
  Bytes keyed = make_batch(2, clock.now_ms());
  EXPECT_TRUE(log->append_as_leader(keyed, 0).ok());
}

TEST_F(LogTest, ReopensAfterACleanShutdownWithoutRecovery) {
  LogConfig c = config();
  c.segment_bytes = 2048;
  {
    auto log = open(c);
    for (int b = 0; b < 20; ++b) append(*log, 5, b * 5, 1000 + b * 5);
    ASSERT_TRUE(log->close().ok());
  }
  auto log = open(c, /*clean=*/true, 100);
  EXPECT_EQ(log->log_end_offset(), 100);
  EXPECT_EQ(log->recovery_report(), "");
  EXPECT_EQ(read_all(*log, 0), expected(0, 100));
  append(*log, 5, 100, 1100);
  EXPECT_EQ(read_all(*log, 95), expected(95, 105));
}

TEST_F(LogTest, LazilyOpenedSegmentsHonourTheHighWatermarkAndTruncation) {
  LogConfig c = config();
  c.segment_bytes = 1024;
  {
    auto log = open(c);
    for (int b = 0; b < 20; ++b) append(*log, 5, b * 5, 1000 + b * 5);
    ASSERT_GE(log->segment_count(), 3u);
    ASSERT_TRUE(log->close().ok());
  }
  auto log = open(c, /*clean=*/true, 100);
  // A high watermark inside the first segment, whose tail was never read on open.
  log->set_high_watermark(12);
  auto r = log->read(0, 1 << 20, ReadLimit::high_watermark);
  ASSERT_TRUE(r.ok());
  auto recs = testing::records_of(testing::slice_bytes(r->slice));
  ASSERT_FALSE(recs.empty());
  EXPECT_LT(recs.back().offset, 12);
  // Truncating into it makes it the active segment again, ready for appends.
  ASSERT_TRUE(log->truncate_to(15).ok());
  EXPECT_EQ(log->log_end_offset(), 15);
  EXPECT_EQ(append(*log, 5, 15, 1015).base_offset, 15);
  EXPECT_EQ(read_all(*log, 0), expected(0, 20));
}

TEST_F(LogTest, RecoveryTruncatesATornTailAndRebuildsIndexes) {
  LogConfig c = config();
  c.index_interval_bytes = 64;
  {
    auto log = open(c);
    for (int b = 0; b < 10; ++b) append(*log, 5, b * 5, 1000 + b * 5);
    ASSERT_TRUE(log->close().ok());
  }
  // A torn write: half a batch after the last whole one; and a lost index.
  auto file = fs.open("/data/topic-0/00000000000000000000.log", OpenMode::read_write);
  ASSERT_TRUE(file.ok());
  uint64_t size = *(*file)->size();
  Bytes half = make_batch(5, 2000);
  half.resize(half.size() / 2);
  ASSERT_TRUE((*file)->write_at(size, half).ok());
  ASSERT_TRUE(fs.remove("/data/topic-0/00000000000000000000.index").ok());

  auto log = open(c, /*clean=*/false, 0);
  EXPECT_EQ(log->log_end_offset(), 50);
  EXPECT_NE(log->recovery_report().find("partial batch"), std::string::npos) << log->recovery_report();
  EXPECT_EQ(*(*fs.open("/data/topic-0/00000000000000000000.log", OpenMode::read_only))->size(), size);
  EXPECT_GT(log->segments().front()->offset_index().entries(), 0u);
  EXPECT_EQ(read_all(*log, 0), expected(0, 50));
  EXPECT_EQ(read_all(*log, 33), expected(33, 50));
}

TEST_F(LogTest, RecoveryStopsAtACorruptBatchAndDropsLaterSegments) {
  LogConfig c = config();
  c.segment_bytes = 1024;
  {
    auto log = open(c);
    for (int b = 0; b < 20; ++b) append(*log, 5, b * 5, 1000 + b * 5);
    ASSERT_GE(log->segment_count(), 3u);
    ASSERT_TRUE(log->close().ok());
  }
  // Flip a byte inside the first batch of the second segment.
  auto names = fs.list("/data/topic-0");
  std::vector<std::string> logs;
  for (const auto& n : *names) {
    if (n.size() > 4 && n.substr(n.size() - 4) == ".log") logs.push_back(n);
  }
  std::sort(logs.begin(), logs.end());
  std::string victim = "/data/topic-0/" + logs[1];
  int64_t victim_base = std::stoll(logs[1].substr(0, 20));
  auto file = *fs.open(victim, OpenMode::read_write);
  Bytes byte(1);
  ASSERT_TRUE(file->read_at(70, byte).ok());
  byte[0] ^= 0xff;
  ASSERT_TRUE(file->write_at(70, byte).ok());

  auto log = open(c, /*clean=*/false, 0);
  EXPECT_EQ(log->log_end_offset(), victim_base);
  EXPECT_NE(log->recovery_report().find("CRC"), std::string::npos) << log->recovery_report();
  EXPECT_EQ(read_all(*log, 0), expected(0, static_cast<int>(victim_base)));
  // The log goes on from there.
  append(*log, 5, static_cast<int>(victim_base), 1000 + victim_base);
  EXPECT_EQ(read_all(*log, 0), expected(0, static_cast<int>(victim_base) + 5));
}

TEST_F(LogTest, TruncateToRemovesWholeBatchesFromTheOffsetOn) {
  LogConfig c = config();
  c.segment_bytes = 1024;
  auto log = open(c);
  for (int b = 0; b < 20; ++b) append(*log, 5, b * 5, 1000 + b * 5);
  ASSERT_TRUE(log->truncate_to(42).ok());  // inside the batch 40..44
  EXPECT_EQ(log->log_end_offset(), 42);
  EXPECT_EQ(read_all(*log, 0), expected(0, 40));
  AppendResult r = append(*log, 3, 42, 1042);
  EXPECT_EQ(r.base_offset, 42);
  auto recs = read_all(*log, 38);
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[2].offset, 42);

  ASSERT_TRUE(log->truncate_fully_and_start_at(500).ok());
  EXPECT_EQ(log->log_start_offset(), 500);
  EXPECT_EQ(log->log_end_offset(), 500);
  EXPECT_EQ(append(*log, 1, 500, 1500).base_offset, 500);
}

// A crash anywhere in truncate_to, or after the batches appended next are acknowledged, leaves a prefix of the log
// before the truncation, or the truncated log and a prefix of what followed: never a gap, nor records it removed.
TEST_F(LogTest, ACrashInOrAfterATruncationLeavesAPrefixOfTheLogBeforeOrAfterIt) {
  bool acknowledged = false;
  crash_anywhere_in(
      [&](Log& log) {
        acknowledged = false;
        ASSERT_GE(log.segment_count(), 3u);
        if (!log.truncate_to(10).ok()) return;
        Bytes b = make_batch(5, 2000, 1000);  // new contents, told apart from the records truncated away
        auto r = log.append_as_leader(b, 3);
        if (r.ok()) log.when_durable(r->last_offset + 1, [&](Status s) { acknowledged = s.ok(); });
      },
      [&](Log& log) {
        std::vector<Rec> got = read_all(log, 0);
        ASSERT_EQ(static_cast<int64_t>(got.size()), log.log_end_offset());
        std::vector<Rec> want = expected(0, std::min<int>(10, static_cast<int>(got.size())));
        if (got.size() > 10 && got[10].key == "k1000") {
          for (int i = 10; i < static_cast<int>(got.size()); ++i) {
            want.push_back(Rec{i, 2000 + i - 10, "k" + std::to_string(990 + i), "v" + std::to_string(990 + i)});
          }
        } else if (got.size() > 10) {
          want = expected(0, static_cast<int>(got.size()));
        }
        EXPECT_EQ(got, want);
        if (acknowledged) {
          EXPECT_EQ(log.log_end_offset(), 15);
        }
      });
}

// The same for truncate_fully_and_start_at: a crash leaves the old log's records (all or the later ones), or the
// new empty log; never the new log end behind old records.
TEST_F(LogTest, ACrashInTruncateFullyLeavesTheOldRecordsOrTheNewEmptyLog) {
  crash_anywhere_in([](Log& log) { (void)log.truncate_fully_and_start_at(500); },
                    [&](Log& log) {
                      int64_t start = log.log_start_offset(), end = log.log_end_offset();
                      if (end == 500) {
                        EXPECT_EQ(start, 500);
                      } else {
                        EXPECT_LE(end, 100);
                        EXPECT_EQ(read_all(log, start), expected(static_cast<int>(start), static_cast<int>(end)));
                      }
                    });
}

// A roll right at the truncation point (by time here) while the cut segment is not yet synced nor its indexes
// rewritten: after a crash the old segment must neither still hold the offsets it gave up nor be trusted with its
// stale indexes.
TEST_F(LogTest, ARollAtTheTruncationPointSurvivesACrash) {
  LogConfig c = config();
  c.index_interval_bytes = 64;
  c.segment_ms = 1000;
  c.flush_messages = 1000;  // nothing is synced after the truncation
  for (uint64_t seed = 0; seed < 8; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    SimFileSystem sim;
    int64_t checkpointed = 0;
    {
      auto log = open(c, false, 0, 0, &sim);
      for (int b = 0; b < 20; ++b) append(*log, 5, b * 5, clock.now_ms() + b * 5);
      ASSERT_TRUE(log->flush().ok());
      ASSERT_TRUE(log->truncate_to(55).ok());
      checkpointed = log->recovery_point();  // as the owner checkpoints after a truncation
      clock.advance(2000);
      Bytes b = make_batch(5, clock.now_ms(), 900);
      // Rolls at 55; the new leader epoch's checkpoint syncs the directory, so the new segment survives.
      ASSERT_TRUE(log->append_as_leader(b, 7).ok());
      ASSERT_EQ(log->segment_count(), 2u);
    }
    sim.crash(seed);
    auto log = open(c, false, checkpointed, 0, &sim);
    ASSERT_TRUE(log);
    std::vector<Rec> got = read_all(*log, 0);
    ASSERT_EQ(static_cast<int64_t>(got.size()), log->log_end_offset());
    ASSERT_GE(got.size(), 55u);
    EXPECT_EQ(std::vector<Rec>(got.begin(), got.begin() + 55), expected(0, 55, clock.now_ms() - 2000));
    for (size_t i = 55; i < got.size(); ++i) EXPECT_EQ(got[i].key, "k" + std::to_string(845 + i));
    EXPECT_TRUE(log->load_segment_tails().ok());
    auto found = log->offset_for_timestamp(got[40].timestamp);
    ASSERT_TRUE(found.ok()) << found.status().to_string();
    EXPECT_EQ((*found)->offset, 40);
  }
}

TEST_F(LogTest, DeleteRecordsMovesTheLogStartAndDropsSegments) {
  LogConfig c = config();
  c.segment_bytes = 1024;
  c.file_delete_delay_ms = 1000;
  auto log = open(c);
  for (int b = 0; b < 20; ++b) append(*log, 5, b * 5, 1000 + b * 5);
  log->set_high_watermark(100);
  size_t segments = log->segment_count();
  EXPECT_EQ(log->delete_records_before(101).status().code(), ErrorCode::offset_out_of_range);
  auto start = log->delete_records_before(57);
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(*start, 57);
  EXPECT_LT(log->segment_count(), segments);
  EXPECT_LE(log->segments().front()->base_offset(), 57);
  EXPECT_EQ(log->read(56, 100).status().code(), ErrorCode::offset_out_of_range);
  EXPECT_EQ(read_all(*log, 57), expected(57, 100));
  // The files are renamed at once and removed after file.delete.delay.ms.
  auto names = *fs.list("/data/topic-0");
  EXPECT_TRUE(std::any_of(names.begin(), names.end(), [](const std::string& n) { return n.ends_with(".log.deleted"); }));
  clock.advance(1000);
  ASSERT_TRUE(log->delete_expired_files().ok());
  names = *fs.list("/data/topic-0");
  EXPECT_FALSE(std::any_of(names.begin(), names.end(), [](const std::string& n) { return n.ends_with(".deleted"); }));
}

TEST_F(LogTest, RetentionByBytesAndByTime) {
  LogConfig c = config();
  c.segment_bytes = 1024;
  c.retention_bytes = 2048;
  auto log = open(c);
  for (int b = 0; b < 30; ++b) append(*log, 5, b * 5, clock.now_ms() + b);
  log->set_high_watermark(150);
  auto deleted = log->apply_retention();
  ASSERT_TRUE(deleted.ok());
  EXPECT_GT(*deleted, 0);
  EXPECT_LE(log->size_bytes(), 2048u + 1024u);
  EXPECT_EQ(log->log_start_offset(), log->segments().front()->base_offset());

  LogConfig t = config();
  t.segment_bytes = 1024;
  t.retention_ms = 60'000;
  log->update_config(t);
  clock.advance(61'000);
  deleted = log->apply_retention();
  ASSERT_TRUE(deleted.ok());
  EXPECT_GT(*deleted, 0);
  // Everything expired: a fresh empty segment at the log end remains.
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->log_start_offset(), 150);
  EXPECT_EQ(append(*log, 1, 150, clock.now_ms()).base_offset, 150);
}

TEST_F(LogTest, RetentionNeverDeletesAnEmptyActiveSegment) {
  auto log = open(config());
  // An empty log lies wholly below its log start, yet its only segment must stay.
  auto deleted = log->apply_retention();
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 0);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(append(*log, 5, 0).base_offset, 0);
  // Likewise once DeleteRecords moved the log start to the log end: retention rolls a fresh segment there, and the
  // next pass keeps it.
  log->set_high_watermark(5);
  ASSERT_TRUE(log->delete_records_before(5).ok());
  ASSERT_TRUE(log->apply_retention().ok());
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(append(*log, 5, 5, 1005).base_offset, 5);
  EXPECT_EQ(read_all(*log, 5), expected(5, 10));
}

TEST_F(LogTest, ReopensEmptyAtACheckpointedLogStartBeyondTheLogEnd) {
  // DeleteRecords may move the log start up to the high watermark, which replication can run ahead of the disk: a
  // crash may then leave the log ending below its checkpointed log start.
  {
    auto log = open(config());
    append(*log, 10, 0);
    ASSERT_TRUE(log->close().ok());
  }
  {
    auto log = open(config(), /*clean=*/false, 10, /*log_start=*/15);
    EXPECT_EQ(log->log_start_offset(), 15);  // never back: the offsets below were handed out and deleted
    EXPECT_EQ(log->log_end_offset(), 15);
    EXPECT_EQ(log->read(14, 100).status().code(), ErrorCode::offset_out_of_range);
    EXPECT_EQ(append(*log, 5, 15, 1015).base_offset, 15);
  }
  auto log = open(config(), /*clean=*/false, 15, /*log_start=*/15);
  EXPECT_EQ(log->log_start_offset(), 15);
  EXPECT_EQ(read_all(*log, 15), expected(15, 20));
}

TEST_F(LogTest, GroupCommitSharesOneSyncBetweenWaitingAppends) {
  ThreadSyncExecutor threaded;
  Log::Options o;
  o.dir = "/data/topic-0";
  o.config = config();
  auto opened = Log::open(fs, clock, threaded, o);
  ASSERT_TRUE(opened.ok());
  auto& log = **opened;
  uint64_t syncs_before = fs.sync_count();
  int acknowledged = 0;
  for (int i = 0; i < 50; ++i) {
    Bytes b = make_batch(1, 1000 + i, i);
    auto r = log.append_as_leader(b, 0);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->sync_required);
    log.when_durable(r->last_offset + 1, [&](Status s) {
      EXPECT_TRUE(s.ok());
      ++acknowledged;
    });
  }
  while (acknowledged < 50) threaded.run_completions(/*wait=*/true);
  EXPECT_EQ(log.durable_offset(), 50);
  // The first sync started with one append; the others queued behind it and shared the next.
  EXPECT_LE(fs.sync_count() - syncs_before, 4u);
  ASSERT_TRUE(log.close().ok());
}

TEST_F(LogTest, ARollRightAfterAFlushStillSyncsTheRolledSegmentsIndexes) {
  LogConfig c = config();
  c.segment_bytes = 1024;
  auto log = open(c);
  // Flushing after every append puts the recovery point at the log end when the roll comes.
  for (int b = 0; log->segment_count() == 1; ++b) {
    ASSERT_TRUE(log->flush().ok());
    append(*log, 5, b * 5, 1000 + b * 5);
  }
  ASSERT_EQ(log->recovery_point(), log->segments()[1]->base_offset());
  // The rolled segment's final time index entry, written when it became inactive, is on the disk: recovery trusts the
  // segments below the recovery point as they are, and a torn index there would fail them.
  const Segment& rolled = *log->segments()[0];
  ASSERT_GT(rolled.time_index().entries(), 0u);
  auto durable = fs.durable_contents("/data/topic-0/00000000000000000000.timeindex");
  ASSERT_TRUE(durable.ok());
  EXPECT_EQ(durable->size(), rolled.time_index().entries() * 12);
}

TEST_F(LogTest, RelaxedFlushMessagesSkipsTheSync) {
  LogConfig c = config();
  c.flush_messages = 10;
  auto log = open(c);
  Bytes first = make_batch(1, 1000, 0);
  ASSERT_TRUE(log->append_as_leader(first, 0).ok());  // writes the leader epoch checkpoint
  uint64_t before = fs.sync_count();
  for (int i = 1; i < 9; ++i) {
    Bytes b = make_batch(1, 1000 + i, i);
    auto r = log->append_as_leader(b, 0);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->sync_required);
  }
  EXPECT_EQ(fs.sync_count(), before);
  Bytes b = make_batch(1, 1009, 9);
  EXPECT_TRUE(log->append_as_leader(b, 0)->sync_required);
}

TEST_F(LogTest, FullDiskFailsTheAppendAndLosesNothing) {
  auto log = open(config());
  for (int b = 0; b < 5; ++b) append(*log, 10, b * 10, 1000 + b * 10);
  fs.set_space_limit(fs.total_bytes() + 100);
  Bytes b = make_batch(10, 1050, 50, record::Compression::none, 50);
  auto r = log->append_as_leader(b, 3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kafka_storage_error);
  EXPECT_TRUE(is_no_space(r.status()));
  EXPECT_EQ(log->log_end_offset(), 50);
  EXPECT_EQ(read_all(*log, 0), expected(0, 50));
  fs.set_space_limit(std::nullopt);
  EXPECT_EQ(append(*log, 10, 50, 1050).base_offset, 50);
  EXPECT_EQ(read_all(*log, 0), expected(0, 60));
}

TEST_F(LogTest, FailedSyncFailsTheWaitersAndTruncatesToTheDurableOffset) {
  auto log = open(config());
  append(*log, 10, 0, 1000);
  fs.inject_failure(SimOp::sync, ".log", EIO);
  Bytes b = make_batch(10, 1010, 10);
  auto r = log->append_as_leader(b, 3);
  ASSERT_TRUE(r.ok());
  Status durable;
  log->when_durable(r->last_offset + 1, [&](Status s) { durable = s; });
  EXPECT_EQ(durable.code(), ErrorCode::kafka_storage_error);
  EXPECT_EQ(log->log_end_offset(), 10);  // the unacknowledged append is gone
  EXPECT_EQ(read_all(*log, 0), expected(0, 10));
  EXPECT_EQ(append(*log, 10, 10, 1010).base_offset, 10);  // and the log goes on
  EXPECT_EQ(read_all(*log, 0), expected(0, 20));
}

TEST(LogOnDisk, UsesKafkasFileNames) {
  testing::TempDir tmp;
  PosixFileSystem fs;
  ManualClock clock;
  InlineSyncExecutor syncs;
  Log::Options o;
  o.dir = tmp.path() + "/orders-3";
  o.config.segment_bytes = 1024;
  o.config.message_timestamp_after_max_ms = LogConfig::kLongMax;
  auto log = Log::open(fs, clock, syncs, o);
  ASSERT_TRUE(log.ok()) << log.status().to_string();
  for (int b = 0; b < 10; ++b) {
    Bytes batch = make_batch(5, 1000 + b * 5, b * 5);
    auto r = (*log)->append_as_leader(batch, 0);
    ASSERT_TRUE(r.ok());
    {
      bool durable = false;
      (*log)->when_durable(r->last_offset + 1, [&](Status s) { durable = s.ok(); });
      EXPECT_TRUE(durable);
    }
  }
  ASSERT_TRUE((*log)->close().ok());
  for (const Segment* s : (*log)->segments()) {
    std::string stem = o.dir + "/" + Segment::file_stem(s->base_offset());
    EXPECT_TRUE(fs.exists(stem + ".log")) << stem;
    EXPECT_TRUE(fs.exists(stem + ".index")) << stem;
    EXPECT_TRUE(fs.exists(stem + ".timeindex")) << stem;
  }
  EXPECT_TRUE(fs.exists(o.dir + "/00000000000000000000.log"));
  EXPECT_EQ(Segment::file_stem(1234567), "00000000000001234567");
}

}  // namespace
}  // namespace gregor::storage
