// The cluster metadata on a single node: the metadata log (__cluster_metadata-0), the active
// controller that writes it, and the image every shard reads. All of it lives on shard 0: a
// change runs the controller there, appends its records as one batch, and once the batch is
// durable replays them and publishes the new image to every shard, which reconciles the
// partitions it leads, before the request that made the change is answered. The quorum issue
// will commit through Raft instead of on fsync, without changing this flow.
#pragma once

#include <asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "broker/broker_lifecycle.h"
#include "broker/net/shard.h"
#include "config/broker_config.h"
#include "controller/quorum_controller.h"
#include "metadata/image.h"
#include "metadata/metadata_log.h"
#include "storage/log_config.h"
#include "storage/sync_executor.h"

namespace gregor::broker {

class Broker;

struct AdvertisedListener {
  std::string name;
  std::string host;
  int port = 0;
  int16_t security_protocol = 0;  // PLAINTEXT
};

class MetadataService {
 public:
  struct Options {
    std::string metadata_dir;
    std::string cluster_id;
    controller::QuorumController::Options controller;
    storage::LogConfig log_defaults;  // the broker's topic defaults, under topic configs
    // The broker's configuration, which DescribeConfigs reports; when unset, one is made from
    // controller.static_config over the embedded default.
    std::shared_ptr<const config::BrokerConfig> config;
    // broker.heartbeat.interval.ms: how often this node heartbeats its own registration.
    int64_t heartbeat_interval_ms = 2000;
    // broker.rack of this node.
    std::optional<std::string> rack;
  };

  // Opens and replays the metadata log, before the shards' loops run.
  static StatusOr<std::unique_ptr<MetadataService>> open(Broker& broker, storage::FileSystem& fs,
                                                        storage::Clock& clock, Options options);
  ~MetadataService();

  // On shard 0, once the loops run: writes the bootstrap records of a new cluster, registers
  // this broker with its advertised listeners, and publishes the image.
  asio::awaitable<Status> start(std::vector<AdvertisedListener> advertised);

  // Runs a controller operation on shard 0 and answers with its response once its records are
  // committed and the new image published (nullopt: the metadata log failed).
  template <typename Response>
  asio::awaitable<std::optional<Response>> submit(
      std::function<controller::ControllerResult<Response>(controller::QuorumController&)> op);

  // The image of the calling shard.
  const std::shared_ptr<const metadata::MetadataImage>& image() const;
  // The log config of a topic: the broker defaults with the topic's configs over them.
  storage::LogConfig topic_log_config(const metadata::MetadataImage& image, const std::string& topic) const;
  // The defaults of every topic in an image: the broker's log settings, static, with the
  // dynamic ones (cluster default, then this broker's) over them.
  storage::LogConfig log_defaults(const metadata::MetadataImage& image) const;
  const config::BrokerConfig& broker_config() const { return *options_.config; }
  // The time the controller's broker sessions are measured in (monotonic milliseconds).
  int64_t controller_time_ms() const;

  void close();

 private:
  MetadataService(Broker& broker, Options options) : broker_(broker), options_(std::move(options)) {}
  // On shard 0: appends the records and calls done(ok) once committed, replayed and published.
  void commit(std::vector<metadata::MetadataRecord> records, std::function<void(bool)> done);
  // On every shard: installs the image, deletes the logs it has no replica for (stray logs,
  // such as a deleted topic's) and leads the partitions it owns.
  void publish(std::shared_ptr<const metadata::MetadataImage> image, std::function<void()> then);
  void reconcile(unsigned shard);
  // The log config of a topic over these defaults (log_defaults of the image).
  storage::LogConfig topic_log_config(const storage::LogConfig& defaults, const metadata::MetadataImage& image,
                                      const std::string& topic) const;

  // On shard 0, every few milliseconds: the controller fences brokers whose session expired,
  // and this node's broker lifecycle sends what is due.
  asio::awaitable<void> tick_loop();
  void tick();
  int64_t tick_interval_ms() const;
  // Sends the lifecycle's due request to this node's own controller, commits what it writes and
  // feeds the response back, then goes on with what is due next.
  void drive_lifecycle();

  Broker& broker_;
  Shard* home_ = nullptr;  // shard 0
  storage::Clock* clock_ = nullptr;
  std::unique_ptr<asio::steady_timer> tick_timer_;
  // This node's broker, registered with its own controller.
  std::unique_ptr<BrokerLifecycle> lifecycle_;
  // start()'s answer, once the broker is running (or its registration was refused).
  std::function<void(Status)> on_started_;
  Options options_;
  std::unique_ptr<storage::ThreadSyncExecutor> syncs_;
  std::unique_ptr<metadata::MetadataLog> log_;
  std::unique_ptr<controller::QuorumController> controller_;
  std::vector<std::shared_ptr<const metadata::MetadataImage>> images_;  // per shard
};

// Not a coroutine, so that callers may pass a lambda temporary (see invoke_on).
template <typename Response>
asio::awaitable<std::optional<Response>> MetadataService::submit(
    std::function<controller::ControllerResult<Response>(controller::QuorumController&)> op) {
  auto run = [this, op = std::move(op)](auto reply) {
    auto result = op(*controller_);
    auto response = std::make_shared<Response>(std::move(result.response));
    commit(std::move(result.records), [response, reply](bool ok) {
      reply(ok ? std::optional<Response>(std::move(*response)) : std::nullopt);
    });
  };
  return invoke_on_async<std::optional<Response>>(*home_, run);
}

}  // namespace gregor::broker
