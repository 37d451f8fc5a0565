// Kafka's text checkpoint files, byte for byte:
//
//   0                 <- version (always 0 today)
//   2                 <- number of entries that follow
//   my-topic 0 1234   <- one entry per line
//   my-topic 1 99
//
// Offset checkpoints (in each log dir: recovery-point-offset-checkpoint,
// log-start-offset-checkpoint, replication-offset-checkpoint, cleaner-offset-checkpoint) hold
// "topic partition offset" entries; the leader epoch checkpoint (in each partition dir:
// leader-epoch-checkpoint) holds "epoch startOffset" entries. Lines end with "\n".
//
// Writing goes through write_file_atomically (tmp file, sync, rename, directory sync), so a
// crash leaves the old or the new checkpoint, never a mix.
//
// Reading follows Kafka's CheckpointFile: a missing or empty file, or one holding only the
// version line, reads as no entries (Kafka creates the file empty when it opens a checkpoint, so
// a missing file is an empty one to it). Lines end at "\n", "\r" or "\r\n", as Java's
// BufferedReader.readLine splits them; the last line needs no terminator. Everything else that
// is off is a kafka_storage_error whose one-line message names the file and the line:
//   - bytes that are not UTF-8 (Kafka's reader decodes strictly);
//   - a version or count line that is not a Java int, or a version other than the expected one;
//   - an entry line the entry format rejects, including an empty line (so a trailing blank line
//     is an error, as in Kafka);
//   - a number of entry lines, extra ones included, that differs from the count.
// Entries are split on runs of Java whitespace ([ \t\n\x0B\f\r]); leading whitespace makes an
// entry malformed, trailing whitespace is ignored, as Java's String.split("\\s+") does. Numbers
// are parsed as Integer.parseInt / Long.parseLong do (optional + or -, ASCII digits, in range).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/file_system.h"
#include "storage/topic_partition.h"

namespace gregor::storage {

// File names of the offset checkpoints in a log dir, and of the epoch checkpoint in a partition
// dir.
inline constexpr std::string_view kRecoveryPointOffsetCheckpointFile =
    "recovery-point-offset-checkpoint";
inline constexpr std::string_view kLogStartOffsetCheckpointFile = "log-start-offset-checkpoint";
inline constexpr std::string_view kReplicationOffsetCheckpointFile = "replication-offset-checkpoint";
inline constexpr std::string_view kCleanerOffsetCheckpointFile = "cleaner-offset-checkpoint";
inline constexpr std::string_view kLeaderEpochCheckpointFile = "leader-epoch-checkpoint";

// The version every checkpoint file Kafka writes today carries.
inline constexpr int32_t kCheckpointVersion = 0;

// ---- Generic checkpoint of text entries -------------------------------------------------------

// "<version>\n<entries.size()>\n<entry>\n...". Entries must not contain line breaks.
std::string encode_checkpoint(int32_t version, const std::vector<std::string>& entries);

// Called for each entry line in order; returns false when the line is not a valid entry.
using CheckpointEntryParser = std::function<bool(std::string_view line)>;

// Checks the version and count of a checkpoint's contents and hands each entry line to
// parse_entry. location names the file in error messages.
Status decode_checkpoint(std::string_view contents, int32_t expected_version,
                         const std::string& location, const CheckpointEntryParser& parse_entry);

// The entry lines of the checkpoint at path; none when the file is missing.
StatusOr<std::vector<std::string>> read_checkpoint(FileSystem& fs, const std::string& path,
                                                   int32_t version = kCheckpointVersion);
// Writes the checkpoint at path durably and atomically. Fails without writing when an entry
// contains a line break (it could not be read back).
Status write_checkpoint(FileSystem& fs, const std::string& path,
                        const std::vector<std::string>& entries,
                        int32_t version = kCheckpointVersion);

// ---- Offset checkpoints: "topic partition offset" ---------------------------------------------

using OffsetCheckpoint = std::map<TopicPartition, int64_t>;

// Entries in TopicPartition order (Kafka writes its HashMap's order; readers do not care).
std::string encode_offset_checkpoint(const OffsetCheckpoint& offsets);
// When a partition appears twice the later line wins, as in Kafka (the count still counts both).
StatusOr<OffsetCheckpoint> decode_offset_checkpoint(std::string_view contents,
                                                    const std::string& location);
StatusOr<OffsetCheckpoint> read_offset_checkpoint(FileSystem& fs, const std::string& path);
// Fails without writing when a topic name is empty or contains whitespace (it could not be read
// back; Kafka's topic names never do).
Status write_offset_checkpoint(FileSystem& fs, const std::string& path,
                              const OffsetCheckpoint& offsets);

// ---- Leader epoch checkpoint: "epoch startOffset" ---------------------------------------------

// The first offset written in a leader epoch.
struct EpochEntry {
  int32_t epoch = 0;
  int64_t start_offset = 0;

  // "EpochEntry(epoch=3, startOffset=100)", as Kafka prints it.
  std::string to_string() const;
  friend bool operator==(const EpochEntry&, const EpochEntry&) = default;
};

std::string encode_leader_epoch_checkpoint(const std::vector<EpochEntry>& entries);
// Entries as written, in file order; no check of their values or order (LeaderEpochCache does
// that when it loads them, as Kafka's cache does).
StatusOr<std::vector<EpochEntry>> decode_leader_epoch_checkpoint(std::string_view contents,
                                                                 const std::string& location);
StatusOr<std::vector<EpochEntry>> read_leader_epoch_checkpoint(FileSystem& fs,
                                                               const std::string& path);
Status write_leader_epoch_checkpoint(FileSystem& fs, const std::string& path,
                                     const std::vector<EpochEntry>& entries);

// ---- Text helpers shared with the other small metadata files ----------------------------------

// Splits text into lines as Java's BufferedReader.readLine does: a line ends at "\n", "\r" or
// "\r\n"; the final line needs no terminator; "" has no lines and "\n" one empty line.
std::vector<std::string_view> split_java_lines(std::string_view text);
// True when text is well-formed UTF-8 as Java's strict decoder sees it (no overlong forms, no
// surrogates, nothing above U+10FFFF). On false, *bad_offset is the first bad byte's offset.
bool is_valid_utf8(std::string_view text, size_t* bad_offset = nullptr);
// A line quoted for an error message: control and non-ASCII bytes escaped as \xNN, long lines
// cut at 120 bytes with "...".
std::string quote_for_message(std::string_view line);

}  // namespace gregor::storage
