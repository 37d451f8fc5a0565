// The network layer against raw sockets: framing, in-order answers to pipelined requests,
// KIP-511's ApiVersions fallback, and bad input closing one connection while others go on.
#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include "broker/apis.h"
#include "raw_client.h"
#include "broker/broker.h"
#include "common/endian.h"
#include "common/error_code.h"
#include "protocol/frame.h"
#include "protocol/generated/message/api_versions_request.h"
#include "protocol/generated/message/api_versions_response.h"

namespace gregor::broker {
namespace {

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
  for (size_t i = 1; i < response.api_keys.size(); ++i) {
    // Each API once, in key order: a second entry for a key would advertise two version ranges.
    EXPECT_LT(response.api_keys[i - 1].api_key, response.api_keys[i].api_key);
  }
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
