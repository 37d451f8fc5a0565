// LeaderEpochCache against the cases of Kafka's LeaderEpochFileCacheTest, plus what reaches the
// leader-epoch-checkpoint file.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "storage/leader_epoch_cache.h"
#include "storage/posix_file_system.h"
#include "temp_dir.h"

namespace gregor::storage {
namespace {

using Entries = std::vector<EpochEntry>;
using EpochOffset = std::pair<int32_t, int64_t>;
constexpr EpochOffset kUndefined{kUndefinedEpoch, kUndefinedEpochOffset};

using testing::TempDir;

// The real file system, with renames failing on demand (as a full or failing disk would).
class FailingRenames final : public FileSystem {
 public:
  explicit FailingRenames(FileSystem& inner) : inner_(inner) {}
  bool fail = false;

  StatusOr<std::shared_ptr<File>> open(const std::string& path, OpenMode mode) override {
    return inner_.open(path, mode);
  }
  bool exists(const std::string& path) override { return inner_.exists(path); }
  StatusOr<std::vector<std::string>> list(const std::string& dir) override { return inner_.list(dir); }
  Status create_dirs(const std::string& dir) override { return inner_.create_dirs(dir); }
  Status remove(const std::string& path) override { return inner_.remove(path); }
  Status rename(const std::string& from, const std::string& to) override {
    if (fail) return io_error("rename to " + to + " of", from, ENOSPC);
    return inner_.rename(from, to);
  }
  Status sync_dir(const std::string& dir) override { return inner_.sync_dir(dir); }

 private:
  FileSystem& inner_;
};

// Named as the suite; the class under test is spelled storage::LeaderEpochCache below.
class LeaderEpochCache : public ::testing::Test {
 protected:
  void SetUp() override {
    partition_dir_ = join_path(dir_.path(), "TestTopic-5");
    ASSERT_TRUE(fs_.create_dirs(partition_dir_).ok());
    checkpoint_ = join_path(partition_dir_, "leader-epoch-checkpoint");
  }

  void assign(int32_t epoch, int64_t start_offset) {
    Status s = cache_.assign(epoch, start_offset);
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  void truncate_from_end(int64_t offset) {
    Status s = cache_.truncate_from_end(offset);
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  void truncate_from_start(int64_t offset) {
    Status s = cache_.truncate_from_start(offset);
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  Entries entries() const { return cache_.epoch_entries(); }
  // What the checkpoint file holds, as entries.
  Entries on_disk() {
    auto read = read_leader_epoch_checkpoint(fs_, checkpoint_);
    EXPECT_TRUE(read.ok()) << read.status().to_string();
    return read.ok() ? *read : Entries{};
  }
  std::string file_text() {
    auto bytes = read_file(fs_, checkpoint_);
    EXPECT_TRUE(bytes.ok()) << bytes.status().to_string();
    return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : std::string();
  }
  void put(std::string_view text) {
    ASSERT_TRUE(write_file_atomically(fs_, checkpoint_, BytesView::of(text)).ok());
  }

  TempDir dir_;
  PosixFileSystem fs_;
  std::string partition_dir_;
  std::string checkpoint_;
  storage::LeaderEpochCache cache_{fs_, join_path(dir_.path(), "TestTopic-5")};
};

// ---- assign ----------------------------------------------------------------------------------

TEST_F(LeaderEpochCache, AddsEpochAndStartOffset) {
  assign(2, 10);
  EXPECT_EQ(cache_.latest_epoch(), 2);
  EXPECT_EQ(entries(), (Entries{{2, 10}}));
  EXPECT_EQ(cache_.end_offset_for(2, 11), EpochOffset(2, 11));
}

TEST_F(LeaderEpochCache, WritesEachAssignmentToTheCheckpoint) {
  EXPECT_FALSE(fs_.exists(checkpoint_));
  assign(0, 0);
  EXPECT_EQ(file_text(), "0\n1\n0 0\n");
  assign(1, 100);
  assign(3, 250);
  EXPECT_EQ(file_text(), "0\n3\n0 0\n1 100\n3 250\n");
  EXPECT_FALSE(fs_.exists(checkpoint_ + ".tmp"));
}

TEST_F(LeaderEpochCache, UnchangedAssignmentWritesNothing) {
  assign(2, 6);
  ASSERT_TRUE(fs_.remove(checkpoint_).ok());
  assign(2, 7);  // same epoch, later offset: no change
  EXPECT_FALSE(fs_.exists(checkpoint_));
  EXPECT_EQ(entries(), (Entries{{2, 6}}));
}

TEST_F(LeaderEpochCache, DoesNotOverwriteStartOfAnAssignedEpoch) {
  assign(2, 9);
  assign(2, 10);
  EXPECT_EQ(entries(), (Entries{{2, 9}}));
  assign(2, 6);
  assign(2, 7);
  EXPECT_EQ(entries(), (Entries{{2, 6}}));
}

TEST_F(LeaderEpochCache, EnforcesIncreasingStartOffsets) {
  assign(2, 9);
  assign(3, 9);  // same start offset: the old epoch wrote nothing, so it goes
  EXPECT_EQ(entries(), (Entries{{3, 9}}));

  storage::LeaderEpochCache other(fs_, partition_dir_);
  ASSERT_TRUE(other.assign(2, 6).ok());
  ASSERT_TRUE(other.assign(3, 5).ok());  // newer epoch at a lower offset replaces the older
  EXPECT_EQ(other.epoch_entries(), (Entries{{3, 5}}));
}

TEST_F(LeaderEpochCache, EnforcesIncreasingEpochs) {
  assign(1, 5);
  assign(2, 6);
  assign(1, 7);  // an older epoch after a newer one drops the newer one and its own old start
  EXPECT_EQ(cache_.latest_epoch(), 1);
  EXPECT_EQ(entries(), (Entries{{1, 7}}));
  EXPECT_EQ(cache_.end_offset_for(1, 8), EpochOffset(1, 8));
  EXPECT_EQ(cache_.end_offset_for(2, 8), kUndefined);
  EXPECT_EQ(on_disk(), (Entries{{1, 7}}));
}

TEST_F(LeaderEpochCache, EarlierStartForLatestEpochTruncatesConflicts) {
  assign(5, 11);
  assign(6, 12);
  assign(7, 13);
  assign(7, 12);  // 6 started at 12 too: it goes, 7 moves back
  EXPECT_EQ(entries(), (Entries{{5, 11}, {7, 12}}));
  EXPECT_EQ(cache_.end_offset_for(5, 0), EpochOffset(5, 12));
  EXPECT_EQ(cache_.end_offset_for(6, 0), EpochOffset(5, 12));
  EXPECT_EQ(on_disk(), entries());
}

TEST_F(LeaderEpochCache, RejectsNegativeEpochOrOffset) {
  assign(1, 5);
  for (auto [epoch, offset] : {EpochOffset(-1, 6), EpochOffset(2, -1)}) {
    Status s = cache_.assign(epoch, offset);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("invalid partition leader epoch entry"), std::string::npos)
        << s.message();
  }
  EXPECT_EQ(entries(), (Entries{{1, 5}}));
}

TEST_F(LeaderEpochCache, AssignsAListThenWritesOnce) {
  Status s = cache_.assign(Entries{{0, 0}, {1, 10}, {1, 12}, {3, 20}});
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(entries(), (Entries{{0, 0}, {1, 10}, {3, 20}}));
  EXPECT_EQ(file_text(), "0\n3\n0 0\n1 10\n3 20\n");

  // Written even when nothing changed, as Kafka does; an empty list writes nothing.
  ASSERT_TRUE(fs_.remove(checkpoint_).ok());
  ASSERT_TRUE(cache_.assign(Entries{}).ok());
  EXPECT_FALSE(fs_.exists(checkpoint_));
  ASSERT_TRUE(cache_.assign(Entries{{3, 25}}).ok());
  EXPECT_EQ(on_disk(), entries());

  // An invalid entry stops the list without a write.
  ASSERT_TRUE(fs_.remove(checkpoint_).ok());
  EXPECT_FALSE(cache_.assign(Entries{{4, 30}, {-1, 31}, {5, 40}}).ok());
  EXPECT_EQ(entries(), (Entries{{0, 0}, {1, 10}, {3, 20}, {4, 30}}));
  EXPECT_FALSE(fs_.exists(checkpoint_));
}

TEST_F(LeaderEpochCache, TracksEpochsAsLeadersChangeManyTimes) {
  assign(0, 0);
  assign(1, 0);
  EXPECT_EQ(cache_.latest_epoch(), 1);
  EXPECT_EQ(entries(), (Entries{{1, 0}}));
  EXPECT_EQ(cache_.end_offset_for(1, 0), EpochOffset(1, 0));
  // Epoch 0 was dropped, and is now older than anything known.
  EXPECT_EQ(cache_.end_offset_for(0, 0), EpochOffset(0, 0));
  EXPECT_EQ(cache_.end_offset_for(1, 5), EpochOffset(1, 5));
  EXPECT_EQ(cache_.end_offset_for(0, 5), EpochOffset(0, 0));

  assign(2, 5);
  EXPECT_EQ(cache_.end_offset_for(2, 10), EpochOffset(2, 10));
  EXPECT_EQ(cache_.end_offset_for(1, 10), EpochOffset(1, 5));
  EXPECT_EQ(cache_.end_offset_for(0, 10), EpochOffset(0, 0));
}

TEST_F(LeaderEpochCache, TracksEpochsAsFollowerReceivesManyMessages) {
  for (int64_t offset : {0, 1, 2}) assign(0, offset);
  EXPECT_EQ(cache_.latest_epoch(), 0);
  EXPECT_EQ(cache_.end_offset_for(0, 3), EpochOffset(0, 3));
  for (int64_t offset : {3, 4, 5}) assign(1, offset);
  EXPECT_EQ(cache_.latest_epoch(), 1);
  EXPECT_EQ(cache_.end_offset_for(1, 6), EpochOffset(1, 6));
  for (int64_t offset : {6, 7, 8}) assign(2, offset);
  EXPECT_EQ(cache_.latest_epoch(), 2);
  EXPECT_EQ(cache_.end_offset_for(2, 9), EpochOffset(2, 9));
  EXPECT_EQ(cache_.end_offset_for(0, 9), EpochOffset(0, 3));
  EXPECT_EQ(cache_.end_offset_for(1, 9), EpochOffset(1, 6));
  EXPECT_EQ(entries(), (Entries{{0, 0}, {1, 3}, {2, 6}}));
}

// ---- end_offset_for --------------------------------------------------------------------------

TEST_F(LeaderEpochCache, EndOffsetOfLatestEpochIsTheLogEnd) {
  assign(2, 11);
  assign(2, 12);
  EXPECT_EQ(cache_.end_offset_for(2, 14), EpochOffset(2, 14));
}

TEST_F(LeaderEpochCache, SupportsEpochsThatDoNotStartFromZero) {
  assign(2, 6);
  EXPECT_EQ(cache_.end_offset_for(2, 7), EpochOffset(2, 7));
  EXPECT_EQ(entries(), (Entries{{2, 6}}));
}

TEST_F(LeaderEpochCache, UndefinedEpochGivesUndefined) {
  EXPECT_EQ(cache_.end_offset_for(kUndefinedEpoch, 73), kUndefined);
  assign(2, 11);
  assign(3, 12);
  EXPECT_EQ(cache_.end_offset_for(kUndefinedEpoch, 0), kUndefined);
}

TEST_F(LeaderEpochCache, EmptyCacheGivesUndefined) {
  EXPECT_EQ(cache_.end_offset_for(0, 0), kUndefined);
  EXPECT_EQ(cache_.end_offset_for(7, 0), kUndefined);
}

TEST_F(LeaderEpochCache, EpochAboveLatestGivesUndefined) {
  assign(2, 100);
  EXPECT_EQ(cache_.end_offset_for(3, 100), kUndefined);
}

TEST_F(LeaderEpochCache, EpochBelowFirstGivesItWithFirstStart) {
  assign(5, 11);
  assign(6, 12);
  assign(7, 13);
  EXPECT_EQ(cache_.end_offset_for(4, 0), EpochOffset(4, 11));
  EXPECT_EQ(cache_.end_offset_for(0, 0), EpochOffset(0, 11));
}

TEST_F(LeaderEpochCache, PreviousEpochEndsAtStartOfNext) {
  assign(1, 11);
  assign(1, 12);
  assign(2, 13);
  assign(2, 14);
  assign(3, 15);
  assign(3, 16);
  EXPECT_EQ(cache_.end_offset_for(2, 17), EpochOffset(2, 15));
  EXPECT_EQ(cache_.end_offset_for(1, 17), EpochOffset(1, 13));
}

TEST_F(LeaderEpochCache, UnknownEpochGivesGreatestEpochBelowIt) {
  assign(0, 10);
  assign(2, 13);
  assign(4, 17);
  EXPECT_EQ(cache_.end_offset_for(1, 0), EpochOffset(0, 13));
  EXPECT_EQ(cache_.end_offset_for(2, 0), EpochOffset(2, 17));
  EXPECT_EQ(cache_.end_offset_for(3, 0), EpochOffset(2, 17));
  EXPECT_EQ(cache_.end_offset_for(4, 0), EpochOffset(4, 0));
  EXPECT_EQ(cache_.end_offset_for(5, 0), kUndefined);
}

// ---- truncate_from_end -----------------------------------------------------------------------

TEST_F(LeaderEpochCache, TruncateFromEndDropsEntriesOnTheBoundary) {
  assign(2, 6);
  assign(3, 8);
  assign(4, 11);
  truncate_from_end(8);
  EXPECT_EQ(entries(), (Entries{{2, 6}}));
  EXPECT_EQ(on_disk(), entries());
}

TEST_F(LeaderEpochCache, TruncateFromEndBetweenBoundaries) {
  assign(2, 6);
  assign(3, 8);
  assign(4, 11);
  truncate_from_end(9);
  EXPECT_EQ(cache_.latest_epoch(), 3);
  EXPECT_EQ(entries(), (Entries{{2, 6}, {3, 8}}));
  EXPECT_EQ(file_text(), "0\n2\n2 6\n3 8\n");
}

TEST_F(LeaderEpochCache, TruncateFromEndPastTheLastStartChangesNothing) {
  assign(2, 6);
  assign(3, 8);
  ASSERT_TRUE(fs_.remove(checkpoint_).ok());
  truncate_from_end(9);
  truncate_from_end(100);
  EXPECT_EQ(entries(), (Entries{{2, 6}, {3, 8}}));
  EXPECT_FALSE(fs_.exists(checkpoint_));  // nothing removed, nothing written
}

TEST_F(LeaderEpochCache, TruncateFromEndToZeroDropsEverything) {
  assign(0, 0);
  assign(1, 5);
  truncate_from_end(0);
  EXPECT_TRUE(cache_.empty());
  EXPECT_EQ(file_text(), "0\n0\n");
}

TEST_F(LeaderEpochCache, TruncateFromEndIgnoresUndefinedOffset) {
  assign(2, 6);
  assign(3, 8);
  assign(4, 11);
  truncate_from_end(kUndefinedEpochOffset);
  EXPECT_EQ(entries().size(), 3u);
}

TEST_F(LeaderEpochCache, TruncateFromEndOfEmptyCache) {
  truncate_from_end(7);
  EXPECT_TRUE(cache_.empty());
}

// ---- truncate_from_start ---------------------------------------------------------------------

TEST_F(LeaderEpochCache, TruncateFromStartOnABoundaryKeepsThatEntry) {
  assign(2, 6);
  assign(3, 8);
  assign(4, 11);
  truncate_from_start(8);
  EXPECT_EQ(entries(), (Entries{{3, 8}, {4, 11}}));
  EXPECT_EQ(on_disk(), entries());
}

TEST_F(LeaderEpochCache, TruncateFromStartBeforeFirstChangesNothing) {
  assign(2, 6);
  assign(3, 8);
  assign(4, 11);
  ASSERT_TRUE(fs_.remove(checkpoint_).ok());
  truncate_from_start(1);
  EXPECT_EQ(entries(), (Entries{{2, 6}, {3, 8}, {4, 11}}));
  EXPECT_FALSE(fs_.exists(checkpoint_));
}

TEST_F(LeaderEpochCache, TruncateFromStartAtFirstOffsetKeepsEverything) {
  assign(2, 6);
  assign(3, 8);
  assign(4, 11);
  truncate_from_start(6);
  EXPECT_EQ(entries(), (Entries{{2, 6}, {3, 8}, {4, 11}}));
}

TEST_F(LeaderEpochCache, TruncateFromStartAtLatestStartKeepsLatest) {
  assign(2, 6);
  assign(3, 8);
  assign(4, 11);
  truncate_from_start(11);
  EXPECT_EQ(entries(), (Entries{{4, 11}}));
}

TEST_F(LeaderEpochCache, TruncateFromStartBetweenBoundariesMovesTheStart) {
  assign(2, 6);
  assign(3, 8);
  assign(4, 11);
  truncate_from_start(9);
  EXPECT_EQ(entries(), (Entries{{3, 9}, {4, 11}}));
  EXPECT_EQ(file_text(), "0\n2\n3 9\n4 11\n");
}

TEST_F(LeaderEpochCache, TruncateFromStartWithinTheFirstEpoch) {
  assign(0, 0);
  assign(1, 7);
  assign(2, 10);
  truncate_from_start(5);
  EXPECT_EQ(entries(), (Entries{{0, 5}, {1, 7}, {2, 10}}));
}

TEST_F(LeaderEpochCache, TruncateFromStartPastTheLatestMovesIt) {
  assign(2, 6);
  assign(3, 8);
  assign(4, 11);
  truncate_from_start(15);
  EXPECT_EQ(entries(), (Entries{{4, 15}}));
}

TEST_F(LeaderEpochCache, TruncateFromStartIgnoresUndefinedOffset) {
  assign(2, 6);
  assign(3, 8);
  assign(4, 11);
  truncate_from_start(kUndefinedEpochOffset);
  EXPECT_EQ(entries().size(), 3u);
}

TEST_F(LeaderEpochCache, TruncateFromStartOfEmptyCache) {
  truncate_from_start(7);
  EXPECT_TRUE(cache_.empty());
}

TEST_F(LeaderEpochCache, TruncationsReachTheCheckpoint) {
  assign(2, 6);
  assign(3, 8);
  assign(4, 11);
  truncate_from_end(11);
  truncate_from_start(8);
  EXPECT_EQ(on_disk(), (Entries{{3, 8}}));
}

TEST_F(LeaderEpochCache, EntriesInRangeLeaveTheCacheAlone) {
  assign(2, 6);
  assign(3, 8);
  assign(4, 11);
  EXPECT_EQ(cache_.epoch_entries_in_range(7, 11), (Entries{{2, 7}, {3, 8}}));
  EXPECT_EQ(cache_.epoch_entries_in_range(9, 20), (Entries{{3, 9}, {4, 11}}));
  EXPECT_EQ(cache_.epoch_entries_in_range(-1, 8), (Entries{{2, 6}}));
  EXPECT_EQ(cache_.epoch_entries_in_range(0, -1), (Entries{{2, 6}, {3, 8}, {4, 11}}));
  EXPECT_EQ(cache_.epoch_entries_in_range(12, 12), Entries{});
  EXPECT_EQ(entries(), (Entries{{2, 6}, {3, 8}, {4, 11}}));
}

// ---- clear -----------------------------------------------------------------------------------

TEST_F(LeaderEpochCache, ClearAndFlushEmptiesTheCheckpoint) {
  assign(2, 6);
  assign(3, 8);
  assign(4, 11);
  ASSERT_TRUE(cache_.clear_and_flush().ok());
  EXPECT_TRUE(entries().empty());
  EXPECT_EQ(file_text(), "0\n0\n");
}

TEST_F(LeaderEpochCache, ClearLeavesTheCheckpoint) {
  assign(2, 6);
  cache_.clear();
  EXPECT_TRUE(cache_.empty());
  EXPECT_EQ(on_disk(), (Entries{{2, 6}}));
}

// ---- lookups ---------------------------------------------------------------------------------

TEST_F(LeaderEpochCache, EmptyCacheHasNoLatestOrEarliest) {
  EXPECT_EQ(cache_.latest_epoch(), std::nullopt);
  EXPECT_EQ(cache_.latest_entry(), std::nullopt);
  EXPECT_EQ(cache_.earliest_entry(), std::nullopt);
  EXPECT_TRUE(cache_.empty());
}

TEST_F(LeaderEpochCache, PreviousEpochOfLatest) {
  EXPECT_EQ(cache_.previous_epoch(), std::nullopt);
  assign(2, 10);
  EXPECT_EQ(cache_.previous_epoch(), std::nullopt);
  assign(4, 15);
  EXPECT_EQ(cache_.previous_epoch(), 2);
  assign(10, 20);
  EXPECT_EQ(cache_.previous_epoch(), 4);
  truncate_from_end(18);
  EXPECT_EQ(cache_.previous_epoch(), 2);
  EXPECT_EQ(cache_.earliest_entry(), (EpochEntry{2, 10}));
  EXPECT_EQ(cache_.latest_entry(), (EpochEntry{4, 15}));
}

TEST_F(LeaderEpochCache, PreviousEpochAndEntryOfAnEpoch) {
  EXPECT_EQ(cache_.previous_epoch(2), std::nullopt);
  EXPECT_EQ(cache_.previous_entry(2), std::nullopt);
  assign(2, 10);
  EXPECT_EQ(cache_.previous_epoch(2), std::nullopt);
  assign(4, 15);
  EXPECT_EQ(cache_.previous_epoch(4), 2);
  EXPECT_EQ(cache_.previous_entry(4), (EpochEntry{2, 10}));
  EXPECT_EQ(cache_.previous_epoch(3), 2);
  assign(10, 20);
  EXPECT_EQ(cache_.previous_epoch(10), 4);
  EXPECT_EQ(cache_.previous_entry(10), (EpochEntry{4, 15}));
  EXPECT_EQ(cache_.previous_epoch(100), 10);
  truncate_from_end(18);
  EXPECT_EQ(cache_.previous_entry(*cache_.latest_epoch()), (EpochEntry{2, 10}));
}

TEST_F(LeaderEpochCache, NextEpoch) {
  assign(0, 0);
  assign(1, 100);
  assign(2, 200);
  EXPECT_EQ(cache_.next_epoch(-1), 0);
  EXPECT_EQ(cache_.next_epoch(0), 1);
  EXPECT_EQ(cache_.next_epoch(1), 2);
  EXPECT_EQ(cache_.next_epoch(2), std::nullopt);
  EXPECT_EQ(cache_.next_epoch(100), std::nullopt);
}

TEST_F(LeaderEpochCache, EpochEntryByEpoch) {
  assign(2, 100);
  assign(3, 500);
  assign(5, 1000);
  EXPECT_EQ(cache_.epoch_entry(2), (EpochEntry{2, 100}));
  EXPECT_EQ(cache_.epoch_entry(3), (EpochEntry{3, 500}));
  EXPECT_EQ(cache_.epoch_entry(5), (EpochEntry{5, 1000}));
  EXPECT_EQ(cache_.epoch_entry(4), std::nullopt);
  EXPECT_EQ(cache_.epoch_entry(6), std::nullopt);
}

TEST_F(LeaderEpochCache, EpochForOffset) {
  EXPECT_EQ(cache_.epoch_for_offset(0), std::nullopt);
  assign(0, 10);
  assign(1, 20);
  assign(5, 30);
  EXPECT_EQ(cache_.epoch_for_offset(25), 1);
  EXPECT_EQ(cache_.epoch_for_offset(20), 1);
  EXPECT_EQ(cache_.epoch_for_offset(30), 5);
  EXPECT_EQ(cache_.epoch_for_offset(50), 5);
  EXPECT_EQ(cache_.epoch_for_offset(10), 0);
  EXPECT_EQ(cache_.epoch_for_offset(5), std::nullopt);
}

// ---- persistence -----------------------------------------------------------------------------

TEST_F(LeaderEpochCache, PersistsBetweenInstances) {
  assign(2, 6);
  assign(4, 9);
  auto loaded = storage::LeaderEpochCache::load(fs_, partition_dir_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->epoch_entries(), (Entries{{2, 6}, {4, 9}}));
  EXPECT_EQ(loaded->checkpoint_path(), checkpoint_);
}

TEST_F(LeaderEpochCache, LoadOfMissingCheckpointIsEmpty) {
  auto loaded = storage::LeaderEpochCache::load(fs_, partition_dir_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_TRUE(loaded->empty());
  EXPECT_FALSE(fs_.exists(checkpoint_));
}

TEST_F(LeaderEpochCache, LoadRepairsOutOfOrderHistoryInMemory) {
  // Each entry is assigned as Kafka's cache does when it reads the file.
  put("0\n4\n1 5\n3 10\n2 12\n4 11\n");
  auto loaded = storage::LeaderEpochCache::load(fs_, partition_dir_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->epoch_entries(), (Entries{{1, 5}, {4, 11}}));
  EXPECT_EQ(file_text(), "0\n4\n1 5\n3 10\n2 12\n4 11\n");  // not rewritten by loading
}

TEST_F(LeaderEpochCache, LoadRejectsNegativeEntriesAndCorruptFiles) {
  put("0\n2\n1 5\n-1 7\n");
  auto negative = storage::LeaderEpochCache::load(fs_, partition_dir_);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().code(), ErrorCode::kafka_storage_error);
  EXPECT_NE(negative.status().message().find(checkpoint_), std::string::npos)
      << negative.status().message();

  put("0\n2\n1 5\n");
  auto corrupt = storage::LeaderEpochCache::load(fs_, partition_dir_);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.status().code(), ErrorCode::kafka_storage_error);
  EXPECT_NE(corrupt.status().message().find("Expected 2 entries"), std::string::npos);
}

TEST_F(LeaderEpochCache, FlushFailureIsReportedAndKeepsTheChangeInMemory) {
  FailingRenames failing(fs_);
  storage::LeaderEpochCache cache(failing, partition_dir_);
  ASSERT_TRUE(cache.assign(1, 0).ok());
  failing.fail = true;
  Status s = cache.assign(2, 10);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kafka_storage_error);
  EXPECT_TRUE(is_no_space(s)) << s.message();
  EXPECT_EQ(cache.epoch_entries(), (Entries{{1, 0}, {2, 10}}));
  EXPECT_FALSE(cache.truncate_from_end(10).ok());
  EXPECT_FALSE(cache.truncate_from_start(5).ok());
  EXPECT_FALSE(cache.clear_and_flush().ok());
  EXPECT_EQ(on_disk(), (Entries{{1, 0}}));

  failing.fail = false;
  ASSERT_TRUE(cache.assign(3, 20).ok());
  EXPECT_EQ(on_disk(), (Entries{{3, 20}}));
}

TEST_F(LeaderEpochCache, FollowsThePartitionDirectoryAfterARename) {
  assign(1, 0);
  std::string renamed = join_path(dir_.path(), "TestTopic-5.abc-delete");
  ASSERT_TRUE(fs_.rename(partition_dir_, renamed).ok());
  cache_.set_partition_dir(renamed);
  EXPECT_EQ(cache_.checkpoint_path(), join_path(renamed, "leader-epoch-checkpoint"));
  assign(2, 5);
  auto read = read_leader_epoch_checkpoint(fs_, cache_.checkpoint_path());
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(*read, (Entries{{1, 0}, {2, 5}}));
}

}  // namespace
}  // namespace gregor::storage
