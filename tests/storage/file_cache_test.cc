// The bounded descriptor cache of segment files: capacity, transparent reopening, the rule that
// unsynced files stay open, pins for sendfile, logs with many more segments than descriptors,
// and concurrent use while files are evicted.
#include "storage/file_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <map>
#include <thread>

#include "log_test_util.h"
#include "storage/lazy_file.h"
#include "storage/log_cleaner.h"
#include "storage/posix_file_system.h"
#include "storage/sim_file_system.h"

namespace gregor::storage {
namespace {

using testing::make_batch;
using testing::Rec;
using testing::TempDir;

// Descriptors this process has open.
size_t open_fds() {
  size_t n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  EXPECT_NE(d, nullptr);
  if (!d) return 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n - 1;  // the directory's own
}

std::string contents_of(File& f, size_t size) {
  std::string out(size, '\0');
  auto n = f.read_at(0, std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  EXPECT_TRUE(n.ok()) << n.status().to_string();
  out.resize(n.ok() ? *n : 0);
  return out;
}

std::string file_text(int i) { return "file " + std::to_string(i) + std::string(100 + i, 'a' + i % 26); }

// Every record from offset from to the log end. Unlike read_all, goes past batches that
// compaction left empty.
std::vector<Rec> read_records(Log& log, int64_t from) {
  std::vector<Rec> out;
  for (int64_t offset = from; offset < log.log_end_offset();) {
    auto r = log.read(offset, 1);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok() || r->slice.size == 0) break;
    Bytes bytes = testing::slice_bytes(r->slice);
    auto batch = record::RecordBatchView::parse(bytes);
    EXPECT_TRUE(batch.ok());
    if (!batch.ok()) break;
    for (const Rec& rec : testing::records_of(bytes)) out.push_back(rec);
    offset = batch->last_offset() + 1;
  }
  return out;
}

// Files "f<i>" holding file_text(i), made outside any cache, and a LazyFile for each.
std::vector<std::unique_ptr<LazyFile>> make_files(FileSystem& fs, const std::string& dir, int count, FileCache* cache) {
  std::vector<std::unique_ptr<LazyFile>> files;
  EXPECT_TRUE(fs.create_dirs(dir).ok());
  for (int i = 0; i < count; ++i) {
    std::string path = join_path(dir, "f" + std::to_string(i));
    auto f = fs.open(path, OpenMode::create);
    EXPECT_TRUE(f.ok());
    EXPECT_TRUE((*f)->write_at(0, BytesView::of(file_text(i))).ok());
    files.push_back(std::make_unique<LazyFile>(fs, path, OpenMode::read_write, cache));
  }
  return files;
}

// On the real file system, in a fresh directory.
class FileCacheOnDisk : public ::testing::Test {
 protected:
  TempDir tmp;
  PosixFileSystem fs;
};

// Three small files on the simulated file system, through a cache of one descriptor.
class FileCacheSim : public ::testing::Test {
 protected:
  SimFileSystem fs;
  FileCache cache{1};
  std::vector<std::unique_ptr<LazyFile>> files = make_files(fs, "/d", 3, &cache);
};

TEST_F(FileCacheOnDisk, KeepsCleanFilesWithinCapacity) {
  FileCache cache(8);
  auto files = make_files(fs, tmp.path(), 50, &cache);
  size_t before = open_fds();
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < files.size(); ++i) {
      EXPECT_EQ(contents_of(*files[i], 1000), file_text(static_cast<int>(i)));
      EXPECT_LE(cache.open_count(), 8u);
      EXPECT_LE(open_fds(), before + 8);
    }
  }
  EXPECT_EQ(cache.open_count(), 8u);
  EXPECT_EQ(cache.evictions(), 100u - 8);
  EXPECT_EQ(cache.capacity(), 8u);
  files.clear();
  EXPECT_EQ(cache.open_count(), 0u);
  EXPECT_EQ(open_fds(), before);
}

TEST(FileCache, EvictsTheLeastRecentlyUsed) {
  SimFileSystem fs;
  FileCache cache(3);
  auto files = make_files(fs, "/d", 4, &cache);
  for (int i = 0; i < 3; ++i) contents_of(*files[i], 10);
  contents_of(*files[0], 10);  // 0 used again: 1 is now the least recent
  contents_of(*files[3], 10);
  EXPECT_EQ(cache.evictions(), 1u);
  // Files 0, 2 and 3 are open: reading them evicts nothing, reading 1 again does.
  for (int i : {0, 2, 3}) contents_of(*files[i], 10);
  EXPECT_EQ(cache.evictions(), 1u);
  contents_of(*files[1], 10);
  EXPECT_EQ(cache.evictions(), 2u);
}

TEST_F(FileCacheOnDisk, AnEvictedFileReopensWithoutTruncatingOrCreating) {
  FileCache cache(1);
  LazyFile a(fs, tmp.file("a"), OpenMode::create, &cache);
  ASSERT_TRUE(a.write_at(0, BytesView::of("hello")).ok());
  ASSERT_TRUE(a.sync().ok());
  auto others = make_files(fs, tmp.path(), 1, &cache);
  EXPECT_EQ(contents_of(*others[0], 1000), file_text(0));
  EXPECT_EQ(cache.evictions(), 1u);  // a, now clean
  ASSERT_TRUE(a.write_at(5, BytesView::of(" world")).ok());  // reopened, not truncated
  EXPECT_EQ(contents_of(a, 100), "hello world");
  auto size = a.size();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 11u);
  ASSERT_TRUE(a.sync().ok());

  // Deleted while closed: a reopen fails rather than creating an empty file.
  EXPECT_EQ(contents_of(*others[0], 1000), file_text(0));
  ASSERT_TRUE(fs.remove(tmp.file("a")).ok());
  EXPECT_FALSE(a.size().ok());
  EXPECT_FALSE(fs.exists(tmp.file("a")));
}

TEST_F(FileCacheSim, AFileWithUnsyncedWritesStaysOpenUntilSynced) {
  LazyFile& a = *files[0];
  ASSERT_TRUE(a.write_at(0, BytesView::of("new")).ok());
  auto first = a.pin();  // holds the open file, to tell it from a reopened one
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(cache.unsynced_count(), 1u);
  for (int round = 0; round < 3; ++round) {
    contents_of(*files[1], 10);
    contents_of(*files[2], 10);
  }
  // Over capacity rather than closing a, whose write-back error a new descriptor could miss.
  EXPECT_EQ(cache.open_count(), 2u);
  auto still = a.pin();
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->get(), first->get());
  still->reset();

  // A truncate counts as a write too.
  ASSERT_TRUE(a.sync().ok());
  ASSERT_TRUE(a.truncate(2).ok());
  auto second = a.pin();
  ASSERT_TRUE(second.ok());
  for (int round = 0; round < 3; ++round) {
    contents_of(*files[1], 10);
    contents_of(*files[2], 10);
  }
  EXPECT_EQ(cache.unsynced_count(), 1u);
  EXPECT_EQ(cache.open_count(), 2u);
  EXPECT_EQ(a.pin()->get(), second->get());

  // Synced, the cache closes one file at once (it is over capacity), and a closes like any other
  // once unused, reopening on its next use.
  ASSERT_TRUE(a.sync().ok());
  EXPECT_EQ(cache.unsynced_count(), 0u);
  EXPECT_EQ(cache.open_count(), 1u);
  for (int round = 0; round < 3; ++round) {
    contents_of(*files[1], 10);
    contents_of(*files[2], 10);
  }
  EXPECT_EQ(contents_of(a, 10), "ne");
  EXPECT_NE(a.pin()->get(), second->get());
}

TEST_F(FileCacheSim, AFailedSyncKeepsTheFileOpen) {
  LazyFile& a = *files[0];
  ASSERT_TRUE(a.write_at(0, BytesView::of("x")).ok());
  fs.inject_failure(SimOp::sync, "/d/f0", EIO);
  EXPECT_FALSE(a.sync().ok());
  contents_of(*files[1], 10);
  EXPECT_EQ(cache.open_count(), 2u);
  EXPECT_EQ(cache.unsynced_count(), 1u);
  ASSERT_TRUE(a.sync().ok());
  EXPECT_EQ(cache.open_count(), 1u);
}

TEST_F(FileCacheSim, SyncOfAFileClosedCleanDoesNotReopenIt) {
  // Never synced through the LazyFile: its pages may be dirty from before (another process, a
  // restart), so sync() opens it and fdatasyncs as it always did.
  contents_of(*files[0], 10);
  contents_of(*files[1], 10);
  uint64_t syncs = fs.sync_count();
  ASSERT_TRUE(files[0]->sync().ok());
  EXPECT_EQ(fs.sync_count(), syncs + 1);
  // Synced once and closed since: nothing was written through it, so there is nothing to sync.
  contents_of(*files[2], 10);
  uint64_t evictions = cache.evictions();
  ASSERT_TRUE(files[0]->sync().ok());
  EXPECT_EQ(fs.sync_count(), syncs + 1);
  EXPECT_EQ(cache.evictions(), evictions);  // nothing opened
}

TEST_F(FileCacheSim, ARenamedFileReopensUnderItsNewName) {
  ASSERT_TRUE(files[0]->rename("/d/g0").ok());
  EXPECT_EQ(files[0]->path(), "/d/g0");
  contents_of(*files[1], 1000);
  EXPECT_EQ(contents_of(*files[0], 1000), file_text(0));
  contents_of(*files[1], 1000);
  ASSERT_TRUE(files[0]->rename("/d/h0").ok());
  EXPECT_EQ(contents_of(*files[0], 1000), file_text(0));
  EXPECT_EQ(cache.evictions(), 3u);
}

TEST_F(FileCacheOnDisk, ADescriptorForSendfileComesFromAPin) {
  FileCache cache(1);
  auto files = make_files(fs, tmp.path(), 2, &cache);
  // The cache may close the descriptor behind a caller's back: only a pinned one is handed out.
  EXPECT_EQ(files[0]->native_handle(), -1);
  auto pinned = files[0]->pin();
  ASSERT_TRUE(pinned.ok());
  int fd = (*pinned)->native_handle();
  ASSERT_GE(fd, 0);
  contents_of(*files[1], 1000);
  EXPECT_EQ(cache.evictions(), 1u);
  // Evicted, yet the pinned descriptor is still open and reads the file.
  char buf[6] = {};
  EXPECT_EQ(::pread(fd, buf, 6, 0), 6);
  EXPECT_EQ(std::string(buf, 6), "file 0");
  pinned->reset();
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);  // closed with the last reference

  // Without a cache the descriptor stays open for the LazyFile's life, as before.
  LazyFile unbounded(fs, tmp.file("f1"), OpenMode::read_only);
  EXPECT_GE(unbounded.native_handle(), 0);
  auto p = unbounded.pin();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->native_handle(), unbounded.native_handle());
}

TEST(FileCache, DefaultCapacityComesFromTheDescriptorLimit) {
  size_t n = default_max_open_files();
  EXPECT_GE(n, 64u);
  EXPECT_LE(n, size_t{1} << 20);
}

// A log of 200 segments read back through a cache of 16 descriptors.
TEST_F(FileCacheOnDisk, ALogOfManySegmentsReadsBackWithinCapacity) {
  constexpr size_t kCapacity = 16;
  ManualClock clock{1'700'000'000'000};
  InlineSyncExecutor syncs;
  FileCache cache(kCapacity);
  size_t before = open_fds();
  size_t most = 0;
  auto check_bound = [&] {
    // Unsynced files may go over capacity. With flush.messages=1 and inline syncs every append
    // is synced before the next; the active segment's new indexes are synced when it rolls.
    EXPECT_LE(cache.unsynced_count(), 2u);
    EXPECT_LE(cache.open_count(), kCapacity + cache.unsynced_count());
    most = std::max(most, open_fds() - before);
  };
  Log::Options o;
  o.dir = tmp.file("topic-0");
  o.config.segment_bytes = 150;  // one batch a segment
  o.config.message_timestamp_after_max_ms = LogConfig::kLongMax;
  o.config.retention_ms = -1;
  o.file_cache = &cache;
  std::vector<Rec> expected;
  {
    auto log = Log::open(fs, clock, syncs, o);
    ASSERT_TRUE(log.ok()) << log.status().to_string();
    for (int b = 0; b < 200; ++b) {
      Bytes batch = make_batch(3, 1000 + b * 3, b * 3);
      auto r = (*log)->append_as_leader(batch, 0);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      bool durable = false;
      (*log)->when_durable(r->last_offset + 1, [&](Status s) { durable = s.ok(); });
      EXPECT_TRUE(durable);
      check_bound();
    }
    ASSERT_EQ((*log)->segment_count(), 200u);
    for (int i = 0; i < 600; ++i) {
      expected.push_back(Rec{i, 1000 + i, "k" + std::to_string(i), "v" + std::to_string(i)});
    }
    EXPECT_EQ(testing::read_all(**log, 0), expected);
    check_bound();
    ASSERT_TRUE((*log)->close().ok());
  }
  EXPECT_EQ(cache.open_count(), 0u);

  // Reopened after a crash (no clean shutdown): recovery scans every segment; then read back
  // batch by batch, each read from a segment whose descriptor was evicted.
  auto log = Log::open(fs, clock, syncs, o);
  ASSERT_TRUE(log.ok()) << log.status().to_string();
  check_bound();
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<Rec> got;
    for (int64_t offset = 0; offset < 600; offset += 3) {
      auto r = (*log)->read(offset, 1);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      for (const Rec& rec : testing::records_of(testing::slice_bytes(r->slice))) got.push_back(rec);
      check_bound();
    }
    EXPECT_EQ(got, expected);
  }
  EXPECT_EQ(cache.unsynced_count(), 0u);  // opening flushed the rebuilt indexes
  EXPECT_GT(cache.evictions(), 400u);
  // + the active segment's new indexes, + a read's pinned slice of an evicted segment.
  EXPECT_LE(most, kCapacity + 3);
}

// Compaction, retention and reopening rename and delete segment files whose descriptors the
// cache closed meanwhile: the files must follow their new names.
TEST(FileCache, ALogThroughCompactionRetentionAndRestart) {
  constexpr size_t kCapacity = 4;
  SimFileSystem fs;
  ManualClock clock{1'700'000'000'000};
  InlineSyncExecutor syncs;
  FileCache cache(kCapacity);
  auto check_bound = [&] { EXPECT_LE(cache.open_count(), kCapacity + cache.unsynced_count()); };
  Log::Options o;
  o.dir = "/data/compacted-0";
  o.config.cleanup_policy_compact = true;
  o.config.cleanup_policy_delete = false;
  o.config.retention_ms = -1;
  o.config.message_timestamp_after_max_ms = LogConfig::kLongMax;
  o.config.segment_bytes = 400;  // a few batches a segment
  o.config.index_interval_bytes = 64;
  o.file_cache = &cache;
  auto opened = Log::open(fs, clock, syncs, o);
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  std::unique_ptr<Log> log = std::move(*opened);
  // 60 batches over 12 keys.
  for (int b = 0; b < 60; ++b) {
    Bytes batch = make_batch(3, 1000 + b * 3, (b % 4) * 3);
    auto r = log->append_as_leader(batch, 0);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    check_bound();
  }
  ASSERT_TRUE(log->flush().ok());
  log->set_high_watermark(log->log_end_offset());
  ASSERT_GT(log->segment_count(), 3 * kCapacity);
  std::vector<Rec> original = read_records(*log, 0);
  ASSERT_EQ(original.size(), 180u);

  auto cleaned = clean_log(*log, CleanerOptions{}, clock.now_ms());
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().to_string();
  EXPECT_GT(cleaned->groups, 0);
  check_bound();
  std::vector<Rec> compacted = read_records(*log, 0);
  EXPECT_LT(compacted.size(), original.size());
  std::map<std::string, int64_t> latest;
  for (const Rec& r : original) latest[r.key] = r.offset;
  for (const Rec& r : compacted) {
    EXPECT_EQ(r, original[r.offset]);
    if (auto it = latest.find(r.key); it != latest.end() && it->second == r.offset) latest.erase(it);
  }
  EXPECT_TRUE(latest.empty()) << latest.size() << " keys lost their latest record";

  // Segments below the log start are renamed .deleted at once and removed later.
  int64_t start = log->segments()[3]->base_offset();
  ASSERT_TRUE(log->delete_records_before(start).ok());
  ASSERT_EQ(log->log_start_offset(), start);
  clock.advance(o.config.file_delete_delay_ms + 1);
  ASSERT_TRUE(log->delete_expired_files().ok());
  check_bound();
  std::vector<Rec> kept;
  for (const Rec& r : compacted) {
    if (r.offset >= start) kept.push_back(r);
  }
  EXPECT_EQ(read_records(*log, start), kept);
  int64_t end = log->log_end_offset();
  ASSERT_TRUE(log->close().ok());
  log.reset();
  EXPECT_EQ(cache.open_count(), 0u);

  // Reopened after a clean shutdown, and again as after a crash.
  for (bool clean : {true, false}) {
    o.clean_shutdown = clean;
    o.recovery_point = clean ? end : 0;
    o.log_start_offset = start;
    auto reopened = Log::open(fs, clock, syncs, o);
    ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
    check_bound();
    EXPECT_EQ(read_records(**reopened, start), kept);
    check_bound();
    ASSERT_TRUE((*reopened)->close().ok());
  }
  EXPECT_GT(cache.evictions(), 0u);
}

// Two readers and a thread forcing evictions share files on the real file system; ASan
// checks that no descriptor or File is used after it is closed.
TEST_F(FileCacheOnDisk, ConcurrentReadsWhileFilesAreEvicted) {
  FileCache cache(2);
  auto shared = make_files(fs, tmp.path(), 4, &cache);
  std::vector<std::unique_ptr<LazyFile>> churn;
  for (int i = 0; i < 8; ++i) {
    std::string path = tmp.file("churn" + std::to_string(i));
    ASSERT_TRUE(fs.open(path, OpenMode::create).ok());
    churn.push_back(std::make_unique<LazyFile>(fs, path, OpenMode::read_write, &cache));
  }
  constexpr int kRounds = 3000;
  std::atomic<int> wrong{0};
  std::latch start(3);
  auto reader = [&](int seed) {
    start.arrive_and_wait();
    for (int i = 0; i < kRounds; ++i) {
      int n = (i * 7 + seed) % 4;
      if (i % 5 == 0) {
        // A pinned file read after the pin, as sendfile would.
        auto p = shared[n]->pin();
        if (!p.ok() || contents_of(**p, 1000) != file_text(n)) ++wrong;
      } else if (contents_of(*shared[n], 1000) != file_text(n)) {
        ++wrong;
      }
    }
  };
  std::thread a(reader, 0), b(reader, 1);
  std::thread evictor([&] {
    start.arrive_and_wait();
    for (int i = 0; i < kRounds; ++i) {
      LazyFile& f = *churn[i % churn.size()];
      if (!f.size().ok()) ++wrong;
      if (i % 10 == 0 && !f.sync().ok()) ++wrong;
    }
  });
  a.join();
  b.join();
  evictor.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(cache.evictions(), 1000u);
  // Files busy in another thread's call are skipped, so the cache may have ended over capacity;
  // the next open, with nothing busy, brings it back.
  auto last = make_files(fs, tmp.file("last"), 1, &cache);
  EXPECT_EQ(contents_of(*last[0], 1000), file_text(0));
  EXPECT_LE(cache.open_count(), 2u);
}

// The owner writing, a sync thread syncing and a reader reading, as a log's active segment
// is used, while the reader's other files force evictions: the written file must never be
// closed with writes unsynced, and ends up holding every write.
TEST_F(FileCacheOnDisk, WritesSyncsAndReadsFromThreeThreads) {
  FileCache cache(1);
  LazyFile active(fs, tmp.file("active"), OpenMode::create, &cache);
  auto others = make_files(fs, tmp.path(), 3, &cache);
  constexpr int kWrites = 2000;
  std::atomic<int> written{0};
  std::atomic<int> wrong{0};
  std::latch start(3);
  std::thread owner([&] {
    start.arrive_and_wait();
    for (int i = 0; i < kWrites; ++i) {
      uint8_t byte = static_cast<uint8_t>(i);
      if (!active.write_at(i, BytesView(&byte, 1)).ok()) ++wrong;
      written.store(i + 1, std::memory_order_release);
    }
  });
  std::thread syncer([&] {
    start.arrive_and_wait();
    while (written.load(std::memory_order_acquire) < kWrites) {
      if (!active.sync().ok()) ++wrong;
    }
    if (!active.sync().ok()) ++wrong;
  });
  std::thread reader([&] {
    start.arrive_and_wait();
    for (int i = 0; i < kWrites; ++i) {
      int n = written.load(std::memory_order_acquire);
      if (n > 0) {
        uint8_t byte = 0;
        auto got = active.read_at(n - 1, std::span(&byte, 1));
        if (!got.ok() || *got != 1 || byte != static_cast<uint8_t>(n - 1)) ++wrong;
      }
      if (contents_of(*others[i % 3], 1000) != file_text(i % 3)) ++wrong;
    }
  });
  owner.join();
  syncer.join();
  reader.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(cache.unsynced_count(), 0u);
  std::string all = contents_of(active, kWrites + 10);
  ASSERT_EQ(all.size(), size_t{kWrites});
  for (int i = 0; i < kWrites; ++i) ASSERT_EQ(static_cast<uint8_t>(all[i]), static_cast<uint8_t>(i)) << i;
  EXPECT_GT(cache.evictions(), 0u);
}

}  // namespace
}  // namespace gregor::storage
