// Randomized crash-recovery: a seeded workload runs on the simulated file system until a crash point chosen by the
// seed; the power fails (unsynced data lost, the last write possibly torn); the log is recovered, sometimes crashing
// again during recovery, and checked against a model of what it may hold.
//
// The workload appends (with group-commit syncs, rolls and flushes), truncates (truncate_to, as a follower whose log
// diverged from the leader's, at a batch boundary; truncate_fully_and_start_at, as one that fell behind the leader's
// log start), raises the high watermark (replication may run it ahead of the disk), moves the log start
// (DeleteRecords) and applies retention (retention.bytes, retention.ms on a manual clock, then the removal of the
// .deleted files after file.delete.delay.ms). Like the log manager it checkpoints the recovery point and the log
// start offset at random moments, and reopening passes the last checkpoint. It also checkpoints right after every
// truncation, as Kafka's LogManager does and as the owner of a Log must: a truncation lowers both, a stale recovery
// point above it would make recovery trust segments rewritten since, and a stale log start would hide what is
// appended after it (or, after truncate_fully_and_start_at, let a crash in a later one restart the log there).
//
// Every record's contents are unique, so a record that comes back after it was truncated away is recognised. What
// is checked after every recovery:
// - Consistency: the records read from the log start to the log end are, offset by offset and with no gap, those
//   the model holds there, up to some point (possibly into the append the crash interrupted). A truncation is
//   durable when it returns (Kafka's is not, and its followers truncate again from the leader epochs after a
//   restart; here appends are acknowledged by fsync, so a truncation must not come back behind them): what it
//   removed never reappears. Only for the truncation a crash interrupted may the log be that of the state before
//   it, never a mixture of both.
// - Durability: every acknowledged record (when_durable, flush) is there unless a truncation removed it, so the log
//   ends at or after the acknowledged offset.
// - Log start: at least the checkpointed one passed on reopen, even when the log lost everything up to it (it then
//   starts empty there, as Kafka's does). It exceeds both that and the state's own log start only where no
//   acknowledged record lies: retention and DeleteRecords delete only below the log start (or, interrupted, below
//   the high watermark). Reads below it fail.
// - Indexes: every segment's pass their checks, and a lookup by timestamp finds the records.
// - Producer state: some appends come from idempotent producers (new ones at any sequence, some near the INT32_MAX
//   wrap, epoch bumps, and retries of recent batches, which must be answered as duplicates with their original
//   offsets). After recovery, every producer whose last batch survives at or above the log start has exactly the
//   state that batch gives (what a snapshot holds), as rebuilt from the surviving records, and no other producer
//   claims a batch there; a retry of a surviving last batch is still recognised as a duplicate; and a clean reopen
//   (from the snapshot close writes) has the same producers.
//
//   GREGOR_CRASH_SEEDS=n   how many seeds to run (default 500)
//   GREGOR_SEED=s          run only seed s (a failure prints the seed that replays it)
//   GREGOR_CRASH_TRACE=1   print each step of the workload and the directory after each crash
#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <random>

#include "common/endian.h"
#include "log_test_util.h"
#include "storage/log.h"
#include "storage/producer_state.h"
#include "storage/sim_file_system.h"

namespace gregor::storage {
namespace {

using testing::make_batch;
using testing::Rec;

// Syncs run only when the test says, so appends pile up behind an in-flight sync.
class ManualSyncExecutor final : public SyncExecutor {
 public:
  void submit(std::function<Status()> work, std::function<void(Status)> done) override {
    jobs_.push_back({std::move(work), std::move(done)});
  }
  bool run_one() {
    if (jobs_.empty()) return false;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    job.second(job.first());
    return true;
  }
  void run_all() {
    while (run_one()) {
    }
  }
  void drop_all() { jobs_.clear(); }

 private:
  std::deque<std::pair<std::function<Status()>, std::function<void(Status)>>> jobs_;
};

// The log's contents at one moment: the records at offsets [first, end()).
struct State {
  int64_t first = 0;
  std::vector<Rec> records;
  int64_t log_start = 0;  // recovery may hide what lies below it

  int64_t end() const { return first + static_cast<int64_t>(records.size()); }
};

struct Model {
  State now;
  // The state before the truncation a crash interrupted, which may or may not have happened.
  std::optional<State> before_truncation;
  // The append the crash interrupted: its write may have reached the page cache whole before the process died, so
  // its records may be there even though the append failed.
  std::vector<Rec> interrupted;
  int64_t acknowledged = 0;  // every offset below was durable with the contents it has now
  int next_id = 0;           // record contents are never reused
  int64_t checkpointed_recovery_point = 0;
  int64_t checkpointed_log_start = 0;
  const char* crashed_in = nullptr;  // the operation the crash point fell in

  void truncate(int64_t offset, bool fully) {
    if (!fully && offset >= now.end()) return;  // nothing to remove
    before_truncation = now;
    bool emptied = fully || offset < now.first;
    if (emptied) {
      now.first = offset;
      now.records.clear();
    } else {
      now.records.resize(static_cast<size_t>(offset - now.first));
    }
    // What the truncation removed is no longer required.
    acknowledged = emptied ? 0 : std::min(acknowledged, offset);
    now.log_start = emptied ? offset : std::min(now.log_start, offset);
  }

  void checkpoint(const Log& log) {
    checkpointed_recovery_point = log.recovery_point();
    checkpointed_log_start = log.log_start_offset();
  }
};

constexpr const char* kDir = "/data/events-0";

LogConfig workload_config(std::mt19937_64& rng) {
  LogConfig c;
  c.segment_bytes = 800 + static_cast<int32_t>(rng() % 2500);
  c.index_interval_bytes = 64 + static_cast<int32_t>(rng() % 512);
  c.segment_index_bytes = 8 * (4 + static_cast<int32_t>(rng() % 40));  // small: rolls on a full index too
  c.flush_messages = rng() % 3 == 0 ? 4 : 1;
  c.message_timestamp_after_max_ms = LogConfig::kLongMax;
  // The clock advances half a second a step on average: retention deletes segments in most workloads.
  c.retention_ms = rng() % 3 == 0 ? -1 : 1'000 + static_cast<int64_t>(rng() % 15'000);
  c.retention_bytes = rng() % 3 == 0 ? -1 : 500 + static_cast<int64_t>(rng() % 5'000);
  c.file_delete_delay_ms = rng() % 3 == 0 ? 0 : static_cast<int64_t>(rng() % 30'000);
  return c;
}

StatusOr<std::unique_ptr<Log>> open_log(SimFileSystem& fs, Clock& clock, SyncExecutor& syncs, const LogConfig& c,
                                        const Model& model) {
  Log::Options o;
  o.dir = kDir;
  o.config = c;
  o.recovery_point = model.checkpointed_recovery_point;
  o.log_start_offset = model.checkpointed_log_start;
  return Log::open(fs, clock, syncs, o);
}

int64_t pick(std::mt19937_64& rng, int64_t from, int64_t to) {
  return to <= from ? from : from + static_cast<int64_t>(rng() % static_cast<uint64_t>(to - from + 1));
}

// The base of the batch holding offset. Replication truncates only at batch boundaries (leader epoch end offsets
// and high watermarks are); truncate_to elsewhere removes the whole batch yet puts the log end at offset, as Kafka's
// does, which leaves a gap the model does not follow.
int64_t batch_boundary_at(Log& log, int64_t offset) {
  if (offset >= log.log_end_offset()) return offset;
  auto r = log.read(offset, 1);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok() || r->slice.size < sizeof(int64_t)) return offset;
  return load_be<int64_t>(testing::slice_bytes(r->slice).data());
}

bool tracing() {
  static const bool on = std::getenv("GREGOR_CRASH_TRACE") != nullptr;
  return on;
}

// The idempotent producers of the workload.
constexpr int64_t kFirstProducerId = 1000;
constexpr int kProducers = 3;

// How much of the producer state the seeds exercised: retries answered as duplicates during the workloads, and
// producers checked after recovery.
struct ProducerCoverage {
  int retries = 0;
  int recovered = 0;
};
ProducerCoverage coverage;

// The producer fields of the next batch: a producer's next sequence as the log knows it, sometimes a new epoch, and
// for a producer the log does not know any sequence (often near the wrap). Sets retry to one of the producer's
// recent batches when the batch repeats it.
testing::ProducerFields next_producer_batch(std::mt19937_64& rng, const Log& log, int& count,
                                            std::optional<BatchMetadata>& retry) {
  const int64_t id = kFirstProducerId + static_cast<int64_t>(rng() % kProducers);
  const ProducerStateEntry* e = log.producer_state().find(id);
  if (!e || e->empty()) {
    int32_t seq = rng() % 3 == 0 ? std::numeric_limits<int32_t>::max() - static_cast<int32_t>(rng() % 8) : 0;
    return {id, static_cast<int16_t>(e ? e->producer_epoch : 0), seq};
  }
  if (rng() % 10 == 0) return {id, static_cast<int16_t>(e->producer_epoch + 1), 0};
  if (rng() % 6 == 0) {
    const BatchMetadata& b = e->batch(static_cast<int>(rng() % static_cast<uint64_t>(e->size())));
    retry = b;
    count = b.offset_delta + 1;
    return {id, e->producer_epoch, b.first_seq()};
  }
  return {id, e->producer_epoch, increment_sequence(e->last_seq(), 1)};
}

Status append(std::mt19937_64& rng, Log& log, ManualClock& clock, Model& model, int32_t leader_epoch) {
  static constexpr record::Compression kCodecs[] = {record::Compression::none, record::Compression::none,
                                                    record::Compression::lz4, record::Compression::zstd};
  int count = 1 + static_cast<int>(rng() % 6);
  int64_t first = log.log_end_offset();
  EXPECT_EQ(first, model.now.end());
  testing::ProducerFields producer;
  std::optional<BatchMetadata> retry;
  if (rng() % 5 < 2) producer = next_producer_batch(rng, log, count, retry);
  int id = model.next_id;
  size_t padding = rng() % 80;
  Bytes batch = make_batch(count, clock.now_ms(), id, kCodecs[rng() % 4], padding, true, producer);
  model.next_id += count;
  auto r = log.append_as_leader(batch, leader_epoch);
  if (retry) {
    // Nothing is written; the answer is the original batch's offsets, once that batch is durable.
    if (!r.ok()) return r.status();
    EXPECT_TRUE(r->duplicate) << "a retry of producer " << producer.id << "'s batch " << retry->first_seq() << ".."
                              << retry->last_seq << " was appended again";
    EXPECT_EQ(r->base_offset, retry->first_offset());
    EXPECT_EQ(r->last_offset, retry->last_offset);
    EXPECT_EQ(log.log_end_offset(), first);
    ++coverage.retries;
    return {};
  }
  std::vector<Rec>& into = r.ok() ? model.now.records : model.interrupted;
  for (int i = 0; i < count; ++i) {
    std::string n = std::to_string(id + i);
    into.push_back(Rec{first + i, clock.now_ms() + i, "k" + n, "v" + n + std::string(padding, 'x')});
  }
  if (!r.ok()) return r.status();
  EXPECT_EQ(r->base_offset, first);
  EXPECT_FALSE(r->duplicate);
  if (r->sync_required) {
    log.when_durable(r->last_offset + 1, [&model, end = r->last_offset + 1](Status s) {
      if (s.ok()) model.acknowledged = std::max(model.acknowledged, end);
    });
  }
  return {};
}

// Truncates to offset, or empties the log and starts it at offset.
Status truncate(Log& log, Model& model, int64_t offset, bool fully) {
  // Below the first segment, truncate_to does what truncate_fully_and_start_at does.
  bool empties = fully || (offset < log.log_end_offset() && offset < log.segments().front()->base_offset());
  Status s = fully ? log.truncate_fully_and_start_at(offset) : log.truncate_to(offset);
  // Interrupted by the crash, it may have happened or not: the model takes it and keeps the state before.
  model.truncate(offset, empties);
  if (!s.ok()) return s;
  model.before_truncation.reset();  // durable
  model.checkpoint(log);
  return s;
}

// Runs one step of the workload; returns what it did.
const char* run_step(std::mt19937_64& rng, Log& log, ManualSyncExecutor& syncs, SimFileSystem& fs, ManualClock& clock,
                     Model& model, int step) {
  // Nothing fails here but for the crash point.
  auto check = [&](const Status& s) { EXPECT_TRUE(s.ok() || fs.halted()) << s.to_string(); };
  clock.advance(static_cast<int64_t>(rng() % 1000));
  int action = static_cast<int>(rng() % 100);
  if (action < 58) {
    check(append(rng, log, clock, model, static_cast<int32_t>(step / 25)));
    return "append";
  }
  if (action < 72) {
    syncs.run_one();
    return "sync";
  }
  if (action < 75) {
    Status s = log.flush();
    check(s);
    if (s.ok()) model.acknowledged = log.log_end_offset();
    return "flush";
  }
  if (action < 78) {
    model.checkpoint(log);  // the log manager's periodic one
    return "checkpoint";
  }
  if (action < 86) {
    // Replication keeps it near the log end.
    log.set_high_watermark(pick(rng, log.log_end_offset() - 10, log.log_end_offset()));
    return "high_watermark";
  }
  if (action < 92) {
    if (action < 88) {
      check(log.delete_records_before(pick(rng, log.log_start_offset(), log.high_watermark())).status());
    } else {
      check(log.apply_retention().status());
    }
    // Interrupted, it may have deleted segments without raising the log start yet; they all lie below the high
    // watermark.
    model.now.log_start = std::max(log.log_start_offset(), log.high_watermark());
    return action < 88 ? "delete_records" : "retention";
  }
  if (action < 94) {
    check(log.delete_expired_files());
    return "delete_expired";
  }
  int64_t end = log.log_end_offset();
  if (action < 98) {
    // Mostly near the end, as a diverged follower; sometimes below the log start.
    int64_t offset = rng() % 4 == 0 ? pick(rng, 0, end) : pick(rng, std::max<int64_t>(0, end - 20), end);
    offset = offset < log.log_start_offset() ? pick(rng, 0, log.segments().front()->base_offset())
                                             : batch_boundary_at(log, offset);
    check(truncate(log, model, offset, false));
    return "truncate_to";
  }
  check(truncate(log, model, pick(rng, std::max<int64_t>(0, end - 30), end + 50), true));
  return "truncate_fully";
}

// Runs the seed's workload; stops early once the file system halts.
void run_workload(std::mt19937_64& rng, Log& log, ManualSyncExecutor& syncs, SimFileSystem& fs, ManualClock& clock,
                  Model& model, int steps) {
  for (int step = 0; step < steps && !fs.halted() && !::testing::Test::HasFatalFailure(); ++step) {
    const char* op = run_step(rng, log, syncs, fs, clock, model, step);
    if (fs.halted()) {
      model.crashed_in = op;
    } else {
      model.now.log_start = log.log_start_offset();
    }
    if (tracing()) {
      std::cout << "step " << step << " " << op << (fs.halted() ? " (crashed)" : "") << ": log ["
                << log.log_start_offset() << ", " << log.log_end_offset() << ") high watermark "
                << log.high_watermark() << ", recovery point " << log.recovery_point() << ", durable "
                << log.durable_offset() << ", segments";
      for (const Segment* segment : log.segments()) std::cout << " " << segment->base_offset();
      std::cout << "; model [" << model.now.first << ", " << model.now.end() << "), acknowledged "
                << model.acknowledged << ", checkpointed " << model.checkpointed_recovery_point << " and "
                << model.checkpointed_log_start << "\n";
    }
  }
}

// Why the recovered log (log start, log end, the records from the log start) is not one that state s allows; ""
// when it is.
std::string mismatch(const State& s, const std::vector<Rec>& interrupted, int64_t acknowledged, int64_t log_start,
                     int64_t log_end, const std::vector<Rec>& got, int64_t checkpointed_log_start) {
  std::vector<Rec> possible = s.records;
  possible.insert(possible.end(), interrupted.begin(), interrupted.end());
  int64_t possible_end = s.first + static_cast<int64_t>(possible.size());
  if (log_end > possible_end) {
    return "the log end " + std::to_string(log_end) + " is beyond the state's " + std::to_string(possible_end);
  }
  if (log_end < s.first) {
    return "the log end " + std::to_string(log_end) + " is below the state's first offset " + std::to_string(s.first);
  }
  if (log_end < acknowledged) {
    return "acknowledged records were lost: the log ends at " + std::to_string(log_end) + ", below " +
           std::to_string(acknowledged);
  }
  if (int64_t deleted = std::max(checkpointed_log_start, s.log_start); log_start > deleted && deleted < acknowledged) {
    return "the log start " + std::to_string(log_start) + " hides acknowledged records from " +
           std::to_string(deleted) + " that were not deleted";
  }
  for (const Rec& r : got) {
    if (r.offset < s.first || r.offset >= possible_end) {
      return "offset " + std::to_string(r.offset) + " is outside the state's [" + std::to_string(s.first) + ", " +
             std::to_string(possible_end) + ")";
    }
    const Rec& want = possible[static_cast<size_t>(r.offset - s.first)];
    if (!(r == want)) return "read " + ::testing::PrintToString(r) + " where the state has " +
                             ::testing::PrintToString(want);
  }
  return "";
}

void check_recovered(Log& log, const Model& model) {
  int64_t log_start = log.log_start_offset();
  int64_t log_end = log.log_end_offset();
  ASSERT_GE(log_start, model.checkpointed_log_start) << "the log start went below the checkpointed one";
  ASSERT_LE(log_start, log_end);
  if (log_start > 0) {
    auto below = log.read(log_start - 1, 1024);
    ASSERT_FALSE(below.ok()) << "read below the log start " << log_start;
    EXPECT_EQ(below.status().code(), ErrorCode::offset_out_of_range);
  }
  // read_all also checks every batch's CRC and record framing on the way.
  std::vector<Rec> got = testing::read_all(log, log_start);
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].offset, log_start + static_cast<int64_t>(i))
        << "a gap in the log, after " << (i > 0 ? ::testing::PrintToString(got[i - 1]) : "the log start");
  }
  ASSERT_EQ(static_cast<int64_t>(got.size()), log_end - log_start) << "records are missing at the log end";
  // Every segment's indexes pass their checks (retention and ListOffsets read them), and a lookup by time finds each
  // record at the latest (timestamps may repeat, and go back between batches).
  Status tails = log.load_segment_tails();
  ASSERT_TRUE(tails.ok()) << tails.to_string();
  for (size_t i : {size_t{0}, got.size() / 2, got.size() - 1}) {
    if (i >= got.size()) continue;
    auto found = log.offset_for_timestamp(got[i].timestamp);
    ASSERT_TRUE(found.ok()) << found.status().to_string();
    ASSERT_TRUE(found->has_value()) << "no record at or after " << ::testing::PrintToString(got[i]);
    EXPECT_LE((*found)->offset, got[i].offset);
    EXPECT_GE((*found)->offset, log_start);
  }
  std::string why_not_now =
      mismatch(model.now, model.interrupted, model.acknowledged, log_start, log_end, got, model.checkpointed_log_start);
  if (why_not_now.empty()) return;
  std::string why_not_before;
  if (model.before_truncation) {
    why_not_before = mismatch(*model.before_truncation, {}, model.acknowledged, log_start, log_end, got,
                              model.checkpointed_log_start);
    if (why_not_before.empty()) return;
  }
  FAIL() << "recovered log [" << log_start << ", " << log_end << ") is not the model's: " << why_not_now
         << (model.before_truncation ? "; nor the one before the interrupted truncation: " + why_not_before : "");
}

// The producers whose last batch lies at or above from, as a snapshot holds them.
std::vector<ProducerSnapshotEntry> producers_from(const ProducerStateManager& state, int64_t from) {
  std::vector<ProducerSnapshotEntry> out;
  for (const ProducerSnapshotEntry& e : state.snapshot_entries()) {
    if (e.last_offset >= from) out.push_back(e);
  }
  return out;
}

// The producer state rebuilt from the records the log holds from its log start.
std::vector<ProducerSnapshotEntry> producers_in_records(Log& log) {
  SimFileSystem unused;
  ProducerStateManager rebuilt(unused, "/unused", "rebuilt", INT64_MAX);
  int64_t offset = log.log_start_offset();
  while (offset < log.log_end_offset()) {
    auto r = log.read(offset, 64 * 1024);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok() || r->slice.size == 0) break;
    Bytes bytes = testing::slice_bytes(r->slice);
    for (size_t pos = 0; pos + record::v2::kHeaderSize <= bytes.size();) {
      ProducerBatch b = ProducerBatch::from_header(bytes.data() + pos);
      if (b.producer_id != kNoProducerId) rebuilt.update(b);
      offset = b.last_offset() + 1;
      pos += static_cast<size_t>(load_be<int32_t>(bytes.data() + pos + record::v2::kBatchLength)) +
             record::v2::kLogOverhead;
    }
  }
  return producers_from(rebuilt, log.log_start_offset());
}

void check_producers(Log& log, ManualClock& clock, int next_id) {
  std::vector<ProducerSnapshotEntry> want = producers_in_records(log);
  ASSERT_EQ(producers_from(log.producer_state(), log.log_start_offset()), want)
      << "the recovered producer state is not the one the surviving records give";
  // A retry of each surviving last batch is a duplicate, answered with its offsets.
  coverage.recovered += static_cast<int>(want.size());
  for (const ProducerSnapshotEntry& e : want) {
    int count = e.offset_delta + 1;
    Bytes retry = make_batch(count, clock.now_ms(), next_id, record::Compression::none, 0, true,
                             {e.producer_id, e.producer_epoch, decrement_sequence(e.last_sequence, e.offset_delta)});
    int64_t end = log.log_end_offset();
    auto r = log.append_as_leader(retry, 100);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_TRUE(r->duplicate) << "producer " << e.producer_id << "'s last batch is no longer recognised";
    EXPECT_EQ(r->base_offset, e.last_offset - e.offset_delta);
    EXPECT_EQ(log.log_end_offset(), end);
  }
}

void trace_directory(SimFileSystem& fs, const char* when) {
  if (!tracing()) return;
  std::cout << when << ":";
  auto names = fs.list(kDir);
  if (!names.ok()) return;
  for (const std::string& name : *names) {
    std::cout << " " << name << " (" << fs.contents(join_path(kDir, name))->size() << " bytes)";
  }
  std::cout << "\n";
}

// Counts, per operation, the seeds whose crash point fell in it.
void run_seed(uint64_t seed, std::map<std::string, int>& crash_points) {
  SCOPED_TRACE("GREGOR_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  LogConfig config = workload_config(rng);
  int steps = 40 + static_cast<int>(rng() % 120);
  uint64_t workload_seed = rng();

  // A dry run counts the workload's file operations, so the crash point can fall anywhere in it.
  uint64_t total_ops = 0;
  {
    SimFileSystem fs;
    ManualClock clock;
    ManualSyncExecutor syncs;
    Model model;
    auto log = open_log(fs, clock, syncs, config, model);
    ASSERT_TRUE(log.ok()) << log.status().to_string();
    uint64_t before = fs.mutation_count();
    std::mt19937_64 wrng(workload_seed);
    run_workload(wrng, **log, syncs, fs, clock, model, steps);
    total_ops = fs.mutation_count() - before;
  }

  SimFileSystem::Options fs_options;
  fs_options.seed = seed;
  SimFileSystem fs(fs_options);
  ManualClock clock;
  ManualSyncExecutor syncs;
  Model model;
  {
    auto log = open_log(fs, clock, syncs, config, model);
    ASSERT_TRUE(log.ok()) << log.status().to_string();
    fs.set_crash_after(rng() % (total_ops + 1));
    std::mt19937_64 wrng(workload_seed);
    run_workload(wrng, **log, syncs, fs, clock, model, steps);
    syncs.drop_all();  // the process dies: queued syncs never run
  }
  ++crash_points[model.crashed_in ? model.crashed_in : "nothing (the workload ended first)"];
  fs.clear_crash_after();
  fs.crash(rng());
  trace_directory(fs, "after the crash");

  // Sometimes the power fails again while recovering.
  int recoveries = 0;
  while (rng() % 3 == 0 && recoveries < 3) {
    ++recoveries;
    fs.set_crash_after(rng() % 40);
    {
      auto log = open_log(fs, clock, syncs, config, model);
      syncs.drop_all();
    }
    fs.clear_crash_after();
    fs.crash(rng());
    trace_directory(fs, "after a crash during recovery");
  }

  auto log = open_log(fs, clock, syncs, config, model);
  ASSERT_TRUE(log.ok()) << log.status().to_string();
  check_recovered(**log, model);
  if (::testing::Test::HasFatalFailure()) return;
  check_producers(**log, clock, model.next_id);
  if (::testing::Test::HasFatalFailure()) return;

  // The recovered log takes appends again, and a clean reopen agrees with it.
  int64_t start = (*log)->log_start_offset();
  int64_t end = (*log)->log_end_offset();
  Bytes batch = make_batch(3, clock.now_ms(), model.next_id);
  auto r = (*log)->append_as_leader(batch, 100);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->base_offset, end);
  std::vector<ProducerSnapshotEntry> producers = (*log)->producer_state().snapshot_entries();
  ASSERT_TRUE((*log)->close().ok());
  Log::Options o;
  o.dir = kDir;
  o.config = config;
  o.clean_shutdown = true;
  o.recovery_point = end + 3;
  o.log_start_offset = start;
  auto reopened = Log::open(fs, clock, syncs, o);
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  EXPECT_EQ((*reopened)->log_start_offset(), start);
  EXPECT_EQ((*reopened)->log_end_offset(), end + 3);
  EXPECT_EQ(testing::read_all(**reopened, start).size(), static_cast<size_t>(end + 3 - start));
  EXPECT_EQ((*reopened)->producer_state().snapshot_entries(), producers) << "the clean reopen lost producers";
}

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

TEST(CrashRecovery, LogIsAStateItWentThroughHoldingEveryAcknowledgedRecord) {
  std::map<std::string, int> crash_points;
  if (const char* one = std::getenv("GREGOR_SEED")) {
    run_seed(std::strtoull(one, nullptr, 10), crash_points);
    return;
  }
  uint64_t seeds = env_or("GREGOR_CRASH_SEEDS", 500);
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    run_seed(seed, crash_points);
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "replay with GREGOR_SEED=" << seed;
      return;
    }
  }
  std::string where;
  for (const auto& [op, count] : crash_points) where += " " + op + ": " + std::to_string(count) + ",";
  std::cout << "crash points fell in" << where << "\n";
  std::cout << "duplicates answered: " << coverage.retries << ", producers checked after recovery: "
            << coverage.recovered << "\n";
  // A workload change that no longer crashes inside an operation would stop testing its recovery unnoticed.
  if (seeds >= 500) {
    for (const char* op : {"append", "sync", "flush", "delete_records", "retention", "delete_expired", "truncate_to",
                           "truncate_fully"}) {
      EXPECT_GT(crash_points[op], 0) << "no crash point fell in " << op;
    }
    EXPECT_GT(coverage.retries, 0) << "no retry was answered as a duplicate";
    EXPECT_GT(coverage.recovered, 0) << "no producer survived a crash to be checked";
  }
}

}  // namespace
}  // namespace gregor::storage
