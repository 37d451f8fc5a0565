// The broker's side of its registration with the active controller (Kafka's
// BrokerLifecycleManager), as a state machine without I/O: the caller sends the requests poll()
// hands out to the active controller, feeds back their responses (or their failure), tells it how
// far the broker has applied the metadata log, and polls again when next_poll_ms() comes.
//
//   NOT_RUNNING --start--> STARTING: register with a fresh incarnation id, retrying with
//                          exponential backoff; then heartbeat until the controller says the
//                          broker has caught up with the metadata up to its registration
//   STARTING --caught up--> RECOVERY: heartbeats ask to stay fenced (WantFence) until the broker
//                          is ready (set_ready_to_unfence: logs recovered), then not
//   RECOVERY --unfenced--> RUNNING: a heartbeat every broker.heartbeat.interval.ms
//   begin_controlled_shutdown --> PENDING_CONTROLLED_SHUTDOWN: heartbeats with WantShutDown until
//                          the controller answers ShouldShutDown --> SHUTTING_DOWN
//
// One request is in flight at a time, as in Kafka. Time is milliseconds from the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/uuid.h"
#include "protocol/generated/message/broker_heartbeat_request.h"
#include "protocol/generated/message/broker_heartbeat_response.h"
#include "protocol/generated/message/broker_registration_request.h"
#include "protocol/generated/message/broker_registration_response.h"

namespace gregor::broker {

// Kafka's BrokerState, with its wire values.
enum class BrokerState : int8_t {
  not_running = 0,
  starting = 1,
  recovery = 2,
  running = 3,
  pending_controlled_shutdown = 6,
  shutting_down = 7,
};

const char* broker_state_name(BrokerState state);

class BrokerLifecycle {
 public:
  struct Options {
    int32_t node_id = 1;
    std::string cluster_id;
    Uuid incarnation_id;  // fresh for every process
    std::vector<protocol::BrokerRegistrationRequest::Listener> listeners;
    std::vector<protocol::BrokerRegistrationRequest::Feature> features;
    std::optional<std::string> rack;
    std::vector<Uuid> log_dirs;
    int64_t previous_broker_epoch = -1;  // from the last clean shutdown, or -1
    int64_t heartbeat_interval_ms = 2000;  // broker.heartbeat.interval.ms
    // Retries back off from initial_backoff_ms, doubling up to half of broker.session.timeout.ms,
    // as Kafka's.
    int64_t initial_backoff_ms = 100;
    int64_t session_timeout_ms = 9000;
  };
  using Request = std::variant<protocol::BrokerRegistrationRequest, protocol::BrokerHeartbeatRequest>;

  explicit BrokerLifecycle(Options options) : options_(std::move(options)) {}

  // STARTING: the registration is due at once.
  void start(int64_t now_ms);
  // The request to send now, if one is due and none is in flight.
  std::optional<Request> poll(int64_t now_ms);
  // When poll() next has a request; none while one is in flight or nothing is scheduled.
  std::optional<int64_t> next_poll_ms() const;

  void on_registration_response(const protocol::BrokerRegistrationResponse& response, int64_t now_ms);
  void on_heartbeat_response(const protocol::BrokerHeartbeatResponse& response, int64_t now_ms);
  // The request in flight got no response (no controller, connection lost, timed out).
  void on_request_failed(int64_t now_ms);

  // The broker has applied the metadata log up to offset; heartbeats report it.
  void metadata_applied(int64_t offset);
  // Initial catch-up done and logs recovered: heartbeats no longer ask to stay fenced.
  void set_ready_to_unfence();
  // Stopping: ask the controller to let the broker go. Before it has registered there is
  // nothing to ask, and it shuts down at once.
  void begin_controlled_shutdown(int64_t now_ms);

  BrokerState state() const { return state_; }
  int64_t broker_epoch() const { return broker_epoch_; }  // -1 until registered
  bool registered() const { return broker_epoch_ >= 0; }
  // The controller's last word on fencing (true until a heartbeat says otherwise).
  bool fenced() const { return fenced_; }
  // The error of the last refused request, none after a success.
  int16_t last_error() const { return last_error_; }
  // How many requests in a row failed or were refused.
  int consecutive_failures() const { return failures_; }

 private:
  void schedule(int64_t at_ms) { next_send_ms_ = at_ms; }
  void schedule_after_failure(int64_t now_ms, int16_t error);
  // A response came with error: false when there is nothing more to do with it.
  bool answered(int16_t error, int64_t now_ms);
  protocol::BrokerRegistrationRequest registration() const;
  protocol::BrokerHeartbeatRequest heartbeat() const;

  Options options_;
  BrokerState state_ = BrokerState::not_running;
  int64_t broker_epoch_ = -1;
  int64_t applied_offset_ = -1;
  bool ready_to_unfence_ = false;
  bool fenced_ = true;
  bool in_flight_ = false;
  bool got_shutdown_response_ = false;
  std::optional<int64_t> next_send_ms_;
  int failures_ = 0;
  int16_t last_error_ = 0;
};

}  // namespace gregor::broker
