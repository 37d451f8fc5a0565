// The vocabulary of the Raft core: log batches, the messages KRaft's RPCs carry (one plain struct
// per partition-level request or response, field for field; wire.h maps them to the generated
// Kafka messages), the quorum state that must be durable, and the Ready that hands work to the
// driver.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error_code.h"

namespace gregor::raft {

inline constexpr int32_t kNoId = -1;

// KRaft's settings, named after the controller.quorum.* keys they come from.
struct Config {
  int32_t node_id = 0;
  // controller.quorum.voters: the static voter set. A node not in it is an observer.
  std::vector<int32_t> voters;
  int32_t election_timeout_ms = 1000;       // controller.quorum.election.timeout.ms
  int32_t fetch_timeout_ms = 2000;          // controller.quorum.fetch.timeout.ms
  int32_t election_backoff_max_ms = 1000;   // controller.quorum.election.backoff.max.ms
  int32_t request_timeout_ms = 2000;        // controller.quorum.request.timeout.ms
  int32_t retry_backoff_ms = 20;            // controller.quorum.retry.backoff.ms
  int32_t fetch_max_wait_ms = 500;          // how long the leader parks a Fetch with nothing new
  int32_t fetch_max_bytes = 8 * 1024 * 1024;
  int32_t fetch_snapshot_max_bytes = 8 * 1024 * 1024;
  uint64_t seed = 0;  // the election timeouts and backoffs are drawn from it
};

struct OffsetAndEpoch {
  int64_t offset = 0;
  int32_t epoch = 0;
  friend bool operator==(const OffsetAndEpoch&, const OffsetAndEpoch&) = default;
  // Raft's "at least as up to date": by epoch, then by offset.
  friend auto operator<=>(const OffsetAndEpoch& a, const OffsetAndEpoch& b) {
    if (a.epoch != b.epoch) return a.epoch <=> b.epoch;
    return a.offset <=> b.offset;
  }
};

// A snapshot is named by the end offset it covers (exclusive) and the epoch of its last record.
using SnapshotId = OffsetAndEpoch;

// One batch as KRaft appends it: every record of a batch has the batch's epoch, and record i is
// at base_offset + i. A control batch holds the leader's LeaderChange record, which opens every
// epoch; the state machine skips it.
struct Batch {
  int64_t base_offset = 0;
  int32_t epoch = 0;
  bool control = false;
  std::vector<std::string> records;
  int64_t end_offset() const { return base_offset + static_cast<int64_t>(records.size()); }
  friend bool operator==(const Batch&, const Batch&) = default;
};

// The quorum-state file (raft/QuorumStateData): what a node must remember across a crash so it
// never votes twice in an epoch nor goes back in epochs.
struct QuorumStateRecord {
  int32_t epoch = 0;
  int32_t leader_id = kNoId;
  int32_t voted_id = kNoId;
  friend bool operator==(const QuorumStateRecord&, const QuorumStateRecord&) = default;
};

// ---- messages (partition level; the topic is always __cluster_metadata-0) ----

struct VoteRequest {
  int32_t candidate_epoch = 0;  // the epoch it asks for; a pre-vote asks in its current epoch
  int32_t candidate_id = kNoId;
  int32_t last_offset_epoch = 0;
  int64_t last_offset = 0;  // the candidate's log end offset
  bool pre_vote = false;    // KIP-996
};
struct VoteResponse {
  ErrorCode error = ErrorCode::none;
  int32_t leader_id = kNoId;
  int32_t leader_epoch = 0;
  bool vote_granted = false;
  bool pre_vote = false;  // what was asked; on the wire the driver knows it from the request
};
struct BeginQuorumEpochRequest {
  int32_t leader_id = kNoId;
  int32_t leader_epoch = 0;
};
// BeginQuorumEpoch and EndQuorumEpoch answer alike: an error and the responder's view.
struct EpochAnswer {
  ErrorCode error = ErrorCode::none;
  int32_t leader_id = kNoId;
  int32_t leader_epoch = 0;
};
struct BeginQuorumEpochResponse : EpochAnswer {};
struct EndQuorumEpochRequest {
  int32_t leader_id = kNoId;
  int32_t leader_epoch = 0;
  std::vector<int32_t> preferred_successors;
};
struct EndQuorumEpochResponse : EpochAnswer {};
struct FetchRequest {
  int32_t replica_id = kNoId;
  int32_t current_leader_epoch = 0;
  int64_t fetch_offset = 0;
  int32_t last_fetched_epoch = 0;
  int32_t max_wait_ms = 0;
};
struct FetchResponse {
  ErrorCode error = ErrorCode::none;
  int32_t leader_id = kNoId;  // CurrentLeader
  int32_t leader_epoch = 0;
  int64_t high_watermark = -1;
  int64_t log_start_offset = 0;
  std::optional<OffsetAndEpoch> diverging_epoch;  // the follower must truncate
  std::optional<SnapshotId> snapshot_id;          // the follower must fetch this snapshot
  std::vector<Batch> batches;
};
struct FetchSnapshotRequest {
  int32_t replica_id = kNoId;
  int32_t current_leader_epoch = 0;
  SnapshotId snapshot_id;
  int64_t position = 0;
  int32_t max_bytes = 0;
};
struct FetchSnapshotResponse {
  ErrorCode error = ErrorCode::none;
  int32_t leader_id = kNoId;
  int32_t leader_epoch = 0;
  SnapshotId snapshot_id;
  int64_t size = 0;
  int64_t position = 0;
  std::string bytes;
};

using MessageBody = std::variant<VoteRequest, VoteResponse, BeginQuorumEpochRequest, BeginQuorumEpochResponse,
                                 EndQuorumEpochRequest, EndQuorumEpochResponse, FetchRequest, FetchResponse,
                                 FetchSnapshotRequest, FetchSnapshotResponse>;

// A request or response between two nodes. A response carries its request's correlation id; the
// core ignores a response that does not answer the request it has in flight to that node, so a
// late or duplicated response never acts twice.
struct Message {
  int32_t from = kNoId;
  int32_t to = kNoId;
  int32_t correlation_id = 0;
  MessageBody body;
};

// ---- output ----

struct Snapshot {
  SnapshotId id;
  std::string data;
};

// What the driver must do to the log, in order.
struct TruncateTo { int64_t offset; };           // drop every batch at or above offset
struct Append { Batch batch; };                  // write it; persisted() acknowledges it later
struct InstallSnapshot { Snapshot snapshot; };   // replace log and state machine with it
struct DeleteBelow { int64_t offset; };          // batches below offset may go (a snapshot covers them)
using LogOp = std::variant<TruncateTo, Append, InstallSnapshot, DeleteBelow>;

struct LeaderAndEpoch {
  int32_t leader_id = kNoId;
  int32_t epoch = 0;
  friend bool operator==(const LeaderAndEpoch&, const LeaderAndEpoch&) = default;
};

// Everything one or more steps produced, handed over by RaftNode::take_ready(). The driver
// processes it in this order: quorum_state made durable, then log_ops applied (their durability
// is acknowledged later through persisted()), then messages sent. Writing the quorum state first
// is what keeps a vote from being sent before it is remembered.
struct Ready {
  std::optional<QuorumStateRecord> quorum_state;
  std::vector<LogOp> log_ops;
  std::vector<Message> messages;
  std::optional<int64_t> high_watermark;  // committed up to here (exclusive), when it advanced
  std::optional<LeaderAndEpoch> leader;   // the leader (or its absence) changed
  bool empty() const {
    return !quorum_state && log_ops.empty() && messages.empty() && !high_watermark && !leader;
  }
};

enum class Role { unattached, prospective, candidate, leader, follower, resigned };
const char* role_name(Role role);

// DescribeQuorum's partition answer, as the leader knows it.
struct ReplicaDescription {
  int32_t replica_id = kNoId;
  int64_t log_end_offset = -1;
  int64_t last_fetch_timestamp = -1;
  int64_t last_caught_up_timestamp = -1;
};
struct QuorumDescription {
  ErrorCode error = ErrorCode::none;
  int32_t leader_id = kNoId;
  int32_t leader_epoch = 0;
  int64_t high_watermark = -1;
  std::vector<ReplicaDescription> voters;
  std::vector<ReplicaDescription> observers;
};

}  // namespace gregor::raft
