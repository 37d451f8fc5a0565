// The consumer's state, shared by consumer.cc (assignment, positions, fetches, commits) and
// consumer_coordinator.cc (group membership): the caller's thread drives everything and waits
// for the network client's I/O thread, which sends the requests and turns Fetch responses into
// records.
//
// Locking: mu_ guards what both threads touch (completed fetches, nodes with a fetch in flight,
// commit results, the wakeup flag, the group's generation); the rest is the caller's thread's alone.
#pragma once

#include <asio/steady_timer.hpp>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "client/assignors.h"
#include "client/network_client.h"
#include "protocol/generated/message/fetch_response.h"
#include "protocol/generated/message/join_group_response.h"
#include "protocol/generated/message/sync_group_request.h"
#include "protocol/generated/message/sync_group_response.h"
#include "gregor/consumer.h"

namespace gregor {

namespace consumer_internal {

using client::Clock;
using client::NetworkClient;
using std::chrono::milliseconds;

constexpr int64_t kEarliest = -2;
constexpr int64_t kLatest = -1;
constexpr protocol::VersionRange kFetchVersions{4, 12};  // topic names; ids from v13
constexpr protocol::VersionRange kListOffsetsVersions{2, 9};
constexpr protocol::VersionRange kOffsetCommitVersions{2, 9};
constexpr protocol::VersionRange kOffsetFetchVersions{1, 7};  // one group per request

enum class Reset { none, earliest, latest };

struct PartitionState {
  std::optional<int64_t> position;
  std::optional<Reset> reset;  // a reset asked for (seekToBeginning/End, out of range)
  bool paused = false;
};

// A Fetch response for one partition, parsed on the I/O thread.
struct CompletedFetch {
  TopicPartition tp;
  int64_t fetch_offset = 0;
  std::vector<ByteRecord> records;
  size_t next = 0;
  int64_t next_offset = 0;  // past the last batch, control batches included
  ErrorCode error = ErrorCode::none;
  std::string message;
};

inline std::string join(const std::set<TopicPartition>& tps) {
  std::string out;
  for (const auto& tp : tps) out += (out.empty() ? "" : ", ") + tp.str();
  return "[" + out + "]";
}

inline Clock::time_point deadline_after(milliseconds timeout) {
  return timeout >= milliseconds(INT64_MAX / 4) ? Clock::time_point::max() : Clock::now() + timeout;
}

inline std::exception_ptr api_error(ErrorCode code, const std::string& message) {
  return std::make_exception_ptr(
      ApiException(static_cast<int16_t>(code), message.empty() ? std::string(error_message(code)) : message));
}

}  // namespace consumer_internal

using namespace consumer_internal;

class ByteConsumer::Impl {
 public:
  explicit Impl(const Properties& props);
  ~Impl() { close(milliseconds(30000)); }

  void assign(const std::vector<TopicPartition>& partitions);
  std::set<TopicPartition> assignment() const;
  // Group membership (consumer_coordinator.cc).
  void subscribe(std::set<std::string> topics, std::optional<std::regex> pattern,
                 std::shared_ptr<ConsumerRebalanceListener> listener);
  std::set<std::string> subscription() const { return subscription_; }
  void unsubscribe();
  ConsumerRecords<Bytes, Bytes> poll(milliseconds timeout);
  int64_t position(const TopicPartition& tp, milliseconds timeout);
  void seek(const TopicPartition& tp, int64_t offset);
  void reset(const std::vector<TopicPartition>& partitions, Reset how);
  void set_paused(const std::vector<TopicPartition>& partitions, bool paused);
  std::set<TopicPartition> paused() const;
  std::map<TopicPartition, std::optional<OffsetAndMetadata>> committed(const std::set<TopicPartition>& tps,
                                                                       milliseconds timeout);
  void commit_sync(std::optional<std::map<TopicPartition, OffsetAndMetadata>> offsets, milliseconds timeout);
  void commit_async(std::optional<std::map<TopicPartition, OffsetAndMetadata>> offsets, OffsetCommitCallback cb);
  std::map<TopicPartition, int64_t> list_offsets(const std::vector<TopicPartition>& tps, int64_t timestamp,
                                                 Clock::time_point deadline);
  std::vector<PartitionInfo> partitions_for(const std::string& topic);
  void wakeup();
  void close(milliseconds timeout);

  // Java's acquire(): one thread at a time; the same thread may nest.
  class Guard {
   public:
    explicit Guard(Impl& impl) : impl_(impl) {
      const auto me = std::this_thread::get_id();
      auto none = std::thread::id();
      if (impl_.owner_.load() != me && !impl_.owner_.compare_exchange_strong(none, me)) {
        std::ostringstream s;
        s << "KafkaConsumer is not safe for multi-threaded access. currentThread(id: " << impl_.owner_.load()
          << ") otherThread(id: " << me << ")";
        throw ConcurrentModificationException(s.str());
      }
      ++impl_.depth_;
    }
    ~Guard() {
      if (--impl_.depth_ == 0) impl_.owner_.store(std::thread::id());
    }

   private:
    Impl& impl_;
  };
  void ensure_open() const {
    if (closed_) throw IllegalStateException("This consumer has already been closed.");
  }
  milliseconds default_api_timeout() const { return default_api_timeout_; }

 private:
  // Waits until pred holds (under mu_) or the deadline; throws WakeupException when woken.
  bool wait(std::unique_lock<std::mutex>& lock, const std::function<bool()>& pred, Clock::time_point deadline);
  void check_wakeup_locked();
  // Runs start(done) on the I/O thread and waits for done(value); nullopt at the deadline.
  template <typename T>
  std::optional<T> run(std::function<void(std::function<void(T)>)> start, Clock::time_point deadline);
  // On the I/O thread: sends a request to the group's coordinator, finding it first.
  template <typename Resp, typename Req>
  void to_coordinator(Req request, protocol::VersionRange versions, std::function<void(client::Response<Resp>)> done);
  // make(version) builds the request for the version chosen; timeout 0 is request.timeout.ms.
  template <typename Resp, typename Req>
  void to_coordinator(std::function<Req(int16_t)> make, protocol::VersionRange versions,
                      std::function<void(client::Response<Resp>)> done, milliseconds timeout = milliseconds(0));
  // with_generation: the member's generation and id go with the commit (a subscribed consumer).
  void send_commit(std::map<TopicPartition, OffsetAndMetadata> offsets, bool with_generation,
                   std::function<void(std::exception_ptr)> done);
  std::map<TopicPartition, OffsetAndMetadata> consumed_offsets() const;
  void require_group(const char* what) const;
  void require_assigned(const TopicPartition& tp, const char* what) const;
  // Gives every assigned partition a position; false when the deadline passed first.
  bool update_positions(Clock::time_point deadline);
  void send_fetches();
  void handle_fetch(int32_t node, std::map<TopicPartition, int64_t> sent,
                    client::Response<protocol::FetchResponse> response);
  std::vector<ByteRecord> drain();
  void run_commit_callbacks();
  void maybe_auto_commit();
  Reset default_reset() const { return reset_; }

  // --- Group membership (consumer_coordinator.cc) ---
  bool subscribed() const { return subscription_type_ == SubscriptionType::topics || subscription_type_ == SubscriptionType::pattern; }
  void init_group(const ConfigValues& c);
  // Joins or rejoins when needed, within the deadline; true once the member has its assignment.
  bool poll_coordinator(Clock::time_point deadline);
  void update_pattern_subscription();
  void on_join_prepare();
  void start_join();
  // Sends a JoinGroup or SyncGroup whose response lands in the slot returned.
  template <typename Resp, typename Req>
  std::shared_ptr<std::optional<client::Response<Resp>>> send_rebalance_request(std::function<Req(int16_t)> make,
                                                                              protocol::VersionRange versions);
  bool handle_join(Clock::time_point deadline);
  void start_sync(std::vector<protocol::SyncGroupRequest::SyncGroupRequestAssignment> assignments);
  void handle_sync();
  void on_join_complete(const std::vector<TopicPartition>& partitions);
  void join_failed(ErrorCode error, const std::string& message);
  void leave_group(const std::string& reason, Clock::time_point deadline);
  // Sends LeaveGroup for a dynamic member (I/O thread); done may be empty.
  void send_leave(const std::string& member_id, const std::string& reason, std::function<void()> done);
  void invoke_listener(void (ConsumerRebalanceListener::*fn)(const std::set<TopicPartition>&),
                       const std::set<TopicPartition>& partitions);
  // Whether a group wants the caller's attention (a rejoin the heartbeat asked for); under mu_.
  bool group_needs_poll_locked() const { return subscribed() && phase_ == JoinPhase::idle && rejoin_needed_; }
  // On the I/O thread.
  void schedule_heartbeat(uint64_t run, milliseconds after);
  void send_heartbeat(uint64_t run);
  // Under mu_: forgets the generation (and the member id when told it is unknown).
  void reset_generation_locked(bool reset_member_id);
  // Why a subscribed member cannot commit now (no stable generation); null when it can.
  std::exception_ptr commit_generation_error_locked() const;
  // An error in an OffsetCommit response, as the exception Kafka's consumer gives (I/O thread).
  std::exception_ptr commit_error(ErrorCode code, bool with_generation, int32_t generation);
  std::map<std::string, int32_t> partition_counts(const client::Cluster& cluster, const std::set<std::string>& topics) const;

  // Settings.
  std::optional<std::string> group_id_;
  std::optional<std::string> group_instance_id_;
  Reset reset_ = Reset::latest;
  bool auto_commit_ = true;
  milliseconds auto_commit_interval_{5000};
  int32_t fetch_min_bytes_ = 1;
  int32_t fetch_max_bytes_ = 52428800;
  int32_t fetch_max_wait_ms_ = 500;
  int32_t max_partition_fetch_bytes_ = 1048576;
  size_t max_poll_records_ = 500;
  bool read_committed_ = false;
  milliseconds default_api_timeout_{60000};

  std::unique_ptr<NetworkClient> net_;
  std::atomic<std::thread::id> owner_{};
  int depth_ = 0;
  bool closed_ = false;

  // Group settings.
  std::optional<std::string> client_id_;
  std::vector<std::shared_ptr<client::PartitionAssignor>> assignors_;
  bool cooperative_ = false;  // every assignor is cooperative: only moved partitions are revoked
  milliseconds session_timeout_{45000};
  milliseconds heartbeat_interval_{3000};
  milliseconds max_poll_interval_{300000};
  bool exclude_internal_topics_ = true;

  // The caller's thread.
  std::map<TopicPartition, PartitionState> assigned_;
  enum class SubscriptionType { none, topics, pattern, user_assigned };
  SubscriptionType subscription_type_ = SubscriptionType::none;
  std::set<std::string> subscription_;  // the topics, or those the pattern matches
  std::optional<std::regex> pattern_;
  std::shared_ptr<ConsumerRebalanceListener> listener_;
  enum class JoinPhase { idle, joining, syncing };
  JoinPhase phase_ = JoinPhase::idle;
  std::shared_ptr<std::optional<client::Response<protocol::JoinGroupResponse>>> join_slot_;
  std::shared_ptr<std::optional<client::Response<protocol::SyncGroupResponse>>> sync_slot_;
  Clock::time_point retry_join_after_{};
  std::string protocol_name_;
  // The leader's view of the partition counts it assigned; a change rebalances.
  std::map<std::string, int32_t> assigned_counts_;
  bool leader_ = false;
  std::exception_ptr listener_error_;  // the first a rebalance callback threw, rethrown by poll

  // Group state shared with the I/O thread (under mu_).
  int32_t generation_ = -1;
  std::string member_id_;
  bool rejoin_needed_ = false;
  bool stable_ = false;       // joined and synced: heartbeats run
  bool rebalancing_ = false;  // a join or sync in flight
  std::exception_ptr group_error_;  // fatal (FENCED_INSTANCE_ID): thrown by the next poll
  Clock::time_point last_poll_{};
  uint64_t heartbeat_run_ = 0;  // bumped to stop the heartbeat timer's chain
  std::unique_ptr<asio::steady_timer> heartbeat_timer_;  // the I/O thread's
  Clock::time_point next_auto_commit_{};

  // Shared with the I/O thread.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wakeup_ = false;
  std::deque<CompletedFetch> completed_;
  std::set<int32_t> fetching_nodes_;
  std::deque<std::function<void()>> commit_callbacks_;
  int commits_in_flight_ = 0;
};

template <typename T>
inline std::optional<T> ByteConsumer::Impl::run(std::function<void(std::function<void(T)>)> start,
                                         Clock::time_point deadline) {
  auto slot = std::make_shared<std::optional<T>>();
  auto done = [this, slot](T value) {
    std::lock_guard lock(mu_);
    *slot = std::move(value);
    cv_.notify_all();
  };
  auto go = [start = std::move(start), done] { start(std::function<void(T)>(done)); };
  net_->post(go);
  std::unique_lock lock(mu_);
  if (!wait(lock, [&] { return slot->has_value(); }, deadline)) return std::nullopt;
  return std::move(*slot);
}

template <typename Resp, typename Req>
inline void ByteConsumer::Impl::to_coordinator(std::function<Req(int16_t)> make, protocol::VersionRange versions,
                                               std::function<void(client::Response<Resp>)> done, milliseconds timeout) {
  auto found = [this, make = std::move(make), versions, done, timeout](ErrorCode error, std::string message,
                                                               int32_t node) mutable {
    if (error != ErrorCode::none) {
      client::Response<Resp> r;
      r.error = error;
      r.message = std::move(message);
      done(std::move(r));
      return;
    }
    auto answered = [this, done](client::Response<Resp> r) {
      if (r.error != ErrorCode::none) net_->invalidate_coordinator(0, *group_id_);
      done(std::move(r));
    };
    net_->send_versioned<Resp>(node, std::move(make), std::function<void(client::Response<Resp>)>(answered), versions,
                               true, timeout);
  };
  net_->find_coordinator(0, *group_id_, found);
}

template <typename Resp, typename Req>
inline void ByteConsumer::Impl::to_coordinator(Req request, protocol::VersionRange versions,
                                               std::function<void(client::Response<Resp>)> done) {
  auto same = [request = std::move(request)](int16_t) { return request; };
  to_coordinator<Resp>(std::function<Req(int16_t)>(same), versions, std::move(done));
}

}  // namespace gregor
