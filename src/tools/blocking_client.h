// A stopgap: one blocking PLAINTEXT connection to one broker, one request at a time, written with
// the generated codec. It carries the tools that need only a request or two (broker-api-versions)
// until the client library (src/client) exists; that library replaces it, and nothing else
// should grow on it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "common/bytes.h"
#include "common/byte_reader.h"
#include "common/status.h"
#include "protocol/frame.h"

namespace gregor::tools {

struct HostPort {
  std::string host;
  int port = 0;
  std::string to_string() const;
};

// "host:port" or "[v6 address]:port"; an error names what is wrong with the address.
StatusOr<HostPort> parse_host_port(const std::string& address);

class BlockingConnection {
 public:
  // Connects within timeout, which also bounds each request later on.
  static StatusOr<BlockingConnection> connect(const HostPort& address, std::chrono::milliseconds timeout,
                                              std::string client_id);
  BlockingConnection(BlockingConnection&& other) noexcept;
  BlockingConnection& operator=(BlockingConnection&& other) noexcept;
  BlockingConnection(const BlockingConnection&) = delete;
  BlockingConnection& operator=(const BlockingConnection&) = delete;
  ~BlockingConnection();

  // Sends request as `version` of its API and waits for the response. The response's byte views
  // point into this connection's buffer, valid until the next request. A response that does not
  // decode is corrupt_message (the connection stays usable); I/O failures are network_exception
  // or request_timed_out.
  template <typename Response, typename Request>
  StatusOr<Response> request(const Request& body, int16_t version) {
    protocol::RequestHeader header;
    header.request_api_key = Request::kApiKey;
    header.request_api_version = version;
    header.correlation_id = next_correlation_id_++;
    header.client_id = client_id_;
    Bytes frame;
    if (auto error = protocol::write_request(header, body, frame)) {
      return Status(ErrorCode::invalid_request, std::string(Request::kName) + " v" + std::to_string(version) +
                                                    " does not encode: " + *error);
    }
    auto body_view = round_trip(frame, header.correlation_id, Response::kApiKey, version);
    if (!body_view.ok()) return body_view.status();
    auto decoded = protocol::decode_message<Response>(*body_view, version, protocol::TrailingBytes::ignore);
    if (!decoded.ok()) {
      return Status(ErrorCode::corrupt_message,
                    std::string(Response::kName) + " from " + address_ + " does not decode: " + decoded.error().to_string());
    }
    return std::move(*decoded);
  }

 private:
  BlockingConnection(int fd, std::string address, std::chrono::milliseconds timeout, std::string client_id)
      : fd_(fd), address_(std::move(address)), timeout_(timeout), client_id_(std::move(client_id)) {}

  // Writes the request frame, reads the response frame and checks its correlation id; returns
  // the response body.
  StatusOr<BytesView> round_trip(BytesView request, int32_t correlation_id, int16_t api_key, int16_t version);
  Status write_all(BytesView bytes, std::chrono::steady_clock::time_point deadline);
  Status read_exactly(uint8_t* data, size_t size, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string address_;
  std::chrono::milliseconds timeout_;
  std::string client_id_;
  int32_t next_correlation_id_ = 1;
  Bytes response_;
};

}  // namespace gregor::tools
