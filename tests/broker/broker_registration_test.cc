// The controller's broker lifecycle APIs over the wire, against an in-process broker with a
// controller listener: a made-up broker 2 registers, heartbeats its way to unfenced, gets
// replicas, is fenced once it stops heartbeating for broker.session.timeout.ms, and registers
// again as a new incarnation; Kafka's errors for duplicates, stale epochs and foreign clusters.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "../storage/temp_dir.h"
#include "broker/apis.h"
#include "broker/broker.h"
#include "broker_fixture.h"
#include "common/error_code.h"
#include "protocol/generated/message/broker_heartbeat_request.h"
#include "protocol/generated/message/broker_heartbeat_response.h"
#include "protocol/generated/message/broker_registration_request.h"
#include "protocol/generated/message/broker_registration_response.h"
#include "protocol/generated/message/controller_registration_request.h"
#include "protocol/generated/message/controller_registration_response.h"
#include "protocol/generated/message/create_topics_request.h"
#include "protocol/generated/message/create_topics_response.h"
#include "protocol/generated/message/metadata_request.h"
#include "protocol/generated/message/metadata_response.h"
#include "raw_client.h"

namespace gregor::broker {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kCluster = "BrokerRegistrationTest";
constexpr int64_t kSessionTimeoutMs = 4000;
// Generous: the machine running the tests may be loaded.
constexpr auto kDeadline = std::chrono::seconds(60);

int16_t code(ErrorCode e) { return static_cast<int16_t>(e); }

class BrokerRegistrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BrokerOptions o = testing::broker_options({dir.path()}, dir.path(), kCluster, 2);
    o.listeners.push_back(ListenerOptions{"CONTROLLER", "127.0.0.1", 0});
    o.controller_listener_names = {"CONTROLLER"};
    o.metadata->controller.session_timeout_ms = kSessionTimeoutMs;
    o.metadata->heartbeat_interval_ms = 500;  // this node's own, well within the session
    broker = std::make_unique<Broker>(o);
    ASSERT_TRUE(broker->start().ok());
    controller = std::make_unique<Client>(broker->bound_port("CONTROLLER"));
    client = std::make_unique<Client>(broker->bound_port("PLAINTEXT"));
  }
  void TearDown() override {
    controller.reset();
    client.reset();
    if (broker) testing::stop_broker(broker);
  }

  static protocol::BrokerRegistrationRequest registration(int32_t id, Uuid incarnation) {
    protocol::BrokerRegistrationRequest r;
    r.broker_id = id;
    r.cluster_id = kCluster;
    r.incarnation_id = incarnation;
    r.listeners.push_back({"PLAINTEXT", "127.0.0.1", 19092, 0, {}});
    r.features.push_back({"metadata.version", 1, 21, {}});
    r.rack = std::nullopt;
    return r;
  }
  protocol::BrokerRegistrationResponse register_broker(const protocol::BrokerRegistrationRequest& r) {
    return round_trip<protocol::BrokerRegistrationResponse>(*controller, r, 4, ++correlation);
  }
  protocol::BrokerHeartbeatResponse heartbeat(int32_t id, int64_t epoch, int64_t offset, bool want_fence = false,
                                              bool want_shut_down = false) {
    protocol::BrokerHeartbeatRequest r;
    r.broker_id = id;
    r.broker_epoch = epoch;
    r.current_metadata_offset = offset;
    r.want_fence = want_fence;
    r.want_shut_down = want_shut_down;
    return round_trip<protocol::BrokerHeartbeatResponse>(*controller, r, 1, ++correlation);
  }
  // The broker ids a Metadata response lists.
  std::vector<int32_t> listed_brokers() {
    protocol::MetadataRequest r;
    r.topics = std::vector<protocol::MetadataRequest::MetadataRequestTopic>{};
    auto response = round_trip<protocol::MetadataResponse>(*client, r, 12, ++correlation);
    std::vector<int32_t> ids;
    for (const auto& b : response.brokers) ids.push_back(b.node_id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  // Heartbeats broker id until it is unfenced (it catches up with a high offset).
  void unfence(int32_t id, int64_t epoch) {
    auto response = heartbeat(id, epoch, epoch);
    EXPECT_EQ(response.error_code, 0);
    EXPECT_TRUE(response.is_caught_up);
    EXPECT_FALSE(response.is_fenced);
  }

  storage::testing::TempDir dir;
  std::unique_ptr<Broker> broker;
  std::unique_ptr<Client> controller;
  std::unique_ptr<Client> client;
  int32_t correlation = 0;
};

TEST_F(BrokerRegistrationTest, ControllerListenerServesTheControllerApis) {
  controller->send_api_versions(3, 1);
  auto frame = controller->read_frame();
  ASSERT_TRUE(frame);
  auto [correlation_id, response] = Client::api_versions(*frame, 3);
  EXPECT_EQ(correlation_id, 1);
  EXPECT_EQ(response.error_code, 0);
  ASSERT_EQ(response.api_keys.size(), controller_apis().size());
  std::vector<int16_t> keys;
  for (const auto& k : response.api_keys) keys.push_back(k.api_key);
  EXPECT_EQ(keys, (std::vector<int16_t>{18, 62, 63, 70}));
  EXPECT_EQ(response.api_keys[1].max_version, 4);  // BrokerRegistration, as Kafka 4.0
  EXPECT_EQ(response.api_keys[2].max_version, 1);  // BrokerHeartbeat

  // The broker listener does not list them, and closes the connection on one.
  client->send_api_versions(3, 2);
  auto broker_frame = client->read_frame();
  ASSERT_TRUE(broker_frame);
  for (const auto& k : Client::api_versions(*broker_frame, 3).second.api_keys) {
    EXPECT_TRUE(k.api_key != 62 && k.api_key != 63 && k.api_key != 70) << k.api_key;
  }
  client->send(registration(2, Uuid::from_halves(2, 1)), 4, 3);
  EXPECT_FALSE(client->read_frame());
}

TEST_F(BrokerRegistrationTest, RegisterHeartbeatPlaceFenceAndRegisterAgain) {
  EXPECT_EQ(listed_brokers(), std::vector<int32_t>{1});

  // Registered fenced, with its epoch; not listed until a heartbeat unfences it.
  const Uuid first = Uuid::from_halves(2, 1);
  auto registered = register_broker(registration(2, first));
  ASSERT_EQ(registered.error_code, 0);
  const int64_t epoch = registered.broker_epoch;
  EXPECT_GT(epoch, 0);
  EXPECT_EQ(listed_brokers(), std::vector<int32_t>{1});
  auto behind = heartbeat(2, epoch, epoch - 1);
  EXPECT_EQ(behind.error_code, 0);
  EXPECT_FALSE(behind.is_caught_up);
  EXPECT_TRUE(behind.is_fenced);
  unfence(2, epoch);
  EXPECT_EQ(listed_brokers(), (std::vector<int32_t>{1, 2}));

  // A replication factor of 2 needs it: every partition has a replica on broker 2.
  protocol::CreateTopicsRequest create;
  create.timeout_ms = 30000;
  auto& t = create.topics.emplace_back();
  t.name = "spread";
  t.num_partitions = 4;
  t.replication_factor = 2;
  auto created = round_trip<protocol::CreateTopicsResponse>(*client, create, 7, ++correlation);
  ASSERT_EQ(created.topics.size(), 1u);
  ASSERT_EQ(created.topics[0].error_code, 0) << created.topics[0].error_message.value_or("");
  protocol::MetadataRequest describe;
  describe.topics.emplace();
  describe.topics->emplace_back().name = "spread";
  auto described = round_trip<protocol::MetadataResponse>(*client, describe, 12, ++correlation);
  ASSERT_EQ(described.topics.size(), 1u);
  ASSERT_EQ(described.topics[0].partitions.size(), 4u);
  for (const auto& p : described.topics[0].partitions) {
    EXPECT_EQ(p.replica_nodes.size(), 2u);
    EXPECT_NE(std::find(p.replica_nodes.begin(), p.replica_nodes.end(), 2), p.replica_nodes.end());
  }

  // Another incarnation while this one's session is valid is a duplicate.
  heartbeat(2, epoch, epoch);
  EXPECT_EQ(register_broker(registration(2, Uuid::from_halves(2, 2))).error_code,
            code(ErrorCode::duplicate_broker_registration));

  // Broker 2 stops heartbeating: fenced once its session times out, and no longer listed.
  const auto last_heartbeat = Clock::now();
  heartbeat(2, epoch, epoch);
  const auto deadline = last_heartbeat + kDeadline;
  while (listed_brokers() != std::vector<int32_t>{1} && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // between polls of the condition
  }
  const auto fenced_after = Clock::now() - last_heartbeat;
  EXPECT_EQ(listed_brokers(), std::vector<int32_t>{1});
  EXPECT_GE(fenced_after, std::chrono::milliseconds(kSessionTimeoutMs));
  // This broker heartbeats itself: it stays.

  // Its session is gone: a new incarnation registers, with a new epoch.
  const Uuid second = Uuid::from_halves(2, 3);
  auto again = register_broker(registration(2, second));
  ASSERT_EQ(again.error_code, 0);
  EXPECT_GT(again.broker_epoch, epoch);
  // The old epoch is stale now; the new one is unfenced by its heartbeat.
  EXPECT_EQ(heartbeat(2, epoch, again.broker_epoch).error_code, code(ErrorCode::stale_broker_epoch));
  unfence(2, again.broker_epoch);
  EXPECT_EQ(listed_brokers(), (std::vector<int32_t>{1, 2}));

  // A controlled shutdown: fenced and let go at once (no leaderships are moved yet).
  auto stopping = heartbeat(2, again.broker_epoch, again.broker_epoch, false, true);
  EXPECT_EQ(stopping.error_code, 0);
  EXPECT_TRUE(stopping.is_fenced);
  EXPECT_TRUE(stopping.should_shut_down);
  EXPECT_EQ(listed_brokers(), std::vector<int32_t>{1});
}

TEST_F(BrokerRegistrationTest, KafkasErrors) {
  // A broker never registered, and a wrong epoch of one that is: STALE_BROKER_EPOCH.
  EXPECT_EQ(heartbeat(7, 5, 100).error_code, code(ErrorCode::stale_broker_epoch));
  auto registered = register_broker(registration(3, Uuid::from_halves(3, 1)));
  ASSERT_EQ(registered.error_code, 0);
  EXPECT_EQ(heartbeat(3, registered.broker_epoch + 1, 100).error_code, code(ErrorCode::stale_broker_epoch));

  auto foreign = registration(4, Uuid::from_halves(4, 1));
  foreign.cluster_id = "SomeOtherCluster";
  EXPECT_EQ(register_broker(foreign).error_code, code(ErrorCode::inconsistent_cluster_id));
  auto too_old = registration(4, Uuid::from_halves(4, 1));
  too_old.features[0].max_supported_version = 7;
  EXPECT_EQ(register_broker(too_old).error_code, code(ErrorCode::unsupported_version));
  // This node's own id, from another process.
  EXPECT_EQ(register_broker(registration(1, Uuid::from_halves(1, 1))).error_code,
            code(ErrorCode::duplicate_broker_registration));
  EXPECT_EQ(listed_brokers(), std::vector<int32_t>{1});

  protocol::ControllerRegistrationRequest controller_registration;
  controller_registration.controller_id = 3000;
  controller_registration.incarnation_id = Uuid::from_halves(30, 1);
  controller_registration.listeners.push_back({"CONTROLLER", "127.0.0.1", 19093, 0, {}});
  auto announced =
      round_trip<protocol::ControllerRegistrationResponse>(*controller, controller_registration, 0, ++correlation);
  EXPECT_EQ(announced.error_code, 0);
  EXPECT_EQ(announced.error_message, std::nullopt);

  // A body that does not parse closes the connection.
  Bytes garbage;
  ByteWriter w(garbage);
  const size_t at = w.reserve_int32();
  w.write_int16(63);
  w.write_int16(1);
  w.write_int32(99);
  w.write_nullable_string(std::string("raw"), false);
  w.write_uvarint(0);
  w.write_int16(1);  // a truncated body
  w.patch_int32(at, static_cast<int32_t>(w.size() - at - 4));
  controller->send_raw(garbage);
  EXPECT_FALSE(controller->read_frame());
}

}  // namespace
}  // namespace gregor::broker
