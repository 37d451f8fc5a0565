#include "storage/sim_file_system.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace gregor::storage {
namespace {

BytesView view(std::string_view s) { return BytesView::of(s); }

std::string str(const Bytes& b) { return std::string(b.begin(), b.end()); }

// Whether status failed with the system error err.
bool has_errno(const Status& status, int err) {
  return !status.ok() && status.code() == ErrorCode::kafka_storage_error &&
         status.message().find(std::strerror(err)) != std::string::npos;
}

std::shared_ptr<File> open_file(FileSystem& fs, const std::string& path,
                                OpenMode mode = OpenMode::create) {
  auto file = fs.open(path, mode);
  EXPECT_TRUE(file.ok()) << file.status().to_string();
  return file.ok() ? *file : nullptr;
}

std::string read_all(File& file) {
  auto size = file.size();
  EXPECT_TRUE(size.ok()) << size.status().to_string();
  if (!size.ok()) return {};
  Bytes out(*size);
  auto n = file.read_at(0, out);
  EXPECT_TRUE(n.ok()) << n.status().to_string();
  if (!n.ok()) return {};
  out.resize(*n);
  return str(out);
}

std::string contents(const SimFileSystem& fs, const std::string& path) {
  auto c = fs.contents(path);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return c.ok() ? str(*c) : std::string();
}

std::string durable(const SimFileSystem& fs, const std::string& path) {
  auto c = fs.durable_contents(path);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return c.ok() ? str(*c) : std::string();
}

// --- Plain file system semantics ---

TEST(SimFileSystem, WriteReadSizeAndTruncate) {
  SimFileSystem fs;
  auto f = open_file(fs, "f");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->path(), "f");
  EXPECT_EQ(f->native_handle(), -1);
  EXPECT_EQ(*f->size(), 0u);

  ASSERT_TRUE(f->write_at(0, view("hello")).ok());
  ASSERT_TRUE(f->write_at(8, view("xy")).ok());  // leaves a hole of zeros
  EXPECT_EQ(*f->size(), 10u);
  EXPECT_EQ(contents(fs, "f"), std::string("hello\0\0\0xy", 10));

  uint8_t buf[4];
  auto n = f->read_at(1, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(std::string(buf, buf + 4), "ello");
  n = f->read_at(8, buf);  // short read at end of file
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  n = f->read_at(100, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);

  ASSERT_TRUE(f->write_at(1, view("EL")).ok());
  ASSERT_TRUE(f->truncate(4).ok());
  EXPECT_EQ(read_all(*f), "hELl");
  ASSERT_TRUE(f->truncate(6).ok());
  EXPECT_EQ(read_all(*f), std::string("hELl\0\0", 6));
  EXPECT_EQ(fs.total_bytes(), 6u);
  EXPECT_EQ(fs.file_count(), 1u);
}

TEST(SimFileSystem, OpenModes) {
  SimFileSystem fs;
  EXPECT_TRUE(has_errno(fs.open("f", OpenMode::read_only).status(), ENOENT));
  EXPECT_TRUE(has_errno(fs.open("f", OpenMode::read_write).status(), ENOENT));
  EXPECT_TRUE(has_errno(fs.open("nodir/f", OpenMode::create).status(), ENOENT));
  EXPECT_FALSE(fs.exists("f"));

  auto f = open_file(fs, "f", OpenMode::create_exclusive);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write_at(0, view("data")).ok());
  EXPECT_TRUE(fs.exists("f"));
  EXPECT_TRUE(has_errno(fs.open("f", OpenMode::create_exclusive).status(), EEXIST));
  EXPECT_EQ(read_all(*open_file(fs, "f", OpenMode::create)), "data");  // create keeps contents

  auto ro = open_file(fs, "f", OpenMode::read_only);
  ASSERT_TRUE(ro);
  EXPECT_EQ(read_all(*ro), "data");
  EXPECT_TRUE(has_errno(ro->write_at(0, view("x")), EBADF));
  EXPECT_TRUE(has_errno(ro->truncate(0), EBADF));
  EXPECT_EQ(contents(fs, "f"), "data");

  ASSERT_TRUE(fs.create_dirs("d").ok());
  EXPECT_TRUE(has_errno(fs.open("d", OpenMode::read_only).status(), EISDIR));
  EXPECT_TRUE(has_errno(fs.open("f/x", OpenMode::create).status(), ENOTDIR));
  EXPECT_TRUE(has_errno(fs.create_dirs("f/x"), ENOTDIR));
}

TEST(SimFileSystem, PathsAreNormalised) {
  SimFileSystem fs;
  ASSERT_TRUE(fs.create_dirs("/data/./logs/").ok());
  ASSERT_TRUE(open_file(fs, "/data/logs/a"));
  EXPECT_TRUE(fs.exists("data/logs/a"));
  EXPECT_TRUE(fs.exists("data/x/../logs//a"));
  auto names = fs.list("/");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"data"});
}

TEST(SimFileSystem, ListRenameAndRemove) {
  SimFileSystem fs;
  ASSERT_TRUE(fs.create_dirs("a/b").ok());
  ASSERT_TRUE(fs.create_dirs("a/b").ok());  // existing: fine
  ASSERT_TRUE(fs.create_dirs("a/c").ok());
  ASSERT_TRUE(open_file(fs, "a/x")->write_at(0, view("xx")).ok());
  ASSERT_TRUE(open_file(fs, "a/y")->write_at(0, view("yyy")).ok());

  auto names = fs.list("a");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"b", "c", "x", "y"}));
  EXPECT_TRUE(has_errno(fs.list("missing").status(), ENOENT));
  EXPECT_TRUE(has_errno(fs.list("a/x").status(), ENOTDIR));
  EXPECT_EQ(fs.file_count(), 2u);

  // Rename replaces the target and frees its space.
  ASSERT_TRUE(fs.rename("a/x", "a/y").ok());
  EXPECT_FALSE(fs.exists("a/x"));
  EXPECT_EQ(contents(fs, "a/y"), "xx");
  EXPECT_EQ(fs.total_bytes(), 2u);
  EXPECT_EQ(fs.file_count(), 1u);
  // Across directories, and whole directories.
  ASSERT_TRUE(fs.rename("a/y", "a/b/z").ok());
  ASSERT_TRUE(fs.rename("a/b", "a/c/b").ok());
  EXPECT_EQ(contents(fs, "a/c/b/z"), "xx");
  EXPECT_TRUE(fs.rename("a/c/b/z", "a/c/b/z").ok());  // onto itself: nothing happens
  EXPECT_EQ(contents(fs, "a/c/b/z"), "xx");

  EXPECT_TRUE(has_errno(fs.rename("a/missing", "a/q"), ENOENT));
  EXPECT_TRUE(has_errno(fs.rename("a/c/b/z", "nodir/z"), ENOENT));
  EXPECT_TRUE(has_errno(fs.rename("a/c", "a/c/b/inside"), EINVAL));
  EXPECT_TRUE(has_errno(fs.rename("a/c/b/z", "a/c"), EISDIR));
  ASSERT_TRUE(fs.create_dirs("e").ok());
  EXPECT_TRUE(has_errno(fs.rename("e", "a"), ENOTEMPTY));

  EXPECT_TRUE(has_errno(fs.remove("a/c"), ENOTEMPTY));
  EXPECT_TRUE(has_errno(fs.remove("a/nothing"), ENOENT));
  ASSERT_TRUE(fs.remove("a/c/b/z").ok());
  ASSERT_TRUE(fs.remove("a/c/b").ok());
  ASSERT_TRUE(fs.remove("a/c").ok());
  names = fs.list("a");
  ASSERT_TRUE(names.ok());
  EXPECT_TRUE(names->empty());
  EXPECT_EQ(fs.total_bytes(), 0u);
  EXPECT_EQ(fs.file_count(), 0u);
}

TEST(SimFileSystem, OpenFilesOutliveTheirNames) {
  SimFileSystem fs;
  auto f = open_file(fs, "f");
  ASSERT_TRUE(f->write_at(0, view("abc")).ok());
  ASSERT_TRUE(fs.rename("f", "g").ok());
  ASSERT_TRUE(f->write_at(3, view("d")).ok());
  EXPECT_EQ(contents(fs, "g"), "abcd");
  EXPECT_EQ(f->path(), "f");  // the name it was opened with

  ASSERT_TRUE(fs.remove("g").ok());
  EXPECT_FALSE(fs.exists("g"));
  ASSERT_TRUE(f->write_at(4, view("e")).ok());
  EXPECT_EQ(read_all(*f), "abcde");
  ASSERT_TRUE(f->sync().ok());
  EXPECT_EQ(fs.total_bytes(), 5u);  // an open removed file still takes space
  EXPECT_EQ(fs.file_count(), 0u);
  f.reset();
  EXPECT_EQ(fs.total_bytes(), 0u);
}

TEST(SimFileSystem, CountsMutationsAndSyncs) {
  SimFileSystem fs;
  ASSERT_TRUE(fs.create_dirs("d").ok());
  auto f = open_file(fs, "d/f");
  ASSERT_TRUE(f->write_at(0, view("x")).ok());
  ASSERT_TRUE(f->sync().ok());
  ASSERT_TRUE(f->truncate(0).ok());
  ASSERT_TRUE(fs.sync_dir("d").ok());
  ASSERT_TRUE(fs.rename("d/f", "d/g").ok());
  ASSERT_TRUE(fs.remove("d/g").ok());
  EXPECT_EQ(fs.mutation_count(), 8u);

  // Opening an existing file, reading and failing are not mutations.
  auto g = open_file(fs, "d/h");
  EXPECT_EQ(fs.mutation_count(), 9u);
  ASSERT_TRUE(open_file(fs, "d/h", OpenMode::read_write));
  uint8_t buf[1];
  ASSERT_TRUE(g->read_at(0, buf).ok());
  EXPECT_FALSE(fs.remove("d/missing").ok());
  EXPECT_EQ(fs.mutation_count(), 9u);
  EXPECT_EQ(fs.sync_count(), 1u);
}

// --- Crashes ---

// A file with synced contents in synced directories: the starting point of the crash tests.
std::shared_ptr<File> durable_file(SimFileSystem& fs, const std::string& dir,
                                   const std::string& name, std::string_view data) {
  EXPECT_TRUE(fs.create_dirs(dir).ok());
  auto f = open_file(fs, join_path(dir, name));
  if (!f) return nullptr;
  EXPECT_TRUE(f->write_at(0, view(data)).ok());
  fs.sync_all();
  EXPECT_EQ(durable(fs, join_path(dir, name)), data);
  return f;
}

TEST(SimFileSystemCrash, UnsyncedDataIsLostAndDurableDataKept) {
  bool lost_all = false, kept_all = false;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    SimFileSystem fs;
    auto f = durable_file(fs, "d", "f", "durable");
    ASSERT_TRUE(f->write_at(7, view("-pending")).ok());
    EXPECT_EQ(contents(fs, "d/f"), "durable-pending");
    EXPECT_EQ(durable(fs, "d/f"), "durable");

    fs.crash(seed);
    std::string after = contents(fs, "d/f");
    EXPECT_EQ(after.substr(0, 7), "durable") << "seed " << seed;
    EXPECT_LE(after.size(), 15u);
    EXPECT_EQ(durable(fs, "d/f"), after);  // everything is durable after a crash
    lost_all |= after == "durable";
    kept_all |= after == "durable-pending";
  }
  EXPECT_TRUE(lost_all);
  EXPECT_TRUE(kept_all);
}

TEST(SimFileSystemCrash, IsDeterministicForASeed) {
  auto run = [](uint64_t seed) {
    SimFileSystem fs;
    auto f = durable_file(fs, "d", "f", "0123456789");
    EXPECT_TRUE(f->write_at(10, view("abcdefghijklmnopqrstuvwxyz")).ok());
    EXPECT_TRUE(f->write_at(3, view("ABCDEFGHIJKLMNOPQRSTUVWXYZ")).ok());
    EXPECT_TRUE(open_file(fs, "d/g"));
    fs.crash(seed);
    return contents(fs, "d/f") + "|" + std::to_string(fs.exists("d/g"));
  };
  std::set<std::string> outcomes;
  for (uint64_t seed = 0; seed < 32; ++seed) {
    std::string first = run(seed);
    EXPECT_EQ(run(seed), first);
    outcomes.insert(first);
  }
  EXPECT_GT(outcomes.size(), 4u);
}

// One pending operation of the model below.
struct ModelOp {
  bool truncate = false;
  uint64_t offset = 0;  // or the new size
  std::string data;
};

// s with op applied, of a write only the first `landed` bytes.
std::string applied(std::string s, const ModelOp& op, size_t landed) {
  if (op.truncate) {
    s.resize(op.offset);
  } else if (landed > 0) {
    if (s.size() < op.offset + landed) s.resize(op.offset + landed, '\0');
    s.replace(op.offset, landed, op.data, 0, landed);
  }
  return s;
}

struct Outcome {
  size_t kept;   // pending operations that reached the disk
  bool torn;     // the last of them only partly
  bool garbage;  // and the rest of its range holds other bytes
};

// How a crash could have turned durable + ops into after; nullopt when it could not have.
std::optional<Outcome> explain(const std::string& after, const std::string& durable_part,
                               const std::vector<ModelOp>& ops, bool allow_garbage) {
  std::string state = durable_part;
  for (size_t k = 0;; ++k) {
    if (after == state) return Outcome{k, false, false};
    if (k == ops.size()) return std::nullopt;
    const ModelOp& op = ops[k];
    std::string full = applied(state, op, op.data.size());
    if (!op.truncate) {
      for (size_t m = 1; m < op.data.size(); ++m) {
        if (after == applied(state, op, m)) return Outcome{k + 1, true, false};
      }
      if (allow_garbage && after != full && after.size() == full.size()) {
        // Bytes outside the write's range must be exactly those of the full write.
        bool same_outside = true;
        for (size_t i = 0; i < after.size(); ++i) {
          bool inside = i >= op.offset && i < op.offset + op.data.size();
          if (!inside && after[i] != full[i]) same_outside = false;
        }
        if (same_outside) return Outcome{k + 1, true, true};
      }
    }
    state = std::move(full);
  }
}

void check_crash_keeps_prefix(bool torn_garbage) {
  const std::vector<ModelOp> ops = {
      {false, 9, "aaaa"},         // append
      {false, 13, "bbbbbbbbbb"},  // append
      {false, 2, "XYZ"},          // overwrite
      {true, 17, ""},             // shrink
      {false, 17, "cccccc"},      // append again
      {false, 30, "dddddddd"},    // past the end, leaving a hole
  };
  std::set<size_t> kept_counts;
  int torn = 0, garbage = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    SimFileSystem::Options options;
    options.torn_garbage = torn_garbage;
    SimFileSystem fs(options);
    auto f = durable_file(fs, "d", "f", "base-data");
    for (const ModelOp& op : ops) {
      Status s = op.truncate ? f->truncate(op.offset) : f->write_at(op.offset, view(op.data));
      ASSERT_TRUE(s.ok()) << s.to_string();
    }

    fs.crash(seed);
    std::string after = contents(fs, "d/f");
    auto outcome = explain(after, "base-data", ops, torn_garbage);
    ASSERT_TRUE(outcome) << "seed " << seed << ": " << to_hex(view(after));
    kept_counts.insert(outcome->kept);
    torn += outcome->torn;
    garbage += outcome->garbage;
  }
  EXPECT_EQ(kept_counts.size(), ops.size() + 1);  // every prefix length happens
  EXPECT_GT(torn, 0);
  if (torn_garbage) {
    EXPECT_GT(garbage, 0);
  } else {
    EXPECT_EQ(garbage, 0);
  }
}

TEST(SimFileSystemCrash, KeepsAPrefixOfPendingWrites) { check_crash_keeps_prefix(false); }

TEST(SimFileSystemCrash, KeepsAPrefixOfPendingWritesWithGarbageTails) {
  check_crash_keeps_prefix(true);
}

TEST(SimFileSystemCrash, CreateWithoutSyncDirMayVanish) {
  bool vanished = false, survived = false, dir_vanished = false;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    SimFileSystem fs;
    ASSERT_TRUE(fs.create_dirs("d").ok());
    ASSERT_TRUE(fs.sync_dir(".").ok());  // "d" itself is durable
    auto f = open_file(fs, "d/new");
    ASSERT_TRUE(f->write_at(0, view("x")).ok());
    ASSERT_TRUE(f->sync().ok());  // the data is durable, the name is not
    ASSERT_TRUE(fs.create_dirs("e").ok());  // never synced

    fs.crash(seed);
    ASSERT_TRUE(fs.exists("d"));
    if (fs.exists("d/new")) {
      survived = true;
      EXPECT_EQ(contents(fs, "d/new"), "x");
    } else {
      vanished = true;
    }
    dir_vanished |= !fs.exists("e");
  }
  EXPECT_TRUE(vanished);
  EXPECT_TRUE(survived);
  EXPECT_TRUE(dir_vanished);

  for (uint64_t seed = 0; seed < 16; ++seed) {
    SimFileSystem fs;
    ASSERT_TRUE(fs.create_dirs("d").ok());
    ASSERT_TRUE(fs.sync_dir("").ok());
    ASSERT_TRUE(open_file(fs, "d/new")->sync().ok());
    ASSERT_TRUE(fs.sync_dir("d").ok());
    fs.crash(seed);
    EXPECT_TRUE(fs.exists("d/new"));
  }
}

TEST(SimFileSystemCrash, RemoveWithoutSyncDirMayBeUndone) {
  bool undone = false, removed = false;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    SimFileSystem fs;
    durable_file(fs, "d", "f", "keep");
    ASSERT_TRUE(fs.remove("d/f").ok());
    fs.crash(seed);
    if (fs.exists("d/f")) {
      undone = true;
      EXPECT_EQ(contents(fs, "d/f"), "keep");
    } else {
      removed = true;
    }
    EXPECT_EQ(fs.total_bytes(), fs.exists("d/f") ? 4u : 0u);
  }
  EXPECT_TRUE(undone);
  EXPECT_TRUE(removed);
}

TEST(SimFileSystemCrash, RenameIsAtomic) {
  bool saw_old = false, saw_new = false;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    SimFileSystem fs;
    ASSERT_TRUE(fs.create_dirs("d").ok());
    ASSERT_TRUE(fs.sync_dir("").ok());
    ASSERT_TRUE(write_file_atomically(fs, "d/meta", view("old")).ok());
    auto tmp = open_file(fs, "d/meta.tmp");
    ASSERT_TRUE(tmp->write_at(0, view("new")).ok());
    ASSERT_TRUE(tmp->sync().ok());
    ASSERT_TRUE(fs.rename("d/meta.tmp", "d/meta").ok());  // directory not synced

    fs.crash(seed);
    auto meta = read_file(fs, "d/meta");
    ASSERT_TRUE(meta.ok()) << "seed " << seed << ": " << meta.status().to_string();
    if (str(*meta) == "new") {
      saw_new = true;
      EXPECT_FALSE(fs.exists("d/meta.tmp"));
    } else {
      saw_old = true;
      EXPECT_EQ(str(*meta), "old");
    }
  }
  EXPECT_TRUE(saw_old);
  EXPECT_TRUE(saw_new);
}

TEST(SimFileSystemCrash, RenameAcrossDirectoriesKeepsTheFile) {
  bool only_source = false, only_target = false, both = false;
  for (uint64_t seed = 0; seed < 128; ++seed) {
    SimFileSystem fs;
    ASSERT_TRUE(fs.create_dirs("b").ok());
    durable_file(fs, "a", "f", "data");
    ASSERT_TRUE(fs.rename("a/f", "b/f").ok());
    ASSERT_TRUE(open_file(fs, "a/later"));  // a pending operation after the unlink

    fs.crash(seed);
    bool in_a = fs.exists("a/f"), in_b = fs.exists("b/f");
    ASSERT_TRUE(in_a || in_b) << "seed " << seed;
    if (in_a) {
      EXPECT_EQ(contents(fs, "a/f"), "data");
    }
    if (in_b) {
      EXPECT_EQ(contents(fs, "b/f"), "data");
    }
    only_source |= in_a && !in_b;
    only_target |= !in_a && in_b;
    both |= in_a && in_b;
    if (in_a && in_b) {
      // Two names for one file, like a hard link: removing one keeps the other and its space.
      ASSERT_TRUE(fs.remove("a/f").ok());
      EXPECT_EQ(fs.total_bytes(), 4u);
    }
  }
  EXPECT_TRUE(only_source);
  EXPECT_TRUE(only_target);
  EXPECT_TRUE(both);

  // Syncing only the source directory makes the unlink durable without the link: a real disk
  // may lose the file that way, and so does the simulation.
  bool lost = false;
  for (uint64_t seed = 0; seed < 32; ++seed) {
    SimFileSystem fs;
    ASSERT_TRUE(fs.create_dirs("b").ok());
    durable_file(fs, "a", "f", "data");
    ASSERT_TRUE(fs.rename("a/f", "b/f").ok());
    ASSERT_TRUE(fs.sync_dir("a").ok());
    fs.crash(seed);
    EXPECT_FALSE(fs.exists("a/f"));
    lost |= !fs.exists("b/f");
  }
  EXPECT_TRUE(lost);
}

TEST(SimFileSystemCrash, OpenFilesDie) {
  SimFileSystem fs;
  auto f = durable_file(fs, "d", "f", "abc");
  auto removed = durable_file(fs, "d", "gone", "12345");
  ASSERT_TRUE(fs.remove("d/gone").ok());
  ASSERT_TRUE(fs.sync_dir("d").ok());
  EXPECT_EQ(fs.total_bytes(), 8u);

  fs.crash(7);
  EXPECT_FALSE(fs.halted());
  EXPECT_EQ(fs.total_bytes(), 3u);  // the removed file's handle died with the crash
  uint8_t buf[3];
  EXPECT_TRUE(has_errno(f->write_at(0, view("zzz")), EIO));
  EXPECT_TRUE(has_errno(f->read_at(0, buf).status(), EIO));
  EXPECT_TRUE(has_errno(f->sync(), EIO));
  EXPECT_TRUE(has_errno(f->truncate(0), EIO));
  EXPECT_TRUE(has_errno(f->size().status(), EIO));
  EXPECT_EQ(contents(fs, "d/f"), "abc");

  auto reopened = open_file(fs, "d/f", OpenMode::read_write);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(read_all(*reopened), "abc");
  f.reset();
  removed.reset();
  EXPECT_EQ(fs.total_bytes(), 3u);
  ASSERT_TRUE(fs.remove("d/f").ok());
  EXPECT_EQ(fs.total_bytes(), 3u);  // still open
  reopened.reset();
  EXPECT_EQ(fs.total_bytes(), 0u);
}

// --- Crash points ---

// A workload of which every step is one mutating operation.
struct Workload {
  std::shared_ptr<File> log;
  std::vector<std::function<Status(SimFileSystem&)>> steps;

  Workload() {
    auto open = [this](const char* path) {
      return [this, path](SimFileSystem& fs) {
        auto f = fs.open(path, OpenMode::create);
        if (!f.ok()) return f.status();
        if (std::string_view(path) == "d/log") log = *f;
        return Status();
      };
    };
    auto on_log = [this](std::function<Status(File&)> op) {
      return [this, op](SimFileSystem& fs) {
        if (!log) {  // the open halted at a crash point; opening again fails too
          auto f = fs.open("d/log", OpenMode::read_write);
          if (!f.ok()) return f.status();
          log = *f;
        }
        return op(*log);
      };
    };
    steps = {
        [](SimFileSystem& fs) { return fs.create_dirs("d"); },
        [](SimFileSystem& fs) { return fs.sync_dir("/"); },
        open("d/log"),
        on_log([](File& f) { return f.write_at(0, view("hello")); }),
        on_log([](File& f) { return f.sync(); }),
        [](SimFileSystem& fs) { return fs.sync_dir("d"); },
        on_log([](File& f) { return f.write_at(5, view(" world")); }),
        on_log([](File& f) { return f.truncate(8); }),
        [](SimFileSystem& fs) { return fs.rename("d/log", "d/log2"); },
        open("d/tmp"),
        [](SimFileSystem& fs) { return fs.remove("d/tmp"); },
        [](SimFileSystem& fs) { return fs.sync_dir("d"); },
    };
  }
};

TEST(SimFileSystemCrashPoint, HaltsAtEachOperation) {
  {
    SimFileSystem fs;
    Workload w;
    for (auto& step : w.steps) ASSERT_TRUE(step(fs).ok());
    ASSERT_EQ(fs.mutation_count(), w.steps.size());
  }

  const size_t steps = Workload().steps.size();
  for (size_t crash_at = 0; crash_at <= steps; ++crash_at) {
    for (uint64_t seed = 0; seed < 8; ++seed) {
      SCOPED_TRACE("crash at " + std::to_string(crash_at) + ", seed " + std::to_string(seed));
      SimFileSystem fs;
      Workload w;
      fs.set_crash_after(crash_at);
      for (size_t i = 0; i < steps; ++i) {
        Status s = w.steps[i](fs);
        if (i < crash_at) {
          ASSERT_TRUE(s.ok()) << s.to_string();
          EXPECT_FALSE(fs.halted());
        } else {
          EXPECT_TRUE(has_errno(s, EIO)) << i << ": " << s.to_string();
          EXPECT_TRUE(fs.halted());
        }
      }
      EXPECT_EQ(fs.mutation_count(), std::min(crash_at, steps));
      if (crash_at < steps) {
        // Everything fails once halted, reads included.
        EXPECT_FALSE(fs.exists("d"));
        EXPECT_TRUE(has_errno(fs.list("").status(), EIO));
        EXPECT_TRUE(has_errno(fs.open("d/log", OpenMode::read_only).status(), EIO));
        if (w.log) {
          uint8_t buf[1];
          EXPECT_TRUE(has_errno(w.log->read_at(0, buf).status(), EIO));
          EXPECT_TRUE(has_errno(w.log->size().status(), EIO));
        }
      }

      fs.crash(seed);
      EXPECT_FALSE(fs.halted());
      // Steps up to 5 made "hello" durable under d/log; later steps change it without syncs
      // until the rename is made durable by the last one.
      if (crash_at >= 6) {
        bool old_name = fs.exists("d/log"), new_name = fs.exists("d/log2");
        EXPECT_NE(old_name, new_name);
        if (crash_at == steps) {
          EXPECT_TRUE(new_name);
        }
        std::string data = contents(fs, old_name ? "d/log" : "d/log2");
        EXPECT_EQ(data.substr(0, 5), "hello");
        EXPECT_LE(data.size(), 11u);
      }
      // Usable again.
      ASSERT_TRUE(fs.create_dirs("d").ok());
      auto f = open_file(fs, "d/after");
      ASSERT_TRUE(f);
      EXPECT_TRUE(f->write_at(0, view("ok")).ok());
    }
  }
}

TEST(SimFileSystemCrashPoint, TearsTheHaltingWrite) {
  const std::string data(100, 'w');
  std::set<size_t> landed;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    SimFileSystem::Options options;
    options.seed = seed;
    options.torn_garbage = false;
    SimFileSystem fs(options);
    auto f = durable_file(fs, "d", "f", "start:");
    fs.set_crash_after(0);
    EXPECT_TRUE(has_errno(f->write_at(6, view(data)), EIO));
    EXPECT_TRUE(fs.halted());
    std::string now = contents(fs, "d/f");
    ASSERT_EQ(now.substr(0, 6), "start:");
    ASSERT_EQ(now.substr(6), data.substr(0, now.size() - 6));
    landed.insert(now.size() - 6);

    // The torn part is pending like any write: a crash keeps a prefix of it.
    fs.crash(seed);
    std::string after = contents(fs, "d/f");
    EXPECT_LE(after.size(), now.size());
    EXPECT_EQ(after, now.substr(0, after.size()));
    EXPECT_GE(after.size(), 6u);
  }
  EXPECT_GT(landed.size(), 5u);
  EXPECT_TRUE(std::any_of(landed.begin(), landed.end(), [](size_t n) { return n > 0 && n < 100; }));
}

TEST(SimFileSystemCrashPoint, CanBeCleared) {
  SimFileSystem fs;
  fs.set_crash_after(1);
  ASSERT_TRUE(fs.create_dirs("a").ok());
  fs.clear_crash_after();
  ASSERT_TRUE(fs.create_dirs("b").ok());
  EXPECT_FALSE(fs.halted());
}

// --- Injected faults ---

TEST(SimFileSystemFaults, SpaceLimit) {
  SimFileSystem fs;
  fs.set_space_limit(10);
  auto f = open_file(fs, "f");
  ASSERT_TRUE(f->write_at(0, view("123456")).ok());

  Status full = f->write_at(6, view("abcdef"));
  EXPECT_TRUE(has_errno(full, ENOSPC));
  EXPECT_TRUE(is_no_space(full));
  EXPECT_EQ(contents(fs, "f"), "123456abcd");  // the part that fit
  EXPECT_EQ(fs.total_bytes(), 10u);
  EXPECT_TRUE(f->write_at(0, view("XYZ")).ok());  // overwriting needs no space
  EXPECT_TRUE(is_no_space(f->write_at(20, view("far"))));
  EXPECT_EQ(contents(fs, "f"), "XYZ456abcd");

  auto g = open_file(fs, "g");  // an empty file fits
  ASSERT_TRUE(g);
  EXPECT_TRUE(is_no_space(g->write_at(0, view("g"))));
  EXPECT_TRUE(is_no_space(g->truncate(1)));
  EXPECT_EQ(*g->size(), 0u);

  // Truncation frees space.
  ASSERT_TRUE(f->truncate(4).ok());
  EXPECT_EQ(fs.total_bytes(), 4u);
  ASSERT_TRUE(g->write_at(0, view("gggggg")).ok());
  EXPECT_TRUE(is_no_space(g->write_at(6, view("g"))));

  // So does removing a file, once it is closed.
  ASSERT_TRUE(fs.remove("f").ok());
  EXPECT_TRUE(is_no_space(g->write_at(6, view("g"))));
  f.reset();
  ASSERT_TRUE(g->write_at(6, view("g")).ok());

  // And raising or lifting the limit.
  fs.set_space_limit(20);
  ASSERT_TRUE(g->write_at(7, view("0123456789")).ok());
  fs.set_space_limit(std::nullopt);
  ASSERT_TRUE(g->write_at(0, Bytes(1000, 'x')).ok());
  EXPECT_EQ(fs.total_bytes(), 1000u);

  // A failing disk is not a full one.
  fs.inject_failure(SimOp::write, "g", EIO);
  Status broken = g->write_at(0, view("x"));
  EXPECT_TRUE(has_errno(broken, EIO));
  EXPECT_FALSE(is_no_space(broken));
}

TEST(SimFileSystemFaults, FailedSyncDropsPendingWrites) {
  auto history = [](SimFileSystem& fs) {
    auto f = durable_file(fs, "d", "log", "abc");
    EXPECT_TRUE(f->write_at(3, view("def")).ok());
    fs.inject_failure(SimOp::sync, "log", EIO);
    Status s = f->sync();
    EXPECT_TRUE(has_errno(s, EIO));
    EXPECT_FALSE(is_no_space(s));
    return f;
  };

  SimFileSystem fs;
  auto f = history(fs);
  EXPECT_EQ(fs.sync_count(), 0u);
  EXPECT_EQ(read_all(*f), "abcdef");  // the cache still has it
  EXPECT_EQ(durable(fs, "d/log"), "abc");
  // A later sync succeeds but does not bring the lost write back.
  ASSERT_TRUE(f->sync().ok());
  EXPECT_EQ(fs.sync_count(), 1u);
  EXPECT_EQ(durable(fs, "d/log"), "abc");
  EXPECT_EQ(contents(fs, "d/log"), "abcdef");

  for (uint64_t seed = 0; seed < 32; ++seed) {
    SimFileSystem crashed;
    history(crashed);
    crashed.crash(seed);
    EXPECT_EQ(contents(crashed, "d/log"), "abc") << "seed " << seed;
  }
}

TEST(SimFileSystemFaults, InjectedFailuresMatchOpPathAndCount) {
  SimFileSystem fs;
  ASSERT_TRUE(fs.create_dirs("d").ok());
  auto x = open_file(fs, "d/x");
  auto y = open_file(fs, "d/y");
  uint64_t mutations = fs.mutation_count();

  fs.inject_failure(SimOp::write, "/x", EIO, 2);
  EXPECT_TRUE(y->write_at(0, view("y")).ok());
  EXPECT_TRUE(has_errno(x->write_at(0, view("1")), EIO));
  EXPECT_TRUE(has_errno(x->write_at(0, view("2")), EIO));
  EXPECT_EQ(contents(fs, "d/x"), "");
  EXPECT_TRUE(x->write_at(0, view("3")).ok());
  EXPECT_EQ(contents(fs, "d/x"), "3");
  EXPECT_EQ(fs.mutation_count(), mutations + 2);  // failures do not count

  fs.inject_failure(SimOp::read, "x", EIO);
  uint8_t buf[1];
  EXPECT_TRUE(has_errno(x->read_at(0, buf).status(), EIO));
  EXPECT_TRUE(x->read_at(0, buf).ok());

  fs.inject_failure(SimOp::truncate, "x", EROFS);
  EXPECT_TRUE(has_errno(x->truncate(0), EROFS));
  EXPECT_EQ(contents(fs, "d/x"), "3");

  fs.inject_failure(SimOp::open, "d/z", EACCES);
  EXPECT_TRUE(has_errno(fs.open("d/z", OpenMode::create).status(), EACCES));
  EXPECT_FALSE(fs.exists("d/z"));
  EXPECT_TRUE(open_file(fs, "d/z"));

  fs.inject_failure(SimOp::rename, "renamed", EIO);  // matches the target path too
  EXPECT_TRUE(has_errno(fs.rename("d/x", "d/renamed"), EIO));
  EXPECT_TRUE(fs.exists("d/x"));
  EXPECT_FALSE(fs.exists("d/renamed"));

  fs.inject_failure(SimOp::remove, "y", ENOSPC);
  EXPECT_TRUE(is_no_space(fs.remove("d/y")));
  EXPECT_TRUE(fs.exists("d/y"));

  // A failed directory sync leaves the entries pending.
  fs.inject_failure(SimOp::sync_dir, "d", EIO);
  EXPECT_TRUE(has_errno(fs.sync_dir("d"), EIO));
  fs.inject_failure(SimOp::sync, "x", EIO);
  fs.clear_injected_failures();
  EXPECT_TRUE(x->sync().ok());
  EXPECT_TRUE(fs.sync_dir("d").ok());
}

// --- Threads ---

TEST(SimFileSystemConcurrency, SyncRacesWithWrites) {
  SimFileSystem fs;
  auto f = durable_file(fs, "d", "log", "");
  constexpr int kWrites = 2000;
  const std::string chunk = "0123456789abcdef";
  std::string expected;
  for (int i = 0; i < kWrites; ++i) expected += chunk;

  std::atomic<bool> done{false};
  std::atomic<int> bad_syncs{0}, bad_durable{0};
  std::thread syncer([&] {
    do {
      if (!f->sync().ok()) ++bad_syncs;
      // Appends are synced whole or not at all, so the durable data is always a prefix
      // ending at a chunk boundary.
      auto d = fs.durable_contents("d/log");
      if (!d.ok() || d->size() % chunk.size() != 0 ||
          str(*d) != expected.substr(0, d->size())) {
        ++bad_durable;
      }
    } while (!done.load());
  });
  for (int i = 0; i < kWrites; ++i) {
    EXPECT_TRUE(f->write_at(i * chunk.size(), view(chunk)).ok());  // no ASSERT: must join
  }
  done = true;
  syncer.join();

  EXPECT_EQ(bad_syncs.load(), 0);
  EXPECT_EQ(bad_durable.load(), 0);
  EXPECT_GE(fs.sync_count(), 1u);
  EXPECT_EQ(read_all(*f), expected);
  ASSERT_TRUE(f->sync().ok());
  fs.crash(3);
  EXPECT_EQ(contents(fs, "d/log"), expected);
}

}  // namespace
}  // namespace gregor::storage
