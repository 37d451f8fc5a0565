#include "sim.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <sstream>
#include <vector>

#include "raft/raft_node.h"

namespace gregor::raft::sim {
namespace {

class Rng {
 public:
  explicit Rng(uint64_t seed) : bits_(seed) {}
  uint64_t next() { return bits_.next(); }
  int64_t range(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1)); }
  bool chance(double p) { return static_cast<double>(next() % 1000000) < p * 1000000.0; }

 private:
  SplitMix64 bits_;
};

// What survives a crash: the quorum-state file (written atomically), the snapshot, and the log
// up to what was synced; of the writes after that, a prefix may have reached the platter, the
// last of them perhaps torn (and then dropped by recovery's checksum check).
struct Disk {
  QuorumStateRecord quorum_state;
  std::optional<Snapshot> snapshot;
  std::vector<Batch> log;
  int64_t synced_end = 0;
};

struct Node {
  int32_t id = 0;
  bool voter = false;
  bool up = true;
  std::unique_ptr<RaftNode> core;
  Disk disk;
  bool sync_scheduled = false;
  // The state machine: the data records applied, by offset.
  std::vector<std::pair<int64_t, std::string>> applied;
  int64_t applied_end = 0;
  int64_t last_snapshot = 0;
  int32_t max_epoch = 0;
  Role last_role = Role::unattached;
};

struct Event {
  enum class Kind { deliver, tick, sync, restart };
  int64_t time = 0;
  uint64_t seq = 0;
  Kind kind = Kind::tick;
  int32_t node = 0;
  Message message;
  bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

struct CommittedRecord {
  int32_t epoch = 0;
  std::string payload;
};

std::string encode_state(const std::vector<std::pair<int64_t, std::string>>& applied) {
  std::string out;
  for (const auto& [offset, payload] : applied) out += std::to_string(offset) + " " + payload + "\n";
  return out;
}

std::vector<std::pair<int64_t, std::string>> decode_state(const std::string& data) {
  std::vector<std::pair<int64_t, std::string>> out;
  std::istringstream in(data);
  int64_t offset;
  std::string payload;
  while (in >> offset >> payload) out.emplace_back(offset, payload);
  return out;
}

const char* body_name(const MessageBody& b) {
  static const char* names[] = {"VoteRequest", "VoteResponse", "BeginQuorumEpochRequest", "BeginQuorumEpochResponse",
                                "EndQuorumEpochRequest", "EndQuorumEpochResponse", "FetchRequest", "FetchResponse",
                                "FetchSnapshotRequest", "FetchSnapshotResponse"};
  return names[b.index()];
}

class Simulation {
 public:
  explicit Simulation(const Options& o) : options_(o), rng_(o.seed * 0x2545f4914f6cdd1dULL + 7) {
    config_.election_timeout_ms = 1000;
    config_.fetch_timeout_ms = 2000;
    config_.fetch_max_bytes = static_cast<int32_t>(rng_.range(16, 256));
    config_.fetch_snapshot_max_bytes = static_cast<int32_t>(rng_.range(16, 128));
    for (int i = 0; i < o.voters; ++i) config_.voters.push_back(i + 1);
    snapshot_every_ = rng_.range(8, 40);
    drop_ = rng_.chance(0.5) ? 0.0 : 0.1 * static_cast<double>(rng_.range(0, 3));
    duplicate_ = rng_.chance(0.5) ? 0.0 : 0.05;
    for (int i = 0; i < o.voters + o.observers; ++i) {
      auto n = std::make_unique<Node>();
      n->id = i + 1;
      n->voter = i < o.voters;
      nodes_.push_back(std::move(n));
    }
    for (auto& n : nodes_) {
      start(*n);
      schedule_tick(*n);
    }
  }

  Result run() {
    const int64_t heal_at = options_.chaos_ms;
    const int64_t deadline = heal_at + options_.liveness_ms;
    int64_t next_fault = rng_.range(200, 1000);
    int64_t next_proposal = rng_.range(50, 300);
    int64_t next_full_check = 0;
    bool healed = false;
    std::optional<std::string> marker;
    int64_t marker_offset = -1;
    while (result_.ok) {
      if (queue_.empty()) return fail("nothing left to happen");
      Event e = queue_.top();
      queue_.pop();
      now_ = e.time;
      if (!healed && now_ >= heal_at) {
        healed = true;
        heal();
        marker = "marker-" + std::to_string(options_.seed);
      }
      if (now_ > deadline)
        return fail("no proposal committed on every node within " + std::to_string(options_.liveness_ms) +
                    " ms of the faults healing (" + describe_nodes() + ")");
      handle(e);
      ++result_.steps;
      if (!result_.ok) break;
      if (!healed && now_ >= next_fault) {
        inject_fault();
        next_fault = now_ + rng_.range(100, 1500);
      }
      if (now_ >= next_proposal) {
        propose("p" + std::to_string(++proposals_));
        next_proposal = now_ + rng_.range(20, 400);
      }
      if (now_ >= next_full_check) {
        check_log_matching();
        next_full_check = now_ + 500;
      }
      if (marker) {
        if (marker_offset < 0 || !leader_holds(*marker, marker_offset)) marker_offset = propose(*marker);
        if (marker_offset >= 0 && everyone_applied(marker_offset)) break;
      }
    }
    if (result_.ok) check_log_matching();
    return result_;
  }

 private:
  Result fail(std::string why) {
    if (result_.ok) {
      result_.ok = false;
      result_.failure = "t=" + std::to_string(now_) + "ms: " + why;
    }
    return result_;
  }

  void trace(const std::string& line) {
    if (options_.verbose) std::printf("%8lld %s\n", static_cast<long long>(now_), line.c_str());
  }

  void push(Event e) {
    e.seq = seq_++;
    queue_.push(std::move(e));
  }

  void schedule_tick(Node& n) {
    Event e;
    e.time = now_ + rng_.range(10, 60);
    e.kind = Event::Kind::tick;
    e.node = n.id;
    push(e);
  }

  Node& node(int32_t id) { return *nodes_[static_cast<size_t>(id - 1)]; }

  // Builds the core from what the disk holds.
  void start(Node& n) {
    RaftNode::Restored r;
    r.quorum_state = n.disk.quorum_state;
    if (n.disk.snapshot) {
      r.log.install_snapshot(n.disk.snapshot->id);
      r.snapshot = n.disk.snapshot;
    }
    for (const Batch& b : n.disk.log) r.log.append(b);
    Config c = config_;
    c.node_id = n.id;
    c.seed = options_.seed * 1000003ULL + static_cast<uint64_t>(n.id) * 7919ULL + static_cast<uint64_t>(result_.crashes);
    n.core = std::make_unique<RaftNode>(c, std::move(r));
    n.disk.synced_end = n.core->log().end_offset();
    n.applied = n.disk.snapshot ? decode_state(n.disk.snapshot->data) : decltype(n.applied){};
    n.applied_end = n.disk.snapshot ? n.disk.snapshot->id.offset : 0;
    n.last_snapshot = n.applied_end;
    n.last_role = n.core->role();
    n.up = true;
    after_step(n);
  }

  void crash(Node& n) {
    ++result_.crashes;
    n.up = false;
    n.core.reset();
    n.sync_scheduled = false;
    // Keep the synced prefix and some of the rest; the last write kept may be torn.
    size_t keep = 0;
    while (keep < n.disk.log.size() && n.disk.log[keep].end_offset() <= n.disk.synced_end) ++keep;
    size_t extra = static_cast<size_t>(rng_.range(0, static_cast<int64_t>(n.disk.log.size() - keep)));
    if (extra > 0 && rng_.chance(0.5)) --extra;  // torn
    n.disk.log.resize(keep + extra);
    trace("crash node " + std::to_string(n.id) + " keeping log to " +
          std::to_string(n.disk.log.empty() ? (n.disk.snapshot ? n.disk.snapshot->id.offset : 0)
                                            : n.disk.log.back().end_offset()));
    Event e;
    e.time = now_ + rng_.range(100, 3000);
    e.kind = Event::Kind::restart;
    e.node = n.id;
    push(e);
  }

  void inject_fault() {
    const int64_t r = rng_.range(0, 9);
    if (r < 3) {
      Node& n = node(static_cast<int32_t>(rng_.range(1, static_cast<int64_t>(nodes_.size()))));
      if (n.up) crash(n);
    } else if (r < 5) {
      // A partition: each node lands on one side.
      for (auto& n : nodes_) side_[n->id] = static_cast<int>(rng_.range(0, 1));
      trace("partition");
    } else if (r < 7) {
      side_.clear();
      trace("partition healed");
    } else if (r < 8) {
      drop_ = 0.1 * static_cast<double>(rng_.range(0, 4));
    } else {
      // Crash whoever leads: the hardest moment to lose a node.
      for (auto& n : nodes_)
        if (n->up && n->core->role() == Role::leader) {
          crash(*n);
          break;
        }
    }
  }

  void heal() {
    trace("heal");
    side_.clear();
    drop_ = 0;
    duplicate_ = 0;
    for (auto& n : nodes_)
      if (!n->up) {
        start(*n);
        schedule_tick(*n);
      }
  }

  bool connected(int32_t a, int32_t b) const {
    auto ia = side_.find(a), ib = side_.find(b);
    if (ia == side_.end() || ib == side_.end()) return true;
    return ia->second == ib->second;
  }

  void send(const Message& m) {
    if (!connected(m.from, m.to) || rng_.chance(drop_)) return;
    const int copies = rng_.chance(duplicate_) ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      Event e;
      e.kind = Event::Kind::deliver;
      e.node = m.to;
      e.time = now_ + (rng_.chance(0.05) ? rng_.range(50, 400) : rng_.range(1, 15));
      e.message = m;
      push(e);
    }
  }

  void handle(const Event& e) {
    Node& n = node(e.node);
    switch (e.kind) {
      case Event::Kind::restart:
        if (!n.up) {
          trace("restart node " + std::to_string(n.id));
          start(n);
          schedule_tick(n);
        }
        return;
      case Event::Kind::tick:
        if (!n.up) return;
        n.core->tick(rng_.range(10, 60));
        schedule_tick(n);
        break;
      case Event::Kind::sync:
        if (!n.up || !n.sync_scheduled) return;
        n.sync_scheduled = false;
        n.disk.synced_end = n.core->log().end_offset();
        n.core->persisted(n.disk.synced_end);
        break;
      case Event::Kind::deliver:
        if (!n.up || !connected(e.message.from, e.message.to)) return;
        trace(std::to_string(e.message.from) + " -> " + std::to_string(e.message.to) + " " +
              body_name(e.message.body));
        n.core->step(e.message);
        break;
    }
    after_step(n);
  }


  // The driver's half of the contract, and the checks that follow every step.
  void after_step(Node& n) {
    RaftNode& core = *n.core;
    Ready ready = core.take_ready();
    if (!core.fatal_error().empty()) {
      fail("node " + std::to_string(n.id) + ": " + core.fatal_error());
      return;
    }
    if (ready.quorum_state) n.disk.quorum_state = *ready.quorum_state;
    for (const LogOp& op : ready.log_ops) apply_log_op(n, op);
    if (!result_.ok) return;
    if (n.disk.log.empty() ? false : n.disk.log.back().end_offset() > n.disk.synced_end) {
      if (!n.sync_scheduled) {
        n.sync_scheduled = true;
        Event e;
        e.kind = Event::Kind::sync;
        e.node = n.id;
        e.time = now_ + rng_.range(1, 30);
        push(e);
      }
    }
    for (const Message& m : ready.messages) {
      check_durable_before_send(n, m);
      send(m);
    }
    if (ready.leader) trace("node " + std::to_string(n.id) + " sees leader " + std::to_string(ready.leader->leader_id) +
                            " epoch " + std::to_string(ready.leader->epoch));
    apply_committed(n);
    check_node(n);
  }

  void apply_log_op(Node& n, const LogOp& op) {
    Disk& d = n.disk;
    if (const auto* a = std::get_if<Append>(&op)) {
      const Batch& b = a->batch;
      for (size_t i = 0; i < b.records.size(); ++i) {
        auto key = std::make_pair(b.base_offset + static_cast<int64_t>(i), b.epoch);
        auto [it, inserted] = records_.emplace(key, b.records[i]);
        if (!inserted && it->second != b.records[i])
          fail("two different records at offset " + std::to_string(key.first) + " in epoch " + std::to_string(key.second));
      }
      d.log.push_back(b);
    } else if (const auto* t = std::get_if<TruncateTo>(&op)) {
      ++result_.truncations;
      while (!d.log.empty() && d.log.back().base_offset >= t->offset) {
        // Only records that diverge from the leader's go; a committed one never does.
        const Batch& b = d.log.back();
        for (int64_t o = b.base_offset; o < b.end_offset() && o < static_cast<int64_t>(committed_.size()); ++o) {
          const CommittedRecord& c = committed_[static_cast<size_t>(o)];
          if (c.epoch == b.epoch && c.payload == b.records[static_cast<size_t>(o - b.base_offset)])
            return (void)fail("node " + std::to_string(n.id) + " truncated the committed record at " + std::to_string(o));
        }
        d.log.pop_back();
      }
      d.synced_end = std::min(d.synced_end, t->offset);
    } else if (const auto* s = std::get_if<InstallSnapshot>(&op)) {
      ++result_.snapshots_installed;
      d.snapshot = s->snapshot;
      d.log.clear();
      d.synced_end = s->snapshot.id.offset;
      n.applied = decode_state(s->snapshot.data);
      n.applied_end = s->snapshot.id.offset;
      n.last_snapshot = n.applied_end;
      check_applied(n, 0);
    } else if (const auto* del = std::get_if<DeleteBelow>(&op)) {
      while (!d.log.empty() && d.log.front().end_offset() <= del->offset) d.log.erase(d.log.begin());
    }
  }

  // A vote granted, a candidacy and a leadership are durable before anyone hears of them.
  void check_durable_before_send(const Node& n, const Message& m) {
    const QuorumStateRecord& s = n.disk.quorum_state;
    if (const auto* v = std::get_if<VoteResponse>(&m.body)) {
      if (v->vote_granted && !v->pre_vote && (s.epoch != v->leader_epoch || s.voted_id != m.to))
        fail("node " + std::to_string(n.id) + " granted its vote in epoch " + std::to_string(v->leader_epoch) +
             " before persisting it");
    } else if (const auto* r = std::get_if<VoteRequest>(&m.body)) {
      if (!r->pre_vote && (s.epoch != r->candidate_epoch || s.voted_id != n.id))
        fail("node " + std::to_string(n.id) + " asked for votes before persisting its candidacy");
    } else if (const auto* b = std::get_if<BeginQuorumEpochRequest>(&m.body)) {
      if (s.epoch != b->leader_epoch || s.leader_id != n.id)
        fail("node " + std::to_string(n.id) + " announced its leadership before persisting it");
    }
  }

  void apply_committed(Node& n) {
    RaftNode& core = *n.core;
    const int64_t hw = core.high_watermark();
    committed_end_ = std::max(committed_end_, hw);
    result_.committed = std::max(result_.committed, hw);
    const size_t before = n.applied.size();
    while (n.applied_end < hw) {
      const Batch* b = core.log().batch_at(n.applied_end);
      if (b == nullptr) {
        fail("node " + std::to_string(n.id) + " has no record at " + std::to_string(n.applied_end) +
             " below its high watermark " + std::to_string(hw));
        return;
      }
      for (int64_t o = n.applied_end; o < b->end_offset(); ++o) {
        const std::string& payload = b->records[static_cast<size_t>(o - b->base_offset)];
        // State machine safety: the record at a committed offset is the same everywhere, always.
        if (static_cast<int64_t>(committed_.size()) <= o) committed_.resize(static_cast<size_t>(o) + 1);
        CommittedRecord& c = committed_[static_cast<size_t>(o)];
        if (c.payload.empty()) c = CommittedRecord{b->epoch, payload};
        else if (c.epoch != b->epoch || c.payload != payload)
          return (void)fail("node " + std::to_string(n.id) + " applied " + payload + " at " + std::to_string(o) +
                            " where " + c.payload + " was committed");
        if (!b->control) n.applied.emplace_back(o, payload);
      }
      n.applied_end = b->end_offset();
    }
    check_applied(n, before);
    if (n.applied_end - n.last_snapshot >= snapshot_every_) {
      Snapshot s;
      s.id.offset = n.applied_end;
      const Batch* last = core.log().batch_at(n.applied_end - 1);
      s.id.epoch = last ? last->epoch : core.log().last_epoch();
      s.data = encode_state(n.applied);
      n.disk.snapshot = s;
      n.last_snapshot = n.applied_end;
      core.snapshot_created(std::move(s));
      Ready r = core.take_ready();
      for (const LogOp& op : r.log_ops) apply_log_op(n, op);
    }
  }

  void check_applied(const Node& n, size_t from) {
    for (size_t i = from; i < n.applied.size(); ++i) {
      const auto& [o, payload] = n.applied[i];
      if (o < static_cast<int64_t>(committed_.size()) && !committed_[static_cast<size_t>(o)].payload.empty() &&
          committed_[static_cast<size_t>(o)].payload != payload)
        return (void)fail("node " + std::to_string(n.id) + " state holds " + payload + " at " + std::to_string(o) +
                          " where " + committed_[static_cast<size_t>(o)].payload + " was committed");
    }
  }

  void check_node(Node& n) {
    RaftNode& core = *n.core;
    if (core.epoch() < n.max_epoch)
      return (void)fail("node " + std::to_string(n.id) + " went back from epoch " + std::to_string(n.max_epoch) +
                        " to " + std::to_string(core.epoch()));
    n.max_epoch = core.epoch();
    result_.max_epoch = std::max(result_.max_epoch, core.epoch());
    if (core.role() == Role::leader) {
      auto [it, inserted] = leaders_.emplace(core.epoch(), n.id);
      if (!inserted && it->second != n.id)
        return (void)fail("two leaders in epoch " + std::to_string(core.epoch()) + ": " + std::to_string(it->second) +
                          " and " + std::to_string(n.id));
      if (n.last_role != Role::leader) check_leader_completeness(n);
    }
    if (core.role() != n.last_role)
      trace("node " + std::to_string(n.id) + " " + role_name(n.last_role) + " -> " + role_name(core.role()) +
            " epoch " + std::to_string(core.epoch()));
    n.last_role = core.role();
  }

  // Leader completeness: a new leader holds every record ever committed.
  void check_leader_completeness(const Node& n) {
    const RaftLog& log = n.core->log();
    const int64_t end = std::min<int64_t>(committed_end_, static_cast<int64_t>(committed_.size()));
    if (log.end_offset() < committed_end_)
      return (void)fail("leader " + std::to_string(n.id) + " of epoch " + std::to_string(n.core->epoch()) +
                        " ends at " + std::to_string(log.end_offset()) + ", below the committed " +
                        std::to_string(committed_end_));
    for (int64_t o = log.start_offset(); o < end; ++o) {
      const CommittedRecord& c = committed_[static_cast<size_t>(o)];
      if (c.payload.empty()) continue;
      const Batch* b = log.batch_at(o);
      if (!b || b->epoch != c.epoch || b->records[static_cast<size_t>(o - b->base_offset)] != c.payload)
        return (void)fail("leader " + std::to_string(n.id) + " of epoch " + std::to_string(n.core->epoch()) +
                          " lost the committed record at " + std::to_string(o));
    }
  }

  // Log matching: two logs that hold a record with the same offset and epoch agree on everything
  // before it.
  void check_log_matching() {
    std::vector<const Node*> up;
    for (auto& n : nodes_)
      if (n->up) up.push_back(n.get());
    for (size_t i = 0; i < up.size(); ++i)
      for (size_t j = i + 1; j < up.size(); ++j) {
        const RaftLog& a = up[i]->core->log();
        const RaftLog& b = up[j]->core->log();
        const int64_t lo = std::max(a.start_offset(), b.start_offset());
        bool matched = false;
        for (int64_t o = std::min(a.end_offset(), b.end_offset()) - 1; o >= lo; --o) {
          const Batch* x = a.batch_at(o);
          const Batch* y = b.batch_at(o);
          if (!matched && x->epoch == y->epoch) matched = true;
          if (matched && (x->epoch != y->epoch || x->records[static_cast<size_t>(o - x->base_offset)] !=
                                                       y->records[static_cast<size_t>(o - y->base_offset)]))
            return (void)fail("logs of nodes " + std::to_string(up[i]->id) + " and " + std::to_string(up[j]->id) +
                              " match at a later offset but differ at " + std::to_string(o));
        }
      }
  }

  int64_t propose(const std::string& payload) {
    for (auto& n : nodes_) {
      if (!n->up || n->core->role() != Role::leader) continue;
      std::vector<std::string> records{payload};
      const int64_t extra = payload[0] == 'p' ? rng_.range(0, 2) : 0;
      for (int64_t i = 0; i < extra; ++i) records.push_back(payload + "." + std::to_string(i));
      auto offset = n->core->propose(std::move(records));
      after_step(*n);
      if (offset) return *offset;
    }
    return -1;
  }

  bool leader_holds(const std::string& payload, int64_t offset) {
    for (auto& n : nodes_) {
      if (!n->up || n->core->role() != Role::leader) continue;
      const Batch* b = n->core->log().batch_at(offset);
      if (b && b->records[static_cast<size_t>(offset - b->base_offset)] == payload) return true;
      if (offset < n->core->log().start_offset()) return true;
    }
    return false;
  }

  std::string describe_nodes() const {
    std::string out;
    for (const auto& n : nodes_) {
      if (!out.empty()) out += "; ";
      out += "node " + std::to_string(n->id);
      if (!n->up) {
        out += " down";
        continue;
      }
      const RaftNode& c = *n->core;
      out += std::string(" ") + role_name(c.role()) + " epoch " + std::to_string(c.epoch()) + " leader " +
             std::to_string(c.leader_id()) + " log [" + std::to_string(c.log().start_offset()) + ", " +
             std::to_string(c.log().end_offset()) + ") hw " + std::to_string(c.high_watermark()) + " applied " +
             std::to_string(n->applied_end) + " synced " + std::to_string(n->disk.synced_end) + (n->sync_scheduled ? "+" : "");
    }
    return out;
  }

  bool everyone_applied(int64_t offset) {
    for (auto& n : nodes_)
      if (!n->up || n->applied_end <= offset) return false;
    return true;
  }

  Options options_;
  Rng rng_;
  Config config_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  uint64_t seq_ = 0;
  int64_t now_ = 0;
  std::map<int32_t, int> side_;
  double drop_ = 0;
  double duplicate_ = 0;
  int64_t snapshot_every_ = 20;
  int64_t proposals_ = 0;
  Result result_;

  std::map<int32_t, int32_t> leaders_;                            // epoch -> leader
  std::map<std::pair<int64_t, int32_t>, std::string> records_;    // (offset, epoch) -> record
  std::vector<CommittedRecord> committed_;                        // by offset, as first applied
  int64_t committed_end_ = 0;
};

}  // namespace

Result run(const Options& options) { return Simulation(options).run(); }

std::string replay_command(const Options& o) {
  return "raft_sim --seed " + std::to_string(o.seed) + " --voters " + std::to_string(o.voters) + " --observers " +
         std::to_string(o.observers) + " --chaos-ms " + std::to_string(o.chaos_ms) + " --liveness-ms " +
         std::to_string(o.liveness_ms);
}

}  // namespace gregor::raft::sim
