// The admin client's engine, shared by the files that implement Admin's calls (admin.cc for
// topics, configs and offsets, admin_groups.cc for consumer groups).
#pragma once

#include <algorithm>
#include <functional>
#include <future>
#include <limits>
#include <set>
#include <thread>

#include "client/network_client.h"
#include "gregor/admin.h"
#include "protocol/generated/message/metadata_request.h"
#include "protocol/generated/message/metadata_response.h"

namespace gregor {

namespace client {

constexpr int32_t kAnyNode = std::numeric_limits<int32_t>::min();

inline std::exception_ptr api_error(int16_t code, const std::optional<std::string>& message) {
  return std::make_exception_ptr(ApiException(code, message.value_or("")));
}

// Retried per item: what Kafka counts retriable, but a topic that does not exist is the answer.
inline bool retriable(int16_t code) {
  const auto e = static_cast<ErrorCode>(code);
  return is_retriable(e) && e != ErrorCode::unknown_topic_or_partition;
}

// Items still to send, the outcome of the others, and the last retriable error of each pending
// one (what it fails with when the deadline passes).
template <typename K, typename T>
struct Outcomes {
  std::map<K, AdminResult<T>> done;
  std::map<K, std::exception_ptr> retrying;
  std::set<K> pending;

  void succeed(const K& key, T value) {
    pending.erase(key);
    retrying.erase(key);
    done[key] = AdminResult<T>(std::move(value));
  }
  void fail(const K& key, std::exception_ptr error) {
    pending.erase(key);
    retrying.erase(key);
    done[key] = AdminResult<T>(std::move(error));
  }
  // A retriable error keeps the item pending; any other ends it.
  void error(const K& key, int16_t code, const std::optional<std::string>& message, bool retriable) {
    if (retriable) {
      retrying[key] = api_error(code, message);
    } else {
      fail(key, api_error(code, message));
    }
  }
  // An item's answer: true when it was pending and succeeded (the caller files its value);
  // an error is filed here.
  bool answered(const K& key, int16_t code, const std::optional<std::string>& message) {
    if (!pending.count(key)) return false;
    if (code == 0) return true;
    error(key, code, message, retriable(code));
    return false;
  }
  void fail_pending(const std::exception_ptr& error) {
    for (const K& key : std::set<K>(pending)) fail(key, retrying.count(key) ? retrying[key] : error);
  }
};

inline Node node_of(const protocol::MetadataResponse& m, int32_t id) {
  for (const auto& b : m.brokers)
    if (b.node_id == id) return Node{b.node_id, b.host, b.port, b.rack};
  return Node{id, "", -1, std::nullopt};
}

class AdminImpl {
 public:
  explicit AdminImpl(const ConfigValues& config)
      : default_timeout_(config.get_int("default.api.timeout.ms")), net_(options_of(config)) {}

  static ClientOptions options_of(const ConfigValues& config) {
    ClientOptions o = ClientOptions::from(config);
    o.allow_auto_topic_creation = false;
    return o;
  }

  Clock::time_point deadline(const AdminOptions& options) const {
    return Clock::now() + options.timeout.value_or(default_timeout_);
  }

  void check_open() const {
    if (closed_) throw IllegalStateException("The admin client is closed.");
  }

  // One attempt: the request (built for the version the connection settles on) to a node
  // (kAnyNode: the least loaded one, picked on the I/O thread).
  template <typename Resp, typename Req>
  Response<Resp> send_once(int32_t node, std::function<Req(int16_t)> make, milliseconds timeout) {
    auto promise = std::make_shared<std::promise<Response<Resp>>>();
    auto future = promise->get_future();
    auto run = [this, node, promise, make = std::move(make), timeout]() mutable {
      const int32_t target = node == kAnyNode ? net_.least_loaded_node() : node;
      auto done = [promise](Response<Resp> r) { promise->set_value(std::move(r)); };
      net_.send_versioned<Resp, Req>(target, std::move(make), std::function<void(Response<Resp>)>(done),
                                     Req::kValidVersions, true, timeout);
    };
    net_.post(std::move(run));
    return future.get();
  }

  // Sends until an answer comes, a non-retriable failure, or the deadline: failures of the
  // connection (and an unknown node) are retried after the backoff.
  template <typename Resp, typename Req>
  Response<Resp> call(const std::string& name, int32_t node, std::function<Req(int16_t)> make,
                      Clock::time_point until) {
    check_open();
    int tries = 0;
    std::string last_error;
    for (;;) {
      const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
      if (left <= milliseconds(0)) {
        throw TimeoutException(tries == 0 ? "Timed out waiting for a node assignment. Call: " + name
                                          : "Timed out waiting for a node assignment. Call: " + name + " (after " +
                                                std::to_string(tries) + " attempt(s), the last: " + last_error + ")");
      }
      ++tries;
      auto r = send_once<Resp, Req>(node, make, std::min(net_.options().request_timeout, left));
      if (r.ok()) return r;
      if (!is_retriable(r.error) && r.error != ErrorCode::broker_not_available) {
        throw ApiException(static_cast<int16_t>(r.error), r.message);
      }
      last_error = r.message.empty() ? std::string(error_name(r.error)) : r.message;
      backoff(tries, until);
    }
  }

  template <typename Resp, typename Req>
  Response<Resp> call(const std::string& name, int32_t node, Req request, Clock::time_point until) {
    auto same = [request = std::move(request)](int16_t) { return request; };
    return call<Resp, Req>(name, node, std::function<Req(int16_t)>(same), until);
  }

  void backoff(int tries, Clock::time_point until) const {
    const auto& o = net_.options();
    auto wait = o.retry_backoff * (1 << std::min(tries - 1, 20));
    wait = std::min<milliseconds>(wait, std::max(o.retry_backoff, o.retry_backoff_max));
    std::this_thread::sleep_until(std::min(Clock::now() + wait, until));
  }

  // Retries the pending items of an Outcomes with send(pending) until none is left or the
  // deadline passes; a call that throws ends every pending item with its exception.
  template <typename K, typename T>
  void run(Outcomes<K, T>& outcomes, const std::string& name, Clock::time_point until,
           const std::function<void(Clock::time_point)>& send) {
    int rounds = 0;
    while (!outcomes.pending.empty()) {
      try {
        send(until);
      } catch (...) {
        outcomes.fail_pending(std::current_exception());
        return;
      }
      if (outcomes.pending.empty()) return;
      if (Clock::now() >= until) break;
      backoff(++rounds, until);
      if (Clock::now() >= until) break;
    }
    outcomes.fail_pending(std::make_exception_ptr(
        TimeoutException("Timed out waiting for a node assignment. Call: " + name)));
  }

  // The controller Metadata names (Kafka's admin client sends topic changes there), else any.
  int32_t controller(Clock::time_point until) {
    protocol::MetadataRequest request;
    request.allow_auto_topic_creation = false;
    auto r = call<protocol::MetadataResponse>("fetchControllerMetadata", kAnyNode, request, until);
    return r.body.controller_id >= 0 ? r.body.controller_id : kAnyNode;
  }

  // Metadata of some topics (nullopt: all of them).
  protocol::MetadataResponse metadata(const std::string& name, const std::optional<std::vector<std::string>>& topics,
                                      Clock::time_point until) {
    protocol::MetadataRequest request;
    request.allow_auto_topic_creation = false;
    if (topics) {
      request.topics.emplace();
      for (const std::string& t : *topics) {
        protocol::MetadataRequest::MetadataRequestTopic rt;
        rt.name = t;
        request.topics->push_back(rt);
      }
    } else {
      request.topics = std::nullopt;
    }
    return call<protocol::MetadataResponse>(name, kAnyNode, request, until).body;
  }

  // The coordinator of a group (FindCoordinator, cached by the core), asked again after the
  // backoff while the answer is a retriable error, until the deadline.
  int32_t coordinator(const std::string& group, Clock::time_point until) {
    int tries = 0;
    std::string last_error;
    for (;;) {
      check_open();
      if (Clock::now() >= until) {
        throw TimeoutException("Timed out waiting for a node assignment. Call: findCoordinator" +
                               (last_error.empty() ? std::string() : " (the last error: " + last_error + ")"));
      }
      ++tries;
      auto promise = std::make_shared<std::promise<std::pair<ErrorCode, std::string>>>();
      auto node = std::make_shared<int32_t>(-1);
      auto future = promise->get_future();
      auto find = [this, group, promise, node]() {
        auto done = [promise, node](ErrorCode error, std::string message, int32_t id) {
          *node = id;
          promise->set_value({error, std::move(message)});
        };
        net_.find_coordinator(0, group, done);
      };
      net_.post(find);
      const auto [error, message] = future.get();
      if (error == ErrorCode::none) return *node;
      if (!is_retriable(error) && error != ErrorCode::broker_not_available) {
        throw ApiException(static_cast<int16_t>(error), message);
      }
      last_error = message.empty() ? std::string(error_name(error)) : message;
      backoff(tries, until);
    }
  }

  // After NOT_COORDINATOR and the like: the next coordinator() asks again.
  void forget_coordinator(const std::string& group) {
    auto forget = [this, group]() { net_.invalidate_coordinator(0, group); };
    net_.post(forget);
  }

  Node node(int32_t id) const {
    auto cluster = net_.cluster();
    const BrokerAddress* b = cluster->broker(id);
    if (!b) return Node{id, "", -1, std::nullopt};
    return Node{id, b->host, b->port, b->rack};
  }

  milliseconds default_timeout_;
  NetworkClient net_;
  std::atomic<bool> closed_{false};
};

}  // namespace client

}  // namespace gregor
