// The bounded descriptor cache of segment files: capacity, transparent reopening, the rule that
// unsynced files stay open, pins for sendfile, and concurrent use while files are evicted.
#include "storage/file_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <thread>

#include "storage/lazy_file.h"
#include "storage/posix_file_system.h"
#include "storage/sim_file_system.h"
#include "temp_dir.h"

namespace gregor::storage {
namespace {

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
