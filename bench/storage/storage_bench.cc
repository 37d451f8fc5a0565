// The storage benchmark: the disk itself next to the partition log, on the same disk, in one run,
// so every log number can be read as a fraction of what the hardware gives.
//
//   bench_storage [--dir D] [--quick] [--json PATH]
//
// Works in a fresh directory under D (default $TMPDIR or /tmp), removed at the end. Measures:
//   1. raw disk: sequential pwrite of 16 KiB and 1 MiB writes to a new file, unsynced (then one
//      fdatasync, reported apart) and with an fdatasync after every write; fdatasync latency of
//      4 KiB appends;
//   2. log appends of 1 KiB records in 16 KiB and 1 MiB batches: synced per batch (flush.messages
//      = 1, InlineSyncExecutor, when_durable after each append), unsynced (flush.messages =
//      Long.MAX_VALUE), and group commit (ThreadSyncExecutor, up to N appends waiting for their
//      sync), each against the raw write of the same size;
//   3. reads of a whole log with Log::read in 1 MiB slices, pread into a buffer, with the page
//      cache warm and evicted (posix_fadvise DONTNEED), against a raw pread of the same file;
//   4. recovery: a log written unsynced and dropped without close, reopened with
//      clean_shutdown=false and recovery point 0 (every batch rescanned and CRC-checked), warm and
//      evicted, and a clean open of the same log;
//   5. many partitions: opening thousands of one-batch partition logs after a clean shutdown, with
//      the open file descriptors and the RSS they cost.
// Runs that fdatasync every write stop after a time cap as well as the byte count, so a slow disk
// still finishes (the rate is what is reported). MB/s are 10^6 bytes per second.
#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/endian.h"
#include "common/status.h"
#include "record/batch_builder.h"
#include "record/record_batch.h"
#include "storage/clock.h"
#include "storage/file_system.h"
#include "storage/log.h"
#include "storage/log_config.h"
#include "storage/posix_file_system.h"
#include "storage/sync_executor.h"

namespace gregor::storage {
namespace {

namespace v2 = record::v2;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Errors, timing, results.

std::string g_work_dir;  // removed on every exit

void remove_work_dir() {
  if (g_work_dir.empty()) return;
  std::error_code ec;
  fs::remove_all(g_work_dir, ec);
  g_work_dir.clear();
}

[[noreturn]] void die(const std::string& what, const std::string& why) {
  std::fprintf(stderr, "bench_storage: %s: %s\n", what.c_str(), why.c_str());
  remove_work_dir();
  std::exit(1);
}

void check(const Status& s, const std::string& what) {
  if (!s.ok()) die(what, s.to_string());
}

template <typename T>
T check(StatusOr<T> r, const std::string& what) {
  if (!r.ok()) die(what, r.status().to_string());
  return std::move(*r);
}

void check_errno(bool ok, const std::string& what) {
  if (!ok) die(what, std::strerror(errno));
}

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

double mb_per_s(uint64_t bytes, double secs) { return secs > 0 ? static_cast<double>(bytes) / 1e6 / secs : 0; }

struct Row {
  std::string measurement;
  double value = 0;
  std::string unit;
  int decimals = 1;
  std::optional<double> ratio;  // to the raw-disk row named by ratio_to
  std::string ratio_to;
};

std::vector<Row> g_rows;
std::vector<std::string> g_notes;

void add(std::string measurement, double value, std::string unit, int decimals = 1) {
  g_rows.push_back(Row{std::move(measurement), value, std::move(unit), decimals, std::nullopt, ""});
}

void add_vs(std::string measurement, double value, std::string unit, double raw_value, std::string raw_name,
            int decimals = 1) {
  std::optional<double> ratio;
  if (raw_value > 0) ratio = value / raw_value;
  g_rows.push_back(Row{std::move(measurement), value, std::move(unit), decimals, ratio, std::move(raw_name)});
}

void note(std::string text) {
  std::fprintf(stderr, "note: %s\n", text.c_str());
  g_notes.push_back(std::move(text));
}

void progress(const std::string& text) { std::fprintf(stderr, "... %s\n", text.c_str()); }

std::string format(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string size_name(uint64_t bytes) {
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes >= kMiB) return format(static_cast<double>(bytes) / static_cast<double>(kMiB), 1) + " MiB";
  if (bytes >= kKiB && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " B";
}

// ---------------------------------------------------------------------------------------------
// The file system the logs use: the POSIX one, counting fdatasyncs, with syncs that can be turned
// off (for building the many-partition fixture quickly; nothing timed runs with them off).

class BenchFileSystem final : public FileSystem {
 public:
  std::atomic<uint64_t> syncs{0};      // fdatasync of files
  std::atomic<uint64_t> dir_syncs{0};  // fsync of directories
  std::atomic<int64_t> sync_nanos{0};  // time spent in both
  bool syncs_enabled = true;

  StatusOr<std::shared_ptr<File>> open(const std::string& path, OpenMode mode) override {
    auto f = posix_.open(path, mode);
    if (!f.ok()) return f.status();
    return std::shared_ptr<File>(std::make_shared<CountingFile>(*this, std::move(*f)));
  }
  bool exists(const std::string& path) override { return posix_.exists(path); }
  StatusOr<std::vector<std::string>> list(const std::string& dir) override { return posix_.list(dir); }
  Status create_dirs(const std::string& dir) override { return posix_.create_dirs(dir); }
  Status remove(const std::string& path) override { return posix_.remove(path); }
  Status rename(const std::string& from, const std::string& to) override { return posix_.rename(from, to); }
  Status sync_dir(const std::string& dir) override {
    if (!syncs_enabled) return {};
    dir_syncs.fetch_add(1, std::memory_order_relaxed);
    auto start = SteadyClock::now();
    Status s = posix_.sync_dir(dir);
    count_time(start);
    return s;
  }

 private:
  class CountingFile final : public File {
   public:
    CountingFile(BenchFileSystem& owner, std::shared_ptr<File> file) : owner_(owner), file_(std::move(file)) {}
    Status write_at(uint64_t offset, BytesView data) override { return file_->write_at(offset, data); }
    StatusOr<size_t> read_at(uint64_t offset, std::span<uint8_t> out) override { return file_->read_at(offset, out); }
    Status sync() override {
      if (!owner_.syncs_enabled) return {};
      owner_.syncs.fetch_add(1, std::memory_order_relaxed);
      auto start = SteadyClock::now();
      Status s = file_->sync();
      owner_.count_time(start);
      return s;
    }
    Status truncate(uint64_t size) override { return file_->truncate(size); }
    StatusOr<uint64_t> size() override { return file_->size(); }
    int native_handle() const override { return file_->native_handle(); }
    const std::string& path() const override { return file_->path(); }

   private:
    BenchFileSystem& owner_;
    std::shared_ptr<File> file_;
  };

  void count_time(SteadyClock::time_point start) {
    sync_nanos.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - start).count(),
                         std::memory_order_relaxed);
  }

  PosixFileSystem posix_;
};

// Drops a file's pages from the page cache (after writing back any dirty ones), so the next read
// comes from the disk.
void evict_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  check_errno(fd >= 0, "open of " + path);
  check_errno(::fdatasync(fd) == 0, "fdatasync of " + path);
  int rc = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
  if (rc != 0) die("posix_fadvise of " + path, std::strerror(rc));
}

void evict_dir(const std::string& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) evict_file(entry.path().string());
  }
}

// ---------------------------------------------------------------------------------------------
// 1. The raw disk.

void write_all(int fd, const uint8_t* data, size_t size, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(fd, data + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    check_errno(n >= 0, "pwrite to " + path);
    done += static_cast<size_t>(n);
  }
}

Bytes pattern(size_t size, uint32_t seed) {
  Bytes b(size);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : b) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<uint8_t>(x >> 24);
  }
  return b;
}

struct RawWrite {
  uint64_t bytes = 0;
  double write_secs = 0;
  double final_sync_secs = 0;
};

// Sequential writes of chunk bytes to a new file, each followed by an fdatasync when sync_each
// (stopping after cap_secs), then one final fdatasync timed apart.
RawWrite raw_write(const std::string& path, uint64_t total, size_t chunk, bool sync_each, double cap_secs) {
  Bytes data = pattern(chunk, 7);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  check_errno(fd >= 0, "open of " + path);
  RawWrite r;
  auto start = SteadyClock::now();
  while (r.bytes < total) {
    write_all(fd, data.data(), chunk, r.bytes, path);
    r.bytes += chunk;
    if (sync_each) {
      check_errno(::fdatasync(fd) == 0, "fdatasync of " + path);
      if (seconds_since(start) > cap_secs) break;
    }
  }
  r.write_secs = seconds_since(start);
  auto sync_start = SteadyClock::now();
  check_errno(::fdatasync(fd) == 0, "fdatasync of " + path);
  r.final_sync_secs = seconds_since(sync_start);
  ::close(fd);
  check_errno(::unlink(path.c_str()) == 0, "unlink of " + path);
  return r;
}

struct Latencies {
  size_t samples = 0;
  double p50_us = 0, p99_us = 0, max_us = 0;
};

// fdatasync after each 4 KiB append to a new file.
Latencies raw_sync_latency(const std::string& path, size_t max_samples, double cap_secs) {
  Bytes data = pattern(4 * kKiB, 11);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  check_errno(fd >= 0, "open of " + path);
  std::vector<double> us;
  auto start = SteadyClock::now();
  for (size_t i = 0; i < max_samples && seconds_since(start) < cap_secs; ++i) {
    write_all(fd, data.data(), data.size(), i * data.size(), path);
    auto t = SteadyClock::now();
    check_errno(::fdatasync(fd) == 0, "fdatasync of " + path);
    us.push_back(seconds_since(t) * 1e6);
  }
  ::close(fd);
  check_errno(::unlink(path.c_str()) == 0, "unlink of " + path);
  std::sort(us.begin(), us.end());
  Latencies l;
  l.samples = us.size();
  if (us.empty()) return l;
  auto at = [&](double q) { return us[std::min(us.size() - 1, static_cast<size_t>(q * static_cast<double>(us.size())))]; };
  l.p50_us = at(0.50);
  l.p99_us = at(0.99);
  l.max_us = us.back();
  return l;
}

// Reads a whole file with pread in 1 MiB chunks.
double raw_read_mbps(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  check_errno(fd >= 0, "open of " + path);
  Bytes buf(kMiB);
  uint64_t total = 0;
  auto start = SteadyClock::now();
  for (;;) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(total));
    if (n < 0 && errno == EINTR) continue;
    check_errno(n >= 0, "pread of " + path);
    if (n == 0) break;
    total += static_cast<uint64_t>(n);
  }
  double secs = seconds_since(start);
  ::close(fd);
  return mb_per_s(total, secs);
}

// ---------------------------------------------------------------------------------------------
// 2-5. The log.

// One uncompressed batch of `records` keyless records of about equal size, exactly target bytes
// when the varints allow it (at most target otherwise), so that log appends write the same sizes
// as the raw writes they are compared with.
Bytes make_batch(size_t target, int records, int64_t timestamp) {
  auto build = [&](size_t value_size, size_t last_value_size) {
    Bytes value = pattern(std::max(value_size, last_value_size), 3);
    record::RecordBatchBuilder builder(record::BatchOptions{});
    for (int i = 0; i < records; ++i) {
      builder.append(timestamp, std::nullopt, BytesView(value.data(), i + 1 < records ? value_size : last_value_size));
    }
    Bytes out;
    if (auto err = builder.finish(out)) die("building a batch", *err);
    return out;
  };
  size_t n = static_cast<size_t>(records);
  size_t value_size = target / n;
  Bytes batch = build(value_size, value_size);
  while (batch.size() > target && value_size > 0) {
    size_t per_record = (batch.size() - target + n - 1) / n;
    value_size = value_size > per_record ? value_size - per_record : 0;
    batch = build(value_size, value_size);
  }
  // The last record takes up the slack.
  size_t last = value_size;
  for (int attempt = 0; attempt < 4 && batch.size() != target; ++attempt) {
    size_t grown = last + (target - batch.size());
    Bytes candidate = build(value_size, grown);
    if (candidate.size() > target) break;  // a varint grew: keep the smaller batch
    last = grown;
    batch = std::move(candidate);
  }
  return batch;
}

// The offset after the last whole batch in bytes (-1 when there is none).
int64_t next_offset_after(const uint8_t* p, size_t size) {
  size_t pos = 0;
  int64_t next = -1;
  while (pos + v2::kHeaderSize <= size) {
    int64_t base = load_be<int64_t>(p + pos);
    int32_t length = load_be<int32_t>(p + pos + v2::kBatchLength);
    int32_t delta = load_be<int32_t>(p + pos + v2::kLastOffsetDelta);
    size_t batch_size = static_cast<size_t>(length) + v2::kLogOverhead;
    if (pos + batch_size > size) break;
    next = base + delta + 1;
    pos += batch_size;
  }
  return next;
}

struct Env {
  BenchFileSystem fs;
  SystemClock clock;
  InlineSyncExecutor inline_syncs;
};

std::unique_ptr<Log> open_log(Env& env, SyncExecutor& syncs, const std::string& dir, const LogConfig& config,
                              bool clean, int64_t recovery_point) {
  Log::Options o;
  o.dir = dir;
  o.config = config;
  o.clean_shutdown = clean;
  o.recovery_point = recovery_point;
  return check(Log::open(env.fs, env.clock, syncs, o), "opening log " + dir);
}

LogConfig synced_config() { return LogConfig{}; }  // flush.messages = 1: Gregor's default

LogConfig unsynced_config() {
  LogConfig c;
  c.flush_messages = LogConfig::kLongMax;
  return c;
}

enum class Mode { synced_inline, unsynced, group_commit };

struct AppendRun {
  uint64_t bytes = 0;
  int64_t appends = 0;
  double secs = 0;
  uint64_t syncs = 0;            // fdatasyncs during the timed appends
  double final_flush_secs = 0;   // unsynced: the flush() after the appends
};

// Appends batch (rewritten in place with each append's offsets) until total bytes or, when every
// append waits for a sync, cap_secs.
AppendRun run_appends(Env& env, Log& log, Bytes& batch, uint64_t total, Mode mode, ThreadSyncExecutor* threaded,
                      int max_in_flight, double cap_secs) {
  AppendRun run;
  Status failure;
  int64_t acknowledged = 0;
  auto on_durable = [&](Status s) {
    if (!s.ok() && failure.ok()) failure = s;
    ++acknowledged;
  };
  uint64_t syncs_before = env.fs.syncs.load();
  auto start = SteadyClock::now();
  while (run.bytes < total) {
    if (mode == Mode::group_commit) {
      while (run.appends - acknowledged >= max_in_flight) threaded->run_completions(/*wait=*/true);
      threaded->run_completions(/*wait=*/false);
    }
    auto r = check(log.append_as_leader(batch, 0), "append to " + log.dir());
    ++run.appends;
    run.bytes += batch.size();
    if (mode != Mode::unsynced) {
      if (!r.sync_required) die("append to " + log.dir(), "flush.messages=1 but the append needs no sync");
      log.when_durable(r.last_offset + 1, on_durable);
      if (mode == Mode::synced_inline && acknowledged != run.appends) {
        die("append to " + log.dir(), "InlineSyncExecutor did not complete the sync at once");
      }
    }
    if (!failure.ok()) die("sync of " + log.dir(), failure.to_string());
    if (mode != Mode::unsynced && seconds_since(start) > cap_secs) break;
  }
  if (mode == Mode::group_commit) {
    while (acknowledged < run.appends) threaded->run_completions(/*wait=*/true);
  }
  if (!failure.ok()) die("sync of " + log.dir(), failure.to_string());
  run.secs = seconds_since(start);
  run.syncs = env.fs.syncs.load() - syncs_before;
  if (mode == Mode::unsynced) {
    auto flush_start = SteadyClock::now();
    check(log.flush(), "flush of " + log.dir());
    run.final_flush_secs = seconds_since(flush_start);
  }
  return run;
}

// Reads the whole log from its start with Log::read in 1 MiB slices, pread into a buffer.
double log_read_mbps(Log& log) {
  Bytes buf(2 * kMiB);
  uint64_t total = 0;
  int64_t offset = log.log_start_offset();
  auto start = SteadyClock::now();
  while (offset < log.log_end_offset()) {
    auto r = check(log.read(offset, static_cast<uint32_t>(kMiB)), "read of " + log.dir());
    if (r.slice.size == 0) break;
    if (r.slice.size > buf.size()) buf.resize(r.slice.size);
    std::span<uint8_t> out(buf.data(), r.slice.size);
    size_t n = check(r.slice.file->read_at(r.slice.position, out), "read of " + log.dir());
    if (n != r.slice.size) die("read of " + log.dir(), "short read");
    int64_t next = next_offset_after(buf.data(), n);
    if (next <= offset) die("read of " + log.dir(), "no progress at offset " + std::to_string(offset));
    offset = next;
    total += n;
  }
  double secs = seconds_since(start);
  if (offset != log.log_end_offset()) die("read of " + log.dir(), "stopped at offset " + std::to_string(offset));
  return mb_per_s(total, secs);
}

// ---------------------------------------------------------------------------------------------
// /proc readings.

// Entries of /proc/self/fd, less the one the listing itself holds.
int64_t open_fds() {
  int64_t n = 0;
  std::error_code ec;
  for (fs::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++n;
  if (ec) return -1;
  return n - 1;
}

// Bytes allocated with malloc and still in use.
int64_t heap_in_use() {
  struct mallinfo2 m = ::mallinfo2();
  return static_cast<int64_t>(m.uordblks + m.hblkhd);
}

// VmRSS in KiB (-1 when unknown).
int64_t rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------

struct Options {
  std::string dir;
  std::string json;
  bool quick = false;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {
      o.quick = true;
    } else if ((a == "--dir" || a == "--json") && i + 1 < argc) {
      (a == "--dir" ? o.dir : o.json) = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--dir D] [--quick] [--json PATH]\n", argv[0]);
      std::exit(a == "--help" || a == "-h" ? 0 : 2);
    }
  }
  if (o.dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    o.dir = tmp && *tmp ? tmp : "/tmp";
  }
  return o;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void print_table(const Options& o, double total_secs) {
  std::printf("\n## Gregor storage benchmark%s\n\n", o.quick ? " (--quick)" : "");
  std::printf("| measurement | value | unit | ratio to raw disk |\n|---|---:|---|---|\n");
  for (const Row& r : g_rows) {
    std::string ratio = r.ratio ? format(*r.ratio, 2) + " of " + r.ratio_to : "";
    std::printf("| %s | %s | %s | %s |\n", r.measurement.c_str(), format(r.value, r.decimals).c_str(),
                r.unit.c_str(), ratio.c_str());
  }
  if (!g_notes.empty()) {
    std::printf("\nNotes:\n");
    for (const auto& n : g_notes) std::printf("- %s\n", n.c_str());
  }
  std::printf("\nTotal run time %.1f s.\n", total_secs);
}

void write_json(const Options& o, double total_secs) {
  std::ofstream out(o.json);
  if (!out) die("writing " + o.json, std::strerror(errno));
  out << "{\n  \"quick\": " << (o.quick ? "true" : "false") << ",\n  \"total_seconds\": " << json_number(total_secs)
      << ",\n  \"results\": [\n";
  for (size_t i = 0; i < g_rows.size(); ++i) {
    const Row& r = g_rows[i];
    out << "    {\"measurement\": " << json_string(r.measurement) << ", \"value\": " << json_number(r.value)
        << ", \"unit\": " << json_string(r.unit) << ", \"ratio_to_raw\": "
        << (r.ratio ? json_number(*r.ratio) : "null") << ", \"raw\": "
        << (r.ratio ? json_string(r.ratio_to) : "null") << "}" << (i + 1 < g_rows.size() ? "," : "") << "\n";
  }
  out << "  ],\n  \"notes\": [";
  for (size_t i = 0; i < g_notes.size(); ++i) out << (i ? ", " : "") << json_string(g_notes[i]);
  out << "]\n}\n";
  if (!out) die("writing " + o.json, "write failed");
}

int run(const Options& opt) {
  auto run_start = SteadyClock::now();
  const uint64_t data_bytes = opt.quick ? 32 * kMiB : 256 * kMiB;
  const uint64_t recovery_bytes = opt.quick ? 128 * kMiB : 1024 * kMiB;
  const int partitions = opt.quick ? 1000 : 10000;
  const double sync_cap = opt.quick ? 1.0 : 6.0;
  const size_t latency_samples = opt.quick ? 500 : 3000;
  const size_t sizes[] = {16 * kKiB, kMiB};
  const int records_per_batch[] = {16, 1024};
  const int group_in_flight[] = {8, 32};

  // The work directory.
  {
    std::string tmpl = join_path(opt.dir, "gregor-storage-bench-XXXXXX");
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    check_errno(::mkdtemp(buf.data()) != nullptr, "mkdtemp in " + opt.dir);
    g_work_dir = buf.data();
  }
  std::fprintf(stderr, "bench_storage: working in %s\n", g_work_dir.c_str());
  note("data per run " + size_name(data_bytes) + "; runs that fdatasync every write stop after " +
       format(sync_cap, 0) + " s; recovery log " + size_name(recovery_bytes) + "; " +
       std::to_string(partitions) + " partitions; MB/s = 10^6 bytes/s");

  // 1 and 2, one write size at a time, so that each log run comes right after the raw runs it is
  // compared with (on a shared disk, fdatasync latency drifts over a minute).
  std::string raw_path = join_path(g_work_dir, "raw.dat");
  Env env;
  const int64_t now = env.clock.now_ms();
  Bytes batches[2];
  for (int i = 0; i < 2; ++i) batches[i] = make_batch(sizes[i], records_per_batch[i], now);
  note("log batches: " + std::to_string(records_per_batch[0]) + " records in " + std::to_string(batches[0].size()) +
       " bytes and " + std::to_string(records_per_batch[1]) + " records in " + std::to_string(batches[1].size()) +
       " bytes (uncompressed, keyless, ~1 KiB values), the sizes of the raw writes");
  std::string read_dir;  // the unsynced 16 KiB log, kept for the read test
  int log_counter = 0;
  auto fresh_dir = [&] { return join_path(g_work_dir, "append-" + std::to_string(log_counter++)); };

  for (int i = 0; i < 2; ++i) {
    std::string sz = size_name(sizes[i]);
    Bytes& batch = batches[i];

    // Raw disk.
    progress("raw " + sz + " writes");
    RawWrite u = raw_write(raw_path, data_bytes, sizes[i], false, sync_cap);
    double raw_unsynced = mb_per_s(u.bytes, u.write_secs);
    std::string raw_unsynced_name = "raw " + sz + " unsynced";
    add("raw pwrite " + sz + ", unsynced (writes only)", raw_unsynced, "MB/s");
    add("raw pwrite " + sz + ", unsynced: final fdatasync of " + size_name(u.bytes), u.final_sync_secs, "s", 3);
    add("raw pwrite " + sz + ", unsynced incl. final fdatasync", mb_per_s(u.bytes, u.write_secs + u.final_sync_secs),
        "MB/s");
    if (i == 0) {
      // Log batches are seldom a multiple of the page size; ext4 is slower for such writes.
      size_t odd = sizes[0] - 3;
      RawWrite o = raw_write(raw_path, data_bytes, odd, false, sync_cap);
      add_vs("raw pwrite " + std::to_string(odd) + " B (not page-aligned), unsynced (writes only)",
             mb_per_s(o.bytes, o.write_secs), "MB/s", raw_unsynced, raw_unsynced_name);
    }
    RawWrite s = raw_write(raw_path, data_bytes, sizes[i], true, sync_cap);
    double raw_synced = mb_per_s(s.bytes, s.write_secs);
    std::string raw_synced_name = "raw " + sz + " fdatasync each";
    add("raw pwrite " + sz + " + fdatasync each", raw_synced, "MB/s");
    add("raw pwrite " + sz + " + fdatasync each", static_cast<double>(s.bytes / sizes[i]) / s.write_secs,
        "writes/s", 0);

    // (a) Log, synced per batch, inline.
    {
      progress("log " + sz + " batches, synced per batch");
      std::string dir = fresh_dir();
      auto log = open_log(env, env.inline_syncs, dir, synced_config(), false, 0);
      run_appends(env, *log, batch, batch.size(), Mode::synced_inline, nullptr, 0, sync_cap);  // warm-up
      AppendRun r = run_appends(env, *log, batch, data_bytes, Mode::synced_inline, nullptr, 0, sync_cap);
      add_vs("log append " + sz + " batches, synced per batch (inline)", mb_per_s(r.bytes, r.secs), "MB/s",
             raw_synced, raw_synced_name);
      add("log append " + sz + " batches, synced per batch: fdatasyncs per append",
          static_cast<double>(r.syncs) / static_cast<double>(r.appends), "syncs", 2);
      check(log->close(), "close of " + dir);
      log.reset();
      fs::remove_all(dir);
    }
    // (b) Group commit.
    for (int n : group_in_flight) {
      progress("log " + sz + " batches, group commit " + std::to_string(n));
      std::string dir = fresh_dir();
      ThreadSyncExecutor threaded;
      auto log = open_log(env, threaded, dir, synced_config(), false, 0);
      run_appends(env, *log, batch, batch.size(), Mode::group_commit, &threaded, n, sync_cap);  // warm-up
      AppendRun r = run_appends(env, *log, batch, data_bytes, Mode::group_commit, &threaded, n, sync_cap);
      std::string name = "log append " + sz + " batches, group commit, " + std::to_string(n) + " in flight";
      add_vs(name, mb_per_s(r.bytes, r.secs), "MB/s", raw_synced, raw_synced_name);
      add(name + ": fdatasyncs per append", static_cast<double>(r.syncs) / static_cast<double>(r.appends), "syncs",
          2);
      check(log->close(), "close of " + dir);
      log.reset();
      fs::remove_all(dir);
    }
    // (c) Unsynced.
    {
      progress("log " + sz + " batches, unsynced");
      std::string dir = fresh_dir();
      auto log = open_log(env, env.inline_syncs, dir, unsynced_config(), false, 0);
      run_appends(env, *log, batch, batch.size(), Mode::unsynced, nullptr, 0, sync_cap);  // warm-up
      AppendRun r = run_appends(env, *log, batch, data_bytes, Mode::unsynced, nullptr, 0, sync_cap);
      add_vs("log append " + sz + " batches, unsynced (appends only)", mb_per_s(r.bytes, r.secs), "MB/s",
             raw_unsynced, raw_unsynced_name);
      add("log append " + sz + " batches, unsynced: flush() after", r.final_flush_secs, "s", 3);
      check(log->close(), "close of " + dir);
      log.reset();
      if (i == 0) {
        read_dir = dir;
      } else {
        fs::remove_all(dir);
      }
    }
  }
  progress("fdatasync latency");
  Latencies lat = raw_sync_latency(raw_path, latency_samples, sync_cap);
  add("raw fdatasync after a 4 KiB append, p50", lat.p50_us, "µs", 0);
  add("raw fdatasync after a 4 KiB append, p99", lat.p99_us, "µs", 0);
  add("raw fdatasync after a 4 KiB append, max", lat.max_us, "µs", 0);
  add("raw fdatasync latency samples", static_cast<double>(lat.samples), "syncs", 0);

  // 3. Reads, of the unsynced 16 KiB-batch log.
  {
    progress("reads");
    auto log = open_log(env, env.inline_syncs, read_dir, unsynced_config(), true, 0);
    if (log->segment_count() != 1) die("read test", "expected one segment in " + read_dir);
    std::string file = log->segments().front()->log_path();
    note("reads: the " + size_name(log->size_bytes()) + " log of the unsynced 16 KiB-batch run; \"evicted\" is " +
         "posix_fadvise(DONTNEED) after fdatasync: out of this kernel's page cache, though a VM's host may still " +
         "cache the disk");
    // Best of three, raw and log interleaved: reads of an evicted file vary from run to run.
    double raw_warm = 0, log_warm = 0, raw_cold = 0, log_cold = 0;
    for (int rep = 0; rep < 3; ++rep) {
      raw_warm = std::max(raw_warm, raw_read_mbps(file));
      log_warm = std::max(log_warm, log_read_mbps(*log));
    }
    for (int rep = 0; rep < 3; ++rep) {
      evict_file(file);
      raw_cold = std::max(raw_cold, raw_read_mbps(file));
      evict_file(file);
      log_cold = std::max(log_cold, log_read_mbps(*log));
    }
    add("raw pread 1 MiB chunks, page cache warm (best of 3)", raw_warm, "MB/s");
    add_vs("log read 1 MiB slices + pread, page cache warm (best of 3)", log_warm, "MB/s", raw_warm, "raw pread warm");
    add("raw pread 1 MiB chunks, evicted from page cache (best of 3)", raw_cold, "MB/s");
    add_vs("log read 1 MiB slices + pread, evicted from page cache (best of 3)", log_cold, "MB/s", raw_cold,
           "raw pread cold");
    check(log->close(), "close of " + read_dir);
    log.reset();
    fs::remove_all(read_dir);

    // 4. Recovery.
    progress("recovery: writing " + size_name(recovery_bytes));
    std::string dir = join_path(g_work_dir, "recovery-0");
    int64_t end_offset = 0;
    uint64_t log_bytes = 0;
    {
      auto w = open_log(env, env.inline_syncs, dir, unsynced_config(), false, 0);
      run_appends(env, *w, batches[0], recovery_bytes, Mode::unsynced, nullptr, 0, sync_cap);
      end_offset = w->log_end_offset();
      log_bytes = w->size_bytes();
      // The data reaches the disk (as if the kernel had written it back before the crash), then
      // the log is dropped without close(): no clean shutdown.
      check(w->flush(), "flush of " + dir);
    }
    auto reopen = [&](bool clean, const std::string& what) {
      auto start = SteadyClock::now();
      auto log = open_log(env, env.inline_syncs, dir, unsynced_config(), clean, clean ? end_offset : 0);
      double secs = seconds_since(start);
      if (log->log_end_offset() != end_offset) {
        die(what, "log end " + std::to_string(log->log_end_offset()) + ", expected " + std::to_string(end_offset));
      }
      if (!log->recovery_report().empty()) die(what, "recovery truncated: " + log->recovery_report());
      return std::make_pair(std::move(log), secs);
    };
    // The raw reference: pread of the same segment files, warm and evicted.
    auto raw_read_dir = [&] {
      std::vector<std::string> files;
      for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".log") files.push_back(entry.path().string());
      }
      std::sort(files.begin(), files.end());
      double secs = 0;
      for (const auto& f : files) secs += static_cast<double>(fs::file_size(f)) / 1e6 / raw_read_mbps(f);
      return mb_per_s(log_bytes, secs);
    };
    progress("recovery: unclean opens");
    double raw_rec_warm = raw_read_dir();
    double recovery_warm_secs = 0;
    {
      auto [log, secs] = reopen(false, "unclean open (warm)");
      recovery_warm_secs = secs;
    }
    raw_rec_warm = std::max(raw_rec_warm, raw_read_dir());
    add("raw pread of the recovery log's segments, page cache warm (best of 2)", raw_rec_warm, "MB/s");
    add("recovery (unclean open, " + size_name(log_bytes) + "), page cache warm", recovery_warm_secs, "s", 3);
    add_vs("recovery scan, page cache warm", mb_per_s(log_bytes, recovery_warm_secs), "MB/s", raw_rec_warm,
           "raw pread of the same files, warm");
    // Raw cold reads before and after the recovery, the best taken: the first read of data after
    // it was evicted can be slower than later ones (a virtual disk's host caches it too).
    evict_dir(dir);
    double raw_rec_cold = raw_read_dir();
    evict_dir(dir);
    double recovery_cold_secs = 0;
    {
      auto [log, secs] = reopen(false, "unclean open (cold)");
      recovery_cold_secs = secs;
    }
    evict_dir(dir);
    raw_rec_cold = std::max(raw_rec_cold, raw_read_dir());
    add("raw pread of the recovery log's segments, evicted from page cache (best of 2)", raw_rec_cold, "MB/s");
    add("recovery (unclean open, " + size_name(log_bytes) + "), evicted from page cache", recovery_cold_secs, "s", 3);
    add_vs("recovery scan, evicted from page cache", mb_per_s(log_bytes, recovery_cold_secs), "MB/s", raw_rec_cold,
           "raw pread of the same files, cold");
    progress("recovery: clean opens");
    evict_dir(dir);
    {
      auto [log, secs] = reopen(true, "clean open (cold)");
      add("clean open of the same log, evicted from page cache", secs * 1e3, "ms", 2);
    }
    {
      auto [log, secs] = reopen(true, "clean open (warm)");
      add("clean open of the same log, page cache warm", secs * 1e3, "ms", 2);
      check(log->close(), "close of " + dir);
    }
    fs::remove_all(dir);
  }

  // 5. Many partitions.
  {
    std::string root = join_path(g_work_dir, "many");
    progress("creating " + std::to_string(partitions) + " partitions");
    Bytes small = make_batch(kKiB, 4, now);
    auto partition_dir = [&](int i) { return join_path(root, "topic-" + std::to_string(i)); };
    env.fs.syncs_enabled = false;  // setup only: no fdatasync, so this takes seconds, not minutes
    for (int i = 0; i < partitions; ++i) {
      auto log = open_log(env, env.inline_syncs, partition_dir(i), synced_config(), false, 0);
      check(log->append_as_leader(small, 0).status(), "append to " + log->dir());
      check(log->close(), "close of " + log->dir());
    }
    env.fs.syncs_enabled = true;
    ::sync();

    struct rlimit limit {};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    add("RLIMIT_NOFILE (soft)", static_cast<double>(limit.rlim_cur), "fds", 0);
    // Descriptors held back so that /proc can still be read if the partitions exhaust the limit.
    std::vector<int> reserve;
    for (int i = 0; i < 8; ++i) reserve.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    int64_t fds_before = open_fds() + 1 - static_cast<int64_t>(reserve.size());
    int64_t rss_before = rss_kib();
    int64_t heap_before = heap_in_use();
    uint64_t syncs_before = env.fs.syncs.load() + env.fs.dir_syncs.load();
    int64_t sync_nanos_before = env.fs.sync_nanos.load();

    progress("opening " + std::to_string(partitions) + " partitions (clean shutdown)");
    std::vector<std::unique_ptr<Log>> logs;
    logs.reserve(static_cast<size_t>(partitions));
    Status failure;
    auto start = SteadyClock::now();
    for (int i = 0; i < partitions; ++i) {
      Log::Options o;
      o.dir = partition_dir(i);
      o.config = synced_config();
      o.clean_shutdown = true;
      o.recovery_point = 4;
      auto log = Log::open(env.fs, env.clock, env.inline_syncs, o);
      if (!log.ok()) {
        failure = log.status();
        break;
      }
      logs.push_back(std::move(*log));
    }
    double secs = seconds_since(start);
    uint64_t open_syncs = env.fs.syncs.load() + env.fs.dir_syncs.load() - syncs_before;
    double open_sync_secs = static_cast<double>(env.fs.sync_nanos.load() - sync_nanos_before) / 1e9;
    int64_t heap_after = heap_in_use();
    for (int fd : reserve) {
      if (fd >= 0) ::close(fd);
    }
    int64_t fds_after = open_fds();
    int64_t rss_after = rss_kib();
    double opened = static_cast<double>(logs.size());
    if (!failure.ok()) {
      std::string msg = "opening partition " + std::to_string(logs.size()) + " of " + std::to_string(partitions) +
                        " failed: " + failure.to_string();
      std::fprintf(stderr, "bench_storage: %s\n", msg.c_str());
      std::string per = opened > 0 ? format(static_cast<double>(fds_after - fds_before) / opened, 2) : "?";
      note("MANY PARTITIONS HIT A LIMIT: " + msg + " (RLIMIT_NOFILE " + std::to_string(limit.rlim_cur) + "; each open " +
           "partition held " + per + " descriptors)");
    }
    add("partitions opened (clean shutdown)" + std::string(failure.ok() ? "" : " before failing"), opened,
        "partitions", 0);
    add("open of all partitions, total", secs, "s", 3);
    add("open of all partitions: of which in fdatasync/fsync", open_sync_secs, "s", 3);
    if (opened > 0) {
      add("open per partition", secs * 1e6 / opened, "µs", 1);
      add("fdatasync + directory fsync calls per partition open", static_cast<double>(open_syncs) / opened, "syncs",
          2);
    }
    add("open file descriptors after opening", static_cast<double>(fds_after), "fds", 0);
    if (opened > 0) {
      add("open file descriptors per partition", static_cast<double>(fds_after - fds_before) / opened, "fds", 2);
    }
    add("RSS after opening", static_cast<double>(rss_after) / 1024.0, "MiB", 1);
    if (opened > 0) {
      add("RSS growth per partition", static_cast<double>(rss_after - rss_before) / opened, "KiB", 1);
      add("heap in use per partition (mallinfo2)", static_cast<double>(heap_after - heap_before) / opened / 1024.0,
          "KiB", 2);
    }
    logs.clear();  // dropped without close(): nothing to flush, and 4 fsyncs each would dominate
    fs::remove_all(root);
  }

  remove_work_dir();
  double total = seconds_since(run_start);
  print_table(opt, total);
  if (!opt.json.empty()) write_json(opt, total);
  return 0;
}

}  // namespace
}  // namespace gregor::storage

int main(int argc, char** argv) {
  auto options = gregor::storage::parse_args(argc, argv);
  try {
    return gregor::storage::run(options);
  } catch (const std::exception& e) {  // std::filesystem reports errors by throwing
    gregor::storage::die("error", e.what());
  }
}
