#include "controller/quorum_controller.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <random>
#include <set>
#include <utility>

#include "metadata/topic_name.h"

namespace gregor::controller {

using metadata::ConfigResource;
using metadata::ConfigResourceType;
using metadata::MetadataImage;
using metadata::MetadataRecord;
using protocol::CreateTopicsRequest;
using protocol::CreateTopicsResponse;

namespace {

// The versions of the records written at kMetadataVersion (3.9-IV0).
constexpr int16_t kPartitionRecordVersion = 1;                 // with directories (3.7-IV2 on)
constexpr int16_t kRegisterBrokerRecordVersion = 3;            // with log dirs (3.7-IV2 on)
constexpr int16_t kBrokerRegistrationChangeRecordVersion = 2;  // with log dirs (3.7-IV2 on)

constexpr int8_t kTopicResource = static_cast<int8_t>(ConfigResourceType::topic);

// Kafka's default messages (Errors.message()) where the controller gives no message of its own.
constexpr const char* kUnknownTopicOrPartitionMessage = "This server does not host this topic-partition.";
constexpr const char* kUnknownTopicIdMessage = "This server does not host this topic ID.";
// What Kafka's controller answers when a request would produce more than kMaxRecordsPerUserOp
// records; the only POLICY_VIOLATION here, so it marks the whole request as failed.
constexpr const char* kExcessiveBatchMessage = "Unable to perform excessively large batch operation.";

// AlterConfigOp.OpType ids.
constexpr int8_t kOpSet = 0;
constexpr int8_t kOpDelete = 1;
constexpr int8_t kOpAppend = 2;
constexpr int8_t kOpSubtract = 3;

const char* op_name(int8_t op) {
  switch (op) {
    case kOpSet:
      return "SET";
    case kOpDelete:
      return "DELETE";
    case kOpAppend:
      return "APPEND";
    default:
      return "SUBTRACT";
  }
}

ApiError error(ErrorCode code, std::optional<std::string> message) { return ApiError{code, std::move(message)}; }

ApiError excessive_batch() { return error(ErrorCode::policy_violation, kExcessiveBatchMessage); }

bool exceeds_budget(size_t records_so_far, int64_t more) {
  return more < 0 ||
         static_cast<uint64_t>(more) > kMaxRecordsPerUserOp - std::min(records_so_far, kMaxRecordsPerUserOp);
}

template <typename Result>
void set_error(Result& result, const ApiError& e) {
  result.error_code = static_cast<int16_t>(e.code);
  result.error_message = e.message;
}

// Every item of a response failed with e (records that would not apply; a request too large).
void fail_all(CreateTopicsResponse& r, const ApiError& e) {
  for (auto& t : r.topics) {
    std::string name = std::move(t.name);
    t = {};
    t.name = std::move(name);
    set_error(t, e);
  }
}
void fail_all(protocol::DeleteTopicsResponse& r, const ApiError& e) {
  for (auto& t : r.responses) set_error(t, e);
}
void fail_all(protocol::CreatePartitionsResponse& r, const ApiError& e) {
  for (auto& t : r.results) set_error(t, e);
}
void fail_all(protocol::IncrementalAlterConfigsResponse& r, const ApiError& e) {
  for (auto& t : r.responses) set_error(t, e);
}
void fail_all(protocol::AlterConfigsResponse& r, const ApiError& e) {
  for (auto& t : r.responses) set_error(t, e);
}
void fail_all(protocol::AllocateProducerIdsResponse& r, const ApiError& e) {
  r = {};
  r.error_code = static_cast<int16_t>(e.code);
}
void fail_all(protocol::BrokerRegistrationResponse& r, const ApiError& e) {
  r = {};
  r.error_code = static_cast<int16_t>(e.code);
}
void fail_all(protocol::BrokerHeartbeatResponse& r, const ApiError& e) {
  r = {};
  r.error_code = static_cast<int16_t>(e.code);
}
void fail_all(protocol::ControllerRegistrationResponse& r, const ApiError& e) {
  r = {};
  r.error_code = static_cast<int16_t>(e.code);
  r.error_message = e.message;
}

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += separator;
    out += parts[i];
  }
  return out;
}

// Java's String.split(","): empty pieces are kept, except at the end.
std::vector<std::string> java_split(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t comma = s.find(',', start);
    parts.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  return parts;
}

std::optional<int32_t> parse_int32(const std::string& s) {
  int32_t v = 0;
  const char* begin = s.data();
  if (!s.empty() && s[0] == '+') ++begin;  // Java's Integer.parseInt takes a leading '+'
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || begin == end) return std::nullopt;
  return v;
}

// A set that remembers the order things were added in, for responses in request order.
template <typename T, typename Less = std::less<T>>
class OrderedSet {
 public:
  bool add(const T& v) {
    if (!members_.insert(v).second) return false;
    order_.push_back(v);
    return true;
  }
  void remove(const T& v) {
    if (members_.erase(v)) order_.erase(std::find(order_.begin(), order_.end(), v));
  }
  bool contains(const T& v) const { return members_.count(v) > 0; }
  const std::vector<T>& items() const { return order_; }

 private:
  std::set<T, Less> members_;
  std::vector<T> order_;
};

}  // namespace

QuorumController::QuorumController(Options options, std::shared_ptr<const MetadataImage> image)
    : options_(std::move(options)),
      random_(options_.random_seed ? *options_.random_seed : std::random_device{}()),
      committed_(std::move(image)),
      heartbeats_(options_.session_timeout_ms) {}

std::shared_ptr<const MetadataImage> QuorumController::latest_image() {
  return uncommitted_.empty() ? image() : latest_;
}

int64_t QuorumController::next_write_offset() {
  return image()->last_offset() + 1 + static_cast<int64_t>(uncommitted_.size());
}

Status QuorumController::stage(const std::vector<MetadataRecord>& records) {
  if (records.empty()) return {};
  metadata::ImageBuilder builder(latest_image());
  for (const MetadataRecord& record : records) {
    if (Status s = builder.apply(record); !s.ok()) return s;
  }
  latest_ = builder.build();
  uncommitted_.insert(uncommitted_.end(), records.begin(), records.end());
  return {};
}

template <typename Response>
ControllerResult<Response> QuorumController::finish(Response response, std::vector<MetadataRecord> records,
                                                    bool validate_only) {
  if (validate_only) records.clear();
  if (Status s = stage(records); !s.ok()) {
    // The records were made from the latest state and must apply to it; if not, it is a bug,
    // and nothing is written.
    fail_all(response, error(ErrorCode::unknown_server_error, s.message()));
    records.clear();
  }
  return {std::move(response), std::move(records)};
}

Status QuorumController::replay(const MetadataRecord& record, int64_t offset, int32_t leader_epoch) {
  if (Status s = committed_.apply(record); !s.ok()) return s;
  committed_.set_last(offset, leader_epoch);
  if (!uncommitted_.empty()) {
    if (uncommitted_.front() == record) {
      uncommitted_.pop_front();
    } else {
      // Not what this controller handed out: those records will not be committed.
      abandon_uncommitted();
    }
  }
  if (uncommitted_.empty()) latest_.reset();
  return {};
}

void QuorumController::abandon_uncommitted() {
  uncommitted_.clear();
  latest_.reset();
}

std::vector<MetadataRecord> QuorumController::bootstrap_records() {
  return {
      MetadataRecord(protocol::BeginTransactionRecord{"Bootstrap records", {}}, 0),
      MetadataRecord(protocol::FeatureLevelRecord{std::string(metadata::kMetadataVersionFeature), kMetadataVersion, {}},
                     0),
      MetadataRecord(protocol::EndTransactionRecord{}, 0),
  };
}

std::vector<MetadataRecord> QuorumController::bootstrap() {
  if (latest_image()->metadata_version() != 0) return {};
  std::vector<MetadataRecord> records = bootstrap_records();
  if (!stage(records).ok()) return {};
  return records;
}

// ---- brokers and placement ----

std::vector<UsableBroker> QuorumController::usable_brokers(const MetadataImage& image) const {
  std::vector<UsableBroker> out;
  for (const auto& [id, broker] : image.brokers()) {
    if (broker->in_controlled_shutdown) continue;
    out.push_back(UsableBroker{id, broker->rack, broker->fenced});
  }
  return out;
}

bool QuorumController::is_active(const MetadataImage& image, int32_t broker_id) const {
  const metadata::BrokerRegistration* b = image.broker(broker_id);
  return b && b->active();
}

Uuid QuorumController::default_directory(const MetadataImage& image, int32_t broker_id) const {
  const metadata::BrokerRegistration* b = image.broker(broker_id);
  if (!b) return metadata::kDirectoryUnassigned;
  if (b->log_dirs.empty()) return metadata::kDirectoryMigrating;
  if (b->log_dirs.size() == 1) return b->log_dirs.front();
  // The broker picks one of its directories and reports it.
  return metadata::kDirectoryUnassigned;
}

MetadataRecord QuorumController::partition_record(const MetadataImage& image, const Uuid& topic_id,
                                                  int32_t partition_id, const NewPartition& partition) const {
  protocol::PartitionRecord r;
  r.partition_id = partition_id;
  r.topic_id = topic_id;
  r.replicas = partition.replicas;
  r.isr = partition.isr;
  r.leader = partition.isr.front();
  r.leader_recovery_state = 0;
  r.leader_epoch = 0;
  r.partition_epoch = 0;
  for (int32_t replica : partition.replicas) r.directories.push_back(default_directory(image, replica));
  return MetadataRecord(std::move(r), kPartitionRecordVersion);
}

ApiError QuorumController::validate_manual_assignment(const MetadataImage& image, const std::vector<int32_t>& replicas,
                                                      std::optional<size_t> replication_factor) const {
  if (replicas.empty()) {
    return error(ErrorCode::invalid_replica_assignment,
                 "The manual partition assignment includes an empty replica list.");
  }
  std::vector<int32_t> sorted = replicas;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (!image.broker(sorted[i])) {
      return error(ErrorCode::invalid_replica_assignment, "The manual partition assignment includes broker " +
                                                              std::to_string(sorted[i]) +
                                                              ", but no such broker is registered.");
    }
    if (i > 0 && sorted[i] == sorted[i - 1]) {
      return error(ErrorCode::invalid_replica_assignment, "The manual partition assignment includes the broker " +
                                                              std::to_string(sorted[i]) + " more than once.");
    }
  }
  if (replication_factor && sorted.size() != *replication_factor) {
    return error(ErrorCode::invalid_replica_assignment,
                 "The manual partition assignment includes a partition with " + std::to_string(sorted.size()) +
                     " replica(s), but this is not consistent with previous partitions, which have " +
                     std::to_string(*replication_factor) + " replica(s).");
  }
  return {};
}

QuorumController::NewPartition QuorumController::new_partition(const MetadataImage& image,
                                                               std::vector<int32_t> replicas) const {
  NewPartition p;
  for (int32_t r : replicas) {
    if (is_active(image, r)) p.isr.push_back(r);
  }
  p.replicas = std::move(replicas);
  return p;
}

ApiError QuorumController::assigned_partition(const MetadataImage& image, const std::vector<int32_t>& replicas,
                                              std::optional<size_t> replication_factor, int64_t partition_id,
                                              NewPartition& out) const {
  if (ApiError e = validate_manual_assignment(image, replicas, replication_factor); e.failed()) return e;
  out = new_partition(image, replicas);
  if (out.isr.empty()) {
    return error(ErrorCode::invalid_replica_assignment,
                 "All brokers specified in the manual partition assignment for partition " +
                     std::to_string(partition_id) + " are fenced or in controlled shutdown.");
  }
  return {};
}

ApiError QuorumController::place_partitions(const MetadataImage& image, int32_t count, int16_t replication_factor,
                                            bool wrap_placement_error, std::vector<NewPartition>& out) {
  const std::string prefix = "Unable to replicate the partition " + std::to_string(replication_factor) + " time(s): ";
  auto placed = place_replicas(random_, count, replication_factor, usable_brokers(image));
  if (!placed.ok()) {
    return error(ErrorCode::invalid_replication_factor,
                 wrap_placement_error ? prefix + placed.status().message() : placed.status().message());
  }
  for (std::vector<int32_t>& replicas : *placed) {
    NewPartition p = new_partition(image, std::move(replicas));
    // A placement on fenced brokers only (or ones shutting down) would have no leader.
    if (p.isr.empty()) {
      return error(ErrorCode::invalid_replication_factor,
                   prefix + "All brokers are currently fenced or in controlled shutdown.");
    }
    out.push_back(std::move(p));
  }
  return {};
}

// ---- CreateTopics ----

ControllerResult<CreateTopicsResponse> QuorumController::create_topics(const CreateTopicsRequest& request) {
  const std::shared_ptr<const MetadataImage> latest = latest_image();
  const MetadataImage& image = *latest;
  CreateTopicsResponse response;
  std::vector<MetadataRecord> records;

  // A name given twice is refused whole (Kafka's broker-side check), after the others.
  std::map<std::string, int, std::less<>> occurrences;
  for (const auto& topic : request.topics) ++occurrences[topic.name];
  OrderedSet<std::string> duplicates;
  bool wants_metadata_topic = false;

  // Existing names by their form with '.' as '_', for the collision check (built when needed).
  std::optional<std::map<std::string, std::string>> colliding;
  auto collides_with = [&](const std::string& name) -> const std::string* {
    if (!colliding) {
      colliding.emplace();
      for (const auto& [existing, id] : image.topic_ids_by_name()) {
        if (metadata::has_collision_chars(existing)) {
          colliding->emplace(metadata::unify_collision_chars(existing), existing);
        }
      }
    }
    auto it = colliding->find(metadata::unify_collision_chars(name));
    return it == colliding->end() ? nullptr : &it->second;
  };

  for (const auto& topic : request.topics) {
    if (occurrences[topic.name] > 1) {
      duplicates.add(topic.name);
      continue;
    }
    // The metadata log's topic is not a topic clients may create; Kafka answers as if denied.
    if (topic.name == metadata::kClusterMetadataTopic) {
      wants_metadata_topic = true;
      continue;
    }
    CreateTopicsResponse::CreatableTopicResult result;
    result.name = topic.name;
    ApiError e;
    if (auto invalid = metadata::topic_name_error(topic.name)) e = error(ErrorCode::invalid_topic_exception, *invalid);
    if (metadata::has_collision_chars(topic.name)) {
      if (const std::string* other = collides_with(topic.name)) {
        e = error(ErrorCode::invalid_topic_exception,
                  "Topic '" + topic.name + "' collides with existing topic: " + *other);
      }
    }
    if (image.topic(topic.name)) {
      e = error(ErrorCode::topic_already_exists, "Topic '" + topic.name + "' already exists.");
    }
    if (!e.failed()) e = create_topic(image, topic, records, result);
    if (e.code == ErrorCode::policy_violation) {
      // Too many records: the whole request fails, every topic in it named with the error.
      CreateTopicsResponse failed;
      for (const auto& t : request.topics) {
        CreateTopicsResponse::CreatableTopicResult r;
        r.name = t.name;
        set_error(r, e);
        failed.topics.push_back(std::move(r));
      }
      return {std::move(failed), {}};
    }
    if (e.failed()) {
      result = {};
      result.name = topic.name;
      set_error(result, e);
    }
    response.topics.push_back(std::move(result));
  }
  for (const std::string& name : duplicates.items()) {
    CreateTopicsResponse::CreatableTopicResult r;
    r.name = name;
    set_error(r, error(ErrorCode::invalid_request, "Duplicate topic name."));
    response.topics.push_back(std::move(r));
  }
  if (wants_metadata_topic) {
    CreateTopicsResponse::CreatableTopicResult r;
    r.name = std::string(metadata::kClusterMetadataTopic);
    set_error(r, error(ErrorCode::topic_authorization_failed, "Authorization failed."));
    response.topics.push_back(std::move(r));
  }
  return finish(std::move(response), std::move(records), request.validate_only);
}

ApiError QuorumController::create_topic(const MetadataImage& image, const CreateTopicsRequest::CreatableTopic& topic,
                                        std::vector<MetadataRecord>& records,
                                        CreateTopicsResponse::CreatableTopicResult& result) {
  // The topic's own configs: set, never null, and valid over the broker's defaults.
  std::vector<std::string> null_configs;
  std::map<std::string, std::string> creation_configs;
  for (const auto& config : topic.configs) {
    if (config.value) {
      creation_configs[config.name] = *config.value;
    } else {
      null_configs.push_back(config.name);
    }
  }
  if (!null_configs.empty()) {
    return error(ErrorCode::invalid_config, "Null value not supported for topic configs: " + join(null_configs, ","));
  }
  if (!creation_configs.empty()) {
    const MetadataImage::Configs configs(creation_configs.begin(), creation_configs.end());
    if (ApiError e = validate_configs(image, ConfigResource{kTopicResource, topic.name}, configs); e.failed()) return e;
  }

  std::vector<NewPartition> partitions;
  const size_t fixed_records = 1 + creation_configs.size();
  if (!topic.assignments.empty()) {
    if (topic.replication_factor != -1) {
      return error(ErrorCode::invalid_request,
                   "A manual partition assignment was specified, but replication factor was not set to -1.");
    }
    if (topic.num_partitions != -1) {
      return error(ErrorCode::invalid_request,
                   "A manual partition assignment was specified, but numPartitions was not set to -1.");
    }
    if (exceeds_budget(records.size(), static_cast<int64_t>(fixed_records + topic.assignments.size()))) {
      return excessive_batch();
    }
    std::map<int32_t, NewPartition> by_index;
    std::optional<size_t> replication_factor;
    for (const auto& assignment : topic.assignments) {
      if (by_index.count(assignment.partition_index)) {
        return error(
            ErrorCode::invalid_replica_assignment,
            "Found multiple manual partition assignments for partition " + std::to_string(assignment.partition_index));
      }
      NewPartition p;
      ApiError e = assigned_partition(image, assignment.broker_ids, replication_factor, assignment.partition_index, p);
      if (e.failed()) return e;
      replication_factor = assignment.broker_ids.size();
      by_index.emplace(assignment.partition_index, std::move(p));
    }
    for (int32_t i = 0; i < static_cast<int32_t>(by_index.size()); ++i) {
      if (!by_index.count(i)) {
        return error(ErrorCode::invalid_replica_assignment,
                     "partitions should be a consecutive 0-based integer sequence");
      }
    }
    for (auto& [index, p] : by_index) partitions.push_back(std::move(p));
  } else if (topic.replication_factor < -1 || topic.replication_factor == 0) {
    return error(ErrorCode::invalid_replication_factor,
                 "Replication factor must be larger than 0, or -1 to use the default value.");
  } else if (topic.num_partitions < -1 || topic.num_partitions == 0) {
    return error(ErrorCode::invalid_partitions, "Number of partitions was set to an invalid non-positive value.");
  } else {
    const int32_t num_partitions = topic.num_partitions == -1 ? options_.default_num_partitions : topic.num_partitions;
    const int16_t replication_factor =
        topic.replication_factor == -1 ? options_.default_replication_factor : topic.replication_factor;
    if (num_partitions <= 0) {
      return error(ErrorCode::invalid_partitions, "Number of partitions was set to an invalid non-positive value.");
    }
    if (exceeds_budget(records.size(), static_cast<int64_t>(fixed_records) + num_partitions)) return excessive_batch();
    if (ApiError e = place_partitions(image, num_partitions, replication_factor, true, partitions); e.failed()) {
      return e;
    }
  }

  const Uuid topic_id = random_.next_uuid();
  result.topic_id = topic_id;
  result.error_code = 0;
  result.error_message = std::nullopt;
  result.topic_config_error_code = 0;
  result.num_partitions = static_cast<int32_t>(partitions.size());
  result.replication_factor = static_cast<int16_t>(partitions.front().replicas.size());
  result.configs.emplace();
  for (const EffectiveConfig& c : effective_topic_configs(broker_layers(image), creation_configs)) {
    CreateTopicsResponse::CreatableTopicConfigs entry;
    entry.name = c.name;
    entry.value = c.value;
    entry.read_only = false;
    entry.config_source = static_cast<int8_t>(c.source);
    entry.is_sensitive = false;
    result.configs->push_back(std::move(entry));
  }

  // The topic, then its configs, then its partitions, as Kafka orders them.
  records.emplace_back(protocol::TopicRecord{topic.name, topic_id, {}}, 0);
  for (const auto& [name, value] : creation_configs) {
    records.emplace_back(protocol::ConfigRecord{kTopicResource, topic.name, name, value, {}}, 0);
  }
  for (size_t i = 0; i < partitions.size(); ++i) {
    records.push_back(partition_record(image, topic_id, static_cast<int32_t>(i), partitions[i]));
  }
  return {};
}

// ---- DeleteTopics ----

ControllerResult<protocol::DeleteTopicsResponse> QuorumController::delete_topics(
    const protocol::DeleteTopicsRequest& request, int16_t version) {
  using Result = protocol::DeleteTopicsResponse::DeletableTopicResult;
  protocol::DeleteTopicsResponse response;
  auto answer = [&](std::optional<std::string> name, const Uuid& id, const ApiError& e) {
    Result r;
    r.name = std::move(name);
    r.topic_id = id;
    set_error(r, e);
    response.responses.push_back(std::move(r));
  };
  // A request refused whole names every topic in it.
  auto refuse_all = [&](const ApiError& e) -> ControllerResult<protocol::DeleteTopicsResponse> {
    response.responses.clear();
    for (const std::string& name : request.topic_names) answer(name, Uuid{}, e);
    for (const auto& t : request.topics) answer(t.name, t.topic_id, e);
    return {std::move(response), {}};
  };
  if (!options_.delete_topic_enable) {
    return refuse_all(version < 3 ? error(ErrorCode::invalid_request, "Topic deletion is disabled.")
                                  : error(ErrorCode::topic_deletion_disabled, std::nullopt));
  }

  const std::shared_ptr<const MetadataImage> latest = latest_image();
  const MetadataImage& image = *latest;
  // Topics come by name (topic_names before v6, or topics without an id) or by id; each may be
  // named once.
  OrderedSet<std::string> names;
  OrderedSet<std::string> duplicate_names;
  OrderedSet<Uuid, metadata::UuidLess> ids;
  OrderedSet<Uuid, metadata::UuidLess> duplicate_ids;
  auto add_name = [&](const std::string& name) {
    if (duplicate_names.contains(name) || !names.add(name)) {
      duplicate_names.add(name);
      names.remove(name);
    }
  };
  for (const std::string& name : request.topic_names) add_name(name);
  for (const auto& t : request.topics) {
    if (!t.name) {
      if (t.topic_id.is_zero()) {
        answer(std::nullopt, Uuid{}, error(ErrorCode::invalid_request, "Neither topic name nor id were specified."));
      } else if (duplicate_ids.contains(t.topic_id) || !ids.add(t.topic_id)) {
        duplicate_ids.add(t.topic_id);
        ids.remove(t.topic_id);
      }
    } else if (t.topic_id.is_zero()) {
      add_name(*t.name);
    } else {
      answer(t.name, t.topic_id,
             error(ErrorCode::invalid_request, "You may not specify both topic name and topic id."));
    }
  }
  for (const std::string& name : duplicate_names.items()) {
    answer(name, Uuid{}, error(ErrorCode::invalid_request, "Duplicate topic name."));
  }
  for (const Uuid& id : duplicate_ids.items()) {
    answer(std::nullopt, id, error(ErrorCode::invalid_request, "Duplicate topic id."));
  }

  // The topics to delete, by id, with their names.
  std::vector<std::pair<Uuid, std::string>> to_delete;
  auto deleting = [&](const Uuid& id) {
    return std::find_if(to_delete.begin(), to_delete.end(), [&](const auto& d) { return d.first == id; });
  };
  for (const Uuid& id : ids.items()) {
    const metadata::TopicImage* t = image.topic(id);
    if (!t) {
      answer(std::nullopt, id, error(ErrorCode::unknown_topic_id, kUnknownTopicIdMessage));
    } else {
      to_delete.emplace_back(id, t->name);
    }
  }
  for (const std::string& name : names.items()) {
    const metadata::TopicImage* t = image.topic(name);
    if (!t) {
      answer(name, Uuid{}, error(ErrorCode::unknown_topic_or_partition, kUnknownTopicOrPartitionMessage));
    } else if (duplicate_ids.contains(t->id) || deleting(t->id) != to_delete.end()) {
      // The same topic by name and by id.
      duplicate_ids.add(t->id);
      if (auto it = deleting(t->id); it != to_delete.end()) to_delete.erase(it);
      answer(name, t->id,
             error(ErrorCode::invalid_request, "The provided topic name maps to an ID that was already supplied."));
    } else {
      to_delete.emplace_back(t->id, name);
    }
  }
  if (to_delete.size() > kMaxRecordsPerUserOp) return refuse_all(excessive_batch());

  std::vector<MetadataRecord> records;
  for (const auto& [id, name] : to_delete) {
    records.emplace_back(protocol::RemoveTopicRecord{id, {}}, 0);
    answer(name, id, ApiError{});
  }
  return finish(std::move(response), std::move(records), false);
}

// ---- CreatePartitions ----

ControllerResult<protocol::CreatePartitionsResponse> QuorumController::create_partitions(
    const protocol::CreatePartitionsRequest& request) {
  using Result = protocol::CreatePartitionsResponse::CreatePartitionsTopicResult;
  const std::shared_ptr<const MetadataImage> latest = latest_image();
  const MetadataImage& image = *latest;
  protocol::CreatePartitionsResponse response;
  auto answer = [&](const std::string& name, const ApiError& e) {
    Result r;
    r.name = name;
    set_error(r, e);
    response.results.push_back(std::move(r));
  };

  std::map<std::string, int, std::less<>> occurrences;
  for (const auto& topic : request.topics) ++occurrences[topic.name];
  OrderedSet<std::string> duplicates;
  for (const auto& topic : request.topics) {
    if (occurrences[topic.name] > 1) duplicates.add(topic.name);
  }
  for (const std::string& name : duplicates.items()) {
    answer(name, error(ErrorCode::invalid_request, "Duplicate topic name."));
  }

  std::vector<MetadataRecord> records;
  for (const auto& topic : request.topics) {
    if (duplicates.contains(topic.name)) continue;
    std::vector<MetadataRecord> topic_records;
    ApiError e = create_partitions_for(image, topic, topic_records);
    if (!e.failed() && exceeds_budget(records.size(), static_cast<int64_t>(topic_records.size()))) {
      e = excessive_batch();
    }
    if (e.code == ErrorCode::policy_violation) {
      response.results.clear();
      for (const auto& t : request.topics) answer(t.name, e);
      return {std::move(response), {}};
    }
    if (!e.failed()) records.insert(records.end(), topic_records.begin(), topic_records.end());
    answer(topic.name, e);
  }
  return finish(std::move(response), std::move(records), request.validate_only);
}

ApiError QuorumController::create_partitions_for(const MetadataImage& image,
                                                 const protocol::CreatePartitionsRequest::CreatePartitionsTopic& topic,
                                                 std::vector<MetadataRecord>& records) {
  const metadata::TopicImage* t = image.topic(topic.name);
  if (!t) return error(ErrorCode::unknown_topic_or_partition, std::nullopt);
  const int32_t current = t->partition_count();
  if (topic.count == current) {
    return error(ErrorCode::invalid_partitions, "Topic already has " + std::to_string(current) + " partition(s).");
  }
  if (topic.count < current) {
    return error(ErrorCode::invalid_partitions, "The topic " + topic.name + " currently has " +
                                                    std::to_string(current) + " partition(s); " +
                                                    std::to_string(topic.count) + " would not be an increase.");
  }
  const int32_t additional = topic.count - current;
  if (topic.assignments && topic.assignments->size() != static_cast<size_t>(additional)) {
    return error(ErrorCode::invalid_replica_assignment,
                 "Attempted to add " + std::to_string(additional) + " additional partition(s), but only " +
                     std::to_string(topic.assignments->size()) + " assignment(s) were specified.");
  }
  if (exceeds_budget(0, additional)) return excessive_batch();
  if (t->partitions.empty()) {
    return error(ErrorCode::unknown_server_error,
                 "Invalid state: topic " + topic.name + " appears to have no partitions.");
  }
  // New partitions have as many replicas as the first one.
  const size_t replication_factor = t->partitions.begin()->second->replicas.size();
  if (replication_factor > static_cast<size_t>(std::numeric_limits<int16_t>::max())) {
    return error(ErrorCode::unknown_server_error, "Invalid replication factor " + std::to_string(replication_factor) +
                                                      ": expected a number equal to less than 32767");
  }
  std::vector<NewPartition> partitions;
  if (topic.assignments) {
    for (size_t i = 0; i < topic.assignments->size(); ++i) {
      NewPartition p;
      ApiError e = assigned_partition(image, (*topic.assignments)[i].broker_ids, replication_factor,
                                      current + static_cast<int64_t>(i), p);
      if (e.failed()) return e;
      partitions.push_back(std::move(p));
    }
  } else if (ApiError e =
                 place_partitions(image, additional, static_cast<int16_t>(replication_factor), false, partitions);
             e.failed()) {
    return e;
  }
  for (size_t i = 0; i < partitions.size(); ++i) {
    records.push_back(partition_record(image, t->id, current + static_cast<int32_t>(i), partitions[i]));
  }
  return {};
}

// ---- configs ----

BrokerConfigLayers QuorumController::broker_layers(const MetadataImage& image) const {
  return BrokerConfigLayers{image.configs(ConfigResourceType::broker, std::to_string(options_.node_id)),
                            image.configs(ConfigResourceType::broker, ""), options_.static_config};
}

ApiError QuorumController::validate_configs(const MetadataImage& image, const ConfigResource& resource,
                                            const MetadataImage::Configs& configs) const {
  const std::map<std::string, std::string> plain(configs.begin(), configs.end());
  if (resource.type == kTopicResource) {
    auto checked = broker_layers(image).log_defaults().with_topic_overrides(plain);
    if (!checked.ok()) return error(ErrorCode::invalid_config, checked.status().message());
    return {};
  }
  // A broker's log settings, over its static properties. Kafka's broker refuses a bad dynamic
  // broker config with INVALID_REQUEST.
  std::map<std::string, std::string> merged = options_.static_config;
  for (const auto& [k, v] : plain) merged[k] = v;
  auto checked = storage::LogConfig::from_broker_properties(merged);
  if (!checked.ok()) return error(ErrorCode::invalid_request, checked.status().message());
  return {};
}

ApiError QuorumController::alter_resource_configs(const MetadataImage& image, const ConfigResource& resource,
                                                  const std::vector<std::pair<std::string, ConfigChange>>& changes,
                                                  bool replace_all, std::vector<MetadataRecord>& records) const {
  // What Kafka's broker checks before forwarding the change.
  std::set<std::string> keys;
  std::vector<std::string> nulls;
  for (const auto& [name, change] : changes) {
    if (!keys.insert(name).second) return error(ErrorCode::invalid_request, "Error due to duplicate config keys");
    if (change.op != kOpDelete && !change.value) nulls.push_back(name);
  }
  if (!nulls.empty()) return error(ErrorCode::invalid_request, "Null value not supported for : " + join(nulls, ", "));
  switch (static_cast<ConfigResourceType>(resource.type)) {
    case ConfigResourceType::topic:
      break;
    case ConfigResourceType::broker:
      // The cluster's defaults (""), or this broker's own configs.
      if (!resource.name.empty()) {
        auto id = parse_int32(resource.name);
        if (!id) return error(ErrorCode::invalid_request, "Node id must be an integer, but it is: " + resource.name);
        if (*id != options_.node_id) {
          return error(
              ErrorCode::invalid_request,
              "Unexpected broker id, expected " + std::to_string(options_.node_id) + ", but received " + resource.name);
        }
      }
      break;
    case ConfigResourceType::broker_logger:
    case ConfigResourceType::client_metrics:
    case ConfigResourceType::group:
      if (!replace_all) {
        // Kafka supports these; Gregor does not yet.
        return error(ErrorCode::invalid_request, "Unsupported resource type " + std::to_string(resource.type));
      }
      [[fallthrough]];
    default:
      return error(ErrorCode::invalid_request, "Unknown resource type " + std::to_string(resource.type));
  }
  for (const auto& [name, change] : changes) {
    if (change.op < kOpSet || change.op > kOpSubtract) {
      return error(ErrorCode::invalid_request, "Unknown operations type " + std::to_string(change.op));
    }
  }

  // The new values, and a record for each that changes (a broker's always: brokers reload on it).
  const auto type = static_cast<ConfigResourceType>(resource.type);
  const MetadataImage::Configs& current = image.configs(type, resource.name);
  MetadataImage::Configs next = replace_all ? MetadataImage::Configs{} : current;
  std::vector<MetadataRecord> out;
  auto record = [&](const std::string& name, std::optional<std::string> value) {
    out.emplace_back(protocol::ConfigRecord{resource.type, resource.name, name, std::move(value), {}}, 0);
  };
  for (const auto& [name, change] : changes) {
    std::optional<std::string> old_value;
    if (auto it = current.find(name); it != current.end()) old_value = it->second;
    std::optional<std::string> new_value = old_value;
    if (change.op == kOpSet) {
      new_value = change.value;
    } else if (change.op == kOpDelete) {
      new_value.reset();
    } else {
      if (!is_list_config(type, name)) {
        return error(ErrorCode::invalid_config,
                     std::string("Can't ") + op_name(change.op) + " to key " + name + " because its type is not LIST.");
      }
      std::vector<std::string> items;
      if (auto base = new_value ? new_value : schema_default(type, name)) {
        for (std::string& item : java_split(*base)) {
          if (!item.empty()) items.push_back(std::move(item));
        }
      }
      for (const std::string& item : java_split(*change.value)) {
        auto it = std::find(items.begin(), items.end(), item);
        if (change.op == kOpAppend && it == items.end()) items.push_back(item);
        if (change.op == kOpSubtract && it != items.end()) items.erase(it);
      }
      new_value = join(items, ",");
    }
    if (new_value != old_value || type == ConfigResourceType::broker) record(name, new_value);
    if (new_value) {
      next[name] = *new_value;
    } else {
      next.erase(name);
    }
  }
  if (replace_all) {
    // The legacy API replaces the whole set: what it leaves out is deleted.
    for (const auto& [name, value] : current) {
      if (!keys.count(name)) record(name, std::nullopt);
    }
  }

  if (type == ConfigResourceType::broker) {
    if (ApiError e = validate_configs(image, resource, next); e.failed()) return e;
  } else {
    // The controller's own checks, then that the topic exists.
    if (resource.name.empty()) return error(ErrorCode::invalid_request, "Default topic resources are not allowed.");
    if (auto invalid = metadata::topic_name_error(resource.name)) {
      return error(ErrorCode::invalid_topic_exception, *invalid);
    }
    if (ApiError e = validate_configs(image, resource, next); e.failed()) return e;
    if (!image.topic(resource.name)) {
      return error(ErrorCode::unknown_topic_or_partition, "The topic '" + resource.name + "' does not exist.");
    }
  }
  records = std::move(out);
  return {};
}

template <typename Request, typename Response>
ControllerResult<Response> QuorumController::alter_configs_common(const Request& request, bool incremental) {
  const std::shared_ptr<const MetadataImage> latest = latest_image();
  Response response;
  std::map<std::pair<int8_t, std::string>, int> occurrences;
  for (const auto& r : request.resources) ++occurrences[{r.resource_type, r.resource_name}];
  std::vector<MetadataRecord> records;
  for (const auto& resource : request.resources) {
    typename Response::AlterConfigsResourceResponse result;
    result.resource_type = resource.resource_type;
    result.resource_name = resource.resource_name;
    ApiError e;
    if (occurrences[{resource.resource_type, resource.resource_name}] > 1) {
      e = error(ErrorCode::invalid_request, "Each resource must appear at most once.");
    } else {
      std::vector<std::pair<std::string, ConfigChange>> changes;
      for (const auto& config : resource.configs) {
        ConfigChange change{kOpSet, config.value};
        if constexpr (requires { config.config_operation; }) change.op = config.config_operation;
        changes.emplace_back(config.name, std::move(change));
      }
      std::vector<MetadataRecord> resource_records;
      e = alter_resource_configs(*latest, ConfigResource{resource.resource_type, resource.resource_name}, changes,
                                 !incremental, resource_records);
      if (!e.failed()) records.insert(records.end(), resource_records.begin(), resource_records.end());
    }
    set_error(result, e);
    response.responses.push_back(std::move(result));
  }
  if (records.size() > kMaxRecordsPerUserOp) {
    fail_all(response, excessive_batch());
    records.clear();
  }
  return finish(std::move(response), std::move(records), request.validate_only);
}

ControllerResult<protocol::IncrementalAlterConfigsResponse> QuorumController::incremental_alter_configs(
    const protocol::IncrementalAlterConfigsRequest& request) {
  return alter_configs_common<protocol::IncrementalAlterConfigsRequest, protocol::IncrementalAlterConfigsResponse>(
      request, true);
}

ControllerResult<protocol::AlterConfigsResponse> QuorumController::alter_configs(
    const protocol::AlterConfigsRequest& request) {
  return alter_configs_common<protocol::AlterConfigsRequest, protocol::AlterConfigsResponse>(request, false);
}

// ---- producer ids and brokers ----

ControllerResult<protocol::AllocateProducerIdsResponse> QuorumController::allocate_producer_ids(int32_t broker_id,
                                                                                                int64_t broker_epoch) {
  const std::shared_ptr<const MetadataImage> image = latest_image();
  protocol::AllocateProducerIdsResponse response;
  const metadata::BrokerRegistration* broker = image->broker(broker_id);
  if (!broker || broker->epoch != broker_epoch) {
    response.error_code = static_cast<int16_t>(ErrorCode::stale_broker_epoch);
    return {std::move(response), {}};
  }
  const int64_t start = image->producer_ids().next_producer_id;
  if (start > std::numeric_limits<int64_t>::max() - kProducerIdBlockSize) {
    // Every producer id has been handed out.
    response.error_code = static_cast<int16_t>(ErrorCode::unknown_server_error);
    return {std::move(response), {}};
  }
  response.producer_id_start = start;
  response.producer_id_len = kProducerIdBlockSize;
  std::vector<MetadataRecord> records;
  records.emplace_back(protocol::ProducerIdsRecord{broker_id, broker_epoch, start + kProducerIdBlockSize, {}}, 0);
  return finish(std::move(response), std::move(records), false);
}

ControllerResult<protocol::BrokerRegistrationResponse> QuorumController::register_broker(
    const protocol::BrokerRegistrationRequest& request, int64_t now_ms) {
  activate_if_needed(now_ms);
  const std::shared_ptr<const MetadataImage> image = latest_image();
  protocol::BrokerRegistrationResponse response;
  auto refuse = [&](ErrorCode code) -> ControllerResult<protocol::BrokerRegistrationResponse> {
    response.error_code = static_cast<int16_t>(code);
    return {std::move(response), {}};
  };
  if (request.cluster_id != options_.cluster_id) return refuse(ErrorCode::inconsistent_cluster_id);
  if (const metadata::BrokerRegistration* existing = image->broker(request.broker_id)) {
    // Another process with this id while the registered one still heartbeats: one of them is
    // misconfigured. A restarted broker gets in once the old session has expired.
    if (existing->incarnation_id != request.incarnation_id) {
      if (!existing->fenced && heartbeats_.has_valid_session(request.broker_id, existing->epoch, now_ms)) {
        return refuse(ErrorCode::duplicate_broker_registration);
      }
      heartbeats_.remove(request.broker_id);
    }
  }
  if (request.is_migrating_zk_broker) return refuse(ErrorCode::broker_id_not_registered);

  protocol::RegisterBrokerRecord record;
  record.broker_id = request.broker_id;
  record.is_migrating_zk_broker = false;
  record.incarnation_id = request.incarnation_id;
  record.broker_epoch = next_write_offset();
  record.rack = request.rack;
  record.fenced = true;
  record.in_controlled_shutdown = false;
  record.log_dirs = request.log_dirs;
  for (const auto& l : request.listeners) {
    record.end_points.push_back({l.name, l.host, l.port, l.security_protocol, {}});
  }
  // Every feature the cluster has finalized must be at a level the broker supports. A broker that
  // names no metadata.version range supports only the first one.
  std::vector<protocol::RegisterBrokerRecord::BrokerFeature> features;
  for (const auto& f : request.features) {
    features.push_back({f.name, f.min_supported_version, f.max_supported_version, {}});
  }
  const bool names_metadata_version = std::any_of(
      features.begin(), features.end(), [](const auto& f) { return f.name == metadata::kMetadataVersionFeature; });
  if (!names_metadata_version) {
    features.push_back({std::string(metadata::kMetadataVersionFeature),
                        kMinimumKraftMetadataVersion,
                        kMinimumKraftMetadataVersion,
                        {}});
  }
  for (const auto& f : features) {
    auto finalized = image->feature_level(f.name);
    if (finalized && (*finalized < f.min_supported_version || *finalized > f.max_supported_version)) {
      return refuse(ErrorCode::unsupported_version);
    }
  }
  record.features = std::move(features);

  response.broker_epoch = record.broker_epoch;
  // The new registration's session starts now: it has a session timeout to send its first
  // heartbeat, and meanwhile another incarnation is refused.
  heartbeats_.touch(record.broker_id, record.broker_epoch, now_ms);
  std::vector<MetadataRecord> records;
  records.emplace_back(record, kRegisterBrokerRecordVersion);
  return finish(std::move(response), std::move(records), false);
}

MetadataRecord QuorumController::registration_change(const metadata::BrokerRegistration& broker,
                                                     BrokerControlState next) {
  protocol::BrokerRegistrationChangeRecord change;
  change.broker_id = broker.id;
  change.broker_epoch = broker.epoch;
  change.fenced = metadata::kFencingChangeNone;
  change.in_controlled_shutdown = 0;
  switch (next) {
    case BrokerControlState::fenced:
    case BrokerControlState::shutdown_now:
      change.fenced = metadata::kFencingChangeFence;
      break;
    case BrokerControlState::unfenced:
      change.fenced = metadata::kFencingChangeUnfence;
      break;
    case BrokerControlState::controlled_shutdown:
      change.in_controlled_shutdown = 1;  // BrokerRegistrationInControlledShutdownChange.IN_CONTROLLED_SHUTDOWN
      break;
  }
  return MetadataRecord(std::move(change), kBrokerRegistrationChangeRecordVersion);
}

ControllerResult<protocol::BrokerHeartbeatResponse> QuorumController::broker_heartbeat(
    const protocol::BrokerHeartbeatRequest& request, int64_t now_ms) {
  activate_if_needed(now_ms);
  const std::shared_ptr<const MetadataImage> image = latest_image();
  protocol::BrokerHeartbeatResponse response;
  const metadata::BrokerRegistration* broker = image->broker(request.broker_id);
  // Kafka answers STALE_BROKER_EPOCH both to a broker it has no registration of and to an epoch
  // that is not the registered one: either way the broker must register (again).
  if (!broker || broker->epoch != request.broker_epoch) {
    response.error_code = static_cast<int16_t>(ErrorCode::stale_broker_epoch);
    return {std::move(response), {}};
  }
  heartbeats_.touch(broker->id, broker->epoch, now_ms);
  // The broker's epoch is the offset of its RegisterBrokerRecord. Leaderships are never moved
  // yet (partition reassignment and leader election are the replication work), so a broker that
  // asks to shut down is let go at once.
  const int64_t register_offset = broker->epoch;
  const BrokerControlStates states = next_broker_state(*broker, request, register_offset, false);
  std::vector<MetadataRecord> records;
  const bool already_fenced = broker->fenced && is_fenced(states.next);
  if (states.current != states.next && !already_fenced) records.push_back(registration_change(*broker, states.next));
  response.is_caught_up = request.current_metadata_offset >= register_offset;
  response.is_fenced = is_fenced(states.next);
  response.should_shut_down = states.next == BrokerControlState::shutdown_now;
  return finish(std::move(response), std::move(records), false);
}

ControllerResult<protocol::ControllerRegistrationResponse> QuorumController::register_controller(
    const protocol::ControllerRegistrationRequest& request) {
  protocol::RegisterControllerRecord record;
  record.controller_id = request.controller_id;
  record.incarnation_id = request.incarnation_id;
  record.zk_migration_ready = request.zk_migration_ready;
  for (const auto& l : request.listeners) record.end_points.push_back({l.name, l.host, l.port, l.security_protocol, {}});
  for (const auto& f : request.features) {
    record.features.push_back({f.name, f.min_supported_version, f.max_supported_version, {}});
  }
  protocol::ControllerRegistrationResponse response;
  response.error_message = std::nullopt;
  std::vector<MetadataRecord> records;
  records.emplace_back(std::move(record), 0);
  return finish(std::move(response), std::move(records), false);
}

void QuorumController::activate(int64_t now_ms, std::optional<int32_t> local_broker) {
  heartbeats_.activate(*latest_image(), now_ms);
  if (local_broker) heartbeats_.remove(*local_broker);
}

void QuorumController::activate_if_needed(int64_t now_ms) {
  if (!heartbeats_.activated()) activate(now_ms);
}

std::vector<MetadataRecord> QuorumController::tick(int64_t now_ms) {
  activate_if_needed(now_ms);
  const std::shared_ptr<const MetadataImage> image = latest_image();
  std::vector<MetadataRecord> records;
  for (const auto& [id, epoch] : heartbeats_.remove_expired(now_ms)) {
    // A fenced broker, or a registration since replaced, just loses its session.
    const metadata::BrokerRegistration* broker = image->broker(id);
    if (!broker || broker->epoch != epoch || broker->fenced) continue;
    records.push_back(registration_change(*broker, BrokerControlState::fenced));
  }
  if (!stage(records).ok()) return {};
  return records;
}

}  // namespace gregor::controller
