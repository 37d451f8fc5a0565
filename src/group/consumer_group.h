// KIP-848 consumer groups, as Kafka 4.0's group coordinator runs them: the members heartbeat
// (ConsumerGroupHeartbeat) with their subscription and the partitions they own, and the
// coordinator assigns on the server side.
//
//   - The group epoch goes up when a member joins, leaves or changes its subscription, or the
//     subscribed topics change size (ConsumerGroupPartitionMetadata). A new group epoch makes a
//     new target assignment (the assignor's), stamped with the assignment epoch.
//   - Each member reconciles towards its target one heartbeat at a time: it keeps what it owns
//     and is still its target, must first give back (revoke) what is not (UNREVOKED_PARTITIONS,
//     keeping its epoch), and is only given a partition once no other member still owns it
//     (UNRELEASED_PARTITIONS until then). When the member has everything, it is STABLE at the
//     assignment epoch. A member that does not revoke within its rebalance timeout, or stops
//     heartbeating for the session timeout, is fenced: removed, and the group epoch goes up.
//   - The state lives in the ConsumerGroup* records and nothing else: every change is a record,
//     and a heartbeat computes its records from the group as it was, then applies them, exactly
//     as replaying the log does (ConsumerGroup::apply).
//
// No I/O: the metadata image comes in as a TopicsView, records go out to the caller.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/error_code.h"
#include "group/assignors.h"
#include "group/records.h"
#include "group/timers.h"
#include "protocol/generated/message/consumer_group_describe_response.h"
#include "protocol/generated/message/consumer_group_heartbeat_request.h"
#include "protocol/generated/message/consumer_group_heartbeat_response.h"

namespace gregor::group {

// Kafka's group.consumer.* broker settings.
struct ConsumerGroupConfig {
  int32_t session_timeout_ms = 45000;     // group.consumer.session.timeout.ms
  int32_t heartbeat_interval_ms = 5000;   // group.consumer.heartbeat.interval.ms
  int32_t max_size = INT32_MAX;           // group.consumer.max.size
  // group.consumer.assignors: the names the members may ask for; the first is the default.
  std::vector<std::string> assignors = {std::string(kUniformAssignor), std::string(kRangeAssignor)};
};

struct TopicInfo {
  Uuid id;
  std::string name;
  int32_t partitions = 0;

  friend bool operator==(const TopicInfo&, const TopicInfo&) = default;
};

// The topics of the cluster as the coordinator sees them (the broker's metadata image).
class TopicsView {
 public:
  virtual ~TopicsView() = default;
  virtual std::optional<TopicInfo> by_name(const std::string& name) const = 0;
  virtual std::optional<TopicInfo> by_id(const Uuid& id) const = 0;
  // Every topic name, for subscriptions by regular expression.
  virtual std::vector<std::string> names() const = 0;
};

// A fixed set of topics, for tests and callers without a metadata image.
class TopicTable : public TopicsView {
 public:
  void put(TopicInfo topic);
  void remove(const std::string& name);
  std::optional<TopicInfo> by_name(const std::string& name) const override;
  std::optional<TopicInfo> by_id(const Uuid& id) const override;
  std::vector<std::string> names() const override;

 private:
  std::map<std::string, TopicInfo> topics_;
};

// Kafka's MemberState values, as the ConsumerGroupCurrentMemberAssignment record stores them.
enum class MemberState : int8_t { stable = 0, unrevoked_partitions = 1, unreleased_partitions = 2, unknown = 127 };

enum class ConsumerGroupState { empty, assigning, reconciling, stable };
// Kafka's names: "Empty", "Assigning", "Reconciling", "Stable".
const char* state_name(ConsumerGroupState state);

struct ConsumerGroupMember {
  std::string id;
  // ConsumerGroupMemberMetadata.
  std::optional<std::string> instance_id;
  std::optional<std::string> rack_id;
  std::string client_id;
  std::string client_host;
  std::set<std::string> subscribed_topic_names;
  std::optional<std::string> subscribed_topic_regex;
  int32_t rebalance_timeout_ms = -1;
  std::optional<std::string> server_assignor;
  // ConsumerGroupCurrentMemberAssignment.
  int32_t epoch = 0;
  int32_t previous_epoch = 0;
  MemberState state = MemberState::stable;
  TopicPartitionSet assigned;
  TopicPartitionSet pending_revocation;

  bool same_metadata(const ConsumerGroupMember& o) const;
  bool same_assignment(const ConsumerGroupMember& o) const;
  bool reconciled_to(int32_t assignment_epoch) const {
    return state == MemberState::stable && epoch == assignment_epoch;
  }
};

// One consumer group's hard state: what the records say.
class ConsumerGroup {
 public:
  explicit ConsumerGroup(std::string id) : id_(std::move(id)) {}

  // Applies one record of this group (not the group metadata tombstone, which removes the group:
  // the owner does that).
  void apply(const ConsumerGroupRecord& record);

  const std::string& id() const { return id_; }
  int32_t group_epoch() const { return group_epoch_; }
  int32_t assignment_epoch() const { return assignment_epoch_; }
  ConsumerGroupState state() const;
  bool empty() const { return members_.empty(); }
  const std::map<std::string, ConsumerGroupMember>& members() const { return members_; }
  const ConsumerGroupMember* member(const std::string& member_id) const;
  const ConsumerGroupMember* static_member(const std::string& instance_id) const;
  const std::map<std::string, TopicInfo>& subscription_metadata() const { return subscription_metadata_; }
  const std::map<std::string, TopicPartitionSet>& target() const { return target_; }
  const TopicPartitionSet* target(const std::string& member_id) const;
  // The epoch of the member that owns the partition (assigned or pending revocation), or -1.
  int32_t partition_epoch(const Uuid& topic, int32_t partition) const;
  // Topics some member subscribes to, with how many do.
  const std::map<std::string, int32_t>& subscribed_topics() const { return subscribed_topics_; }
  // The topics the group reads: subscribed by name, or matched by a member's regular expression
  // when its subscription metadata was last computed.
  std::set<std::string> subscribed_topic_names() const;
  // The assignor most members ask for, if any asks.
  std::optional<std::string> preferred_assignor() const;

  // The records that delete the group, in Kafka's order.
  void tombstones(std::vector<ConsumerGroupRecord>& out) const;

  protocol::ConsumerGroupDescribeResponse::DescribedGroup describe(const std::string& default_assignor,
                                                                  const TopicsView& topics) const;

 private:
  void set_partition_epochs(const ConsumerGroupMember& m, bool add);
  void count_subscriptions(const ConsumerGroupMember& m, int delta);
  void remove_member(const std::string& member_id);

  std::string id_;
  int32_t group_epoch_ = 0;
  int32_t assignment_epoch_ = 0;
  std::map<std::string, ConsumerGroupMember> members_;
  std::map<std::string, std::string> static_members_;  // instance id -> member id
  std::map<std::string, TopicInfo> subscription_metadata_;
  std::map<std::string, TopicPartitionSet> target_;
  std::map<Uuid, std::map<int32_t, int32_t>, UuidLess> partition_epochs_;
  std::map<std::string, int32_t> subscribed_topics_;
  std::map<std::string, int32_t> assignors_;
};

// What one call produced: the response or error, and the records it wants appended (each then
// applied to the group by the caller, in order).
struct HeartbeatResult {
  protocol::ConsumerGroupHeartbeatResponse response;
  std::vector<ConsumerGroupRecord> records;
};

// The KIP-848 logic of one coordinator: heartbeats, leaves, session and rebalance timeouts. It
// reads the groups through the lookup it is given; it changes them only through records.
class ConsumerGroupManager {
 public:
  using Lookup = std::function<const ConsumerGroup*(const std::string& group_id)>;
  // Whether the records still fit the batch the caller writes (the offsets partition's limit).
  using Fits = std::function<bool(const std::vector<ConsumerGroupRecord>& records)>;

  ConsumerGroupManager(ConsumerGroupConfig config, Lookup lookup, Fits fits, uint64_t random_seed);
  ~ConsumerGroupManager();

  // A heartbeat (or a leave, epoch -1 or -2) of a member of group, which may be null when the
  // group does not exist yet (the caller checks that the id is free or a consumer group's).
  // Records that would not fit make it UNKNOWN_SERVER_ERROR (Kafka's answer to a write too
  // large), with nothing written and no timer changed.
  HeartbeatResult heartbeat(const ConsumerGroup* group, const protocol::ConsumerGroupHeartbeatRequest& request,
                            int16_t version, const std::string& client_id, const std::string& client_host,
                            const TopicsView& topics, int64_t now);
  // The request's own problems, before any group is looked at: INVALID_REQUEST or
  // UNSUPPORTED_ASSIGNOR with Kafka's message.
  std::optional<std::pair<ErrorCode, std::string>> validate(const protocol::ConsumerGroupHeartbeatRequest& request,
                                                            int16_t version) const;

  // After loading: every member gets a session, members revoking get their rebalance timeout.
  void on_loaded(const ConsumerGroup& group, int64_t now);
  // Fences a member whose session or rebalance timeout passed and returns the records that do
  // it; empty when none is due. Call again, after applying them, until it returns none.
  std::vector<ConsumerGroupRecord> tick(int64_t now);
  std::optional<int64_t> next_deadline() const { return timers_.next(); }

  const ConsumerGroupConfig& config() const { return config_; }
  const std::string& default_assignor() const { return config_.assignors.front(); }

 private:
  enum class TimerKind { session, rebalance };
  using TimerKey = std::tuple<TimerKind, std::string, std::string>;  // kind, group, member

  HeartbeatResult leave(const ConsumerGroup& group, const protocol::ConsumerGroupHeartbeatRequest& request);
  void fence(const ConsumerGroup& group, const ConsumerGroupMember& member, std::vector<ConsumerGroupRecord>& out);
  TopicPartitionSet update_target(const ConsumerGroup& group, int32_t group_epoch, const ConsumerGroupMember& member,
                                  const ConsumerGroupMember& updated, const std::optional<std::string>& replaced,
                                  const std::map<std::string, TopicInfo>& metadata,
                                  std::vector<ConsumerGroupRecord>& out) const;
  ConsumerGroupMember reconcile(const ConsumerGroup& group, const ConsumerGroupMember& member, int32_t target_epoch,
                                const TopicPartitionSet& target,
                                const std::optional<std::vector<protocol::ConsumerGroupHeartbeatRequest::TopicPartitions>>& owned,
                                std::vector<ConsumerGroupRecord>& out) const;
  // A member that must revoke has its rebalance timeout to do it; one that need not, none.
  void track_revocation(const std::string& group_id, const ConsumerGroupMember& member, int64_t now);
  // A member's subscription covers the topic: by name, or by its regular expression (RE2 syntax,
  // the whole name, as Kafka's RE2/J matches()).
  bool subscribes(const ConsumerGroupMember& member, const std::string& topic) const;
  bool matches(const std::string& regex, const std::string& topic) const;
  // The error RE2 gives for the expression, or nullopt when it compiles.
  std::optional<std::string> regex_error(const std::string& regex) const;
  void schedule_session(const std::string& group_id, const std::string& member_id, int64_t now);
  void cancel_timers(const std::string& group_id, const std::string& member_id);
  std::string new_member_id();

  ConsumerGroupConfig config_;
  Lookup lookup_;
  Fits fits_;
  Timers<TimerKey> timers_;
  std::map<std::pair<std::string, std::string>, int32_t> rebalance_epochs_;  // the epoch a revocation is due at
  uint64_t random_;
  struct Compiled;  // regular expressions, compiled once
  mutable std::map<std::string, std::shared_ptr<Compiled>> regexes_;
};

// The records a group change is made of.
ConsumerGroupRecord group_epoch_record(const std::string& group, int32_t epoch);
ConsumerGroupRecord member_metadata_record(const std::string& group, const ConsumerGroupMember& member);
ConsumerGroupRecord current_assignment_record(const std::string& group, const ConsumerGroupMember& member);
ConsumerGroupRecord target_member_record(const std::string& group, const std::string& member,
                                         const TopicPartitionSet& partitions);
ConsumerGroupRecord target_epoch_record(const std::string& group, int32_t epoch);
ConsumerGroupRecord subscription_metadata_record(const std::string& group, const std::map<std::string, TopicInfo>& topics);
ConsumerGroupRecord consumer_group_tombstone(ConsumerGroupRecord::Kind kind, const std::string& group,
                                             const std::string& member = "");

}  // namespace gregor::group
