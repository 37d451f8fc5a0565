#include "storage/dump.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <limits>
#include <optional>

#include "common/endian.h"
#include "record/control_record.h"
#include "record/record.h"
#include "record/record_batch.h"
#include "storage/offset_index.h"
#include "storage/producer_state.h"
#include "storage/segment_scanner.h"
#include "storage/time_index.h"

namespace gregor::storage {

namespace {

// Bound on one decompressed batch. The dump reads local files an operator chose, so this only
// guards against a nonsensical size; the reader's buffer grows only as far as the data needs.
constexpr size_t kMaxDecompressed = size_t{1} << 30;

// Index sizes are not capped for a dump: segment.index.bytes belongs to the topic, not the file.
constexpr size_t kUnboundedIndex = std::numeric_limits<size_t>::max();

const char* bool_name(bool b) { return b ? "true" : "false"; }

// Kafka's TimestampType names.
const char* timestamp_type_name(record::TimestampType type) {
  switch (type) {
    case record::TimestampType::create_time:
      return "CreateTime";
    case record::TimestampType::log_append_time:
      return "LogAppendTime";
    case record::TimestampType::none:
      break;
  }
  return "NoTimestampType";
}

// Kafka's ControlRecordType names.
const char* control_type_name(int16_t id) {
  switch (id) {
    case 0:
      return "ABORT";
    case 1:
      return "COMMIT";
    case 2:
      return "LEADER_CHANGE";
    case 3:
      return "SNAPSHOT_HEADER";
    case 4:
      return "SNAPSHOT_FOOTER";
    case 5:
      return "KRAFT_VERSION";
    case 6:
      return "KRAFT_VOTERS";
    default:
      return "UNKNOWN";
  }
}

int64_t wrapping_next(int64_t offset) { return static_cast<int64_t>(static_cast<uint64_t>(offset) + 1); }

// "00000000000000000042.index" -> "00000000000000000042" (up to the first dot, as Kafka splits).
std::string stem_of(const std::string& path) {
  std::string name = file_name(path);
  return name.substr(0, name.find('.'));
}

// The base offset a segment file's name carries.
StatusOr<int64_t> base_offset_of(const std::string& path) {
  std::string stem = stem_of(path);
  int64_t value = 0;
  const char* begin = stem.data();
  const char* end = stem.data() + stem.size();
  if (begin != end && *begin == '+') ++begin;  // Long.parseLong takes a sign
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (begin == end || ec != std::errc() || ptr != end) {
    return Status(ErrorCode::invalid_request, "cannot dump " + path + ": \"" + stem +
                                                  "\" is not a base offset (segment files are named "
                                                  "<base offset>.log, .index, .timeindex)");
  }
  return value;
}

// Kafka keys its findings by File.getAbsolutePath(): made absolute, not normalized.
std::string absolute_path(const std::string& path) {
  if (!path.empty() && path.front() == '/') return path;
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  return ec ? path : abs.string();
}

template <typename V>
V& findings_for(std::vector<std::pair<std::string, V>>& per_file, const std::string& path) {
  for (auto& [file, findings] : per_file) {
    if (file == path) return findings;
  }
  return per_file.emplace_back(path, V{}).second;
}

Status corrupt(const std::string& path, uint64_t position, const std::string& what) {
  return Status(ErrorCode::corrupt_message,
                "batch at position " + std::to_string(position) + " of " + path + ": " + what);
}

// The scanner's stop reason, when it is an I/O failure rather than the bytes it read.
Status io_failure(const SegmentScanner& scanner) {
  if (scanner.end() == SegmentScanner::End::corrupt && scanner.status().code() != ErrorCode::corrupt_message) {
    return scanner.status();
  }
  return {};
}

// The entries of an index file as Kafka maps a read-only index: whole entries only, a trailing
// partial entry ignored. Read raw, so that a corrupt index, which is what the tool is for,
// still dumps (OffsetIndex::load would refuse it).
StatusOr<Bytes> read_index(FileSystem& fs, const std::string& path, size_t entry_size) {
  auto raw = read_file(fs, path);
  if (!raw.ok()) return raw.status();
  raw->resize(raw->size() / entry_size * entry_size);
  return raw;
}

struct RawOffsetEntry {
  int64_t offset;
  int32_t position;
};

RawOffsetEntry offset_entry(const Bytes& raw, size_t i, int64_t base_offset) {
  const uint8_t* p = raw.data() + i * OffsetIndex::kEntrySize;
  return {base_offset + load_be<int32_t>(p), load_be<int32_t>(p + 4)};
}

// Kafka's OffsetIndex.lookup: the position of the last entry with offset <= target, by binary
// search, or 0 when there is none.
int32_t lookup_position(const Bytes& raw, int64_t base_offset, int64_t target) {
  size_t n = raw.size() / OffsetIndex::kEntrySize;
  if (n == 0 || offset_entry(raw, 0, base_offset).offset > target) return 0;
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    size_t mid = (lo + hi + 1) / 2;
    int64_t found = offset_entry(raw, mid, base_offset).offset;
    if (found > target) {
      hi = mid - 1;
    } else if (found < target) {
      lo = mid;
    } else {
      return offset_entry(raw, mid, base_offset).position;
    }
  }
  return offset_entry(raw, lo, base_offset).position;
}

}  // namespace

std::string decode_utf8_lossy(std::string_view s) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    int need = 0;
    uint8_t lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;  // no overlong forms
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;  // no overlong forms
      if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t j = i + 1;
    int got = 0;
    while (got < need && j < s.size()) {
      auto d = static_cast<uint8_t>(s[j]);
      bool fits = got == 0 ? (d >= lo && d <= hi) : (d >= 0x80 && d <= 0xBF);
      if (!fits) break;
      ++j;
      ++got;
    }
    if (got == need) {
      out.append(s.substr(i, j - i));
    } else {
      out += kReplacement;  // one for the whole maximal subpart
    }
    i = j;
  }
  return out;
}

LogDumper::LogDumper(FileSystem& fs, DumpOptions options, std::ostream& out, std::ostream& err)
    : fs_(fs), options_(options), out_(out), err_(err) {}

Status LogDumper::dump(const std::string& path) {
  out_ << "Dumping " << path << '\n';
  std::string name = file_name(path);
  size_t dot = name.rfind('.');
  std::string suffix = dot == std::string::npos ? std::string() : name.substr(dot);
  if (suffix == ".log") return dump_log(path);
  if (suffix == ".index") return dump_offset_index(path);
  if (suffix == ".timeindex") return dump_time_index(path);
  if (suffix == ".snapshot") return dump_producer_snapshot(path);
  err_ << "Ignoring unknown file " << path << '\n';
  return {};
}

Status LogDumper::dump_producer_snapshot(const std::string& path) {
  auto bytes = read_file(fs_, path);
  if (!bytes.ok()) return bytes.status();
  auto entries = decode_producer_snapshot(*bytes);
  if (!entries.ok()) {
    err_ << entries.status().message() << '\n';
    return {};
  }
  for (const ProducerSnapshotEntry& e : *entries) {
    out_ << "producerId: " << e.producer_id << " producerEpoch: " << e.producer_epoch
         << " coordinatorEpoch: " << e.coordinator_epoch << " currentTxnFirstOffset: "
         << (e.current_txn_first_offset >= 0 ? "OptionalLong[" + std::to_string(e.current_txn_first_offset) + "]"
                                             : std::string("OptionalLong.empty"))
         << " lastTimestamp: " << e.timestamp << ' ';
    if (e.last_offset >= 0) {
      out_ << "firstSequence: " << decrement_sequence(e.last_sequence, e.offset_delta)
           << " lastSequence: " << e.last_sequence << " lastOffset: " << e.last_offset
           << " offsetDelta: " << e.offset_delta << " timestamp: " << e.timestamp;
    }
    out_ << '\n';
  }
  return {};
}

Status LogDumper::dump_log(const std::string& path) {
  auto start = base_offset_of(path);
  if (!start.ok()) return start.status();
  out_ << "Log starting offset: " << *start << '\n';
  if (options_.max_bytes < 0) {
    return Status(ErrorCode::invalid_request, "invalid max bytes " + std::to_string(options_.max_bytes));
  }
  auto file = fs_.open(path, OpenMode::read_only);
  if (!file.ok()) return file.status();
  auto size = (*file)->size();
  if (!size.ok()) return size.status();
  uint64_t limit = std::min<uint64_t>(*size, static_cast<uint64_t>(options_.max_bytes));

  const bool print_data = options_.print_data_log;
  const bool deep = options_.deep_iteration || print_data;
  const std::string abs = absolute_path(path);
  SegmentScanner scanner(*file, 0, limit);
  record::RecordReader reader(kMaxDecompressed);
  uint64_t valid_bytes = 0;
  int64_t last_offset = -1;
  BatchInfo info;
  while (scanner.next(info)) {
    auto bytes = scanner.batch_bytes();
    if (!bytes.ok()) return bytes.status();
    auto parsed = record::RecordBatchView::parse(*bytes, info.position);
    if (!parsed.ok()) break;  // an unknown codec or a negative count: the valid bytes end here
    const record::RecordBatchView& batch = *parsed;
    std::optional<int64_t> horizon = batch.delete_horizon_ms();
    const char* timestamp_type = timestamp_type_name(batch.timestamp_type());
    int32_t last_sequence =
        batch.base_sequence() == -1 ? -1 : increment_sequence(batch.base_sequence(), batch.last_offset_delta());
    out_ << "baseOffset: " << batch.base_offset() << " lastOffset: " << batch.last_offset()
         << " count: " << batch.record_count() << " baseSequence: " << batch.base_sequence()
         << " lastSequence: " << last_sequence << " producerId: " << batch.producer_id()
         << " producerEpoch: " << batch.producer_epoch() << " partitionLeaderEpoch: " << batch.partition_leader_epoch()
         << " isTransactional: " << bool_name(batch.is_transactional())
         << " isControl: " << bool_name(batch.is_control()) << " deleteHorizonMs: "
         << (horizon ? "OptionalLong[" + std::to_string(*horizon) + "]" : std::string("OptionalLong.empty"))
         << " position: " << valid_bytes << ' ' << timestamp_type << ": " << batch.max_timestamp()
         << " size: " << batch.bytes().size() << " magic: " << static_cast<int>(batch.magic())
         << " compresscodec: " << record::compression_name(batch.compression()) << " crc: " << batch.crc()
         << " isvalid: " << bool_name(!batch.verify_crc()) << '\n';

    if (deep) {
      if (auto err = reader.open(batch)) return corrupt(path, info.position, err->to_string());
      record::Record r;
      while (reader.next(r)) {
        if (r.offset != wrapping_next(last_offset)) findings_for(non_consecutive_, abs)[last_offset] = r.offset;
        last_offset = r.offset;
        if (!options_.skip_record_metadata) {
          int32_t offset_delta = static_cast<int32_t>(static_cast<uint64_t>(r.offset - batch.base_offset()));
          int32_t sequence = batch.base_sequence() >= 0 ? increment_sequence(batch.base_sequence(), offset_delta) : -1;
          out_ << "| offset: " << r.offset << ' ' << timestamp_type << ": " << r.timestamp
               << " keySize: " << (r.key ? static_cast<int64_t>(r.key->size()) : -1)
               << " valueSize: " << (r.value ? static_cast<int64_t>(r.value->size()) : -1)
               << " sequence: " << sequence << " headerKeys: [";
          bool first = true;
          for (const record::Header& h : r.headers) {
            if (!first) out_ << ',';
            first = false;
            out_ << decode_utf8_lossy(h.key);
          }
          out_ << ']';
          if (batch.is_control()) {
            if (!r.key) return corrupt(path, info.position, "control record without a key");
            auto type = record::parse_control_key(*r.key);
            if (!type.ok()) return corrupt(path, info.position, "control record key " + type.error().to_string());
            auto id = static_cast<int16_t>(*type);
            if (*type == record::ControlRecordType::abort || *type == record::ControlRecordType::commit) {
              if (!r.value) return corrupt(path, info.position, "transaction marker without a value");
              auto marker = record::parse_end_txn_marker(*r.key, *r.value);
              if (!marker.ok()) {
                return corrupt(path, info.position, "transaction marker " + marker.error().to_string());
              }
              out_ << " endTxnMarker: " << control_type_name(id)
                   << " coordinatorEpoch: " << marker->coordinator_epoch;
            } else {
              out_ << " controlType: " << control_type_name(id) << '(' << id << ')';
            }
          }
        }
        if (print_data && !batch.is_control()) {
          ParsedRecord parsed;
          if (options_.parser) {
            auto decoded = options_.parser(r);
            if (!decoded.ok()) return decoded.status();
            parsed = std::move(*decoded);
          } else {
            if (r.key) parsed.key = decode_utf8_lossy(r.key->as_chars());
            if (r.value) parsed.value = decode_utf8_lossy(r.value->as_chars());
          }
          const char* prefix = options_.skip_record_metadata ? "| " : " ";
          if (parsed.key) {
            out_ << prefix << "key: " << *parsed.key;
            prefix = " ";
          }
          if (parsed.value) out_ << prefix << "payload: " << *parsed.value;
        }
        out_ << '\n';
      }
      if (!reader.ok()) return corrupt(path, info.position, reader.error().to_string());
    }
    valid_bytes += info.size;
  }
  if (Status s = io_failure(scanner); !s.ok()) return s;

  uint64_t trailing = limit - valid_bytes;
  if (trailing > 0 && options_.max_bytes == INT32_MAX) {
    out_ << "Found " << trailing << " invalid bytes at the end of " << file_name(path) << '\n';
  }
  return {};
}

Status LogDumper::dump_offset_index(const std::string& path) {
  auto base = base_offset_of(path);
  if (!base.ok()) return base.status();
  if (options_.max_message_size < 0) {
    return Status(ErrorCode::invalid_request,
                  "invalid max message size " + std::to_string(options_.max_message_size));
  }
  // As Kafka's tool, the segment's .log must be there: every entry is checked against it.
  auto log = fs_.open(join_path(parent_path(path), stem_of(path) + ".log"), OpenMode::read_only);
  if (!log.ok()) return log.status();
  auto raw = read_index(fs_, path, OffsetIndex::kEntrySize);
  if (!raw.ok()) return raw.status();
  size_t entries = raw->size() / OffsetIndex::kEntrySize;
  if (entries == 0) {
    out_ << path << " is empty.\n";
    return {};
  }
  if (options_.index_sanity_check) {
    OffsetIndex index(fs_, path, *base, kUnboundedIndex);
    if (Status s = index.load(); !s.ok()) return s;
    out_ << path << " passed sanity check.\n";
    return {};
  }

  auto log_size = (*log)->size();
  if (!log_size.ok()) return log_size.status();
  const std::string abs = absolute_path(path);
  for (size_t i = 0; i < entries; ++i) {
    RawOffsetEntry entry = offset_entry(*raw, i, *base);
    // A preallocated index left by a crash ends in zeros: the first zero entry ends it.
    if (entry.offset == *base && i > 0) return {};
    // The last offset of the batch at the entry's position; -1 when no whole batch is there.
    int64_t found = -1;
    if (entry.position >= 0 && static_cast<uint64_t>(entry.position) <= *log_size) {
      auto position = static_cast<uint64_t>(entry.position);
      uint64_t limit = std::min<uint64_t>(*log_size, position + static_cast<uint64_t>(options_.max_message_size));
      SegmentScanner scanner(*log, position, limit);
      BatchInfo info;
      if (scanner.next(info)) {
        found = info.last_offset;
      } else if (Status s = io_failure(scanner); !s.ok()) {
        return s;
      }
    }
    if (found != entry.offset) findings_for(index_mismatches_, abs)[entry.offset] = found;
    if (!options_.verify_index_only) out_ << "offset: " << entry.offset << " position: " << entry.position << '\n';
  }
  return {};
}

Status LogDumper::dump_time_index(const std::string& path) {
  auto base = base_offset_of(path);
  if (!base.ok()) return base.status();
  std::string dir = parent_path(path);
  std::string stem = stem_of(path);
  auto log = fs_.open(join_path(dir, stem + ".log"), OpenMode::read_only);
  if (!log.ok()) return log.status();
  // The offset index only speeds up finding an entry's batch; without one the search starts
  // at the beginning of the .log.
  Bytes offsets;
  std::string index_path = join_path(dir, stem + ".index");
  if (fs_.exists(index_path)) {
    auto raw = read_index(fs_, index_path, OffsetIndex::kEntrySize);
    if (!raw.ok()) return raw.status();
    offsets = std::move(*raw);
  }
  if (options_.index_sanity_check) {
    if (!fs_.exists(path)) return io_error("open", path, ENOENT);  // load() would create it
    TimeIndex index(fs_, path, *base, kUnboundedIndex);
    if (Status s = index.load(); !s.ok()) return s;
    out_ << path << " passed sanity check.\n";
    return {};
  }
  auto raw = read_index(fs_, path, TimeIndex::kEntrySize);
  if (!raw.ok()) return raw.status();
  auto log_size = (*log)->size();
  if (!log_size.ok()) return log_size.status();

  const std::string abs = absolute_path(path);
  record::RecordReader reader(kMaxDecompressed);
  int64_t previous_timestamp = record::kNoTimestamp;
  size_t entries = raw->size() / TimeIndex::kEntrySize;
  for (size_t i = 0; i < entries; ++i) {
    const uint8_t* p = raw->data() + i * TimeIndex::kEntrySize;
    int64_t timestamp = load_be<int64_t>(p);
    int64_t offset = *base + load_be<int32_t>(p + 8);
    if (offset == *base && i > 0) return {};  // the zeros of a preallocated index

    // The entry's batch: the first whose last offset reaches the entry's offset.
    int32_t position = lookup_position(offsets, *base, offset);
    std::optional<BatchInfo> batch_info;
    Bytes batch_bytes;
    if (position >= 0 && static_cast<uint64_t>(position) <= *log_size) {
      SegmentScanner scanner(*log, static_cast<uint64_t>(position), *log_size);
      BatchInfo info;
      while (scanner.next(info)) {
        if (info.last_offset < offset) continue;
        batch_info = info;
        if (info.last_offset == offset) {
          auto bytes = scanner.batch_bytes();
          if (!bytes.ok()) return bytes.status();
          batch_bytes = bytes->to_bytes();
        }
        break;
      }
      if (Status s = io_failure(scanner); !s.ok()) return s;
    }
    if (!batch_info) {
      findings_for(offsets_not_found_, abs).emplace_back(offset, -1);
    } else if (batch_info->last_offset != offset) {
      findings_for(offsets_not_found_, abs).emplace_back(offset, batch_info->last_offset);
    } else {
      int64_t max_timestamp = record::kNoTimestamp;
      auto batch = record::RecordBatchView::parse(batch_bytes, batch_info->position);
      if (!batch.ok()) return corrupt(path, batch_info->position, batch.error().to_string());
      if (auto err = reader.open(*batch)) return corrupt(path, batch_info->position, err->to_string());
      record::Record r;
      while (reader.next(r)) max_timestamp = std::max(max_timestamp, r.timestamp);
      if (!reader.ok()) return corrupt(path, batch_info->position, reader.error().to_string());
      if (max_timestamp != timestamp) findings_for(timestamp_mismatches_, abs).emplace_back(timestamp, max_timestamp);
      if (previous_timestamp >= timestamp) {
        findings_for(out_of_order_timestamps_, abs).emplace_back(timestamp, previous_timestamp);
      }
    }
    if (!options_.verify_index_only) out_ << "timestamp: " << timestamp << " offset: " << offset << '\n';
    previous_timestamp = timestamp;
  }
  return {};
}

bool LogDumper::has_problems() const {
  return !index_mismatches_.empty() || !timestamp_mismatches_.empty() || !out_of_order_timestamps_.empty() ||
         !offsets_not_found_.empty() || !non_consecutive_.empty();
}

void LogDumper::print_problems() {
  for (const auto& [file, mismatches] : index_mismatches_) {
    err_ << "Mismatches in :" << file << '\n';
    for (const auto& [index_offset, log_offset] : mismatches) {
      err_ << "  Index offset: " << index_offset << ", log offset: " << log_offset << '\n';
    }
  }
  for (const auto& [file, mismatches] : timestamp_mismatches_) {
    err_ << "Found timestamp mismatch in :" << file << '\n';
    for (const auto& [index_ts, log_ts] : mismatches) {
      err_ << "  Index timestamp: " << index_ts << ", log timestamp: " << log_ts << '\n';
    }
  }
  for (const auto& [file, out_of_order] : out_of_order_timestamps_) {
    err_ << "Found out of order timestamp in :" << file << '\n';
    for (const auto& [index_ts, previous] : out_of_order) {
      err_ << "  Index timestamp: " << index_ts << ", Previously indexed timestamp: " << previous << '\n';
    }
  }
  for (const auto& [file, not_found] : offsets_not_found_) {
    err_ << "The following indexed offsets are not found in the log.\n";
    for (const auto& [index_offset, log_offset] : not_found) {
      err_ << "Indexed offset: " << index_offset << ", found log offset: " << log_offset << '\n';
    }
  }
  for (const auto& [file, pairs] : non_consecutive_) {
    err_ << "Non-consecutive offsets in " << file << '\n';
    for (const auto& [offset, next] : pairs) err_ << "  " << offset << " is followed by " << next << '\n';
  }
}

Status dump_files(FileSystem& fs, const std::vector<std::string>& paths, const DumpOptions& options,
                  std::ostream& out, std::ostream& err) {
  LogDumper dumper(fs, options, out, err);
  for (const std::string& path : paths) {
    if (Status s = dumper.dump(path); !s.ok()) return s;
  }
  dumper.print_problems();
  return {};
}

Status dump_file(FileSystem& fs, const std::string& path, const DumpOptions& options, std::ostream& out) {
  return dump_files(fs, {path}, options, out, out);
}

}  // namespace gregor::storage
