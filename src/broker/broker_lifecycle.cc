#include "broker/broker_lifecycle.h"

#include <algorithm>

#include "common/error_code.h"

namespace gregor::broker {

namespace {

// After the first answer of a controlled shutdown that is not yet a yes, the next heartbeat goes
// sooner than the interval: a shutdown with nothing to move completes quickly (Kafka's 50 ms).
constexpr int64_t kShutdownRecheckMs = 50;

}  // namespace

const char* broker_state_name(BrokerState state) {
  switch (state) {
    case BrokerState::not_running:
      return "NOT_RUNNING";
    case BrokerState::starting:
      return "STARTING";
    case BrokerState::recovery:
      return "RECOVERY";
    case BrokerState::running:
      return "RUNNING";
    case BrokerState::pending_controlled_shutdown:
      return "PENDING_CONTROLLED_SHUTDOWN";
    case BrokerState::shutting_down:
      return "SHUTTING_DOWN";
  }
  return "UNKNOWN";
}

void BrokerLifecycle::start(int64_t now_ms) {
  if (state_ != BrokerState::not_running) return;
  state_ = BrokerState::starting;
  schedule(now_ms);
}

std::optional<BrokerLifecycle::Request> BrokerLifecycle::poll(int64_t now_ms) {
  if (in_flight_ || !next_send_ms_ || now_ms < *next_send_ms_) return std::nullopt;
  if (state_ == BrokerState::not_running || state_ == BrokerState::shutting_down) return std::nullopt;
  in_flight_ = true;
  next_send_ms_.reset();
  if (!registered()) return Request(registration());
  return Request(heartbeat());
}

std::optional<int64_t> BrokerLifecycle::next_poll_ms() const {
  if (in_flight_) return std::nullopt;
  return next_send_ms_;
}

protocol::BrokerRegistrationRequest BrokerLifecycle::registration() const {
  protocol::BrokerRegistrationRequest r;
  r.broker_id = options_.node_id;
  r.cluster_id = options_.cluster_id;
  r.incarnation_id = options_.incarnation_id;
  r.listeners = options_.listeners;
  r.features = options_.features;
  r.rack = options_.rack;
  r.log_dirs = options_.log_dirs;
  r.previous_broker_epoch = options_.previous_broker_epoch;
  return r;
}

protocol::BrokerHeartbeatRequest BrokerLifecycle::heartbeat() const {
  protocol::BrokerHeartbeatRequest r;
  r.broker_id = options_.node_id;
  r.broker_epoch = broker_epoch_;
  r.current_metadata_offset = applied_offset_;
  r.want_fence = !ready_to_unfence_;
  r.want_shut_down = state_ == BrokerState::pending_controlled_shutdown;
  return r;
}

void BrokerLifecycle::schedule_after_failure(int64_t now_ms, int16_t error) {
  ++failures_;
  last_error_ = error;
  // Another controller may be active already: ask again at once.
  if (error == static_cast<int16_t>(ErrorCode::not_controller)) {
    schedule(now_ms);
    return;
  }
  const int64_t cap = std::max<int64_t>(options_.initial_backoff_ms, options_.session_timeout_ms / 2);
  int64_t backoff = options_.initial_backoff_ms;
  for (int i = 1; i < failures_ && backoff < cap; ++i) backoff *= 2;
  schedule(now_ms + std::min(backoff, cap));
}

bool BrokerLifecycle::answered(int16_t error, int64_t now_ms) {
  in_flight_ = false;
  if (state_ == BrokerState::shutting_down) return false;
  if (error != 0) {
    // Retried; DUPLICATE_BROKER_REGISTRATION, say, resolves itself once the old incarnation's
    // session expires.
    schedule_after_failure(now_ms, error);
    return false;
  }
  failures_ = 0;
  last_error_ = 0;
  return true;
}

void BrokerLifecycle::on_registration_response(const protocol::BrokerRegistrationResponse& response,
                                               int64_t now_ms) {
  if (!answered(response.error_code, now_ms)) return;
  broker_epoch_ = response.broker_epoch;
  schedule(now_ms);  // the first heartbeat at once
}

void BrokerLifecycle::on_heartbeat_response(const protocol::BrokerHeartbeatResponse& response, int64_t now_ms) {
  if (!answered(response.error_code, now_ms)) return;
  fenced_ = response.is_fenced;
  const int64_t next_interval = now_ms + options_.heartbeat_interval_ms;
  switch (state_) {
    case BrokerState::starting:
      if (response.is_caught_up) {
        state_ = BrokerState::recovery;
        schedule(now_ms);
      } else {
        schedule(next_interval);
      }
      break;
    case BrokerState::recovery:
      if (!response.is_fenced) state_ = BrokerState::running;
      schedule(next_interval);
      break;
    case BrokerState::running:
      schedule(next_interval);
      break;
    case BrokerState::pending_controlled_shutdown:
      if (response.should_shut_down) {
        state_ = BrokerState::shutting_down;
        next_send_ms_.reset();
      } else {
        schedule(got_shutdown_response_ ? next_interval : now_ms + kShutdownRecheckMs);
      }
      got_shutdown_response_ = true;
      break;
    case BrokerState::not_running:
    case BrokerState::shutting_down:
      break;
  }
}

void BrokerLifecycle::on_request_failed(int64_t now_ms) {
  in_flight_ = false;
  if (state_ == BrokerState::shutting_down) return;
  schedule_after_failure(now_ms, static_cast<int16_t>(ErrorCode::request_timed_out));
}

void BrokerLifecycle::metadata_applied(int64_t offset) { applied_offset_ = std::max(applied_offset_, offset); }

void BrokerLifecycle::set_ready_to_unfence() { ready_to_unfence_ = true; }

void BrokerLifecycle::begin_controlled_shutdown(int64_t now_ms) {
  switch (state_) {
    case BrokerState::starting:
    case BrokerState::recovery:
    case BrokerState::running:
      if (!registered()) {
        state_ = BrokerState::shutting_down;
        next_send_ms_.reset();
        return;
      }
      state_ = BrokerState::pending_controlled_shutdown;
      schedule(now_ms);
      break;
    case BrokerState::not_running:
      state_ = BrokerState::shutting_down;
      break;
    case BrokerState::pending_controlled_shutdown:
    case BrokerState::shutting_down:
      break;
  }
}

}  // namespace gregor::broker
