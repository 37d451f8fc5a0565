// The network layer against raw sockets: framing, in-order answers to pipelined requests,
// KIP-511's ApiVersions fallback, and bad input closing one connection while others go on.
#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include "broker/apis.h"
#include "broker/broker.h"
#include "common/endian.h"
#include "common/error_code.h"
#include "protocol/frame.h"
#include "protocol/generated/message/api_versions_request.h"
#include "protocol/generated/message/api_versions_response.h"

namespace gregor::broker {
namespace {

class Client {
 public:
  explicit Client(int port) : socket_(io_) {
    asio::ip::tcp::resolver resolver(io_);
    asio::connect(socket_, resolver.resolve("127.0.0.1", std::to_string(port)));
  }
  void send_raw(BytesView bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }
  void send_api_versions(int16_t version, int32_t correlation_id) {
    protocol::RequestHeader header;
    header.request_api_key = 18;
    header.request_api_version = version;
    header.correlation_id = correlation_id;
    header.client_id = "network-test";
    protocol::ApiVersionsRequest request;
    request.client_software_name = "gregor-test";
    request.client_software_version = "1.0";
    Bytes out;
    if (version > protocol::ApiVersionsRequest::kValidVersions.hi) {
      // A version the codec does not know: write the header by hand, body empty.
      ByteWriter w(out);
      size_t at = w.reserve_int32();
      w.write_int16(18);
      w.write_int16(version);
      w.write_int32(correlation_id);
      w.write_nullable_string(std::string("network-test"), false);
      w.write_uvarint(0);  // tagged fields
      w.patch_int32(at, static_cast<int32_t>(w.size() - at - 4));
    } else {
      ASSERT_FALSE(protocol::write_request(header, request, out));
    }
    send_raw(out);
  }
  // The next response frame (without its size), or nullopt when the broker closed the connection.
  std::optional<Bytes> read_frame() {
    uint8_t size_bytes[4];
    std::error_code ec;
    asio::read(socket_, asio::buffer(size_bytes), ec);
    if (ec) return std::nullopt;
    Bytes frame(static_cast<size_t>(load_be<int32_t>(size_bytes)));
    asio::read(socket_, asio::buffer(frame.data(), frame.size()), ec);
    if (ec) return std::nullopt;
    return frame;
  }
  // Response header v0 (ApiVersions always uses it): correlation id, then the body.
  static std::pair<int32_t, protocol::ApiVersionsResponse> api_versions(const Bytes& frame, int16_t version) {
    int32_t correlation = load_be<int32_t>(frame.data());
    auto body = protocol::decode_message<protocol::ApiVersionsResponse>(BytesView(frame).subview(4, frame.size() - 4),
                                                                         version);
    EXPECT_TRUE(body.ok());
    return {correlation, body.ok() ? *body : protocol::ApiVersionsResponse{}};
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
};

class NetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BrokerOptions o;
    o.listeners = {ListenerOptions{"PLAINTEXT", "127.0.0.1", 0}};
    o.shards = 2;
    o.connection_limits.socket_request_max_bytes = 1 << 20;
    broker = std::make_unique<Broker>(o);
    Status s = broker->start();
    ASSERT_TRUE(s.ok()) << s.to_string();
    port = broker->bound_port("PLAINTEXT");
    ASSERT_GT(port, 0);
  }

  std::unique_ptr<Broker> broker;
  int port = 0;
};

TEST_F(NetworkTest, ApiVersionsListsExactlyTheImplementedApis) {
  Client c(port);
  c.send_api_versions(3, 7);
  auto frame = c.read_frame();
  ASSERT_TRUE(frame);
  auto [correlation, response] = Client::api_versions(*frame, 3);
  EXPECT_EQ(correlation, 7);
  EXPECT_EQ(response.error_code, 0);
  ASSERT_EQ(response.api_keys.size(), implemented_apis().size());
  for (size_t i = 0; i < response.api_keys.size(); ++i) {
    EXPECT_EQ(response.api_keys[i].api_key, implemented_apis()[i].key);
    EXPECT_EQ(response.api_keys[i].min_version, implemented_apis()[i].min_version);
    EXPECT_EQ(response.api_keys[i].max_version, implemented_apis()[i].max_version);
  }
}

TEST_F(NetworkTest, PipelinedRequestsAreAnsweredInOrder) {
  Client c(port);
  for (int i = 0; i < 50; ++i) c.send_api_versions(static_cast<int16_t>(i % 4), 100 + i);
  for (int i = 0; i < 50; ++i) {
    auto frame = c.read_frame();
    ASSERT_TRUE(frame);
    EXPECT_EQ(Client::api_versions(*frame, static_cast<int16_t>(i % 4)).first, 100 + i);
  }
}

TEST_F(NetworkTest, AnUnknownApiVersionsVersionGetsTheVersion0Fallback) {
  Client c(port);
  c.send_api_versions(99, 5);
  auto frame = c.read_frame();
  ASSERT_TRUE(frame);
  auto [correlation, response] = Client::api_versions(*frame, 0);
  EXPECT_EQ(correlation, 5);
  EXPECT_EQ(response.error_code, static_cast<int16_t>(ErrorCode::unsupported_version));
  EXPECT_FALSE(response.api_keys.empty());
  // The connection stays usable.
  c.send_api_versions(2, 6);
  ASSERT_TRUE(c.read_frame());
}

TEST_F(NetworkTest, BadFramesCloseTheirConnectionOnly) {
  Client good(port);
  std::vector<Bytes> bad = {
      Bytes{0x7f, 0xff, 0xff, 0xff},                    // a size over socket.request.max.bytes
      Bytes{0xff, 0xff, 0xff, 0xfe},                    // a negative size
      Bytes{0, 0, 0, 2, 0, 18},                         // a header cut short
      Bytes{0, 0, 0, 8, 0x7f, 0x00, 0, 0, 0, 0, 0, 1},  // an unknown API key
      Bytes{0, 0, 0, 10, 0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff},  // an API this broker does not serve
  };
  for (const Bytes& frame : bad) {
    Client c(port);
    c.send_raw(frame);
    EXPECT_FALSE(c.read_frame()) << "the broker should close this connection";
    good.send_api_versions(3, 1);
    EXPECT_TRUE(good.read_frame());
  }
}

TEST(NetworkIdle, AConnectionWithoutTrafficIsClosedAfterConnectionsMaxIdleMs) {
  BrokerOptions o;
  o.listeners = {ListenerOptions{"PLAINTEXT", "127.0.0.1", 0}};
  o.shards = 1;
  o.connection_limits.connections_max_idle_ms = 200;
  Broker broker(o);
  ASSERT_TRUE(broker.start().ok());
  Client c(broker.bound_port("PLAINTEXT"));
  c.send_api_versions(3, 1);
  ASSERT_TRUE(c.read_frame());
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(c.read_frame());  // blocks until the broker closes the idle connection
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
}

}  // namespace
}  // namespace gregor::broker
