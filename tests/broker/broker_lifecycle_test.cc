// The broker's lifecycle with the controller as a state machine: registration and its retries,
// the heartbeats of each state, initial catch-up and unfencing, and controlled shutdown, driven by
// hand-made responses and a clock the test moves.
#include "broker/broker_lifecycle.h"

#include <gtest/gtest.h>

#include "common/error_code.h"

namespace gregor::broker {
namespace {

constexpr int64_t kStart = 1'000'000;

class BrokerLifecycleTest : public ::testing::Test {
 protected:
  BrokerLifecycle::Options options() {
    BrokerLifecycle::Options o;
    o.node_id = 4;
    o.cluster_id = "LifecycleCluster";
    o.incarnation_id = Uuid::from_halves(4, 44);
    o.listeners.push_back({"PLAINTEXT", "host4", 9092, 0, {}});
    o.features.push_back({"metadata.version", 1, 21, {}});
    o.rack = "rack-a";
    return o;
  }

  protocol::BrokerRegistrationRequest expect_registration() {
    auto request = lifecycle.poll(now);
    EXPECT_TRUE(request && std::holds_alternative<protocol::BrokerRegistrationRequest>(*request));
    if (!request || !std::holds_alternative<protocol::BrokerRegistrationRequest>(*request)) return {};
    return std::get<protocol::BrokerRegistrationRequest>(*request);
  }
  protocol::BrokerHeartbeatRequest expect_heartbeat() {
    auto request = lifecycle.poll(now);
    EXPECT_TRUE(request && std::holds_alternative<protocol::BrokerHeartbeatRequest>(*request));
    if (!request || !std::holds_alternative<protocol::BrokerHeartbeatRequest>(*request)) return {};
    return std::get<protocol::BrokerHeartbeatRequest>(*request);
  }
  void registered(int64_t epoch) {
    protocol::BrokerRegistrationResponse r;
    r.broker_epoch = epoch;
    lifecycle.on_registration_response(r, now);
  }
  void answer(bool caught_up, bool fenced, bool shut_down = false, int16_t error = 0) {
    protocol::BrokerHeartbeatResponse r;
    r.error_code = error;
    r.is_caught_up = caught_up;
    r.is_fenced = fenced;
    r.should_shut_down = shut_down;
    lifecycle.on_heartbeat_response(r, now);
  }
  // Registered at epoch 10, caught up, ready and unfenced: RUNNING.
  void run() {
    lifecycle.set_ready_to_unfence();
    lifecycle.start(now);
    expect_registration();
    registered(10);
    lifecycle.metadata_applied(10);
    expect_heartbeat();
    answer(true, false);
    expect_heartbeat();
    answer(true, false);
    ASSERT_EQ(lifecycle.state(), BrokerState::running);
  }

  BrokerLifecycle lifecycle{options()};
  int64_t now = kStart;
};

TEST_F(BrokerLifecycleTest, RegistersThenCatchesUpThenIsUnfenced) {
  EXPECT_EQ(lifecycle.state(), BrokerState::not_running);
  EXPECT_FALSE(lifecycle.poll(now));
  lifecycle.start(now);
  EXPECT_EQ(lifecycle.state(), BrokerState::starting);
  auto registration = expect_registration();
  EXPECT_EQ(registration.broker_id, 4);
  EXPECT_EQ(registration.cluster_id, "LifecycleCluster");
  EXPECT_EQ(registration.incarnation_id, Uuid::from_halves(4, 44));
  EXPECT_EQ(registration.rack, "rack-a");
  ASSERT_EQ(registration.listeners.size(), 1u);
  // One request at a time.
  EXPECT_FALSE(lifecycle.poll(now));
  EXPECT_FALSE(lifecycle.next_poll_ms());

  registered(10);
  EXPECT_EQ(lifecycle.broker_epoch(), 10);
  // The first heartbeat goes at once; not caught up yet, and not ready to be unfenced.
  lifecycle.metadata_applied(7);
  auto first = expect_heartbeat();
  EXPECT_EQ(first.broker_id, 4);
  EXPECT_EQ(first.broker_epoch, 10);
  EXPECT_EQ(first.current_metadata_offset, 7);
  EXPECT_TRUE(first.want_fence);
  EXPECT_FALSE(first.want_shut_down);
  answer(false, true);
  EXPECT_EQ(lifecycle.state(), BrokerState::starting);
  // The next one after broker.heartbeat.interval.ms.
  EXPECT_EQ(lifecycle.next_poll_ms(), now + 2000);
  now += 1999;
  EXPECT_FALSE(lifecycle.poll(now));
  now += 1;
  lifecycle.metadata_applied(12);
  lifecycle.metadata_applied(11);  // offsets only go forward
  EXPECT_EQ(expect_heartbeat().current_metadata_offset, 12);
  answer(true, true);
  EXPECT_EQ(lifecycle.state(), BrokerState::recovery);
  // Caught up: the next heartbeat at once, still asking to stay fenced until ready.
  EXPECT_TRUE(expect_heartbeat().want_fence);
  answer(true, true);
  EXPECT_EQ(lifecycle.state(), BrokerState::recovery);
  lifecycle.set_ready_to_unfence();
  now += 2000;
  EXPECT_FALSE(expect_heartbeat().want_fence);
  answer(true, false);
  EXPECT_EQ(lifecycle.state(), BrokerState::running);
  EXPECT_FALSE(lifecycle.fenced());
  EXPECT_EQ(lifecycle.next_poll_ms(), now + 2000);
}

TEST_F(BrokerLifecycleTest, RegistrationRetriesWithExponentialBackoff) {
  lifecycle.start(now);
  const int16_t duplicate = static_cast<int16_t>(ErrorCode::duplicate_broker_registration);
  int64_t expected = 100;
  for (int i = 0; i < 8; ++i) {
    expect_registration();
    protocol::BrokerRegistrationResponse refused;
    refused.error_code = duplicate;
    lifecycle.on_registration_response(refused, now);
    EXPECT_EQ(lifecycle.last_error(), duplicate);
    EXPECT_EQ(lifecycle.next_poll_ms(), now + expected) << i;
    now += expected;
    expected = std::min<int64_t>(expected * 2, 4500);  // up to half the session timeout
  }
  // A lost request backs off too; NOT_CONTROLLER asks again at once.
  expect_registration();
  lifecycle.on_request_failed(now);
  EXPECT_EQ(lifecycle.next_poll_ms(), now + 4500);
  now += 4500;
  expect_registration();
  protocol::BrokerRegistrationResponse moved;
  moved.error_code = static_cast<int16_t>(ErrorCode::not_controller);
  lifecycle.on_registration_response(moved, now);
  EXPECT_EQ(lifecycle.next_poll_ms(), now);
  expect_registration();
  registered(30);
  EXPECT_EQ(lifecycle.consecutive_failures(), 0);
  EXPECT_EQ(lifecycle.last_error(), 0);
  EXPECT_EQ(expect_heartbeat().broker_epoch, 30);
}

TEST_F(BrokerLifecycleTest, HeartbeatErrorsBackOffAndKeepTheState) {
  run();
  now += 2000;
  expect_heartbeat();
  answer(false, true, false, static_cast<int16_t>(ErrorCode::stale_broker_epoch));
  EXPECT_EQ(lifecycle.state(), BrokerState::running);
  EXPECT_EQ(lifecycle.next_poll_ms(), now + 100);
  now += 100;
  expect_heartbeat();
  lifecycle.on_request_failed(now);
  EXPECT_EQ(lifecycle.next_poll_ms(), now + 200);
}

TEST_F(BrokerLifecycleTest, ControlledShutdown) {
  run();
  now += 500;
  lifecycle.begin_controlled_shutdown(now);
  EXPECT_EQ(lifecycle.state(), BrokerState::pending_controlled_shutdown);
  auto ask = expect_heartbeat();  // at once, not at the next interval
  EXPECT_TRUE(ask.want_shut_down);
  EXPECT_FALSE(ask.want_fence);
  // Not yet: the first recheck comes soon, the later ones at the interval.
  answer(true, false, false);
  EXPECT_EQ(lifecycle.next_poll_ms(), now + 50);
  now += 50;
  expect_heartbeat();
  answer(true, false, false);
  EXPECT_EQ(lifecycle.next_poll_ms(), now + 2000);
  now += 2000;
  expect_heartbeat();
  answer(true, true, true);
  EXPECT_EQ(lifecycle.state(), BrokerState::shutting_down);
  EXPECT_FALSE(lifecycle.next_poll_ms());
  EXPECT_FALSE(lifecycle.poll(now + 100'000));
  // Asking again changes nothing.
  lifecycle.begin_controlled_shutdown(now);
  EXPECT_EQ(lifecycle.state(), BrokerState::shutting_down);
}

TEST_F(BrokerLifecycleTest, ShutdownBeforeRegisteringStopsAtOnce) {
  lifecycle.start(now);
  expect_registration();
  lifecycle.begin_controlled_shutdown(now);
  EXPECT_EQ(lifecycle.state(), BrokerState::shutting_down);
  // A late answer is ignored.
  registered(5);
  EXPECT_FALSE(lifecycle.poll(now));
}

TEST_F(BrokerLifecycleTest, StateNamesAreKafkas) {
  EXPECT_STREQ(broker_state_name(BrokerState::recovery), "RECOVERY");
  EXPECT_STREQ(broker_state_name(BrokerState::pending_controlled_shutdown), "PENDING_CONTROLLED_SHUTDOWN");
  EXPECT_EQ(static_cast<int>(BrokerState::shutting_down), 7);
}

}  // namespace
}  // namespace gregor::broker
