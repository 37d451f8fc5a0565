#include "storage/partition_metadata.h"

#include <optional>
#include <vector>

#include "storage/checkpoint_file.h"

namespace gregor::storage {
namespace {

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool is_java_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\x0B' || c == '\f' || c == '\r';
}

Status storage_error(std::string message) {
  return Status(ErrorCode::kafka_storage_error, std::move(message));
}

Status malformed(const std::string& location, size_t line_number, std::string_view line) {
  return storage_error("Malformed line " + std::to_string(line_number) + " in partition metadata file " +
                       location + ": " + quote_for_message(line));
}

// The value of "<key>:<whitespace><value>" as Java's line.split(":\\s+", 2) cuts it, when the
// key is the expected one.
std::optional<std::string_view> value_of(std::string_view line, std::string_view key) {
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    if (line[i] != ':' || !is_java_space(line[i + 1])) continue;
    if (line.substr(0, i) != key) return std::nullopt;
    size_t v = i + 1;
    while (v < line.size() && is_java_space(line[v])) ++v;
    return line.substr(v);
  }
  return std::nullopt;
}

std::optional<int32_t> parse_java_int(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int64_t magnitude = 0;  // leading zeros are fine, as in Java
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    magnitude = magnitude * 10 + (c - '0');
    if (magnitude > int64_t{INT32_MAX} + 1) return std::nullopt;
  }
  int64_t value = negative ? -magnitude : magnitude;
  if (value < INT32_MIN || value > INT32_MAX) return std::nullopt;
  return static_cast<int32_t>(value);
}

// Uuid.fromString: Java's base64 URL decoder must yield 16 bytes. It accepts the padded form
// and ignores the 4 unused bits of the last character, which Uuid::parse (canonical only) does
// not, so both are normalised first.
std::optional<Uuid> parse_topic_id(std::string_view s) {
  if (s.size() == 24 && s.substr(22) == "==") s = s.substr(0, 22);
  if (s.size() != 22) return std::nullopt;
  std::string canonical(s);
  size_t last = kBase64Url.find(canonical.back());
  if (last == std::string_view::npos) return std::nullopt;
  canonical.back() = kBase64Url[last & 0x30];
  return Uuid::parse(canonical);
}

}  // namespace

std::string encode_partition_metadata(const Uuid& topic_id) {
  return "version: " + std::to_string(kPartitionMetadataVersion) + "\ntopic_id: " + topic_id.to_string();
}

StatusOr<PartitionMetadata> decode_partition_metadata(std::string_view contents,
                                                      const std::string& location) {
  if (size_t bad = 0; !is_valid_utf8(contents, &bad)) {
    return storage_error("Partition metadata file " + location + " is not valid UTF-8: byte " +
                         std::to_string(bad));
  }
  std::vector<std::string_view> lines = split_java_lines(contents);

  if (lines.empty()) {
    return storage_error("Missing line 1 (version) in partition metadata file " + location);
  }
  std::optional<std::string_view> version_text = value_of(lines[0], "version");
  if (!version_text) return malformed(location, 1, lines[0]);
  std::optional<int32_t> version = parse_java_int(*version_text);
  if (!version) return malformed(location, 1, lines[0]);
  // Later versions are accepted so that a downgraded broker can still read the file.
  if (*version < kPartitionMetadataVersion) {
    return storage_error("Unrecognized version " + std::to_string(*version) +
                         " on line 1 of partition metadata file " + location);
  }

  if (lines.size() < 2) {
    return storage_error("Missing line 2 (topic_id) in partition metadata file " + location);
  }
  std::optional<std::string_view> id_text = value_of(lines[1], "topic_id");
  if (!id_text) return malformed(location, 2, lines[1]);
  std::optional<Uuid> topic_id = parse_topic_id(*id_text);
  if (!topic_id) return malformed(location, 2, lines[1]);
  if (topic_id->is_zero()) {
    return storage_error("Invalid topic ID " + topic_id->to_string() +
                         " on line 2 of partition metadata file " + location);
  }
  return PartitionMetadata{*version, *topic_id};
}

std::string partition_metadata_path(const std::string& partition_dir) {
  return join_path(partition_dir, std::string(kPartitionMetadataFile));
}

StatusOr<PartitionMetadata> read_partition_metadata(FileSystem& fs,
                                                    const std::string& partition_dir) {
  std::string path = partition_metadata_path(partition_dir);
  auto bytes = read_file(fs, path);
  if (!bytes.ok()) return bytes.status();
  return decode_partition_metadata(BytesView(*bytes).as_chars(), path);
}

Status write_partition_metadata(FileSystem& fs, const std::string& partition_dir,
                                const Uuid& topic_id) {
  std::string path = partition_metadata_path(partition_dir);
  if (topic_id.is_zero()) {
    return Status(ErrorCode::unknown_server_error, "Refusing to write the zero topic ID to " + path);
  }
  return write_file_atomically(fs, path, BytesView::of(encode_partition_metadata(topic_id)));
}

}  // namespace gregor::storage
