#include "metadata/image.h"

#include <algorithm>
#include <utility>

namespace gregor::metadata {

namespace {

// Equal maps of shared values: the same keys, and values equal whether or not they are shared.
template <typename Map>
bool same_values(const Map& a, const Map& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.first == y.first && (x.second == y.second || *x.second == *y.second);
  });
}

Status replay_error(std::string message) { return Status(ErrorCode::unknown_server_error, std::move(message)); }

std::string partition_name(const Uuid& topic_id, int32_t partition_id) {
  return topic_id.to_string() + ":" + std::to_string(partition_id);
}

// A partition record for a topic (or partition) the image does not have.
Status not_found(const char* action, const Uuid& topic_id, int32_t partition_id, const char* what) {
  return replay_error(std::string("Tried to ") + action + " partition " + partition_name(topic_id, partition_id) +
                      ", but no " + what + " was found.");
}

// Kafka keeps a directory per replica; records written before directories were tracked (or by a
// controller that leaves them out) have none, and mean "wherever it already is".
std::vector<Uuid> default_to_migrating(std::vector<Uuid> directories, size_t replica_count) {
  const bool migrating =
      std::all_of(directories.begin(), directories.end(), [](const Uuid& d) { return d == kDirectoryMigrating; });
  if (migrating) return std::vector<Uuid>(replica_count, kDirectoryMigrating);
  return directories;
}

}  // namespace

const BrokerEndpoint* BrokerRegistration::endpoint(std::string_view listener) const {
  for (const BrokerEndpoint& e : endpoints) {
    if (e.listener == listener) return &e;
  }
  return nullptr;
}

bool operator==(const TopicImage& a, const TopicImage& b) {
  return a.name == b.name && a.id == b.id && same_values(a.partitions, b.partitions);
}

const PartitionRegistration* TopicImage::partition(int32_t partition_id) const {
  auto it = partitions.find(partition_id);
  return it == partitions.end() ? nullptr : it->second.get();
}

std::shared_ptr<const MetadataImage> MetadataImage::empty() {
  static const std::shared_ptr<const MetadataImage> image = [] {
    auto m = std::make_shared<MetadataImage>();
    m->features_ = std::make_shared<const Features>();
    m->brokers_ = std::make_shared<const Brokers>();
    m->topics_ = std::make_shared<const TopicsById>();
    m->topic_ids_ = std::make_shared<const TopicIdsByName>();
    m->configs_ = std::make_shared<const ConfigsByResource>();
    return m;
  }();
  return image;
}

std::optional<int16_t> MetadataImage::feature_level(std::string_view name) const {
  auto it = features_->find(name);
  if (it == features_->end()) return std::nullopt;
  return it->second;
}

const BrokerRegistration* MetadataImage::broker(int32_t id) const {
  auto it = brokers_->find(id);
  return it == brokers_->end() ? nullptr : it->second.get();
}

std::vector<BrokerNode> MetadataImage::broker_nodes(std::string_view listener) const {
  std::vector<BrokerNode> out;
  for (const auto& [id, broker] : *brokers_) {
    if (broker->fenced) continue;
    if (const BrokerEndpoint* e = broker->endpoint(listener)) {
      out.push_back(BrokerNode{id, e->host, e->port, broker->rack});
    }
  }
  return out;
}

const TopicImage* MetadataImage::topic(std::string_view name) const {
  auto it = topic_ids_->find(name);
  return it == topic_ids_->end() ? nullptr : topic(it->second);
}

const TopicImage* MetadataImage::topic(const Uuid& id) const {
  auto it = topics_->find(id);
  return it == topics_->end() ? nullptr : it->second.get();
}

const PartitionRegistration* MetadataImage::partition(const Uuid& topic_id, int32_t partition_id) const {
  const TopicImage* t = topic(topic_id);
  return t ? t->partition(partition_id) : nullptr;
}

std::vector<std::string> MetadataImage::topic_names() const {
  std::vector<std::string> names;
  names.reserve(topic_ids_->size());
  for (const auto& [name, id] : *topic_ids_) names.push_back(name);
  return names;
}

const MetadataImage::Configs& MetadataImage::configs(ConfigResourceType type, std::string_view name) const {
  static const Configs kNone;
  auto it = configs_->find(ConfigResource{static_cast<int8_t>(type), std::string(name)});
  return it == configs_->end() ? kNone : *it->second;
}

bool operator==(const MetadataImage& a, const MetadataImage& b) {
  return a.cluster_id_ == b.cluster_id_ && *a.features_ == *b.features_ && same_values(*a.brokers_, *b.brokers_) &&
         same_values(*a.topics_, *b.topics_) && *a.topic_ids_ == *b.topic_ids_ &&
         same_values(*a.configs_, *b.configs_) && a.producer_ids_ == b.producer_ids_ &&
         a.last_offset_ == b.last_offset_ && a.last_epoch_ == b.last_epoch_;
}

ImageBuilder::ImageBuilder(std::shared_ptr<const MetadataImage> base)
    : image_(base ? std::move(base) : MetadataImage::empty()),
      producer_ids_(image_->producer_ids_),
      cluster_id_(image_->cluster_id_),
      last_offset_(image_->last_offset_),
      last_epoch_(image_->last_epoch_) {}

void ImageBuilder::set_last(int64_t offset, int32_t epoch) {
  last_offset_ = offset;
  last_epoch_ = epoch;
  dirty_ = true;
}

void ImageBuilder::set_cluster_id(std::string cluster_id) {
  cluster_id_ = std::move(cluster_id);
  dirty_ = true;
}

// Each section is copied from the image the first time a record changes it, and handed to the
// next image by freeze().
template <typename Section>
Section& ImageBuilder::changing(std::shared_ptr<Section>& copy, const std::shared_ptr<const Section>& base) {
  if (!copy) copy = std::make_shared<Section>(*base);
  dirty_ = true;
  return *copy;
}

MetadataImage::Features& ImageBuilder::features() { return changing(features_, image_->features_); }
MetadataImage::Brokers& ImageBuilder::brokers() { return changing(brokers_, image_->brokers_); }
MetadataImage::TopicsById& ImageBuilder::topics() { return changing(topics_, image_->topics_); }
MetadataImage::TopicIdsByName& ImageBuilder::topic_ids() { return changing(topic_ids_, image_->topic_ids_); }
MetadataImage::ConfigsByResource& ImageBuilder::configs() { return changing(configs_, image_->configs_); }

const MetadataImage::Brokers& ImageBuilder::current_brokers() const { return brokers_ ? *brokers_ : *image_->brokers_; }
const MetadataImage::TopicsById& ImageBuilder::current_topics() const { return topics_ ? *topics_ : *image_->topics_; }
const MetadataImage::TopicIdsByName& ImageBuilder::current_topic_ids() const {
  return topic_ids_ ? *topic_ids_ : *image_->topic_ids_;
}

const TopicImage* ImageBuilder::find_topic(const Uuid& id) const {
  const auto& all = current_topics();
  auto it = all.find(id);
  return it == all.end() ? nullptr : it->second.get();
}

void ImageBuilder::put_topic(TopicImage topic) {
  const Uuid id = topic.id;
  auto copy = std::make_shared<TopicImage>(std::move(topic));
  topics()[id] = copy;
  topic_copies_[id] = std::move(copy);
}

// A topic's first change since the last build copies it (its partitions stay shared); later
// changes before the next build edit that copy, which no built image holds yet.
void ImageBuilder::put_partition(const TopicImage& topic, int32_t partition_id, PartitionRegistration partition) {
  auto it = topic_copies_.find(topic.id);
  if (it == topic_copies_.end()) {
    put_topic(topic);
    it = topic_copies_.find(topic.id);
  }
  it->second->partitions[partition_id] = std::make_shared<const PartitionRegistration>(std::move(partition));
}

void ImageBuilder::remove_configs(const ConfigResource& resource) {
  const auto& current = configs_ ? *configs_ : *image_->configs_;
  if (current.count(resource)) configs().erase(resource);
}

void ImageBuilder::drop_changes() {
  features_.reset();
  brokers_.reset();
  topics_.reset();
  topic_ids_.reset();
  configs_.reset();
  topic_copies_.clear();
}

void ImageBuilder::freeze() {
  if (!dirty_) return;
  auto next = std::make_shared<MetadataImage>(*image_);
  if (features_) next->features_ = std::move(features_);
  if (brokers_) next->brokers_ = std::move(brokers_);
  if (topics_) next->topics_ = std::move(topics_);
  if (topic_ids_) next->topic_ids_ = std::move(topic_ids_);
  if (configs_) next->configs_ = std::move(configs_);
  next->producer_ids_ = producer_ids_;
  next->cluster_id_ = cluster_id_;
  next->last_offset_ = last_offset_;
  next->last_epoch_ = last_epoch_;
  drop_changes();
  image_ = std::move(next);
  dirty_ = false;
}

std::shared_ptr<const MetadataImage> ImageBuilder::build() {
  freeze();
  return before_transaction_ ? before_transaction_ : image_;
}

Status ImageBuilder::apply(const MetadataRecord& record) {
  return std::visit([this](const auto& body) { return apply_body(body); }, record.body);
}

Status ImageBuilder::apply_body(const protocol::TopicRecord& r) {
  if (current_topic_ids().count(r.name)) return replay_error("Found duplicate TopicRecord for " + r.name);
  if (find_topic(r.topic_id)) {
    return replay_error("Found TopicRecord for " + r.name + " with the topic ID " + r.topic_id.to_string() +
                        " of another topic");
  }
  topic_ids()[r.name] = r.topic_id;
  put_topic(TopicImage{r.name, r.topic_id, {}});
  return {};
}

Status ImageBuilder::apply_body(const protocol::PartitionRecord& r) {
  const TopicImage* topic = find_topic(r.topic_id);
  if (!topic) return not_found("create", r.topic_id, r.partition_id, "topic with that ID");
  if (!r.directories.empty() && r.directories.size() != r.replicas.size()) {
    return replay_error("PartitionRecord for " + partition_name(r.topic_id, r.partition_id) + " has " +
                        std::to_string(r.replicas.size()) + " replicas but " + std::to_string(r.directories.size()) +
                        " directories");
  }
  PartitionRegistration p;
  p.replicas = r.replicas;
  p.directories = default_to_migrating(r.directories, r.replicas.size());
  p.isr = r.isr;
  p.removing_replicas = r.removing_replicas;
  p.adding_replicas = r.adding_replicas;
  p.eligible_leader_replicas = r.eligible_leader_replicas.value_or(std::vector<int32_t>{});
  p.last_known_elr = r.last_known_elr.value_or(std::vector<int32_t>{});
  p.leader = r.leader;
  p.leader_recovery_state = r.leader_recovery_state;
  p.leader_epoch = r.leader_epoch;
  p.partition_epoch = r.partition_epoch;
  put_partition(*topic, r.partition_id, std::move(p));
  return {};
}

Status ImageBuilder::apply_body(const protocol::PartitionChangeRecord& r) {
  const TopicImage* topic = find_topic(r.topic_id);
  if (!topic) return not_found("change", r.topic_id, r.partition_id, "topic with that ID");
  const PartitionRegistration* prev = topic->partition(r.partition_id);
  if (!prev) return not_found("change", r.topic_id, r.partition_id, "partition with that id");
  PartitionRegistration p = *prev;
  if (r.replicas) p.replicas = *r.replicas;
  if (r.directories) {
    if (r.replicas && !r.directories->empty() && r.directories->size() != r.replicas->size()) {
      return replay_error("PartitionChangeRecord for " + partition_name(r.topic_id, r.partition_id) +
                          " has a different number of replicas and directories");
    }
    p.directories = *r.directories;
  }
  p.directories = default_to_migrating(std::move(p.directories), p.replicas.size());
  if (!p.directories.empty() && p.directories.size() != p.replicas.size()) {
    return replay_error("PartitionChangeRecord for " + partition_name(r.topic_id, r.partition_id) +
                        " leaves the replicas and directories with different lengths");
  }
  if (r.isr) p.isr = *r.isr;
  if (r.removing_replicas) p.removing_replicas = *r.removing_replicas;
  if (r.adding_replicas) p.adding_replicas = *r.adding_replicas;
  if (r.leader != kNoLeaderChange) {
    p.leader = r.leader;
    ++p.leader_epoch;
  }
  if (r.leader_recovery_state != -1) {
    if (r.leader_recovery_state != 0 && r.leader_recovery_state != 1) {
      return replay_error("Unknown leader recovery state " + std::to_string(r.leader_recovery_state));
    }
    p.leader_recovery_state = r.leader_recovery_state;
  }
  if (r.eligible_leader_replicas) p.eligible_leader_replicas = *r.eligible_leader_replicas;
  if (r.last_known_elr) p.last_known_elr = *r.last_known_elr;
  ++p.partition_epoch;
  put_partition(*topic, r.partition_id, std::move(p));
  return {};
}

Status ImageBuilder::apply_body(const protocol::RemoveTopicRecord& r) {
  const TopicImage* topic = find_topic(r.topic_id);
  if (!topic) return replay_error("Can't find topic with ID " + r.topic_id.to_string() + " to remove.");
  const std::string name = topic->name;
  topics().erase(r.topic_id);
  topic_copies_.erase(r.topic_id);
  topic_ids().erase(name);
  // A topic's configs go with it.
  remove_configs(ConfigResource{static_cast<int8_t>(ConfigResourceType::topic), name});
  return {};
}

Status ImageBuilder::apply_body(const protocol::ConfigRecord& r) {
  const ConfigResource resource{r.resource_type, r.resource_name};
  const auto& current = configs_ ? *configs_ : *image_->configs_;
  auto it = current.find(resource);
  MetadataImage::Configs next = it == current.end() ? MetadataImage::Configs{} : *it->second;
  if (r.value) {
    next[r.name] = *r.value;
  } else {
    next.erase(r.name);
  }
  if (next.empty()) {
    remove_configs(resource);
  } else {
    configs()[resource] = std::make_shared<const MetadataImage::Configs>(std::move(next));
  }
  return {};
}

Status ImageBuilder::apply_body(const protocol::FeatureLevelRecord& r) {
  if (r.name == kMetadataVersionFeature) {
    if (r.feature_level < 1) return replay_error("Invalid metadata.version level " + std::to_string(r.feature_level));
    features()[r.name] = r.feature_level;
  } else if (r.feature_level == 0) {
    // Level 0 of any other feature means it is not in use.
    features().erase(r.name);
  } else {
    features()[r.name] = r.feature_level;
  }
  return {};
}

Status ImageBuilder::apply_body(const protocol::RegisterBrokerRecord& r) {
  BrokerRegistration b;
  b.id = r.broker_id;
  b.incarnation_id = r.incarnation_id;
  b.epoch = r.broker_epoch;
  for (const auto& e : r.end_points) b.endpoints.push_back(BrokerEndpoint{e.name, e.host, e.port, e.security_protocol});
  for (const auto& f : r.features) {
    b.supported_features[f.name] = FeatureRange{f.min_supported_version, f.max_supported_version};
  }
  b.rack = r.rack;
  b.fenced = r.fenced;
  b.in_controlled_shutdown = r.in_controlled_shutdown;
  b.is_migrating_zk_broker = r.is_migrating_zk_broker;
  b.log_dirs = r.log_dirs;
  brokers()[r.broker_id] = std::make_shared<const BrokerRegistration>(std::move(b));
  return {};
}

Status ImageBuilder::apply_body(const protocol::UnregisterBrokerRecord& r) {
  const auto& all = current_brokers();
  auto it = all.find(r.broker_id);
  if (it == all.end() || it->second->epoch != r.broker_epoch) {
    return replay_error("Unable to replay UnregisterBrokerRecord for broker " + std::to_string(r.broker_id) +
                        " epoch " + std::to_string(r.broker_epoch) + ": no broker registration with that epoch found");
  }
  brokers().erase(r.broker_id);
  return {};
}

Status ImageBuilder::apply_body(const protocol::FenceBrokerRecord& r) {
  return change_registration("FenceBrokerRecord", r.id, r.epoch, true, std::nullopt, nullptr);
}

Status ImageBuilder::apply_body(const protocol::UnfenceBrokerRecord& r) {
  return change_registration("UnfenceBrokerRecord", r.id, r.epoch, false, std::nullopt, nullptr);
}

Status ImageBuilder::apply_body(const protocol::BrokerRegistrationChangeRecord& r) {
  std::optional<bool> fenced;
  if (r.fenced == kFencingChangeFence) {
    fenced = true;
  } else if (r.fenced == kFencingChangeUnfence) {
    fenced = false;
  } else if (r.fenced != kFencingChangeNone) {
    return replay_error("Unable to replay BrokerRegistrationChangeRecord: unknown value for fenced field: " +
                        std::to_string(r.fenced));
  }
  std::optional<bool> shutting_down;
  if (r.in_controlled_shutdown == 1) {
    shutting_down = true;
  } else if (r.in_controlled_shutdown != 0) {
    return replay_error(
        "Unable to replay BrokerRegistrationChangeRecord: unknown value for inControlledShutdown "
        "field: " +
        std::to_string(r.in_controlled_shutdown));
  }
  return change_registration("BrokerRegistrationChangeRecord", r.broker_id, r.broker_epoch, fenced, shutting_down,
                             r.log_dirs.empty() ? nullptr : &r.log_dirs);
}

Status ImageBuilder::change_registration(const char* what, int32_t broker_id, int64_t epoch, std::optional<bool> fenced,
                                         std::optional<bool> in_controlled_shutdown,
                                         const std::vector<Uuid>* log_dirs) {
  const auto& all = current_brokers();
  auto it = all.find(broker_id);
  if (it == all.end()) {
    return replay_error(std::string("Unable to replay ") + what + " for broker " + std::to_string(broker_id) +
                        ": no broker registration found for that id");
  }
  if (it->second->epoch != epoch) {
    return replay_error(std::string("Unable to replay ") + what + " for broker " + std::to_string(broker_id) +
                        ": no broker registration with epoch " + std::to_string(epoch) + " found");
  }
  BrokerRegistration b = *it->second;
  if (fenced) b.fenced = *fenced;
  if (in_controlled_shutdown) b.in_controlled_shutdown = *in_controlled_shutdown;
  if (log_dirs) b.log_dirs = *log_dirs;
  brokers()[broker_id] = std::make_shared<const BrokerRegistration>(std::move(b));
  return {};
}

Status ImageBuilder::apply_body(const protocol::ProducerIdsRecord& r) {
  if (r.next_producer_id <= producer_ids_.next_producer_id) {
    return replay_error("Next Producer ID from replayed record (" + std::to_string(r.next_producer_id) +
                        ") is not greater than current next Producer ID (" +
                        std::to_string(producer_ids_.next_producer_id) + ")");
  }
  producer_ids_ = ProducerIdsImage{r.broker_id, r.broker_epoch, r.next_producer_id};
  dirty_ = true;
  return {};
}

Status ImageBuilder::apply_body(const protocol::BeginTransactionRecord& r) {
  if (before_transaction_) return replay_error("Found BeginTransactionRecord inside a metadata transaction");
  freeze();
  before_transaction_ = image_;
  return {};
}

Status ImageBuilder::apply_body(const protocol::EndTransactionRecord&) {
  if (!before_transaction_) return replay_error("Found EndTransactionRecord outside a metadata transaction");
  before_transaction_.reset();
  return {};
}

Status ImageBuilder::apply_body(const protocol::AbortTransactionRecord&) {
  if (!before_transaction_) return replay_error("Found AbortTransactionRecord outside a metadata transaction");
  // Back to the image before the transaction, keeping where the records came from.
  drop_changes();
  image_ = std::move(before_transaction_);
  producer_ids_ = image_->producer_ids_;
  dirty_ = true;
  return {};
}

}  // namespace gregor::metadata
