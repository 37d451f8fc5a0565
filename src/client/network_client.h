// The client core every Gregor client (producer, consumer, admin) is built on: one background
// I/O thread running an Asio loop that owns the connections and the metadata cache.
//
// Threading: everything but the few methods marked thread-safe runs on the I/O thread; other
// threads hand work over with post(), or use call(), which returns a future. Callbacks given to
// send() run on the I/O thread.
//
// Connections: one per broker (bootstrap servers get ids -1, -2, ... until metadata names the
// brokers), opened on first use, with ApiVersions negotiated first; each request is encoded at
// the highest version both sides support, within the range its caller allows. Requests are
// pipelined; responses come back in order and are matched by correlation id. A request not
// answered within its timeout closes the connection (responses are ordered, so the rest cannot
// be answered either): it fails with REQUEST_TIMED_OUT, the others in flight with
// NETWORK_EXCEPTION. A failed connection is retried after reconnect.backoff.ms, doubling up to
// reconnect.backoff.max.ms (with Kafka's 20% jitter).
//
// Metadata: the topics of interest are refreshed every metadata.max.age.ms, and at once (after
// retry.backoff.ms since the last attempt) when a user of the cache asks for it, e.g. on
// NOT_LEADER_OR_FOLLOWER. Each refresh publishes a new immutable Cluster.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/cluster.h"
#include "common/bytes.h"
#include "common/error_code.h"
#include "gregor/config.h"
#include "protocol/message_support.h"

namespace gregor::client {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct ClientOptions {
  std::vector<std::string> bootstrap_servers;  // host:port
  std::string client_id;
  milliseconds request_timeout{30000};
  milliseconds reconnect_backoff{50};
  milliseconds reconnect_backoff_max{1000};
  milliseconds retry_backoff{100};
  milliseconds retry_backoff_max{1000};
  milliseconds metadata_max_age{300000};
  milliseconds connection_setup_timeout{10000};
  int32_t send_buffer_bytes = 131072;
  int32_t receive_buffer_bytes = 32768;
  // Metadata requests may create topics (a producer's do; a consumer's follow allow.auto.create.topics).
  bool allow_auto_topic_creation = true;

  // From the common client keys of a parsed configuration; throws ConfigException for a bad
  // bootstrap address or an unsupported security.protocol.
  static ClientOptions from(const ConfigValues& config);
};

// A response, or why there is none. `error` is none when the broker answered (the body's own
// error codes are the caller's to read), else NETWORK_EXCEPTION, REQUEST_TIMED_OUT,
// UNSUPPORTED_VERSION (no version both sides support), BROKER_NOT_AVAILABLE (unknown node) or
// CORRUPT_MESSAGE (a body that does not decode).
struct RawResponse {
  ErrorCode error = ErrorCode::none;
  std::string message;
  int32_t node = -1;
  int16_t version = -1;
  Bytes frame;      // the whole response frame; body views into it
  BytesView body;
};

template <typename Resp>
struct Response {
  ErrorCode error = ErrorCode::none;
  std::string message;
  int32_t node = -1;
  int16_t version = -1;
  Resp body{};
  Bytes frame;  // keeps views in body (records) alive
  bool ok() const { return error == ErrorCode::none; }
};

struct RequestSpec {
  int16_t api_key = 0;
  protocol::VersionRange versions;  // what the caller can send
  std::function<std::optional<std::string>(int16_t version, Bytes& body)> encode;
  bool expect_response = true;  // false for Produce with acks=0: done once written
  milliseconds timeout{0};      // 0: request.timeout.ms
};

class Connection;

class NetworkClient {
 public:
  explicit NetworkClient(ClientOptions options);
  ~NetworkClient();  // stop()
  NetworkClient(const NetworkClient&) = delete;
  NetworkClient& operator=(const NetworkClient&) = delete;

  const ClientOptions& options() const { return options_; }
  asio::io_context& io() { return io_; }

  // Thread-safe. Runs fn on the I/O thread.
  void post(std::function<void()> fn);
  // Thread-safe. Stops the loop (failing nothing: callers drain first) and joins the thread.
  void stop();
  bool stopped() const { return stopped_; }
  bool on_io_thread() const { return std::this_thread::get_id() == io_thread_id_; }

  // --- I/O thread ---
  void send_raw(int32_t node, RequestSpec spec, std::function<void(RawResponse)> done);

  template <typename Resp, typename Req>
  void send(int32_t node, Req request, std::function<void(Response<Resp>)> done,
            protocol::VersionRange versions = Req::kValidVersions, bool expect_response = true,
            milliseconds timeout = milliseconds(0)) {
    auto same = [request = std::move(request)](int16_t) { return request; };
    send_versioned<Resp, Req>(node, std::function<Req(int16_t)>(same), std::move(done), versions, expect_response,
                              timeout);
  }

  // As send, for requests whose fields depend on the version (the encoder refuses a field the
  // chosen version lacks): make(version) builds the request once the version is known.
  template <typename Resp, typename Req>
  void send_versioned(int32_t node, std::function<Req(int16_t)> make, std::function<void(Response<Resp>)> done,
                      protocol::VersionRange versions = Req::kValidVersions, bool expect_response = true,
                      milliseconds timeout = milliseconds(0)) {
    RequestSpec spec;
    spec.api_key = Req::kApiKey;
    spec.versions = versions;
    spec.expect_response = expect_response;
    spec.timeout = timeout;
    spec.encode = [make = std::move(make)](int16_t version, Bytes& out) {
      return protocol::encode_message(make(version), version, out);
    };
    auto decode = [done = std::move(done)](RawResponse raw) {
      Response<Resp> r;
      r.error = raw.error;
      r.message = std::move(raw.message);
      r.node = raw.node;
      r.version = raw.version;
      if (r.error == ErrorCode::none && !raw.body.empty()) {
        auto decoded = protocol::decode_message<Resp>(raw.body, raw.version, protocol::TrailingBytes::ignore);
        if (decoded) {
          r.body = std::move(*decoded);
          r.frame = std::move(raw.frame);  // the vector's buffer, and so the body's views, stay put
        } else {
          r.error = ErrorCode::corrupt_message;
          r.message = "cannot decode the response: " + decoded.error().message;
        }
      }
      done(std::move(r));
    };
    send_raw(node, std::move(spec), std::move(decode));
  }

  // A broker to send a request any broker can answer: a ready one with the fewest requests in
  // flight, else one being connected, else any known, else a bootstrap server (negative id).
  int32_t least_loaded_node();
  bool ready(int32_t node) const;
  // Whether the node's connection failed recently and is waiting out its backoff.
  bool backing_off(int32_t node) const;
  size_t in_flight(int32_t node) const;
  // The version range both sides support for an API on a ready connection.
  std::optional<protocol::VersionRange> usable_versions(int32_t node, int16_t api_key, protocol::VersionRange ours) const;

  // Metadata: add topics to refresh, ask for a refresh, be told of each new Cluster.
  void add_topics(const std::vector<std::string>& topics);
  void request_metadata_update();
  // Metadata for every topic of the cluster (a consumer's pattern subscription), not only those added.
  void set_all_topics(bool all);
  void on_metadata(std::function<void()> listener);

  // The coordinator of a group (key_type 0) or transactional id (1); cached until invalidated
  // (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, a lost connection).
  void find_coordinator(int8_t key_type, const std::string& key, std::function<void(ErrorCode, std::string, int32_t)> done);
  void invalidate_coordinator(int8_t key_type, const std::string& key);

  // --- thread-safe ---
  std::shared_ptr<const Cluster> cluster() const;
  // Waits until the cluster satisfies pred (checked now and after each refresh) or the deadline;
  // returns the last cluster seen and whether pred held.
  std::pair<std::shared_ptr<const Cluster>, bool> await_cluster(
      const std::function<bool(const Cluster&)>& pred, Clock::time_point deadline);

  // From any thread but the I/O thread: sends and waits for the response (or failure).
  template <typename Resp, typename Req>
  std::future<Response<Resp>> call(int32_t node, Req request, protocol::VersionRange versions = Req::kValidVersions) {
    auto promise = std::make_shared<std::promise<Response<Resp>>>();
    auto future = promise->get_future();
    auto run = [this, node, promise, versions, request = std::move(request)]() mutable {
      auto done = [promise](Response<Resp> r) { promise->set_value(std::move(r)); };
      send<Resp>(node, std::move(request), std::function<void(Response<Resp>)>(done), versions);
    };
    post(std::move(run));
    return future;
  }

 private:
  friend class Connection;
  struct NodeState {
    int failures = 0;
    Clock::time_point backoff_until{};
  };

  std::optional<BrokerAddress> address_of(int32_t node) const;
  void connection_closed(Connection* c, bool failed);
  void tick();
  void maybe_update_metadata();
  void publish(std::shared_ptr<const Cluster> cluster);
  milliseconds backoff_for(int failures, milliseconds base, milliseconds max) const;

  ClientOptions options_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  asio::steady_timer tick_timer_;
  std::thread thread_;
  std::thread::id io_thread_id_;
  std::atomic<bool> stopped_{false};
  int32_t next_correlation_id_ = 1;

  std::map<int32_t, std::shared_ptr<Connection>> connections_;
  std::map<int32_t, NodeState> nodes_;
  std::vector<BrokerAddress> bootstrap_;

  // Metadata (I/O thread), and the published cluster (under mutex_).
  std::set<std::string> topics_;
  bool metadata_needed_ = true;
  bool all_topics_ = false;
  bool metadata_in_flight_ = false;
  int metadata_failures_ = 0;
  Clock::time_point last_metadata_attempt_{};
  Clock::time_point last_metadata_refresh_{};
  std::vector<std::function<void()>> metadata_listeners_;
  mutable std::mutex mutex_;
  std::condition_variable cluster_changed_;
  std::shared_ptr<const Cluster> cluster_;

  std::map<std::pair<int8_t, std::string>, int32_t> coordinators_;
};

}  // namespace gregor::client
