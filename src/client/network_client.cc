#include "client/network_client.h"

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <deque>
#include <random>

#include "common/byte_reader.h"
#include "common/byte_writer.h"
#include "common/endian.h"
#include "protocol/generated/api_registry.h"
#include "protocol/generated/message/api_versions_request.h"
#include "protocol/generated/message/api_versions_response.h"
#include "protocol/generated/message/find_coordinator_request.h"
#include "protocol/generated/message/find_coordinator_response.h"
#include "protocol/generated/message/metadata_request.h"
#include "protocol/generated/message/metadata_response.h"
#include "protocol/generated/message/request_header.h"
#include "protocol/generated/message/response_header.h"

namespace gregor::client {

namespace {

constexpr size_t kMaxResponseSize = 1u << 30;  // a size prefix beyond this is a broken stream

// host:port, [v6]:port.
BrokerAddress parse_address(const std::string& s, int32_t id) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 == s.size())
    throw ConfigException("Invalid url in bootstrap.servers: " + s);
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    size_t used = 0;
    port = std::stoi(s.substr(colon + 1), &used);
    if (used != s.size() - colon - 1) port = -1;
  } catch (...) {
    port = -1;
  }
  if (host.empty() || port <= 0 || port > 65535) throw ConfigException("Invalid url in bootstrap.servers: " + s);
  return BrokerAddress{id, host, port, std::nullopt};
}

}  // namespace

ClientOptions ClientOptions::from(const ConfigValues& config) {
  ClientOptions o;
  o.bootstrap_servers = config.get_list("bootstrap.servers");
  for (size_t i = 0; i < o.bootstrap_servers.size(); ++i) parse_address(o.bootstrap_servers[i], -1);
  std::string protocol = config.get_string("security.protocol");
  for (char& c : protocol) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (protocol != "PLAINTEXT")
    throw ConfigException("security.protocol", config.get_string("security.protocol"),
                          "only PLAINTEXT is supported by this client");
  o.client_id = config.get_string("client.id");
  o.request_timeout = milliseconds(config.get_int("request.timeout.ms"));
  o.reconnect_backoff = milliseconds(config.get_long("reconnect.backoff.ms"));
  o.reconnect_backoff_max = milliseconds(config.get_long("reconnect.backoff.max.ms"));
  o.retry_backoff = milliseconds(config.get_long("retry.backoff.ms"));
  o.retry_backoff_max = milliseconds(config.get_long("retry.backoff.max.ms"));
  o.metadata_max_age = milliseconds(config.get_long("metadata.max.age.ms"));
  o.connection_setup_timeout = milliseconds(config.get_long("socket.connection.setup.timeout.ms"));
  o.send_buffer_bytes = config.get_int("send.buffer.bytes");
  o.receive_buffer_bytes = config.get_int("receive.buffer.bytes");
  return o;
}

// One connection to one broker, owned by the I/O thread.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(NetworkClient& client, BrokerAddress address, Clock::time_point start_after)
      : client_(client), address_(std::move(address)), socket_(client.io()), timer_(client.io()),
        start_after_(start_after) {}

  void start() {
    auto self = shared_from_this();
    asio::co_spawn(client_.io(), [self]() { return self->run(); }, asio::detached);
  }

  struct Pending {
    RequestSpec spec;
    std::function<void(RawResponse)> done;
    Clock::time_point deadline;
  };

  void enqueue(Pending p) {
    if (ready_) {
      write(std::move(p));
    } else {
      waiting_.push_back(std::move(p));
    }
  }

  bool ready() const { return ready_; }
  size_t in_flight() const { return in_flight_.size() + waiting_.size(); }
  int32_t node() const { return address_.id; }

  std::optional<protocol::VersionRange> versions(int16_t key) const {
    auto it = versions_.find(key);
    if (it == versions_.end()) return std::nullopt;
    return it->second;
  }

  // Fails everything queued and in flight and leaves the client's table.
  void close(ErrorCode why, const std::string& message) {
    if (closed_) return;
    closed_ = true;
    std::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
    auto waiting = std::move(waiting_);
    auto in_flight = std::move(in_flight_);
    auto writes = std::move(writes_);
    const bool failed = !ready_ || why != ErrorCode::none;
    client_.connection_closed(this, failed);
    for (auto& f : in_flight) fail(f.done, f.timed_out ? ErrorCode::request_timed_out : why, message);
    for (auto& w : writes)
      if (w.written) fail(w.written, why, message);
    for (auto& p : waiting) fail(p.done, why, message);
  }

  void check_timeouts(Clock::time_point now) {
    for (auto& f : in_flight_) {
      if (f.deadline <= now) {
        f.timed_out = true;
        close(ErrorCode::network_exception, "Disconnected from node " + std::to_string(address_.id) +
                                                " due to a request timing out");
        return;
      }
    }
    // Failed after the scan: a callback may queue another request.
    std::vector<std::function<void(RawResponse)>> expired;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->deadline <= now) {
        expired.push_back(std::move(it->done));
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& done : expired)
      fail(done, ErrorCode::request_timed_out,
           "no connection to node " + std::to_string(address_.id) + " within the request timeout");
  }

 private:
  struct InFlight {
    int32_t correlation_id;
    int16_t api_key;
    int16_t version;
    std::function<void(RawResponse)> done;
    Clock::time_point deadline;
    bool timed_out = false;
  };

  void fail(const std::function<void(RawResponse)>& done, ErrorCode why, const std::string& message) {
    RawResponse r;
    r.error = why;
    r.message = message;
    r.node = address_.id;
    done(std::move(r));
  }

  Bytes frame_for(int16_t api_key, int16_t version, int32_t correlation_id, const RequestSpec* spec,
                  std::string* error) {
    Bytes out;
    ByteWriter w(out);
    const size_t size_at = w.reserve_int32();
    protocol::RequestHeader header;
    header.request_api_key = api_key;
    header.request_api_version = version;
    header.correlation_id = correlation_id;
    header.client_id = client_.options().client_id;
    header.encode(w, protocol::request_header_version(api_key, version));
    if (!w.ok()) *error = w.error();
    if (spec) {
      if (auto e = spec->encode(version, out)) *error = *e;
    }
    ByteWriter patch(out);
    patch.patch_int32(size_at, static_cast<int32_t>(out.size() - size_at - 4));
    return out;
  }

  void write(Pending p) {
    const int16_t key = p.spec.api_key;
    auto broker = versions(key);
    std::optional<protocol::VersionRange> both;
    if (broker) {
      protocol::VersionRange r{std::max(broker->lo, p.spec.versions.lo), std::min(broker->hi, p.spec.versions.hi)};
      if (!r.empty()) both = r;
    }
    if (!both) {
      const protocol::ApiInfo* info = protocol::find_api(key);
      fail(p.done, ErrorCode::unsupported_version,
           std::string("node ") + std::to_string(address_.id) + " supports no version of " +
               (info ? info->name : std::to_string(key)) + " this client can send");
      return;
    }
    const int32_t correlation_id = client_.next_correlation_id_++;
    std::string error;
    Bytes frame = frame_for(key, both->hi, correlation_id, &p.spec, &error);
    if (!error.empty()) {
      fail(p.done, ErrorCode::invalid_request, "cannot encode the request: " + error);
      return;
    }
    if (p.spec.expect_response) {
      in_flight_.push_back(InFlight{correlation_id, key, both->hi, std::move(p.done), p.deadline});
      queue_write(Write{std::move(frame), nullptr, both->hi});
    } else {
      // Done once written, as Kafka's producer completes acks=0 sends.
      queue_write(Write{std::move(frame), std::move(p.done), both->hi});
    }
  }

  // A frame to write; `written` is the callback of a request that gets no response.
  struct Write {
    Bytes frame;
    std::function<void(RawResponse)> written;
    int16_t version;
  };

  void queue_write(Write write) {
    writes_.push_back(std::move(write));
    if (writing_) return;
    writing_ = true;
    auto self = shared_from_this();
    asio::co_spawn(client_.io(), [self]() { return self->write_loop(); }, asio::detached);
  }

  asio::awaitable<void> write_loop() {
    while (!writes_.empty() && !closed_) {
      std::error_code ec;
      co_await asio::async_write(socket_, asio::buffer(writes_.front().frame),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec || closed_) {
        writing_ = false;
        close(ErrorCode::network_exception, "Connection to node " + std::to_string(address_.id) + " failed: " +
                                                 (ec ? ec.message() : std::string("closed")));
        co_return;
      }
      Write done = std::move(writes_.front());
      writes_.pop_front();
      if (done.written) {
        RawResponse r;
        r.node = address_.id;
        r.version = done.version;
        done.written(std::move(r));
      }
    }
    writing_ = false;
  }

  // Reads one response frame into out; false on a broken connection.
  asio::awaitable<bool> read_frame(Bytes& out) {
    uint8_t size_bytes[4];
    std::error_code ec;
    co_await asio::async_read(socket_, asio::buffer(size_bytes, 4), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    const uint32_t size = load_be<uint32_t>(size_bytes);
    if (size < 4 || size > kMaxResponseSize) co_return false;
    out.resize(size);
    co_await asio::async_read(socket_, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  }

  asio::awaitable<bool> connect() {
    if (start_after_ > Clock::now()) {
      timer_.expires_at(start_after_);
      std::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (closed_) co_return false;
    }
    asio::ip::tcp::resolver resolver(client_.io());
    std::error_code ec;
    auto endpoints = co_await resolver.async_resolve(address_.host, std::to_string(address_.port),
                                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec || closed_) {
      error_ = "cannot resolve " + address_.host + ": " + ec.message();
      co_return false;
    }
    // The setup timeout closes the socket, which ends the connect.
    timer_.expires_after(client_.options().connection_setup_timeout);
    auto self = shared_from_this();
    timer_.async_wait([self](std::error_code e) {
      if (!e && !self->connected_) {
        std::error_code ignored;
        self->socket_.close(ignored);
      }
    });
    co_await asio::async_connect(socket_, endpoints, asio::redirect_error(asio::use_awaitable, ec));
    connected_ = !ec && socket_.is_open();
    timer_.cancel();
    if (!connected_ || closed_) {
      error_ = "Connection to node " + std::to_string(address_.id) + " (" + address_.host + ":" +
               std::to_string(address_.port) + ") could not be established: " + (ec ? ec.message() : "timed out");
      co_return false;
    }
    std::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    if (client_.options().send_buffer_bytes > 0)
      socket_.set_option(asio::socket_base::send_buffer_size(client_.options().send_buffer_bytes), ignored);
    if (client_.options().receive_buffer_bytes > 0)
      socket_.set_option(asio::socket_base::receive_buffer_size(client_.options().receive_buffer_bytes), ignored);
    co_return true;
  }

  // ApiVersions: v3 first (client name and version), v0 when the broker does not know v3.
  asio::awaitable<bool> negotiate() {
    for (int16_t version : {int16_t{3}, int16_t{0}}) {
      protocol::ApiVersionsRequest request;
      if (version >= 3) {
        request.client_software_name = "gregor";
        request.client_software_version = "0.1.0";
      }
      const int32_t correlation_id = client_.next_correlation_id_++;
      std::string error;
      RequestSpec spec;
      spec.encode = [&request](int16_t v, Bytes& out) { return protocol::encode_message(request, v, out); };
      Bytes frame = frame_for(protocol::ApiVersionsRequest::kApiKey, version, correlation_id, &spec, &error);
      std::error_code ec;
      co_await asio::async_write(socket_, asio::buffer(frame), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return false;
      Bytes response;
      if (!co_await read_frame(response)) co_return false;
      ByteReader r(response);
      protocol::ResponseHeader header;
      header.decode(r, 0);
      if (!r.ok() || header.correlation_id != correlation_id) co_return false;
      auto body = protocol::decode_message<protocol::ApiVersionsResponse>(
          BytesView(response).subview(r.offset(), r.remaining()), version, protocol::TrailingBytes::ignore);
      if (!body) {
        // A broker that does not know v3 answers in v0's form.
        if (version > 0) continue;
        co_return false;
      }
      if (body->error_code == static_cast<int16_t>(ErrorCode::unsupported_version) && version > 0) continue;
      if (body->error_code != 0) {
        error_ = "ApiVersions failed: " + std::string(error_name(static_cast<ErrorCode>(body->error_code)));
        co_return false;
      }
      for (const auto& k : body->api_keys) versions_[k.api_key] = protocol::VersionRange{k.min_version, k.max_version};
      co_return true;
    }
    co_return false;
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    bool ok = co_await connect() && !closed_;
    if (ok) {
      // ApiVersions is a request like any other: unanswered within request.timeout.ms, the
      // connection is given up.
      timer_.expires_after(client_.options().request_timeout);
      timer_.async_wait([self](std::error_code e) {
        if (!e && !self->ready_) {
          self->error_ = "Node " + std::to_string(self->address_.id) + " did not answer ApiVersions within the request timeout";
          std::error_code ignored;
          self->socket_.close(ignored);
        }
      });
      ok = co_await negotiate() && !closed_;
      timer_.cancel();
    }
    if (!ok) {
      close(ErrorCode::network_exception,
            error_.empty() ? "Connection to node " + std::to_string(address_.id) + " failed during setup" : error_);
      co_return;
    }
    ready_ = true;
    auto waiting = std::move(waiting_);
    for (auto& p : waiting) write(std::move(p));
    Bytes frame;
    while (!closed_) {
      if (!co_await read_frame(frame)) break;
      if (closed_) co_return;
      if (in_flight_.empty()) break;
      InFlight f = std::move(in_flight_.front());
      in_flight_.pop_front();
      ByteReader r(frame);
      protocol::ResponseHeader header;
      header.decode(r, protocol::response_header_version(f.api_key, f.version));
      if (!r.ok() || header.correlation_id != f.correlation_id) {
        in_flight_.push_front(std::move(f));
        close(ErrorCode::network_exception, "Node " + std::to_string(address_.id) +
                                                " answered out of order (correlation id " +
                                                std::to_string(header.correlation_id) + ")");
        co_return;
      }
      RawResponse response;
      response.node = address_.id;
      response.version = f.version;
      const size_t at = r.offset();
      response.frame = std::move(frame);
      response.body = BytesView(response.frame).subview(at, response.frame.size() - at);
      frame = Bytes();
      f.done(std::move(response));
    }
    close(ErrorCode::network_exception, "Connection to node " + std::to_string(address_.id) + " was closed");
  }

  NetworkClient& client_;
  BrokerAddress address_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  Clock::time_point start_after_;
  bool connected_ = false;
  bool ready_ = false;
  bool closed_ = false;
  bool writing_ = false;
  std::string error_;
  std::map<int16_t, protocol::VersionRange> versions_;
  std::deque<Pending> waiting_;
  std::deque<InFlight> in_flight_;
  std::deque<Write> writes_;
};

NetworkClient::NetworkClient(ClientOptions options)
    : options_(std::move(options)), tick_timer_(io_), cluster_(std::make_shared<Cluster>()) {
  for (size_t i = 0; i < options_.bootstrap_servers.size(); ++i)
    bootstrap_.push_back(parse_address(options_.bootstrap_servers[i], -1 - static_cast<int32_t>(i)));
  work_.emplace(io_.get_executor());
  tick();
  thread_ = std::thread([this] { io_.run(); });
  io_thread_id_ = thread_.get_id();
}

NetworkClient::~NetworkClient() { stop(); }

void NetworkClient::post(std::function<void()> fn) { asio::post(io_, std::move(fn)); }

void NetworkClient::stop() {
  if (stopped_.exchange(true)) return;
  auto shutdown = [this] {
    tick_timer_.cancel();
    auto connections = connections_;
    for (auto& [id, c] : connections) c->close(ErrorCode::network_exception, "The client is closing");
    work_.reset();
    io_.stop();
  };
  post(shutdown);
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(mutex_);
  }
  cluster_changed_.notify_all();
}

void NetworkClient::tick() {
  tick_timer_.expires_after(milliseconds(50));
  tick_timer_.async_wait([this](std::error_code ec) {
    if (ec || stopped_) return;
    const auto now = Clock::now();
    auto connections = connections_;
    for (auto& [id, c] : connections) c->check_timeouts(now);
    maybe_update_metadata();
    tick();
  });
}

std::optional<BrokerAddress> NetworkClient::address_of(int32_t node) const {
  if (node < 0) {
    const size_t i = static_cast<size_t>(-1 - node);
    if (i < bootstrap_.size()) return bootstrap_[i];
    return std::nullopt;
  }
  std::shared_ptr<const Cluster> c = cluster();
  if (const BrokerAddress* b = c->broker(node)) return *b;
  return std::nullopt;
}

milliseconds NetworkClient::backoff_for(int failures, milliseconds base, milliseconds max) const {
  // Kafka's ExponentialBackoff: base * 2^(failures-1), capped, with +-20% jitter.
  if (failures <= 0) return milliseconds(0);
  double value = static_cast<double>(base.count());
  for (int i = 1; i < failures && value < static_cast<double>(max.count()); ++i) value *= 2;
  value = std::min(value, static_cast<double>(max.count()));
  static thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return milliseconds(static_cast<int64_t>(value * jitter(rng)));
}

void NetworkClient::send_raw(int32_t node, RequestSpec spec, std::function<void(RawResponse)> done) {
  const milliseconds timeout = spec.timeout.count() > 0 ? spec.timeout : options_.request_timeout;
  Connection::Pending pending{std::move(spec), std::move(done), Clock::now() + timeout};
  auto it = connections_.find(node);
  if (it == connections_.end()) {
    auto address = address_of(node);
    if (!address || stopped_) {
      RawResponse r;
      r.error = stopped_ ? ErrorCode::network_exception : ErrorCode::broker_not_available;
      r.message = stopped_ ? "The client is closed" : "Node " + std::to_string(node) + " is not known";
      r.node = node;
      pending.done(std::move(r));
      return;
    }
    address->id = node;
    auto connection = std::make_shared<Connection>(*this, *address, nodes_[node].backoff_until);
    it = connections_.emplace(node, connection).first;
    connection->start();
  }
  it->second->enqueue(std::move(pending));
}

void NetworkClient::connection_closed(Connection* c, bool failed) {
  auto it = connections_.find(c->node());
  if (it != connections_.end() && it->second.get() == c) connections_.erase(it);
  NodeState& state = nodes_[c->node()];
  if (failed) {
    // A connection that had worked starts the backoff over; one that never did doubles it.
    state.failures = c->ready() ? 1 : state.failures + 1;
    state.backoff_until = Clock::now() + backoff_for(state.failures, options_.reconnect_backoff,
                                                     options_.reconnect_backoff_max);
  } else {
    state.failures = 0;
  }
  // A broker that went away may have led partitions or coordinated groups.
  for (auto i = coordinators_.begin(); i != coordinators_.end();) {
    i = i->second == c->node() ? coordinators_.erase(i) : std::next(i);
  }
  if (failed) metadata_needed_ = true;
}

bool NetworkClient::ready(int32_t node) const {
  auto it = connections_.find(node);
  return it != connections_.end() && it->second->ready();
}

bool NetworkClient::backing_off(int32_t node) const {
  auto it = nodes_.find(node);
  return it != nodes_.end() && it->second.backoff_until > Clock::now() && connections_.count(node) == 0;
}

size_t NetworkClient::in_flight(int32_t node) const {
  auto it = connections_.find(node);
  return it == connections_.end() ? 0 : it->second->in_flight();
}

std::optional<protocol::VersionRange> NetworkClient::usable_versions(int32_t node, int16_t api_key,
                                                                     protocol::VersionRange ours) const {
  auto it = connections_.find(node);
  if (it == connections_.end() || !it->second->ready()) return std::nullopt;
  auto theirs = it->second->versions(api_key);
  if (!theirs) return std::nullopt;
  protocol::VersionRange r{std::max(theirs->lo, ours.lo), std::min(theirs->hi, ours.hi)};
  if (r.empty()) return std::nullopt;
  return r;
}

int32_t NetworkClient::least_loaded_node() {
  std::shared_ptr<const Cluster> c = cluster();
  std::vector<int32_t> candidates;
  for (const auto& [id, b] : c->brokers) candidates.push_back(id);
  if (candidates.empty()) {
    for (const BrokerAddress& b : bootstrap_) candidates.push_back(b.id);
  }
  int32_t best = -1;
  size_t best_load = SIZE_MAX;
  int best_rank = 3;
  // Start at a random offset so load spreads over equals.
  static thread_local std::mt19937 rng(std::random_device{}());
  const size_t start = candidates.empty() ? 0 : rng() % candidates.size();
  for (size_t k = 0; k < candidates.size(); ++k) {
    const int32_t id = candidates[(start + k) % candidates.size()];
    const int rank = ready(id) ? 0 : connections_.count(id) ? 1 : backing_off(id) ? 2 : 1;
    const size_t load = in_flight(id);
    if (rank < best_rank || (rank == best_rank && load < best_load)) {
      best = id;
      best_rank = rank;
      best_load = load;
    }
  }
  if (best_rank == 2 && !c->brokers.empty()) {
    // Every known broker is backing off: try the bootstrap servers too (Kafka's rebootstrap).
    for (const BrokerAddress& b : bootstrap_)
      if (!backing_off(b.id)) return b.id;
  }
  return best;
}

std::shared_ptr<const Cluster> NetworkClient::cluster() const {
  std::lock_guard lock(mutex_);
  return cluster_;
}

void NetworkClient::publish(std::shared_ptr<const Cluster> cluster) {
  {
    std::lock_guard lock(mutex_);
    cluster_ = std::move(cluster);
  }
  cluster_changed_.notify_all();
  auto listeners = metadata_listeners_;
  for (auto& l : listeners) l();
}

std::pair<std::shared_ptr<const Cluster>, bool> NetworkClient::await_cluster(
    const std::function<bool(const Cluster&)>& pred, Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  while (true) {
    std::shared_ptr<const Cluster> c = cluster_;
    if (pred(*c)) return {c, true};
    if (stopped_ || cluster_changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      c = cluster_;
      return {c, pred(*c)};
    }
  }
}

void NetworkClient::add_topics(const std::vector<std::string>& topics) {
  bool added = false;
  for (const std::string& t : topics) added |= topics_.insert(t).second;
  if (added) {
    metadata_needed_ = true;
    // A new topic is worth asking about without waiting out the backoff of earlier attempts.
    last_metadata_attempt_ = Clock::time_point{};
    maybe_update_metadata();
  }
}

void NetworkClient::request_metadata_update() {
  metadata_needed_ = true;
  maybe_update_metadata();
}

void NetworkClient::set_all_topics(bool all) {
  if (all_topics_ == all) return;
  all_topics_ = all;
  metadata_needed_ = true;
  last_metadata_attempt_ = Clock::time_point{};
  maybe_update_metadata();
}

void NetworkClient::on_metadata(std::function<void()> listener) { metadata_listeners_.push_back(std::move(listener)); }

void NetworkClient::maybe_update_metadata() {
  if (metadata_in_flight_ || stopped_) return;
  const auto now = Clock::now();
  const bool stale = now - last_metadata_refresh_ >= options_.metadata_max_age;
  if (!metadata_needed_ && !stale) return;
  if (now - last_metadata_attempt_ < backoff_for(std::max(metadata_failures_, 1), options_.retry_backoff,
                                                  options_.retry_backoff_max))
    return;
  const int32_t node = least_loaded_node();
  if (node == -1 && bootstrap_.empty()) return;
  metadata_in_flight_ = true;
  metadata_needed_ = false;
  last_metadata_attempt_ = now;
  protocol::MetadataRequest request;
  request.topics.emplace();
  for (const std::string& t : topics_) {
    protocol::MetadataRequest::MetadataRequestTopic topic;
    topic.name = t;
    request.topics->push_back(std::move(topic));
  }
  request.allow_auto_topic_creation = options_.allow_auto_topic_creation;
  if (all_topics_) {  // null: every topic, and none created
    request.topics.reset();
    request.allow_auto_topic_creation = false;
  }
  auto done = [this](Response<protocol::MetadataResponse> r) {
    metadata_in_flight_ = false;
    if (!r.ok()) {
      ++metadata_failures_;
      metadata_needed_ = true;
      return;
    }
    metadata_failures_ = 0;
    auto cluster = std::make_shared<Cluster>();
    cluster->cluster_id = r.body.cluster_id;
    cluster->controller_id = r.body.controller_id;
    for (const auto& b : r.body.brokers) cluster->brokers[b.node_id] = BrokerAddress{b.node_id, b.host, b.port, b.rack};
    bool incomplete = false;
    for (const auto& t : r.body.topics) {
      if (!t.name) continue;
      TopicMetadata topic;
      topic.name = *t.name;
      topic.id = t.topic_id;
      topic.error = static_cast<ErrorCode>(t.error_code);
      topic.internal = t.is_internal;
      int32_t count = 0;
      for (const auto& p : t.partitions) count = std::max(count, p.partition_index + 1);
      topic.partitions.resize(count);
      for (int32_t i = 0; i < count; ++i) topic.partitions[i].partition = i;
      for (const auto& p : t.partitions) {
        PartitionMetadata& pm = topic.partitions[p.partition_index];
        pm.error = static_cast<ErrorCode>(p.error_code);
        pm.leader = p.leader_id;
        pm.leader_epoch = p.leader_epoch;
        pm.replicas = p.replica_nodes;
        pm.isr = p.isr_nodes;
        if (pm.leader < 0) incomplete = true;
      }
      if (topic.error != ErrorCode::none && is_retriable(topic.error)) incomplete = true;
      cluster->topics[topic.name] = std::move(topic);
    }
    // Retry soon (after the backoff) while a topic of interest has no leader or is unknown yet.
    if (incomplete) metadata_needed_ = true;
    last_metadata_refresh_ = Clock::now();
    publish(std::move(cluster));
  };
  send<protocol::MetadataResponse>(node, std::move(request), std::function<void(Response<protocol::MetadataResponse>)>(done),
                                   protocol::VersionRange{4, 12});
}

void NetworkClient::find_coordinator(int8_t key_type, const std::string& key,
                                     std::function<void(ErrorCode, std::string, int32_t)> done) {
  auto cached = coordinators_.find({key_type, key});
  if (cached != coordinators_.end()) {
    done(ErrorCode::none, "", cached->second);
    return;
  }
  auto make = [key_type, key](int16_t version) {
    // v4 batched the keys: one key field or the other, by version.
    protocol::FindCoordinatorRequest request;
    request.key_type = key_type;
    if (version >= 4) request.coordinator_keys = {key};
    else request.key = key;
    return request;
  };
  auto answer = [this, key_type, key, done = std::move(done)](Response<protocol::FindCoordinatorResponse> r) {
    if (!r.ok()) {
      done(r.error, r.message, -1);
      return;
    }
    ErrorCode error = static_cast<ErrorCode>(r.body.error_code);
    std::string message = r.body.error_message.value_or("");
    BrokerAddress address{r.body.node_id, r.body.host, r.body.port, std::nullopt};
    if (r.version >= 4) {
      if (r.body.coordinators.empty()) {
        done(ErrorCode::coordinator_not_available, "no coordinator in the answer", -1);
        return;
      }
      const auto& c = r.body.coordinators.front();
      error = static_cast<ErrorCode>(c.error_code);
      message = c.error_message.value_or("");
      address = BrokerAddress{c.node_id, c.host, c.port, std::nullopt};
    }
    if (error != ErrorCode::none) {
      done(error, message, -1);
      return;
    }
    // The coordinator may not be in the metadata yet: add it so send() can reach it.
    std::shared_ptr<const Cluster> current = cluster();
    if (!current->broker(address.id)) {
      auto updated = std::make_shared<Cluster>(*current);
      updated->brokers[address.id] = address;
      publish(std::move(updated));
    }
    coordinators_[{key_type, key}] = address.id;
    done(ErrorCode::none, "", address.id);
  };
  send_versioned<protocol::FindCoordinatorResponse, protocol::FindCoordinatorRequest>(
      least_loaded_node(), std::function<protocol::FindCoordinatorRequest(int16_t)>(make),
      std::function<void(Response<protocol::FindCoordinatorResponse>)>(answer));
}

void NetworkClient::invalidate_coordinator(int8_t key_type, const std::string& key) {
  coordinators_.erase({key_type, key});
}

}  // namespace gregor::client
