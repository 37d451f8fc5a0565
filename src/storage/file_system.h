// Every byte the storage layer reads or writes goes through these two small interfaces, so tests
// can swap the real file system (posix_file_system.h) for a simulated one that injects full
// disks, I/O errors, crashes, torn writes and the loss of unsynced data (sim_file_system.h).
//
// Failures are Status values with code kafka_storage_error and a message naming the path and
// the system error; "no space" is recognisable through is_no_space() so callers can tell a full
// disk (recoverable once space returns) from a failing one.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace gregor::storage {

// A file opened for positional I/O. write_at/read_at/truncate are called by the owner of the
// file (one thread at a time); sync() may run on another thread concurrently with them, as
// fdatasync does, so a flusher thread can make data durable while appends go on.
class File {
 public:
  virtual ~File() = default;

  // Writes all of data at offset, growing the file as needed. On failure some prefix of data
  // may have reached the file (a short write).
  virtual Status write_at(uint64_t offset, BytesView data) = 0;
  // Reads up to out.size() bytes at offset; fewer only at end of file.
  virtual StatusOr<size_t> read_at(uint64_t offset, std::span<uint8_t> out) = 0;
  // Makes the file's data durable (fdatasync). Size changes are data for this purpose.
  virtual Status sync() = 0;
  virtual Status truncate(uint64_t size) = 0;
  virtual StatusOr<uint64_t> size() = 0;
  // The descriptor to hand to sendfile, or -1 when the file is not a kernel file.
  virtual int native_handle() const { return -1; }
  virtual const std::string& path() const = 0;
};

enum class OpenMode {
  read_only,        // must exist
  read_write,       // must exist
  create,           // read-write; created empty when missing
  create_exclusive  // read-write; fails when it exists
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual StatusOr<std::shared_ptr<File>> open(const std::string& path, OpenMode mode) = 0;
  virtual bool exists(const std::string& path) = 0;
  // Names (not paths) of the entries of dir, in no particular order.
  virtual StatusOr<std::vector<std::string>> list(const std::string& dir) = 0;
  virtual Status create_dirs(const std::string& dir) = 0;
  // Removes a file, or an empty directory.
  virtual Status remove(const std::string& path) = 0;
  // Atomically replaces to with from (rename(2)).
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  // Makes the entries of dir durable: files created, renamed or removed in it (fsync of the
  // directory).
  virtual Status sync_dir(const std::string& dir) = 0;
};

// True when status reports a full disk (ENOSPC or a quota), as opposed to a failing one.
bool is_no_space(const Status& status);

// The status for a failed system call: kafka_storage_error, "<what> <path>: <strerror>".
Status io_error(const std::string& what, const std::string& path, int err);

// Joins a directory and a name with one '/'.
std::string join_path(const std::string& dir, const std::string& name);
// "dir/name" -> "dir"; "name" -> ".".
std::string parent_path(const std::string& path);
// "dir/name" -> "name".
std::string file_name(const std::string& path);

// Creates dir and its missing parents, syncing the parent of each directory created so that a
// crash cannot take them away again.
Status create_dirs_durably(FileSystem& fs, const std::string& dir);

// Whole-file helpers for small files (checkpoints, metadata).
StatusOr<Bytes> read_file(FileSystem& fs, const std::string& path);
// Writes path durably and atomically: path.tmp is written and synced, renamed over path, and
// the directory synced, so a crash leaves either the old or the new contents.
Status write_file_atomically(FileSystem& fs, const std::string& path, BytesView contents);

}  // namespace gregor::storage
