// Randomized crash-recovery: a seeded workload of appends, syncs, rolls and flushes runs on the
// simulated file system until a crash point chosen by the seed; the power fails (unsynced data
// lost, the last write possibly torn); the log is recovered, sometimes crashing again during
// recovery. After every recovery the log must hold exactly a prefix of what was appended and
// at least everything that was acknowledged.
//
//   GREGOR_CRASH_SEEDS=n   how many seeds to run (default 500)
//   GREGOR_SEED=s          run only seed s (a failure prints the seed that replays it)
#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <random>

#include "log_test_util.h"
#include "storage/log.h"
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

struct Model {
  std::vector<Rec> appended;  // every record the log accepted, in offset order
  // The append the crash interrupted: its write may have reached the page cache whole before the
  // process died, so the records may be there even though the append failed.
  std::vector<Rec> interrupted;
  int64_t acknowledged = 0;   // offsets below this were acknowledged as durable
  int64_t checkpointed_recovery_point = 0;
};

constexpr const char* kDir = "/data/events-0";

LogConfig workload_config(std::mt19937_64& rng) {
  LogConfig c;
  c.segment_bytes = 1500 + static_cast<int32_t>(rng() % 3000);
  c.index_interval_bytes = 64 + static_cast<int32_t>(rng() % 512);
  c.segment_index_bytes = 8 * (4 + static_cast<int32_t>(rng() % 40));  // small: rolls on a full index too
  c.flush_messages = rng() % 3 == 0 ? 4 : 1;
  c.message_timestamp_after_max_ms = LogConfig::kLongMax;
  c.retention_ms = -1;
  return c;
}

StatusOr<std::unique_ptr<Log>> open_log(SimFileSystem& fs, Clock& clock, SyncExecutor& syncs, const LogConfig& c,
                                        int64_t recovery_point) {
  Log::Options o;
  o.dir = kDir;
  o.config = c;
  o.recovery_point = recovery_point;
  return Log::open(fs, clock, syncs, o);
}

// Runs the seed's workload; stops early once the file system halts.
void run_workload(std::mt19937_64& rng, Log& log, ManualSyncExecutor& syncs, SimFileSystem& fs, Model& model,
                  int steps) {
  static constexpr record::Compression kCodecs[] = {record::Compression::none, record::Compression::none,
                                                    record::Compression::lz4, record::Compression::zstd};
  for (int step = 0; step < steps && !fs.halted(); ++step) {
    int action = static_cast<int>(rng() % 20);
    if (action < 14) {
      int count = 1 + static_cast<int>(rng() % 6);
      int first = static_cast<int>(model.appended.size());
      Bytes batch = make_batch(count, 1000 + first, first, kCodecs[rng() % 4], rng() % 80);
      auto r = log.append_as_leader(batch, static_cast<int32_t>(step / 25));
      std::vector<Rec>& into = r.ok() ? model.appended : model.interrupted;
      if (!r.ok() && (!fs.halted() || !model.interrupted.empty())) continue;
      for (int i = 0; i < count; ++i) {
        into.push_back(Rec{first + i, 1000 + first + i, "k" + std::to_string(first + i),
                           "v" + std::to_string(first + i)});
      }
      if (!r.ok()) continue;
      EXPECT_EQ(r->base_offset, first);
      if (r->sync_required) {
        int64_t end = r->last_offset + 1;
        log.when_durable(end, [&model, end](Status s) {
          if (s.ok()) model.acknowledged = std::max(model.acknowledged, end);
        });
      }
    } else if (action < 18) {
      syncs.run_one();
    } else if (action == 18) {
      if (log.flush().ok()) model.acknowledged = std::max(model.acknowledged, log.log_end_offset());
    } else {
      // The log manager's periodic checkpoint of the recovery point.
      model.checkpointed_recovery_point = log.recovery_point();
    }
  }
}

// The values of records read back, which must be a prefix of what was appended.
void check_prefix(Log& log, const Model& model, const std::string& when) {
  // read_all also checks every batch's CRC and record framing on the way.
  std::vector<Rec> got = testing::read_all(log, 0);
  std::vector<Rec> possible = model.appended;
  possible.insert(possible.end(), model.interrupted.begin(), model.interrupted.end());
  ASSERT_LE(got.size(), possible.size()) << when;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].offset, possible[i].offset) << when << ": record " << i;
    ASSERT_EQ(got[i].key, possible[i].key) << when << ": record " << i;
    ASSERT_EQ(got[i].value.substr(0, possible[i].value.size()), possible[i].value) << when;
  }
  ASSERT_GE(static_cast<int64_t>(got.size()), model.acknowledged)
      << when << ": acknowledged records were lost (" << got.size() << " of " << model.acknowledged << ")";
  ASSERT_EQ(log.log_end_offset(), static_cast<int64_t>(got.size())) << when;
}

void run_seed(uint64_t seed) {
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
    auto log = open_log(fs, clock, syncs, config, 0);
    ASSERT_TRUE(log.ok()) << log.status().to_string();
    uint64_t before = fs.mutation_count();
    Model model;
    std::mt19937_64 wrng(workload_seed);
    run_workload(wrng, **log, syncs, fs, model, steps);
    total_ops = fs.mutation_count() - before;
  }

  SimFileSystem::Options fs_options;
  fs_options.seed = seed;
  SimFileSystem fs(fs_options);
  ManualClock clock;
  ManualSyncExecutor syncs;
  Model model;
  {
    auto log = open_log(fs, clock, syncs, config, 0);
    ASSERT_TRUE(log.ok()) << log.status().to_string();
    fs.set_crash_after(rng() % (total_ops + 1));
    std::mt19937_64 wrng(workload_seed);
    run_workload(wrng, **log, syncs, fs, model, steps);
    syncs.drop_all();  // the process dies: queued syncs never run
  }
  fs.clear_crash_after();
  fs.crash(rng());

  // Sometimes the power fails again while recovering.
  int recoveries = 0;
  while (rng() % 3 == 0 && recoveries < 3) {
    ++recoveries;
    fs.set_crash_after(rng() % 40);
    {
      auto log = open_log(fs, clock, syncs, config, model.checkpointed_recovery_point);
      syncs.drop_all();
    }
    fs.clear_crash_after();
    fs.crash(rng());
  }

  auto log = open_log(fs, clock, syncs, config, model.checkpointed_recovery_point);
  ASSERT_TRUE(log.ok()) << log.status().to_string();
  check_prefix(**log, model, "after recovery");
  if (::testing::Test::HasFatalFailure()) return;

  // The recovered log takes appends again, and a clean reopen agrees with it.
  int64_t end = (*log)->log_end_offset();
  Bytes batch = make_batch(3, 1000 + end, static_cast<int>(end));
  auto r = (*log)->append_as_leader(batch, 100);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->base_offset, end);
  ASSERT_TRUE((*log)->close().ok());
  Log::Options o;
  o.dir = kDir;
  o.config = config;
  o.clean_shutdown = true;
  o.recovery_point = end + 3;
  auto reopened = Log::open(fs, clock, syncs, o);
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  EXPECT_EQ((*reopened)->log_end_offset(), end + 3);
  EXPECT_EQ(testing::read_all(**reopened, 0).size(), static_cast<size_t>(end + 3));
}

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

TEST(CrashRecovery, LogIsAPrefixHoldingEveryAcknowledgedRecord) {
  if (const char* one = std::getenv("GREGOR_SEED")) {
    run_seed(std::strtoull(one, nullptr, 10));
    return;
  }
  uint64_t seeds = env_or("GREGOR_CRASH_SEEDS", 500);
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    run_seed(seed);
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "replay with GREGOR_SEED=" << seed;
      return;
    }
  }
}

}  // namespace
}  // namespace gregor::storage
