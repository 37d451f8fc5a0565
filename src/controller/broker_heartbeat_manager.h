// The active controller's soft state about broker heartbeats (Kafka's BrokerHeartbeatManager and
// BrokerHeartbeatTracker): when each broker was last heard from, and what a heartbeat moves a
// broker to.
//
// None of it is in the metadata log: heartbeats would fill it. So a controller that becomes
// active knows nothing of when brokers last called, and gives every registered broker a fresh
// session (activate), as Kafka does; a broker that died just before the failover is fenced one
// session timeout later than it would have been.
//
// A session belongs to one registration (broker id and epoch): a broker registering again starts
// a new one. Time is given by the caller, in milliseconds, so tests drive it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "metadata/image.h"
#include "protocol/generated/message/broker_heartbeat_request.h"

namespace gregor::controller {

// Where a broker is, and where a heartbeat takes it (Kafka's BrokerControlState).
enum class BrokerControlState {
  fenced,
  unfenced,
  controlled_shutdown,  // unfenced, moving its leaderships away before it stops
  shutdown_now,         // fenced, and told it may stop
};

inline bool is_fenced(BrokerControlState s) {
  return s == BrokerControlState::fenced || s == BrokerControlState::shutdown_now;
}

struct BrokerControlStates {
  BrokerControlState current = BrokerControlState::fenced;
  BrokerControlState next = BrokerControlState::fenced;
};

// The state a registration is in.
BrokerControlState current_broker_state(const metadata::BrokerRegistration& broker);

// Kafka's rules for a heartbeat from a registered broker whose RegisterBrokerRecord is at
// register_offset:
// - fenced: WantShutDown stops it at once; otherwise, unless it asks to stay fenced (WantFence),
//   it is unfenced once it has applied the metadata up to its own registration;
// - unfenced: WantFence fences it (and WantShutDown with it stops it); WantShutDown alone starts
//   a controlled shutdown while it leads partitions, and stops it at once when it leads none;
// - in controlled shutdown: it stops once it leads nothing.
BrokerControlStates next_broker_state(const metadata::BrokerRegistration& broker,
                                      const protocol::BrokerHeartbeatRequest& request, int64_t register_offset,
                                      bool has_leaderships);

class BrokerHeartbeatManager {
 public:
  explicit BrokerHeartbeatManager(int64_t session_timeout_ms) : session_timeout_ms_(session_timeout_ms) {}

  int64_t session_timeout_ms() const { return session_timeout_ms_; }

  // On becoming active: every registered broker starts a session at now.
  void activate(const metadata::MetadataImage& image, int64_t now_ms);
  bool activated() const { return activated_; }

  // A heartbeat (or a registration) from broker id at epoch: its session runs from now.
  void touch(int32_t id, int64_t epoch, int64_t now_ms);
  // The broker's session at epoch has not expired at now.
  bool has_valid_session(int32_t id, int64_t epoch, int64_t now_ms) const;
  void remove(int32_t id);
  // The sessions expired at now, removed: (broker id, epoch), by id.
  std::vector<std::pair<int32_t, int64_t>> remove_expired(int64_t now_ms);
  // When the next session expires; none without sessions.
  std::optional<int64_t> next_expiry_ms() const;

 private:
  struct Session {
    int64_t epoch = -1;
    int64_t last_contact_ms = 0;
  };

  int64_t session_timeout_ms_;
  bool activated_ = false;
  std::map<int32_t, Session> sessions_;
};

}  // namespace gregor::controller
