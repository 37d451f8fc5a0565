// The heartbeat rules on their own: sessions per registration and Kafka's broker state
// transitions, including the controlled shutdown the controller cannot reach yet (it moves no
// leaderships, so it never passes has_leaderships = true).
#include "controller/broker_heartbeat_manager.h"

#include <gtest/gtest.h>

namespace gregor::controller {
namespace {

using enum BrokerControlState;

metadata::BrokerRegistration broker(bool fenced, bool shutting_down = false) {
  metadata::BrokerRegistration b;
  b.id = 2;
  b.epoch = 10;
  b.fenced = fenced;
  b.in_controlled_shutdown = shutting_down;
  return b;
}

protocol::BrokerHeartbeatRequest beat(int64_t offset, bool want_fence = false, bool want_shut_down = false) {
  protocol::BrokerHeartbeatRequest r;
  r.broker_id = 2;
  r.broker_epoch = 10;
  r.current_metadata_offset = offset;
  r.want_fence = want_fence;
  r.want_shut_down = want_shut_down;
  return r;
}

BrokerControlState next(const metadata::BrokerRegistration& b, const protocol::BrokerHeartbeatRequest& r,
                        bool has_leaderships = false) {
  return next_broker_state(b, r, 10, has_leaderships).next;
}

TEST(BrokerStateTest, FencedBroker) {
  EXPECT_EQ(next(broker(true), beat(9)), fenced);
  EXPECT_EQ(next(broker(true), beat(10)), unfenced);
  EXPECT_EQ(next(broker(true), beat(11, true)), fenced);
  EXPECT_EQ(next(broker(true), beat(0, false, true)), shutdown_now);
  EXPECT_EQ(next_broker_state(broker(true), beat(0), 10, false).current, fenced);
}

TEST(BrokerStateTest, UnfencedBroker) {
  EXPECT_EQ(next(broker(false), beat(0)), unfenced);  // an unfenced broker is not fenced for lagging
  EXPECT_EQ(next(broker(false), beat(20, true)), fenced);
  EXPECT_EQ(next(broker(false), beat(20, true, true)), shutdown_now);
  EXPECT_EQ(next(broker(false), beat(20, false, true), true), controlled_shutdown);
  EXPECT_EQ(next(broker(false), beat(20, false, true), false), shutdown_now);
}

TEST(BrokerStateTest, ControlledShutdownEndsWithTheLastLeadership) {
  const auto b = broker(false, true);
  EXPECT_EQ(next_broker_state(b, beat(20), 10, true).current, controlled_shutdown);
  EXPECT_EQ(next(b, beat(20), true), controlled_shutdown);
  EXPECT_EQ(next(b, beat(20), false), shutdown_now);
  EXPECT_FALSE(is_fenced(controlled_shutdown));
  EXPECT_TRUE(is_fenced(shutdown_now));
}

TEST(BrokerHeartbeatManagerTest, SessionsBelongToARegistration) {
  BrokerHeartbeatManager m(1000);
  EXPECT_FALSE(m.next_expiry_ms());
  m.touch(2, 10, 5000);
  EXPECT_TRUE(m.has_valid_session(2, 10, 5999));
  EXPECT_FALSE(m.has_valid_session(2, 10, 6000));
  EXPECT_FALSE(m.has_valid_session(2, 11, 5000));  // another epoch
  EXPECT_FALSE(m.has_valid_session(3, 10, 5000));  // another broker
  m.touch(3, 12, 5500);
  EXPECT_EQ(m.next_expiry_ms(), 6000);
  EXPECT_TRUE(m.remove_expired(5999).empty());
  EXPECT_EQ(m.remove_expired(6000), (std::vector<std::pair<int32_t, int64_t>>{{2, 10}}));
  EXPECT_EQ(m.next_expiry_ms(), 6500);
  m.remove(3);
  EXPECT_FALSE(m.next_expiry_ms());
}

TEST(BrokerHeartbeatManagerTest, ActivationGivesEveryRegisteredBrokerAFreshSession) {
  metadata::ImageBuilder builder(metadata::MetadataImage::empty());
  for (int32_t id : {1, 2}) {
    protocol::RegisterBrokerRecord r;
    r.broker_id = id;
    r.broker_epoch = 100 + id;
    ASSERT_TRUE(builder.apply(metadata::MetadataRecord(r, 3)).ok());
  }
  BrokerHeartbeatManager m(1000);
  EXPECT_FALSE(m.activated());
  m.touch(7, 1, 0);  // forgotten: only the image counts
  m.activate(*builder.build(), 50'000);
  EXPECT_TRUE(m.activated());
  EXPECT_TRUE(m.has_valid_session(1, 101, 50'999));
  EXPECT_TRUE(m.has_valid_session(2, 102, 50'999));
  EXPECT_FALSE(m.has_valid_session(7, 1, 50'000));
  EXPECT_EQ(m.remove_expired(51'000).size(), 2u);
}

}  // namespace
}  // namespace gregor::controller
