// Log compaction: the latest value per key survives at its offset, tombstones and transaction
// markers go after delete.retention.ms, producer state and group ends are kept, the dirty ratio
// and compaction lags decide what is cleaned, and a crash at any point of a pass recovers to the
// old or the cleaned contents.
#include "storage/log_cleaner.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "log_test_util.h"
#include "record/batch_builder.h"
#include "record/control_record.h"
#include "storage/sim_file_system.h"

namespace gregor::storage {
namespace {

constexpr const char* kDir = "/data/compacted-0";
constexpr int64_t kStart = 1'700'000'000'000;  // the clock's start
constexpr int64_t kNoProducer = -1;

// A record as the test writes or reads it.
struct Rec {
  int64_t offset = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;  // nullopt: a tombstone
  int64_t timestamp = 0;
  bool operator==(const Rec&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Rec& r) {
  return os << "{" << r.offset << " " << r.key.value_or("<null>") << "=" << r.value.value_or("<tombstone>") << " @"
            << r.timestamp << "}";
}

// A batch as read back.
struct Batch {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int16_t attributes = 0;
  int32_t leader_epoch = -1;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t last_sequence = -1;
  int32_t record_count = 0;
  std::optional<int64_t> delete_horizon;
  record::Compression codec = record::Compression::none;
  Bytes bytes;
  std::vector<Rec> records;
  bool control() const { return attributes & record::v2::kControlFlag; }
};

struct Spec {
  record::Compression codec = record::Compression::none;
  int64_t producer_id = kNoProducer;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  bool transactional = false;
  size_t pad = 0;  // bytes added to every value
};

Rec kv(std::string key, std::string value) { return Rec{0, std::move(key), std::move(value), 0}; }
Rec tombstone(std::string key) { return Rec{0, std::move(key), std::nullopt, 0}; }
Rec keyless(std::string value) { return Rec{0, std::nullopt, std::move(value), 0}; }

std::optional<BytesView> view_of(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return BytesView::of(*s);
}

// Every batch of the log, read through Log::read from the log start (so across segments, with
// the offset indexes of cleaned segments).
std::vector<Batch> read_batches(Log& log) {
  std::vector<Batch> out;
  int64_t offset = log.log_start_offset();
  record::RecordReader reader(64u << 20);
  for (int guard = 0; guard < 100'000; ++guard) {
    auto r = log.read(offset, 1 << 20);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok() || r->slice.size == 0) break;
    Bytes bytes = testing::slice_bytes(r->slice);
    size_t pos = 0;
    while (pos < bytes.size()) {
      auto view = record::RecordBatchView::parse(BytesView(bytes).subview(pos, bytes.size() - pos));
      EXPECT_TRUE(view.ok());
      if (!view.ok()) return out;
      EXPECT_FALSE(view->verify_crc()) << "batch at offset " << view->base_offset();
      Batch b;
      b.base_offset = view->base_offset();
      b.last_offset = view->last_offset();
      b.attributes = view->attributes();
      b.leader_epoch = view->partition_leader_epoch();
      b.base_timestamp = view->base_timestamp();
      b.max_timestamp = view->max_timestamp();
      b.producer_id = view->producer_id();
      b.producer_epoch = view->producer_epoch();
      b.base_sequence = view->base_sequence();
      b.last_sequence = view->last_sequence();
      b.record_count = view->record_count();
      b.delete_horizon = view->delete_horizon_ms();
      b.codec = view->compression();
      b.bytes = view->bytes().to_bytes();
      EXPECT_FALSE(reader.open(*view));
      record::Record rec;
      while (reader.next(rec)) {
        Rec got;
        got.offset = rec.offset;
        if (rec.key) got.key = std::string(rec.key->as_chars());
        if (rec.value) got.value = std::string(rec.value->as_chars());
        got.timestamp = rec.timestamp;
        b.records.push_back(got);
      }
      EXPECT_TRUE(reader.ok()) << reader.error().to_string();
      EXPECT_EQ(static_cast<int32_t>(b.records.size()), b.record_count);
      pos += view->bytes().size();
      if (b.last_offset >= offset) out.push_back(std::move(b));
    }
    offset = out.empty() ? offset + 1 : out.back().last_offset + 1;
  }
  return out;
}

std::vector<Rec> records_of(const std::vector<Batch>& batches) {
  std::vector<Rec> out;
  for (const Batch& b : batches) {
    if (b.control()) continue;
    out.insert(out.end(), b.records.begin(), b.records.end());
  }
  return out;
}

std::vector<Rec> read_records(Log& log) { return records_of(read_batches(log)); }

// Kafka's outcome of a pass that mapped everything below end_offset, with no tombstone due yet:
// below it, each key's latest record (keyless records go); from it on, everything.
std::vector<Rec> compacted(const std::vector<Rec>& all, int64_t end_offset) {
  std::map<std::string, int64_t> latest;
  for (const Rec& r : all) {
    if (r.offset < end_offset && r.key) latest[*r.key] = r.offset;
  }
  std::vector<Rec> out;
  for (const Rec& r : all) {
    if (r.offset >= end_offset || (r.key && latest[*r.key] == r.offset)) out.push_back(r);
  }
  return out;
}

// Reading at each offset of the log (with Log::read, through the offset indexes) finds first
// the record of want at or after it.
void expect_reads_at_every_offset(Log& log, const std::vector<Rec>& want) {
  for (int64_t o = log.log_start_offset(); o < log.log_end_offset(); ++o) {
    auto expected = std::find_if(want.begin(), want.end(), [&](const Rec& x) { return x.offset >= o; });
    std::optional<int64_t> got;
    for (int64_t from = o; !got && from < log.log_end_offset();) {
      auto read = log.read(from, 1);
      ASSERT_TRUE(read.ok()) << read.status().to_string();
      Bytes bytes = testing::slice_bytes(read->slice);
      ASSERT_FALSE(bytes.empty()) << "nothing read at " << from;
      auto view = record::RecordBatchView::parse(bytes);
      ASSERT_TRUE(view.ok());
      if (!view->is_control()) {
        for (const auto& x : testing::records_of(view->bytes())) {
          if (x.offset >= o) {
            got = x.offset;
            break;
          }
        }
      }
      EXPECT_GE(view->last_offset(), from) << "read at " << from << " returned an earlier batch";
      from = view->last_offset() + 1;
    }
    if (expected == want.end()) {
      EXPECT_FALSE(got) << "at " << o;
    } else {
      ASSERT_TRUE(got) << "nothing found at or after " << o;
      EXPECT_EQ(*got, expected->offset) << "at " << o;
    }
  }
}

// Segments in offset order never overlap, and none is empty.
void expect_disjoint_segments(const Log& log) {
  auto segments = log.segments();
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    EXPECT_LE(segments[i]->next_offset(), segments[i + 1]->base_offset())
        << "segment " << segments[i]->base_offset() << " overlaps " << segments[i + 1]->base_offset();
    EXPECT_FALSE(segments[i]->empty()) << "segment " << segments[i]->base_offset();
  }
}

// What replication would have done by the time the cleaner runs: everything flushed and
// replicated (the high watermark at the log end).
void settle(Log& log) {
  EXPECT_TRUE(log.flush().ok());
  log.set_high_watermark(log.log_end_offset());
}

// Writes batches at the log end as a replica would (offsets kept, any kind of batch), laying the
// segments out by time: segment.ms is 1000 and roll() moves the batch timestamps 10 s on.
class Writer {
 public:
  Writer(Log& log, int64_t timestamp) : log_(log), timestamp_(timestamp) {}

  // Returns the records as written, with their offsets and timestamps.
  std::vector<Rec> append(std::vector<Rec> records, const Spec& spec = {}) {
    record::BatchOptions o;
    o.base_offset = log_.log_end_offset();
    o.compression = spec.codec;
    o.producer_id = spec.producer_id;
    o.producer_epoch = spec.producer_epoch;
    o.base_sequence = spec.base_sequence;
    o.transactional = spec.transactional;
    o.partition_leader_epoch = 5;
    record::RecordBatchBuilder builder(o);
    for (size_t i = 0; i < records.size(); ++i) {
      Rec& r = records[i];
      r.offset = o.base_offset + static_cast<int64_t>(i);
      r.timestamp = timestamp_++;
      if (r.value) *r.value += std::string(spec.pad, 'x');
      builder.append(r.timestamp, view_of(r.key), view_of(r.value));
    }
    Bytes batch;
    EXPECT_FALSE(builder.finish(batch));
    auto appended = log_.append_as_follower(batch);
    EXPECT_TRUE(appended.ok()) << appended.status().to_string();
    return records;
  }

  // A transaction marker of producer_id.
  int64_t marker(int64_t producer_id, int16_t epoch, record::ControlRecordType type) {
    record::BatchOptions o;
    o.base_offset = log_.log_end_offset();
    o.producer_id = producer_id;
    o.producer_epoch = epoch;
    o.partition_leader_epoch = 5;
    Bytes batch;
    EXPECT_FALSE(record::build_end_txn_batch(o, record::EndTxnMarker{type, 1}, timestamp_++, batch));
    auto appended = log_.append_as_follower(batch);
    EXPECT_TRUE(appended.ok()) << appended.status().to_string();
    return o.base_offset;
  }

  void roll() { timestamp_ += 10'000; }
  int64_t timestamp() const { return timestamp_; }

 private:
  Log& log_;
  int64_t timestamp_;
};

LogConfig compacted_config() {
  LogConfig c;
  c.cleanup_policy_compact = true;
  c.cleanup_policy_delete = false;
  c.retention_ms = -1;
  c.message_timestamp_after_max_ms = LogConfig::kLongMax;
  c.segment_ms = 1000;  // Writer::roll() starts a new segment
  c.index_interval_bytes = 64;
  c.delete_retention_ms = 60'000;
  c.flush_messages = LogConfig::kLongMax;  // the tests flush before cleaning
  return c;
}

class LogCleanerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> open(const LogConfig& c, bool clean = false, int64_t recovery_point = 0) {
    Log::Options o;
    o.dir = kDir;
    o.config = c;
    o.clean_shutdown = clean;
    o.recovery_point = recovery_point;
    auto log = Log::open(fs, clock, syncs, o);
    EXPECT_TRUE(log.ok()) << log.status().to_string();
    return log.ok() ? std::move(*log) : nullptr;
  }

  CleanResult clean(Log& log, std::optional<int64_t> first_dirty, CleanerOptions options = {}) {
    settle(log);
    options.first_dirty_offset = first_dirty;
    auto r = cleaner.clean(log, options, clock.now_ms());
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    expect_disjoint_segments(log);
    return r.ok() ? *r : CleanResult{};
  }

  std::vector<std::string> files() { return *fs.list(kDir); }

  SimFileSystem fs;
  ManualClock clock{kStart};
  InlineSyncExecutor syncs;
  LogCleaner cleaner;
};

TEST(LogCleanerOffsetMap, StoresTheLatestOffsetPerKeyWithinItsMemory) {
  OffsetMap map;
  ASSERT_TRUE(map.reset(24 * 1000, 10, 0.9).ok());
  EXPECT_LT(map.slots(), 1000u);  // sized for the keys expected, not the whole budget
  EXPECT_EQ(map.get(BytesView::of("a")), -1);
  map.put(BytesView::of("a"), 3);
  map.put(BytesView::of("b"), 4);
  map.put(BytesView::of("a"), 7);
  map.put(BytesView::of(""), 9);
  EXPECT_EQ(map.get(BytesView::of("a")), 7);
  EXPECT_EQ(map.get(BytesView::of("b")), 4);
  EXPECT_EQ(map.get(BytesView::of("")), 9);
  EXPECT_EQ(map.get(BytesView::of("c")), -1);
  EXPECT_EQ(map.size(), 3u);
  EXPECT_EQ(map.latest_offset(), 9);

  ASSERT_TRUE(map.reset(24 * 100, 1'000'000, 0.5).ok());
  EXPECT_LE(map.slots(), 100u);
  for (int i = 0; !map.full(); ++i) map.put(BytesView::of("key" + std::to_string(i)), i);
  EXPECT_EQ(map.size(), static_cast<size_t>(map.slots() * 0.5));
  for (size_t i = 0; i < map.size(); ++i) EXPECT_EQ(map.get(BytesView::of("key" + std::to_string(i))), int64_t(i));

  EXPECT_EQ(map.reset(30, 10, 0.9).code(), ErrorCode::invalid_config);  // not even one key
}

TEST_F(LogCleanerTest, KeepsTheLatestValueOfEveryKeyAtItsOffset) {
  LogConfig c = compacted_config();
  auto log = open(c);
  Writer w(*log, kStart - 3'600'000);
  std::vector<Rec> all;
  for (int seg = 0; seg < 6; ++seg) {
    for (int b = 0; b < 4; ++b) {
      std::vector<Rec> batch;
      for (int i = 0; i < 3; ++i) {
        int n = seg * 12 + b * 3 + i;
        batch.push_back(kv("k" + std::to_string(n % 7), "v" + std::to_string(n)));
      }
      auto written = w.append(batch, Spec{.pad = 30});
      all.insert(all.end(), written.begin(), written.end());
    }
    w.roll();
  }
  ASSERT_EQ(log->segment_count(), 6u);
  int64_t active_base = log->segments().back()->base_offset();
  int64_t end = log->log_end_offset();
  uint64_t size_before = log->size_bytes();

  CleanResult r = clean(*log, std::nullopt);
  EXPECT_EQ(r.first_dirty_offset, active_base);
  EXPECT_EQ(r.first_uncleanable_offset, active_base);
  EXPECT_GE(r.groups, 1);
  EXPECT_EQ(r.records_read, active_base);
  EXPECT_LT(log->size_bytes(), size_before);
  EXPECT_EQ(log->log_end_offset(), end);
  std::vector<Rec> want = compacted(all, active_base);
  EXPECT_EQ(read_records(*log), want);

  // Every offset still reads, through the cleaned segments' indexes: the first record at or
  // after it is the first kept one.
  expect_reads_at_every_offset(*log, want);

  // A second pass finds nothing dirty.
  CleanResult again = clean(*log, r.first_dirty_offset);
  EXPECT_EQ(again.groups, 0);
  EXPECT_EQ(again.first_dirty_offset, active_base);

  // Reopened cleanly and after a crash, the log reads the same.
  ASSERT_TRUE(log->close().ok());
  log = open(c, /*clean=*/true, end);
  EXPECT_EQ(read_records(*log), want);
  log.reset();
  log = open(c, /*clean=*/false, 0);
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(read_records(*log), want);
  expect_disjoint_segments(*log);
}

TEST_F(LogCleanerTest, KeepsTheLastBatchOfEveryGroupEvenWhenItHoldsNothingLive) {
  LogConfig c = compacted_config();
  c.segment_bytes = 1024 * 1024;
  auto log = open(c);
  Writer w(*log, kStart - 3'600'000);
  std::vector<int64_t> last_batch_offsets;
  for (int seg = 0; seg < 4; ++seg) {
    w.append({kv("live" + std::to_string(seg), "x")});
    auto last = w.append({kv("dup", "a"), kv("dup", "b")});  // superseded by the next segment's
    last_batch_offsets.push_back(last.front().offset);
    w.roll();
  }
  w.append({kv("dup", "final")});
  // Each segment on its own: they are too big to share a group.
  c.segment_bytes = static_cast<int32_t>(log->segments().front()->size() + 10);
  log->update_config(c);
  std::vector<int64_t> ends;
  for (const Segment* s : log->segments()) ends.push_back(s->next_offset());

  CleanResult r = clean(*log, std::nullopt);
  EXPECT_EQ(r.groups, 4);
  EXPECT_EQ(r.batches_emptied, 3);  // the fourth still holds the latest dup below the active segment
  auto segments = log->segments();
  ASSERT_EQ(segments.size(), 5u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(segments[i]->next_offset(), ends[i]) << i;
  std::vector<Batch> batches = read_batches(*log);
  int found = 0;
  for (const Batch& b : batches) {
    auto which = std::find(last_batch_offsets.begin(), last_batch_offsets.end(), b.base_offset);
    if (which == last_batch_offsets.end()) continue;
    ++found;
    EXPECT_EQ(b.last_offset, b.base_offset + 1);  // the batch still covers its offsets
    EXPECT_EQ(b.leader_epoch, 5);
    if (which + 1 == last_batch_offsets.end()) {
      ASSERT_EQ(b.record_count, 1);
      EXPECT_EQ(b.records[0].offset, b.last_offset);
      EXPECT_EQ(b.records[0].value, "b");
      continue;
    }
    EXPECT_EQ(b.record_count, 0);
    EXPECT_EQ(b.base_timestamp, -1);
    EXPECT_GT(b.max_timestamp, 0);
    EXPECT_EQ(b.bytes.size(), record::v2::kHeaderSize);
  }
  EXPECT_EQ(found, 4);
  std::vector<Rec> recs = read_records(*log);
  ASSERT_EQ(recs.size(), 6u);
  EXPECT_EQ(recs.back().value, "final");

  // Recovery finds the same log end and segments.
  int64_t end = log->log_end_offset();
  log.reset();
  log = open(c, /*clean=*/false, 0);
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(read_records(*log), recs);
}

TEST_F(LogCleanerTest, MergesSmallCleanedSegmentsUpToSegmentBytes) {
  LogConfig c = compacted_config();
  c.segment_bytes = 4096;
  auto log = open(c);
  Writer w(*log, kStart - 3'600'000);
  std::vector<Rec> all;
  for (int seg = 0; seg < 8; ++seg) {
    auto written = w.append({kv("a", "v" + std::to_string(seg)), kv("b" + std::to_string(seg), "x")}, Spec{.pad = 200});
    all.insert(all.end(), written.begin(), written.end());
    w.roll();
  }
  ASSERT_EQ(log->segment_count(), 8u);
  // Kafka's grouping: consecutive segments while their sizes add up to segment.bytes.
  uint64_t one = log->segments().front()->size();
  size_t per_group = static_cast<size_t>(4096 / one);
  CleanResult r = clean(*log, std::nullopt);
  EXPECT_EQ(r.groups, static_cast<int>((7 + per_group - 1) / per_group));
  EXPECT_EQ(log->segment_count(), static_cast<size_t>(r.groups) + 1);
  EXPECT_EQ(read_records(*log), compacted(all, log->segments().back()->base_offset()));
}

TEST_F(LogCleanerTest, TombstonesStayUntilDeleteRetentionHasPassedThenGo) {
  LogConfig c = compacted_config();
  c.delete_retention_ms = 10'000;
  auto log = open(c);
  Writer w(*log, kStart - 3'600'000);
  std::vector<Rec> all;
  auto add = [&](std::vector<Rec> recs) {
    auto written = w.append(std::move(recs));
    all.insert(all.end(), written.begin(), written.end());
  };
  add({kv("k1", "a"), kv("k2", "b")});
  add({tombstone("k1"), kv("k3", "c")});
  add({kv("filler", "0")});
  w.roll();
  add({kv("k2", "b2")});
  add({kv("filler", "1")});
  w.roll();
  add({kv("filler", "2")});

  // First pass: k1's value goes, its tombstone stays and its batch gets the delete horizon.
  CleanResult r = clean(*log, std::nullopt);
  std::vector<Batch> batches = read_batches(*log);
  auto holding = [&](int64_t offset) -> const Batch* {
    for (const Batch& b : batches) {
      if (b.base_offset <= offset && offset <= b.last_offset) return &b;
    }
    return nullptr;
  };
  const Batch* t = holding(2);
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->records.size(), 2u);
  EXPECT_EQ(t->records[0], (Rec{2, "k1", std::nullopt, all[2].timestamp}));
  EXPECT_EQ(t->records[1].value, "c");
  EXPECT_EQ(t->delete_horizon, clock.now_ms() + 10'000);
  EXPECT_EQ(t->base_timestamp, clock.now_ms() + 10'000);
  EXPECT_EQ(t->max_timestamp, all[3].timestamp);
  std::vector<Rec> recs = read_records(*log);
  EXPECT_EQ(std::count_if(recs.begin(), recs.end(), [](const Rec& x) { return x.key == "k1"; }), 1);

  // Before the horizon a later pass keeps it (and the horizon it was given).
  clock.advance(9'999);
  w.roll();
  add({kv("filler", "3")});
  r = clean(*log, r.first_dirty_offset);
  batches = read_batches(*log);
  t = holding(2);
  ASSERT_NE(t, nullptr);
  ASSERT_FALSE(t->records.empty());
  EXPECT_EQ(t->records[0].value, std::nullopt);
  EXPECT_EQ(t->delete_horizon, kStart + 10'000);

  // From the horizon on, it goes.
  clock.advance(1);
  w.roll();
  add({kv("filler", "4")});
  r = clean(*log, r.first_dirty_offset);
  recs = read_records(*log);
  EXPECT_EQ(std::count_if(recs.begin(), recs.end(), [](const Rec& x) { return x.key == "k1"; }), 0);
  EXPECT_EQ(std::count_if(recs.begin(), recs.end(), [](const Rec& x) { return x.key == "k3"; }), 1);
  EXPECT_EQ(std::count_if(recs.begin(), recs.end(), [](const Rec& x) { return x.key == "k2"; }), 1);
}

TEST_F(LogCleanerTest, DropsRecordsWithoutKeys) {
  LogConfig c = compacted_config();
  c.cleanup_policy_compact = false;  // a topic that becomes compacted later
  c.cleanup_policy_delete = true;
  auto log = open(c);
  Writer w(*log, kStart - 3'600'000);
  std::vector<Rec> all;
  for (int seg = 0; seg < 3; ++seg) {
    auto written = w.append({keyless("n" + std::to_string(seg)), kv("k" + std::to_string(seg), "v"), keyless("m")});
    all.insert(all.end(), written.begin(), written.end());
    w.roll();
  }
  c.cleanup_policy_compact = true;
  c.cleanup_policy_delete = false;
  log->update_config(c);
  CleanResult r = clean(*log, std::nullopt);
  EXPECT_EQ(r.invalid_records, 4);
  EXPECT_EQ(read_records(*log), compacted(all, r.first_dirty_offset));
  // The active segment's keyless records are not cleaned yet.
  EXPECT_EQ(read_records(*log).back().key, std::nullopt);
}

TEST_F(LogCleanerTest, RefusesALogThatIsNotCompacted) {
  LogConfig c = compacted_config();
  c.cleanup_policy_compact = false;
  auto log = open(c);
  CleanerOptions o;
  EXPECT_EQ(clean_log(*log, o, clock.now_ms()).status().code(), ErrorCode::invalid_request);
}

TEST_F(LogCleanerTest, DirtyRatioDecidesWhenTheLogIsDue) {
  LogConfig c = compacted_config();
  c.min_cleanable_dirty_ratio = 0.5;
  auto log = open(c);
  Writer w(*log, kStart - 3'600'000);
  for (int seg = 0; seg < 4; ++seg) {
    for (int i = 0; i < 5; ++i) w.append({kv("k" + std::to_string(i), std::to_string(seg))}, Spec{.pad = 100});
    w.roll();
  }
  w.append({kv("active", "x")});
  settle(*log);
  auto segments = log->segments();
  uint64_t inactive = 0;
  for (size_t i = 0; i + 1 < segments.size(); ++i) inactive += segments[i]->size();

  auto before = cleanable(*log, std::nullopt, clock.now_ms());
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->first_dirty_offset, 0);
  EXPECT_FALSE(before->checkpoint_reset);
  EXPECT_EQ(before->first_uncleanable_offset, segments.back()->base_offset());
  EXPECT_EQ(before->clean_bytes, 0u);
  EXPECT_EQ(before->cleanable_bytes, inactive);
  EXPECT_DOUBLE_EQ(before->cleanable_ratio, 1.0);
  EXPECT_TRUE(before->should_clean);

  CleanResult r = clean(*log, std::nullopt);
  auto after = cleanable(*log, r.first_dirty_offset, clock.now_ms());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->cleanable_bytes, 0u);
  EXPECT_GT(after->clean_bytes, 0u);
  EXPECT_FALSE(after->should_clean);

  // A little new dirt: below the ratio, not due; with a lower ratio, due.
  w.roll();
  w.append({kv("k0", "new")});
  w.roll();
  w.append({kv("active", "y")});
  settle(*log);
  auto some = cleanable(*log, r.first_dirty_offset, clock.now_ms());
  ASSERT_TRUE(some.ok());
  EXPECT_GT(some->cleanable_bytes, 0u);
  EXPECT_LT(some->cleanable_ratio, 0.5);
  EXPECT_FALSE(some->should_clean);
  c.min_cleanable_dirty_ratio = 0.01;
  log->update_config(c);
  some = cleanable(*log, r.first_dirty_offset, clock.now_ms());
  ASSERT_TRUE(some.ok());
  EXPECT_TRUE(some->should_clean);

  // A checkpoint outside the log restarts from the log start.
  auto reset = cleanable(*log, log->log_end_offset() + 5, clock.now_ms());
  ASSERT_TRUE(reset.ok());
  EXPECT_TRUE(reset->checkpoint_reset);
  EXPECT_EQ(reset->first_dirty_offset, 0);
}

TEST_F(LogCleanerTest, MinCompactionLagHoldsBackSegmentsWithRecentRecords) {
  LogConfig c = compacted_config();
  c.min_compaction_lag_ms = 60'000;
  auto log = open(c);
  Writer old(*log, kStart - 3'600'000);
  std::vector<Rec> all;
  for (int seg = 0; seg < 2; ++seg) {
    auto written = old.append({kv("k", "old" + std::to_string(seg)), kv("k", "old" + std::to_string(seg) + "b")});
    all.insert(all.end(), written.begin(), written.end());
    old.roll();
  }
  int64_t recent_base = log->log_end_offset();
  Writer recent(*log, kStart - 30'000);  // within the lag
  for (int seg = 0; seg < 2; ++seg) {
    auto written = recent.append({kv("k", "new" + std::to_string(seg)), kv("k", "new" + std::to_string(seg) + "b")});
    all.insert(all.end(), written.begin(), written.end());
    recent.roll();
  }
  auto active = recent.append({kv("active", "x")});
  all.insert(all.end(), active.begin(), active.end());
  ASSERT_EQ(log->segment_count(), 5u);
  settle(*log);

  auto range = cleanable(*log, std::nullopt, clock.now_ms());
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->first_uncleanable_offset, recent_base);
  CleanResult r = clean(*log, std::nullopt);
  EXPECT_EQ(r.first_dirty_offset, recent_base);
  std::vector<Rec> recs = read_records(*log);
  // Below the lag only the latest old value of k stays; the recent records are untouched.
  EXPECT_EQ(recs, compacted(all, recent_base));

  // Once the lag has passed for them too, they are cleaned.
  clock.advance(60'000);
  r = clean(*log, r.first_dirty_offset);
  EXPECT_EQ(r.first_dirty_offset, log->segments().back()->base_offset());
  recs = read_records(*log);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].value, "new1b");
  EXPECT_EQ(recs[1].value, "x");
}

TEST_F(LogCleanerTest, MaxCompactionLagMakesTheLogDueWhateverItsRatio) {
  LogConfig c = compacted_config();
  c.min_cleanable_dirty_ratio = 0.99;
  auto log = open(c);
  Writer w(*log, kStart - 3'600'000);
  for (int seg = 0; seg < 2; ++seg) {
    w.append({kv("k", std::to_string(seg))});
    w.roll();
  }
  CleanResult r = clean(*log, std::nullopt);
  // The active segment became dirty history; its first batch is an hour old.
  int64_t oldest_dirty = kStart - 3'600'000 + 10'000 + 1;
  Writer late(*log, kStart - 3'000'000);
  late.append({kv("k", "late")});
  late.roll();
  late.append({kv("active", "x")});
  settle(*log);

  auto range = cleanable(*log, r.first_dirty_offset, clock.now_ms());
  ASSERT_TRUE(range.ok());
  EXPECT_LT(range->cleanable_ratio, 0.99);
  EXPECT_EQ(range->max_compaction_delay_ms, 0);
  EXPECT_FALSE(range->should_clean);

  c.max_compaction_lag_ms = 60'000;
  log->update_config(c);
  range = cleanable(*log, r.first_dirty_offset, clock.now_ms());
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->max_compaction_delay_ms, clock.now_ms() - 60'000 - oldest_dirty);
  EXPECT_TRUE(range->should_clean);
}

TEST_F(LogCleanerTest, RewritesCompressedBatchesWithTheirCodecAndCopiesWholeOnes) {
  LogConfig c = compacted_config();
  auto log = open(c);
  Writer w(*log, kStart - 3'600'000);
  std::vector<Rec> all;
  const record::Compression codecs[] = {record::Compression::gzip, record::Compression::snappy,
                                        record::Compression::lz4, record::Compression::zstd};
  for (record::Compression codec : codecs) {
    auto written = w.append({kv("a", "1"), kv("b", "2"), kv("c", "3"), kv("u" + std::to_string(int(codec)), "4")},
                            Spec{.codec = codec, .pad = 50});
    all.insert(all.end(), written.begin(), written.end());
    auto whole = w.append({kv("w" + std::to_string(int(codec)), "only")}, Spec{.codec = codec});
    all.insert(all.end(), whole.begin(), whole.end());
    w.roll();
  }
  auto active = w.append({kv("active", "x")});
  all.insert(all.end(), active.begin(), active.end());
  std::vector<Batch> before = read_batches(*log);

  CleanResult r = clean(*log, std::nullopt);
  EXPECT_EQ(read_records(*log), compacted(all, r.first_dirty_offset));
  std::vector<Batch> after = read_batches(*log);
  for (const Batch& b : after) {
    auto original =
        std::find_if(before.begin(), before.end(), [&](const Batch& o) { return o.base_offset == b.base_offset; });
    ASSERT_NE(original, before.end());
    EXPECT_EQ(b.codec, original->codec);
    EXPECT_EQ(b.last_offset, original->last_offset);
    if (b.record_count == original->record_count) {
      EXPECT_EQ(b.bytes, original->bytes) << "a batch kept whole is copied byte for byte";
    } else {
      EXPECT_NE(b.bytes, original->bytes);
    }
  }
  EXPECT_GT(r.batches_rebuilt, 0);
  EXPECT_GT(r.batches_copied, 0);
}

TEST_F(LogCleanerTest, IdempotentBatchesKeepTheirProducerStateUntilTheProducerExpires) {
  LogConfig c = compacted_config();
  auto log = open(c);
  Writer w(*log, kStart - 60'000);
  Spec idempotent{.producer_id = 42, .producer_epoch = 3, .base_sequence = 10};
  auto produced = w.append({kv("a", "1"), kv("b", "2"), kv("c", "3"), kv("d", "4"), kv("e", "5")}, idempotent);
  w.append({kv("filler", "x")});
  w.roll();
  w.append({kv("a", "new"), kv("b", "new"), kv("c", "new")});
  w.roll();
  w.append({kv("active", "x")});

  CleanerOptions o;
  o.producer_id_expiration_ms = 3'600'000;
  CleanResult r = clean(*log, std::nullopt, o);
  auto find = [&](const std::vector<Batch>& batches) {
    auto it = std::find_if(batches.begin(), batches.end(), [](const Batch& b) { return b.producer_id == 42; });
    return it == batches.end() ? std::optional<Batch>() : std::optional<Batch>(*it);
  };
  std::optional<Batch> b = find(read_batches(*log));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->base_offset, produced.front().offset);
  EXPECT_EQ(b->last_offset, produced.back().offset);  // the last sequence survives
  EXPECT_EQ(b->producer_epoch, 3);
  EXPECT_EQ(b->base_sequence, 10);
  EXPECT_EQ(b->last_sequence, 14);
  EXPECT_EQ(b->leader_epoch, 5);
  ASSERT_EQ(b->record_count, 2);
  EXPECT_EQ(b->records[0], produced[3]);
  EXPECT_EQ(b->records[1], produced[4]);

  // All its records superseded: the batch stays, empty, as the producer's last.
  w.roll();
  w.append({kv("d", "new"), kv("e", "new")});
  w.roll();
  w.append({kv("active", "y")});
  r = clean(*log, r.first_dirty_offset, o);
  b = find(read_batches(*log));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->record_count, 0);
  EXPECT_EQ(b->last_sequence, 14);
  EXPECT_EQ(b->last_offset, produced.back().offset);

  // Once the producer has expired, it goes.
  clock.advance(3'600'000);
  w.roll();
  w.append({kv("active", "z")});
  r = clean(*log, r.first_dirty_offset, o);
  EXPECT_FALSE(find(read_batches(*log)));
}

TEST_F(LogCleanerTest, TransactionMarkersStayWhileTheirTransactionHasRecords) {
  LogConfig c = compacted_config();
  c.delete_retention_ms = 10'000;
  auto log = open(c);
  Writer w(*log, kStart - 3'600'000);
  Spec txn7{.producer_id = 7, .producer_epoch = 0, .base_sequence = 0, .transactional = true};
  Spec txn8{.producer_id = 8, .producer_epoch = 0, .base_sequence = 0, .transactional = true};
  Spec txn9{.producer_id = 9, .producer_epoch = 0, .base_sequence = 0, .transactional = true};
  w.append({kv("a", "good")});
  w.append({kv("t1", "committed"), kv("t2", "committed")}, txn7);
  int64_t commit7 = w.marker(7, 0, record::ControlRecordType::commit);
  w.append({kv("a", "aborted")}, txn8);
  int64_t abort8 = w.marker(8, 0, record::ControlRecordType::abort);
  w.append({kv("keep", "me")}, txn9);
  int64_t commit9 = w.marker(9, 0, record::ControlRecordType::commit);
  w.append({kv("filler", "0")});
  w.roll();
  w.append({kv("t1", "later"), kv("t2", "later")});
  w.append({kv("filler", "1")});
  w.roll();
  w.append({kv("active", "x")});

  // No producer is active: only the transaction rules keep markers.
  CleanerOptions o;
  o.active_producers.emplace();
  auto markers = [&]() {
    std::map<int64_t, Batch> out;
    for (const Batch& b : read_batches(*log)) {
      if (b.control()) out[b.base_offset] = b;
    }
    return out;
  };

  // Pass 1: the aborted write is gone and never shadowed the committed one; transaction 7's
  // records are superseded and go, but their marker stays for this pass, having seen them.
  CleanResult r = clean(*log, std::nullopt, o);
  std::vector<Rec> recs = read_records(*log);
  auto value_of = [&](const std::string& key) {
    std::optional<std::string> v;
    for (const Rec& x : recs) {
      if (x.key == key) v = x.value;
    }
    return v;
  };
  EXPECT_EQ(value_of("a"), "good");
  EXPECT_EQ(value_of("t1"), "later");
  EXPECT_EQ(value_of("keep"), "me");
  EXPECT_EQ(std::count_if(recs.begin(), recs.end(), [](const Rec& x) { return x.value == "aborted"; }), 0);
  auto m = markers();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_FALSE(m[commit7].delete_horizon);
  EXPECT_FALSE(m[abort8].delete_horizon);
  EXPECT_FALSE(m[commit9].delete_horizon);

  // Pass 2: transactions 7 and 8 have nothing left, so their markers get a delete horizon;
  // transaction 9's marker stays as it is.
  w.roll();
  w.append({kv("active", "y")});
  r = clean(*log, r.first_dirty_offset, o);
  m = markers();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[commit7].delete_horizon, clock.now_ms() + 10'000);
  EXPECT_EQ(m[abort8].delete_horizon, clock.now_ms() + 10'000);
  EXPECT_FALSE(m[commit9].delete_horizon);
  EXPECT_EQ(m[commit7].records.size(), 1u);

  // Pass 3, past the horizon: those two markers go; 9's stays, whatever the time.
  clock.advance(1'000'000);
  w.roll();
  w.append({kv("active", "z")});
  r = clean(*log, r.first_dirty_offset, o);
  m = markers();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_TRUE(m.count(commit9));
  recs = read_records(*log);
  EXPECT_EQ(value_of("keep"), "me");
  EXPECT_EQ(value_of("a"), "good");
}

TEST_F(LogCleanerTest, StopsBeforeATransactionWithoutMarker) {
  LogConfig c = compacted_config();
  auto log = open(c);
  Writer w(*log, kStart - 3'600'000);
  std::vector<Rec> all;
  auto add = [&](std::vector<Rec> recs, const Spec& spec = {}) {
    auto written = w.append(std::move(recs), spec);
    all.insert(all.end(), written.begin(), written.end());
  };
  add({kv("a", "1")});
  add({kv("a", "2")});
  w.roll();
  int64_t open_txn = log->log_end_offset();
  add({kv("a", "maybe")}, Spec{.producer_id = 3, .producer_epoch = 0, .base_sequence = 0, .transactional = true});
  add({kv("a", "3")});
  w.roll();
  add({kv("active", "x")});
  CleanResult r = clean(*log, std::nullopt);
  EXPECT_EQ(r.first_uncleanable_offset, open_txn);
  EXPECT_EQ(r.first_dirty_offset, open_txn);
  EXPECT_EQ(read_records(*log), compacted(all, open_txn));
}

TEST_F(LogCleanerTest, ASmallOffsetMapTakesSeveralPassesToTheSameResult) {
  LogConfig c = compacted_config();
  auto log = open(c);
  Writer w(*log, kStart - 3'600'000);
  std::vector<Rec> all;
  for (int seg = 0; seg < 5; ++seg) {
    for (int b = 0; b < 4; ++b) {
      std::vector<Rec> batch;
      for (int i = 0; i < 5; ++i) {
        batch.push_back(kv("k" + std::to_string((seg * 20 + b * 5 + i) % 37), std::to_string(seg)));
      }
      auto written = w.append(batch);
      all.insert(all.end(), written.begin(), written.end());
    }
    w.roll();
  }
  auto active = w.append({kv("active", "x")});
  all.insert(all.end(), active.begin(), active.end());
  int64_t active_base = log->segments().back()->base_offset();
  CleanerOptions o;
  o.dedupe_buffer_size = 24 * 23;  // 20 keys at 0.9: fewer than the log has
  std::optional<int64_t> checkpoint;
  int passes = 0;
  while (checkpoint != active_base && passes < 20) {
    CleanResult r = clean(*log, checkpoint, o);
    EXPECT_GT(r.first_dirty_offset, checkpoint.value_or(0));
    EXPECT_LE(r.map_entries, 20u);
    checkpoint = r.first_dirty_offset;
    ++passes;
  }
  EXPECT_GT(passes, 2);
  EXPECT_EQ(checkpoint, active_base);
  EXPECT_EQ(read_records(*log), compacted(all, active_base));
}

TEST_F(LogCleanerTest, CompactAndDeleteAlsoDeletesByRetention) {
  LogConfig c = compacted_config();
  c.cleanup_policy_delete = true;
  c.retention_ms = 3'600'000;
  auto log = open(c);
  Writer old(*log, kStart - 7'200'000);
  old.append({kv("k", "expired")});
  old.roll();
  Writer w(*log, kStart - 60'000);
  std::vector<Rec> all;
  for (int seg = 0; seg < 3; ++seg) {
    auto written = w.append({kv("k", std::to_string(seg)), kv("j", std::to_string(seg))});
    all.insert(all.end(), written.begin(), written.end());
    w.roll();
  }
  auto active = w.append({kv("active", "x")});
  all.insert(all.end(), active.begin(), active.end());
  settle(*log);
  // Retention deletes the expired segment; the cleaner checkpoint below the new log start is
  // then reset to it.
  auto deleted = log->apply_retention();
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 1);
  EXPECT_EQ(log->log_start_offset(), 1);
  auto range = cleanable(*log, 0, clock.now_ms());
  ASSERT_TRUE(range.ok());
  EXPECT_TRUE(range->checkpoint_reset);
  EXPECT_EQ(range->first_dirty_offset, 1);
  CleanResult r = clean(*log, 0);
  EXPECT_EQ(read_records(*log), compacted(all, r.first_dirty_offset));
  // Compaction merged the rest into one segment, whose records are recent: retention keeps it,
  // until they expire too.
  EXPECT_EQ(*log->apply_retention(), 0);
  clock.advance(3'600'000);
  Writer now(*log, clock.now_ms());
  now.append({kv("k", "last")});
  settle(*log);
  EXPECT_GE(*log->apply_retention(), 1);
  std::vector<Rec> left = read_records(*log);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left.front().value, "last");
}

TEST_F(LogCleanerTest, SwapRefusesSegmentsThatAreNotThereAsDescribed) {
  LogConfig c = compacted_config();
  auto log = open(c);
  Writer w(*log, kStart - 3'600'000);
  for (int seg = 0; seg < 3; ++seg) {
    w.append({kv("k", std::to_string(seg)), kv("k", std::to_string(seg))});
    w.roll();
  }
  w.append({kv("active", "x")});
  settle(*log);
  auto bases = [&]() {
    std::vector<int64_t> out;
    for (const Segment* s : log->segments()) out.push_back(s->base_offset());
    return out;
  };
  std::vector<int64_t> before = bases();
  auto records = read_records(*log);
  auto attempt = [&](int64_t base, std::vector<int64_t> old, int64_t last_offset) {
    auto cleaned = log->create_cleaned_segment(base);
    EXPECT_TRUE(cleaned.ok());
    record::BatchOptions o;
    o.base_offset = last_offset;
    record::RecordBatchBuilder builder(o);
    builder.append(1, BytesView::of("k"), BytesView::of("v"));
    Bytes batch;
    EXPECT_FALSE(builder.finish(batch));
    EXPECT_TRUE((*cleaned)->append(batch).ok());
    return log->replace_segments(std::move(*cleaned), old);
  };
  // Not starting at its base, missing segments, the active segment, an overlap with the next.
  EXPECT_FALSE(attempt(before[0], {before[1]}, before[1] - 1).ok());
  EXPECT_FALSE(attempt(before[0], {before[0], before[0] + 1}, before[1] - 1).ok());
  EXPECT_FALSE(attempt(before[2], {before[2], before[3]}, before[3]).ok());
  EXPECT_FALSE(attempt(before[0], {before[0]}, before[1]).ok());
  EXPECT_FALSE(attempt(before[0], {before[0], before[2]}, before[2]).ok());
  EXPECT_EQ(bases(), before);
  EXPECT_EQ(read_records(*log), records);
  for (const std::string& name : files()) {
    EXPECT_EQ(name.find(".cleaned"), std::string::npos) << name;
    EXPECT_EQ(name.find(".swap"), std::string::npos) << name;
  }
}

TEST_F(LogCleanerTest, AFailedSwapBeforeItIsDurableChangesNothing) {
  LogConfig c = compacted_config();
  auto log = open(c);
  Writer w(*log, kStart - 3'600'000);
  for (int seg = 0; seg < 3; ++seg) {
    w.append({kv("k", std::to_string(seg)), kv("k", std::to_string(seg))});
    w.roll();
  }
  w.append({kv("active", "x")});
  settle(*log);
  auto records = read_records(*log);
  fs.inject_failure(SimOp::sync_dir, "compacted", EIO);
  CleanerOptions o;
  auto r = cleaner.clean(*log, o, clock.now_ms());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(read_records(*log), records);
  for (const std::string& name : files()) EXPECT_EQ(name.find(".swap"), std::string::npos) << name;
  // The log works on, and a later pass succeeds.
  w.append({kv("k", "after")});
  auto again = cleaner.clean(*log, o, clock.now_ms());
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_GT(again->groups, 0);
}

TEST_F(LogCleanerTest, AFailedSwapAfterItIsDurableTakesTheLogOfflineAndReopeningCompletesIt) {
  LogConfig c = compacted_config();
  auto log = open(c);
  Writer w(*log, kStart - 3'600'000);
  std::vector<Rec> all;
  for (int seg = 0; seg < 3; ++seg) {
    auto written = w.append({kv("k", std::to_string(seg)), kv("j" + std::to_string(seg), "v")});
    all.insert(all.end(), written.begin(), written.end());
    w.roll();
  }
  w.append({kv("active", "x")});
  settle(*log);
  int64_t active_base = log->segments().back()->base_offset();
  // The first rename to .deleted fails: the swap is durable, the old segment cannot go.
  fs.inject_failure(SimOp::rename, ".log.deleted", EIO);
  CleanerOptions o;
  auto r = cleaner.clean(*log, o, clock.now_ms());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(log->read(0, 100).status().code(), ErrorCode::kafka_storage_error);
  log.reset();
  log = open(c, /*clean=*/false, active_base);
  EXPECT_EQ(read_records(*log).front(), compacted(all, active_base).front());
  for (const std::string& name : files()) EXPECT_EQ(name.find(".swap"), std::string::npos) << name;
  expect_disjoint_segments(*log);
}

// ---- Crashes -------------------------------------------------------------------------------

// A compacted log of several segments: overwrites, tombstones, a transaction, compressed and
// idempotent batches; flushed and durable.
std::vector<Rec> build_crash_log(Log& log) {
  Writer w(log, kStart - 3'600'000);
  std::vector<Rec> all;
  auto add = [&](std::vector<Rec> recs, const Spec& spec = {}) {
    auto written = w.append(std::move(recs), spec);
    all.insert(all.end(), written.begin(), written.end());
  };
  for (int seg = 0; seg < 6; ++seg) {
    std::string s = std::to_string(seg);
    add({kv("a", "a" + s), kv("b" + std::to_string(seg % 2), "b" + s), kv("c" + s, "c")}, Spec{.pad = 40});
    add({kv("a", "a" + s + "'"), tombstone("c" + std::to_string(seg > 0 ? seg - 1 : 0))},
        Spec{.codec = seg % 2 ? record::Compression::lz4 : record::Compression::zstd});
    add({kv("d" + std::to_string(seg % 3), s)}, Spec{.producer_id = 11, .producer_epoch = 0, .base_sequence = seg});
    if (seg == 2) {
      add({kv("t", "txn")}, Spec{.producer_id = 12, .producer_epoch = 0, .base_sequence = 0, .transactional = true});
      w.marker(12, 0, record::ControlRecordType::commit);
    }
    w.roll();
  }
  add({kv("active", "x")});
  settle(log);
  return all;
}

LogConfig crash_config() {
  LogConfig c = compacted_config();
  c.segment_bytes = 1500;  // groups of two or three segments
  c.delete_retention_ms = 10'000;
  return c;
}

std::unique_ptr<Log> open_log(SimFileSystem& fs, Clock& clock, SyncExecutor& syncs, int64_t recovery_point) {
  Log::Options o;
  o.dir = kDir;
  o.config = crash_config();
  o.recovery_point = recovery_point;
  auto log = Log::open(fs, clock, syncs, o);
  return log.ok() ? std::move(*log) : nullptr;
}

TEST(LogCleanerCrash, ACrashAnywhereInAPassRecoversTheOldOrTheCleanedContents) {
  // The reference: the log before and after one uninterrupted pass.
  std::vector<Rec> original;
  std::vector<Rec> cleaned;
  uint64_t mutations = 0;
  int64_t log_end = 0;
  int groups = 0;
  {
    SimFileSystem fs;
    ManualClock clock{kStart};
    InlineSyncExecutor syncs;
    auto log = open_log(fs, clock, syncs, 0);
    ASSERT_TRUE(log);
    build_crash_log(*log);
    original = read_records(*log);
    log_end = log->log_end_offset();
    uint64_t before = fs.mutation_count();
    auto r = clean_log(*log, CleanerOptions{}, clock.now_ms());
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    groups = r->groups;
    mutations = fs.mutation_count() - before;
    cleaned = read_records(*log);
  }
  ASSERT_GE(groups, 2);
  ASSERT_LT(cleaned.size(), original.size());
  std::map<int64_t, Rec> by_offset;
  for (const Rec& r : original) by_offset[r.offset] = r;

  for (uint64_t crash_at = 0; crash_at <= mutations; ++crash_at) {
    for (uint64_t seed = 1; seed <= 2; ++seed) {
      SCOPED_TRACE("crash after " + std::to_string(crash_at) + " of " + std::to_string(mutations) +
                   " mutations, seed " + std::to_string(seed));
      SimFileSystem::Options fs_options;
      fs_options.seed = seed;
      SimFileSystem fs(fs_options);
      ManualClock clock{kStart};
      InlineSyncExecutor syncs;
      {
        auto log = open_log(fs, clock, syncs, 0);
        ASSERT_TRUE(log);
        build_crash_log(*log);
        fs.sync_all();
        fs.set_crash_after(crash_at);
        auto r = clean_log(*log, CleanerOptions{}, clock.now_ms());
        if (crash_at < mutations) {
          EXPECT_FALSE(r.ok());
        }
      }
      fs.clear_crash_after();
      fs.crash(seed * 7919 + crash_at);
      std::mt19937_64 rng(seed ^ crash_at);
      // Sometimes the power fails again during recovery.
      if (seed == 2) {
        fs.set_crash_after(rng() % 30);
        { auto interrupted = open_log(fs, clock, syncs, log_end); }
        fs.clear_crash_after();
        fs.crash(rng());
      }
      // The log manager may have checkpointed the recovery point at the log end, or not at all.
      auto log = open_log(fs, clock, syncs, seed == 1 ? log_end : 0);
      ASSERT_TRUE(log);
      ASSERT_EQ(log->log_end_offset(), log_end);
      expect_disjoint_segments(*log);
      std::vector<std::string> names = *fs.list(kDir);
      for (const std::string& name : names) {
        EXPECT_EQ(name.find(".swap"), std::string::npos) << name;
        EXPECT_EQ(name.find(".cleaned"), std::string::npos) << name;
      }
      std::vector<Rec> got = read_records(*log);
      // Nothing invented, nothing duplicated, nothing the cleaner keeps lost.
      for (size_t i = 0; i < got.size(); ++i) {
        if (i > 0) {
          ASSERT_LT(got[i - 1].offset, got[i].offset);
        }
        auto it = by_offset.find(got[i].offset);
        ASSERT_NE(it, by_offset.end()) << got[i];
        ASSERT_EQ(got[i], it->second);
      }
      std::set<int64_t> offsets;
      for (const Rec& r : got) offsets.insert(r.offset);
      for (const Rec& r : cleaned) ASSERT_TRUE(offsets.count(r.offset)) << "lost " << r;
      expect_reads_at_every_offset(*log, got);
      // A new pass reaches the same cleaned contents.
      auto again = clean_log(*log, CleanerOptions{}, clock.now_ms());
      ASSERT_TRUE(again.ok()) << again.status().to_string();
      ASSERT_EQ(read_records(*log), cleaned);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace gregor::storage
