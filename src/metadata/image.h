// The metadata image: the cluster's state as the committed metadata records leave it (Kafka's
// MetadataImage), and the builder that applies records to make the next one (MetadataDelta).
//
// An image is immutable and shared across threads as std::shared_ptr<const MetadataImage>: every
// core of the broker reads the one it was handed while a new one is built. It is made of a few
// sections (features, brokers, topics, configs), each behind its own shared_ptr, and a topic's
// partitions are each behind one too. A builder copies only what its records touch: a new image
// after an ISR change shares the brokers, the configs and every other topic with the old one,
// and the changed topic shares its other partitions.
//
// Replay follows Kafka's rules, and a record that does not fit the state (a partition of a topic
// that does not exist, a fencing change for a broker epoch that is not registered, a producer id
// block that goes backwards) is an error, as in Kafka's replay, and leaves the builder unchanged.
// Records the image does not model yet (ACLs, client quotas, SCRAM credentials, delegation
// tokens, controller registrations, the ZooKeeper migration state) are accepted and ignored.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/uuid.h"
#include "metadata/record_serde.h"

namespace gregor::metadata {

// Kafka's ConfigResource.Type ids, as ConfigRecord and the config APIs carry them.
enum class ConfigResourceType : int8_t {
  unknown = 0,
  topic = 2,
  broker = 4,
  broker_logger = 8,
  client_metrics = 16,
  group = 32,
};

// A resource with configs. A broker's name is its id in decimal; the broker named "" holds the
// cluster-wide defaults.
struct ConfigResource {
  int8_t type = 0;
  std::string name;
  auto operator<=>(const ConfigResource&) const = default;
};

inline constexpr std::string_view kMetadataVersionFeature = "metadata.version";

// Placeholders Kafka keeps in PartitionRecord.directories (DirectoryId).
inline const Uuid kDirectoryUnassigned = Uuid::from_halves(0, 0);  // not yet placed in a log dir
inline const Uuid kDirectoryLost = Uuid::from_halves(0, 1);        // in a log dir that went offline
inline const Uuid kDirectoryMigrating = Uuid::from_halves(0, 2);   // placed before directories were tracked

// The values of BrokerRegistrationChangeRecord.fenced (Kafka's BrokerRegistrationFencingChange).
inline constexpr int8_t kFencingChangeFence = 1;
inline constexpr int8_t kFencingChangeNone = 0;
inline constexpr int8_t kFencingChangeUnfence = -1;

// PartitionChangeRecord.leader when the leader does not change.
inline constexpr int32_t kNoLeaderChange = -2;
inline constexpr int32_t kNoLeader = -1;

struct UuidLess {
  bool operator()(const Uuid& a, const Uuid& b) const { return a.bytes < b.bytes; }
};

struct BrokerEndpoint {
  std::string listener;  // the listener name, e.g. "PLAINTEXT"
  std::string host;
  uint16_t port = 0;
  int16_t security_protocol = 0;  // Kafka's SecurityProtocol id: 0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL
  bool operator==(const BrokerEndpoint&) const = default;
};

struct FeatureRange {
  int16_t min = 0;
  int16_t max = 0;
  bool operator==(const FeatureRange&) const = default;
};

struct BrokerRegistration {
  int32_t id = -1;
  Uuid incarnation_id;
  int64_t epoch = -1;
  std::vector<BrokerEndpoint> endpoints;  // in the order the broker registered them
  std::map<std::string, FeatureRange, std::less<>> supported_features;
  std::optional<std::string> rack;
  bool fenced = true;
  bool in_controlled_shutdown = false;
  bool is_migrating_zk_broker = false;
  std::vector<Uuid> log_dirs;

  const BrokerEndpoint* endpoint(std::string_view listener) const;
  // Neither fenced nor shutting down: may lead partitions and be in an ISR.
  bool active() const { return !fenced && !in_controlled_shutdown; }
  bool operator==(const BrokerRegistration&) const = default;
};

// A broker as a Metadata response lists it for one listener.
struct BrokerNode {
  int32_t id = -1;
  std::string host;
  uint16_t port = 0;
  std::optional<std::string> rack;
  bool operator==(const BrokerNode&) const = default;
};

struct PartitionRegistration {
  std::vector<int32_t> replicas;
  std::vector<Uuid> directories;  // one per replica
  std::vector<int32_t> isr;
  std::vector<int32_t> removing_replicas;
  std::vector<int32_t> adding_replicas;
  std::vector<int32_t> eligible_leader_replicas;
  std::vector<int32_t> last_known_elr;
  int32_t leader = kNoLeader;
  int8_t leader_recovery_state = 0;  // 0 recovered, 1 recovering (after an unclean election)
  int32_t leader_epoch = 0;
  int32_t partition_epoch = 0;
  bool operator==(const PartitionRegistration&) const = default;
};

struct TopicImage {
  using Partitions = std::map<int32_t, std::shared_ptr<const PartitionRegistration>>;

  std::string name;
  Uuid id;
  Partitions partitions;

  const PartitionRegistration* partition(int32_t partition_id) const;
  int32_t partition_count() const { return static_cast<int32_t>(partitions.size()); }

  // Same name, id and partition contents (shared or not).
  friend bool operator==(const TopicImage& a, const TopicImage& b);
};

// Where the next block of producer ids starts, and who asked for the last one.
struct ProducerIdsImage {
  int32_t broker_id = -1;
  int64_t broker_epoch = -1;
  int64_t next_producer_id = 0;
  bool operator==(const ProducerIdsImage&) const = default;
};

class MetadataImage {
 public:
  using Features = std::map<std::string, int16_t, std::less<>>;
  using Brokers = std::map<int32_t, std::shared_ptr<const BrokerRegistration>>;
  using TopicsById = std::map<Uuid, std::shared_ptr<const TopicImage>, UuidLess>;
  using TopicIdsByName = std::map<std::string, Uuid, std::less<>>;
  using Configs = std::map<std::string, std::string, std::less<>>;
  using ConfigsByResource = std::map<ConfigResource, std::shared_ptr<const Configs>>;

  // The image before any record: no features, brokers, topics or configs.
  static std::shared_ptr<const MetadataImage> empty();

  // The cluster id is not a metadata record; it comes from the log directories' meta.properties.
  const std::string& cluster_id() const { return cluster_id_; }

  // Finalized feature levels. metadata.version is 0 until a FeatureLevelRecord sets it.
  const Features& features() const { return *features_; }
  std::optional<int16_t> feature_level(std::string_view name) const;
  int16_t metadata_version() const { return feature_level(kMetadataVersionFeature).value_or(0); }

  const Brokers& brokers() const { return *brokers_; }
  const BrokerRegistration* broker(int32_t id) const;
  // The unfenced brokers with an endpoint for listener, by id: what a Metadata response lists.
  std::vector<BrokerNode> broker_nodes(std::string_view listener) const;

  const TopicsById& topics() const { return *topics_; }
  const TopicIdsByName& topic_ids_by_name() const { return *topic_ids_; }
  const TopicImage* topic(std::string_view name) const;
  const TopicImage* topic(const Uuid& id) const;
  const PartitionRegistration* partition(const Uuid& topic_id, int32_t partition_id) const;
  // Every topic name, in order.
  std::vector<std::string> topic_names() const;

  const ConfigsByResource& all_configs() const { return *configs_; }
  // The configs set on a resource; empty when it has none.
  const Configs& configs(ConfigResourceType type, std::string_view name) const;

  const ProducerIdsImage& producer_ids() const { return producer_ids_; }

  // The offset and leader epoch of the last committed record in the image; -1 before any.
  int64_t last_offset() const { return last_offset_; }
  int32_t last_epoch() const { return last_epoch_; }

  // Same contents, section by section (shared or not).
  friend bool operator==(const MetadataImage& a, const MetadataImage& b);

 private:
  friend class ImageBuilder;

  std::string cluster_id_;
  std::shared_ptr<const Features> features_;
  std::shared_ptr<const Brokers> brokers_;
  std::shared_ptr<const TopicsById> topics_;
  std::shared_ptr<const TopicIdsByName> topic_ids_;
  std::shared_ptr<const ConfigsByResource> configs_;
  ProducerIdsImage producer_ids_;
  int64_t last_offset_ = -1;
  int32_t last_epoch_ = -1;
};

// Applies records on top of a base image and builds the next image from it. Not thread-safe; the
// images it builds are.
//
// Metadata transactions (BeginTransactionRecord .. EndTransactionRecord) are applied as one: while
// one is open, build() gives the image as it was before it began, and AbortTransactionRecord
// drops what it changed, as Kafka's metadata loader publishes only whole transactions.
class ImageBuilder {
 public:
  explicit ImageBuilder(std::shared_ptr<const MetadataImage> base);

  // Applies one record. An error means the record does not fit the state; nothing changes.
  Status apply(const MetadataRecord& record);
  // Records where the records applied so far came from.
  void set_last(int64_t offset, int32_t epoch);
  void set_cluster_id(std::string cluster_id);

  bool in_transaction() const { return before_transaction_ != nullptr; }
  // The image with every record applied so far (outside an open transaction). Cheap to call
  // again: the builder keeps going from what it built, copying sections afresh when touched.
  std::shared_ptr<const MetadataImage> build();

 private:
  template <typename Section>
  Section& changing(std::shared_ptr<Section>& copy, const std::shared_ptr<const Section>& base);
  MetadataImage::Features& features();
  MetadataImage::Brokers& brokers();
  MetadataImage::TopicsById& topics();
  MetadataImage::TopicIdsByName& topic_ids();
  MetadataImage::ConfigsByResource& configs();
  // The current value of a section: the one being changed, else the base's.
  const MetadataImage::Brokers& current_brokers() const;
  const MetadataImage::TopicsById& current_topics() const;
  const MetadataImage::TopicIdsByName& current_topic_ids() const;
  const TopicImage* find_topic(const Uuid& id) const;
  void put_topic(TopicImage topic);
  // The topic with one partition added or replaced; its other partitions stay shared.
  void put_partition(const TopicImage& topic, int32_t partition_id, PartitionRegistration partition);
  void remove_configs(const ConfigResource& resource);
  // Makes the next image of everything applied and continues from it.
  void freeze();
  // Forgets the copied sections (after freeze moved them on, or to undo them).
  void drop_changes();

  Status apply_body(const protocol::TopicRecord& r);
  Status apply_body(const protocol::PartitionRecord& r);
  Status apply_body(const protocol::PartitionChangeRecord& r);
  Status apply_body(const protocol::RemoveTopicRecord& r);
  Status apply_body(const protocol::ConfigRecord& r);
  Status apply_body(const protocol::FeatureLevelRecord& r);
  Status apply_body(const protocol::RegisterBrokerRecord& r);
  Status apply_body(const protocol::UnregisterBrokerRecord& r);
  Status apply_body(const protocol::FenceBrokerRecord& r);
  Status apply_body(const protocol::UnfenceBrokerRecord& r);
  Status apply_body(const protocol::BrokerRegistrationChangeRecord& r);
  Status apply_body(const protocol::ProducerIdsRecord& r);
  Status apply_body(const protocol::BeginTransactionRecord& r);
  Status apply_body(const protocol::EndTransactionRecord& r);
  Status apply_body(const protocol::AbortTransactionRecord& r);
  template <typename Other>
  Status apply_body(const Other&) {
    return {};
  }
  Status change_registration(const char* what, int32_t broker_id, int64_t epoch, std::optional<bool> fenced,
                             std::optional<bool> in_controlled_shutdown, const std::vector<Uuid>* log_dirs);

  // The image as last built (or the base); sections not being changed are read from it.
  std::shared_ptr<const MetadataImage> image_;
  // Sections copied from image_ because a record changed them; null when untouched.
  std::shared_ptr<MetadataImage::Features> features_;
  std::shared_ptr<MetadataImage::Brokers> brokers_;
  std::shared_ptr<MetadataImage::TopicsById> topics_;
  std::shared_ptr<MetadataImage::TopicIdsByName> topic_ids_;
  std::shared_ptr<MetadataImage::ConfigsByResource> configs_;
  // Topics copied since the last build, also in topics_: changed in place until then.
  std::map<Uuid, std::shared_ptr<TopicImage>, UuidLess> topic_copies_;
  ProducerIdsImage producer_ids_;
  std::string cluster_id_;
  int64_t last_offset_ = -1;
  int32_t last_epoch_ = -1;
  bool dirty_ = false;
  // The image as it was when the open transaction began; null outside one.
  std::shared_ptr<const MetadataImage> before_transaction_;
};

}  // namespace gregor::metadata
