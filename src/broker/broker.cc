#include "broker/broker.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/use_future.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <algorithm>
#include <csignal>
#include <random>
#include <thread>

#include "broker/apis.h"
#include "broker/handlers/handlers.h"
#include "common/error_code.h"

namespace gregor::broker {

namespace {

constexpr int16_t kApiVersionsKey = 18;

Status bind_error(const ListenerOptions& l, const std::error_code& ec) {
  return Status(ErrorCode::unknown_server_error,
                "cannot listen on " + l.name + "://" + l.host + ":" + std::to_string(l.port) + ": " + ec.message());
}

// SO_REUSEPORT would let a second broker (same user) bind a port this one listens on, and the
// kernel would then split connections between them. A plain bind first proves nobody listens.
Status check_port_free(const ListenerOptions& l, const asio::ip::tcp::endpoint& endpoint) {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io);
  std::error_code ec;
  probe.open(endpoint.protocol(), ec);
  if (!ec && endpoint.protocol() == asio::ip::tcp::v6() && l.host.empty()) probe.set_option(asio::ip::v6_only(false), ec);
  if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) probe.bind(endpoint, ec);
  if (ec) return bind_error(l, ec);
  return {};
}

}  // namespace

Broker::Broker(BrokerOptions options) : options_(std::move(options)) {
  unsigned n = options_.shards ? options_.shards : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) {
    shards_.push_back(std::make_unique<ShardState>(i, static_cast<size_t>(options_.queued_max_requests)));
  }
  std::random_device seed;
  const size_t slots = static_cast<size_t>(std::max(options_.max_incremental_fetch_session_cache_slots, 0));
  for (unsigned i = 0; i < n; ++i) {
    fetch_sessions_.push_back(std::make_unique<FetchSessionCache>(i, n, FetchSessionCache::slots_of_shard(slots, i, n),
                                                                  (uint64_t{seed()} << 32) | seed()));
  }
}

Broker::~Broker() {
  stop();
  if (Status s = wait(); !s.ok()) spdlog::error("shutting the logs down: {}", s.message());
}

Status Broker::start() {
  if (started_) return {};
  // sendfile(2) to a socket the client has closed raises SIGPIPE (it has no MSG_NOSIGNAL): a
  // consumer that leaves while its long-poll Fetch waits would kill the process. EPIPE will do.
  std::signal(SIGPIPE, SIG_IGN);
  if (options_.storage) {
    // Each data directory belongs to one broker: a second one on the same directories stops here,
    // before it reads or writes anything in them.
    std::vector<std::string> dirs = options_.storage->manager.log_dirs;
    if (options_.metadata) dirs.push_back(options_.metadata->metadata_dir);
    std::sort(dirs.begin(), dirs.end());
    dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
    for (const std::string& dir : dirs) {
      auto lock = storage::DirLock::acquire(dir);
      if (!lock.ok()) return lock.status();
      dir_locks_.push_back(std::move(*lock));
    }
    std::vector<Shard*> shards;
    for (auto& state : shards_) shards.push_back(&state->shard);
    auto logs = LogService::open(fs_, clock_, shards, *options_.storage);
    if (!logs.ok()) return logs.status();
    logs_ = std::move(*logs);
    for (auto& state : shards_) {
      replicas_.push_back(std::make_unique<ReplicaManager>(logs_->of(state->shard.id()), options_.node_id));
    }
    if (options_.metadata) {
      auto metadata = MetadataService::open(*this, fs_, clock_, *options_.metadata);
      if (!metadata.ok()) return metadata.status();
      metadata_ = std::move(*metadata);
      for (auto& state : shards_) {
        groups_.push_back(std::make_unique<GroupService>(*this, state->shard.id(), options_.groups));
      }
      producer_ids_ = ProducerIdManager::for_broker(*this);
    }
  }
  for (const ListenerOptions& l : options_.listeners) {
    int port = l.port;
    for (auto& state : shards_) {
      // Every shard listens on the same port (SO_REUSEPORT): the kernel spreads connections.
      auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(state->shard.context());
      std::error_code ec;
      asio::ip::address address = l.host.empty() ? asio::ip::address(asio::ip::address_v6::any())
                                                 : asio::ip::make_address(l.host, ec);
      if (ec) {
        // A host name: resolve it.
        asio::ip::tcp::resolver resolver(state->shard.context());
        auto results = resolver.resolve(l.host, std::to_string(port), ec);
        if (ec || results.empty()) return bind_error(l, ec);
        address = results.begin()->endpoint().address();
      }
      asio::ip::tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
      if (port != 0 && state == shards_.front()) {
        if (Status s = check_port_free(l, endpoint); !s.ok()) return s;
      }
      acceptor->open(endpoint.protocol(), ec);
      if (!ec && endpoint.protocol() == asio::ip::tcp::v6() && l.host.empty()) {
        acceptor->set_option(asio::ip::v6_only(false), ec);
      }
      if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec) {
        int one = 1;
        if (::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
          ec = std::error_code(errno, std::system_category());
        }
      }
      if (!ec) acceptor->bind(endpoint, ec);
      if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) return bind_error(l, ec);
      port = acceptor->local_endpoint().port();
      state->acceptors.push_back(std::move(acceptor));
      state->acceptor_listeners.push_back(l.name);
    }
    bound_ports_.emplace_back(l.name, port);
    spdlog::info("listening on {}://{}:{} with {} shards", l.name, l.host, port, shards_.size());
  }
  if (logs_) logs_->start();
  for (auto& state : shards_) state->shard.start();
  started_ = true;
  if (metadata_) {
    // Registered, with the image published, before the first client connects.
    std::vector<AdvertisedListener> advertised = options_.advertised;
    for (AdvertisedListener& l : advertised) {
      if (l.port == 0) l.port = bound_port(l.name);
    }
    auto done = asio::co_spawn(shards_[0]->shard.context(), metadata_->start(advertised), asio::use_future);
    if (Status s = done.get(); !s.ok()) return s;
  }
  for (auto& state : shards_) {
    for (size_t i = 0; i < state->acceptors.size(); ++i) {
      asio::co_spawn(state->shard.context(), accept_loop(*state, *state->acceptors[i], state->acceptor_listeners[i]),
                     asio::detached);
    }
  }
  return {};
}

asio::awaitable<void> Broker::accept_loop(ShardState& state, asio::ip::tcp::acceptor& acceptor, std::string listener) {
  for (;;) {
    std::error_code ec;
    asio::ip::tcp::socket socket(state.shard.context());
    co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      spdlog::warn("accepting on {}: {}", listener, ec.message());
      continue;
    }
    auto connection = std::make_shared<Connection>(
        std::move(socket), listener, state.shard.id(), options_.connection_limits, state.limiter,
        [this](const RequestContext& ctx, const protocol::RequestFrame& frame) { return dispatch(ctx, frame); });
    std::erase_if(state.connections, [](const std::weak_ptr<Connection>& c) { return c.expired(); });
    state.connections.push_back(connection);
    {
      std::lock_guard lock(connections_mutex_);
      ++active_connections_;
    }
    asio::co_spawn(state.shard.context(), connection->run(), [this](std::exception_ptr) {
      std::lock_guard lock(connections_mutex_);
      if (--active_connections_ == 0) connections_done_.notify_all();
    });
  }
}

asio::awaitable<HandlerResult> Broker::dispatch(const RequestContext& ctx, const protocol::RequestFrame& frame) {
  const std::span<const ApiEntry> apis = apis_for(ctx.listener);
  auto found = std::find_if(apis.begin(), apis.end(), [&](const ApiEntry& e) { return e.key == ctx.api_key; });
  const ApiEntry* api = found == apis.end() ? nullptr : &*found;
  if (!api) co_return HandlerResult::close("API key " + std::to_string(ctx.api_key) + " is not supported");
  if (ctx.api_version < api->min_version || ctx.api_version > api->max_version) {
    if (ctx.api_key == kApiVersionsKey) co_return unsupported_api_versions(ctx, apis);
    co_return HandlerResult::close("version " + std::to_string(ctx.api_version) + " of API key " +
                                   std::to_string(ctx.api_key) + " is not supported");
  }
  co_return co_await api->handler(*this, ctx, frame.body);
}

std::span<const ApiEntry> Broker::apis_for(const std::string& listener) const {
  const auto& names = options_.controller_listener_names;
  return std::find(names.begin(), names.end(), listener) != names.end() ? controller_apis() : implemented_apis();
}

int Broker::bound_port(const std::string& listener) const {
  for (const auto& [name, port] : bound_ports_) {
    if (name == listener) return port;
  }
  return -1;
}

void Broker::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  for (auto& state : shards_) {
    ShardState* s = state.get();
    asio::post(s->shard.context(), [this, s] {
      // A JoinGroup can wait minutes for its group: the coordinators answer what waits now
      // (NOT_COORDINATOR, which sends clients to find the coordinator again after the restart).
      if (!groups_.empty()) groups_[s->shard.id()]->close();
      for (auto& acceptor : s->acceptors) {
        std::error_code ignored;
        acceptor->close(ignored);
      }
      for (auto& weak : s->connections) {
        if (auto c = weak.lock()) c->close();
      }
    });
  }
  {
    // A request being handled finishes first (a long poll within its fetch.max.wait.ms): it may
    // still post work to other shards, whose loops must be running for it.
    std::unique_lock lock(connections_mutex_);
    if (!connections_done_.wait_for(lock, std::chrono::seconds(30), [&] { return active_connections_ == 0; })) {
      spdlog::warn("{} connections still busy after 30 s: stopping anyway", active_connections_);
    }
  }
  for (auto& state : shards_) {
    ShardState* s = state.get();
    asio::post(s->shard.context(), [this, s] {
      if (metadata_ && s->shard.id() == 0) metadata_->close();
      if (logs_) logs_->stop_on_shard(s->shard.id());
    });
    s->shard.stop();
  }
}

Status Broker::wait() {
  for (auto& state : shards_) state->shard.join();
  if (!logs_ || waited_ || !stopped_) return {};
  waited_ = true;
  Status s = logs_->finish_shutdown();
  // The logs are closed: the directories are free for the next broker.
  dir_locks_.clear();
  return s;
}

}  // namespace gregor::broker
