// The client core against a real broker process: bootstrap, ApiVersions negotiation, metadata
// with topic ids and leaders, typed requests from another thread, coordinators, failures named
// by Kafka's error codes, a broker that never answers, and reconnecting after the broker
// restarts on its port.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../interop/broker_process_test.h"
#include "client/network_client.h"
#include "protocol/generated/message/api_versions_request.h"
#include "protocol/generated/message/api_versions_response.h"
#include "protocol/generated/message/metadata_request.h"
#include "protocol/generated/message/metadata_response.h"
#include "protocol/generated/message/produce_request.h"

namespace gregor::client {
namespace {

using namespace std::chrono_literals;

ClientOptions options_for(const std::string& bootstrap) {
  Properties props{{"bootstrap.servers", bootstrap}, {"client.id", "core-test"}, {"request.timeout.ms", "5000"}};
  return ClientOptions::from(producer_config_def().parse(props));
}

class NetworkClientTest : public testing::BrokerProcessTest {};

TEST_F(NetworkClientTest, BootstrapsNegotiatesAndLearnsTopics) {
  NetworkClient client(options_for(broker->bootstrap()));
  auto add = [&client] { client.add_topics({"core-topic"}); };
  client.post(add);
  auto [cluster, ok] = client.await_cluster(
      [](const Cluster& c) { return c.leader("core-topic", 0) >= 0; }, Clock::now() + 30s);
  ASSERT_TRUE(ok);
  const TopicMetadata* topic = cluster->topic("core-topic");
  ASSERT_NE(topic, nullptr);
  EXPECT_FALSE(topic->id.is_zero());
  EXPECT_EQ(cluster->topic_name(topic->id), "core-topic");
  EXPECT_EQ(cluster->brokers.size(), 1u);
  EXPECT_TRUE(cluster->cluster_id.has_value());

  // Versions are negotiated with the broker the partition lives on.
  const int32_t leader = cluster->leader("core-topic", 0);
  std::promise<std::optional<protocol::VersionRange>> versions;
  auto ask = [&] {
    auto done = [&, leader](Response<protocol::MetadataResponse>) {
      versions.set_value(client.usable_versions(leader, protocol::ProduceRequest::kApiKey, {3, 11}));
    };
    protocol::MetadataRequest request;
    client.send<protocol::MetadataResponse>(leader, request, std::function<void(Response<protocol::MetadataResponse>)>(done));
  };
  client.post(ask);
  auto produce = versions.get_future().get();
  ASSERT_TRUE(produce.has_value());
  EXPECT_EQ(produce->hi, 11);

  // A typed call from this thread, at the highest version both sides know.
  protocol::ApiVersionsRequest api_versions;
  api_versions.client_software_name = "core-test";
  api_versions.client_software_version = "1.0";
  auto response = client.call<protocol::ApiVersionsResponse>(leader, api_versions).get();
  ASSERT_TRUE(response.ok()) << response.message;
  EXPECT_EQ(response.version, 4);
  EXPECT_EQ(response.body.error_code, 0);
  EXPECT_FALSE(response.body.api_keys.empty());
}

TEST_F(NetworkClientTest, FindsTheGroupCoordinator) {
  NetworkClient client(options_for(broker->bootstrap()));
  std::promise<std::pair<ErrorCode, int32_t>> found;
  auto find = [&] {
    client.find_coordinator(0, "a-group", [&](ErrorCode e, std::string, int32_t node) { found.set_value({e, node}); });
  };
  client.post(find);
  auto [error, node] = found.get_future().get();
  // The offsets topic may still be loading: that is retriable, anything else is not expected.
  if (error == ErrorCode::none) {
    EXPECT_GE(node, 0);
    EXPECT_NE(client.cluster()->broker(node), nullptr);
  } else {
    EXPECT_TRUE(is_retriable(error)) << error_name(error);
  }
}

TEST_F(NetworkClientTest, FailuresCarryKafkasErrorCodes) {
  NetworkClient client(options_for(broker->bootstrap()));
  auto unknown = client.call<protocol::MetadataResponse>(42, protocol::MetadataRequest{}).get();
  EXPECT_EQ(unknown.error, ErrorCode::broker_not_available);

  // A bootstrap server nobody listens on: the connection fails with NETWORK_EXCEPTION.
  testing::BrokerProcess gone(dir.path() + "/gone");
  ASSERT_TRUE(gone.start());
  const std::string address = gone.bootstrap();
  ASSERT_EQ(gone.stop(), 0);
  NetworkClient nowhere(options_for(address));
  auto failed = nowhere.call<protocol::MetadataResponse>(-1, protocol::MetadataRequest{}).get();
  EXPECT_EQ(failed.error, ErrorCode::network_exception);
  EXPECT_NE(failed.message.find("could not be established"), std::string::npos) << failed.message;
}

TEST_F(NetworkClientTest, ABrokerThatNeverAnswersTimesOut) {
  // A listener whose backlog takes the connection and never reads it: connected, no answer.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  Properties props{{"bootstrap.servers", "127.0.0.1:" + std::to_string(ntohs(address.sin_port))},
                   {"request.timeout.ms", "1000"}};
  NetworkClient client(ClientOptions::from(producer_config_def().parse(props)));
  const auto start = Clock::now();
  auto r = client.call<protocol::MetadataResponse>(-1, protocol::MetadataRequest{}).get();
  const auto took = Clock::now() - start;
  EXPECT_TRUE(r.error == ErrorCode::request_timed_out || r.error == ErrorCode::network_exception)
      << error_name(r.error) << ": " << r.message;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 20s);
  ::close(fd);
}

TEST_F(NetworkClientTest, ReconnectsAfterTheBrokerRestarts) {
  NetworkClient client(options_for(broker->bootstrap()));
  auto first = client.call<protocol::MetadataResponse>(-1, protocol::MetadataRequest{}).get();
  ASSERT_TRUE(first.ok()) << first.message;
  const int port = broker->port();
  ASSERT_EQ(broker->stop(), 0);
  auto during = client.call<protocol::MetadataResponse>(-1, protocol::MetadataRequest{}).get();
  EXPECT_EQ(during.error, ErrorCode::network_exception);
  ASSERT_TRUE(broker->start(60s, port)) << broker->log();
  // The node is backing off after the failure; the request waits for the next connection.
  Response<protocol::MetadataResponse> after;
  const auto deadline = Clock::now() + 30s;
  do {
    after = client.call<protocol::MetadataResponse>(-1, protocol::MetadataRequest{}).get();
  } while (!after.ok() && Clock::now() < deadline);
  EXPECT_TRUE(after.ok()) << after.message;
  EXPECT_EQ(after.body.brokers.size(), 1u);
}

}  // namespace
}  // namespace gregor::client
