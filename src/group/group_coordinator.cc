#include "group/group_coordinator.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <utility>

#include "protocol/generated/message/consumer_protocol_subscription.h"
#include "protocol/message_support.h"

namespace gregor::group {

const char* state_name(GroupState state) {
  switch (state) {
    case GroupState::empty: return "Empty";
    case GroupState::preparing_rebalance: return "PreparingRebalance";
    case GroupState::completing_rebalance: return "CompletingRebalance";
    case GroupState::stable: return "Stable";
    case GroupState::dead: return "Dead";
  }
  return "Unknown";
}

struct GroupCoordinator::Member {
  std::string id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  int32_t session_timeout_ms = 0;
  std::string protocol_type;
  std::vector<std::pair<std::string, Bytes>> protocols;  // in the member's order of preference
  Bytes assignment;
  uint64_t joined = 0;  // join order: the first member to join leads
  bool is_new = false;  // joined in the current rebalance
  std::optional<RequestId> awaiting_join;
  int16_t join_version = 0;
  std::optional<RequestId> awaiting_sync;

  const Bytes* metadata(const std::string& protocol) const {
    for (const auto& [name, metadata] : protocols) {
      if (name == protocol) return &metadata;
    }
    return nullptr;
  }
};

struct GroupCoordinator::Group {
  std::string id;
  GroupState state = GroupState::empty;
  int64_t state_timestamp = -1;
  int32_t generation = 0;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::optional<std::string> leader;
  std::map<std::string, Member> members;
  std::map<std::string, std::string> static_members;  // group.instance.id -> member id
  std::set<std::string> pending_members;               // told MEMBER_ID_REQUIRED, not joined yet
  std::set<std::string> pending_sync;                  // joined this generation, not synced yet
  bool initial_delay = false;                          // the join waits for group.initial.rebalance.delay.ms
  bool new_member_added = false;                       // a member joined during the initial delay
  int64_t initial_delay_budget_ms = 0;                 // what is left of the rebalance timeout
  struct Offset {
    protocol::OffsetCommitValue value;
  };
  std::map<std::pair<std::string, int32_t>, Offset> offsets;
  std::unique_ptr<ConsumerGroup> consumer;  // set: the id is a KIP-848 consumer group's

  bool has_member(const std::string& member_id) const { return members.count(member_id) != 0; }
  // KIP-345: the instance id belongs to another member id, so this one is fenced.
  bool fenced(const std::optional<std::string>& instance_id, const std::string& member_id) const {
    if (!instance_id) return false;
    auto known = static_members.find(*instance_id);
    return known != static_members.end() && known->second != member_id;
  }
  size_t awaiting_join_count() const {
    return static_cast<size_t>(std::count_if(members.begin(), members.end(),
                                             [](const auto& m) { return m.second.awaiting_join.has_value(); }));
  }
  bool all_joined() const { return awaiting_join_count() == members.size() && pending_members.empty(); }
  int32_t rebalance_timeout_ms() const {
    int32_t t = 0;
    for (const auto& [id, m] : members) t = std::max(t, m.rebalance_timeout_ms);
    return t;
  }
  // Every member supports one of the protocols of the type.
  bool supports(const std::string& type, const std::vector<std::string>& protocols) const {
    if (members.empty()) return !type.empty() && !protocols.empty();
    if (protocol_type != type) return false;
    for (const std::string& p : candidates()) {
      if (std::find(protocols.begin(), protocols.end(), p) != protocols.end()) return true;
    }
    return false;
  }
  // The protocols every member supports, in the first member's order.
  std::vector<std::string> candidates() const {
    std::vector<std::string> out;
    if (members.empty()) return out;
    for (const auto& protocol : members.begin()->second.protocols) {
      const std::string& name = protocol.first;  // not a structured binding: lambdas capture it
      bool everyone = std::all_of(members.begin(), members.end(),
                                  [&](const auto& m) { return m.second.metadata(name) != nullptr; });
      if (everyone) out.push_back(name);
    }
    return out;
  }
  // Each member votes for the first of the candidates it lists; the most votes win.
  std::optional<std::string> select_protocol() const {
    std::vector<std::string> options = candidates();
    if (options.empty()) return std::nullopt;
    std::map<std::string, int> votes;
    for (const auto& [id, m] : members) {
      for (const auto& [name, metadata] : m.protocols) {
        if (std::find(options.begin(), options.end(), name) != options.end()) {
          ++votes[name];
          break;
        }
      }
    }
    std::string best = options.front();
    for (const std::string& o : options) {
      if (votes[o] > votes[best]) best = o;
    }
    return best;
  }
  // The topics the members subscribe to, when they speak the consumer protocol.
  std::optional<std::set<std::string>> subscribed_topics() const {
    if (protocol_type != "consumer" || !protocol_name) return std::nullopt;
    std::set<std::string> topics;
    for (const auto& [id, m] : members) {
      const Bytes* metadata = m.metadata(*protocol_name);
      if (!metadata || metadata->size() < 2) return std::nullopt;
      ByteReader r{BytesView(*metadata)};
      int16_t version = std::min<int16_t>(r.read_int16("version"), 3);
      if (version < 0) return std::nullopt;
      auto sub = protocol::decode_message<protocol::ConsumerProtocolSubscription>(
          BytesView(*metadata).subview(2, metadata->size() - 2), version, protocol::TrailingBytes::ignore);
      if (!sub.ok()) return std::nullopt;
      topics.insert(sub->topics.begin(), sub->topics.end());
    }
    return topics;
  }
};

namespace {

int16_t code(ErrorCode e) { return static_cast<int16_t>(e); }

// A member id as Kafka makes them: the client id, a dash and a random UUID.
std::string new_member_id(const std::string& client_id, uint64_t& state) {
  auto next = [&state] {  // splitmix64
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  uint64_t hi = next(), lo = next();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                          // version 4
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);          // IETF variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return client_id + "-" + buf;
}

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

}  // namespace

GroupCoordinator::GroupCoordinator(GroupConfig config, int32_t partition, uint64_t random_seed)
    : config_(config), partition_(partition), random_(random_seed) {
  auto lookup = [this](const std::string& group_id) -> const ConsumerGroup* {
    const Group* g = find(group_id);
    return g ? g->consumer.get() : nullptr;
  };
  auto fits = [this](const std::vector<ConsumerGroupRecord>& records) {
    size_t bytes = reserved_bytes_;
    for (const ConsumerGroupRecord& r : records) bytes += record_bytes(consumer_group_record(r));
    return this->fits(bytes);
  };
  consumer_ = std::make_unique<ConsumerGroupManager>(config_.consumer, lookup, fits,
                                                     random_seed ^ 0x6b69703834380000ULL);
}

GroupCoordinator::~GroupCoordinator() = default;

size_t GroupCoordinator::group_count() const { return groups_.size(); }

GroupCoordinator::Group* GroupCoordinator::find(const std::string& group_id) {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.get();
}

const GroupCoordinator::Group* GroupCoordinator::find(const std::string& group_id) const {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.get();
}

GroupCoordinator::Group& GroupCoordinator::create(const std::string& group_id, int64_t now) {
  auto& g = groups_[group_id];
  g = std::make_unique<Group>();
  g->id = group_id;
  g->state_timestamp = now;
  return *g;
}

void GroupCoordinator::set_state(Group& g, GroupState state, int64_t now) {
  g.state = state;
  g.state_timestamp = now;
}

std::vector<Record> GroupCoordinator::take_records() {
  measured_records_ = measured_bytes_ = 0;
  return std::exchange(records_, {});
}
std::vector<GroupCoordinator::Reply> GroupCoordinator::take_replies() { return std::exchange(replies_, {}); }

// ---------------------------------------------------------------------------------------------
// Loading

Status GroupCoordinator::replay(BytesView key, std::optional<BytesView> value) {
  auto decoded = decode_record(key, value);
  if (!decoded.ok()) return Status(ErrorCode::corrupt_message, "__consumer_offsets-" + std::to_string(partition_) + ": " +
                                               decoded.error().to_string());
  if (auto* offset = std::get_if<OffsetCommitRecord>(&*decoded)) {
    Group* g = find(offset->group);
    if (!offset->value) {
      if (g) g->offsets.erase({offset->topic, offset->partition});
      return Status();
    }
    // Offsets alone make an empty group, as standalone consumers' commits do.
    if (!g) g = &create(offset->group, offset->value->commit_timestamp);
    g->offsets[{offset->topic, offset->partition}] = Group::Offset{*offset->value};
    return Status();
  }
  if (auto* consumer = std::get_if<ConsumerGroupRecord>(&*decoded)) {
    apply_consumer(*consumer, false);
    return Status();
  }
  if (auto* metadata = std::get_if<GroupMetadataRecord>(&*decoded)) {
    if (!metadata->value) {
      // Offsets outlive the group's metadata when the id moved to a consumer group.
      Group* g = find(metadata->group);
      if (g && (!g->offsets.empty() || g->consumer)) {
        reset_classic(*g, g->state_timestamp);
      } else {
        groups_.erase(metadata->group);
      }
      return Status();
    }
    const protocol::GroupMetadataValue& v = *metadata->value;
    Group* g = find(metadata->group);
    if (!g) g = &create(metadata->group, v.current_state_timestamp);
    g->members.clear();
    g->static_members.clear();
    g->generation = v.generation;
    g->protocol_type = v.protocol_type;
    g->protocol_name = v.protocol;
    g->leader = v.leader;
    g->state = v.members.empty() ? GroupState::empty : GroupState::stable;
    g->state_timestamp = v.current_state_timestamp;
    for (const auto& mm : v.members) {
      Member m;
      m.id = mm.member_id;
      m.instance_id = mm.group_instance_id;
      m.client_id = mm.client_id;
      m.client_host = mm.client_host;
      m.rebalance_timeout_ms = mm.rebalance_timeout >= 0 ? mm.rebalance_timeout : mm.session_timeout;
      m.session_timeout_ms = mm.session_timeout;
      m.protocol_type = v.protocol_type;
      if (v.protocol) m.protocols.emplace_back(*v.protocol, mm.subscription);
      m.assignment = mm.assignment;
      m.joined = next_member_++;
      if (m.instance_id) g->static_members[*m.instance_id] = m.id;
      g->members.emplace(m.id, std::move(m));
    }
    return Status();
  }
  return Status();  // share groups and regular expressions are not kept
}

void GroupCoordinator::finish_loading(int64_t now) {
  // Every loaded member gets a full session from now to show it is still there.
  for (auto& [id, g] : groups_) {
    for (auto& [mid, m] : g->members) schedule_heartbeat(*g, m, now);
    if (g->consumer) consumer_->on_loaded(*g->consumer, now);
  }
  timers_.schedule({TimerKind::expire_offsets, "", ""}, now + config_.offsets_retention_check_interval_ms);
}

// ---------------------------------------------------------------------------------------------
// Replies

protocol::JoinGroupResponse GroupCoordinator::join_response(const Group& g, const Member& m, bool with_members) const {
  protocol::JoinGroupResponse r;
  r.generation_id = g.generation;
  if (m.join_version >= 7) r.protocol_type = g.protocol_type;
  r.protocol_name = g.protocol_name.value_or("");
  r.leader = g.leader.value_or("");
  r.member_id = m.id;
  if (with_members && g.protocol_name) {
    for (const auto& [id, member] : g.members) {
      auto& out = r.members.emplace_back();
      out.member_id = id;
      if (m.join_version >= 5) out.group_instance_id = member.instance_id;
      if (const Bytes* metadata = member.metadata(*g.protocol_name)) out.metadata = *metadata;
    }
  }
  return r;
}

void GroupCoordinator::reply_join(Member& m, protocol::JoinGroupResponse response) {
  if (!m.awaiting_join) return;
  replies_.push_back(Reply{*m.awaiting_join, std::move(response)});
  m.awaiting_join.reset();
}

void GroupCoordinator::reply_join_error(RequestId id, int16_t version, ErrorCode error, const std::string& member_id) {
  protocol::JoinGroupResponse r;
  r.error_code = code(error);
  r.generation_id = -1;
  r.protocol_name = version >= 7 ? std::nullopt : std::optional<std::string>("");
  r.member_id = member_id;
  replies_.push_back(Reply{id, std::move(r)});
}

void GroupCoordinator::reply_sync(Member& m, protocol::SyncGroupResponse response) {
  if (!m.awaiting_sync) return;
  replies_.push_back(Reply{*m.awaiting_sync, std::move(response)});
  m.awaiting_sync.reset();
}

void GroupCoordinator::reply_sync_error(RequestId id, ErrorCode error) {
  protocol::SyncGroupResponse r;
  r.error_code = code(error);
  replies_.push_back(Reply{id, std::move(r)});
}

// ---------------------------------------------------------------------------------------------
// JoinGroup

void GroupCoordinator::join_group(RequestId id, const protocol::JoinGroupRequest& request, int16_t version,
                                  const Client& client, int64_t now) {
  if (request.group_id.empty()) return reply_join_error(id, version, ErrorCode::invalid_group_id);
  if (request.session_timeout_ms < config_.min_session_timeout_ms ||
      request.session_timeout_ms > config_.max_session_timeout_ms) {
    return reply_join_error(id, version, ErrorCode::invalid_session_timeout, request.member_id);
  }
  const bool unknown = request.member_id.empty();
  if (const Group* existing = find(request.group_id); !existing || existing->members.empty()) {
    // The group's record, which it writes whenever it is empty again, must fit the offsets
    // partition; Kafka writes it at once for a new group and answers a failed write so.
    protocol::GroupMetadataValue empty;
    empty.protocol_type = request.protocol_type;
    if (!fits(record_bytes(group_metadata_record(request.group_id, empty)))) {
      return reply_join_error(id, version, ErrorCode::unknown_server_error, request.member_id);
    }
  }
  if (Group* cg = find(request.group_id); cg && cg->consumer) {
    // A consumer group's id: an empty one gives way to a classic group, as in Kafka. Classic
    // members do not join a consumer group here.
    if (!cg->consumer->empty()) {
      return reply_join_error(id, version, ErrorCode::inconsistent_group_protocol, request.member_id);
    }
    drop_consumer_group(*cg);
  }
  Group* g = find(request.group_id);
  if (!g) {
    if (!unknown) return reply_join_error(id, version, ErrorCode::unknown_member_id, request.member_id);
    g = &create(request.group_id, now);
  }
  if (g->state == GroupState::dead) {
    // Deleted while the request was on its way: the client finds the coordinator again.
    return reply_join_error(id, version, ErrorCode::coordinator_not_available, request.member_id);
  }
  std::vector<std::string> names;
  for (const auto& p : request.protocols) names.push_back(p.name);
  if (!g->supports(request.protocol_type, names)) {
    return reply_join_error(id, version, ErrorCode::inconsistent_group_protocol, request.member_id);
  }
  if (unknown) {
    join_unknown_member(*g, id, request, version, client, now);
  } else {
    join_known_member(*g, id, request, version, client, now);
  }
}

void GroupCoordinator::join_unknown_member(Group& g, RequestId id, const protocol::JoinGroupRequest& request,
                                           int16_t version, const Client& client, int64_t now) {
  if (request.group_instance_id) {
    auto known = g.static_members.find(*request.group_instance_id);
    if (known != g.static_members.end()) {
      return replace_static_member(g, g.members.at(known->second), id, request, version, client, now);
    }
  }
  if (g.members.size() + g.pending_members.size() >= static_cast<size_t>(config_.max_size)) {
    return reply_join_error(id, version, ErrorCode::group_max_size_reached);
  }
  const std::string member_id = new_member_id(client.client_id, random_);
  if (!request.group_instance_id && version >= 4) {
    // KIP-394: a dynamic member must come back with the id it is given, so that a client that
    // lost the response does not leave a phantom member behind.
    g.pending_members.insert(member_id);
    timers_.schedule({TimerKind::pending_member, g.id, member_id}, now + request.session_timeout_ms);
    return reply_join_error(id, version, ErrorCode::member_id_required, member_id);
  }
  add_member_and_rebalance(g, id, request, version, client, member_id, now);
}

void GroupCoordinator::join_known_member(Group& g, RequestId id, const protocol::JoinGroupRequest& request,
                                         int16_t version, const Client& client, int64_t now) {
  const std::string& member_id = request.member_id;
  if (g.pending_members.erase(member_id)) {
    timers_.cancel({TimerKind::pending_member, g.id, member_id});
    return add_member_and_rebalance(g, id, request, version, client, member_id, now);
  }
  auto it = g.members.find(member_id);
  if (g.fenced(request.group_instance_id, member_id)) {
    return reply_join_error(id, version, ErrorCode::fenced_instance_id, member_id);
  }
  if (it == g.members.end()) return reply_join_error(id, version, ErrorCode::unknown_member_id, member_id);
  Member& m = it->second;
  if (m.instance_id != request.group_instance_id) {
    return reply_join_error(id, version, ErrorCode::fenced_instance_id, member_id);
  }
  std::vector<std::pair<std::string, Bytes>> protocols;
  for (const auto& p : request.protocols) protocols.emplace_back(p.name, p.metadata);
  const bool same = protocols == m.protocols;
  switch (g.state) {
    case GroupState::preparing_rebalance:
      update_member_and_rebalance(g, m, id, request, version, now);
      return;
    case GroupState::completing_rebalance:
      if (same) {
        // A retried join of the current generation: the same answer again.
        m.awaiting_join = id;
        m.join_version = version;
        reply_join(m, join_response(g, m, g.leader == m.id));
        return;
      }
      update_member_and_rebalance(g, m, id, request, version, now);
      return;
    case GroupState::stable:
      if (g.leader == m.id || !same) {
        // The leader rejoins to rebalance (say, for a new topic); new metadata rebalances too.
        update_member_and_rebalance(g, m, id, request, version, now);
        return;
      }
      m.awaiting_join = id;
      m.join_version = version;
      schedule_heartbeat(g, m, now);
      reply_join(m, join_response(g, m, false));
      return;
    case GroupState::empty:
    case GroupState::dead:
      return reply_join_error(id, version, ErrorCode::unknown_member_id, member_id);
  }
}

void GroupCoordinator::replace_static_member(Group& g, Member& old, RequestId id,
                                             const protocol::JoinGroupRequest& request, int16_t version,
                                             const Client& client, int64_t now) {
  // KIP-345: the instance is back under a new member id. The old id is fenced: a request it still
  // has waiting is answered FENCED_INSTANCE_ID.
  const std::string old_id = old.id;
  const std::string new_id = new_member_id(client.client_id, random_);
  std::vector<std::pair<std::string, Bytes>> protocols;
  for (const auto& p : request.protocols) protocols.emplace_back(p.name, p.metadata);
  const bool was_leader = g.leader == old_id;
  // As Kafka's updateMember, the member's protocols are the new ones before anything is chosen.
  // In a stable group only a change of the protocol the group would select next forces a
  // rebalance: new metadata alone (a fresh consumer's subscription names no owned partitions and
  // no generation) keeps the assignment.
  std::vector<std::pair<std::string, Bytes>> previous = std::exchange(old.protocols, protocols);
  const bool keeps_assignment = g.state == GroupState::stable && g.protocol_name &&
                                g.select_protocol() == g.protocol_name && !(was_leader && version < 9);
  if (keeps_assignment) {
    // The group's record is written again under the new id: it must fit the offsets partition,
    // or nothing changes (Kafka puts the old member back when that write fails).
    protocol::GroupMetadataValue value = group_value(g);
    if (was_leader) value.leader = new_id;
    for (auto& member : value.members) {
      if (member.member_id != old_id) continue;
      member.member_id = new_id;
      member.client_id = client.client_id;
      member.client_host = client.host;
    }
    if (!fits(record_bytes(group_metadata_record(g.id, value)))) {
      old.protocols = std::move(previous);
      return reply_join_error(id, version, ErrorCode::unknown_server_error);
    }
  }
  Member m = std::move(old);
  g.members.erase(old_id);
  timers_.cancel({TimerKind::heartbeat, g.id, old_id});
  if (m.awaiting_join) reply_join_error(*m.awaiting_join, m.join_version, ErrorCode::fenced_instance_id, old_id);
  if (m.awaiting_sync) reply_sync_error(*m.awaiting_sync, ErrorCode::fenced_instance_id);
  m.awaiting_join.reset();
  m.awaiting_sync.reset();
  m.id = new_id;
  m.client_id = client.client_id;
  m.client_host = client.host;
  if (was_leader) g.leader = m.id;
  if (g.pending_sync.erase(old_id)) g.pending_sync.insert(m.id);
  g.static_members[*request.group_instance_id] = m.id;
  Member& placed = g.members.emplace(m.id, std::move(m)).first->second;
  placed.rebalance_timeout_ms = request.rebalance_timeout_ms >= 0 ? request.rebalance_timeout_ms : request.session_timeout_ms;
  placed.session_timeout_ms = request.session_timeout_ms;
  placed.awaiting_join = id;
  placed.join_version = version;
  switch (g.state) {
    case GroupState::stable:
      if (keeps_assignment) {
        // Rejoined with nothing changed: no rebalance. The group's record names the new id first.
        store_group(g);
        schedule_heartbeat(g, placed, now);
        auto r = join_response(g, placed, was_leader);
        if (was_leader) r.skip_assignment = true;  // v9+: the leader keeps the current assignment
        reply_join(placed, std::move(r));
        return;
      }
      placed.protocols = std::move(protocols);
      prepare_rebalance(g, now);
      return;
    case GroupState::preparing_rebalance:
      placed.protocols = std::move(protocols);
      maybe_complete_join(g, now);
      return;
    case GroupState::completing_rebalance:
    case GroupState::empty:
    case GroupState::dead:
      placed.protocols = std::move(protocols);
      prepare_rebalance(g, now);
      return;
  }
}

void GroupCoordinator::add_member_and_rebalance(Group& g, RequestId id, const protocol::JoinGroupRequest& request,
                                                int16_t version, const Client& client, const std::string& member_id,
                                                int64_t now) {
  Member m;
  m.id = member_id;
  m.instance_id = request.group_instance_id;
  m.client_id = client.client_id;
  m.client_host = client.host;
  m.rebalance_timeout_ms = request.rebalance_timeout_ms >= 0 ? request.rebalance_timeout_ms : request.session_timeout_ms;
  m.session_timeout_ms = request.session_timeout_ms;
  m.protocol_type = request.protocol_type;
  for (const auto& p : request.protocols) m.protocols.emplace_back(p.name, p.metadata);
  m.joined = next_member_++;
  m.is_new = true;
  m.awaiting_join = id;
  m.join_version = version;
  if (g.members.empty()) g.protocol_type = request.protocol_type;
  if (!g.leader) g.leader = member_id;
  if (m.instance_id) g.static_members[*m.instance_id] = member_id;
  Member& placed = g.members.emplace(member_id, std::move(m)).first->second;
  // A new member that never completes its join is dropped after the new-member timeout.
  timers_.schedule({TimerKind::heartbeat, g.id, member_id}, now + config_.new_member_join_timeout_ms);
  (void)placed;
  if (g.state == GroupState::preparing_rebalance) {
    if (g.initial_delay) g.new_member_added = true;
    maybe_complete_join(g, now);
  } else {
    prepare_rebalance(g, now);
  }
}

void GroupCoordinator::update_member_and_rebalance(Group& g, Member& m, RequestId id,
                                                   const protocol::JoinGroupRequest& request, int16_t version,
                                                   int64_t now) {
  if (m.awaiting_join && *m.awaiting_join != id) {
    // A second join from the same member replaces the first, which is told to rejoin.
    reply_join_error(*m.awaiting_join, m.join_version, ErrorCode::rebalance_in_progress, m.id);
  }
  m.protocols.clear();
  for (const auto& p : request.protocols) m.protocols.emplace_back(p.name, p.metadata);
  m.rebalance_timeout_ms = request.rebalance_timeout_ms >= 0 ? request.rebalance_timeout_ms : request.session_timeout_ms;
  m.session_timeout_ms = request.session_timeout_ms;
  m.awaiting_join = id;
  m.join_version = version;
  schedule_heartbeat(g, m, now);
  if (g.state == GroupState::preparing_rebalance) {
    maybe_complete_join(g, now);
  } else {
    prepare_rebalance(g, now);
  }
}

void GroupCoordinator::prepare_rebalance(Group& g, int64_t now) {
  if (g.state == GroupState::completing_rebalance) {
    // The assignment being made is void: members waiting in SyncGroup rejoin.
    for (auto& [id, m] : g.members) {
      protocol::SyncGroupResponse r;
      r.error_code = code(ErrorCode::rebalance_in_progress);
      reply_sync(m, std::move(r));
      m.assignment.clear();
    }
  }
  g.pending_sync.clear();
  timers_.cancel({TimerKind::sync, g.id, ""});
  if (g.state == GroupState::empty) {
    // group.initial.rebalance.delay.ms: let more of a starting group arrive before the first
    // assignment, extended while members keep coming, up to the rebalance timeout.
    g.initial_delay = config_.initial_rebalance_delay_ms > 0;
    g.new_member_added = false;
    g.initial_delay_budget_ms = std::max<int64_t>(g.rebalance_timeout_ms() - config_.initial_rebalance_delay_ms, 0);
    timers_.schedule({TimerKind::join, g.id, ""}, now + config_.initial_rebalance_delay_ms);
  } else {
    g.initial_delay = false;
    timers_.schedule({TimerKind::join, g.id, ""}, now + g.rebalance_timeout_ms());
  }
  set_state(g, GroupState::preparing_rebalance, now);
  maybe_complete_join(g, now);
}

void GroupCoordinator::maybe_complete_join(Group& g, int64_t now) {
  if (g.state != GroupState::preparing_rebalance || g.initial_delay) return;
  if (g.all_joined()) complete_join(g, now);
}

void GroupCoordinator::on_join_deadline(Group& g, int64_t now) {
  if (g.state != GroupState::preparing_rebalance) return;
  if (g.initial_delay) {
    if (g.new_member_added && g.initial_delay_budget_ms > 0) {
      const int64_t delay = std::min<int64_t>(config_.initial_rebalance_delay_ms, g.initial_delay_budget_ms);
      g.initial_delay_budget_ms -= delay;
      g.new_member_added = false;
      timers_.schedule({TimerKind::join, g.id, ""}, now + delay);
      return;
    }
    g.initial_delay = false;
  }
  complete_join(g, now);
}

void GroupCoordinator::complete_join(Group& g, int64_t now) {
  timers_.cancel({TimerKind::join, g.id, ""});
  // Members that did not rejoin in time are out.
  std::vector<std::string> gone;
  for (const auto& [id, m] : g.members) {
    if (!m.awaiting_join) gone.push_back(id);
  }
  for (const std::string& id : gone) remove_member(g, id, now);
  ++g.generation;
  if (g.members.empty()) {
    g.protocol_name.reset();
    g.leader.reset();
    set_state(g, GroupState::empty, now);
    store_group(g);
    return;
  }
  g.protocol_name = g.select_protocol();
  if (!g.leader || !g.has_member(*g.leader)) {
    auto first = std::min_element(g.members.begin(), g.members.end(),
                                  [](const auto& a, const auto& b) { return a.second.joined < b.second.joined; });
    g.leader = first->first;
  }
  set_state(g, GroupState::completing_rebalance, now);
  for (auto& [id, m] : g.members) {
    m.is_new = false;
    g.pending_sync.insert(id);
    reply_join(m, join_response(g, m, g.leader == id));
    schedule_heartbeat(g, m, now);
  }
  // Every member must now sync within the rebalance timeout, or it is removed.
  timers_.schedule({TimerKind::sync, g.id, ""}, now + g.rebalance_timeout_ms());
}

// ---------------------------------------------------------------------------------------------
// SyncGroup

void GroupCoordinator::sync_group(RequestId id, const protocol::SyncGroupRequest& request, int16_t version,
                                  int64_t now) {
  Group* g = find(request.group_id);
  if (g && g->consumer) return reply_sync_error(id, consumer_member_error(*g, request.member_id, request.group_instance_id));
  if (!g || g->state == GroupState::dead) {
    return reply_sync_error(id, g ? ErrorCode::coordinator_not_available : ErrorCode::unknown_member_id);
  }
  if (g->fenced(request.group_instance_id, request.member_id)) {
    return reply_sync_error(id, ErrorCode::fenced_instance_id);
  }
  auto it = g->members.find(request.member_id);
  if (it == g->members.end()) return reply_sync_error(id, ErrorCode::unknown_member_id);
  Member& m = it->second;
  if (request.generation_id != g->generation) return reply_sync_error(id, ErrorCode::illegal_generation);
  if (version >= 5 && ((request.protocol_type && request.protocol_type != g->protocol_type) ||
                       (request.protocol_name && request.protocol_name != g->protocol_name))) {
    return reply_sync_error(id, ErrorCode::inconsistent_group_protocol);
  }
  auto answer = [&](Member& member) {
    protocol::SyncGroupResponse r;
    if (version >= 5) {
      r.protocol_type = g->protocol_type;
      r.protocol_name = g->protocol_name;
    }
    r.assignment = member.assignment;
    reply_sync(member, std::move(r));
  };
  switch (g->state) {
    case GroupState::empty:
      return reply_sync_error(id, ErrorCode::unknown_member_id);
    case GroupState::preparing_rebalance:
      return reply_sync_error(id, ErrorCode::rebalance_in_progress);
    case GroupState::completing_rebalance: {
      m.awaiting_sync = id;
      g->pending_sync.erase(m.id);
      schedule_heartbeat(*g, m, now);
      if (g->leader != m.id) return;  // followers wait for the leader's assignment
      // The group's record with the leader's assignment (members it leaves out get none).
      std::map<std::string, const Bytes*> assigned;
      for (const auto& a : request.assignments) assigned[a.member_id] = &a.assignment;
      protocol::GroupMetadataValue value = group_value(*g);
      value.current_state_timestamp = now;  // stable from now on
      for (auto& member : value.members) {
        auto a = assigned.find(member.member_id);
        member.assignment = a != assigned.end() ? *a->second : Bytes{};
      }
      Record record = group_metadata_record(g->id, value);
      if (!fits(record_bytes(record))) {
        // The offsets partition would refuse it. As Kafka's classic coordinator when storing the
        // assignment fails: the assignments are void, every member waiting in SyncGroup (the
        // leader too) gets the error a too large append maps to, and the group rebalances.
        for (auto& [mid, member] : g->members) {
          member.assignment.clear();
          protocol::SyncGroupResponse r;
          r.error_code = code(ErrorCode::unknown_server_error);
          reply_sync(member, std::move(r));
        }
        prepare_rebalance(*g, now);
        return;
      }
      for (auto& [mid, member] : g->members) {
        auto a = assigned.find(mid);
        member.assignment = a != assigned.end() ? *a->second : Bytes{};
      }
      set_state(*g, GroupState::stable, now);
      records_.push_back(std::move(record));
      for (auto& [mid, member] : g->members) {
        // Those that waited get a full session from their assignment on.
        if (member.awaiting_sync) schedule_heartbeat(*g, member, now);
        answer(member);
      }
      if (g->pending_sync.empty()) timers_.cancel({TimerKind::sync, g->id, ""});
      return;
    }
    case GroupState::stable:
      m.awaiting_sync = id;
      g->pending_sync.erase(m.id);
      if (g->pending_sync.empty()) timers_.cancel({TimerKind::sync, g->id, ""});
      schedule_heartbeat(*g, m, now);
      answer(m);
      return;
    case GroupState::dead:
      return reply_sync_error(id, ErrorCode::coordinator_not_available);
  }
}

void GroupCoordinator::on_sync_deadline(Group& g, int64_t now) {
  if (g.state != GroupState::completing_rebalance && g.state != GroupState::stable) return;
  if (g.pending_sync.empty()) return;
  // KIP-? Kafka removes the members that never synced, then rebalances without them.
  std::vector<std::string> late(g.pending_sync.begin(), g.pending_sync.end());
  g.pending_sync.clear();
  for (const std::string& id : late) remove_member(g, id, now);
  after_member_left(g, now);
}

// ---------------------------------------------------------------------------------------------
// Heartbeat, LeaveGroup, expiry

void GroupCoordinator::schedule_heartbeat(const Group& g, const Member& m, int64_t now) {
  timers_.schedule({TimerKind::heartbeat, g.id, m.id}, now + m.session_timeout_ms);
}

protocol::HeartbeatResponse GroupCoordinator::heartbeat(const protocol::HeartbeatRequest& request, int16_t version,
                                                        int64_t now) {
  (void)version;
  protocol::HeartbeatResponse r;
  Group* g = find(request.group_id);
  if (g && g->consumer) {
    r.error_code = code(consumer_member_error(*g, request.member_id, request.group_instance_id));
    return r;
  }
  if (!g) {
    r.error_code = code(ErrorCode::unknown_member_id);
    return r;
  }
  if (g->state == GroupState::dead) {
    r.error_code = code(ErrorCode::coordinator_not_available);
    return r;
  }
  if (g->fenced(request.group_instance_id, request.member_id)) {
    r.error_code = code(ErrorCode::fenced_instance_id);
    return r;
  }
  auto it = g->members.find(request.member_id);
  if (g->state == GroupState::empty || it == g->members.end()) {
    r.error_code = code(ErrorCode::unknown_member_id);
    return r;
  }
  if (request.generation_id != g->generation) {
    r.error_code = code(ErrorCode::illegal_generation);
    return r;
  }
  schedule_heartbeat(*g, it->second, now);
  if (g->state == GroupState::preparing_rebalance) r.error_code = code(ErrorCode::rebalance_in_progress);
  return r;
}

protocol::LeaveGroupResponse GroupCoordinator::leave_group(const protocol::LeaveGroupRequest& request,
                                                           int16_t version, int64_t now) {
  protocol::LeaveGroupResponse r;
  Group* g = find(request.group_id);
  std::vector<protocol::LeaveGroupRequest::MemberIdentity> leaving = request.members;
  if (version < 3) {
    auto& one = leaving.emplace_back();
    one.member_id = request.member_id;
  }
  if (g && g->consumer) {
    // Consumer group members leave by heartbeat; none here speaks the classic protocol.
    for (const auto& who : leaving) {
      const ErrorCode error = consumer_member_error(*g, who.member_id, who.group_instance_id);
      if (version >= 3) {
        auto& out = r.members.emplace_back();
        out.member_id = who.member_id;
        out.group_instance_id = who.group_instance_id;
        out.error_code = code(error);
      } else {
        r.error_code = code(error);
      }
    }
    return r;
  }
  if (!g || g->state == GroupState::dead) {
    r.error_code = code(g ? ErrorCode::coordinator_not_available : ErrorCode::unknown_member_id);
    return r;
  }
  bool removed = false;
  for (const auto& who : leaving) {
    ErrorCode error = ErrorCode::none;
    std::string member_id = who.member_id;
    if (who.group_instance_id) {
      auto known = g->static_members.find(*who.group_instance_id);
      if (known == g->static_members.end()) {
        error = ErrorCode::unknown_member_id;
      } else if (!member_id.empty() && known->second != member_id) {
        error = ErrorCode::fenced_instance_id;
      } else {
        member_id = known->second;
      }
    }
    if (error == ErrorCode::none) {
      if (g->pending_members.erase(member_id)) {
        timers_.cancel({TimerKind::pending_member, g->id, member_id});
      } else if (g->has_member(member_id)) {
        remove_member(*g, member_id, now);
        removed = true;
      } else {
        error = ErrorCode::unknown_member_id;
      }
    }
    if (version >= 3) {
      auto& out = r.members.emplace_back();
      out.member_id = who.member_id;
      out.group_instance_id = who.group_instance_id;
      out.error_code = code(error);
    } else if (error != ErrorCode::none) {
      r.error_code = code(error);
    }
  }
  if (removed) after_member_left(*g, now);
  return r;
}

void GroupCoordinator::remove_member(Group& g, const std::string& member_id, int64_t now) {
  (void)now;
  auto it = g.members.find(member_id);
  if (it == g.members.end()) return;
  Member& m = it->second;
  if (m.awaiting_join) reply_join_error(*m.awaiting_join, m.join_version, ErrorCode::unknown_member_id, member_id);
  if (m.awaiting_sync) reply_sync_error(*m.awaiting_sync, ErrorCode::unknown_member_id);
  if (m.instance_id) {
    auto s = g.static_members.find(*m.instance_id);
    if (s != g.static_members.end() && s->second == member_id) g.static_members.erase(s);
  }
  timers_.cancel({TimerKind::heartbeat, g.id, member_id});
  g.pending_sync.erase(member_id);
  g.members.erase(it);
  if (g.leader == member_id) {
    g.leader.reset();
    if (!g.members.empty()) {
      auto first = std::min_element(g.members.begin(), g.members.end(),
                                    [](const auto& a, const auto& b) { return a.second.joined < b.second.joined; });
      g.leader = first->first;
    }
  }
}

void GroupCoordinator::after_member_left(Group& g, int64_t now) {
  switch (g.state) {
    case GroupState::preparing_rebalance:
      maybe_complete_join(g, now);
      return;
    case GroupState::completing_rebalance:
    case GroupState::stable:
      prepare_rebalance(g, now);
      return;
    case GroupState::empty:
    case GroupState::dead:
      return;
  }
}

void GroupCoordinator::tick(int64_t now) {
  // What one call writes goes out as one batch: once half of one is used, the deadlines left
  // stay due and the next call, at once, takes them.
  auto room = [this] { return pending_bytes() * 2 <= static_cast<size_t>(std::max(config_.max_record_batch_bytes, 0)); };
  while (room()) {
    std::vector<ConsumerGroupRecord> fenced = consumer_->tick(now);
    if (fenced.empty()) break;
    for (const ConsumerGroupRecord& r : fenced) apply_consumer(r, true);
  }
  while (room()) {
    std::optional<TimerKey> key = timers_.take_next(now);
    if (!key) break;
    on_timer(*key, now);
  }
}

void GroupCoordinator::on_timer(const TimerKey& key, int64_t now) {
  const auto& [kind, group_id, member_id] = key;
  if (kind == TimerKind::expire_offsets) {
    const bool done = expire_offsets(now);
    timers_.schedule(key, done ? now + config_.offsets_retention_check_interval_ms : now);
    return;
  }
  Group* g = find(group_id);
  if (!g) return;
  switch (kind) {
    case TimerKind::heartbeat: {
      auto it = g->members.find(member_id);
      if (it == g->members.end()) break;
      // A member waiting in a join, or in a sync for the leader's assignment, is kept alive
      // by it, unless it is new to the group.
      const Member& m = it->second;
      const bool waiting = (m.awaiting_join && g->state == GroupState::preparing_rebalance) || m.awaiting_sync;
      if (waiting && !m.is_new) {
        schedule_heartbeat(*g, it->second, now);
        break;
      }
      remove_member(*g, member_id, now);
      after_member_left(*g, now);
      break;
    }
    case TimerKind::pending_member:
      g->pending_members.erase(member_id);
      maybe_complete_join(*g, now);
      break;
    case TimerKind::join:
      on_join_deadline(*g, now);
      break;
    case TimerKind::sync:
      on_sync_deadline(*g, now);
      break;
    case TimerKind::expire_offsets:
      break;
  }
}

std::optional<int64_t> GroupCoordinator::next_deadline() const {
  std::optional<int64_t> classic = timers_.next();
  std::optional<int64_t> consumer = consumer_->next_deadline();
  if (classic && consumer) return std::min(*classic, *consumer);
  return classic ? classic : consumer;
}

// ---------------------------------------------------------------------------------------------
// Records

size_t GroupCoordinator::pending_bytes() const {
  for (; measured_records_ < records_.size(); ++measured_records_) measured_bytes_ += record_bytes(records_[measured_records_]);
  return batch_bytes({}) + measured_bytes_;
}

bool GroupCoordinator::fits(size_t more_bytes) const {
  return pending_bytes() + more_bytes <= static_cast<size_t>(std::max(config_.max_record_batch_bytes, 0));
}

void GroupCoordinator::store_group(const Group& g) { records_.push_back(group_metadata_record(g.id, group_value(g))); }

protocol::GroupMetadataValue GroupCoordinator::group_value(const Group& g) const {
  protocol::GroupMetadataValue v;
  v.protocol_type = g.protocol_type.value_or("");
  v.generation = g.generation;
  v.protocol = g.protocol_name;
  v.leader = g.leader;
  v.current_state_timestamp = g.state_timestamp;
  if (g.state == GroupState::stable || g.state == GroupState::completing_rebalance) {
    for (const auto& [id, m] : g.members) {
      auto& out = v.members.emplace_back();
      out.member_id = id;
      out.group_instance_id = m.instance_id;
      out.client_id = m.client_id;
      out.client_host = m.client_host;
      out.rebalance_timeout = m.rebalance_timeout_ms;
      out.session_timeout = m.session_timeout_ms;
      if (g.protocol_name) {
        if (const Bytes* metadata = m.metadata(*g.protocol_name)) out.subscription = *metadata;
      }
      out.assignment = m.assignment;
    }
  }
  return v;
}

void GroupCoordinator::delete_group_records(Group& g) {
  for (const auto& [tp, offset] : g.offsets) records_.push_back(offset_commit_record(g.id, tp.first, tp.second, std::nullopt));
  records_.push_back(group_metadata_record(g.id, std::nullopt));
}

// ---------------------------------------------------------------------------------------------
// Offsets

protocol::OffsetCommitResponse GroupCoordinator::offset_commit(const protocol::OffsetCommitRequest& request,
                                                               int16_t version, const PartitionExists& exists,
                                                               int64_t now) {
  protocol::OffsetCommitResponse r;
  auto answer_all = [&](ErrorCode error) {
    r.topics.clear();
    for (const auto& t : request.topics) {
      auto& topic = r.topics.emplace_back();
      topic.name = t.name;
      for (const auto& p : t.partitions) {
        auto& part = topic.partitions.emplace_back();
        part.partition_index = p.partition_index;
        part.error_code = code(error);
      }
    }
    return r;
  };
  if (request.group_id.empty()) return answer_all(ErrorCode::invalid_group_id);
  const int32_t generation = version >= 1 ? request.generation_id_or_member_epoch : -1;
  Group* g = find(request.group_id);
  if (!g) {
    // No group: only a consumer managing its own partitions (no generation) may commit; the
    // commit makes an empty group.
    // From version 9 a missing group is named as such, for both kinds of groups.
    if (generation >= 0) return answer_all(version >= 9 ? ErrorCode::group_id_not_found : ErrorCode::illegal_generation);
  } else if (g->state == GroupState::dead) {
    return answer_all(ErrorCode::coordinator_not_available);
  } else if (g->consumer) {
    // A consumer group: a member commits with its member epoch (OffsetCommit 9+); anyone may
    // commit to an empty group without one.
    if (generation >= 0 || !g->consumer->empty()) {
      const ConsumerGroupMember* m = g->consumer->member(request.member_id);
      if (!m) return answer_all(ErrorCode::unknown_member_id);
      if (version < 9) return answer_all(ErrorCode::unsupported_version);
      if (generation != m->epoch) return answer_all(ErrorCode::stale_member_epoch);
    }
  } else if (generation < 0 && g->state == GroupState::empty) {
    // A simple commit to a group nobody is in.
  } else if (generation < 0 && request.member_id.empty() && !request.group_instance_id) {
    // No member and no generation: only an empty group takes such a commit.
    return answer_all(ErrorCode::unknown_member_id);
  } else {
    // As Kafka: who the member is first, then its generation, and only then the group's state,
    // so a stale member learns it is stale even while the group completes a rebalance.
    if (g->fenced(request.group_instance_id, request.member_id)) return answer_all(ErrorCode::fenced_instance_id);
    auto it = g->members.find(request.member_id);
    if (it == g->members.end()) return answer_all(ErrorCode::unknown_member_id);
    if (generation != g->generation) return answer_all(ErrorCode::illegal_generation);
    if (g->state == GroupState::completing_rebalance) return answer_all(ErrorCode::rebalance_in_progress);
    schedule_heartbeat(*g, it->second, now);
  }
  // Each partition is checked on its own; those that pass are written as one append.
  struct Commit {
    size_t topic;  // where its answer is in r
    size_t partition;
    const std::string* name;
    int32_t index;
    protocol::OffsetCommitValue value;
  };
  std::vector<Commit> commits;
  for (const auto& t : request.topics) {
    auto& topic = r.topics.emplace_back();
    topic.name = t.name;
    for (const auto& p : t.partitions) {
      auto& part = topic.partitions.emplace_back();
      part.partition_index = p.partition_index;
      if (!exists(t.name, p.partition_index)) {
        part.error_code = code(ErrorCode::unknown_topic_or_partition);
        continue;
      }
      const std::string metadata = p.committed_metadata.value_or("");
      if (metadata.size() > static_cast<size_t>(config_.offset_metadata_max_bytes)) {
        part.error_code = code(ErrorCode::offset_metadata_too_large);
        continue;
      }
      protocol::OffsetCommitValue v;
      v.offset = p.committed_offset;
      v.leader_epoch = version >= 6 ? p.committed_leader_epoch : -1;
      v.metadata = metadata;
      v.commit_timestamp = now;
      if (version == 1 && p.commit_timestamp >= 0) v.commit_timestamp = p.commit_timestamp;
      if (version >= 2 && version <= 4 && request.retention_time_ms >= 0) {
        v.expire_timestamp = v.commit_timestamp + request.retention_time_ms;
      }
      commits.push_back(Commit{r.topics.size() - 1, topic.partitions.size() - 1, &t.name, p.partition_index, v});
    }
  }
  std::vector<Record> records;
  size_t bytes = 0;
  for (const Commit& c : commits) {
    bytes += record_bytes(records.emplace_back(offset_commit_record(request.group_id, *c.name, c.index, c.value)));
  }
  if (!fits(bytes)) {
    // More than the offsets partition takes in one batch: as Kafka's classic coordinator, whose
    // append fails with MESSAGE_TOO_LARGE, none is stored and each says why.
    for (const Commit& c : commits) {
      r.topics[c.topic].partitions[c.partition].error_code = code(ErrorCode::invalid_commit_offset_size);
    }
    return r;
  }
  if (!g) g = &create(request.group_id, now);  // a simple commit makes an empty group
  for (size_t i = 0; i < commits.size(); ++i) {
    g->offsets[{*commits[i].name, commits[i].index}] = Group::Offset{commits[i].value};
    records_.push_back(std::move(records[i]));
  }
  return r;
}

protocol::OffsetFetchResponse::OffsetFetchResponseGroup GroupCoordinator::offset_fetch(
    const std::string& group_id,
    const std::optional<std::vector<protocol::OffsetFetchRequest::OffsetFetchRequestTopics>>& topics,
    bool require_stable, const std::optional<std::string>& member_id, int32_t member_epoch) {
  (void)require_stable;  // no transactional offsets yet, so none is ever pending
  protocol::OffsetFetchResponse::OffsetFetchResponseGroup out;
  out.group_id = group_id;
  const Group* g = find(group_id);
  if (g && g->consumer && (member_id || member_epoch >= 0)) {
    // OffsetFetch 9+: a consumer group member fetches with its member id and epoch.
    const ConsumerGroupMember* m = member_id ? g->consumer->member(*member_id) : nullptr;
    if (!m || m->epoch != member_epoch) {
      out.error_code = code(m ? ErrorCode::stale_member_epoch : ErrorCode::unknown_member_id);
      return out;
    }
  }
  auto fill = [](auto& part, const protocol::OffsetCommitValue* v) {
    part.committed_offset = v ? v->offset : -1;
    part.committed_leader_epoch = v ? v->leader_epoch : -1;
    part.metadata = v ? v->metadata : std::string();
  };
  if (topics) {
    for (const auto& t : *topics) {
      auto& topic = out.topics.emplace_back();
      topic.name = t.name;
      for (int32_t p : t.partition_indexes) {
        auto& part = topic.partitions.emplace_back();
        part.partition_index = p;
        const protocol::OffsetCommitValue* v = nullptr;
        if (g) {
          auto it = g->offsets.find({t.name, p});
          if (it != g->offsets.end()) v = &it->second.value;
        }
        fill(part, v);
      }
    }
    return out;
  }
  if (!g) return out;
  for (const auto& [tp, offset] : g->offsets) {
    if (out.topics.empty() || out.topics.back().name != tp.first) out.topics.emplace_back().name = tp.first;
    auto& part = out.topics.back().partitions.emplace_back();
    part.partition_index = tp.second;
    fill(part, &offset.value);
  }
  return out;
}

protocol::OffsetDeleteResponse GroupCoordinator::offset_delete(const protocol::OffsetDeleteRequest& request,
                                                               int64_t now) {
  (void)now;
  protocol::OffsetDeleteResponse r;
  Group* g = find(request.group_id);
  if (!g || g->state == GroupState::dead) {
    r.error_code = code(ErrorCode::group_id_not_found);
    return r;
  }
  std::optional<std::set<std::string>> subscribed;
  if (g->consumer) {
    subscribed = g->consumer->subscribed_topic_names();
  } else if (g->state != GroupState::empty) {
    subscribed = g->subscribed_topics();
    if (!subscribed) {
      // Members that are not consumers: what they read is unknown, so nothing may go.
      r.error_code = code(ErrorCode::non_empty_group);
      return r;
    }
  }
  std::vector<std::pair<std::string, int32_t>> deleted;
  std::vector<Record> records;
  size_t bytes = 0;
  for (const auto& t : request.topics) {
    auto& topic = r.topics.emplace_back();
    topic.name = t.name;
    const bool in_use = subscribed && subscribed->count(t.name) != 0;
    for (const auto& p : t.partitions) {
      auto& part = topic.partitions.emplace_back();
      part.partition_index = p.partition_index;
      if (in_use) {
        part.error_code = code(ErrorCode::group_subscribed_to_topic);
        continue;
      }
      if (g->offsets.count({t.name, p.partition_index}) && !std::count(deleted.begin(), deleted.end(),
                                                                     std::make_pair(t.name, p.partition_index))) {
        deleted.emplace_back(t.name, p.partition_index);
        bytes += record_bytes(records.emplace_back(offset_commit_record(g->id, t.name, p.partition_index, std::nullopt)));
      }
    }
  }
  if (!fits(bytes)) {
    // Kafka writes the tombstones as one append; one too large fails the request as a whole.
    protocol::OffsetDeleteResponse failed;
    failed.error_code = code(ErrorCode::unknown_server_error);
    return failed;
  }
  for (size_t i = 0; i < deleted.size(); ++i) {
    g->offsets.erase(deleted[i]);
    records_.push_back(std::move(records[i]));
  }
  return r;
}

bool GroupCoordinator::expire_offsets(int64_t now) {
  // Kafka writes expiry as it goes, in as many batches as it takes; here each call writes what
  // fits one and leaves the rest to the next. A tombstone that fits no batch at all (the limit
  // went down since its offset was written) is passed over rather than failing every append.
  bool done = true;
  auto room = [&](size_t bytes) {
    if (fits(bytes)) return true;
    if (!records_.empty()) done = false;
    return false;
  };
  std::vector<std::string> emptied;
  for (auto& [id, g] : groups_) {
    std::optional<std::set<std::string>> subscribed;
    if (g->consumer) {
      // A consumer group's offsets of topics it does not subscribe to expire a retention period
      // after their commit, whatever its state.
      subscribed = g->consumer->subscribed_topic_names();
    } else if (g->state == GroupState::stable) {
      subscribed = g->subscribed_topics();
      if (!subscribed) continue;  // only consumers say which offsets they no longer use
    } else if (g->state != GroupState::empty) {
      continue;
    }
    for (auto it = g->offsets.begin(); done && it != g->offsets.end();) {
      const protocol::OffsetCommitValue& v = it->second.value;
      bool expired = false;
      if (subscribed) {
        expired = subscribed->count(it->first.first) == 0 && now - v.commit_timestamp >= config_.offsets_retention_ms;
      } else if (v.expire_timestamp >= 0) {
        expired = now >= v.expire_timestamp;
      } else {
        // An empty group's offsets expire a retention period after it became empty.
        const int64_t base = g->state_timestamp >= 0 ? g->state_timestamp : v.commit_timestamp;
        expired = now - base >= config_.offsets_retention_ms;
      }
      if (!expired) {
        ++it;
        continue;
      }
      Record tombstone = offset_commit_record(id, it->first.first, it->first.second, std::nullopt);
      if (!room(record_bytes(tombstone))) {
        ++it;
        continue;
      }
      records_.push_back(std::move(tombstone));
      it = g->offsets.erase(it);
    }
    if (!done) break;
    if (g->state == GroupState::empty && g->offsets.empty() && g->pending_members.empty() &&
        (!g->consumer || g->consumer->empty())) {
      emptied.push_back(id);
    }
  }
  for (const std::string& id : emptied) {
    Group* g = find(id);
    if (!g) continue;
    if (g->consumer) {
      std::vector<ConsumerGroupRecord> tombstones;
      g->consumer->tombstones(tombstones);
      size_t bytes = 0;
      for (const ConsumerGroupRecord& t : tombstones) bytes += record_bytes(consumer_group_record(t));
      if (!room(bytes)) continue;
      drop_consumer_group(*g);
      continue;
    }
    Record tombstone = group_metadata_record(id, std::nullopt);
    if (!room(record_bytes(tombstone))) continue;
    records_.push_back(std::move(tombstone));
    groups_.erase(id);
  }
  return done;
}

// ---------------------------------------------------------------------------------------------
// Groups

std::vector<protocol::ListGroupsResponse::ListedGroup> GroupCoordinator::list_groups(
    const std::vector<std::string>& states, const std::vector<std::string>& types) const {
  std::vector<protocol::ListGroupsResponse::ListedGroup> out;
  auto matches = [](const std::vector<std::string>& filter, const std::string& value) {
    return filter.empty() ||
           std::any_of(filter.begin(), filter.end(), [&](const std::string& f) { return iequals(f, value); });
  };
  for (const auto& [id, g] : groups_) {
    if (g->consumer) {
      const char* state = state_name(g->consumer->state());
      if (!matches(states, state) || !matches(types, "consumer")) continue;
      auto& l = out.emplace_back();
      l.group_id = id;
      l.protocol_type = "consumer";
      l.group_state = state;
      l.group_type = "consumer";
      continue;
    }
    if (g->state == GroupState::dead) continue;
    if (!matches(states, state_name(g->state)) || !matches(types, "classic")) continue;
    auto& l = out.emplace_back();
    l.group_id = id;
    l.protocol_type = g->protocol_type.value_or("");
    l.group_state = state_name(g->state);
    l.group_type = "classic";
  }
  return out;
}

protocol::DescribeGroupsResponse::DescribedGroup GroupCoordinator::describe_group(const std::string& group_id) const {
  protocol::DescribeGroupsResponse::DescribedGroup out;
  out.group_id = group_id;
  const Group* g = find(group_id);
  if (!g || g->consumer) {
    // DescribeGroups (up to version 5) knows only classic groups: others read as Dead.
    out.group_state = state_name(GroupState::dead);
    return out;
  }
  out.group_state = state_name(g->state);
  out.protocol_type = g->protocol_type.value_or("");
  // The protocol is only settled, and the members' metadata and assignments only meaningful, once
  // the group is stable.
  const bool stable = g->state == GroupState::stable;
  out.protocol_data = stable ? g->protocol_name.value_or("") : "";
  for (const auto& [id, m] : g->members) {
    auto& member = out.members.emplace_back();
    member.member_id = id;
    member.group_instance_id = m.instance_id;
    member.client_id = m.client_id;
    member.client_host = m.client_host;
    if (stable && g->protocol_name) {
      if (const Bytes* metadata = m.metadata(*g->protocol_name)) member.member_metadata = *metadata;
      member.member_assignment = m.assignment;
    }
  }
  return out;
}

ErrorCode GroupCoordinator::delete_group(const std::string& group_id, int64_t now) {
  (void)now;
  if (group_id.empty()) return ErrorCode::invalid_group_id;
  Group* g = find(group_id);
  if (!g || g->state == GroupState::dead) return ErrorCode::group_id_not_found;
  if (g->consumer ? !g->consumer->empty() : g->state != GroupState::empty) return ErrorCode::non_empty_group;
  // Kafka deletes a group in one write: a group whose tombstones would not fit one batch stays.
  size_t bytes = 0;
  for (const auto& [tp, offset] : g->offsets) {
    bytes += record_bytes(offset_commit_record(g->id, tp.first, tp.second, std::nullopt));
  }
  if (g->consumer) {
    std::vector<ConsumerGroupRecord> tombstones;
    g->consumer->tombstones(tombstones);
    for (const ConsumerGroupRecord& t : tombstones) bytes += record_bytes(consumer_group_record(t));
  } else {
    bytes += record_bytes(group_metadata_record(g->id, std::nullopt));
  }
  if (!fits(bytes)) return ErrorCode::unknown_server_error;
  if (g->consumer) {
    for (const auto& [tp, offset] : g->offsets) {
      records_.push_back(offset_commit_record(g->id, tp.first, tp.second, std::nullopt));
    }
    g->offsets.clear();
    drop_consumer_group(*g);
    return ErrorCode::none;
  }
  delete_group_records(*g);
  for (const std::string& member_id : g->pending_members) timers_.cancel({TimerKind::pending_member, g->id, member_id});
  timers_.cancel({TimerKind::join, g->id, ""});
  timers_.cancel({TimerKind::sync, g->id, ""});
  groups_.erase(group_id);
  return ErrorCode::none;
}

}  // namespace gregor::group

// ---------------------------------------------------------------------------------------------
// KIP-848 consumer groups (the logic is consumer_group.cc's)

namespace gregor::group {

protocol::ConsumerGroupHeartbeatResponse GroupCoordinator::consumer_group_heartbeat(
    const protocol::ConsumerGroupHeartbeatRequest& request, int16_t version, const Client& client,
    const TopicsView& topics, int64_t now) {
  auto failed = [](ErrorCode error, std::string message) {
    protocol::ConsumerGroupHeartbeatResponse r;
    r.error_code = code(error);
    r.error_message = std::move(message);
    return r;
  };
  if (auto invalid = consumer_->validate(request, version)) return failed(invalid->first, invalid->second);
  Group* g = find(request.group_id);
  const bool take_over = g && !g->consumer;
  if (take_over) {
    // A classic group of that id: a joining member turns it into a consumer group only when it is
    // empty (Kafka's online upgrade of a live classic group is not done here).
    if (request.member_epoch != 0 || g->state != GroupState::empty || !g->pending_members.empty()) {
      return failed(ErrorCode::group_id_not_found, "Group " + request.group_id + " is not a consumer group.");
    }
  }
  // A take-over writes the classic group's tombstone in the same batch.
  reserved_bytes_ = take_over ? record_bytes(group_metadata_record(g->id, std::nullopt)) : 0;
  HeartbeatResult result = consumer_->heartbeat(g ? g->consumer.get() : nullptr, request, version, client.client_id,
                                                client.host, topics, now);
  reserved_bytes_ = 0;
  if (result.response.error_code != 0) return result.response;  // a failed heartbeat changes nothing
  if (take_over) {
    records_.push_back(group_metadata_record(g->id, std::nullopt));
    reset_classic(*g, now);
  }
  for (const ConsumerGroupRecord& r : result.records) apply_consumer(r, true);
  return result.response;
}

protocol::ConsumerGroupDescribeResponse::DescribedGroup GroupCoordinator::consumer_group_describe(
    const std::string& group_id, const TopicsView& topics) const {
  const Group* g = find(group_id);
  if (group_id.empty() || !g || !g->consumer) {
    protocol::ConsumerGroupDescribeResponse::DescribedGroup out;
    out.group_id = group_id;
    out.error_code = code(group_id.empty() ? ErrorCode::invalid_group_id : ErrorCode::group_id_not_found);
    return out;
  }
  return g->consumer->describe(consumer_->default_assignor(), topics);
}

void GroupCoordinator::apply_consumer(const ConsumerGroupRecord& record, bool write) {
  if (write) records_.push_back(consumer_group_record(record));
  Group* g = find(record.group);
  if (record.kind == ConsumerGroupRecord::Kind::metadata && record.tombstone()) {
    // The group is gone; its offsets, if any are left, stay as an empty classic group's.
    if (!g || !g->consumer) return;
    g->consumer.reset();
    if (g->offsets.empty()) groups_.erase(record.group);
    return;
  }
  if (!g) {
    if (record.tombstone()) return;
    g = &create(record.group, -1);
  }
  if (!g->consumer) {
    if (record.tombstone()) return;
    g->consumer = std::make_unique<ConsumerGroup>(record.group);
  }
  g->consumer->apply(record);
}

void GroupCoordinator::drop_consumer_group(Group& g) {
  std::vector<ConsumerGroupRecord> records;
  g.consumer->tombstones(records);
  for (const ConsumerGroupRecord& r : records) apply_consumer(r, true);  // may erase g
}

GroupCoordinator::Group& GroupCoordinator::reset_classic(Group& g, int64_t now) {
  for (const std::string& member_id : g.pending_members) timers_.cancel({TimerKind::pending_member, g.id, member_id});
  for (const auto& [member_id, m] : g.members) timers_.cancel({TimerKind::heartbeat, g.id, member_id});
  timers_.cancel({TimerKind::join, g.id, ""});
  timers_.cancel({TimerKind::sync, g.id, ""});
  const std::string id = g.id;
  auto offsets = std::move(g.offsets);
  auto consumer = std::move(g.consumer);
  Group& fresh = create(id, now);  // g is gone from here on
  fresh.offsets = std::move(offsets);
  fresh.consumer = std::move(consumer);
  return fresh;
}

ErrorCode GroupCoordinator::consumer_member_error(const Group& g, const std::string& member_id,
                                                  const std::optional<std::string>& instance_id) const {
  // Classic requests to a consumer group: Kafka looks the member up, and turns away those of the
  // consumer protocol, which here are all of them.
  if (instance_id) {
    const ConsumerGroupMember* m = g.consumer->static_member(*instance_id);
    if (m && !member_id.empty() && m->id != member_id) return ErrorCode::fenced_instance_id;
  }
  return ErrorCode::unknown_member_id;
}

}  // namespace gregor::group
