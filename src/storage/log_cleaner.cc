#include "storage/log_cleaner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <limits>
#include <set>
#include <thread>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/byte_writer.h"
#include "common/endian.h"
#include "record/compression.h"
#include "record/control_record.h"
#include "record/crc32c.h"
#include "record/record.h"
#include "record/record_batch.h"
#include "record/wire.h"

namespace gregor::storage {

namespace v2 = record::v2;

namespace {

// Bound on one batch's inflated records, as the segment's timestamp search uses.
constexpr size_t kMaxInflatedBatch = 256u << 20;
// Read unit of the header scan: small, so large batches are not read whole just for a header.
constexpr size_t kHeaderScanChunk = 16u << 10;
constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kLongMin = std::numeric_limits<int64_t>::min();

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kLongMax : kLongMin;
  return r;
}
int64_t saturating_sub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? kLongMax : kLongMin;
  return r;
}

Status corrupt(std::string message) { return Status(ErrorCode::corrupt_message, std::move(message)); }

bool is_prime(size_t n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (size_t d = 3; d * d <= n; d += 2) {
    if (n % d == 0) return false;
  }
  return true;
}

size_t largest_prime_at_most(size_t n) {
  while (n >= 2 && !is_prime(n)) --n;
  return n;
}

uint64_t fresh_seed() {
  static std::atomic<uint64_t> counter{static_cast<uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count())};
  // splitmix64 of a counter: a different hash function for every map.
  uint64_t z = counter.fetch_add(0x9e3779b97f4a7c15ULL) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// What the cleaner needs of a batch header.
struct Header {
  uint64_t position = 0;
  uint32_t size = 0;
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t max_timestamp = -1;
  int16_t attributes = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t record_count = 0;
  bool control() const { return attributes & v2::kControlFlag; }
  bool transactional() const { return attributes & v2::kTransactionalFlag; }
};

// Walks the batches of a segment file through a read buffer, by File::read_at only (safe off the
// owner's thread). Only the header of each batch is read unless batch() asks for the whole.
class BatchReader {
 public:
  BatchReader(std::shared_ptr<File> file, uint64_t size, size_t chunk, uint64_t start = 0)
      : file_(std::move(file)), size_(size), chunk_(std::max<size_t>(chunk, v2::kHeaderSize)), pos_(start) {}

  bool next(Header& out) {
    if (!status_.ok() || pos_ >= size_) return false;
    if (pos_ + v2::kHeaderSize > size_) return fail(corrupt(where() + ": a partial batch header ends the file"));
    if (Status s = ensure(pos_, v2::kHeaderSize); !s.ok()) return fail(s);
    const uint8_t* p = at(pos_);
    int32_t length = load_be<int32_t>(p + v2::kBatchLength);
    int8_t magic = static_cast<int8_t>(p[v2::kMagic]);
    if (magic != 2) return fail(corrupt(where() + ": magic " + std::to_string(magic)));
    if (length < static_cast<int32_t>(v2::kHeaderSize - v2::kLogOverhead)) {
      return fail(corrupt(where() + ": batch length " + std::to_string(length)));
    }
    uint64_t size = static_cast<uint64_t>(length) + v2::kLogOverhead;
    if (pos_ + size > size_) return fail(corrupt(where() + ": the batch runs past the end of the file"));
    Header h;
    h.position = pos_;
    h.size = static_cast<uint32_t>(size);
    h.base_offset = load_be<int64_t>(p + v2::kBaseOffset);
    h.last_offset = record::wire::wrapping_add(h.base_offset, load_be<int32_t>(p + v2::kLastOffsetDelta));
    h.max_timestamp = load_be<int64_t>(p + v2::kMaxTimestamp);
    h.attributes = load_be<int16_t>(p + v2::kAttributes);
    h.producer_id = load_be<int64_t>(p + v2::kProducerId);
    h.producer_epoch = load_be<int16_t>(p + v2::kProducerEpoch);
    h.record_count = load_be<int32_t>(p + v2::kRecordCount);
    if (h.last_offset < h.base_offset) return fail(corrupt(where() + ": negative last offset delta"));
    current_ = h;
    pos_ += size;
    out = h;
    return true;
  }

  // The whole batch next() returned last, valid until the next call.
  StatusOr<BytesView> batch() {
    if (Status s = ensure(current_.position, current_.size); !s.ok()) return s;
    return BytesView(at(current_.position), current_.size);
  }

  const Status& status() const { return status_; }

 private:
  std::string where() const { return "batch at byte " + std::to_string(pos_) + " of " + file_->path(); }
  const uint8_t* at(uint64_t pos) const { return buf_.data() + (pos - buf_start_); }
  bool fail(Status s) {
    status_ = std::move(s);
    return false;
  }
  Status ensure(uint64_t pos, size_t n) {
    if (pos >= buf_start_ && pos + n <= buf_start_ + buf_.size()) return {};
    size_t want = std::max<size_t>(n, static_cast<size_t>(std::min<uint64_t>(chunk_, size_ - pos)));
    buf_.resize(want);
    buf_start_ = pos;
    auto got = file_->read_at(pos, buf_);
    if (!got.ok()) {
      buf_.clear();
      return got.status();
    }
    buf_.resize(*got);
    if (*got < n) {
      return corrupt("segment " + file_->path() + " ends at byte " + std::to_string(pos + *got) +
                     " before its batch does (was it truncated while being cleaned?)");
    }
    return {};
  }

  std::shared_ptr<File> file_;
  uint64_t size_;
  size_t chunk_;
  uint64_t pos_;
  Bytes buf_;
  uint64_t buf_start_ = 0;
  Header current_;
  Status status_;
};

// A segment as the pass planned it, on the owner's thread.
struct SegmentRef {
  int64_t base = 0;
  int64_t end = 0;  // the next segment's base (the log end for the active segment)
  uint64_t size = 0;
  int64_t max_timestamp = -1;
  std::shared_ptr<File> file;
  // Learned by the header scan.
  uint64_t batches = 0;
  uint64_t dirty_position = 0;  // the first batch holding an offset >= the first dirty offset
};

std::vector<SegmentRef> snapshot(const Log& log) {
  std::vector<const Segment*> segments = log.segments();
  std::vector<SegmentRef> out;
  out.reserve(segments.size());
  for (size_t i = 0; i < segments.size(); ++i) {
    SegmentRef r;
    r.base = segments[i]->base_offset();
    r.end = i + 1 < segments.size() ? segments[i + 1]->base_offset() : log.log_end_offset();
    r.size = segments[i]->size();
    r.max_timestamp = segments[i]->max_timestamp();
    r.file = segments[i]->log_file();
    out.push_back(std::move(r));
  }
  return out;
}

// min.compaction.lag.ms compares the dirty segments' largest timestamps with the time; those
// are learned (as retention learns them) only when the lag is set.
Status learn_dirty_timestamps(Log& log, std::optional<int64_t> checkpoint) {
  if (log.config().min_compaction_lag_ms <= 0) return {};
  int64_t from = checkpoint.value_or(log.log_start_offset());
  if (from < log.log_start_offset() || from > log.log_end_offset()) from = log.log_start_offset();
  return log.load_segment_tails(from);
}

// The first batch's maxTimestamp (Kafka's LogSegment.getFirstBatchTimestamp), -1 when none.
StatusOr<int64_t> first_batch_timestamp(const SegmentRef& segment) {
  if (segment.size < v2::kHeaderSize) return int64_t{-1};
  uint8_t header[v2::kHeaderSize];
  auto got = segment.file->read_at(0, header);
  if (!got.ok()) return got.status();
  if (*got < v2::kHeaderSize) return int64_t{-1};
  return load_be<int64_t>(header + v2::kMaxTimestamp);
}

// Kafka's LogCleanerManager.cleanableOffsets, LogToClean and maxCompactionDelay over a snapshot.
StatusOr<CleanableRange> compute_range(const Log& log, const std::vector<SegmentRef>& segs,
                                       std::optional<int64_t> checkpoint, int64_t now_ms,
                                       std::optional<int64_t> first_unstable) {
  const LogConfig& config = log.config();
  CleanableRange r;
  int64_t start = log.log_start_offset();
  int64_t checkpointed = checkpoint.value_or(start);
  if (checkpointed < start || checkpointed > log.log_end_offset()) {
    if (checkpoint) {
      spdlog::warn("[{}] resetting the first dirty offset to the log start {}: the checkpointed {} is outside [{}, {}]",
                   file_name(log.dir()), start, checkpointed, start, log.log_end_offset());
    }
    r.first_dirty_offset = start;
    r.checkpoint_reset = true;
  } else {
    r.first_dirty_offset = checkpointed;
  }
  const int64_t dirty = r.first_dirty_offset;
  const size_t active = segs.size() - 1;
  // The inactive segments from the one holding the first dirty offset (nonActiveLogSegmentsFrom).
  size_t first_dirty_segment = active;
  for (size_t i = 0; i < active; ++i) {
    if (segs[i].end > dirty) {
      first_dirty_segment = i;
      break;
    }
  }

  int64_t upper = std::min(log.high_watermark(), segs[active].base);
  if (first_unstable) upper = std::min(upper, *first_unstable);
  int64_t min_lag = std::max<int64_t>(config.min_compaction_lag_ms, 0);
  if (min_lag > 0) {
    for (size_t i = first_dirty_segment; i < active; ++i) {
      if (segs[i].max_timestamp > saturating_sub(now_ms, min_lag)) {
        upper = std::min(upper, segs[i].base);
        break;
      }
    }
  }
  // Gregor: only segments synced whole (wholly below the recovery point) are rewritten.
  for (size_t i = 0; i < active; ++i) {
    if (segs[i].end > log.recovery_point()) {
      upper = std::min(upper, segs[i].base);
      break;
    }
  }
  r.first_uncleanable_offset = std::max(dirty, upper);

  // Bytes, as LogToClean counts them: clean = segments starting before the first dirty offset;
  // cleanable = whole segments from the one holding it to the one holding the uncleanable offset.
  for (const SegmentRef& s : segs) {
    if (s.base < dirty) r.clean_bytes += s.size;
  }
  size_t uncleanable_segment = active;
  for (size_t i = 0; i < active; ++i) {
    if (segs[i].base <= r.first_uncleanable_offset && r.first_uncleanable_offset < segs[i].end) {
      uncleanable_segment = i;
      break;
    }
  }
  int64_t uncleanable_base = segs[uncleanable_segment].base;
  int64_t from = std::min(dirty, uncleanable_base);
  for (const SegmentRef& s : segs) {
    if (s.base < uncleanable_base && s.end > from) r.cleanable_bytes += s.size;
  }
  r.total_bytes = r.clean_bytes + r.cleanable_bytes;
  if (r.total_bytes > 0) {
    r.cleanable_ratio = static_cast<double>(r.cleanable_bytes) / static_cast<double>(r.total_bytes);
  }

  int64_t earliest = kLongMax;
  int64_t clean_until = saturating_sub(now_ms, std::max<int64_t>(config.max_compaction_lag_ms, 0));
  // Only positive timestamps count, so with the default lag (none) nothing needs reading.
  for (size_t i = first_dirty_segment; i < active && clean_until > 0; ++i) {
    auto ts = first_batch_timestamp(segs[i]);
    if (!ts.ok()) return ts.status();
    if (*ts > 0) earliest = std::min(earliest, *ts);
  }
  r.max_compaction_delay_ms = earliest < clean_until ? clean_until - earliest : 0;
  r.should_clean = r.total_bytes > 0 && ((r.max_compaction_delay_ms > 0 && r.cleanable_bytes > 0) ||
                                         r.cleanable_ratio > config.min_cleanable_dirty_ratio);
  return r;
}

// The type of a control batch's marker: nullopt when the batch has no record left (an earlier
// pass emptied it), -1 when its key is not a control key.
std::optional<int16_t> control_type_of(const std::vector<record::Record>& records) {
  if (records.empty()) return std::nullopt;
  if (!records.front().key) return int16_t{-1};
  auto type = record::parse_control_key(*records.front().key);
  return type.ok() ? static_cast<int16_t>(*type) : int16_t{-1};
}

StatusOr<std::optional<int16_t>> control_type(BytesView batch_bytes, record::RecordReader& reader) {
  auto batch = record::RecordBatchView::parse(batch_bytes);
  if (!batch.ok()) return corrupt(batch.error().to_string());
  if (auto err = reader.open(*batch)) return corrupt(err->to_string());
  std::vector<record::Record> first(1);
  if (!reader.next(first[0])) {
    if (!reader.ok()) return corrupt(reader.error().to_string());
    first.clear();
  }
  return control_type_of(first);
}

constexpr int16_t kAbort = static_cast<int16_t>(record::ControlRecordType::abort);
constexpr int16_t kCommit = static_cast<int16_t>(record::ControlRecordType::commit);

struct AbortedTxn {
  int64_t producer_id;
  int64_t first_offset;
  int64_t last_offset;
};

// Kafka's CleanedTransactionMetadata: follows transactions through a pass to say which data
// batches are aborted and which markers may go.
class TxnTracker {
 public:
  explicit TxnTracker(const std::vector<AbortedTxn>& aborted) : aborted_(aborted) {}

  // Whether the marker may be discarded: no batch of its transaction was seen in this pass.
  bool on_control_batch(int64_t producer_id, int64_t last_offset, std::optional<int16_t> type) {
    consume_up_to(last_offset);
    if (!type) return true;  // an empty marker batch, left by an earlier pass
    if (*type == kAbort) {
      auto it = ongoing_aborted_.find(producer_id);
      if (it != ongoing_aborted_.end()) {
        bool seen = it->second;
        ongoing_aborted_.erase(it);
        if (seen) return false;  // the marker stays while the transaction's batches do
      }
      return true;
    }
    if (*type == kCommit) return ongoing_committed_.erase(producer_id) == 0;
    return false;
  }

  // Whether the data batch belongs to an aborted transaction (and may be discarded).
  bool on_data_batch(const Header& h) {
    consume_up_to(h.last_offset);
    if (!h.transactional()) return false;
    auto it = ongoing_aborted_.find(h.producer_id);
    if (it != ongoing_aborted_.end()) {
      it->second = true;
      return true;
    }
    ongoing_committed_.insert(h.producer_id);
    return false;
  }

 private:
  void consume_up_to(int64_t offset) {
    while (next_ < aborted_.size() && aborted_[next_].first_offset <= offset) {
      ongoing_aborted_.emplace(aborted_[next_].producer_id, false);
      ++next_;
    }
  }

  const std::vector<AbortedTxn>& aborted_;  // by first offset
  size_t next_ = 0;
  std::set<int64_t> ongoing_committed_;
  std::map<int64_t, bool> ongoing_aborted_;  // producer -> a batch of it was seen
};

// What the header scan learns of one producer.
struct ProducerScan {
  int16_t epoch = -1;
  int64_t last_data_offset = -1;
  int64_t last_timestamp = -1;
  std::optional<int64_t> txn_first_offset;
};

void write_batch_header(uint8_t* p, const record::RecordBatchView& orig, int16_t attributes, int64_t base_timestamp,
                        int64_t max_timestamp, int32_t count, size_t total_size) {
  store_be(p + v2::kBaseOffset, orig.base_offset());
  store_be(p + v2::kBatchLength, static_cast<int32_t>(total_size - v2::kLogOverhead));
  store_be(p + v2::kPartitionLeaderEpoch, orig.partition_leader_epoch());
  p[v2::kMagic] = 2;
  store_be(p + v2::kAttributes, attributes);
  store_be(p + v2::kLastOffsetDelta, orig.last_offset_delta());
  store_be(p + v2::kBaseTimestamp, base_timestamp);
  store_be(p + v2::kMaxTimestamp, max_timestamp);
  store_be(p + v2::kProducerId, orig.producer_id());
  store_be(p + v2::kProducerEpoch, orig.producer_epoch());
  store_be(p + v2::kBaseSequence, orig.base_sequence());
  store_be(p + v2::kRecordCount, count);
  store_be(p + v2::kCrc, record::crc32c_extend(0, p + v2::kAttributes, total_size - v2::kAttributes));
}

// The flags a rewritten batch keeps: timestamp type, transactional, control.
int16_t kept_flags(const record::RecordBatchView& orig) {
  return static_cast<int16_t>(orig.attributes() & (v2::kLogAppendTimeFlag | v2::kTransactionalFlag | v2::kControlFlag));
}

// Kafka's DefaultRecordBatch.writeEmptyHeader: the batch's offsets and producer state, no records.
void append_empty_batch(const record::RecordBatchView& orig, Bytes& out) {
  size_t start = out.size();
  out.resize(start + v2::kHeaderSize);
  write_batch_header(out.data() + start, orig, kept_flags(orig), record::kNoTimestamp, orig.max_timestamp(), 0,
                     v2::kHeaderSize);
}

void write_nullable(ByteWriter& w, const std::optional<BytesView>& b) {
  if (!b) return w.write_varint(-1);
  w.write_varint(static_cast<int32_t>(b->size()));
  w.write_raw(*b);
}

// Kafka's MemoryRecords.buildRetainedRecordsInto: the kept records at their own offsets, in a
// batch with the original's base offset, last offset delta, producer state, flags, leader epoch
// and codec; baseTimestamp is the delete horizon when there is one.
std::optional<std::string> append_rebuilt_batch(const record::RecordBatchView& orig,
                                                const std::vector<const record::Record*>& kept,
                                                std::optional<int64_t> delete_horizon, Bytes& records, Bytes& body,
                                                Bytes& out) {
  const bool log_append = orig.timestamp_type() == record::TimestampType::log_append_time;
  const int64_t base_timestamp = delete_horizon ? *delete_horizon : kept.front()->timestamp;
  int64_t max_timestamp = record::kNoTimestamp;
  records.clear();
  ByteWriter w(records);
  for (const record::Record* r : kept) {
    body.clear();
    ByteWriter b(body);
    b.write_int8(0);  // record attributes: none defined, as Kafka writes them
    b.write_varlong(record::wire::wrapping_sub(r->timestamp, base_timestamp));
    b.write_varint(static_cast<int32_t>(r->offset - orig.base_offset()));
    write_nullable(b, r->key);
    write_nullable(b, r->value);
    b.write_varint(r->headers.size());
    for (const record::Header& h : r->headers) {
      b.write_varint(static_cast<int32_t>(h.key.size()));
      b.write_raw(BytesView::of(h.key));
      write_nullable(b, h.value);
    }
    if (body.size() > INT32_MAX) return "a record of " + std::to_string(body.size()) + " bytes";
    w.write_varint(static_cast<int32_t>(body.size()));
    w.write_raw(body);
    max_timestamp = std::max(max_timestamp, r->timestamp);
  }
  size_t start = out.size();
  out.resize(start + v2::kHeaderSize);
  if (auto err = record::compress(orig.compression(), records, out)) {
    out.resize(start);
    return err;
  }
  size_t total = out.size() - start;
  if (total - v2::kLogOverhead > INT32_MAX) {
    out.resize(start);
    return "a rebuilt batch of " + std::to_string(total) + " bytes";
  }
  int16_t attributes = static_cast<int16_t>(kept_flags(orig) | static_cast<int16_t>(orig.compression()));
  if (delete_horizon) attributes |= v2::kDeleteHorizonFlag;
  write_batch_header(out.data() + start, orig, attributes, base_timestamp,
                     log_append ? orig.max_timestamp() : max_timestamp, static_cast<int32_t>(kept.size()), total);
  return std::nullopt;
}

// Kafka's Throttler for log.cleaner.io.max.bytes.per.second: over windows of at least 300 ms,
// sleeps off whatever exceeded the rate. Runs on the cleaner's thread, where sleeping is its job.
class Throttler {
 public:
  explicit Throttler(double bytes_per_second) : rate_(bytes_per_second) {}

  // Counts bytes read or written; false when the pass was cancelled while it slept.
  bool maybe_throttle(uint64_t bytes, const std::atomic<bool>& cancelled) {
    if (!(rate_ > 0) || rate_ >= std::numeric_limits<double>::max()) return true;
    using Clock = std::chrono::steady_clock;
    observed_ += static_cast<double>(bytes);
    const Clock::time_point now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - window_start_).count();
    if (elapsed < kCheckInterval) return true;
    const double excess = observed_ / rate_ - elapsed;
    if (excess > 0) {
      const Clock::time_point until = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(excess));
      // In short naps, so a cancelled pass stops soon.
      while (Clock::now() < until) {
        if (cancelled.load(std::memory_order_relaxed)) return false;
        std::this_thread::sleep_for(std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(50)));
      }
    }
    window_start_ = Clock::now();
    observed_ = 0;
    return true;
  }

 private:
  static constexpr double kCheckInterval = 0.3;
  double rate_;
  std::chrono::steady_clock::time_point window_start_ = std::chrono::steady_clock::now();
  double observed_ = 0;
};

}  // namespace

// One pass over one log, in the steps the top of log_cleaner.h describes.
class CleaningPass::Impl {
 public:
  Impl(Log& log, const CleanerOptions& options, int64_t now_ms, OffsetMap& map, Bytes& out)
      : log_(log),
        name_(file_name(log.dir())),
        config_(log.config()),
        options_(options),
        now_(now_ms),
        map_(map),
        out_(out),
        throttler_(options.io_max_bytes_per_second) {}

  Status plan();
  bool done() const { return phase_ == Phase::done; }
  bool background_next() const { return phase_ == Phase::map || phase_ == Phase::write; }
  Status run_background_step();
  Status run_owner_step();
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  void abandon();
  const CleanResult& result() const { return result_; }

 private:
  enum class Phase { map, create, write, swap, done };

  const std::string& name() const { return name_; }
  Status map_step();
  Status create_step();
  Status write_step();
  Status swap_step();
  void finish();
  // Counts the I/O of the background steps against the throttle, and notices cancellation.
  Status pace(uint64_t bytes);
  Status scan_headers(int64_t start, int64_t upper, uint64_t& dirty_records, int64_t& first_open_txn);
  Status build_offset_map(int64_t start, int64_t upper);
  std::vector<std::vector<size_t>> group_segments(int64_t end_offset) const;
  Status filter_batch(const record::RecordBatchView& batch, const Header& h, bool last_in_group);
  bool should_retain(const record::Record& r, std::optional<int64_t> delete_horizon);

  Log& log_;  // only the owner's steps touch it
  const std::string name_;
  const LogConfig config_;
  const CleanerOptions options_;
  const int64_t now_;
  OffsetMap& map_;
  Bytes& out_;
  Throttler throttler_;
  std::atomic<bool> cancelled_{false};
  Phase phase_ = Phase::done;
  CleanResult result_;
  int64_t start_ = 0;   // the first dirty offset
  int64_t upper_ = 0;   // the first uncleanable offset
  int64_t end_offset_ = 0;  // the offset map's end: the pass cleans below it
  std::vector<SegmentRef> segs_;
  std::vector<std::vector<size_t>> groups_;
  size_t next_group_ = 0;
  std::unique_ptr<Segment> cleaned_;  // of groups_[next_group_], between create and swap
  std::vector<AbortedTxn> aborted_;
  std::map<int64_t, ProducerLastRecord> producers_;
  record::RecordReader reader_{kMaxInflatedBatch};
  std::optional<TxnTracker> txn_;  // of the rewrite
  std::vector<record::Record> records_;
  std::vector<const record::Record*> kept_;
  Bytes records_scratch_;
  Bytes body_scratch_;
};

Status CleaningPass::Impl::plan() {
  if (!config_.compact()) {
    return Status(ErrorCode::invalid_request, "log " + name() + " is not compacted (cleanup.policy has no compact)");
  }
  if (!(options_.dedupe_buffer_load_factor > 0 && options_.dedupe_buffer_load_factor <= 1)) {
    return Status(ErrorCode::invalid_config, "the offset map's load factor must be in (0, 1]");
  }
  if (Status s = learn_dirty_timestamps(log_, options_.first_dirty_offset); !s.ok()) return s;
  segs_ = snapshot(log_);
  auto range = compute_range(log_, segs_, options_.first_dirty_offset, now_, options_.first_unstable_offset);
  if (!range.ok()) return range.status();
  result_.first_dirty_offset = range->first_dirty_offset;
  result_.first_uncleanable_offset = range->first_uncleanable_offset;
  start_ = range->first_dirty_offset;
  upper_ = range->first_uncleanable_offset;
  phase_ = upper_ <= start_ ? Phase::done : Phase::map;
  return {};
}

Status CleaningPass::Impl::run_background_step() {
  if (cancelled()) return Status(ErrorCode::kafka_storage_error, "cleaning " + name() + " was aborted");
  Status s;
  if (phase_ == Phase::map) {
    s = map_step();
  } else if (phase_ == Phase::write) {
    s = write_step();
  } else {
    return Status(ErrorCode::unknown_server_error, "no background step is due in cleaning " + name());
  }
  if (!s.ok()) phase_ = Phase::done;
  return s;
}

Status CleaningPass::Impl::run_owner_step() {
  if (cancelled()) return Status(ErrorCode::kafka_storage_error, "cleaning " + name() + " was aborted");
  Status s;
  if (phase_ == Phase::swap) s = swap_step();
  if (s.ok() && phase_ == Phase::create) s = create_step();
  if (!s.ok()) phase_ = Phase::done;
  return s;
}

void CleaningPass::Impl::abandon() {
  phase_ = Phase::done;
  if (!cleaned_) return;
  if (Status d = cleaned_->delete_files(); !d.ok()) {
    spdlog::warn("[{}] could not remove cleaned segment {}: {}", name(), cleaned_->base_offset(), d.message());
  }
  cleaned_.reset();
}

Status CleaningPass::Impl::pace(uint64_t bytes) {
  if (cancelled() || !throttler_.maybe_throttle(bytes, cancelled_)) {
    return Status(ErrorCode::kafka_storage_error, "cleaning " + name() + " was aborted");
  }
  return {};
}

Status CleaningPass::Impl::map_step() {
  uint64_t dirty_records = 0;
  int64_t first_open_txn = kLongMax;
  if (Status s = scan_headers(start_, upper_, dirty_records, first_open_txn); !s.ok()) return s;
  if (first_open_txn < upper_) {
    spdlog::debug("[{}] cleaning stops before the open transaction at {}", name(), first_open_txn);
    upper_ = std::max(start_, first_open_txn);
    result_.first_uncleanable_offset = upper_;
    if (upper_ <= start_) {
      phase_ = Phase::done;
      return {};
    }
  }
  if (Status s = map_.reset(options_.dedupe_buffer_size, dirty_records, options_.dedupe_buffer_load_factor); !s.ok()) {
    return s;
  }
  if (Status s = build_offset_map(start_, upper_); !s.ok()) return s;
  end_offset_ = map_.latest_offset() + 1;
  result_.map_entries = map_.size();
  result_.map_utilization = map_.utilization();
  txn_.emplace(aborted_);
  groups_ = group_segments(end_offset_);
  next_group_ = 0;
  phase_ = Phase::create;
  if (groups_.empty()) finish();
  return {};
}

void CleaningPass::Impl::finish() {
  result_.first_dirty_offset = end_offset_;
  phase_ = Phase::done;
  spdlog::info("[{}] cleaned offsets up to {} in {} groups: {} of {} records kept, {} -> {} bytes", name(), end_offset_,
               result_.groups, result_.records_retained, result_.records_read, result_.bytes_read,
               result_.bytes_written);
}

Status CleaningPass::Impl::create_step() {
  auto made = log_.create_cleaned_segment(segs_[groups_[next_group_].front()].base);
  if (!made.ok()) return made.status();
  cleaned_ = std::move(*made);
  phase_ = Phase::write;
  return {};
}

Status CleaningPass::Impl::write_step() {
  const std::vector<size_t>& group = groups_[next_group_];
  out_.clear();
  for (size_t k = 0; k < group.size(); ++k) {
    const SegmentRef& seg = segs_[group[k]];
    BatchReader reader(seg.file, seg.size, options_.io_buffer_size);
    Header h;
    while (reader.next(h)) {
      if (Status s = pace(h.size); !s.ok()) return s;
      auto bytes = reader.batch();
      if (!bytes.ok()) return bytes.status();
      auto batch = record::RecordBatchView::parse(*bytes, h.position);
      if (!batch.ok()) return corrupt(seg.file->path() + ": " + batch.error().to_string());
      if (auto err = batch->verify_crc()) return corrupt(seg.file->path() + ": " + err->to_string());
      bool last_in_group = k + 1 == group.size() && h.position + h.size == seg.size;
      if (Status s = filter_batch(*batch, h, last_in_group); !s.ok()) {
        return Status(s.code(), seg.file->path() + ": " + s.message());
      }
      if (out_.size() >= options_.io_buffer_size) {
        if (Status s = cleaned_->append(out_); !s.ok()) return s;
        if (Status s = pace(out_.size()); !s.ok()) return s;
        result_.bytes_written += out_.size();
        out_.clear();
      }
    }
    if (!reader.status().ok()) return reader.status();
    result_.bytes_read += seg.size;
  }
  if (Status s = cleaned_->append(out_); !s.ok()) return s;
  result_.bytes_written += out_.size();
  out_.clear();
  cleaned_->on_become_inactive();
  if (Status s = cleaned_->sync_all(); !s.ok()) return s;
  phase_ = Phase::swap;
  return {};
}

Status CleaningPass::Impl::swap_step() {
  // The group must still be the very files the pass read.
  const std::vector<size_t>& group = groups_[next_group_];
  std::vector<int64_t> bases;
  std::vector<const Segment*> current = log_.segments();
  for (size_t index : group) {
    const SegmentRef& seg = segs_[index];
    auto it = std::find_if(current.begin(), current.end(),
                           [&](const Segment* s) { return s->base_offset() == seg.base; });
    if (it == current.end() || (*it)->log_file() != seg.file || (*it)->size() != seg.size) {
      return Status(ErrorCode::kafka_storage_error,
                    "segment " + std::to_string(seg.base) + " of " + name() + " changed while it was being cleaned");
    }
    bases.push_back(seg.base);
  }
  spdlog::info("[{}] swapping in cleaned segment {} ({} bytes) for {} segments", name(), cleaned_->base_offset(),
               cleaned_->size(), bases.size());
  // replace_segments removes the cleaned segment's files itself when it refuses it.
  if (Status s = log_.replace_segments(std::move(cleaned_), bases); !s.ok()) return s;
  ++result_.groups;
  result_.segments_replaced += static_cast<int>(bases.size());
  if (++next_group_ < groups_.size()) {
    phase_ = Phase::create;
  } else {
    finish();
  }
  return {};
}

Status CleaningPass::Impl::scan_headers(int64_t start, int64_t upper, uint64_t& dirty_records, int64_t& first_open_txn) {
  std::map<int64_t, ProducerScan> producers;
  bool dirty_found = false;
  for (SegmentRef& seg : segs_) {
    if (seg.base >= upper) break;
    BatchReader reader(seg.file, seg.size, kHeaderScanChunk);
    Header h;
    while (reader.next(h)) {
      if (cancelled()) return Status(ErrorCode::kafka_storage_error, "cleaning " + name() + " was aborted");
      ++seg.batches;
      if (!dirty_found && h.last_offset >= start) {
        dirty_found = true;
        seg.dirty_position = h.position;
      }
      if (!h.control() && h.last_offset >= start && h.base_offset < upper) {
        dirty_records += static_cast<uint64_t>(std::max(h.record_count, 0));
      }
      if (h.producer_id < 0) continue;
      ProducerScan& p = producers[h.producer_id];
      if (h.producer_epoch > p.epoch) {
        // A new epoch: Kafka's producer state drops the earlier epoch's batches.
        p.epoch = h.producer_epoch;
        p.last_data_offset = -1;
      }
      p.last_timestamp = h.max_timestamp;
      if (h.control()) {
        auto bytes = reader.batch();
        if (!bytes.ok()) return bytes.status();
        auto type = control_type(*bytes, reader_);
        if (!type.ok()) return type.status();
        if (*type == kAbort || *type == kCommit) {
          if (*type == kAbort) {
            aborted_.push_back(AbortedTxn{h.producer_id, p.txn_first_offset.value_or(h.base_offset), h.last_offset});
          }
          p.txn_first_offset.reset();
        }
      } else {
        p.last_data_offset = h.last_offset;
        if (h.transactional() && !p.txn_first_offset) p.txn_first_offset = h.base_offset;
      }
    }
    if (!reader.status().ok()) return reader.status();
  }
  std::stable_sort(aborted_.begin(), aborted_.end(),
                   [](const AbortedTxn& a, const AbortedTxn& b) { return a.first_offset < b.first_offset; });
  for (const auto& [id, p] : producers) {
    if (p.txn_first_offset) first_open_txn = std::min(first_open_txn, *p.txn_first_offset);
  }
  if (options_.active_producers) {
    producers_ = *options_.active_producers;
  } else {
    for (const auto& [id, p] : producers) {
      // Kafka's producer expiration: no open transaction and nothing for producer.id.expiration.ms.
      bool expired =
          !p.txn_first_offset && saturating_sub(now_, p.last_timestamp) >= options_.producer_id_expiration_ms;
      if (expired) continue;
      ProducerLastRecord last;
      if (p.last_data_offset >= 0) last.last_data_offset = p.last_data_offset;
      last.producer_epoch = p.epoch;
      producers_.emplace(id, last);
    }
  }
  return {};
}

Status CleaningPass::Impl::build_offset_map(int64_t start, int64_t upper) {
  TxnTracker txn(aborted_);
  for (const SegmentRef& seg : segs_) {
    if (seg.base >= upper) break;
    if (seg.end <= start) continue;
    BatchReader reader(seg.file, seg.size, options_.io_buffer_size, seg.base <= start ? seg.dirty_position : 0);
    Header h;
    bool stop = false;
    while (!stop && reader.next(h)) {
      if (h.last_offset < start) continue;
      if (h.last_offset >= upper) {
        stop = true;
        break;
      }
      if (Status s = pace(h.size); !s.ok()) return s;
      auto bytes = reader.batch();
      if (!bytes.ok()) return bytes.status();
      if (h.control()) {
        auto type = control_type(*bytes, reader_);
        if (!type.ok()) return type.status();
        txn.on_control_batch(h.producer_id, h.last_offset, *type);
      } else if (!txn.on_data_batch(h)) {
        auto batch = record::RecordBatchView::parse(*bytes, h.position);
        if (!batch.ok()) return corrupt(seg.file->path() + ": " + batch.error().to_string());
        if (auto err = reader_.open(*batch)) return corrupt(seg.file->path() + ": " + err->to_string());
        record::Record r;
        while (reader_.next(r)) {
          if (!r.key || r.offset < start) continue;
          if (map_.full()) {
            // The map is full: this pass ends at the last offset it mapped.
            spdlog::debug("[{}] the offset map filled at offset {}", name(), r.offset);
            return {};
          }
          map_.put(*r.key, r.offset);
          ++result_.map_records;
        }
        if (!reader_.ok()) return corrupt(seg.file->path() + ": " + reader_.error().to_string());
      }
      map_.update_latest_offset(h.last_offset);
    }
    if (!reader.status().ok()) return reader.status();
    // The segment is mapped up to its end (offsets may have gaps).
    map_.update_latest_offset(std::min(seg.end, upper) - 1);
    if (stop) break;
  }
  return {};
}

std::vector<std::vector<size_t>> CleaningPass::Impl::group_segments(int64_t end_offset) const {
  // Our index policy writes an entry after every index.interval.bytes of batches, so a cleaned
  // segment needs at most this many entries (Kafka sums the replaced segments' index sizes).
  auto index_fits = [&](uint64_t bytes, uint64_t batches) {
    uint64_t interval = static_cast<uint64_t>(std::max(config_.index_interval_bytes, 0));
    uint64_t entries = std::min<uint64_t>(batches, bytes / (interval + 1) + 1);
    uint64_t index_bytes = static_cast<uint64_t>(std::max(config_.segment_index_bytes, 0));
    return entries <= index_bytes / OffsetIndex::kEntrySize && entries + 1 <= index_bytes / TimeIndex::kEntrySize;
  };
  std::vector<std::vector<size_t>> groups;
  size_t n = 0;
  while (n + 1 < segs_.size() && segs_[n].base < end_offset) ++n;  // never the active segment
  for (size_t i = 0; i < n;) {
    if (segs_[i].size == 0) {  // nothing to clean, and nothing to mark its end: left alone
      ++i;
      continue;
    }
    std::vector<size_t> group{i};
    uint64_t bytes = segs_[i].size;
    uint64_t batches = segs_[i].batches;
    const int64_t base = segs_[i].base;
    for (++i; i < n; ++i) {
      const SegmentRef& next = segs_[i];
      if (next.size == 0 || bytes + next.size > static_cast<uint64_t>(std::max(config_.segment_bytes, 0)) ||
          !index_fits(bytes + next.size, batches + next.batches) || next.end - 1 - base > INT32_MAX) {
        break;
      }
      group.push_back(i);
      bytes += next.size;
      batches += next.batches;
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

bool CleaningPass::Impl::should_retain(const record::Record& r, std::optional<int64_t> delete_horizon) {
  if (r.offset > map_.latest_offset()) return true;  // past what this pass mapped
  if (!r.key) {
    ++result_.invalid_records;
    return false;
  }
  bool latest_for_key = r.offset >= map_.get(*r.key);
  bool retain_deletes = !delete_horizon || now_ < *delete_horizon;
  return latest_for_key && (r.value.has_value() || retain_deletes);
}

Status CleaningPass::Impl::filter_batch(const record::RecordBatchView& batch, const Header& h, bool last_in_group) {
  records_.clear();
  if (auto err = reader_.open(batch)) return corrupt(err->to_string());
  record::Record r;
  while (reader_.next(r)) records_.push_back(r);
  if (!reader_.ok()) return corrupt(reader_.error().to_string());
  result_.records_read += static_cast<int64_t>(records_.size());

  // Kafka's checkBatchRetention.
  const bool control = h.control();
  bool can_discard;
  if (control) {
    can_discard = txn_->on_control_batch(h.producer_id, h.last_offset, control_type_of(records_));
  } else {
    can_discard = txn_->on_data_batch(h);
  }
  const std::optional<int64_t> horizon = batch.delete_horizon_ms();
  const bool discard_records = control ? can_discard && horizon && *horizon <= now_ : can_discard;
  bool last_of_producer = false;
  if (h.producer_id >= 0) {
    auto it = producers_.find(h.producer_id);
    if (it != producers_.end()) {
      last_of_producer = it->second.last_data_offset ? h.last_offset == *it->second.last_data_offset
                                                     : control && h.producer_epoch == it->second.producer_epoch;
    }
  }
  const bool retain_empty = last_of_producer || last_in_group;
  if (!retain_empty && discard_records) {
    ++result_.batches_removed;
    return {};
  }
  const bool marker_for_empty_txn = can_discard && control;

  // Kafka's filterBatch.
  kept_.clear();
  bool write_original = true;
  bool tombstones = false;
  for (const record::Record& rec : records_) {
    bool keep = discard_records ? false : control ? true : should_retain(rec, horizon);
    if (keep) {
      kept_.push_back(&rec);
      if (!rec.value) tombstones = true;
    } else {
      write_original = false;
    }
  }
  if (!kept_.empty()) {
    result_.records_retained += static_cast<int64_t>(kept_.size());
    const bool set_horizon = (tombstones || marker_for_empty_txn) && !horizon;
    if (write_original && !set_horizon) {
      out_.insert(out_.end(), batch.bytes().begin(), batch.bytes().end());
      ++result_.batches_copied;
      return {};
    }
    std::optional<int64_t> new_horizon = set_horizon ? saturating_add(now_, config_.delete_retention_ms) : horizon;
    if (auto err = append_rebuilt_batch(batch, kept_, new_horizon, records_scratch_, body_scratch_, out_)) {
      return Status(ErrorCode::kafka_storage_error,
                    "could not rebuild the batch at offset " + std::to_string(h.base_offset) + ": " + *err);
    }
    ++result_.batches_rebuilt;
  } else if (retain_empty) {
    append_empty_batch(batch, out_);
    ++result_.batches_emptied;
  } else {
    ++result_.batches_removed;
  }
  return {};
}


Status OffsetMap::reset(size_t memory_bytes, uint64_t expected_keys, double load_factor) {
  if (!(load_factor > 0 && load_factor <= 1)) {
    return Status(ErrorCode::invalid_config, "the offset map's load factor must be in (0, 1]");
  }
  size_t max_slots = memory_bytes / kBytesPerEntry;
  double wanted = static_cast<double>(expected_keys) / load_factor + 64;
  size_t slots = wanted < static_cast<double>(max_slots) ? static_cast<size_t>(wanted) : max_slots;
  slots = largest_prime_at_most(slots);
  size_t max_entries = static_cast<size_t>(static_cast<double>(slots) * load_factor);
  if (slots < 2 || max_entries < 1) {
    return Status(ErrorCode::invalid_config,
                  "an offset map of " + std::to_string(memory_bytes) +
                      " bytes cannot hold a single key: raise log.cleaner.dedupe.buffer.size");
  }
  table_.assign(slots, Slot{0, 0, -1});
  entries_ = 0;
  max_entries_ = max_entries;
  latest_ = -1;
  seed_ = fresh_seed();
  return {};
}

void OffsetMap::put(BytesView key, int64_t offset) {
  if (table_.empty()) return;
  XXH128_hash_t h = XXH3_128bits_withSeed(key.data(), key.size(), seed_);
  // Double hashing over a prime number of slots visits every slot.
  const size_t n = table_.size();
  size_t pos = static_cast<size_t>(h.low64 % n);
  const size_t step = 1 + static_cast<size_t>(h.high64 % (n - 1));
  for (size_t attempt = 0; attempt < n; ++attempt) {
    Slot& s = table_[pos];
    if (s.offset < 0) {
      s = Slot{h.low64, h.high64, offset};
      ++entries_;
      latest_ = offset;
      return;
    }
    if (s.low == h.low64 && s.high == h.high64) {
      s.offset = offset;
      latest_ = offset;
      return;
    }
    pos += step;
    if (pos >= n) pos -= n;
  }
}

int64_t OffsetMap::get(BytesView key) const {
  if (table_.empty()) return -1;
  XXH128_hash_t h = XXH3_128bits_withSeed(key.data(), key.size(), seed_);
  const size_t n = table_.size();
  size_t pos = static_cast<size_t>(h.low64 % n);
  const size_t step = 1 + static_cast<size_t>(h.high64 % (n - 1));
  for (size_t attempt = 0; attempt < n; ++attempt) {
    const Slot& s = table_[pos];
    if (s.offset < 0) return -1;
    if (s.low == h.low64 && s.high == h.high64) return s.offset;
    pos += step;
    if (pos >= n) pos -= n;
  }
  return -1;
}

StatusOr<CleanableRange> cleanable(Log& log, std::optional<int64_t> first_dirty_offset, int64_t now_ms,
                                   std::optional<int64_t> first_unstable_offset) {
  if (Status s = learn_dirty_timestamps(log, first_dirty_offset); !s.ok()) return s;
  return compute_range(log, snapshot(log), first_dirty_offset, now_ms, first_unstable_offset);
}

CleaningPass::CleaningPass(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CleaningPass::~CleaningPass() = default;

StatusOr<std::unique_ptr<CleaningPass>> CleaningPass::start(Log& log, const CleanerOptions& options, int64_t now_ms,
                                                            OffsetMap& map, Bytes& scratch) {
  auto impl = std::make_unique<Impl>(log, options, now_ms, map, scratch);
  if (Status s = impl->plan(); !s.ok()) return s;
  return std::unique_ptr<CleaningPass>(new CleaningPass(std::move(impl)));
}

bool CleaningPass::done() const { return impl_->done(); }
bool CleaningPass::background_next() const { return impl_->background_next(); }
Status CleaningPass::run_background_step() { return impl_->run_background_step(); }
Status CleaningPass::run_owner_step() { return impl_->run_owner_step(); }
void CleaningPass::cancel() { impl_->cancel(); }
bool CleaningPass::cancelled() const { return impl_->cancelled(); }
void CleaningPass::abandon() { impl_->abandon(); }
const CleanResult& CleaningPass::result() const { return impl_->result(); }

StatusOr<std::unique_ptr<CleaningPass>> LogCleaner::start(Log& log, const CleanerOptions& options, int64_t now_ms) {
  return CleaningPass::start(log, options, now_ms, map_, scratch_);
}

StatusOr<CleanResult> LogCleaner::clean(Log& log, const CleanerOptions& options, int64_t now_ms) {
  auto pass = start(log, options, now_ms);
  if (!pass.ok()) return pass.status();
  CleaningPass& p = **pass;
  while (!p.done()) {
    Status s = p.background_next() ? p.run_background_step() : p.run_owner_step();
    if (!s.ok()) {
      p.abandon();
      return s;
    }
  }
  return p.result();
}

StatusOr<CleanResult> clean_log(Log& log, const CleanerOptions& options, int64_t now_ms) {
  LogCleaner cleaner;
  return cleaner.clean(log, options, now_ms);
}

}  // namespace gregor::storage
