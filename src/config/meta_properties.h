// Kafka's meta.properties, the file in every log directory that ties it to a cluster and a node,
// and the two things done with it: formatting the directories (kafka-storage.sh format) and
// checking them at startup (KafkaRaftServer). Version 1 (KRaft):
//   cluster.id=<22-character base64url Uuid>
//   directory.id=<a random Uuid for this directory>
//   node.id=<node.id>
//   version=1
// Version 0 files (ZooKeeper era: broker.id, cluster.id optional) are read too.
//
// Formatting writes only meta.properties; the bootstrap snapshot kafka-storage.sh also writes into
// the metadata directory is the metadata module's business.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/uuid.h"
#include "config/broker_config.h"
#include "config/properties.h"
#include "storage/file_system.h"

namespace gregor::config {

inline constexpr std::string_view kMetaPropertiesFileName = "meta.properties";

struct MetaProperties {
  int version = 1;                        // 0 or 1
  std::optional<std::string> cluster_id;  // always set in version 1
  std::optional<int32_t> node_id;         // always set in version 1 (broker.id in version 0)
  std::optional<Uuid> directory_id;

  Properties to_properties() const;
  // Kafka's errors for a bad file, e.g. "cluster.id was not found.",
  // "Unable to read node.id as a base-10 number.", "Unknown meta.properties version number 2".
  static StatusOr<MetaProperties> from_properties(const Properties& props);

  bool operator==(const MetaProperties&) const = default;
};

// The meta.properties in log_dir; nullopt when the directory or the file does not exist.
StatusOr<std::optional<MetaProperties>> read_meta_properties(storage::FileSystem& fs, const std::string& log_dir);
// Writes log_dir/meta.properties durably and atomically (storage::write_file_atomically).
Status write_meta_properties(storage::FileSystem& fs, const std::string& log_dir, const MetaProperties& meta);

// Kafka's Uuid.randomUuid: a version 4 UUID, never the zero or metadata-topic id, never printed
// with a leading '-'.
Uuid random_uuid();
// What kafka-storage.sh random-uuid prints: random_uuid() as 22 base64url characters.
std::string random_cluster_id();
// Whether cluster_id is a base64url Uuid, as Kafka's Uuid.fromString reads it; otherwise
// invalid_config "Cluster ID string x does not appear to be a valid UUID: <why>".
Status validate_cluster_id(std::string_view cluster_id);

struct FormatResult {
  std::vector<std::string> formatted;          // written now
  std::vector<std::string> already_formatted;  // left alone (ignore_formatted)
  std::vector<std::string> unreadable;         // skipped: meta.properties could not be read
};

// kafka-storage.sh format -t <cluster_id> -c <config> [--ignore-formatted]: every log dir and the
// metadata log dir get a meta.properties with this cluster id, the config's node id and a fresh
// directory id. Kafka's errors: an invalid cluster id; a formatted directory of another cluster
// or node; "Log directory <dir> is already formatted. Use --ignore-formatted to ignore this
// directory and format the others."; "No available log directories to format.".
StatusOr<FormatResult> format_storage(storage::FileSystem& fs, const BrokerConfig& config,
                                      const std::string& cluster_id, bool ignore_formatted);

// What the log directories say about this node, once checked.
struct FormattedStorage {
  std::string cluster_id;
  int32_t node_id = -1;
  std::map<std::string, MetaProperties> dirs;  // every log dir and the metadata log dir
};

// The startup check: every log dir and the metadata log dir formatted, all with one cluster.id and
// this node's node.id, directory ids distinct and not reserved. A formatted directory without a
// directory.id gets one (the file is rewritten), as Kafka does. Kafka's messages, e.g.
// "No `meta.properties` found in <dir> (have you run `kafka-storage.sh` to format the directory?)"
// and "Invalid cluster.id in: <dir>/meta.properties. Expected <a>, but read <b>".
// GREGOR: an unreadable meta.properties outside the metadata dir fails the check; Kafka starts
// with that directory offline.
StatusOr<FormattedStorage> check_formatted(storage::FileSystem& fs, const BrokerConfig& config);

// For the embedded default: formats the directories that are not formatted yet (with a random
// cluster id when none is, else the existing one), then check_formatted.
StatusOr<FormattedStorage> ensure_formatted_for_embedded_default(storage::FileSystem& fs, const BrokerConfig& config);

}  // namespace gregor::config
