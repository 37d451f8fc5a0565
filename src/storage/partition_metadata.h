// The partition.metadata file in each partition dir, as Kafka's PartitionMetadataFile writes it:
//
//   version: 0
//   topic_id: <topic id, URL-safe base64 without padding>
//
// with no line break after the topic id (Kafka writes exactly "version: 0\ntopic_id: <id>").
// Writing is durable and atomic (write_file_atomically). Reading follows Kafka's
// PartitionMetadataReadBuffer: each of the first two lines is "<key>:<whitespace><value>" with the
// expected key; any version >= 0 is accepted (for downgrades); the topic id must decode to 16
// bytes as Java's base64 URL decoder decodes it (22 characters, or 24 ending "=="), and must not
// be zero; lines after the second are ignored. A missing file is an error (Kafka checks that the
// file exists before reading it). Errors are kafka_storage_error with a one-line message naming
// the file and the line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/uuid.h"
#include "storage/file_system.h"

namespace gregor::storage {

inline constexpr std::string_view kPartitionMetadataFile = "partition.metadata";
inline constexpr int32_t kPartitionMetadataVersion = 0;

struct PartitionMetadata {
  int32_t version = kPartitionMetadataVersion;
  Uuid topic_id;

  friend bool operator==(const PartitionMetadata&, const PartitionMetadata&) = default;
};

// "version: 0\ntopic_id: <id>".
std::string encode_partition_metadata(const Uuid& topic_id);
// location names the file in error messages.
StatusOr<PartitionMetadata> decode_partition_metadata(std::string_view contents,
                                                      const std::string& location);

// <partition_dir>/partition.metadata.
std::string partition_metadata_path(const std::string& partition_dir);
StatusOr<PartitionMetadata> read_partition_metadata(FileSystem& fs,
                                                    const std::string& partition_dir);
// Fails without writing when topic_id is zero (the file could not be read back).
Status write_partition_metadata(FileSystem& fs, const std::string& partition_dir,
                                const Uuid& topic_id);

}  // namespace gregor::storage
