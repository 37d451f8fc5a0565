// An in-memory, deterministic file system for crash-recovery tests. It models the page cache
// and what survives power loss, and injects the failures a real disk produces.
//
// Durability model
// - Every file (inode) has its current contents, which reads see, and durable contents, which
//   are on the "disk". write_at and truncate change the current contents at once and are queued
//   as pending operations of that inode; File::sync() writes the pending operations back, in
//   order, to the durable contents.
// - Directory entries work the same way. Creating a file (open with a create mode), creating a
//   directory (create_dirs), rename and remove change the visible namespace at once and are
//   queued as pending operations of the directory (or directories) they touch; sync_dir(dir)
//   makes that directory's entries durable. So a file created and synced in a directory that was
//   never synced may vanish in a crash, and so may a directory made by create_dirs until its
//   parent is synced. sync_all() makes everything durable, for setting up a test's starting state.
// - crash(seed) simulates power loss. Each directory keeps its durable entries plus a random
//   prefix of its pending operations; each file reachable afterwards keeps its durable contents
//   plus a random prefix of its pending operations, the last write of which may be torn (only a
//   prefix of its bytes lands; with Options::torn_garbage the rest of its range may instead hold
//   garbage). A rename within one directory is one operation, so it is atomic. A rename across
//   directories is queued in both; a crash may keep the file under both names but never under
//   neither (unless the source directory was synced and the target not, as on a real disk).
//   Afterwards everything is durable, every File opened before the crash is dead (every call
//   fails with EIO) and the crash point is cleared; the space limit and injected failures stay.
//
// Crash points: set_crash_after(n) lets n more mutating operations succeed (write_at, truncate,
// sync, sync_dir, open that creates a file, rename, remove, and create_dirs even when the
// directories exist); the next one "kills the process": it fails with EIO, and so does every
// later call, reads included (exists() answers false), until crash(). If that operation is a
// write_at, a random prefix of its bytes (possibly none) reaches the page cache first. Failed
// operations are not counted. mutation_count() lets a test count a workload's operations and
// then crash at each of them in turn.
//
// Fault injection
// - set_space_limit: the current sizes of all files (including removed files still open) may
//   not exceed it. A write that would goes as far as fits and fails with ENOSPC; a truncate that
//   would grow past it fails with ENOSPC and no effect.
// - inject_failure: the next count operations of a kind on a path containing a substring fail
//   with the given errno and no effect. Operations that fail for other reasons first (a missing
//   file, a crash point) do not use up an injected failure.
// - A failed File::sync() behaves like Linux after an fsync error ("fsyncgate"): the pending
//   operations are dropped as if written back and lost. Reads still show them, the durable
//   contents stay as they were, and a later successful sync does not bring them back, so they
//   vanish at the next crash.
//
// All errors are io_error(what, path, errno) statuses, so is_no_space() recognises ENOSPC.
// Paths are split on '/'; "", "." and "/" all name the root, "." components are ignored and
// ".." removes the previous component. Everything is protected by one mutex shared with the
// open files, so File::sync() may run on another thread concurrently with writes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/file_system.h"

namespace gregor::storage {

// Operation kinds for inject_failure. write/sync/truncate/read are File calls and match the
// path the file was opened with; rename matches either path.
enum class SimOp { write, sync, sync_dir, open, rename, remove, truncate, read };

namespace sim_internal {
struct State;
}  // namespace sim_internal

class SimFileSystem final : public FileSystem {
 public:
  struct Options {
    // Whether a write torn by a crash may leave garbage after the part that landed.
    bool torn_garbage = true;
    // Seeds the choice of how much of the write that hits a crash point reaches the file.
    uint64_t seed = 0;
  };

  SimFileSystem();
  explicit SimFileSystem(Options options);
  ~SimFileSystem() override;
  SimFileSystem(const SimFileSystem&) = delete;
  SimFileSystem& operator=(const SimFileSystem&) = delete;

  StatusOr<std::shared_ptr<File>> open(const std::string& path, OpenMode mode) override;
  bool exists(const std::string& path) override;  // false once halted
  // Names in lexicographic order.
  StatusOr<std::vector<std::string>> list(const std::string& dir) override;
  Status create_dirs(const std::string& dir) override;
  Status remove(const std::string& path) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status sync_dir(const std::string& dir) override;

  // Power loss; see the top of this file. Deterministic for a given seed and history.
  void crash(uint64_t seed);
  // Makes every file and directory durable (like sync(1)); not an operation the crash point or
  // injected failures see.
  void sync_all();

  void set_crash_after(uint64_t n);
  void clear_crash_after();
  // Whether a crash point was reached and everything fails until crash().
  bool halted() const;
  // Mutating operations that succeeded so far (see set_crash_after).
  uint64_t mutation_count() const;

  // nullopt: unlimited.
  void set_space_limit(std::optional<uint64_t> bytes);
  void inject_failure(SimOp op, std::string path_substring, int err, int count = 1);
  void clear_injected_failures();

  // Inspection for tests; these work while halted and never fail because of injected faults.
  // The file's current contents (what reads see).
  StatusOr<Bytes> contents(const std::string& path) const;
  // The file's durable contents: what a crash that applies none of its pending operations
  // keeps, provided its directory entry survives.
  StatusOr<Bytes> durable_contents(const std::string& path) const;
  // The current sizes of all files, including removed ones that are still open.
  uint64_t total_bytes() const;
  // Regular files reachable in the current namespace.
  size_t file_count() const;
  // Successful File::sync() calls.
  uint64_t sync_count() const;

 private:
  std::shared_ptr<sim_internal::State> state_;
};

}  // namespace gregor::storage
