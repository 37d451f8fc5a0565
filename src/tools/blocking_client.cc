#include "tools/blocking_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/endian.h"

namespace gregor::tools {

namespace {

using Clock = std::chrono::steady_clock;

// The largest response accepted: far above any ApiVersions or Metadata answer, and a guard
// against reading a non-Kafka peer's bytes as a size.
constexpr int32_t kMaxResponseSize = 100 * 1024 * 1024;

Status network_error(const std::string& address, const std::string& what) {
  return Status(ErrorCode::network_exception, "Connection to " + address + " failed: " + what);
}

// Waits until fd is ready for events or the deadline passes.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace

std::string HostPort::to_string() const {
  return host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                              : host + ":" + std::to_string(port);
}

StatusOr<HostPort> parse_host_port(const std::string& address) {
  size_t colon = address.rfind(':');
  auto invalid = [&](const std::string& why) {
    return Status(ErrorCode::invalid_request, "Invalid url in bootstrap.servers: " + address + " (" + why + ")");
  };
  if (colon == std::string::npos) return invalid("no port");
  HostPort out;
  out.host = address.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (out.host.empty()) return invalid("no host");
  const char* begin = address.data() + colon + 1;
  const char* end = address.data() + address.size();
  auto [ptr, ec] = std::from_chars(begin, end, out.port);
  if (begin == end || ec != std::errc() || ptr != end || out.port <= 0 || out.port > 65535) {
    return invalid("bad port");
  }
  return out;
}

StatusOr<BlockingConnection> BlockingConnection::connect(const HostPort& address, std::chrono::milliseconds timeout,
                                                         std::string client_id) {
  const std::string name = address.to_string();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(address.host.c_str(), std::to_string(address.port).c_str(), &hints, &found); rc != 0) {
    return network_error(name, gai_strerror(rc));
  }
  const auto deadline = Clock::now() + timeout;
  std::string last_error = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (wait_for(fd, POLLOUT, deadline)) {
        int so_error = 0;
        socklen_t len = sizeof so_error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        rc = so_error == 0 ? 0 : -1;
        errno = so_error;
      } else {
        errno = ETIMEDOUT;
      }
    }
    if (rc == 0) {
      ::freeaddrinfo(found);
      return BlockingConnection(fd, name, timeout, std::move(client_id));
    }
    last_error = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return network_error(name, last_error);
}

BlockingConnection::BlockingConnection(BlockingConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      address_(std::move(other.address_)),
      timeout_(other.timeout_),
      client_id_(std::move(other.client_id_)),
      next_correlation_id_(other.next_correlation_id_),
      response_(std::move(other.response_)) {}

BlockingConnection& BlockingConnection::operator=(BlockingConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    address_ = std::move(other.address_);
    timeout_ = other.timeout_;
    client_id_ = std::move(other.client_id_);
    next_correlation_id_ = other.next_correlation_id_;
    response_ = std::move(other.response_);
  }
  return *this;
}

BlockingConnection::~BlockingConnection() {
  if (fd_ >= 0) ::close(fd_);
}

Status BlockingConnection::write_all(BytesView bytes, Clock::time_point deadline) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd_, POLLOUT, deadline)) {
        return Status(ErrorCode::request_timed_out, "Request to " + address_ + " timed out");
      }
    } else {
      return network_error(address_, std::strerror(errno));
    }
  }
  return {};
}

Status BlockingConnection::read_exactly(uint8_t* data, size_t size, Clock::time_point deadline) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::recv(fd_, data + done, size - done, 0);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n == 0) {
      return network_error(address_, "the broker closed the connection");
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!wait_for(fd_, POLLIN, deadline)) {
        return Status(ErrorCode::request_timed_out, "Request to " + address_ + " timed out");
      }
    } else {
      return network_error(address_, std::strerror(errno));
    }
  }
  return {};
}

StatusOr<BytesView> BlockingConnection::round_trip(BytesView request, int32_t correlation_id, int16_t api_key,
                                                   int16_t version) {
  const auto deadline = Clock::now() + timeout_;
  if (Status s = write_all(request, deadline); !s.ok()) return s;
  uint8_t size_bytes[4];
  if (Status s = read_exactly(size_bytes, sizeof size_bytes, deadline); !s.ok()) return s;
  const int32_t size = load_be<int32_t>(size_bytes);
  if (size < 4 || size > kMaxResponseSize) {
    return network_error(address_, "invalid response size " + std::to_string(size));
  }
  response_.resize(static_cast<size_t>(size));
  if (Status s = read_exactly(response_.data(), response_.size(), deadline); !s.ok()) return s;
  ByteReader r(response_);
  protocol::ResponseHeader header;
  header.decode(r, protocol::response_header_version(api_key, version));
  if (!r.ok()) return network_error(address_, "response header " + r.error().to_string());
  if (header.correlation_id != correlation_id) {
    return network_error(address_, "correlation id " + std::to_string(header.correlation_id) + " does not match " +
                                       std::to_string(correlation_id));
  }
  return BytesView(response_).subview(r.offset(), r.remaining());
}

}  // namespace gregor::tools
