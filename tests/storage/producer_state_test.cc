// Producer state (idempotent produce): the checks of a leader append, duplicates, the sequence
// wrap, snapshots in Kafka's format, and how the log keeps the state across clean and unclean
// restarts, truncation, retention and expiry.
#include "storage/producer_state.h"

#include <gtest/gtest.h>

#include <limits>

#include "log_test_util.h"
#include "record/crc32c.h"
#include "storage/log.h"
#include "storage/sim_file_system.h"

namespace gregor::storage {
namespace {

using testing::make_batch;
using testing::ProducerFields;

constexpr int32_t kMaxSeq = std::numeric_limits<int32_t>::max();

ProducerBatch batch(int64_t pid, int16_t epoch, int32_t seq, int count, int64_t offset, int64_t ts = 1000) {
  ProducerBatch b;
  b.producer_id = pid;
  b.producer_epoch = epoch;
  b.base_sequence = seq;
  b.last_offset_delta = count - 1;
  b.base_offset = offset;
  b.max_timestamp = ts;
  return b;
}

class ProducerStateTest : public ::testing::Test {
 protected:
  SimFileSystem fs;
  ProducerStateManager state{fs, "/d/t-0", "t-0", 86'400'000};

  // Checks and, when accepted, records the batch, as a leader append does.
  StatusOr<std::optional<BatchMetadata>> append(const ProducerBatch& b) {
    auto r = state.check_append(b);
    if (r.ok() && !*r) state.update(b);
    return r;
  }
};

TEST(SequenceTest, WrapsAtInt32Max) {
  EXPECT_EQ(increment_sequence(5, 3), 8);
  EXPECT_EQ(increment_sequence(kMaxSeq, 1), 0);
  EXPECT_EQ(increment_sequence(kMaxSeq - 1, 4), 2);
  EXPECT_EQ(decrement_sequence(2, 4), kMaxSeq - 1);
  EXPECT_EQ(decrement_sequence(0, 1), kMaxSeq);
  EXPECT_EQ(decrement_sequence(9, 9), 0);
  EXPECT_EQ(batch(1, 0, kMaxSeq - 1, 5, 0).last_sequence(), 2);
}

TEST_F(ProducerStateTest, AcceptsInOrderBatchesAndRefusesGaps) {
  ASSERT_TRUE(append(batch(7, 0, 0, 3, 0)).ok());
  ASSERT_TRUE(append(batch(7, 0, 3, 2, 3)).ok());
  const ProducerStateEntry* e = state.find(7);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->last_seq(), 4);
  EXPECT_EQ(e->last_data_offset(), 4);
  EXPECT_EQ(e->size(), 2);

  auto gap = append(batch(7, 0, 6, 1, 5));
  EXPECT_EQ(gap.status().code(), ErrorCode::out_of_order_sequence_number);
  EXPECT_EQ(gap.status().message(),
            "Out of order sequence number for producer 7 at offset 5 in partition t-0: 6 (incoming seq. number), 4 "
            "(current end sequence number)");
  // Neither a batch before the last one.
  EXPECT_EQ(append(batch(7, 0, 2, 1, 5)).status().code(), ErrorCode::out_of_order_sequence_number);
  EXPECT_EQ(state.find(7)->last_seq(), 4);
}

TEST_F(ProducerStateTest, ARetryOfAnyOfTheLastFiveBatchesIsADuplicate) {
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(append(batch(1, 2, i * 2, 2, 100 + i * 10)).ok());
  // Batches 2..6 are remembered; each retry answers with its offsets.
  for (int i = 2; i < 7; ++i) {
    auto dup = append(batch(1, 2, i * 2, 2, 999));
    ASSERT_TRUE(dup.ok());
    ASSERT_TRUE(dup->has_value()) << "batch " << i;
    EXPECT_EQ((*dup)->first_offset(), 100 + i * 10);
    EXPECT_EQ((*dup)->last_offset, 101 + i * 10);
  }
  // Older ones are not: they are out of order.
  EXPECT_EQ(append(batch(1, 2, 2, 2, 999)).status().code(), ErrorCode::out_of_order_sequence_number);
  // The same first sequence with another range is no duplicate.
  EXPECT_EQ(append(batch(1, 2, 12, 1, 999)).status().code(), ErrorCode::out_of_order_sequence_number);
  // Nor is the same range in another epoch.
  EXPECT_EQ(append(batch(1, 1, 12, 2, 999)).status().code(), ErrorCode::invalid_producer_epoch);
}

TEST_F(ProducerStateTest, FencesOldEpochsAndStartsNewOnesAtZero) {
  ASSERT_TRUE(append(batch(3, 5, 0, 1, 0)).ok());
  auto old = append(batch(3, 4, 1, 1, 1));
  EXPECT_EQ(old.status().code(), ErrorCode::invalid_producer_epoch);
  EXPECT_EQ(old.status().message(),
            "Epoch of producer 3 at offset 1 in t-0 is 4, which is smaller than the last seen epoch 5");
  auto not_zero = append(batch(3, 6, 1, 1, 1));
  EXPECT_EQ(not_zero.status().code(), ErrorCode::out_of_order_sequence_number);
  EXPECT_NE(not_zero.status().message().find("Invalid sequence number for new epoch of producer 3"),
            std::string::npos);
  ASSERT_TRUE(append(batch(3, 6, 0, 2, 1)).ok());
  const ProducerStateEntry* e = state.find(3);
  EXPECT_EQ(e->producer_epoch, 6);
  EXPECT_EQ(e->size(), 1);  // the old epoch's batches are forgotten
  EXPECT_EQ(e->last_seq(), 1);
}

TEST_F(ProducerStateTest, AnUnknownProducerMayStartAtAnySequence) {
  // Its state may have gone with the records (retention, DeleteRecords) or expired: Kafka accepts it (KIP-360).
  ASSERT_TRUE(append(batch(9, 0, 4242, 3, 0)).ok());
  EXPECT_EQ(state.find(9)->last_seq(), 4244);
  EXPECT_EQ(append(batch(9, 0, 4246, 1, 3)).status().code(), ErrorCode::out_of_order_sequence_number);
  ASSERT_TRUE(append(batch(9, 0, 4245, 1, 3)).ok());
}

TEST_F(ProducerStateTest, SequencesWrapAfterInt32Max) {
  ASSERT_TRUE(append(batch(4, 0, kMaxSeq - 2, 3, 0)).ok());
  EXPECT_EQ(state.find(4)->last_seq(), kMaxSeq);
  ASSERT_TRUE(append(batch(4, 0, 0, 2, 3)).ok());
  // A batch across the wrap, and its retry.
  ASSERT_TRUE(append(batch(5, 0, kMaxSeq - 1, 4, 10)).ok());
  EXPECT_EQ(state.find(5)->last_seq(), 1);
  auto dup = append(batch(5, 0, kMaxSeq - 1, 4, 99));
  ASSERT_TRUE(dup.ok() && dup->has_value());
  EXPECT_EQ((*dup)->first_offset(), 10);
  ASSERT_TRUE(append(batch(5, 0, 2, 1, 14)).ok());
}

TEST_F(ProducerStateTest, AnOpenTransactionNeedsTransactionalBatches) {
  ProducerBatch txn = batch(8, 0, 0, 1, 10);
  txn.transactional = true;
  ASSERT_TRUE(append(txn).ok());
  EXPECT_EQ(state.find(8)->current_txn_first_offset, 10);
  EXPECT_EQ(append(batch(8, 0, 1, 1, 11)).status().code(), ErrorCode::invalid_txn_state);
  // A marker ends it.
  ProducerBatch marker = batch(8, 0, -1, 1, 11);
  marker.control = true;
  state.update(marker, 3);
  EXPECT_EQ(state.find(8)->current_txn_first_offset, -1);
  EXPECT_EQ(state.find(8)->coordinator_epoch, 3);
  ASSERT_TRUE(append(batch(8, 0, 1, 1, 12)).ok());
}

TEST_F(ProducerStateTest, IdleProducersExpire) {
  state.set_expiration_ms(1000);
  ASSERT_TRUE(append(batch(1, 0, 0, 1, 0, 5000)).ok());
  ASSERT_TRUE(append(batch(2, 0, 0, 1, 1, 5600)).ok());
  state.remove_expired(5999);
  EXPECT_NE(state.find(1), nullptr);
  state.remove_expired(6000);  // producer.id.expiration.ms after producer 1's last batch
  EXPECT_EQ(state.find(1), nullptr);
  EXPECT_NE(state.find(2), nullptr);
}

TEST(ProducerSnapshotTest, KafkasLayout) {
  ProducerSnapshotEntry e{0x0102030405060708, 0x090a, 0x0b0c0d0e, 0x0f10111213141516, 0x1718191a, 0x1b1c1d1e1f202122,
                          0x23242526, -1};
  Bytes bytes = encode_producer_snapshot({e});
  ASSERT_EQ(bytes.size(), 2u + 4 + 4 + 46);
  EXPECT_EQ(to_hex(BytesView(bytes.data(), 2)), "0001");  // version 1
  EXPECT_EQ(to_hex(BytesView(bytes.data() + 6, bytes.size() - 6)),
            "00000001"                  // one entry
            "0102030405060708"          // producer id
            "090a"                      // epoch
            "0b0c0d0e"                  // last sequence
            "0f10111213141516"          // last offset
            "1718191a"                  // offset delta
            "1b1c1d1e1f202122"          // timestamp
            "23242526"                  // coordinator epoch
            "ffffffffffffffff");        // current transaction first offset
  uint32_t crc = record::crc32c(BytesView(bytes.data() + 6, bytes.size() - 6));
  EXPECT_EQ(load_be<uint32_t>(bytes.data() + 2), crc);
  auto decoded = decode_producer_snapshot(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, std::vector<ProducerSnapshotEntry>{e});
}

TEST(ProducerSnapshotTest, RefusesDamagedFiles) {
  Bytes good = encode_producer_snapshot({ProducerSnapshotEntry{1, 0, 5, 10, 2, 1000, -1, -1}});
  EXPECT_TRUE(decode_producer_snapshot(good).ok());
  Bytes flipped = good;
  flipped.back() ^= 1;
  EXPECT_EQ(decode_producer_snapshot(flipped).status().code(), ErrorCode::corrupt_message);
  Bytes version = good;
  version[1] = 2;
  EXPECT_NE(decode_producer_snapshot(version).status().message().find("Snapshot contained an unknown file version 2"), std::string::npos);
  EXPECT_FALSE(decode_producer_snapshot(BytesView(good.data(), 9)).ok());
  // A count beyond the bytes, with a matching CRC.
  Bytes lying = encode_producer_snapshot({});
  store_be<int32_t>(lying.data() + 6, 3);
  store_be<uint32_t>(lying.data() + 2, record::crc32c(BytesView(lying.data() + 6, lying.size() - 6)));
  EXPECT_FALSE(decode_producer_snapshot(lying).ok());
  store_be<int32_t>(lying.data() + 6, -1);
  store_be<uint32_t>(lying.data() + 2, record::crc32c(BytesView(lying.data() + 6, lying.size() - 6)));
  EXPECT_FALSE(decode_producer_snapshot(lying).ok());
}

TEST(ProducerSnapshotTest, FileNames) {
  EXPECT_EQ(producer_snapshot_file_name(42), "00000000000000000042.snapshot");
  EXPECT_EQ(producer_snapshot_offset("00000000000000000042.snapshot"), 42);
  EXPECT_EQ(producer_snapshot_offset("00000000000000000042.snapshot.tmp"), std::nullopt);
  EXPECT_EQ(producer_snapshot_offset("0000000000000000004x.snapshot"), std::nullopt);
  EXPECT_EQ(producer_snapshot_offset("00000000000000000042.log"), std::nullopt);
}

// ---- the log ----

class LogProducerTest : public ::testing::Test {
 protected:
  static constexpr const char* kDir = "/data/topic-0";

  LogConfig config() {
    LogConfig c;
    c.message_timestamp_after_max_ms = LogConfig::kLongMax;
    c.retention_ms = -1;
    c.segment_bytes = 1024;
    return c;
  }

  std::unique_ptr<Log> open(bool clean = false, int64_t recovery_point = 0, int64_t log_start = 0) {
    Log::Options o;
    o.dir = kDir;
    o.config = config();
    o.clean_shutdown = clean;
    o.recovery_point = recovery_point;
    o.log_start_offset = log_start;
    o.producer_id_expiration_ms = 3'600'000;
    auto log = Log::open(fs, clock, syncs, o);
    EXPECT_TRUE(log.ok()) << log.status().to_string();
    return log.ok() ? std::move(*log) : nullptr;
  }

  // The next batch of producer pid (count records, padded so that a few fill a segment).
  StatusOr<AppendResult> produce(Log& log, int64_t pid, int16_t epoch, int32_t seq, int count = 2) {
    Bytes b = make_batch(count, clock.now_ms(), next_++, record::Compression::none, 100, true, {pid, epoch, seq});
    auto r = log.append_as_leader(b, 0);
    if (r.ok() && r->sync_required) {
      Status durable(ErrorCode::unknown_server_error, "not called");
      log.when_durable(r->last_offset + 1, [&](Status s) { durable = s; });
      EXPECT_TRUE(durable.ok()) << durable.to_string();
    }
    return r;
  }

  std::vector<int64_t> snapshots() {
    std::vector<int64_t> out;
    auto names = fs.list(kDir);
    EXPECT_TRUE(names.ok());
    for (const std::string& name : *names) {
      if (auto o = producer_snapshot_offset(name)) out.push_back(*o);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  SimFileSystem fs;
  ManualClock clock{1'700'000'000'000};
  InlineSyncExecutor syncs;
  int next_ = 0;
};

TEST_F(LogProducerTest, ADuplicateGetsItsOriginalOffsetsAndIsNotWrittenAgain) {
  auto log = open();
  ASSERT_TRUE(produce(*log, 1, 0, 0).ok());
  auto second = produce(*log, 1, 0, 2, 3);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->base_offset, 2);
  ASSERT_TRUE(produce(*log, 2, 0, 0).ok());
  auto retry = produce(*log, 1, 0, 2, 3);
  ASSERT_TRUE(retry.ok()) << retry.status().to_string();
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->base_offset, 2);
  EXPECT_EQ(retry->last_offset, 4);
  EXPECT_EQ(retry->log_append_time, -1);
  EXPECT_FALSE(retry->sync_required);  // already durable
  EXPECT_EQ(log->log_end_offset(), 7);
  EXPECT_EQ(testing::read_all(*log, 0).size(), 7u);
  EXPECT_EQ(produce(*log, 1, 0, 6).status().code(), ErrorCode::out_of_order_sequence_number);
  EXPECT_EQ(produce(*log, 1, -1, 0).status().code(), ErrorCode::invalid_producer_epoch);
  EXPECT_EQ(log->log_end_offset(), 7);
}

TEST_F(LogProducerTest, SnapshotsAtRollsAndAtCloseLetACleanReopenReplayNothing) {
  {
    auto log = open();
    for (int i = 0; i < 12; ++i) ASSERT_TRUE(produce(*log, 10 + i % 3, 0, (i / 3) * 2).ok());
    ASSERT_GT(log->segment_count(), 2u);
    // One snapshot per roll, at the new segment's base.
    std::vector<int64_t> bases;
    for (const Segment* s : log->segments()) bases.push_back(s->base_offset());
    EXPECT_EQ(snapshots(), std::vector<int64_t>(bases.begin() + 1, bases.end()));
    ASSERT_TRUE(log->close().ok());
  }
  std::vector<int64_t> files = snapshots();
  ASSERT_FALSE(files.empty());
  EXPECT_EQ(files.back(), 24);  // the log end, written by close
  // Kafka's reader takes it: version 1 and the three producers.
  auto decoded = decode_producer_snapshot(*fs.contents(std::string(kDir) + "/" + producer_snapshot_file_name(24)));
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 3u);
  EXPECT_EQ((*decoded)[0], (ProducerSnapshotEntry{10, 0, 7, 19, 1, clock.now_ms() + 1, -1, -1}));

  auto log = open(/*clean=*/true, 24);
  ASSERT_EQ(log->producer_state().producers().size(), 3u);
  EXPECT_EQ(log->producer_state().find(12)->last_seq(), 7);
  auto dup = produce(*log, 12, 0, 6);
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup->duplicate);
  EXPECT_EQ(dup->base_offset, 22);
  ASSERT_TRUE(produce(*log, 12, 0, 8).ok());
}

TEST_F(LogProducerTest, AnUncleanReopenRebuildsFromTheLog) {
  std::vector<ProducerSnapshotEntry> before;
  {
    auto log = open();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(produce(*log, 1 + i % 2, 0, (i / 2) * 2).ok());
    before = log->producer_state().snapshot_entries();
    // No close: nothing at the log end; the state comes from the last roll's snapshot and the batches after it.
  }
  ASSERT_FALSE(snapshots().empty());
  EXPECT_LT(snapshots().back(), 20);
  auto log = open();
  EXPECT_EQ(log->producer_state().snapshot_entries(), before);
  // Every one of the last five batches replayed is known again, not just the last.
  const ProducerStateEntry* e = log->producer_state().find(2);
  ASSERT_NE(e, nullptr);
  EXPECT_GE(e->size(), 2);
  auto dup = produce(*log, 2, 0, decrement_sequence(e->last_seq(), 3));
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup->duplicate);
}

TEST_F(LogProducerTest, WithoutAnySnapshotTheWholeLogIsReplayed) {
  {
    auto log = open();
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(produce(*log, 5, 3, i * 2).ok());
  }
  for (int64_t o : snapshots()) ASSERT_TRUE(fs.remove(std::string(kDir) + "/" + producer_snapshot_file_name(o)).ok());
  auto log = open();
  ASSERT_NE(log->producer_state().find(5), nullptr);
  EXPECT_EQ(log->producer_state().find(5)->producer_epoch, 3);
  EXPECT_EQ(log->producer_state().find(5)->last_seq(), 15);
}

TEST_F(LogProducerTest, ACorruptSnapshotIsDeletedAndAnOlderOneUsed) {
  {
    auto log = open();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(produce(*log, 1, 0, i * 2).ok());
    ASSERT_TRUE(log->close().ok());
  }
  std::string latest = std::string(kDir) + "/" + producer_snapshot_file_name(20);
  Bytes damaged = *fs.contents(latest);
  damaged.back() ^= 0xff;
  ASSERT_TRUE(write_file_atomically(fs, latest, damaged).ok());
  auto log = open(/*clean=*/true, 20);
  EXPECT_FALSE(fs.exists(latest));
  ASSERT_NE(log->producer_state().find(1), nullptr);
  EXPECT_EQ(log->producer_state().find(1)->last_seq(), 19);
}

TEST_F(LogProducerTest, TruncationDropsLaterSnapshotsAndRebuilds) {
  auto log = open();
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(produce(*log, 1, 0, i * 2).ok());
  ASSERT_TRUE(log->close().ok());
  log = open(true, 24);
  ASSERT_TRUE(log->truncate_to(9 * 2).ok());
  for (int64_t o : snapshots()) EXPECT_LE(o, 18);
  EXPECT_EQ(log->producer_state().find(1)->last_seq(), 17);
  EXPECT_EQ(log->producer_state().find(1)->last_data_offset(), 17);
  // The producer goes on from there; its truncated batches are no duplicates.
  auto again = produce(*log, 1, 0, 18);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->duplicate);
  EXPECT_EQ(again->base_offset, 18);

  ASSERT_TRUE(log->truncate_fully_and_start_at(100).ok());
  EXPECT_TRUE(log->producer_state().producers().empty());
  EXPECT_TRUE(snapshots().empty());
}

TEST_F(LogProducerTest, RetentionRemovesTheSnapshotsOfDeletedSegmentsButKeepsTheProducers) {
  auto log = open();
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(produce(*log, i < 4 ? 1 : 2, 0, (i < 4 ? i : i - 4) * 2).ok());
  log->set_high_watermark(log->log_end_offset());
  auto start = log->delete_records_before(14);
  ASSERT_TRUE(start.ok()) << start.status().to_string();
  int64_t first_base = log->segments().front()->base_offset();
  ASSERT_GT(first_base, 0);
  for (int64_t o : snapshots()) EXPECT_GE(o, first_base);
  // Producer 1's batches are all gone; it keeps its sequence until it expires, as in Kafka.
  ASSERT_NE(log->producer_state().find(1), nullptr);
  auto old_retry = produce(*log, 1, 0, 0);
  ASSERT_TRUE(old_retry.ok());
  EXPECT_TRUE(old_retry->duplicate);
  EXPECT_EQ(produce(*log, 1, 0, 10).status().code(), ErrorCode::out_of_order_sequence_number);
  ASSERT_TRUE(produce(*log, 1, 0, 8).ok());
}

TEST_F(LogProducerTest, ProducersExpireAfterProducerIdExpirationMs) {
  auto log = open();
  ASSERT_TRUE(produce(*log, 1, 0, 0).ok());
  clock.advance(1'800'000);
  ASSERT_TRUE(produce(*log, 2, 0, 0).ok());
  clock.advance(1'800'002);  // 3'600'001 ms after producer 1's last timestamp (its batch's second record)
  log->remove_expired_producers();
  EXPECT_EQ(log->producer_state().find(1), nullptr);
  EXPECT_NE(log->producer_state().find(2), nullptr);
  // Expired, it is unknown: any sequence goes.
  ASSERT_TRUE(produce(*log, 1, 0, 77).ok());
  // A snapshot leaves out producers that expired meanwhile.
  ASSERT_TRUE(log->close().ok());
  const int64_t end = log->log_end_offset();
  clock.advance(3'600'010);
  log = open(true, end);
  EXPECT_TRUE(log->producer_state().producers().empty());
}

TEST_F(LogProducerTest, AFollowerFollowsTheLeadersProducerState) {
  auto leader = open();
  ASSERT_TRUE(produce(*leader, 1, 0, 0).ok());
  ASSERT_TRUE(produce(*leader, 1, 0, 2).ok());
  auto read = leader->read(0, 1 << 20);
  ASSERT_TRUE(read.ok());
  Bytes bytes = testing::slice_bytes(read->slice);
  SimFileSystem other;
  Log::Options o;
  o.dir = kDir;
  o.config = config();
  auto follower = Log::open(other, clock, syncs, o);
  ASSERT_TRUE(follower.ok());
  ASSERT_TRUE((*follower)->append_as_follower(bytes).ok());
  EXPECT_EQ((*follower)->producer_state().snapshot_entries(), leader->producer_state().snapshot_entries());
}

}  // namespace
}  // namespace gregor::storage
