// One client connection, served by a coroutine on the shard that accepted it. Requests are
// read and answered one at a time, in order, as Kafka's network layer does (it mutes a
// connection while its request is handled); a client's pipelined requests wait in the socket.
//
// Limits, as Kafka's: a size prefix above socket.request.max.bytes (or negative) closes the
// connection, as does a frame whose header does not parse; queued.max.requests bounds the
// requests being handled on the shard at once; connections.max.idle.ms closes a connection with
// no traffic. A response's log slices go out with sendfile(2), straight from the page cache.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "broker/request.h"

namespace gregor::broker {

// Counts the requests being handled on a shard; acquire waits while queued.max.requests are.
class RequestLimiter {
 public:
  explicit RequestLimiter(size_t limit) : limit_(limit == 0 ? 1 : limit) {}
  asio::awaitable<void> acquire();
  void release();
  size_t in_flight() const { return in_flight_; }

 private:
  size_t limit_;
  size_t in_flight_ = 0;
  std::vector<std::shared_ptr<asio::steady_timer>> waiters_;
};

struct ConnectionLimits {
  int32_t socket_request_max_bytes = 104857600;  // socket.request.max.bytes
  int64_t connections_max_idle_ms = 600000;      // connections.max.idle.ms
};

// Handles one request frame (the bytes after the size prefix).
using RequestHandler = std::function<asio::awaitable<HandlerResult>(RequestContext&, const protocol::RequestFrame&)>;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::ip::tcp::socket socket, std::string listener, unsigned shard, ConnectionLimits limits,
             RequestLimiter& limiter, RequestHandler handler);

  // Serves the connection until the peer leaves, a limit is hit, or close() is called.
  asio::awaitable<void> run();
  void close();
  const std::string& peer() const { return peer_; }

 private:
  asio::awaitable<void> watch_idle();
  asio::awaitable<void> send(Response& response);
  asio::awaitable<void> send_file(const storage::FileSlice& slice);
  void touch() { last_activity_ = std::chrono::steady_clock::now(); }

  asio::ip::tcp::socket socket_;
  std::string listener_;
  unsigned shard_;
  ConnectionLimits limits_;
  RequestLimiter& limiter_;
  RequestHandler handler_;
  std::string peer_;
  asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_;
  bool closed_ = false;
};

}  // namespace gregor::broker
