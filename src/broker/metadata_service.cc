#include "broker/metadata_service.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <set>

#include "broker/broker.h"
#include "broker/broker_lifecycle.h"
#include "config/meta_properties.h"
#include "metadata/topic_name.h"

namespace gregor::broker {

StatusOr<std::unique_ptr<MetadataService>> MetadataService::open(Broker& broker, storage::FileSystem& fs,
                                                                 storage::Clock& clock, Options options) {
  std::unique_ptr<MetadataService> service(new MetadataService(broker, std::move(options)));
  service->home_ = &broker.shard(0);
  service->clock_ = &clock;
  Shard* home = service->home_;
  MetadataService* raw = service.get();
  service->syncs_ = std::make_unique<storage::ThreadSyncExecutor>(
      [home, raw] { asio::post(home->executor(), [raw] { raw->syncs_->run_completions(); }); });
  metadata::MetadataLog::Options log_options;
  log_options.metadata_dir = service->options_.metadata_dir;
  log_options.cluster_id = service->options_.cluster_id;
  auto opened = metadata::MetadataLog::open(fs, clock, *service->syncs_, log_options);
  if (!opened.ok()) return opened.status();
  service->log_ = std::move(opened->log);
  if (!service->options_.config) {
    // Options made by hand (tests): the embedded default for this node, under the static config
    // when that makes a valid configuration.
    config::Properties props = config::BrokerConfig::embedded_default_properties(service->options_.metadata_dir);
    const std::string id = std::to_string(service->options_.controller.node_id);
    props["node.id"] = id;
    props["controller.quorum.voters"] = id + "@localhost:9093";
    config::Properties with_static = props;
    for (const auto& [k, v] : service->options_.controller.static_config) with_static[k] = v;
    auto made = config::BrokerConfig::from_properties(std::move(with_static), nullptr);
    if (!made.ok()) made = config::BrokerConfig::from_properties(std::move(props), nullptr);
    if (!made.ok()) return made.status();
    service->options_.config = std::make_shared<const config::BrokerConfig>(std::move(*made));
  }
  service->options_.controller.cluster_id = service->options_.cluster_id;
  service->controller_ = std::make_unique<controller::QuorumController>(service->options_.controller, opened->image);
  service->images_.assign(broker.shard_count(), opened->image);
  spdlog::info("metadata log replayed up to offset {}: {} topics, {} brokers", opened->image->last_offset(),
               opened->image->topics().size(), opened->image->brokers().size());
  return service;
}

MetadataService::~MetadataService() = default;

void MetadataService::close() {
  if (tick_timer_) tick_timer_->cancel();
  if (!log_) return;
  if (Status s = log_->close(); !s.ok()) spdlog::error("closing the metadata log: {}", s.message());
  log_.reset();
}

const std::shared_ptr<const metadata::MetadataImage>& MetadataService::image() const {
  Shard* current = Shard::current();
  return images_[current ? current->id() : 0];
}

storage::LogConfig MetadataService::log_defaults(const metadata::MetadataImage& image) const {
  using metadata::ConfigResourceType;
  const auto& own = image.configs(ConfigResourceType::broker, std::to_string(options_.controller.node_id));
  const auto& cluster = image.configs(ConfigResourceType::broker, "");
  if (own.empty() && cluster.empty()) return options_.log_defaults;
  return controller::BrokerConfigLayers{own, cluster, options_.controller.static_config}.log_defaults();
}

storage::LogConfig MetadataService::topic_log_config(const metadata::MetadataImage& image,
                                                     const std::string& topic) const {
  return topic_log_config(log_defaults(image), image, topic);
}

storage::LogConfig MetadataService::topic_log_config(const storage::LogConfig& defaults,
                                                     const metadata::MetadataImage& image,
                                                     const std::string& topic) const {
  const auto& configs = image.configs(metadata::ConfigResourceType::topic, topic);
  if (configs.empty()) return defaults;
  auto config = defaults.with_topic_overrides(std::map<std::string, std::string>(configs.begin(), configs.end()));
  if (!config.ok()) {
    spdlog::warn("topic {} has configs this broker rejects ({}): using the defaults", topic,
                 config.status().message());
    return defaults;
  }
  return *config;
}

asio::awaitable<Status> MetadataService::start(std::vector<AdvertisedListener> advertised) {
  auto run = [this, advertised = std::move(advertised)](auto reply) {
    const int64_t now = clock_->monotonic_ms();
    // This process's broker registered last time died with that process.
    controller_->activate(now, options_.controller.node_id);
    BrokerLifecycle::Options lifecycle;
    lifecycle.node_id = options_.controller.node_id;
    lifecycle.cluster_id = options_.cluster_id;
    lifecycle.incarnation_id = config::random_uuid();
    lifecycle.rack = options_.rack;  // without broker.rack clients see a null rack, as from Kafka
    for (const AdvertisedListener& l : advertised) {
      auto& listener = lifecycle.listeners.emplace_back();
      listener.name = l.name;
      listener.host = l.host;
      listener.port = static_cast<uint16_t>(l.port);
      listener.security_protocol = l.security_protocol;
    }
    auto& feature = lifecycle.features.emplace_back();
    feature.name = "metadata.version";
    feature.min_supported_version = 1;
    feature.max_supported_version = controller::kMetadataVersion;
    lifecycle.heartbeat_interval_ms = options_.heartbeat_interval_ms;
    lifecycle.session_timeout_ms = options_.controller.session_timeout_ms;
    lifecycle_ = std::make_unique<BrokerLifecycle>(std::move(lifecycle));
    commit(controller_->bootstrap(), [this, reply, now](bool ok) {
      if (!ok) {
        reply(Status(ErrorCode::kafka_storage_error, "the metadata log failed"));
        return;
      }
      // The logs were recovered when they opened: once caught up with its own registration the
      // broker may be unfenced, which happens before the first client connects.
      on_started_ = reply;
      lifecycle_->set_ready_to_unfence();
      lifecycle_->start(now);
      tick_timer_ = std::make_unique<asio::steady_timer>(home_->context());
      asio::co_spawn(home_->context(), tick_loop(), asio::detached);
      drive_lifecycle();
    });
  };
  co_return co_await invoke_on_async<Status>(*home_, run);
}

int64_t MetadataService::controller_time_ms() const { return clock_->monotonic_ms(); }

void MetadataService::drive_lifecycle() {
  if (!lifecycle_ || !log_) return;
  lifecycle_->metadata_applied(controller_->image()->last_offset());
  const int64_t now = clock_->monotonic_ms();
  std::optional<BrokerLifecycle::Request> request = lifecycle_->poll(now);
  if (!request) return;
  // This node is the active controller: the request goes straight to it, and its answer comes
  // once what it wrote is committed, as over the network.
  auto answered = [this](bool ok) {
    if (!ok) lifecycle_->on_request_failed(clock_->monotonic_ms());
    if (on_started_) {
      const int16_t refused = lifecycle_->last_error();
      if (lifecycle_->state() == BrokerState::running) {
        std::exchange(on_started_, nullptr)(Status());
      } else if (!ok || (!lifecycle_->registered() && refused != 0)) {
        std::exchange(on_started_, nullptr)(
            ok ? Status(static_cast<ErrorCode>(refused), "registering this broker failed")
               : Status(ErrorCode::kafka_storage_error, "the metadata log failed"));
        return;
      }
    }
    drive_lifecycle();
  };
  if (auto* registration = std::get_if<protocol::BrokerRegistrationRequest>(&*request)) {
    auto result = controller_->register_broker(*registration, now);
    auto response = result.response;
    commit(std::move(result.records), [this, response, answered](bool ok) {
      if (ok) lifecycle_->on_registration_response(response, clock_->monotonic_ms());
      answered(ok);
    });
    return;
  }
  auto result = controller_->broker_heartbeat(std::get<protocol::BrokerHeartbeatRequest>(*request), now);
  if (result.response.error_code != 0) {
    spdlog::warn("this broker's heartbeat was refused: {}",
                 error_name(static_cast<ErrorCode>(result.response.error_code)));
  }
  auto response = result.response;
  commit(std::move(result.records), [this, response, answered](bool ok) {
    if (ok) lifecycle_->on_heartbeat_response(response, clock_->monotonic_ms());
    answered(ok);
  });
}

int64_t MetadataService::tick_interval_ms() const {
  // Often enough to fence within a small part of the session timeout, and to heartbeat on time.
  const int64_t session = options_.controller.session_timeout_ms;
  return std::clamp<int64_t>(std::min(session / 8, options_.heartbeat_interval_ms / 4), 5, 500);
}

asio::awaitable<void> MetadataService::tick_loop() {
  while (log_) {
    tick_timer_->expires_after(std::chrono::milliseconds(tick_interval_ms()));
    std::error_code ec;
    co_await tick_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!log_ || ec == asio::error::operation_aborted) break;
    tick();
  }
}

void MetadataService::tick() {
  std::vector<metadata::MetadataRecord> fenced = controller_->tick(clock_->monotonic_ms());
  if (!fenced.empty()) {
    commit(std::move(fenced), [](bool ok) {
      if (!ok) spdlog::error("the metadata log failed: fencing brokers was not written");
    });
  }
  drive_lifecycle();
}

void MetadataService::commit(std::vector<metadata::MetadataRecord> records, std::function<void(bool)> done) {
  auto shared = std::make_shared<std::vector<metadata::MetadataRecord>>(std::move(records));
  auto appended = log_->append(*shared, 0, [this, shared, done](Status s, int64_t base, int64_t) {
    if (!s.ok()) {
      spdlog::error("the metadata log failed: {}", s.message());
      controller_->abandon_uncommitted();
      done(false);
      return;
    }
    for (size_t i = 0; i < shared->size(); ++i) {
      if (Status r = controller_->replay((*shared)[i], base + static_cast<int64_t>(i), 0); !r.ok()) {
        spdlog::error("replaying metadata record {}: {}", base + static_cast<int64_t>(i), r.message());
      }
    }
    if (shared->empty()) {
      done(true);
      return;
    }
    publish(controller_->image(), [done] { done(true); });
  });
  if (!appended.ok()) {
    spdlog::error("appending to the metadata log: {}", appended.status().message());
    controller_->abandon_uncommitted();
    done(false);
  }
}

void MetadataService::publish(std::shared_ptr<const metadata::MetadataImage> image, std::function<void()> then) {
  // Posted to every other shard before the answer is posted to the requester, so a shard sees
  // the image before any request that follows the answer. This shard installs it at once: a
  // post from a loop's own thread waits in a private queue until the running handler returns,
  // and a request that another shard posts meanwhile would overtake it.
  Shard* here = Shard::current();
  for (unsigned s = 0; s < broker_.shard_count(); ++s) {
    auto install = [this, s, image] {
      images_[s] = image;
      reconcile(s);
    };
    if (here && here->id() == s) {
      install();
    } else {
      asio::post(broker_.shard(s).executor(), install);
    }
  }
  then();
}

namespace {

// Kafka's test for a stray replica: a log the image gives this broker no replica of. Its topic
// was deleted (maybe while the broker was down, or before the deletion reached the disk), or
// deleted and created again under a new id, or the partition moved away. A log without a topic
// id is stray too: partition.metadata is written when the log is created, before any append.
bool is_stray(const metadata::MetadataImage& image, const TopicPartition& tp, const std::optional<Uuid>& topic_id,
              int32_t node_id) {
  if (!topic_id) return true;
  const metadata::PartitionRegistration* partition = image.partition(*topic_id, tp.partition);
  return !partition || std::find(partition->replicas.begin(), partition->replicas.end(), node_id) ==
                           partition->replicas.end();
}

}  // namespace

void MetadataService::reconcile(unsigned shard) {
  const metadata::MetadataImage& image = *images_[shard];
  ReplicaManager& replicas = broker_.replicas(shard);
  storage::LogManager& logs = broker_.logs()->of(shard);
  const unsigned shards = static_cast<unsigned>(broker_.shard_count());
  const int32_t self = options_.controller.node_id;
  // Stray logs go first, so that a topic created again under the same name starts from an
  // empty log. Their directories are renamed "-delete" and removed after file.delete.delay.ms
  // (or at the next start), as Kafka does.
  for (const TopicPartition& tp : logs.partitions()) {
    const std::optional<Uuid> topic_id = logs.topic_id(tp);
    if (!is_stray(image, tp, topic_id, self)) continue;
    spdlog::info("deleting the log of {} (topic id {}): the metadata has no replica of it here", tp.to_string(),
                 topic_id ? topic_id->to_string() : std::string("none"));
    if (Status s = replicas.remove(tp); !s.ok()) spdlog::error("deleting the log of {}: {}", tp.to_string(), s.message());
  }
  std::set<TopicPartition> led;
  // make_leader gives every led log its config again, so a change to a topic's configs or to the
  // broker's dynamic log settings reaches the running logs with the image that carries it.
  const storage::LogConfig defaults = log_defaults(image);
  for (const auto& [id, topic] : image.topics()) {
    storage::LogConfig config = topic_log_config(defaults, image, topic->name);
    for (const auto& [index, partition] : topic->partitions) {
      TopicPartition tp{topic->name, index};
      if (shard_of(tp, shards) != shard || partition->leader != self) continue;
      led.insert(tp);
      auto made = replicas.make_leader(tp, id, partition->leader_epoch, config);
      if (!made.ok()) spdlog::error("leading {}: {}", tp.to_string(), made.status().message());
    }
  }
  // Still a replica here, led elsewhere: the log stays.
  for (const TopicPartition& tp : replicas.partitions()) {
    if (!led.count(tp)) replicas.stop_leading(tp);
  }
  if (broker_.has_groups()) broker_.groups(shard).reconcile();
}

}  // namespace gregor::broker
