// The admin client, with the operations and shapes of Kafka's Java Admin.
//
//   gregor::Admin admin({{"bootstrap.servers", "localhost:9092"}});
//   admin.create_topics({gregor::NewTopic{"events", 3, 1}}).at("events").get();   // throws on failure
//   for (const auto& [name, listing] : admin.list_topics()) { ... }
//
// Synchronous: each call sends its requests (to the brokers Kafka's admin client sends them to:
// the controller for topic changes, partition leaders for offsets and record deletion, the
// broker a broker config belongs to, any broker otherwise), retries retriable failures until
// default.api.timeout.ms (or the call's own timeout) passes, and returns once every item has an
// outcome. Calls that work on several items return one AdminResult per item, as Java's result
// classes hold one KafkaFuture per item: AdminResult::get() gives the value or throws the item's
// error, as KafkaFuture.get() would (without the ExecutionException wrapper); all() over a map
// throws the first failure, as all().get(). Errors are the categories of gregor/errors.h:
// ApiException with Kafka's code (TOPIC_ALREADY_EXISTS, UNKNOWN_TOPIC_OR_PARTITION,
// INVALID_PARTITIONS, ...), TimeoutException when the deadline passed first
// ("Timed out waiting for a node assignment. Call: createTopics" and the like).
//
// Thread-safe: calls may come from several threads at once; each waits for its own answers.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gregor/config.h"
#include "gregor/errors.h"
#include "gregor/topic_partition.h"

namespace gregor {

// AdminClientConfig's keys and defaults (Kafka 4.0).
const ConfigDef& admin_config_def();

// One item's outcome: its value, or the exception its future would have failed with.
template <typename T>
class AdminResult {
 public:
  AdminResult() = default;
  explicit AdminResult(T value) : value_(std::move(value)) {}
  explicit AdminResult(std::exception_ptr error) : error_(std::move(error)) {}
  bool ok() const { return !error_; }
  const std::exception_ptr& error() const { return error_; }
  const T& get() const {
    if (error_) std::rethrow_exception(error_);
    return value_;
  }

 private:
  T value_{};
  std::exception_ptr error_;
};

struct Void {};

// Throws the first failure of a map of results (Java's all().get()).
template <typename K, typename T>
void all(const std::map<K, AdminResult<T>>& results) {
  for (const auto& [key, result] : results) result.get();
}

struct AdminOptions {
  std::optional<std::chrono::milliseconds> timeout;  // default: default.api.timeout.ms
};

struct Node {
  int32_t id = -1;
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;
};

// --- topics ---
struct NewTopic {
  std::string name;
  std::optional<int32_t> num_partitions;       // nullopt: the broker's num.partitions
  std::optional<int16_t> replication_factor;   // nullopt: default.replication.factor
  std::map<int32_t, std::vector<int32_t>> replicas_assignments;  // partition -> brokers (instead of the two)
  std::map<std::string, std::string> configs;
};
struct CreateTopicsOptions : AdminOptions {
  bool validate_only = false;
};
struct CreatedTopic {
  std::string topic_id;  // Kafka's base64 form
  int32_t num_partitions = -1;
  int16_t replication_factor = -1;
  std::map<std::string, std::string> configs;  // as the broker will hold them (v5+)
};

struct ListTopicsOptions : AdminOptions {
  bool list_internal = false;
};
struct TopicListing {
  std::string name;
  std::string topic_id;
  bool internal = false;
};

struct TopicPartitionInfo {
  int32_t partition = 0;
  std::optional<Node> leader;  // nullopt: no leader
  std::vector<Node> replicas;
  std::vector<Node> isr;
};
struct TopicDescription {
  std::string name;
  bool internal = false;
  std::vector<TopicPartitionInfo> partitions;  // by partition
  std::string topic_id;
};

struct ClusterDescription {
  std::string cluster_id;
  std::optional<Node> controller;
  std::vector<Node> nodes;
};

struct NewPartitions {
  int32_t total_count = 0;
  std::vector<std::vector<int32_t>> new_assignments;  // optional: brokers of each new partition
};
struct CreatePartitionsOptions : AdminOptions {
  bool validate_only = false;
};

// --- configs ---
struct ConfigResource {
  enum class Type : int8_t { unknown = 0, topic = 2, broker = 4, broker_logger = 8, client_metrics = 16, group = 32 };
  Type type = Type::topic;
  std::string name;  // topic name, or broker id ("" for the cluster-wide broker default)
  auto operator<=>(const ConfigResource&) const = default;
};
struct ConfigEntry {
  enum class Source : int8_t {
    unknown = 0, dynamic_topic_config = 1, dynamic_broker_config = 2, dynamic_default_broker_config = 3,
    static_broker_config = 4, default_config = 5, dynamic_broker_logger_config = 6, client_metrics_config = 7,
    group_config = 8
  };
  std::string name;
  std::optional<std::string> value;  // nullopt for sensitive values
  Source source = Source::unknown;
  bool sensitive = false;
  bool read_only = false;
  // Where else the value is set, the one in effect first (with DescribeConfigsOptions::include_synonyms).
  struct Synonym {
    std::string name;
    std::optional<std::string> value;
    Source source = Source::unknown;
  };
  std::vector<Synonym> synonyms;
  bool is_default() const { return source == Source::default_config; }
};
// Kafka's ConfigEntry.ConfigSource names ("DYNAMIC_TOPIC_CONFIG", ...).
std::string to_string(ConfigEntry::Source source);
struct DescribeConfigsOptions : AdminOptions {
  bool include_synonyms = false;
};
struct Config {
  std::vector<ConfigEntry> entries;
  const ConfigEntry* get(const std::string& name) const {
    for (const ConfigEntry& e : entries)
      if (e.name == name) return &e;
    return nullptr;
  }
};
struct AlterConfigOp {
  enum class Type : int8_t { set = 0, remove = 1, append = 2, subtract = 3 };
  std::string name;
  std::optional<std::string> value;
  Type type = Type::set;
};
struct AlterConfigsOptions : AdminOptions {
  bool validate_only = false;
};

// --- offsets and records ---
struct OffsetSpec {
  // Kafka's special timestamps: latest -1, earliest -2, max-timestamp -3, earliest-local -4,
  // latest-tiered -5; any other value >= 0 is a timestamp (the first offset at or after it).
  int64_t timestamp = -1;
  static OffsetSpec latest() { return {-1}; }
  static OffsetSpec earliest() { return {-2}; }
  static OffsetSpec max_timestamp() { return {-3}; }
  static OffsetSpec for_timestamp(int64_t ms) { return {ms}; }
};
struct ListOffsetsOptions : AdminOptions {
  bool read_committed = false;  // IsolationLevel.READ_COMMITTED
};
struct ListOffsetsResultInfo {
  int64_t offset = -1;     // -1 when no record is at or after a timestamp
  int64_t timestamp = -1;
  std::optional<int32_t> leader_epoch;
};
struct DeletedRecords {
  int64_t low_watermark = -1;
};

// --- consumer groups ---
// Kafka's GroupState and GroupType; to_string gives Kafka's names ("Stable", "PreparingRebalance",
// "Consumer", ...), the parse functions take them in any case (Unknown for anything else).
enum class GroupState : int8_t {
  unknown, preparing_rebalance, completing_rebalance, stable, dead, empty, assigning, reconciling
};
enum class GroupType : int8_t { unknown, consumer, classic };
std::string to_string(GroupState state);
std::string to_string(GroupType type);
GroupState parse_group_state(const std::string& name);
GroupType parse_group_type(const std::string& name);

struct ListConsumerGroupsOptions : AdminOptions {
  std::set<GroupState> states;  // empty: any (sent as ListGroups' StatesFilter, v4+)
  std::set<GroupType> types;    // empty: any (TypesFilter, v5+)
};
struct ConsumerGroupListing {
  std::string group_id;
  bool simple_consumer_group = false;  // protocol type "": offsets committed without a group
  std::optional<GroupState> state;     // when the broker says (ListGroups v4+)
  std::optional<GroupType> type;       // when the broker says (v5+)
};

struct MemberAssignment {
  std::set<TopicPartition> topic_partitions;
};
struct MemberDescription {
  std::string member_id;  // Java's consumerId()
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string host;
  MemberAssignment assignment;
  std::optional<MemberAssignment> target_assignment;  // consumer-protocol groups
  std::optional<int32_t> member_epoch;                // consumer-protocol groups
  std::optional<bool> upgraded;                       // consumer-protocol groups: false for classic members
};
struct ConsumerGroupDescription {
  std::string group_id;
  bool simple_consumer_group = false;
  std::vector<MemberDescription> members;
  std::string partition_assignor;  // the classic group's protocol, or the consumer group's assignor
  GroupType type = GroupType::unknown;
  GroupState state = GroupState::unknown;  // Dead for a group that does not exist
  Node coordinator;
  std::optional<int32_t> group_epoch;               // consumer-protocol groups
  std::optional<int32_t> target_assignment_epoch;   // consumer-protocol groups
};

// Which partitions' committed offsets to list: nullopt for all the group has.
struct ListConsumerGroupOffsetsSpec {
  std::optional<std::vector<TopicPartition>> partitions;
};
struct ListConsumerGroupOffsetsOptions : AdminOptions {
  bool require_stable = false;
};
// A partition asked for without a committed offset maps to nullopt (Java's null).
using GroupOffsets = std::map<TopicPartition, std::optional<OffsetAndMetadata>>;

struct RemoveMembersFromConsumerGroupOptions : AdminOptions {
  std::vector<std::string> group_instance_ids;  // empty: every member of the group (KIP-571)
  std::optional<std::string> reason;
};

namespace client {
class AdminImpl;
}

class Admin {
 public:
  // Throws ConfigException for an unknown key or a bad value.
  explicit Admin(const Properties& props);
  ~Admin();  // close()
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  std::map<std::string, AdminResult<CreatedTopic>> create_topics(const std::vector<NewTopic>& topics,
                                                            const CreateTopicsOptions& options = {});
  std::map<std::string, AdminResult<Void>> delete_topics(const std::vector<std::string>& topics,
                                                    const AdminOptions& options = {});
  // Topic names with their listing; internal topics only when list_internal. Throws on failure.
  std::map<std::string, TopicListing> list_topics(const ListTopicsOptions& options = {});
  std::map<std::string, AdminResult<TopicDescription>> describe_topics(const std::vector<std::string>& topics,
                                                                  const AdminOptions& options = {});
  ClusterDescription describe_cluster(const AdminOptions& options = {});
  std::map<std::string, AdminResult<Void>> create_partitions(const std::map<std::string, NewPartitions>& partitions,
                                                        const CreatePartitionsOptions& options = {});
  std::map<ConfigResource, AdminResult<Config>> describe_configs(const std::vector<ConfigResource>& resources,
                                                            const DescribeConfigsOptions& options = {});
  std::map<ConfigResource, AdminResult<Void>> incremental_alter_configs(
      const std::map<ConfigResource, std::vector<AlterConfigOp>>& configs, const AlterConfigsOptions& options = {});
  std::map<TopicPartition, AdminResult<ListOffsetsResultInfo>> list_offsets(
      const std::map<TopicPartition, OffsetSpec>& partitions, const ListOffsetsOptions& options = {});
  // Deletes the records before each offset (-1: the high watermark).
  std::map<TopicPartition, AdminResult<DeletedRecords>> delete_records(const std::map<TopicPartition, int64_t>& before,
                                                                  const AdminOptions& options = {});

  // Consumer groups: ListGroups to every broker (throws when one cannot be asked, as Java's all()).
  std::vector<ConsumerGroupListing> list_consumer_groups(const ListConsumerGroupsOptions& options = {});
  // ConsumerGroupDescribe first, DescribeGroups for the groups it does not know (classic ones),
  // as Kafka's admin client does; a group that does not exist is described as Dead.
  std::map<std::string, AdminResult<ConsumerGroupDescription>> describe_consumer_groups(
      const std::vector<std::string>& groups, const AdminOptions& options = {});
  std::map<std::string, AdminResult<Void>> delete_consumer_groups(const std::vector<std::string>& groups,
                                                             const AdminOptions& options = {});
  // Committed offsets (OffsetFetch) of each group.
  std::map<std::string, AdminResult<GroupOffsets>> list_consumer_group_offsets(
      const std::map<std::string, ListConsumerGroupOffsetsSpec>& groups,
      const ListConsumerGroupOffsetsOptions& options = {});
  // Commits offsets for an inactive group (OffsetCommit with generation -1 and no member): a group
  // with members refuses with UNKNOWN_MEMBER_ID for every partition.
  std::map<TopicPartition, AdminResult<Void>> alter_consumer_group_offsets(
      const std::string& group, const std::map<TopicPartition, OffsetAndMetadata>& offsets,
      const AdminOptions& options = {});
  // OffsetDelete: a group-level error fails every partition with it.
  std::map<TopicPartition, AdminResult<Void>> delete_consumer_group_offsets(
      const std::string& group, const std::set<TopicPartition>& partitions, const AdminOptions& options = {});
  // LeaveGroup for static members by instance id, or for every member; keyed by instance id
  // (by member id when removing every member).
  std::map<std::string, AdminResult<Void>> remove_members_from_consumer_group(
      const std::string& group, const RemoveMembersFromConsumerGroupOptions& options = {});

  // Stops the I/O thread; calls made afterwards throw IllegalStateException.
  void close();

 private:
  std::unique_ptr<client::AdminImpl> impl_;
};

}  // namespace gregor
