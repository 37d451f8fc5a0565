// The group coordinator of one __consumer_offsets partition: the classic groups that hash to it
// (JoinGroup / SyncGroup / Heartbeat / LeaveGroup) and their committed offsets, as Kafka's group
// coordinator keeps them. A state machine without I/O: requests, the time and the partition's
// records come in; responses and records to append go out.
//
//   - Every call takes the current time. tick(now) runs the deadlines that are due (sessions,
//     rebalances, pending members and syncs, offset expiry); next_deadline() says when to call it.
//   - Records to append collect in take_records(). The caller appends them to the partition and
//     sends every answer the call produced only once they are durable, in call order, so no
//     answer ever shows state the log could lose. If an append fails, the caller drops this
//     object and loads a new one from the log: state not in the log is never kept. What one
//     call writes always fits one batch of max_record_batch_bytes: a request whose records would
//     not gets Kafka's error for a write too large and changes nothing (docs/groups.md, "Sizes"),
//     and tick() leaves the deadlines it has no room for to the next call (due at once).
//   - JoinGroup and SyncGroup wait for the rest of the group. They carry a RequestId, and their
//     responses (theirs or other members') come out of take_replies(), from whichever call
//     completed them, including tick().
//   - Loading: replay() every record of the partition in order, then finish_loading(now).
//
// The group state machine is Kafka's: Empty -> PreparingRebalance -> CompletingRebalance ->
// Stable, back to PreparingRebalance when members come, go or change, and Dead once deleted.
// See docs/groups.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/error_code.h"
#include "common/status.h"
#include "group/consumer_group.h"
#include "group/records.h"
#include "group/timers.h"
#include "protocol/generated/message/describe_groups_response.h"
#include "protocol/generated/message/heartbeat_request.h"
#include "protocol/generated/message/heartbeat_response.h"
#include "protocol/generated/message/join_group_request.h"
#include "protocol/generated/message/join_group_response.h"
#include "protocol/generated/message/leave_group_request.h"
#include "protocol/generated/message/leave_group_response.h"
#include "protocol/generated/message/list_groups_response.h"
#include "protocol/generated/message/offset_commit_request.h"
#include "protocol/generated/message/offset_commit_response.h"
#include "protocol/generated/message/offset_delete_request.h"
#include "protocol/generated/message/offset_delete_response.h"
#include "protocol/generated/message/offset_fetch_request.h"
#include "protocol/generated/message/offset_fetch_response.h"
#include "protocol/generated/message/sync_group_request.h"
#include "protocol/generated/message/sync_group_response.h"

namespace gregor::group {

// Kafka's group.* and offsets.* broker settings that the coordinator applies.
struct GroupConfig {
  int32_t min_session_timeout_ms = 6000;          // group.min.session.timeout.ms
  int32_t max_session_timeout_ms = 1800000;       // group.max.session.timeout.ms
  int32_t initial_rebalance_delay_ms = 3000;      // group.initial.rebalance.delay.ms
  int32_t max_size = INT32_MAX;                   // group.max.size
  int32_t offset_metadata_max_bytes = 4096;       // offset.metadata.max.bytes
  int64_t offsets_retention_ms = 7 * 24 * 3600 * 1000LL;  // offsets.retention.minutes
  int64_t offsets_retention_check_interval_ms = 600000;   // offsets.retention.check.interval.ms
  int32_t new_member_join_timeout_ms = 300000;    // how long a new member may wait in a join
  // The largest batch the offsets partition accepts: its max.message.bytes (the broker's
  // message.max.bytes unless the topic overrides it). What one call writes never exceeds it.
  int32_t max_record_batch_bytes = 1048588;
  ConsumerGroupConfig consumer;                   // group.consumer.*: KIP-848 consumer groups
};

enum class GroupState { empty, preparing_rebalance, completing_rebalance, stable, dead };
// Kafka's names: "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead".
const char* state_name(GroupState state);

using RequestId = uint64_t;

// Who sent a request.
struct Client {
  std::string client_id;
  std::string host;  // as Kafka reports it: "/127.0.0.1"
};

// Tells whether a topic partition exists (commits to others get UNKNOWN_TOPIC_OR_PARTITION).
using PartitionExists = std::function<bool(const std::string& topic, int32_t partition)>;

class GroupCoordinator {
 public:
  struct Reply {
    RequestId id;
    std::variant<protocol::JoinGroupResponse, protocol::SyncGroupResponse> response;
  };

  // random_seed: for member ids (client id, "-", a random UUID).
  GroupCoordinator(GroupConfig config, int32_t partition, uint64_t random_seed);
  ~GroupCoordinator();

  // Loading.
  Status replay(BytesView key, std::optional<BytesView> value);
  void finish_loading(int64_t now);

  // JoinGroup and SyncGroup at the request's version: the response comes from take_replies().
  void join_group(RequestId id, const protocol::JoinGroupRequest& request, int16_t version, const Client& client,
                  int64_t now);
  void sync_group(RequestId id, const protocol::SyncGroupRequest& request, int16_t version, int64_t now);
  protocol::HeartbeatResponse heartbeat(const protocol::HeartbeatRequest& request, int16_t version, int64_t now);
  protocol::LeaveGroupResponse leave_group(const protocol::LeaveGroupRequest& request, int16_t version, int64_t now);

  protocol::OffsetCommitResponse offset_commit(const protocol::OffsetCommitRequest& request, int16_t version,
                                               const PartitionExists& exists, int64_t now);
  // One group of an OffsetFetch (v8's shape; the caller converts for older versions). topics
  // nullopt: every committed offset of the group.
  protocol::OffsetFetchResponse::OffsetFetchResponseGroup offset_fetch(
      const std::string& group_id, const std::optional<std::vector<protocol::OffsetFetchRequest::OffsetFetchRequestTopics>>& topics,
      bool require_stable, const std::optional<std::string>& member_id = std::nullopt, int32_t member_epoch = -1);
  protocol::OffsetDeleteResponse offset_delete(const protocol::OffsetDeleteRequest& request, int64_t now);

  // The groups here, filtered by state and type names (empty filter: all; case-insensitive).
  std::vector<protocol::ListGroupsResponse::ListedGroup> list_groups(const std::vector<std::string>& states,
                                                                    const std::vector<std::string>& types) const;
  protocol::DescribeGroupsResponse::DescribedGroup describe_group(const std::string& group_id) const;
  // NONE, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, INVALID_GROUP_ID, or UNKNOWN_SERVER_ERROR when
  // its tombstones would not fit one batch.
  ErrorCode delete_group(const std::string& group_id, int64_t now);

  // KIP-848 consumer groups (consumer_group.h). A group id is either a classic group or a
  // consumer group: a heartbeat may take over an empty classic group, a JoinGroup an empty
  // consumer group; otherwise the other kind gets GROUP_ID_NOT_FOUND / INCONSISTENT_GROUP_PROTOCOL.
  protocol::ConsumerGroupHeartbeatResponse consumer_group_heartbeat(const protocol::ConsumerGroupHeartbeatRequest& request,
                                                                    int16_t version, const Client& client,
                                                                    const TopicsView& topics, int64_t now);
  protocol::ConsumerGroupDescribeResponse::DescribedGroup consumer_group_describe(const std::string& group_id,
                                                                                 const TopicsView& topics) const;

  void tick(int64_t now);
  std::optional<int64_t> next_deadline() const;

  std::vector<Record> take_records();
  std::vector<Reply> take_replies();

  int32_t partition() const { return partition_; }
  size_t group_count() const;

 private:
  struct Group;
  struct Member;
  enum class TimerKind { heartbeat, pending_member, join, sync, expire_offsets };
  using TimerKey = std::tuple<TimerKind, std::string, std::string>;  // kind, group, member

  Group* find(const std::string& group_id);
  const Group* find(const std::string& group_id) const;
  Group& create(const std::string& group_id, int64_t now);
  void set_state(Group& g, GroupState state, int64_t now);

  void join_unknown_member(Group& g, RequestId id, const protocol::JoinGroupRequest& request, int16_t version,
                           const Client& client, int64_t now);
  void join_known_member(Group& g, RequestId id, const protocol::JoinGroupRequest& request, int16_t version,
                         const Client& client, int64_t now);
  void replace_static_member(Group& g, Member& old, RequestId id, const protocol::JoinGroupRequest& request,
                             int16_t version, const Client& client, int64_t now);
  void add_member_and_rebalance(Group& g, RequestId id, const protocol::JoinGroupRequest& request, int16_t version,
                                const Client& client, const std::string& member_id, int64_t now);
  void update_member_and_rebalance(Group& g, Member& m, RequestId id, const protocol::JoinGroupRequest& request,
                                   int16_t version, int64_t now);
  void prepare_rebalance(Group& g, int64_t now);
  void maybe_complete_join(Group& g, int64_t now);
  void complete_join(Group& g, int64_t now);
  void on_join_deadline(Group& g, int64_t now);
  void on_sync_deadline(Group& g, int64_t now);
  void remove_member(Group& g, const std::string& member_id, int64_t now);
  void after_member_left(Group& g, int64_t now);
  void schedule_heartbeat(const Group& g, const Member& m, int64_t now);
  // False when the batch filled up first: the rest waits for the next call.
  bool expire_offsets(int64_t now);
  void on_timer(const TimerKey& key, int64_t now);
  void store_group(const Group& g);
  protocol::GroupMetadataValue group_value(const Group& g) const;
  // The records written so far in this call and more_bytes more (record_bytes of each) fit one
  // batch.
  bool fits(size_t more_bytes) const;
  // batch_bytes(records_), counted as records_ grows.
  size_t pending_bytes() const;
  void delete_group_records(Group& g);

  // Consumer groups: records are applied as replaying them would (and, write: appended).
  void apply_consumer(const ConsumerGroupRecord& record, bool write);
  void drop_consumer_group(Group& g);
  // The group's classic state starts over empty; its offsets and consumer group stay.
  Group& reset_classic(Group& g, int64_t now);
  ErrorCode consumer_member_error(const Group& g, const std::string& member_id,
                                  const std::optional<std::string>& instance_id) const;

  void reply_join(Member& m, protocol::JoinGroupResponse response);
  void reply_join_error(RequestId id, int16_t version, ErrorCode error, const std::string& member_id = "");
  void reply_sync(Member& m, protocol::SyncGroupResponse response);
  void reply_sync_error(RequestId id, ErrorCode error);
  protocol::JoinGroupResponse join_response(const Group& g, const Member& m, bool with_members) const;

  GroupConfig config_;
  int32_t partition_;
  std::map<std::string, std::unique_ptr<Group>> groups_;
  Timers<TimerKey> timers_;
  std::vector<Record> records_;
  mutable size_t measured_records_ = 0;  // pending_bytes(): how many of records_ are counted
  mutable size_t measured_bytes_ = 0;
  size_t reserved_bytes_ = 0;  // what the call writes besides the records a heartbeat measures
  std::vector<Reply> replies_;
  uint64_t next_member_ = 0;
  uint64_t random_;
  std::unique_ptr<ConsumerGroupManager> consumer_;
};

}  // namespace gregor::group
