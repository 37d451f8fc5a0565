#include "controller/broker_heartbeat_manager.h"

#include <algorithm>

namespace gregor::controller {

BrokerControlState current_broker_state(const metadata::BrokerRegistration& broker) {
  if (broker.in_controlled_shutdown) return BrokerControlState::controlled_shutdown;
  return broker.fenced ? BrokerControlState::fenced : BrokerControlState::unfenced;
}

BrokerControlStates next_broker_state(const metadata::BrokerRegistration& broker,
                                      const protocol::BrokerHeartbeatRequest& request, int64_t register_offset,
                                      bool has_leaderships) {
  using enum BrokerControlState;
  const BrokerControlState current = current_broker_state(broker);
  switch (current) {
    case fenced:
      if (request.want_shut_down) return {current, shutdown_now};
      if (!request.want_fence && request.current_metadata_offset >= register_offset) return {current, unfenced};
      return {current, fenced};
    case unfenced:
      if (request.want_fence) return {current, request.want_shut_down ? shutdown_now : fenced};
      if (request.want_shut_down) return {current, has_leaderships ? controlled_shutdown : shutdown_now};
      return {current, unfenced};
    case controlled_shutdown:
      return {current, has_leaderships ? controlled_shutdown : shutdown_now};
    case shutdown_now:
      break;
  }
  return {current, shutdown_now};
}

void BrokerHeartbeatManager::activate(const metadata::MetadataImage& image, int64_t now_ms) {
  sessions_.clear();
  for (const auto& [id, broker] : image.brokers()) sessions_[id] = Session{broker->epoch, now_ms};
  activated_ = true;
}

void BrokerHeartbeatManager::touch(int32_t id, int64_t epoch, int64_t now_ms) {
  sessions_[id] = Session{epoch, now_ms};
}

bool BrokerHeartbeatManager::has_valid_session(int32_t id, int64_t epoch, int64_t now_ms) const {
  auto it = sessions_.find(id);
  return it != sessions_.end() && it->second.epoch == epoch && now_ms - it->second.last_contact_ms < session_timeout_ms_;
}

void BrokerHeartbeatManager::remove(int32_t id) { sessions_.erase(id); }

std::vector<std::pair<int32_t, int64_t>> BrokerHeartbeatManager::remove_expired(int64_t now_ms) {
  std::vector<std::pair<int32_t, int64_t>> expired;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (now_ms - it->second.last_contact_ms >= session_timeout_ms_) {
      expired.emplace_back(it->first, it->second.epoch);
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

std::optional<int64_t> BrokerHeartbeatManager::next_expiry_ms() const {
  std::optional<int64_t> next;
  for (const auto& [id, session] : sessions_) {
    const int64_t at = session.last_contact_ms + session_timeout_ms_;
    next = next ? std::min(*next, at) : at;
  }
  return next;
}

}  // namespace gregor::controller
