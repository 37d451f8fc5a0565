// The KRaft core for one node: a pure state machine in the style of etcd's raft. Messages, ticks,
// proposals, disk acknowledgements and snapshot notifications go in; a Ready comes out with the
// quorum state to persist, the log changes to make, the messages to send and what got committed.
// No clock, network or disk inside, and every random choice comes from the seed in Config, so a
// run replays exactly.
//
// The roles and their transitions are KRaft's (QuorumState, with KIP-996's pre-vote):
//   Unattached  --election timeout-->        Prospective (voters only)
//   Prospective --majority of pre-votes-->   Candidate (epoch + 1, votes for itself)
//   Prospective --lost or timed out-->       Follower of the leader it knew, else Unattached
//   Candidate   --majority of votes-->       Leader (appends a LeaderChange batch)
//   Candidate   --lost or timed out-->       Prospective, after a random backoff
//   Leader      --check-quorum fails/resign-> Resigned (sends EndQuorumEpoch)
//   Follower    --fetch timeout-->           Prospective (voters), Unattached (observers)
//   Resigned    --election timeout-->        Prospective
//   any         --higher epoch seen-->       Follower of its leader, or Unattached
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/splitmix64.h"
#include "raft/raft_log.h"
#include "raft/types.h"

namespace gregor::raft {

class RaftNode {
 public:
  // What a node finds on its disk when it starts: the quorum-state file, the log (everything in
  // it counts as persisted) and the latest snapshot, whose id must be the log's.
  struct Restored {
    QuorumStateRecord quorum_state;
    RaftLog log;
    std::optional<Snapshot> snapshot;
  };

  RaftNode(Config config, Restored restored);

  // Time passes.
  void tick(int64_t elapsed_ms);
  // A message arrives (to must be this node).
  void step(const Message& message);
  // Appends records as one batch when this node is the leader; returns its base offset, or
  // nullopt (not the leader, or no records).
  std::optional<int64_t> propose(std::vector<std::string> records);
  // The driver made the log durable up to end_offset (exclusive), as the log is after every
  // Ready taken so far.
  void persisted(int64_t end_offset);
  // The state machine wrote a snapshot of everything below id.offset (committed); the log below
  // it may go.
  void snapshot_created(Snapshot snapshot);
  // A leader steps down gracefully (Kafka's resign on shutdown), naming no successor.
  void resign();

  bool has_ready() const { return !ready_.empty(); }
  Ready take_ready();

  Role role() const { return role_; }
  int32_t epoch() const { return epoch_; }
  int32_t leader_id() const { return leader_id_; }
  int32_t voted_id() const { return voted_id_; }
  int32_t node_id() const { return config_.node_id; }
  bool is_voter() const { return is_voter(config_.node_id); }
  int64_t high_watermark() const { return high_watermark_; }
  const RaftLog& log() const { return log_; }
  // Set when the core met something Raft's guarantees rule out (e.g. an order to truncate
  // committed entries); the node then ignores every input.
  const std::string& fatal_error() const { return fatal_; }
  // DescribeQuorum, answered by the leader only (NOT_LEADER_OR_FOLLOWER elsewhere).
  QuorumDescription describe_quorum() const;

 private:
  struct InFlight {
    int32_t correlation_id = 0;
    int64_t deadline = 0;
  };
  struct ReplicaState {
    int64_t end_offset = -1;
    int64_t last_fetch_time = -1;
    int64_t last_caught_up_time = -1;
    int64_t high_watermark_sent = -1;  // what its last fetch response told it
  };
  struct ParkedFetch {
    int32_t correlation_id = 0;
    FetchRequest request;
    int64_t deadline = 0;
  };
  struct SnapshotDownload {
    SnapshotId id;
    std::string data;
  };

  bool is_voter(int32_t id) const;
  int majority() const { return static_cast<int>(config_.voters.size()) / 2 + 1; }
  int32_t random_election_timeout();
  int32_t random_backoff();

  // transitions
  void become_unattached(int32_t epoch, int32_t voted_id);
  void become_prospective();
  void become_candidate();
  void become_leader();
  void become_follower(int32_t epoch, int32_t leader_id);
  void become_resigned();
  void enter(Role role);
  void persist_quorum_state();
  void report_leader();
  void fail(std::string why);

  // handlers
  void on_vote_request(const Message& m, const VoteRequest& req);
  void on_vote_response(const Message& m, const VoteResponse& resp);
  void on_begin_epoch_request(const Message& m, const BeginQuorumEpochRequest& req);
  void on_end_epoch_request(const Message& m, const EndQuorumEpochRequest& req);
  void on_fetch_request(const Message& m, const FetchRequest& req);
  void on_fetch_response(const Message& m, const FetchResponse& resp);
  void on_fetch_snapshot_request(const Message& m, const FetchSnapshotRequest& req);
  void on_fetch_snapshot_response(const Message& m, const FetchSnapshotResponse& resp);
  bool can_grant_vote(int32_t candidate, bool log_up_to_date, bool pre_vote) const;
  // A response's view of the quorum: moves to a newer epoch or to a leader just learnt of.
  // Returns true when the response is stale or an error and needs no more handling.
  bool handle_common_response(ErrorCode error, int32_t leader_id, int32_t leader_epoch);
  // Kafka's maybeTransition: follow a leader of a newer epoch, or of ours when none is known.
  void maybe_follow(int32_t leader_id, int32_t epoch);
  std::optional<ErrorCode> validate_leader_request(int32_t request_epoch) const;
  std::optional<ErrorCode> validate_voter_request(int32_t remote_id, int32_t request_epoch) const;

  // leader
  FetchResponse complete_fetch(int32_t replica_id, const FetchRequest& req);
  void record_fetch(int32_t replica_id, int64_t fetch_offset);
  ReplicaState& replica_state(int32_t replica_id);
  void update_check_quorum(int32_t voter_id);
  void maybe_advance_high_watermark();
  void answer_parked_fetches();
  void append_as_leader(Batch batch);

  // follower
  void set_high_watermark(int64_t offset);
  void truncate(int64_t offset);

  // outgoing
  void send_request(int32_t to, MessageBody body);
  void respond(const Message& request, MessageBody body);
  bool take_in_flight(const Message& response);
  bool in_flight(int32_t to) const { return in_flight_.count(to) != 0; }
  void poll();  // sends whatever the role calls for now
  void send_fetch(int32_t to);

  uint64_t next_random();

  Config config_;
  RaftLog log_;
  std::optional<Snapshot> snapshot_;  // the latest
  // Older snapshots a follower is still downloading (by id: when it last fetched a chunk), kept
  // so that a leader snapshotting faster than a slow follower downloads still lets it finish.
  std::map<SnapshotId, std::pair<Snapshot, int64_t>> older_snapshots_;
  std::string fatal_;

  Role role_ = Role::unattached;
  int32_t epoch_ = 0;
  int32_t leader_id_ = kNoId;
  int32_t voted_id_ = kNoId;
  QuorumStateRecord persisted_state_;
  int32_t led_epoch_ = -1;  // the epoch this node led, if it is still the current one
  LeaderAndEpoch reported_leader_;

  int64_t now_ = 0;
  SplitMix64 rng_;
  int32_t next_correlation_id_ = 1;
  std::map<int32_t, InFlight> in_flight_;  // by destination: one request at a time to a node

  int64_t persisted_end_ = 0;
  int64_t high_watermark_ = 0;  // everything below is committed (0: nothing known)

  // timers (absolute ms on now_)
  int64_t election_deadline_ = 0;
  int64_t fetch_deadline_ = 0;
  int64_t backoff_until_ = -1;  // a candidate backing off after a lost election
  int32_t election_retries_ = 0;

  // prospective and candidate
  std::set<int32_t> granted_;
  std::set<int32_t> rejected_;
  int32_t prospective_leader_ = kNoId;  // the leader known when the pre-vote began

  // leader
  int64_t epoch_start_offset_ = 0;
  std::map<int32_t, ReplicaState> voter_states_;
  std::map<int32_t, ReplicaState> observer_states_;
  std::set<int32_t> fetched_since_check_;
  int64_t check_quorum_deadline_ = 0;
  int64_t begin_epoch_deadline_ = 0;
  std::set<int32_t> begin_epoch_acked_;
  std::map<int32_t, ParkedFetch> parked_;

  // follower
  bool has_fetched_from_leader_ = false;
  std::optional<SnapshotDownload> download_;
  size_t bootstrap_index_ = 0;  // observers without a leader ask the voters in turn

  // resigned
  std::set<int32_t> end_epoch_acked_;

  Ready ready_;
};

}  // namespace gregor::raft
