#include "storage/checkpoint_file.h"

#include <charconv>
#include <limits>
#include <optional>
#include <type_traits>

namespace gregor::storage {
namespace {

// Java's \s: space, \t, \n, \x0B, \f, \r.
bool is_java_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\x0B' || c == '\f' || c == '\r';
}

// String.split("\\s+") with limit 0: a leading empty piece when the line starts with
// whitespace, trailing empty pieces dropped.
std::vector<std::string_view> split_java_whitespace(std::string_view line) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  size_t start = 0;
  while (i < line.size()) {
    if (!is_java_space(line[i])) {
      ++i;
      continue;
    }
    parts.push_back(line.substr(start, i - start));
    while (i < line.size() && is_java_space(line[i])) ++i;
    start = i;
  }
  parts.push_back(line.substr(start));
  while (parts.size() > 1 && parts.back().empty()) parts.pop_back();
  // A line of only whitespace splits into nothing at all.
  if (parts.size() == 1 && parts[0].empty() && !line.empty()) parts.clear();
  return parts;
}

// Integer.parseInt / Long.parseLong on ASCII input: optional sign, at least one digit, in range.
template <typename T>
std::optional<T> parse_java_integer(std::string_view s) {
  static_assert(std::is_signed_v<T>);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  uint64_t limit = static_cast<uint64_t>(std::numeric_limits<T>::max()) + (negative ? 1 : 0);
  if (magnitude > limit) return std::nullopt;
  // Two's complement wrap-around is defined in C++20, so the minimum converts correctly.
  return negative ? static_cast<T>(0 - magnitude) : static_cast<T>(magnitude);
}

Status storage_error(std::string message) {
  return Status(ErrorCode::kafka_storage_error, std::move(message));
}

Status malformed_line(const std::string& location, size_t line_number, std::string_view line) {
  return storage_error("Malformed line " + std::to_string(line_number) + " in checkpoint file " +
                       location + ": " + quote_for_message(line));
}

// 1-based number of the line holding byte offset in text.
size_t line_number_at(std::string_view text, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
    } else if (text[i] == '\r') {
      if (i + 1 < offset && text[i + 1] == '\n') ++i;
      ++line;
    }
  }
  return line;
}

// The file's contents, or "" when it does not exist.
StatusOr<std::string> read_text_or_empty(FileSystem& fs, const std::string& path) {
  auto bytes = read_file(fs, path);
  if (!bytes.ok()) {
    if (!fs.exists(path)) return std::string();
    return bytes.status();
  }
  return std::string(bytes->begin(), bytes->end());
}

Status write_text(FileSystem& fs, const std::string& path, const std::string& text) {
  return write_file_atomically(fs, path, BytesView::of(text));
}

}  // namespace

// ---- Generic ---------------------------------------------------------------------------------

std::string encode_checkpoint(int32_t version, const std::vector<std::string>& entries) {
  std::string out = std::to_string(version) + "\n" + std::to_string(entries.size()) + "\n";
  for (const std::string& entry : entries) {
    out += entry;
    out += '\n';
  }
  return out;
}

Status decode_checkpoint(std::string_view contents, int32_t expected_version,
                         const std::string& location, const CheckpointEntryParser& parse_entry) {
  if (size_t bad = 0; !is_valid_utf8(contents, &bad)) {
    return storage_error("Checkpoint file " + location + " is not valid UTF-8: byte " +
                         std::to_string(bad) + " on line " +
                         std::to_string(line_number_at(contents, bad)));
  }
  std::vector<std::string_view> lines = split_java_lines(contents);
  if (lines.empty()) return {};

  std::optional<int32_t> version = parse_java_integer<int32_t>(lines[0]);
  if (!version) return malformed_line(location, 1, lines[0]);
  if (*version != expected_version) {
    return storage_error("Unrecognised version " + std::to_string(*version) +
                         " on line 1 of checkpoint file " + location + ", expected version " +
                         std::to_string(expected_version));
  }
  if (lines.size() == 1) return {};

  std::optional<int32_t> count = parse_java_integer<int32_t>(lines[1]);
  // Kafka fails on a negative count before reading any entry.
  if (!count || *count < 0) return malformed_line(location, 2, lines[1]);

  for (size_t i = 2; i < lines.size(); ++i) {
    if (!parse_entry(lines[i])) return malformed_line(location, i + 1, lines[i]);
  }
  size_t found = lines.size() - 2;
  if (found != static_cast<size_t>(*count)) {
    return storage_error("Expected " + std::to_string(*count) + " entries in checkpoint file " +
                         location + " (line 2), but found " + std::to_string(found));
  }
  return {};
}

StatusOr<std::vector<std::string>> read_checkpoint(FileSystem& fs, const std::string& path,
                                                   int32_t version) {
  auto text = read_text_or_empty(fs, path);
  if (!text.ok()) return text.status();
  std::vector<std::string> entries;
  Status s = decode_checkpoint(*text, version, path, [&](std::string_view line) {
    entries.emplace_back(line);
    return true;
  });
  if (!s.ok()) return s;
  return entries;
}

Status write_checkpoint(FileSystem& fs, const std::string& path,
                        const std::vector<std::string>& entries, int32_t version) {
  for (const std::string& entry : entries) {
    if (entry.find_first_of("\r\n") != std::string::npos) {
      return Status(ErrorCode::unknown_server_error,
                    "Checkpoint entry for " + path +
                        " contains a line break: " + quote_for_message(entry));
    }
  }
  return write_text(fs, path, encode_checkpoint(version, entries));
}

// ---- Offset checkpoints ----------------------------------------------------------------------

std::string encode_offset_checkpoint(const OffsetCheckpoint& offsets) {
  std::vector<std::string> entries;
  entries.reserve(offsets.size());
  for (const auto& [tp, offset] : offsets) {
    entries.push_back(tp.topic + " " + std::to_string(tp.partition) + " " + std::to_string(offset));
  }
  return encode_checkpoint(kCheckpointVersion, entries);
}

StatusOr<OffsetCheckpoint> decode_offset_checkpoint(std::string_view contents,
                                                    const std::string& location) {
  OffsetCheckpoint offsets;
  Status s = decode_checkpoint(contents, kCheckpointVersion, location, [&](std::string_view line) {
    std::vector<std::string_view> parts = split_java_whitespace(line);
    if (parts.size() != 3) return false;
    auto partition = parse_java_integer<int32_t>(parts[1]);
    auto offset = parse_java_integer<int64_t>(parts[2]);
    if (!partition || !offset) return false;
    offsets[TopicPartition{std::string(parts[0]), *partition}] = *offset;
    return true;
  });
  if (!s.ok()) return s;
  return offsets;
}

StatusOr<OffsetCheckpoint> read_offset_checkpoint(FileSystem& fs, const std::string& path) {
  auto text = read_text_or_empty(fs, path);
  if (!text.ok()) return text.status();
  return decode_offset_checkpoint(*text, path);
}

Status write_offset_checkpoint(FileSystem& fs, const std::string& path,
                              const OffsetCheckpoint& offsets) {
  for (const auto& [tp, offset] : offsets) {
    bool has_space = false;
    for (char c : tp.topic) has_space = has_space || is_java_space(c);
    if (tp.topic.empty() || has_space) {
      return Status(ErrorCode::invalid_topic_exception,
                    "Cannot write topic " + quote_for_message(tp.topic) +
                        " to offset checkpoint " + path);
    }
  }
  return write_text(fs, path, encode_offset_checkpoint(offsets));
}

// ---- Leader epoch checkpoint -----------------------------------------------------------------

std::string EpochEntry::to_string() const {
  return "EpochEntry(epoch=" + std::to_string(epoch) +
         ", startOffset=" + std::to_string(start_offset) + ")";
}

std::string encode_leader_epoch_checkpoint(const std::vector<EpochEntry>& entries) {
  std::vector<std::string> lines;
  lines.reserve(entries.size());
  for (const EpochEntry& e : entries) {
    lines.push_back(std::to_string(e.epoch) + " " + std::to_string(e.start_offset));
  }
  return encode_checkpoint(kCheckpointVersion, lines);
}

StatusOr<std::vector<EpochEntry>> decode_leader_epoch_checkpoint(std::string_view contents,
                                                                 const std::string& location) {
  std::vector<EpochEntry> entries;
  Status s = decode_checkpoint(contents, kCheckpointVersion, location, [&](std::string_view line) {
    std::vector<std::string_view> parts = split_java_whitespace(line);
    if (parts.size() != 2) return false;
    auto epoch = parse_java_integer<int32_t>(parts[0]);
    auto start_offset = parse_java_integer<int64_t>(parts[1]);
    if (!epoch || !start_offset) return false;
    entries.push_back(EpochEntry{*epoch, *start_offset});
    return true;
  });
  if (!s.ok()) return s;
  return entries;
}

StatusOr<std::vector<EpochEntry>> read_leader_epoch_checkpoint(FileSystem& fs,
                                                               const std::string& path) {
  auto text = read_text_or_empty(fs, path);
  if (!text.ok()) return text.status();
  return decode_leader_epoch_checkpoint(*text, path);
}

Status write_leader_epoch_checkpoint(FileSystem& fs, const std::string& path,
                                     const std::vector<EpochEntry>& entries) {
  return write_text(fs, path, encode_leader_epoch_checkpoint(entries));
}

// ---- Text helpers ----------------------------------------------------------------------------

std::vector<std::string_view> split_java_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '\n' && c != '\r') {
      ++i;
      continue;
    }
    lines.push_back(text.substr(start, i - start));
    i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
    start = i;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

bool is_valid_utf8(std::string_view text, size_t* bad_offset) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  size_t i = 0;
  while (i < text.size()) {
    uint8_t b = byte(i);
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;  // overlong
      if (b == 0xED) hi = 0x9F;  // surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;  // overlong
      if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      uint8_t min = k == 1 ? lo : 0x80;
      uint8_t max = k == 1 ? hi : 0xBF;
      if (i + k >= text.size() || byte(i + k) < min || byte(i + k) > max) {
        if (bad_offset) *bad_offset = i;
        return false;
      }
    }
    i += len;
  }
  return true;
}

std::string quote_for_message(std::string_view line) {
  static constexpr size_t kMax = 120;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < line.size() && i < kMax; ++i) {
    auto c = static_cast<uint8_t>(line[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7F) {
      out += "\\x";
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (line.size() > kMax) out += "...";
  return out;
}

}  // namespace gregor::storage
