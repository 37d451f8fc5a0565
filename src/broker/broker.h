// The broker process: shards (one event loop per core), the listeners each shard accepts on,
// and the dispatch of every request to its API handler (apis.h). See docs/broker.md.
#pragma once

#include <asio/ip/tcp.hpp>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "broker/apis.h"
#include "broker/fetch_session.h"
#include "broker/group_service.h"
#include "broker/log_service.h"
#include "broker/metadata_service.h"
#include "broker/net/connection.h"
#include "broker/net/shard.h"
#include "broker/producer_id_manager.h"
#include "broker/replica_manager.h"
#include "common/status.h"
#include "storage/dir_lock.h"
#include "storage/posix_file_system.h"

namespace gregor::broker {

struct ListenerOptions {
  std::string name = "PLAINTEXT";
  std::string host;  // empty: every interface
  int port = 9092;   // 0: any free port (tests)
};

struct BrokerOptions {
  int32_t node_id = 1;  // node.id
  std::vector<ListenerOptions> listeners{ListenerOptions{}};
  unsigned shards = 0;  // 0: one per core
  ConnectionLimits connection_limits;
  int32_t queued_max_requests = 500;  // queued.max.requests
  bool auto_create_topics_enable = true;  // auto.create.topics.enable
  // The logs; none for a broker that only speaks the protocol (tests of the network layer).
  std::optional<LogService::Options> storage;
  // The metadata log and controller (with storage); the listeners to register, where port 0
  // means the port bound.
  std::optional<MetadataService::Options> metadata;
  std::vector<AdvertisedListener> advertised;
  // The group coordinators (with metadata).
  GroupOptions groups;
  int32_t max_incremental_fetch_session_cache_slots = 1000;  // max.incremental.fetch.session.cache.slots
  int32_t fetch_max_bytes = 55 * 1024 * 1024;                // fetch.max.bytes
  int32_t transaction_max_timeout_ms = 900'000;  // transaction.max.timeout.ms
  // controller.listener.names: listeners that serve controller_apis() instead of the broker's.
  std::vector<std::string> controller_listener_names;
};

class Broker {
 public:
  explicit Broker(BrokerOptions options);
  ~Broker();

  // Binds the listeners and starts the shards' loops.
  Status start();
  // Stops accepting, closes the connections, shuts the logs down and ends the loops; wait()
  // returns afterwards with how the logs' shutdown went (a failure leaves no clean-shutdown
  // marker, so the next start recovers).
  void stop();
  Status wait();

  const BrokerOptions& options() const { return options_; }
  // The port a listener is bound to (the chosen one when configured as 0).
  int bound_port(const std::string& listener) const;
  size_t shard_count() const { return shards_.size(); }
  Shard& shard(unsigned id) { return shards_[id]->shard; }
  LogService* logs() { return logs_.get(); }
  // The partitions a shard leads; use it from that shard's thread only.
  ReplicaManager& replicas(unsigned shard) { return *replicas_[shard]; }
  MetadataService* metadata() { return metadata_.get(); }
  // The group coordinators a shard runs (with metadata); use it from that shard's thread only.
  GroupService& groups(unsigned shard) { return *groups_[shard]; }
  bool has_groups() const { return !groups_.empty(); }
  // The fetch sessions a shard holds (ids of its range); use it from that shard's thread only.
  FetchSessionCache& fetch_sessions(unsigned shard) { return *fetch_sessions_[shard]; }
  // Producer ids for InitProducerId (with metadata); use it on shard 0 only.
  ProducerIdManager* producer_ids() { return producer_ids_.get(); }

  // The APIs a listener serves: controller_apis() on a controller listener, else the broker's.
  std::span<const ApiEntry> apis_for(const std::string& listener) const;

  // Handles one request on the calling shard.
  asio::awaitable<HandlerResult> dispatch(const RequestContext& ctx, const protocol::RequestFrame& frame);

 private:
  struct ShardState {
    explicit ShardState(unsigned id, size_t queued_max_requests) : shard(id), limiter(queued_max_requests) {}
    Shard shard;
    RequestLimiter limiter;
    std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors;
    std::vector<std::string> acceptor_listeners;
    std::vector<std::weak_ptr<Connection>> connections;
  };

  asio::awaitable<void> accept_loop(ShardState& state, asio::ip::tcp::acceptor& acceptor, std::string listener);

  BrokerOptions options_;
  std::vector<std::unique_ptr<ShardState>> shards_;
  std::vector<std::pair<std::string, int>> bound_ports_;
  storage::PosixFileSystem fs_;
  std::vector<storage::DirLock> dir_locks_;  // released last, after the logs close
  storage::SystemClock clock_;
  std::unique_ptr<LogService> logs_;  // destroyed before the shards its timers run on
  std::vector<std::unique_ptr<ReplicaManager>> replicas_;
  std::unique_ptr<MetadataService> metadata_;
  std::vector<std::unique_ptr<GroupService>> groups_;
  std::vector<std::unique_ptr<FetchSessionCache>> fetch_sessions_;
  std::unique_ptr<ProducerIdManager> producer_ids_;
  bool started_ = false;
  bool stopped_ = false;
  bool waited_ = false;
  // Connections whose coroutine still runs, on every shard: a request in progress may still
  // need another shard's loop, so the loops end only once these are done.
  std::mutex connections_mutex_;
  std::condition_variable connections_done_;
  size_t active_connections_ = 0;
};

}  // namespace gregor::broker
