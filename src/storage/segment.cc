#include "storage/segment.h"

#include <algorithm>
#include <cinttypes>
#include <climits>
#include <cstdio>

#include "common/endian.h"
#include "record/record.h"
#include "record/record_batch.h"

namespace gregor::storage {

namespace v2 = record::v2;

namespace {
// Bound on a compressed batch's inflated size when searching it for a timestamp.
constexpr size_t kMaxInflatedBatch = 256u << 20;
}  // namespace

std::string Segment::file_stem(int64_t base_offset) {
  char name[32];
  std::snprintf(name, sizeof name, "%020" PRId64, base_offset);
  return name;
}

std::string Segment::log_path(const std::string& dir, int64_t base_offset, const std::string& suffix) {
  return join_path(dir, file_stem(base_offset) + ".log" + suffix);
}

std::string Segment::path_of(const char* extension, const std::string& suffix) const {
  return join_path(dir_, file_stem(base_offset_) + extension + suffix);
}

Segment::Segment(FileSystem& fs, std::string dir, int64_t base_offset, const SegmentOptions& options,
                 std::string suffix, int64_t now_ms, FileCache* file_cache)
    : fs_(fs),
      dir_(std::move(dir)),
      base_offset_(base_offset),
      options_(options),
      suffix_(std::move(suffix)),
      offset_index_(fs, path_of(".index", suffix_), base_offset, options.index_bytes, file_cache),
      time_index_(fs, path_of(".timeindex", suffix_), base_offset, options.index_bytes, file_cache),
      next_offset_(base_offset),
      created_ms_(now_ms) {}

Segment::~Segment() = default;

StatusOr<std::unique_ptr<Segment>> Segment::create(FileSystem& fs, const std::string& dir, int64_t base_offset,
                                                   const SegmentOptions& options, int64_t now_ms,
                                                   const std::string& suffix, FileCache* file_cache) {
  std::unique_ptr<Segment> s(new Segment(fs, dir, base_offset, options, suffix, now_ms, file_cache));
  s->log_ = std::make_shared<LazyFile>(fs, s->path_of(".log", suffix), OpenMode::create, file_cache);
  // Opens (creating) the file; a leftover from an earlier failed roll is replaced.
  if (Status st = s->log_->truncate(0); !st.ok()) return st;
  if (Status st = s->offset_index_.create(); !st.ok()) return st;
  if (Status st = s->time_index_.create(); !st.ok()) return st;
  s->tail_loaded_ = true;
  return s;
}

StatusOr<std::unique_ptr<Segment>> Segment::open(FileSystem& fs, const std::string& dir, int64_t base_offset,
                                                 const SegmentOptions& options, int64_t now_ms,
                                                 const std::string& suffix, FileCache* file_cache) {
  std::unique_ptr<Segment> s(new Segment(fs, dir, base_offset, options, suffix, now_ms, file_cache));
  std::string path = s->path_of(".log", suffix);
  {
    // Only the size now; the descriptor is opened when the segment is first used.
    auto probe = fs.open(path, OpenMode::read_write);
    if (!probe.ok()) return probe.status();
    auto size = (*probe)->size();
    if (!size.ok()) return size.status();
    s->size_ = *size;
  }
  s->log_ = std::make_shared<LazyFile>(fs, path, OpenMode::read_write, file_cache);
  return s;
}

Status Segment::scan_tail(uint64_t from) {
  SegmentScanner scan(log_, from, size_, 16 * 1024);
  BatchInfo b;
  bool first = true;
  while (scan.next(b)) {
    if (first && b.position == 0) first_batch_timestamp_ = b.max_timestamp;
    first = false;
    next_offset_ = b.last_offset + 1;
    if (b.max_timestamp > max_timestamp_) {
      max_timestamp_ = b.max_timestamp;
      offset_of_max_timestamp_ = b.last_offset;
    }
    bytes_since_index_entry_ += b.size;
  }
  if (scan.end() != SegmentScanner::End::clean) {
    if (!scan.status().ok()) return scan.status();
    return Status(ErrorCode::corrupt_message,
                  "segment " + log_->path() + " ends in a partial batch at byte " + std::to_string(scan.position()));
  }
  return {};
}

Status Segment::load_tail() {
  if (Status s = offset_index_.load(); !s.ok()) return s;
  if (Status s = time_index_.load(); !s.ok()) return s;
  auto last = offset_index_.last_entry();
  if (last && last->position >= size_) {
    return Status(ErrorCode::kafka_storage_error, "corrupt index " + offset_index_.file().path() +
                                                      ": last entry points past the end of the log");
  }
  next_offset_ = last ? last->offset + 1 : base_offset_;
  if (auto t = time_index_.last_entry()) {
    max_timestamp_ = t->timestamp;
    offset_of_max_timestamp_ = t->offset;
  }
  bytes_since_index_entry_ = 0;
  if (size_ > 0 && last) {
    // The first batch's timestamp, which segment.ms counts from.
    SegmentScanner first(log_, 0, size_, v2::kHeaderSize);
    BatchInfo b;
    if (first.next(b)) first_batch_timestamp_ = b.max_timestamp;
  }
  if (Status s = scan_tail(last ? last->position : 0); !s.ok()) return s;
  tail_loaded_ = true;
  return {};
}

void Segment::index_batch(const BatchInfo& b) {
  if (b.max_timestamp > max_timestamp_) {
    max_timestamp_ = b.max_timestamp;
    offset_of_max_timestamp_ = b.last_offset;
  }
  if (bytes_since_index_entry_ > static_cast<uint64_t>(options_.index_interval_bytes)) {
    offset_index_.append(b.last_offset, static_cast<uint32_t>(b.position));
    time_index_.maybe_append(max_timestamp_, offset_of_max_timestamp_);
    bytes_since_index_entry_ = 0;
  }
  bytes_since_index_entry_ += b.size;
  next_offset_ = b.last_offset + 1;
}

StatusOr<Segment::Recovery> Segment::recover(const std::function<void(const BatchInfo&)>& on_batch) {
  if (Status s = offset_index_.create(); !s.ok()) return s;
  if (Status s = time_index_.create(); !s.ok()) return s;
  auto file_size = log_->size();
  if (!file_size.ok()) return file_size.status();
  max_timestamp_ = -1;
  offset_of_max_timestamp_ = -1;
  first_batch_timestamp_ = -1;
  bytes_since_index_entry_ = 0;
  next_offset_ = base_offset_;

  Recovery result;
  SegmentScanner scan(log_, 0, *file_size, 1 << 20);
  scan.set_verify(true);
  BatchInfo b;
  while (scan.next(b)) {
    if (b.base_offset < next_offset_ || b.last_offset - base_offset_ > INT32_MAX) {
      result.reason = "batch at byte " + std::to_string(b.position) + " has offsets " + std::to_string(b.base_offset) +
                      ".." + std::to_string(b.last_offset) + ", out of order after " + std::to_string(next_offset_ - 1);
      break;
    }
    if (b.position == 0) first_batch_timestamp_ = b.max_timestamp;
    index_batch(b);
    result.valid_bytes = b.position + b.size;
    if (on_batch) on_batch(b);
  }
  if (result.reason.empty()) {
    if (scan.end() == SegmentScanner::End::torn) {
      result.reason = "partial batch at byte " + std::to_string(scan.position());
    } else if (scan.end() == SegmentScanner::End::corrupt) {
      if (!scan.status().ok() && scan.status().code() == ErrorCode::kafka_storage_error) return scan.status();
      result.reason = scan.status().message();
    }
  }
  result.truncated_bytes = *file_size - result.valid_bytes;
  if (result.truncated_bytes > 0) {
    if (Status s = log_->truncate(result.valid_bytes); !s.ok()) return s;
  }
  size_ = result.valid_bytes;
  time_index_.maybe_append(max_timestamp_, offset_of_max_timestamp_, true);
  tail_loaded_ = true;
  return result;
}

Status Segment::append(BytesView batches) {
  if (batches.empty()) return {};
  if (Status s = log_->write_at(size_, batches); !s.ok()) return s;
  if (size_ == 0) first_batch_timestamp_ = -1;
  size_t pos = 0;
  while (pos + v2::kHeaderSize <= batches.size()) {
    const uint8_t* p = batches.data() + pos;
    BatchInfo b;
    b.position = size_ + pos;
    b.size = static_cast<uint32_t>(load_be<int32_t>(p + v2::kBatchLength) + v2::kLogOverhead);
    b.base_offset = load_be<int64_t>(p);
    b.last_offset = b.base_offset + load_be<int32_t>(p + v2::kLastOffsetDelta);
    b.max_timestamp = load_be<int64_t>(p + v2::kMaxTimestamp);
    if (b.position == 0) first_batch_timestamp_ = b.max_timestamp;
    index_batch(b);
    pos += b.size;
  }
  size_ += batches.size();
  return {};
}

Status Segment::discard_unwritten() { return log_->truncate(size_); }

StatusOr<std::optional<BatchLocation>> Segment::translate_offset(int64_t offset, uint64_t start) {
  auto hint = offset_index_.lookup(offset);
  if (!hint.ok()) return hint.status();
  SegmentScanner scan(log_, std::max<uint64_t>(start, hint->position), size_, 8 * 1024);
  BatchInfo b;
  while (scan.next(b)) {
    if (b.last_offset >= offset) return std::optional<BatchLocation>(BatchLocation{b.base_offset, b.last_offset, b.position, b.size});
  }
  if (!scan.status().ok()) return scan.status();
  return std::optional<BatchLocation>();
}

StatusOr<uint64_t> Segment::position_of(int64_t offset) {
  if (tail_loaded_ && offset >= next_offset_) return size_;
  auto loc = translate_offset(offset);
  if (!loc.ok()) return loc.status();
  return loc->has_value() ? (*loc)->position : size_;
}

StatusOr<std::optional<FileSlice>> Segment::read(int64_t start_offset, uint32_t max_bytes, uint64_t max_position,
                                                 bool min_one) {
  auto loc = translate_offset(start_offset);
  if (!loc.ok()) return loc.status();
  if (!loc->has_value()) return std::optional<FileSlice>();
  const BatchLocation& first = **loc;
  uint64_t end_limit = std::min<uint64_t>(max_position, size_);
  auto file = log_->pin();
  if (!file.ok()) return file.status();
  if (first.position >= end_limit) return std::optional<FileSlice>(FileSlice{*file, first.position, 0});
  uint64_t budget = min_one ? std::max<uint64_t>(max_bytes, first.size) : max_bytes;
  uint64_t limit = std::min<uint64_t>(end_limit, first.position + budget);
  uint64_t end = limit;
  if (limit < end_limit) {
    // Cut at the last batch boundary within the limit: jump with the index (its entries are
    // batch starts, in position order), then step over the few batches after the entry.
    uint64_t from = first.position;
    if (Status s = offset_index_.load(); !s.ok()) return s;
    size_t n = offset_index_.file().prefix_length([&](size_t i) { return offset_index_.entry(i).position <= limit; });
    if (n > 0) from = std::max<uint64_t>(from, offset_index_.entry(n - 1).position);
    end = from;
    SegmentScanner scan(log_, from, size_, 8 * 1024);
    BatchInfo b;
    while (scan.next(b) && b.position + b.size <= limit) end = b.position + b.size;
    if (!scan.status().ok()) return scan.status();
  }
  return std::optional<FileSlice>(FileSlice{*file, first.position, static_cast<uint32_t>(end - first.position)});
}

StatusOr<std::optional<TimestampAndOffset>> Segment::find_offset_by_timestamp(int64_t timestamp,
                                                                              int64_t start_offset) {
  auto entry = time_index_.lookup(timestamp);
  if (!entry.ok()) return entry.status();
  auto hint = offset_index_.lookup(std::max(entry->offset, start_offset));
  if (!hint.ok()) return hint.status();
  SegmentScanner scan(log_, hint->position, size_, 64 * 1024);
  record::RecordReader reader(kMaxInflatedBatch);
  BatchInfo b;
  while (scan.next(b)) {
    if (b.max_timestamp < timestamp || b.last_offset < start_offset) continue;
    auto bytes = scan.batch_bytes();
    if (!bytes.ok()) return bytes.status();
    auto batch = record::RecordBatchView::parse(*bytes);
    if (!batch.ok()) return Status(ErrorCode::corrupt_message, batch.error().to_string());
    if (auto err = reader.open(*batch)) return Status(ErrorCode::corrupt_message, err->to_string());
    record::Record r;
    while (reader.next(r)) {
      if (r.timestamp >= timestamp && r.offset >= start_offset) {
        return std::optional<TimestampAndOffset>(TimestampAndOffset{r.timestamp, r.offset, b.leader_epoch});
      }
    }
    if (!reader.ok()) return Status(ErrorCode::corrupt_message, reader.error().to_string());
  }
  if (!scan.status().ok()) return scan.status();
  return std::optional<TimestampAndOffset>();
}

StatusOr<uint64_t> Segment::truncate_to(int64_t offset) {
  auto loc = translate_offset(offset);
  if (!loc.ok()) return loc.status();
  if (Status s = offset_index_.truncate_to(offset); !s.ok()) return s;
  if (Status s = time_index_.truncate_to(offset); !s.ok()) return s;
  if (!loc->has_value()) return uint64_t{0};
  uint64_t position = (*loc)->position;
  if (Status s = log_->truncate(position); !s.ok()) return s;
  uint64_t removed = size_ - position;
  size_ = position;
  // Relearn the tail from what the indexes still say.
  next_offset_ = base_offset_;
  max_timestamp_ = -1;
  offset_of_max_timestamp_ = -1;
  bytes_since_index_entry_ = 0;
  if (size_ == 0) first_batch_timestamp_ = -1;
  auto last = offset_index_.last_entry();
  if (last) next_offset_ = last->offset + 1;
  if (auto t = time_index_.last_entry()) {
    max_timestamp_ = t->timestamp;
    offset_of_max_timestamp_ = t->offset;
  }
  if (Status s = scan_tail(last ? last->position : 0); !s.ok()) return s;
  tail_loaded_ = true;
  return removed;
}

bool Segment::should_roll(uint64_t incoming_bytes, int64_t max_offset, int64_t max_timestamp, int64_t now_ms,
                          int64_t segment_bytes, int64_t segment_ms, int64_t jitter_ms) const {
  int64_t waited = first_batch_timestamp_ >= 0 ? max_timestamp - first_batch_timestamp_ : now_ms - created_ms_;
  return static_cast<int64_t>(size_) > segment_bytes - static_cast<int64_t>(incoming_bytes) ||
         (size_ > 0 && waited > segment_ms - jitter_ms) || offset_index_.full() || time_index_.full() ||
         max_offset - base_offset_ > INT32_MAX;
}

void Segment::on_become_inactive() { time_index_.maybe_append(max_timestamp_, offset_of_max_timestamp_, true); }

Status Segment::flush_indexes() {
  if (Status s = offset_index_.file().flush(); !s.ok()) return s;
  return time_index_.file().flush();
}

Status Segment::sync_log() { return log_->sync(); }

Status Segment::sync_all() {
  if (Status s = flush_indexes(); !s.ok()) return s;
  if (Status s = log_->sync(); !s.ok()) return s;
  if (Status s = offset_index_.file().sync(); !s.ok()) return s;
  return time_index_.file().sync();
}

void Segment::unload_indexes() {
  offset_index_.file().unload();
  time_index_.file().unload();
}

Status Segment::change_suffix(const std::string& suffix) {
  if (Status s = flush_indexes(); !s.ok()) return s;
  struct Part {
    const char* extension;
    IndexFile* index;
  } parts[] = {{".log", nullptr}, {".index", &offset_index_.file()}, {".timeindex", &time_index_.file()}};
  for (const Part& part : parts) {
    std::string from = path_of(part.extension, suffix_);
    std::string to = path_of(part.extension, suffix);
    if (part.index && !fs_.exists(from)) {
      part.index->set_path(to);
      continue;
    }
    // Through the files, which reopen under their new names after the file cache closes them.
    if (Status s = part.index ? part.index->rename(to) : log_->rename(to); !s.ok()) return s;
  }
  suffix_ = suffix;
  return {};
}

Status Segment::delete_files() {
  for (const char* extension : {".log", ".index", ".timeindex"}) {
    std::string path = path_of(extension, suffix_);
    if (!fs_.exists(path)) continue;
    if (Status s = fs_.remove(path); !s.ok()) return s;
  }
  return {};
}

Status Segment::close() {
  Status s = flush_indexes();
  offset_index_.file().close();
  time_index_.file().close();
  return s;
}

}  // namespace gregor::storage
