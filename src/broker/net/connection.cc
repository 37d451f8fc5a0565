#include "broker/net/connection.h"

#include <spdlog/spdlog.h>
#include <sys/sendfile.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>

#include "common/endian.h"

namespace gregor::broker {

size_t Response::size() const {
  size_t n = 0;
  for (const Part& part : parts) {
    n += std::holds_alternative<Bytes>(part) ? std::get<Bytes>(part).size() : std::get<storage::FileSlice>(part).size;
  }
  return n;
}

asio::awaitable<void> RequestLimiter::acquire() {
  while (in_flight_ >= limit_) {
    auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                      asio::steady_timer::time_point::max());
    waiters_.push_back(timer);
    std::error_code ignored;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  ++in_flight_;
}

void RequestLimiter::release() {
  --in_flight_;
  if (!waiters_.empty()) {
    waiters_.front()->cancel();
    waiters_.erase(waiters_.begin());
  }
}

Connection::Connection(asio::ip::tcp::socket socket, std::string listener, unsigned shard, ConnectionLimits limits,
                       RequestLimiter& limiter, RequestHandler handler)
    : socket_(std::move(socket)),
      listener_(std::move(listener)),
      shard_(shard),
      limits_(limits),
      limiter_(limiter),
      handler_(std::move(handler)),
      idle_timer_(socket_.get_executor()) {
  std::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  peer_ = ec ? "unknown" : remote.address().to_string() + ":" + std::to_string(remote.port());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  touch();
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  idle_timer_.cancel();
}

asio::awaitable<void> Connection::watch_idle() {
  auto self = shared_from_this();
  const auto idle = std::chrono::milliseconds(limits_.connections_max_idle_ms);
  while (!closed_) {
    idle_timer_.expires_at(last_activity_ + idle);
    std::error_code ec;
    co_await idle_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (closed_) break;
    if (std::chrono::steady_clock::now() >= last_activity_ + idle) {
      spdlog::info("closing idle connection from {} (connections.max.idle.ms={})", peer_,
                   limits_.connections_max_idle_ms);
      close();
    }
  }
}

asio::awaitable<void> Connection::run() {
  auto self = shared_from_this();
  if (limits_.connections_max_idle_ms > 0) asio::co_spawn(socket_.get_executor(), watch_idle(), asio::detached);
  std::string closing;
  try {
    for (;;) {
      uint8_t size_bytes[4];
      co_await asio::async_read(socket_, asio::buffer(size_bytes), asio::use_awaitable);
      touch();
      const int32_t size = load_be<int32_t>(size_bytes);
      if (size < 0 || size > limits_.socket_request_max_bytes) {
        closing = "its request size " + std::to_string(size) + " is larger than socket.request.max.bytes (" +
                  std::to_string(limits_.socket_request_max_bytes) + ")";
        if (size < 0) closing = "its request size " + std::to_string(size) + " is negative";
        break;
      }
      Bytes frame(static_cast<size_t>(size));
      co_await asio::async_read(socket_, asio::buffer(frame.data(), frame.size()), asio::use_awaitable);
      touch();
      auto request = protocol::read_request_header(frame);
      if (!request.ok()) {
        closing = "its request header does not parse: " + request.error().to_string();
        break;
      }
      RequestContext ctx;
      ctx.api_key = request->header.request_api_key;
      ctx.api_version = request->header.request_api_version;
      ctx.correlation_id = request->header.correlation_id;
      ctx.client_id = request->header.client_id.value_or("");
      ctx.client_address = peer_;
      ctx.listener = listener_;
      ctx.shard = shard_;
      co_await limiter_.acquire();
      HandlerResult result;
      try {
        result = co_await handler_(ctx, *request);
      } catch (...) {
        limiter_.release();
        throw;
      }
      limiter_.release();
      if (result.close_reason) {
        closing = *result.close_reason;
        break;
      }
      if (result.response) {
        co_await send(*result.response);
        touch();
      }
    }
  } catch (const std::system_error& e) {
    if (!closed_ && e.code() != asio::error::eof && e.code() != asio::error::connection_reset &&
        e.code() != asio::error::operation_aborted) {
      spdlog::debug("connection from {}: {}", peer_, e.code().message());
    }
  }
  if (!closing.empty()) spdlog::warn("closing connection from {}: {}", peer_, closing);
  close();
}

asio::awaitable<void> Connection::send(Response& response) {
  for (Response::Part& part : response.parts) {
    if (auto* bytes = std::get_if<Bytes>(&part)) {
      co_await asio::async_write(socket_, asio::buffer(bytes->data(), bytes->size()), asio::use_awaitable);
    } else {
      co_await send_file(std::get<storage::FileSlice>(part));
    }
  }
}

asio::awaitable<void> Connection::send_file(const storage::FileSlice& slice) {
  // The response's size prefix already counts these bytes: a short file breaks the frame, so
  // it ends the connection.
  const int in = slice.file->native_handle();
  if (in < 0) throw std::system_error(std::make_error_code(std::errc::bad_file_descriptor));
  socket_.native_non_blocking(true);
  off_t offset = static_cast<off_t>(slice.position);
  size_t left = slice.size;
  while (left > 0) {
    ssize_t n = ::sendfile(socket_.native_handle(), in, &offset, left);
    if (n > 0) {
      left -= static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      co_await socket_.async_wait(asio::ip::tcp::socket::wait_write, asio::use_awaitable);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      throw std::system_error(n == 0 ? std::make_error_code(std::errc::io_error)
                                     : std::error_code(errno, std::system_category()));
    }
  }
}

}  // namespace gregor::broker
