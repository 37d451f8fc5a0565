#include "config/meta_properties.h"

#include <random>
#include <set>
#include <utility>

#include "common/bytes.h"

namespace gregor::config {
namespace {

Status config_error(std::string message) { return Status(ErrorCode::invalid_config, std::move(message)); }

std::string meta_path(const std::string& dir) { return storage::join_path(dir, std::string(kMetaPropertiesFileName)); }

// Integer.parseInt.
std::optional<int32_t> parse_int(std::string_view s) {
  StatusOr<storage::ConfigValue> v = storage::parse_config_value("", ConfigType::int32, s);
  // ConfigDef trims; Integer.parseInt does not.
  if (!v.ok() || storage::java_trim(s).size() != s.size()) return std::nullopt;
  return std::get<int32_t>(*v);
}

uint64_t random_u64() {
  static thread_local std::random_device device;
  return (uint64_t{device()} << 32) | device();
}

// DirectoryId.reserved: the ids Kafka keeps for unassigned, lost and migrating directories.
bool is_reserved_directory_id(const Uuid& id) { return id.most_significant() == 0 && id.least_significant() < 100; }

// MetaPropertiesEnsemble.Copier.generateValidDirectoryId.
Uuid new_directory_id(const std::map<std::string, MetaProperties>& taken) {
  while (true) {
    Uuid id = Uuid::from_halves(random_u64(), random_u64());
    if (id.to_string().starts_with("-") || is_reserved_directory_id(id)) continue;
    bool duplicate = false;
    for (const auto& [dir, meta] : taken) duplicate = duplicate || meta.directory_id == id;
    if (!duplicate) return id;
  }
}

// The log dirs and the metadata log dir, sorted, each once.
std::set<std::string> all_dirs(const BrokerConfig& config) {
  std::set<std::string> dirs(config.log_dirs().begin(), config.log_dirs().end());
  dirs.insert(config.metadata_log_dir());
  return dirs;
}

// MetaPropertiesEnsemble.Loader: each directory is formatted, empty, or unreadable.
struct Ensemble {
  std::map<std::string, MetaProperties> formatted;
  std::set<std::string> empty;
  std::map<std::string, Status> unreadable;
};

Ensemble load_ensemble(storage::FileSystem& fs, const std::set<std::string>& dirs) {
  Ensemble out;
  for (const std::string& dir : dirs) {
    StatusOr<std::optional<MetaProperties>> meta = read_meta_properties(fs, dir);
    if (!meta) {
      out.unreadable.emplace(dir, meta.status());
    } else if (*meta) {
      out.formatted.emplace(dir, std::move(**meta));
    } else {
      out.empty.insert(dir);
    }
  }
  return out;
}

// MetaPropertiesEnsemble.verify: one cluster id and node id throughout (the expected ones, when
// known, else the first directory's), distinct directory ids that are not reserved.
Status verify(const Ensemble& ensemble, std::optional<std::string> cluster_id, std::optional<int32_t> node_id) {
  std::map<std::string, std::string> seen;  // directory id -> the directory that has it
  for (const auto& [dir, meta] : ensemble.formatted) {
    std::string path = meta_path(dir);
    if (!meta.cluster_id) {
      if (meta.version == 1) return config_error("cluster.id was not specified in the v1 file: " + path);
    } else if (!cluster_id) {
      cluster_id = meta.cluster_id;
    } else if (*meta.cluster_id != *cluster_id) {
      return Status(ErrorCode::inconsistent_cluster_id,
                    "Invalid cluster.id in: " + path + ". Expected " + *cluster_id + ", but read " + *meta.cluster_id);
    }
    if (!meta.node_id) {
      if (meta.version == 1) return config_error("node.id was not specified in " + path);
    } else if (!node_id) {
      node_id = meta.node_id;
    } else if (*meta.node_id != *node_id) {
      return config_error("Stored node id " + std::to_string(*meta.node_id) + " doesn't match previous node id " +
                          std::to_string(*node_id) + " in " + path +
                          ". If you moved your data, make sure your configured node id matches. If you intend to "
                          "create a new node, you should remove all data in your data directories.");
    }
    if (meta.directory_id) {
      if (is_reserved_directory_id(*meta.directory_id)) {
        return config_error("Invalid resrved directory ID " + meta.directory_id->to_string() + " found in " + dir);
      }
      auto [it, inserted] = seen.emplace(meta.directory_id->to_string(), dir);
      if (!inserted) {
        return config_error("Duplicate directory ID Optional[" + meta.directory_id->to_string() +
                            "] found. It was the ID of " + it->second + ", but also of " + dir);
      }
    }
  }
  return {};
}

}  // namespace

Properties MetaProperties::to_properties() const {
  Properties props;
  props["version"] = std::to_string(version);
  if (cluster_id) props["cluster.id"] = *cluster_id;
  if (node_id) props[version == 0 ? "broker.id" : "node.id"] = std::to_string(*node_id);
  if (directory_id) props["directory.id"] = directory_id->to_string();
  return props;
}

StatusOr<MetaProperties> MetaProperties::from_properties(const Properties& props) {
  MetaProperties meta;
  auto version = props.find("version");
  std::string version_text = version == props.end() ? "0" : version->second;
  std::optional<int32_t> number = parse_int(storage::java_trim(version_text));
  if (!number) return config_error("Invalid meta.properties version string '" + version_text + "'");
  if (*number != 0 && *number != 1) {
    return config_error("Unknown meta.properties version number " + std::to_string(*number));
  }
  meta.version = *number;
  std::string id_key = meta.version == 0 ? "broker.id" : "node.id";
  auto id = props.find(id_key);
  if (id == props.end()) {
    if (meta.version == 1) return config_error("Failed to find required property " + id_key + ".");
  } else {
    meta.node_id = parse_int(id->second);
    if (!meta.node_id) return config_error("Unable to read " + id_key + " as a base-10 number.");
  }
  if (auto cluster = props.find("cluster.id"); cluster != props.end()) meta.cluster_id = cluster->second;
  if (auto dir = props.find("directory.id"); dir != props.end()) {
    std::string error;
    meta.directory_id = Uuid::from_kafka_string(dir->second, &error);
    if (!meta.directory_id) return config_error("Unable to read directory.id as a Uuid: " + error);
  }
  if (meta.version == 1 && !meta.cluster_id) return config_error("cluster.id was not found.");
  return meta;
}

StatusOr<std::optional<MetaProperties>> read_meta_properties(storage::FileSystem& fs, const std::string& log_dir) {
  std::string path = meta_path(log_dir);
  if (!fs.exists(log_dir) || !fs.exists(path)) return std::optional<MetaProperties>();
  StatusOr<Bytes> contents = storage::read_file(fs, path);
  if (!contents) return contents.status();
  std::string_view text(reinterpret_cast<const char*>(contents->data()), contents->size());
  StatusOr<Properties> props = parse_properties(text, path);
  if (!props) return props.status();
  StatusOr<MetaProperties> meta = MetaProperties::from_properties(*props);
  if (!meta) return config_error("Error while reading " + path + ": " + meta.status().message());
  return std::optional<MetaProperties>(std::move(*meta));
}

Status write_meta_properties(storage::FileSystem& fs, const std::string& log_dir, const MetaProperties& meta) {
  std::string text = write_properties(meta.to_properties(), "Written by Gregor; read by Kafka's brokers too");
  return storage::write_file_atomically(fs, meta_path(log_dir), BytesView::of(text));
}

Uuid random_uuid() {
  while (true) {
    Uuid id = Uuid::from_halves(random_u64(), random_u64());
    // java.util.UUID.randomUUID's version 4 and IETF variant bits.
    id.bytes[6] = static_cast<uint8_t>((id.bytes[6] & 0x0F) | 0x40);
    id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3F) | 0x80);
    bool reserved = id.is_zero() || id == Uuid::from_halves(0, 1);
    if (!reserved && !id.to_string().starts_with("-")) return id;
  }
}

std::string random_cluster_id() { return random_uuid().to_string(); }

Status validate_cluster_id(std::string_view cluster_id) {
  std::string error;
  if (Uuid::from_kafka_string(cluster_id, &error)) return {};
  return config_error("Cluster ID string " + std::string(cluster_id) + " does not appear to be a valid UUID: " + error);
}

StatusOr<FormatResult> format_storage(storage::FileSystem& fs, const BrokerConfig& config,
                                      const std::string& cluster_id, bool ignore_formatted) {
  if (Status s = validate_cluster_id(cluster_id); !s) return s;
  Ensemble ensemble = load_ensemble(fs, all_dirs(config));
  if (Status s = verify(ensemble, cluster_id, config.node_id()); !s) return s;
  if (!ignore_formatted && !ensemble.formatted.empty()) {
    return config_error(
        "Log directory " + ensemble.formatted.begin()->first +
        " is already formatted. Use --ignore-formatted to ignore this directory and format the others.");
  }
  FormatResult result;
  for (const auto& [dir, status] : ensemble.unreadable) result.unreadable.push_back(dir);
  for (const auto& [dir, meta] : ensemble.formatted) result.already_formatted.push_back(dir);
  if (!ensemble.unreadable.empty() && ensemble.empty.empty() && ensemble.formatted.empty()) {
    return config_error("No available log directories to format.");
  }
  std::map<std::string, MetaProperties> written = ensemble.formatted;
  for (const std::string& dir : ensemble.empty) {
    MetaProperties meta;
    meta.cluster_id = cluster_id;
    meta.node_id = config.node_id();
    meta.directory_id = new_directory_id(written);
    if (Status s = storage::create_dirs_durably(fs, dir); !s) return s;
    if (Status s = write_meta_properties(fs, dir, meta); !s) return s;
    written.emplace(dir, meta);
    result.formatted.push_back(dir);
  }
  return result;
}

StatusOr<FormattedStorage> check_formatted(storage::FileSystem& fs, const BrokerConfig& config) {
  Ensemble ensemble = load_ensemble(fs, all_dirs(config));
  if (ensemble.formatted.empty()) return config_error("No readable meta.properties files found.");
  if (Status s = verify(ensemble, std::nullopt, config.node_id()); !s) return s;
  if (auto it = ensemble.unreadable.find(config.metadata_log_dir()); it != ensemble.unreadable.end()) {
    return Status(it->second.code(), "Encountered I/O error in metadata log directory " + it->first +
                                         ". Cannot continue. (" + it->second.message() + ")");
  }
  if (!ensemble.unreadable.empty()) return ensemble.unreadable.begin()->second;
  if (!ensemble.empty.empty()) {
    return config_error("No `meta.properties` found in " + *ensemble.empty.begin() +
                        " (have you run `kafka-storage.sh` to format the directory?)");
  }
  FormattedStorage out;
  out.node_id = config.node_id();
  out.cluster_id = *ensemble.formatted.begin()->second.cluster_id;
  out.dirs = ensemble.formatted;
  for (auto& [dir, meta] : out.dirs) {
    if (meta.directory_id) continue;
    meta.directory_id = new_directory_id(out.dirs);
    if (Status s = write_meta_properties(fs, dir, meta); !s) return s;
  }
  return out;
}

StatusOr<FormattedStorage> ensure_formatted_for_embedded_default(storage::FileSystem& fs, const BrokerConfig& config) {
  Ensemble ensemble = load_ensemble(fs, all_dirs(config));
  if (!ensemble.empty.empty()) {
    std::optional<std::string> cluster_id;
    for (const auto& [dir, meta] : ensemble.formatted) {
      if (meta.cluster_id) cluster_id = meta.cluster_id;
    }
    StatusOr<FormatResult> formatted =
        format_storage(fs, config, cluster_id ? *cluster_id : random_cluster_id(), /*ignore_formatted=*/true);
    if (!formatted) return formatted.status();
  }
  return check_formatted(fs, config);
}

}  // namespace gregor::config
