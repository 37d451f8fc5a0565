#include "raft/raft_node.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace gregor::raft {

const char* role_name(Role role) {
  switch (role) {
    case Role::unattached: return "Unattached";
    case Role::prospective: return "Prospective";
    case Role::candidate: return "Candidate";
    case Role::leader: return "Leader";
    case Role::follower: return "Follower";
    case Role::resigned: return "Resigned";
  }
  return "?";
}

RaftNode::RaftNode(Config config, Restored restored)
    : config_(std::move(config)),
      log_(std::move(restored.log)),
      snapshot_(std::move(restored.snapshot)),
      rng_(config_.seed ^ (0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(config_.node_id + 1))) {
  persisted_end_ = log_.end_offset();
  high_watermark_ = log_.start_offset();  // a snapshot only ever holds committed records
  const QuorumStateRecord& s = restored.quorum_state;
  persisted_state_ = s;
  // Starting over as QuorumState.initialize does: in the epoch the file names, unable to vote
  // twice in it; a former leader resigns rather than lead with a log it may have lost the tail of.
  if (s.epoch < log_.last_epoch()) {
    become_unattached(log_.last_epoch(), kNoId);
  } else if (s.leader_id == config_.node_id && is_voter()) {
    epoch_ = s.epoch;
    leader_id_ = kNoId;
    voted_id_ = s.voted_id;
    led_epoch_ = s.epoch;
    become_resigned();
  } else if (s.voted_id == config_.node_id && is_voter()) {
    epoch_ = s.epoch;
    voted_id_ = s.voted_id;
    enter(Role::candidate);
    granted_ = {config_.node_id};
    election_deadline_ = now_ + random_election_timeout();
  } else if (s.leader_id != kNoId && s.leader_id != config_.node_id) {
    epoch_ = s.epoch;
    voted_id_ = s.voted_id;
    become_follower(s.epoch, s.leader_id);
  } else {
    epoch_ = s.epoch;
    voted_id_ = s.voted_id;
    become_unattached(s.epoch, s.voted_id);
  }
  reported_leader_ = {kNoId, 0};
  report_leader();
  poll();
}

uint64_t RaftNode::next_random() { return rng_.next(); }

// Kafka's randomElectionTimeoutMs: the configured timeout plus up to as much again.
int32_t RaftNode::random_election_timeout() {
  const auto t = static_cast<uint64_t>(std::max(1, config_.election_timeout_ms));
  return config_.election_timeout_ms + static_cast<int32_t>(next_random() % t);
}

// Binary exponential backoff after a lost election, capped by election.backoff.max.ms.
int32_t RaftNode::random_backoff() {
  int64_t cap = static_cast<int64_t>(config_.retry_backoff_ms) << std::min(election_retries_, 20);
  cap = std::max<int64_t>(1, std::min<int64_t>(cap, config_.election_backoff_max_ms));
  return 1 + static_cast<int32_t>(next_random() % static_cast<uint64_t>(cap));
}

bool RaftNode::is_voter(int32_t id) const {
  return std::find(config_.voters.begin(), config_.voters.end(), id) != config_.voters.end();
}

void RaftNode::fail(std::string why) {
  if (fatal_.empty()) fatal_ = std::move(why);
}

// ---------------------------------------------------------------------------------------------
// transitions

void RaftNode::enter(Role role) {
  role_ = role;
  in_flight_.clear();
  parked_.clear();
  granted_.clear();
  rejected_.clear();
  download_.reset();
  backoff_until_ = -1;
}

void RaftNode::persist_quorum_state() {
  // Once a node led an epoch, the file says so for as long as that epoch lasts: restarted, it
  // must come back Resigned, never as a candidate that could win the epoch again and write
  // other records under offsets and an epoch it already used.
  QuorumStateRecord s{epoch_, epoch_ == led_epoch_ ? config_.node_id : leader_id_, voted_id_};
  if (s == persisted_state_) return;
  persisted_state_ = s;
  ready_.quorum_state = s;
}

void RaftNode::report_leader() {
  LeaderAndEpoch now{leader_id_, epoch_};
  if (now == reported_leader_) return;
  reported_leader_ = now;
  ready_.leader = now;
}

void RaftNode::become_unattached(int32_t epoch, int32_t voted_id) {
  enter(Role::unattached);
  epoch_ = epoch;
  leader_id_ = kNoId;
  voted_id_ = voted_id;
  election_deadline_ = now_ + random_election_timeout();
  bootstrap_index_ = static_cast<size_t>(next_random() % std::max<size_t>(1, config_.voters.size()));
  persist_quorum_state();
  report_leader();
}

void RaftNode::become_prospective() {
  const int32_t known_leader = leader_id_;
  enter(Role::prospective);
  prospective_leader_ = known_leader;
  granted_ = {config_.node_id};
  election_deadline_ = now_ + random_election_timeout();
  if (static_cast<int>(granted_.size()) >= majority()) become_candidate();
}

void RaftNode::become_candidate() {
  enter(Role::candidate);
  epoch_ += 1;
  leader_id_ = kNoId;
  voted_id_ = config_.node_id;
  granted_ = {config_.node_id};
  election_deadline_ = now_ + random_election_timeout();
  persist_quorum_state();
  report_leader();
  if (static_cast<int>(granted_.size()) >= majority()) become_leader();
}

void RaftNode::become_leader() {
  enter(Role::leader);
  leader_id_ = config_.node_id;
  led_epoch_ = epoch_;
  election_retries_ = 0;
  persist_quorum_state();
  report_leader();
  epoch_start_offset_ = log_.end_offset();
  voter_states_.clear();
  observer_states_.clear();
  for (int32_t v : config_.voters) voter_states_[v] = ReplicaState{};
  fetched_since_check_.clear();
  begin_epoch_acked_ = {config_.node_id};
  check_quorum_deadline_ = now_ + config_.fetch_timeout_ms * 3 / 2;
  begin_epoch_deadline_ = now_ + config_.fetch_timeout_ms / 2;
  // Entries of earlier epochs commit only with one of this epoch: the LeaderChange record.
  Batch b;
  b.base_offset = log_.end_offset();
  b.epoch = epoch_;
  b.control = true;
  b.records = {"LeaderChange"};
  append_as_leader(std::move(b));
}

void RaftNode::become_follower(int32_t epoch, int32_t leader_id) {
  const bool same_epoch = epoch == epoch_;
  enter(Role::follower);
  epoch_ = epoch;
  leader_id_ = leader_id;
  if (!same_epoch) voted_id_ = kNoId;
  election_retries_ = 0;
  has_fetched_from_leader_ = false;
  fetch_deadline_ = now_ + config_.fetch_timeout_ms;
  persist_quorum_state();
  report_leader();
}

void RaftNode::become_resigned() {
  enter(Role::resigned);
  leader_id_ = kNoId;
  end_epoch_acked_ = {config_.node_id};
  election_deadline_ = now_ + random_election_timeout();
  report_leader();
}

void RaftNode::resign() {
  if (role_ == Role::leader && fatal_.empty()) {
    become_resigned();
    poll();
  }
}

// ---------------------------------------------------------------------------------------------
// inputs

void RaftNode::tick(int64_t elapsed_ms) {
  if (!fatal_.empty()) return;
  now_ += elapsed_ms;
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    it = it->second.deadline <= now_ ? in_flight_.erase(it) : std::next(it);
  }
  switch (role_) {
    case Role::unattached:
      if (is_voter() && now_ >= election_deadline_) become_prospective();
      break;
    case Role::prospective:
      if (now_ >= election_deadline_) {
        if (prospective_leader_ != kNoId) become_follower(epoch_, prospective_leader_);
        else become_unattached(epoch_, voted_id_);
      }
      break;
    case Role::candidate:
      if (backoff_until_ >= 0) {
        if (now_ >= backoff_until_) become_prospective();
      } else if (now_ >= election_deadline_) {
        ++election_retries_;
        backoff_until_ = now_ + random_backoff();
      }
      break;
    case Role::leader:
      if (config_.voters.size() > 1 && now_ >= check_quorum_deadline_) {
        // A leader that cannot reach a majority stops taking writes it could never commit.
        become_resigned();
        break;
      }
      if (now_ >= begin_epoch_deadline_) {
        // Voters that have not fetched lately hear of this epoch again.
        begin_epoch_deadline_ = now_ + config_.fetch_timeout_ms / 2;
        for (int32_t v : config_.voters)
          if (voter_states_[v].last_fetch_time < now_ - config_.fetch_timeout_ms / 2) begin_epoch_acked_.erase(v);
        begin_epoch_acked_.insert(config_.node_id);
      }
      break;
    case Role::follower:
      if (now_ >= fetch_deadline_) {
        if (is_voter()) become_prospective();
        else become_unattached(epoch_, kNoId);
      }
      break;
    case Role::resigned:
      if (now_ >= election_deadline_) become_prospective();
      break;
  }
  poll();
}

void RaftNode::step(const Message& m) {
  if (!fatal_.empty() || m.to != config_.node_id) return;
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, VoteRequest>) on_vote_request(m, body);
        else if constexpr (std::is_same_v<T, VoteResponse>) on_vote_response(m, body);
        else if constexpr (std::is_same_v<T, BeginQuorumEpochRequest>) on_begin_epoch_request(m, body);
        else if constexpr (std::is_same_v<T, BeginQuorumEpochResponse>) {
          if (take_in_flight(m) && !handle_common_response(body.error, body.leader_id, body.leader_epoch) &&
              role_ == Role::leader)
            begin_epoch_acked_.insert(m.from);
        } else if constexpr (std::is_same_v<T, EndQuorumEpochRequest>) on_end_epoch_request(m, body);
        else if constexpr (std::is_same_v<T, EndQuorumEpochResponse>) {
          if (take_in_flight(m) && !handle_common_response(body.error, body.leader_id, body.leader_epoch) &&
              role_ == Role::resigned)
            end_epoch_acked_.insert(m.from);
        } else if constexpr (std::is_same_v<T, FetchRequest>) on_fetch_request(m, body);
        else if constexpr (std::is_same_v<T, FetchResponse>) on_fetch_response(m, body);
        else if constexpr (std::is_same_v<T, FetchSnapshotRequest>) on_fetch_snapshot_request(m, body);
        else if constexpr (std::is_same_v<T, FetchSnapshotResponse>) on_fetch_snapshot_response(m, body);
      },
      m.body);
  // A response with an error waits retry.backoff.ms before the next request to that node.
  const ErrorCode error = std::visit(
      [](const auto& body) -> ErrorCode {
        if constexpr (requires { body.error; }) return body.error;
        else return ErrorCode::none;
      },
      m.body);
  if (error != ErrorCode::none && fatal_.empty() && !in_flight(m.from))
    in_flight_[m.from] = InFlight{0, now_ + config_.retry_backoff_ms};
  poll();
}

std::optional<int64_t> RaftNode::propose(std::vector<std::string> records) {
  if (!fatal_.empty() || role_ != Role::leader || records.empty()) return std::nullopt;
  Batch b;
  b.base_offset = log_.end_offset();
  b.epoch = epoch_;
  b.records = std::move(records);
  const int64_t base = b.base_offset;
  append_as_leader(std::move(b));
  poll();
  return base;
}

void RaftNode::persisted(int64_t end_offset) {
  if (!fatal_.empty()) return;
  persisted_end_ = std::max(persisted_end_, std::min(end_offset, log_.end_offset()));
  if (role_ == Role::leader) maybe_advance_high_watermark();
  poll();
}

void RaftNode::snapshot_created(Snapshot snapshot) {
  if (!fatal_.empty()) return;
  if (snapshot.id.offset > high_watermark_ || snapshot.id.offset > log_.end_offset()) {
    fail("snapshot at " + std::to_string(snapshot.id.offset) + " is above the high watermark");
    return;
  }
  if (snapshot_ && snapshot.id.offset <= snapshot_->id.offset) return;
  log_.delete_below(snapshot.id);
  ready_.log_ops.push_back(DeleteBelow{snapshot.id.offset});
  for (auto it = older_snapshots_.begin(); it != older_snapshots_.end();)
    it = it->second.second < now_ - config_.fetch_timeout_ms ? older_snapshots_.erase(it) : std::next(it);
  if (snapshot_) older_snapshots_.emplace(snapshot_->id, std::make_pair(std::move(*snapshot_), now_));
  snapshot_ = std::move(snapshot);
}

Ready RaftNode::take_ready() {
  Ready r = std::move(ready_);
  ready_ = Ready{};
  return r;
}

// ---------------------------------------------------------------------------------------------
// votes

bool RaftNode::can_grant_vote(int32_t candidate, bool up_to_date, bool pre_vote) const {
  switch (role_) {
    case Role::unattached:
      if (voted_id_ != kNoId && !pre_vote) return voted_id_ == candidate;
      return up_to_date;
    case Role::prospective:
      if (pre_vote) return up_to_date;
      if (voted_id_ != kNoId) return voted_id_ == candidate;
      return prospective_leader_ == kNoId && up_to_date;
    case Role::candidate:
      return pre_vote && up_to_date;
    case Role::follower:
      // KIP-996: a follower that hears from its leader does not help unseat it.
      return pre_vote && !has_fetched_from_leader_ && up_to_date;
    case Role::leader:
    case Role::resigned:
      return false;
  }
  return false;
}

std::optional<ErrorCode> RaftNode::validate_voter_request(int32_t remote_id, int32_t request_epoch) const {
  if (request_epoch < epoch_) return ErrorCode::fenced_leader_epoch;
  if (remote_id < 0) return ErrorCode::invalid_request;
  if (!is_voter() || !is_voter(remote_id)) return ErrorCode::inconsistent_voter_set;
  return std::nullopt;
}

void RaftNode::on_vote_request(const Message& m, const VoteRequest& req) {
  auto answer = [&](ErrorCode error, bool granted) {
    respond(m, VoteResponse{error, leader_id_, epoch_, granted, req.pre_vote});
  };
  if (auto error = validate_voter_request(req.candidate_id, req.candidate_epoch)) return answer(*error, false);
  if (req.candidate_epoch > epoch_ && !req.pre_vote) become_unattached(req.candidate_epoch, kNoId);
  const bool up_to_date =
      OffsetAndEpoch{req.last_offset, req.last_offset_epoch} >= log_.end_offset_and_epoch();
  const bool granted = can_grant_vote(req.candidate_id, up_to_date, req.pre_vote);
  if (granted && !req.pre_vote && voted_id_ == kNoId) {
    // The vote is remembered (Ready::quorum_state) before the answer leaves.
    if (role_ == Role::prospective) become_unattached(epoch_, req.candidate_id);
    voted_id_ = req.candidate_id;
    persist_quorum_state();
  }
  answer(ErrorCode::none, granted);
}

void RaftNode::on_vote_response(const Message& m, const VoteResponse& resp) {
  if (!take_in_flight(m)) return;
  // A voter behind in epochs still answers a pre-vote for the prospective's epoch; its answer
  // counts. Everything else from an older epoch is stale.
  const bool stale_pre_vote = resp.pre_vote && resp.leader_epoch < epoch_ && resp.error == ErrorCode::none;
  if (!stale_pre_vote && handle_common_response(resp.error, resp.leader_id, resp.leader_epoch)) return;
  const bool counting = (role_ == Role::prospective && resp.pre_vote) || (role_ == Role::candidate && !resp.pre_vote);
  if (!counting || !is_voter(m.from)) return;
  (resp.vote_granted ? granted_ : rejected_).insert(m.from);
  const int needed = majority();
  const int voters = static_cast<int>(config_.voters.size());
  if (role_ == Role::prospective) {
    if (static_cast<int>(granted_.size()) >= needed) become_candidate();
    else if (static_cast<int>(rejected_.size()) > voters - needed) {
      if (prospective_leader_ != kNoId) become_follower(epoch_, prospective_leader_);
      else become_unattached(epoch_, voted_id_);
    }
  } else {
    if (static_cast<int>(granted_.size()) >= needed) become_leader();
    else if (static_cast<int>(rejected_.size()) > voters - needed && backoff_until_ < 0) {
      ++election_retries_;
      backoff_until_ = now_ + random_backoff();
    }
  }
}

bool RaftNode::handle_common_response(ErrorCode error, int32_t leader_id, int32_t leader_epoch) {
  if (leader_epoch < epoch_) return true;  // from an older epoch: nothing to learn
  if (leader_epoch > epoch_ || (leader_id != kNoId && leader_id != config_.node_id && leader_id_ == kNoId)) {
    maybe_follow(leader_id, leader_epoch);
    return true;
  }
  return error != ErrorCode::none;
}

void RaftNode::maybe_follow(int32_t leader_id, int32_t epoch) {
  if (epoch < epoch_) return;
  if (leader_id == config_.node_id) {
    // In its own epoch a node may have led and forgotten it (restarted as Resigned); a newer
    // epoch it never stood in cannot be its own.
    if (epoch > epoch_) fail("told it leads epoch " + std::to_string(epoch) + " which it never won");
    return;
  }
  if (epoch > epoch_) {
    if (leader_id != kNoId) become_follower(epoch, leader_id);
    else become_unattached(epoch, kNoId);
  } else if (leader_id != kNoId && leader_id != leader_id_) {
    if (leader_id_ != kNoId || role_ == Role::leader)
      fail("two leaders in epoch " + std::to_string(epoch) + ": " + std::to_string(leader_id_) + " and " +
           std::to_string(leader_id));
    else
      become_follower(epoch, leader_id);
  }
}

void RaftNode::on_begin_epoch_request(const Message& m, const BeginQuorumEpochRequest& req) {
  if (auto error = validate_voter_request(req.leader_id, req.leader_epoch)) {
    respond(m, BeginQuorumEpochResponse{{*error, leader_id_, epoch_}});
    return;
  }
  maybe_follow(req.leader_id, req.leader_epoch);
  respond(m, BeginQuorumEpochResponse{{ErrorCode::none, leader_id_, epoch_}});
}

void RaftNode::on_end_epoch_request(const Message& m, const EndQuorumEpochRequest& req) {
  if (auto error = validate_voter_request(req.leader_id, req.leader_epoch)) {
    respond(m, EndQuorumEpochResponse{{*error, leader_id_, epoch_}});
    return;
  }
  maybe_follow(req.leader_id, req.leader_epoch);
  if (role_ == Role::follower && leader_id_ == req.leader_id) {
    // The leader is leaving: elect soon, its preferred successors first.
    auto pos = std::find(req.preferred_successors.begin(), req.preferred_successors.end(), config_.node_id);
    const int64_t wait = pos != req.preferred_successors.end()
                             ? static_cast<int64_t>(config_.retry_backoff_ms) << std::min<int64_t>(
                                   pos - req.preferred_successors.begin(), 10)
                             : random_backoff();
    fetch_deadline_ = std::min(fetch_deadline_, now_ + wait);
  }
  respond(m, EndQuorumEpochResponse{{ErrorCode::none, leader_id_, epoch_}});
}

// ---------------------------------------------------------------------------------------------
// replication, leader side

std::optional<ErrorCode> RaftNode::validate_leader_request(int32_t request_epoch) const {
  if (request_epoch < epoch_) return ErrorCode::fenced_leader_epoch;
  if (request_epoch > epoch_) return ErrorCode::unknown_leader_epoch;
  if (role_ != Role::leader) return ErrorCode::not_leader_or_follower;
  return std::nullopt;
}

void RaftNode::append_as_leader(Batch batch) {
  log_.append(batch);
  ready_.log_ops.push_back(Append{std::move(batch)});
}

void RaftNode::on_fetch_request(const Message& m, const FetchRequest& req) {
  FetchResponse resp;
  resp.leader_id = leader_id_;
  resp.leader_epoch = epoch_;
  resp.high_watermark = high_watermark_;
  resp.log_start_offset = log_.start_offset();
  if (req.fetch_offset < 0 || req.last_fetched_epoch < 0 || req.last_fetched_epoch > req.current_leader_epoch) {
    resp.error = ErrorCode::invalid_request;
  } else if (auto error = validate_leader_request(req.current_leader_epoch)) {
    resp.error = *error;
  } else {
    // Only a request that just arrived shows the voter can reach this leader; a parked one
    // answered later does not.
    if (is_voter(req.replica_id)) update_check_quorum(req.replica_id);
    resp = complete_fetch(req.replica_id, req);
    if (resp.batches.empty() && !resp.diverging_epoch && !resp.snapshot_id && req.max_wait_ms > 0 &&
        high_watermark_ <= replica_state(req.replica_id).high_watermark_sent) {
      // Nothing new for it: hold the fetch until there is, or its wait is over.
      parked_[m.from] = ParkedFetch{m.correlation_id, req, now_ + req.max_wait_ms};
      return;
    }
    replica_state(req.replica_id).high_watermark_sent = resp.high_watermark;
  }
  respond(m, resp);
}

RaftNode::ReplicaState& RaftNode::replica_state(int32_t replica_id) {
  return (is_voter(replica_id) ? voter_states_ : observer_states_)[replica_id];
}

FetchResponse RaftNode::complete_fetch(int32_t replica_id, const FetchRequest& req) {
  FetchResponse resp;
  resp.leader_id = leader_id_;
  resp.leader_epoch = epoch_;
  resp.log_start_offset = log_.start_offset();
  FetchPosition pos = log_.validate(req.fetch_offset, req.last_fetched_epoch);
  if (pos.kind == FetchPosition::Kind::diverging) {
    resp.diverging_epoch = pos.at;
  } else if (pos.kind == FetchPosition::Kind::snapshot) {
    resp.snapshot_id = pos.at;
  } else {
    record_fetch(replica_id, req.fetch_offset);
    maybe_advance_high_watermark();
    resp.batches = log_.read(req.fetch_offset, config_.fetch_max_bytes);
  }
  resp.high_watermark = high_watermark_;
  return resp;
}

void RaftNode::record_fetch(int32_t replica_id, int64_t fetch_offset) {
  ReplicaState& s = replica_state(replica_id);
  s.end_offset = fetch_offset;
  s.last_fetch_time = now_;
  if (fetch_offset >= log_.end_offset()) s.last_caught_up_time = now_;
  if (is_voter(replica_id)) begin_epoch_acked_.insert(replica_id);
}

void RaftNode::update_check_quorum(int32_t voter_id) {
  fetched_since_check_.insert(voter_id);
  fetched_since_check_.insert(config_.node_id);
  if (static_cast<int>(fetched_since_check_.size()) >= majority()) {
    fetched_since_check_.clear();
    check_quorum_deadline_ = now_ + config_.fetch_timeout_ms * 3 / 2;
  }
}

// KRaft's high watermark: the offset a majority of voters hold durably, counted only once it
// covers a record of the leader's own epoch.
void RaftNode::maybe_advance_high_watermark() {
  if (role_ != Role::leader) return;
  voter_states_[config_.node_id].end_offset = persisted_end_;
  std::vector<int64_t> ends;
  for (const auto& [id, s] : voter_states_) ends.push_back(s.end_offset);
  std::sort(ends.begin(), ends.end(), std::greater<>());
  const int64_t candidate = ends[config_.voters.size() / 2];
  if (candidate > epoch_start_offset_ && candidate > high_watermark_) set_high_watermark(candidate);
}

void RaftNode::answer_parked_fetches() {
  for (auto it = parked_.begin(); it != parked_.end();) {
    const ParkedFetch& p = it->second;
    if (now_ >= p.deadline || log_.end_offset() > p.request.fetch_offset ||
        high_watermark_ > replica_state(p.request.replica_id).high_watermark_sent) {
      Message req{it->first, config_.node_id, p.correlation_id, p.request};
      FetchResponse resp = complete_fetch(p.request.replica_id, p.request);
      replica_state(p.request.replica_id).high_watermark_sent = resp.high_watermark;
      it = parked_.erase(it);
      respond(req, resp);
    } else {
      ++it;
    }
  }
}

void RaftNode::on_fetch_snapshot_request(const Message& m, const FetchSnapshotRequest& req) {
  FetchSnapshotResponse resp;
  resp.leader_id = leader_id_;
  resp.leader_epoch = epoch_;
  resp.snapshot_id = req.snapshot_id;
  if (auto error = validate_leader_request(req.current_leader_epoch)) {
    resp.error = *error;
    respond(m, resp);
    return;
  }
  const Snapshot* snapshot = snapshot_ && snapshot_->id == req.snapshot_id ? &*snapshot_ : nullptr;
  if (auto it = older_snapshots_.find(req.snapshot_id); it != older_snapshots_.end()) {
    snapshot = &it->second.first;
    it->second.second = now_;
  }
  if (snapshot == nullptr) {
    resp.error = ErrorCode::snapshot_not_found;
  } else if (req.position < 0 || req.position > static_cast<int64_t>(snapshot->data.size())) {
    resp.error = ErrorCode::position_out_of_range;
  } else {
    const int64_t size = static_cast<int64_t>(snapshot->data.size());
    const int64_t n = std::min<int64_t>(size - req.position,
                                        std::max(1, std::min(req.max_bytes, config_.fetch_snapshot_max_bytes)));
    resp.size = size;
    resp.position = req.position;
    resp.bytes = snapshot->data.substr(static_cast<size_t>(req.position), static_cast<size_t>(n));
    if (is_voter(req.replica_id)) update_check_quorum(req.replica_id);
  }
  respond(m, resp);
}

// ---------------------------------------------------------------------------------------------
// replication, follower side

void RaftNode::set_high_watermark(int64_t offset) {
  if (offset <= high_watermark_) return;
  high_watermark_ = offset;
  ready_.high_watermark = offset;
}

void RaftNode::truncate(int64_t offset) {
  if (offset >= log_.end_offset()) return;
  // Kafka truncates record by record and may need a few fetches to converge; batches are atomic
  // here (one offset and epoch name one batch), so a divergence inside a batch drops all of it.
  if (const Batch* b = log_.batch_at(offset)) offset = b->base_offset;
  if (offset < high_watermark_) {
    fail("asked to truncate to " + std::to_string(offset) + ", below the high watermark " +
         std::to_string(high_watermark_));
    return;
  }
  log_.truncate_to(offset);
  persisted_end_ = std::min(persisted_end_, offset);
  ready_.log_ops.push_back(TruncateTo{offset});
}

void RaftNode::on_fetch_response(const Message& m, const FetchResponse& resp) {
  if (!take_in_flight(m) || handle_common_response(resp.error, resp.leader_id, resp.leader_epoch)) return;
  if (role_ != Role::follower || m.from != leader_id_) return;
  if (resp.diverging_epoch) {
    const OffsetAndEpoch mine = log_.end_offset_for_epoch(resp.diverging_epoch->epoch);
    truncate(std::min(mine.offset, resp.diverging_epoch->offset));
  } else if (resp.snapshot_id) {
    download_ = SnapshotDownload{*resp.snapshot_id, {}};
  } else {
    for (const Batch& b : resp.batches) {
      if (b.base_offset != log_.end_offset()) break;  // not where this log ends: refetch
      if (b.epoch < log_.last_epoch() || b.epoch > epoch_ || b.records.empty()) {
        fail("leader sent a batch of epoch " + std::to_string(b.epoch) + " at " + std::to_string(b.base_offset));
        return;
      }
      log_.append(b);
      ready_.log_ops.push_back(Append{b});
    }
    if (resp.high_watermark >= 0) set_high_watermark(std::min(resp.high_watermark, log_.end_offset()));
  }
  has_fetched_from_leader_ = true;
  fetch_deadline_ = now_ + config_.fetch_timeout_ms;
}

void RaftNode::on_fetch_snapshot_response(const Message& m, const FetchSnapshotResponse& resp) {
  if (!take_in_flight(m)) return;
  if (resp.error == ErrorCode::snapshot_not_found || resp.error == ErrorCode::position_out_of_range) {
    // The leader replaced that snapshot: the next Fetch names the current one.
    download_.reset();
    return;
  }
  if (handle_common_response(resp.error, resp.leader_id, resp.leader_epoch)) return;
  if (role_ != Role::follower || m.from != leader_id_ || !download_) return;
  if (resp.snapshot_id != download_->id || resp.position != static_cast<int64_t>(download_->data.size())) return;
  download_->data += resp.bytes;
  has_fetched_from_leader_ = true;
  fetch_deadline_ = now_ + config_.fetch_timeout_ms;
  if (static_cast<int64_t>(download_->data.size()) < resp.size) return;
  Snapshot s{download_->id, std::move(download_->data)};
  download_.reset();
  if (s.id.offset < high_watermark_ || (snapshot_ && s.id.offset <= snapshot_->id.offset)) return;
  log_.install_snapshot(s.id);
  persisted_end_ = log_.end_offset();
  ready_.log_ops.push_back(InstallSnapshot{s});
  snapshot_ = std::move(s);
  set_high_watermark(log_.start_offset());
}

// ---------------------------------------------------------------------------------------------
// outgoing

void RaftNode::send_request(int32_t to, MessageBody body) {
  const int32_t id = next_correlation_id_++;
  in_flight_[to] = InFlight{id, now_ + config_.request_timeout_ms};
  ready_.messages.push_back(Message{config_.node_id, to, id, std::move(body)});
}

void RaftNode::respond(const Message& request, MessageBody body) {
  ready_.messages.push_back(Message{config_.node_id, request.from, request.correlation_id, std::move(body)});
}

bool RaftNode::take_in_flight(const Message& response) {
  auto it = in_flight_.find(response.from);
  if (it == in_flight_.end() || it->second.correlation_id != response.correlation_id) return false;
  in_flight_.erase(it);
  return true;
}

void RaftNode::send_fetch(int32_t to) {
  if (download_) {
    send_request(to, FetchSnapshotRequest{config_.node_id, epoch_, download_->id,
                                          static_cast<int64_t>(download_->data.size()),
                                          config_.fetch_snapshot_max_bytes});
    return;
  }
  const OffsetAndEpoch end = log_.end_offset_and_epoch();
  send_request(to, FetchRequest{config_.node_id, epoch_, end.offset, end.epoch, config_.fetch_max_wait_ms});
}

void RaftNode::poll() {
  if (!fatal_.empty()) return;
  switch (role_) {
    case Role::prospective:
    case Role::candidate: {
      if (role_ == Role::candidate && backoff_until_ >= 0) break;
      const bool pre_vote = role_ == Role::prospective;
      const OffsetAndEpoch end = log_.end_offset_and_epoch();
      for (int32_t v : config_.voters) {
        if (v == config_.node_id || granted_.count(v) || rejected_.count(v) || in_flight(v)) continue;
        send_request(v, VoteRequest{epoch_, config_.node_id, end.epoch, end.offset, pre_vote});
      }
      break;
    }
    case Role::leader:
      for (int32_t v : config_.voters) {
        if (begin_epoch_acked_.count(v) || in_flight(v)) continue;
        send_request(v, BeginQuorumEpochRequest{config_.node_id, epoch_});
      }
      maybe_advance_high_watermark();
      answer_parked_fetches();
      break;
    case Role::follower:
      // One fetch at a time, and only once what the last one brought is durable: the fetch
      // offset tells the leader what this node holds safely.
      if (!in_flight(leader_id_) && persisted_end_ >= log_.end_offset()) send_fetch(leader_id_);
      break;
    case Role::unattached:
      if (!is_voter() && !config_.voters.empty() && in_flight_.empty()) {
        // An observer finds the leader by asking the voters (Kafka's bootstrap servers) in turn.
        const int32_t to = config_.voters[bootstrap_index_++ % config_.voters.size()];
        send_fetch(to);
      }
      break;
    case Role::resigned:
      for (int32_t v : config_.voters) {
        if (end_epoch_acked_.count(v) || in_flight(v)) continue;
        send_request(v, EndQuorumEpochRequest{config_.node_id, epoch_, {}});
      }
      break;
  }
}

QuorumDescription RaftNode::describe_quorum() const {
  QuorumDescription d;
  d.leader_id = leader_id_;
  d.leader_epoch = epoch_;
  if (role_ != Role::leader) {
    d.error = ErrorCode::not_leader_or_follower;
    return d;
  }
  d.high_watermark = high_watermark_;
  for (const auto& [id, s] : voter_states_) {
    const bool self = id == config_.node_id;
    d.voters.push_back({id, self ? log_.end_offset() : s.end_offset, self ? now_ : s.last_fetch_time,
                        self ? now_ : s.last_caught_up_time});
  }
  for (const auto& [id, s] : observer_states_)
    d.observers.push_back({id, s.end_offset, s.last_fetch_time, s.last_caught_up_time});
  return d;
}

}  // namespace gregor::raft
