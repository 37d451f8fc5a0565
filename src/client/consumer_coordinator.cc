// The consumer's group membership with Kafka's classic protocol, as Java's ConsumerCoordinator:
//
//   poll (the caller's thread)                         the I/O thread
//   ───────────────────────────                        ──────────────────────────────
//   rejoin needed → onJoinPrepare (commit, revoke)
//   JoinGroup (MEMBER_ID_REQUIRED: again with the id)
//   leader: assign with the chosen assignor
//   SyncGroup → onJoinComplete (revoke/assign)   ───▶  Heartbeat every heartbeat.interval.ms;
//                                                      REBALANCE_IN_PROGRESS asks for a rejoin;
//   next poll rejoins                            ◀───  a lost generation, or max.poll.interval.ms
//                                                      without a poll (LeaveGroup), too
//
// JoinGroup and SyncGroup are sent once and their responses wait in a slot, so a poll with a
// short timeout returns and the next one picks the rebalance up where it was.
#include <algorithm>

#include "client/consumer_impl.h"
#include "protocol/generated/message/heartbeat_request.h"
#include "protocol/generated/message/heartbeat_response.h"
#include "protocol/generated/message/join_group_request.h"
#include "protocol/generated/message/leave_group_request.h"
#include "protocol/generated/message/leave_group_response.h"

namespace gregor {

namespace {

constexpr protocol::VersionRange kJoinGroupVersions{5, 9};  // group.instance.id from v5
constexpr protocol::VersionRange kSyncGroupVersions{3, 5};
constexpr protocol::VersionRange kHeartbeatVersions{3, 4};
constexpr protocol::VersionRange kLeaveGroupVersions{3, 5};  // members in a list from v3

bool coordinator_error(ErrorCode e) {
  return e == ErrorCode::not_coordinator || e == ErrorCode::coordinator_not_available;
}

std::set<TopicPartition> minus(const std::set<TopicPartition>& a, const std::set<TopicPartition>& b) {
  std::set<TopicPartition> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

std::exception_ptr rebalance_in_progress() {
  return std::make_exception_ptr(RebalanceInProgressException(
      "Offset commit cannot be completed since the consumer is undergoing a rebalance for auto partition "
      "assignment. You can try completing the rebalance by calling poll() and then retry the operation."));
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

void ByteConsumer::Impl::init_group(const ConfigValues& c) {
  client_id_ = c.get_optional_string("client.id");
  session_timeout_ = milliseconds(c.get_int("session.timeout.ms"));
  heartbeat_interval_ = milliseconds(c.get_int("heartbeat.interval.ms"));
  max_poll_interval_ = milliseconds(c.get_int("max.poll.interval.ms"));
  exclude_internal_topics_ = c.get_bool("exclude.internal.topics");
  if (heartbeat_interval_ >= session_timeout_)
    throw ConfigException("heartbeat.interval.ms must be set lower than session.timeout.ms");
  for (const std::string& name : c.get_list("partition.assignment.strategy"))
    if (!trim(name).empty()) assignors_.push_back(client::make_assignor(trim(name)));
  cooperative_ = !assignors_.empty();
  for (const auto& a : assignors_) cooperative_ &= a->cooperative();
}

void ByteConsumer::Impl::subscribe(std::set<std::string> topics, std::optional<std::regex> pattern,
                                   std::shared_ptr<ConsumerRebalanceListener> listener) {
  ensure_open();
  require_group("subscribe");
  if (!pattern && topics.empty()) {
    unsubscribe();
    return;
  }
  for (const auto& t : topics)
    if (trim(t).empty()) throw std::invalid_argument("Topic collection to subscribe to cannot contain null or empty topic");
  const SubscriptionType type = pattern ? SubscriptionType::pattern : SubscriptionType::topics;
  if (subscription_type_ == SubscriptionType::user_assigned ||
      (subscription_type_ != SubscriptionType::none && subscription_type_ != type))
    throw IllegalStateException("Subscription to topics, partitions and pattern are mutually exclusive");
  if (assignors_.empty())
    throw IllegalStateException("Must configure at least one partition assigner class name to "
                                "partition.assignment.strategy configuration property");
  subscription_type_ = type;
  listener_ = std::move(listener);
  pattern_ = std::move(pattern);
  if (pattern_) {
    auto all = [this] { net_->set_all_topics(true); };
    net_->post(all);
    update_pattern_subscription();
  } else if (topics != subscription_) {
    subscription_ = std::move(topics);
    std::vector<std::string> list(subscription_.begin(), subscription_.end());
    auto add = [this, list] { net_->add_topics(list); };
    net_->post(add);
    std::lock_guard lock(mu_);
    rejoin_needed_ = true;
  }
  std::lock_guard lock(mu_);
  if (generation_ < 0) rejoin_needed_ = true;
}

void ByteConsumer::Impl::update_pattern_subscription() {
  auto cluster = net_->cluster();
  std::set<std::string> matched;
  for (const auto& [name, t] : cluster->topics) {
    if (t.internal && exclude_internal_topics_) continue;
    if (t.error == ErrorCode::none && std::regex_match(name, *pattern_)) matched.insert(name);
  }
  if (matched == subscription_) return;
  subscription_ = std::move(matched);
  std::lock_guard lock(mu_);
  rejoin_needed_ = true;
}

void ByteConsumer::Impl::unsubscribe() {
  ensure_open();
  if (subscribed()) leave_group("the consumer unsubscribed from all topics", deadline_after(default_api_timeout_));
  if (pattern_) {
    auto some = [this] { net_->set_all_topics(false); };
    net_->post(some);
  }
  assigned_.clear();
  subscription_.clear();
  pattern_.reset();
  listener_.reset();
  subscription_type_ = SubscriptionType::none;
  std::lock_guard lock(mu_);
  rejoin_needed_ = false;
}

void ByteConsumer::Impl::invoke_listener(void (ConsumerRebalanceListener::*fn)(const std::set<TopicPartition>&),
                                         const std::set<TopicPartition>& partitions) {
  if (!listener_) return;
  try {
    ((*listener_).*fn)(partitions);
  } catch (...) {
    // The rebalance goes on; poll rethrows the first error afterwards, as Java's does.
    if (!listener_error_) listener_error_ = std::current_exception();
  }
}

void ByteConsumer::Impl::reset_generation_locked(bool reset_member_id) {
  generation_ = -1;
  if (reset_member_id) member_id_.clear();
  stable_ = false;
  rejoin_needed_ = true;
  ++heartbeat_run_;
  cv_.notify_all();
}

bool ByteConsumer::Impl::poll_coordinator(Clock::time_point deadline) {
  if (!subscribed()) return true;
  {
    std::lock_guard lock(mu_);
    last_poll_ = Clock::now();
    if (group_error_) {
      auto e = group_error_;
      group_error_ = nullptr;
      std::rethrow_exception(e);
    }
  }
  if (pattern_) update_pattern_subscription();
  if (leader_ && phase_ == JoinPhase::idle && !assigned_counts_.empty()) {
    // The leader rebalances when a topic of the group gains partitions (or goes).
    std::set<std::string> topics;
    for (const auto& [t, n] : assigned_counts_) topics.insert(t);
    auto cluster = net_->cluster();
    auto now = partition_counts(*cluster, topics);
    bool complete = true;
    for (const auto& t : topics) complete &= cluster->topic(t) != nullptr;
    if (complete && now != assigned_counts_) {
      assigned_counts_ = now;
      std::lock_guard lock(mu_);
      rejoin_needed_ = true;
    }
  }
  while (true) {
    if (phase_ == JoinPhase::idle) {
      {
        std::lock_guard lock(mu_);
        if (!rejoin_needed_) return true;
      }
      if (Clock::now() < retry_join_after_) {
        std::unique_lock lock(mu_);
        wait(lock, [] { return false; }, std::min(deadline, retry_join_after_));
        if (Clock::now() < retry_join_after_) return false;
      }
      on_join_prepare();
      start_join();
      continue;
    }
    std::unique_lock lock(mu_);
    const bool answered = phase_ == JoinPhase::joining ? wait(lock, [this] { return join_slot_->has_value(); }, deadline)
                                                       : wait(lock, [this] { return sync_slot_->has_value(); }, deadline);
    lock.unlock();
    if (!answered) return false;
    if (phase_ == JoinPhase::joining) {
      if (!handle_join(deadline)) return false;
    } else {
      handle_sync();
    }
  }
}

void ByteConsumer::Impl::on_join_prepare() {
  bool has_generation;
  {
    std::lock_guard lock(mu_);
    has_generation = generation_ >= 0 && !member_id_.empty();
  }
  const std::set<TopicPartition> owned = assignment();
  if (auto_commit_ && has_generation && !owned.empty()) {
    try {
      commit_sync(std::nullopt, std::min(default_api_timeout_, max_poll_interval_));
    } catch (const WakeupException&) {
      throw;
    } catch (const std::exception&) {
      // Java logs a failed commit before a rebalance and goes on.
    }
  }
  if (!has_generation) {
    if (!owned.empty()) {
      assigned_.clear();
      invoke_listener(&ConsumerRebalanceListener::onPartitionsLost, owned);
    }
  } else if (!cooperative_) {
    assigned_.clear();
    invoke_listener(&ConsumerRebalanceListener::onPartitionsRevoked, owned);
  } else {
    // Cooperative: only the partitions of topics no longer subscribed go now.
    std::set<TopicPartition> dropped;
    for (const auto& tp : owned)
      if (!subscription_.count(tp.topic)) dropped.insert(tp);
    for (const auto& tp : dropped) assigned_.erase(tp);
    if (!dropped.empty()) invoke_listener(&ConsumerRebalanceListener::onPartitionsRevoked, dropped);
  }
}

void ByteConsumer::Impl::start_join() {
  client::MemberSubscription sub;
  sub.topics.assign(subscription_.begin(), subscription_.end());
  for (const auto& [tp, st] : assigned_) sub.owned_partitions.push_back(tp);
  std::string member_id;
  {
    std::lock_guard lock(mu_);
    sub.generation = generation_;
    member_id = member_id_;
    stable_ = false;
    rebalancing_ = true;
    rejoin_needed_ = false;
    ++heartbeat_run_;
  }
  std::vector<protocol::JoinGroupRequest::JoinGroupRequestProtocol> protocols;
  for (const auto& a : assignors_) {
    sub.user_data = a->user_data(sub.generation);
    protocols.push_back({a->name(), client::encode_subscription(sub), {}});
  }
  const std::string group = *group_id_;
  const auto instance = group_instance_id_;
  const auto session = static_cast<int32_t>(session_timeout_.count());
  const auto rebalance = static_cast<int32_t>(max_poll_interval_.count());
  auto make = [group, instance, session, rebalance, member_id, protocols](int16_t) {
    protocol::JoinGroupRequest req;
    req.group_id = group;
    req.session_timeout_ms = session;
    req.rebalance_timeout_ms = rebalance;
    req.member_id = member_id;
    req.group_instance_id = instance;
    req.protocol_type = "consumer";
    req.protocols = protocols;
    return req;
  };
  join_slot_ = send_rebalance_request<protocol::JoinGroupResponse>(std::function<protocol::JoinGroupRequest(int16_t)>(make),
                                                                   kJoinGroupVersions);
  phase_ = JoinPhase::joining;
}

template <typename Resp, typename Req>
std::shared_ptr<std::optional<client::Response<Resp>>> ByteConsumer::Impl::send_rebalance_request(
    std::function<Req(int16_t)> make, protocol::VersionRange versions) {
  auto slot = std::make_shared<std::optional<client::Response<Resp>>>();
  // The coordinator holds a JoinGroup (and a follower's SyncGroup) until the group rebalanced:
  // up to the rebalance timeout.
  const milliseconds timeout = std::max(net_->options().request_timeout, max_poll_interval_ + milliseconds(5000));
  auto go = [this, make, versions, slot, timeout] {
    auto done = [this, slot](client::Response<Resp> r) {
      const auto code = r.ok() ? static_cast<ErrorCode>(r.body.error_code) : ErrorCode::none;
      if (coordinator_error(code)) net_->invalidate_coordinator(0, *group_id_);
      std::lock_guard lock(mu_);
      *slot = std::move(r);
      cv_.notify_all();
    };
    to_coordinator<Resp>(make, versions, std::function<void(client::Response<Resp>)>(done), timeout);
  };
  net_->post(go);
  return slot;
}

void ByteConsumer::Impl::join_failed(ErrorCode error, const std::string& message) {
  phase_ = JoinPhase::idle;
  join_slot_.reset();
  sync_slot_.reset();
  {
    std::lock_guard lock(mu_);
    rebalancing_ = false;
    rejoin_needed_ = true;
    if (error == ErrorCode::unknown_member_id || error == ErrorCode::illegal_generation)
      reset_generation_locked(error == ErrorCode::unknown_member_id);
  }
  // Retriable: join again (after the backoff unless the group just asked for it).
  if (error == ErrorCode::rebalance_in_progress || error == ErrorCode::unknown_member_id ||
      error == ErrorCode::illegal_generation)
    return;
  if (is_retriable(error) || coordinator_error(error) || error == ErrorCode::coordinator_load_in_progress) {
    retry_join_after_ = Clock::now() + net_->options().retry_backoff;
    return;
  }
  std::rethrow_exception(api_error(error, message));
}

std::map<std::string, int32_t> ByteConsumer::Impl::partition_counts(const client::Cluster& cluster,
                                                                     const std::set<std::string>& topics) const {
  std::map<std::string, int32_t> out;
  for (const auto& t : topics) {
    const client::TopicMetadata* m = cluster.topic(t);
    if (m && m->error == ErrorCode::none && !m->partitions.empty())
      out[t] = static_cast<int32_t>(m->partitions.size());
  }
  return out;
}

bool ByteConsumer::Impl::handle_join(Clock::time_point deadline) {
  const auto& r = **join_slot_;
  const ErrorCode error = r.ok() ? static_cast<ErrorCode>(r.body.error_code) : r.error;
  if (error == ErrorCode::member_id_required) {
    // KIP-394: the coordinator gave us an id to join with.
    {
      std::lock_guard lock(mu_);
      member_id_ = r.body.member_id;
    }
    start_join();
    return true;
  }
  if (error != ErrorCode::none) {
    join_failed(error, r.message);
    return true;
  }
  const auto& body = r.body;
  std::vector<protocol::SyncGroupRequest::SyncGroupRequestAssignment> assignments;
  leader_ = body.leader == body.member_id;
  if (leader_ && !body.skip_assignment) {
    const std::string chosen = body.protocol_name.value_or("");
    std::shared_ptr<client::PartitionAssignor> assignor;
    for (const auto& a : assignors_)
      if (a->name() == chosen) assignor = a;
    if (!assignor) {
      join_failed(ErrorCode::inconsistent_group_protocol, "The group chose assignor " + chosen + ", which this consumer lacks");
      return true;
    }
    std::vector<client::MemberSubscription> members;
    std::set<std::string> topics;
    for (const auto& m : body.members) {
      auto sub = client::decode_subscription(BytesView(m.metadata));
      if (!sub) sub.emplace();  // unreadable metadata: the member gets nothing
      sub->member_id = m.member_id;
      sub->group_instance_id = m.group_instance_id;
      topics.insert(sub->topics.begin(), sub->topics.end());
      members.push_back(std::move(*sub));
    }
    // The leader needs the partition counts of every topic any member subscribes to.
    std::vector<std::string> list(topics.begin(), topics.end());
    auto add = [this, list] { net_->add_topics(list); };
    net_->post(add);
    auto known = [&](const client::Cluster& c) {
      for (const auto& t : topics) {
        const client::TopicMetadata* m = c.topic(t);
        if (!m || (m->error != ErrorCode::none && is_retriable(m->error))) return false;
      }
      return true;
    };
    auto [cluster, ok] = net_->await_cluster(known, std::max(deadline, Clock::now() + milliseconds(100)));
    if (!ok && Clock::now() < deadline) return false;
    assigned_counts_ = partition_counts(*cluster, topics);
    client::Assignment assignment = assignor->assign(assigned_counts_, members);
    for (const auto& m : members) assignments.push_back({m.member_id, client::encode_assignment(assignment[m.member_id]), {}});
  }
  protocol_name_ = body.protocol_name.value_or("");
  {
    std::lock_guard lock(mu_);
    generation_ = body.generation_id;
    member_id_ = body.member_id;
  }
  start_sync(std::move(assignments));
  return true;
}

void ByteConsumer::Impl::start_sync(std::vector<protocol::SyncGroupRequest::SyncGroupRequestAssignment> assignments) {
  join_slot_.reset();
  int32_t generation;
  std::string member_id;
  {
    std::lock_guard lock(mu_);
    generation = generation_;
    member_id = member_id_;
  }
  const std::string group = *group_id_;
  const auto instance = group_instance_id_;
  const std::string protocol_name = protocol_name_;
  auto make = [group, instance, generation, member_id, protocol_name, assignments](int16_t version) {
    protocol::SyncGroupRequest req;
    req.group_id = group;
    req.generation_id = generation;
    req.member_id = member_id;
    req.group_instance_id = instance;
    if (version >= 5) {
      req.protocol_type = "consumer";
      req.protocol_name = protocol_name;
    }
    req.assignments = assignments;
    return req;
  };
  sync_slot_ = send_rebalance_request<protocol::SyncGroupResponse>(std::function<protocol::SyncGroupRequest(int16_t)>(make),
                                                                   kSyncGroupVersions);
  phase_ = JoinPhase::syncing;
}

void ByteConsumer::Impl::handle_sync() {
  const auto& r = **sync_slot_;
  const ErrorCode error = r.ok() ? static_cast<ErrorCode>(r.body.error_code) : r.error;
  if (error != ErrorCode::none) {
    join_failed(error, r.message);
    return;
  }
  auto partitions = client::decode_assignment(BytesView(r.body.assignment));
  if (!partitions) {
    join_failed(ErrorCode::inconsistent_group_protocol, "The assignment from the group's leader cannot be read");
    return;
  }
  sync_slot_.reset();
  phase_ = JoinPhase::idle;
  uint64_t run;
  {
    std::lock_guard lock(mu_);
    rebalancing_ = false;
    stable_ = true;
    run = ++heartbeat_run_;
  }
  auto beat = [this, run] { schedule_heartbeat(run, heartbeat_interval_); };
  net_->post(beat);
  on_join_complete(*partitions);
}

void ByteConsumer::Impl::on_join_complete(const std::vector<TopicPartition>& partitions) {
  const std::set<TopicPartition> now(partitions.begin(), partitions.end());
  const std::set<TopicPartition> owned = assignment();
  const std::set<TopicPartition> added = minus(now, owned);
  const std::set<TopicPartition> revoked = minus(owned, now);
  for (const auto& tp : revoked) assigned_.erase(tp);
  for (const auto& tp : added) assigned_[tp] = PartitionState{};
  std::vector<std::string> topics;
  for (const auto& tp : now) topics.push_back(tp.topic);
  auto add = [this, topics] { net_->add_topics(topics); };
  net_->post(add);
  if (!revoked.empty()) {
    // Cooperative: what moved was revoked only now; a second rebalance hands it over.
    invoke_listener(&ConsumerRebalanceListener::onPartitionsRevoked, revoked);
    std::lock_guard lock(mu_);
    rejoin_needed_ = true;
  }
  invoke_listener(&ConsumerRebalanceListener::onPartitionsAssigned, added);
}

void ByteConsumer::Impl::send_leave(const std::string& member_id, const std::string& reason, std::function<void()> done) {
  protocol::LeaveGroupRequest req;
  req.group_id = *group_id_;
  protocol::LeaveGroupRequest::MemberIdentity me;
  me.member_id = member_id;
  me.reason = reason;
  req.members.push_back(me);
  auto make = [req](int16_t version) {
    protocol::LeaveGroupRequest r = req;
    if (version < 5) r.members[0].reason.reset();
    return r;
  };
  auto answered = [done](client::Response<protocol::LeaveGroupResponse>) {
    if (done) done();
  };
  to_coordinator<protocol::LeaveGroupResponse>(std::function<protocol::LeaveGroupRequest(int16_t)>(make),
                                               kLeaveGroupVersions,
                                               std::function<void(client::Response<protocol::LeaveGroupResponse>)>(answered));
}

void ByteConsumer::Impl::leave_group(const std::string& reason, Clock::time_point deadline) {
  std::string member_id;
  bool has_generation;
  {
    std::lock_guard lock(mu_);
    member_id = member_id_;
    has_generation = generation_ >= 0 && !member_id_.empty() && !rebalancing_;
  }
  const std::set<TopicPartition> owned = assignment();
  assigned_.clear();
  if (!owned.empty())
    invoke_listener(has_generation ? &ConsumerRebalanceListener::onPartitionsRevoked
                                   : &ConsumerRebalanceListener::onPartitionsLost,
                    owned);
  // A static member keeps its place: its session (or its return) decides.
  if (!group_instance_id_ && !member_id.empty()) {
    auto start = [this, member_id, reason](std::function<void(bool)> done) {
      auto finished = [done] { done(true); };
      send_leave(member_id, reason, finished);
    };
    try {
      run<bool>(start, deadline);
    } catch (const WakeupException&) {
    }
  }
  phase_ = JoinPhase::idle;
  join_slot_.reset();
  sync_slot_.reset();
  leader_ = false;
  assigned_counts_.clear();
  std::lock_guard lock(mu_);
  reset_generation_locked(true);
  rebalancing_ = false;
  rejoin_needed_ = false;
}

void ByteConsumer::Impl::schedule_heartbeat(uint64_t run, milliseconds after) {
  if (!heartbeat_timer_) heartbeat_timer_ = std::make_unique<asio::steady_timer>(net_->io());
  heartbeat_timer_->expires_after(after);
  heartbeat_timer_->async_wait([this, run](const std::error_code& ec) {
    if (!ec) send_heartbeat(run);
  });
}

void ByteConsumer::Impl::send_heartbeat(uint64_t run) {
  int32_t generation;
  std::string member_id;
  bool poll_timeout;
  {
    std::lock_guard lock(mu_);
    if (run != heartbeat_run_ || !stable_) return;
    generation = generation_;
    member_id = member_id_;
    poll_timeout = Clock::now() - last_poll_ > max_poll_interval_;
    if (poll_timeout) reset_generation_locked(true);
  }
  if (poll_timeout) {
    // The application stopped polling: leave (a dynamic member), so the group moves on without
    // us; the next poll finds the generation gone and rejoins.
    if (!group_instance_id_ && !member_id.empty())
      send_leave(member_id, "consumer poll timeout has expired. This means the time between subsequent calls to "
                            "poll() was longer than the configured max.poll.interval.ms",
                 {});
    return;
  }
  const std::string group = *group_id_;
  const auto instance = group_instance_id_;
  auto make = [group, generation, member_id, instance](int16_t) {
    protocol::HeartbeatRequest req;
    req.group_id = group;
    req.generation_id = generation;
    req.member_id = member_id;
    req.group_instance_id = instance;
    return req;
  };
  auto done = [this, run, generation](client::Response<protocol::HeartbeatResponse> r) {
    const ErrorCode error = r.ok() ? static_cast<ErrorCode>(r.body.error_code) : r.error;
    if (coordinator_error(error)) net_->invalidate_coordinator(0, *group_id_);
    std::lock_guard lock(mu_);
    if (run != heartbeat_run_) return;
    milliseconds next = heartbeat_interval_;
    switch (error) {
      case ErrorCode::none:
        break;
      case ErrorCode::rebalance_in_progress:
        // Keep beating until the caller's next poll rejoins.
        rejoin_needed_ = true;
        cv_.notify_all();
        break;
      case ErrorCode::illegal_generation:
      case ErrorCode::unknown_member_id:
        if (generation == generation_) reset_generation_locked(error == ErrorCode::unknown_member_id);
        return;
      case ErrorCode::fenced_instance_id:
        group_error_ = api_error(error, "The broker reported a fenced static member (group.instance.id " +
                                            group_instance_id_.value_or("") + ")");
        stable_ = false;
        cv_.notify_all();
        return;
      default:
        next = net_->options().retry_backoff;
    }
    auto again = [this, run, next] { schedule_heartbeat(run, next); };
    net_->post(again);
  };
  to_coordinator<protocol::HeartbeatResponse>(std::function<protocol::HeartbeatRequest(int16_t)>(make),
                                              kHeartbeatVersions,
                                              std::function<void(client::Response<protocol::HeartbeatResponse>)>(done));
}

std::exception_ptr ByteConsumer::Impl::commit_generation_error_locked() const {
  if (generation_ >= 0 && !member_id_.empty() && !rebalancing_) return nullptr;
  if (rebalancing_) return rebalance_in_progress();
  return std::make_exception_ptr(
      CommitFailedException("Offset commit cannot be completed since the consumer is not part of an active group for "
                            "auto partition assignment; it is likely that the consumer was kicked out of the group."));
}

std::exception_ptr ByteConsumer::Impl::commit_error(ErrorCode code, bool with_generation, int32_t generation) {
  if (coordinator_error(code)) net_->invalidate_coordinator(0, *group_id_);
  if (!with_generation) return api_error(code, "");
  std::lock_guard lock(mu_);
  switch (code) {
    case ErrorCode::illegal_generation:
    case ErrorCode::unknown_member_id:
      if (generation == generation_) reset_generation_locked(code == ErrorCode::unknown_member_id);
      return std::make_exception_ptr(CommitFailedException());
    case ErrorCode::rebalance_in_progress:
      rejoin_needed_ = true;
      cv_.notify_all();
      return rebalance_in_progress();
    default:
      return api_error(code, "");
  }
}

}  // namespace gregor
