#include "group/consumer_group.h"

#include <re2/re2.h>

#include <algorithm>

namespace gregor::group {

using Kind = ConsumerGroupRecord::Kind;
using HeartbeatRequest = protocol::ConsumerGroupHeartbeatRequest;
using OwnedPartitions = std::optional<std::vector<HeartbeatRequest::TopicPartitions>>;

namespace {

constexpr int32_t kLeaveEpoch = -1;        // LEAVE_GROUP_MEMBER_EPOCH
constexpr int32_t kStaticLeaveEpoch = -2;  // LEAVE_GROUP_STATIC_MEMBER_EPOCH

// Java's String.trim().isEmpty(): nothing but characters up to the space.
bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) <= ' '; });
}

template <typename TopicPartitions>
std::vector<TopicPartitions> to_wire(const TopicPartitionSet& set) {
  std::vector<TopicPartitions> out;
  for (const auto& [topic, partitions] : set) {
    auto& tp = out.emplace_back();
    tp.topic_id = topic;
    tp.partitions.assign(partitions.begin(), partitions.end());
  }
  return out;
}

template <typename TopicPartitions>
TopicPartitionSet from_wire(const std::vector<TopicPartitions>& list) {
  TopicPartitionSet out;
  for (const auto& tp : list) {
    if (tp.partitions.empty()) continue;
    out[tp.topic_id].insert(tp.partitions.begin(), tp.partitions.end());
  }
  return out;
}

bool contains(const TopicPartitionSet& set, const Uuid& topic, int32_t partition) {
  auto it = set.find(topic);
  return it != set.end() && it->second.count(partition) != 0;
}

// The partitions the member says it owns are all in set (none reported: no).
bool subset(const OwnedPartitions& owned, const TopicPartitionSet& set) {
  if (!owned) return false;
  for (const auto& tp : *owned) {
    for (int32_t p : tp.partitions) {
      if (!contains(set, tp.topic_id, p)) return false;
    }
  }
  return true;
}

// The member still owns some of the partitions it must revoke (none reported: it may).
bool owns_any(const OwnedPartitions& owned, const TopicPartitionSet& revoking) {
  if (!owned) return true;
  for (const auto& tp : *owned) {
    for (int32_t p : tp.partitions) {
      if (contains(revoking, tp.topic_id, p)) return true;
    }
  }
  return false;
}

// The subscription fields the member metadata record and ConsumerGroupDescribe both carry.
template <typename Out>
void copy_subscription(const ConsumerGroupMember& m, Out& out) {
  out.instance_id = m.instance_id;
  out.rack_id = m.rack_id;
  out.client_id = m.client_id;
  out.client_host = m.client_host;
  out.subscribed_topic_names.assign(m.subscribed_topic_names.begin(), m.subscribed_topic_names.end());
  out.subscribed_topic_regex = m.subscribed_topic_regex;
}

HeartbeatResult failure(ErrorCode error, std::string message) {
  HeartbeatResult r;
  r.response.error_code = static_cast<int16_t>(error);
  r.response.error_message = std::move(message);
  return r;
}

}  // namespace

const char* state_name(ConsumerGroupState state) {
  switch (state) {
    case ConsumerGroupState::empty: return "Empty";
    case ConsumerGroupState::assigning: return "Assigning";
    case ConsumerGroupState::reconciling: return "Reconciling";
    case ConsumerGroupState::stable: return "Stable";
  }
  return "Unknown";
}

// ---------------------------------------------------------------------------------------------
// Topics

void TopicTable::put(TopicInfo topic) { topics_[topic.name] = std::move(topic); }
void TopicTable::remove(const std::string& name) { topics_.erase(name); }

std::optional<TopicInfo> TopicTable::by_name(const std::string& name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? std::nullopt : std::optional<TopicInfo>(it->second);
}

std::vector<std::string> TopicTable::names() const {
  std::vector<std::string> out;
  for (const auto& [name, t] : topics_) out.push_back(name);
  return out;
}

std::optional<TopicInfo> TopicTable::by_id(const Uuid& id) const {
  for (const auto& [name, t] : topics_) {
    if (t.id == id) return t;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Records

ConsumerGroupRecord group_epoch_record(const std::string& group, int32_t epoch) {
  protocol::ConsumerGroupMetadataValue v;
  v.epoch = epoch;
  return {Kind::metadata, group, "", v};
}

ConsumerGroupRecord member_metadata_record(const std::string& group, const ConsumerGroupMember& m) {
  protocol::ConsumerGroupMemberMetadataValue v;
  copy_subscription(m, v);
  v.rebalance_timeout_ms = m.rebalance_timeout_ms;
  v.server_assignor = m.server_assignor;
  v.classic_member_metadata = std::nullopt;  // a member of the consumer protocol
  return {Kind::member_metadata, group, m.id, v};
}

ConsumerGroupRecord current_assignment_record(const std::string& group, const ConsumerGroupMember& m) {
  protocol::ConsumerGroupCurrentMemberAssignmentValue v;
  v.member_epoch = m.epoch;
  v.previous_member_epoch = m.previous_epoch;
  v.state = static_cast<int8_t>(m.state);
  v.assigned_partitions = to_wire<protocol::ConsumerGroupCurrentMemberAssignmentValue::TopicPartitions>(m.assigned);
  v.partitions_pending_revocation =
      to_wire<protocol::ConsumerGroupCurrentMemberAssignmentValue::TopicPartitions>(m.pending_revocation);
  return {Kind::current_member_assignment, group, m.id, v};
}

ConsumerGroupRecord target_member_record(const std::string& group, const std::string& member,
                                         const TopicPartitionSet& partitions) {
  protocol::ConsumerGroupTargetAssignmentMemberValue v;
  v.topic_partitions = to_wire<protocol::ConsumerGroupTargetAssignmentMemberValue::TopicPartition>(partitions);
  return {Kind::target_assignment_member, group, member, v};
}

ConsumerGroupRecord target_epoch_record(const std::string& group, int32_t epoch) {
  protocol::ConsumerGroupTargetAssignmentMetadataValue v;
  v.assignment_epoch = epoch;
  return {Kind::target_assignment_metadata, group, "", v};
}

ConsumerGroupRecord subscription_metadata_record(const std::string& group,
                                                 const std::map<std::string, TopicInfo>& topics) {
  protocol::ConsumerGroupPartitionMetadataValue v;
  for (const auto& [name, t] : topics) {
    auto& out = v.topics.emplace_back();
    out.topic_id = t.id;
    out.topic_name = t.name;
    out.num_partitions = t.partitions;  // racks are no longer written (Kafka 4.0)
  }
  return {Kind::partition_metadata, group, "", v};
}

ConsumerGroupRecord consumer_group_tombstone(Kind kind, const std::string& group, const std::string& member) {
  return {kind, group, member, std::monostate{}};
}

// ---------------------------------------------------------------------------------------------
// Members and groups

bool ConsumerGroupMember::same_metadata(const ConsumerGroupMember& o) const {
  return std::tie(instance_id, rack_id, client_id, client_host, subscribed_topic_names, subscribed_topic_regex,
                  rebalance_timeout_ms, server_assignor) ==
         std::tie(o.instance_id, o.rack_id, o.client_id, o.client_host, o.subscribed_topic_names,
                  o.subscribed_topic_regex, o.rebalance_timeout_ms, o.server_assignor);
}

bool ConsumerGroupMember::same_assignment(const ConsumerGroupMember& o) const {
  return std::tie(epoch, previous_epoch, state, assigned, pending_revocation) ==
         std::tie(o.epoch, o.previous_epoch, o.state, o.assigned, o.pending_revocation);
}

ConsumerGroupState ConsumerGroup::state() const {
  if (members_.empty()) return ConsumerGroupState::empty;
  if (group_epoch_ > assignment_epoch_) return ConsumerGroupState::assigning;
  for (const auto& [id, m] : members_) {
    if (!m.reconciled_to(assignment_epoch_)) return ConsumerGroupState::reconciling;
  }
  return ConsumerGroupState::stable;
}

const ConsumerGroupMember* ConsumerGroup::member(const std::string& member_id) const {
  auto it = members_.find(member_id);
  return it == members_.end() ? nullptr : &it->second;
}

const ConsumerGroupMember* ConsumerGroup::static_member(const std::string& instance_id) const {
  auto it = static_members_.find(instance_id);
  return it == static_members_.end() ? nullptr : member(it->second);
}

const TopicPartitionSet* ConsumerGroup::target(const std::string& member_id) const {
  auto it = target_.find(member_id);
  return it == target_.end() ? nullptr : &it->second;
}

int32_t ConsumerGroup::partition_epoch(const Uuid& topic, int32_t partition) const {
  auto t = partition_epochs_.find(topic);
  if (t == partition_epochs_.end()) return -1;
  auto p = t->second.find(partition);
  return p == t->second.end() ? -1 : p->second;
}

std::set<std::string> ConsumerGroup::subscribed_topic_names() const {
  std::set<std::string> out;
  for (const auto& [name, n] : subscribed_topics_) out.insert(name);
  for (const auto& [name, t] : subscription_metadata_) out.insert(name);
  return out;
}

std::optional<std::string> ConsumerGroup::preferred_assignor() const {
  std::optional<std::string> best;
  int32_t most = 0;
  for (const auto& [name, count] : assignors_) {
    if (count > most) {
      best = name;
      most = count;
    }
  }
  return best;
}

void ConsumerGroup::set_partition_epochs(const ConsumerGroupMember& m, bool add) {
  for (const TopicPartitionSet* set : {&m.assigned, &m.pending_revocation}) {
    for (const auto& [topic, partitions] : *set) {
      auto& epochs = partition_epochs_[topic];
      for (int32_t p : partitions) {
        if (add) {
          epochs[p] = m.epoch;
        } else if (auto it = epochs.find(p); it != epochs.end() && it->second == m.epoch) {
          epochs.erase(it);
        }
      }
      if (epochs.empty()) partition_epochs_.erase(topic);
    }
  }
}

void ConsumerGroup::count_subscriptions(const ConsumerGroupMember& m, int delta) {
  for (const std::string& topic : m.subscribed_topic_names) {
    if ((subscribed_topics_[topic] += delta) <= 0) subscribed_topics_.erase(topic);
  }
  if (m.server_assignor) {
    if ((assignors_[*m.server_assignor] += delta) <= 0) assignors_.erase(*m.server_assignor);
  }
}

void ConsumerGroup::remove_member(const std::string& member_id) {
  auto it = members_.find(member_id);
  if (it == members_.end()) return;
  const ConsumerGroupMember& m = it->second;
  count_subscriptions(m, -1);
  set_partition_epochs(m, false);
  if (m.instance_id) {
    auto s = static_members_.find(*m.instance_id);
    if (s != static_members_.end() && s->second == member_id) static_members_.erase(s);
  }
  members_.erase(it);
}

void ConsumerGroup::apply(const ConsumerGroupRecord& r) {
  switch (r.kind) {
    case Kind::metadata:
      if (auto* v = std::get_if<protocol::ConsumerGroupMetadataValue>(&r.value)) group_epoch_ = v->epoch;
      return;
    case Kind::partition_metadata:
      subscription_metadata_.clear();
      if (auto* v = std::get_if<protocol::ConsumerGroupPartitionMetadataValue>(&r.value)) {
        for (const auto& t : v->topics) subscription_metadata_[t.topic_name] = {t.topic_id, t.topic_name, t.num_partitions};
      }
      return;
    case Kind::member_metadata: {
      auto* v = std::get_if<protocol::ConsumerGroupMemberMetadataValue>(&r.value);
      if (!v) return remove_member(r.member);
      ConsumerGroupMember& m = members_[r.member];
      count_subscriptions(m, -1);
      if (m.instance_id) {
        auto s = static_members_.find(*m.instance_id);
        if (s != static_members_.end() && s->second == r.member) static_members_.erase(s);
      }
      m.id = r.member;
      m.instance_id = v->instance_id;
      m.rack_id = v->rack_id;
      m.client_id = v->client_id;
      m.client_host = v->client_host;
      m.subscribed_topic_names = std::set<std::string>(v->subscribed_topic_names.begin(), v->subscribed_topic_names.end());
      m.subscribed_topic_regex = v->subscribed_topic_regex;
      m.rebalance_timeout_ms = v->rebalance_timeout_ms;
      m.server_assignor = v->server_assignor;
      count_subscriptions(m, +1);
      if (m.instance_id) static_members_[*m.instance_id] = r.member;
      return;
    }
    case Kind::target_assignment_metadata:
      if (auto* v = std::get_if<protocol::ConsumerGroupTargetAssignmentMetadataValue>(&r.value)) {
        assignment_epoch_ = v->assignment_epoch;
      } else {
        assignment_epoch_ = -1;
      }
      return;
    case Kind::target_assignment_member:
      if (auto* v = std::get_if<protocol::ConsumerGroupTargetAssignmentMemberValue>(&r.value)) {
        target_[r.member] = from_wire(v->topic_partitions);
      } else {
        target_.erase(r.member);
      }
      return;
    case Kind::current_member_assignment: {
      auto* v = std::get_if<protocol::ConsumerGroupCurrentMemberAssignmentValue>(&r.value);
      auto it = members_.find(r.member);
      if (!v && it == members_.end()) return;
      ConsumerGroupMember& m = it != members_.end() ? it->second : members_[r.member];
      m.id = r.member;
      set_partition_epochs(m, false);
      if (v) {
        m.epoch = v->member_epoch;
        m.previous_epoch = v->previous_member_epoch;
        m.state = (v->state >= 0 && v->state <= 2) ? static_cast<MemberState>(v->state) : MemberState::unknown;
        m.assigned = from_wire(v->assigned_partitions);
        m.pending_revocation = from_wire(v->partitions_pending_revocation);
      } else {
        // The member is on its way out: its metadata tombstone follows.
        m.epoch = m.previous_epoch = kLeaveEpoch;
        m.assigned.clear();
        m.pending_revocation.clear();
      }
      set_partition_epochs(m, true);
      return;
    }
  }
}

void ConsumerGroup::tombstones(std::vector<ConsumerGroupRecord>& out) const {
  for (const auto& [id, m] : members_) out.push_back(consumer_group_tombstone(Kind::current_member_assignment, id_, id));
  for (const auto& [id, m] : members_) out.push_back(consumer_group_tombstone(Kind::target_assignment_member, id_, id));
  out.push_back(consumer_group_tombstone(Kind::target_assignment_metadata, id_));
  for (const auto& [id, m] : members_) out.push_back(consumer_group_tombstone(Kind::member_metadata, id_, id));
  out.push_back(consumer_group_tombstone(Kind::partition_metadata, id_));
  out.push_back(consumer_group_tombstone(Kind::metadata, id_));
}

protocol::ConsumerGroupDescribeResponse::DescribedGroup ConsumerGroup::describe(const std::string& default_assignor,
                                                                               const TopicsView& topics) const {
  using Described = protocol::ConsumerGroupDescribeResponse;
  auto assignment = [&topics](const TopicPartitionSet& set) {
    Described::Assignment out;
    for (const auto& [id, partitions] : set) {
      std::optional<TopicInfo> t = topics.by_id(id);
      if (!t) continue;  // deleted meanwhile: Kafka leaves it out too
      auto& tp = out.topic_partitions.emplace_back();
      tp.topic_id = id;
      tp.topic_name = t->name;
      tp.partitions.assign(partitions.begin(), partitions.end());
    }
    return out;
  };
  Described::DescribedGroup g;
  g.group_id = id_;
  g.group_state = state_name(state());
  g.group_epoch = group_epoch_;
  g.assignment_epoch = assignment_epoch_;
  g.assignor_name = preferred_assignor().value_or(default_assignor);
  for (const auto& [id, m] : members_) {
    auto& out = g.members.emplace_back();
    out.member_id = id;
    out.member_epoch = m.epoch;
    copy_subscription(m, out);
    out.assignment = assignment(m.assigned);
    const TopicPartitionSet* t = target(id);
    out.target_assignment = assignment(t ? *t : TopicPartitionSet{});
  }
  return g;
}

// ---------------------------------------------------------------------------------------------
// The manager

struct ConsumerGroupManager::Compiled {
  std::unique_ptr<RE2> re;
  std::string error;  // set: the expression does not compile
};

ConsumerGroupManager::ConsumerGroupManager(ConsumerGroupConfig config, Lookup lookup, Fits fits, uint64_t random_seed)
    : config_(std::move(config)), lookup_(std::move(lookup)), fits_(std::move(fits)), random_(random_seed) {
  if (config_.assignors.empty()) config_.assignors.emplace_back(kUniformAssignor);
}

ConsumerGroupManager::~ConsumerGroupManager() = default;

namespace {

constexpr size_t kMaxCompiledRegexes = 1024;  // beyond, the cache starts over

// Topics a regular expression never picks up (Kafka's internal topics).
bool internal_topic(const std::string& name) { return name == "__consumer_offsets" || name == "__transaction_state"; }

}  // namespace

std::optional<std::string> ConsumerGroupManager::regex_error(const std::string& regex) const {
  auto it = regexes_.find(regex);
  if (it == regexes_.end()) {
    if (regexes_.size() >= kMaxCompiledRegexes) regexes_.clear();
    auto compiled = std::make_shared<Compiled>();
    RE2::Options options;
    options.set_log_errors(false);
    compiled->re = std::make_unique<RE2>(regex, options);
    if (!compiled->re->ok()) compiled->error = compiled->re->error();
    it = regexes_.emplace(regex, std::move(compiled)).first;
  }
  if (it->second->error.empty()) return std::nullopt;
  return it->second->error;
}

bool ConsumerGroupManager::matches(const std::string& regex, const std::string& topic) const {
  if (regex_error(regex)) return false;
  return !internal_topic(topic) && RE2::FullMatch(topic, *regexes_.at(regex)->re);
}

bool ConsumerGroupManager::subscribes(const ConsumerGroupMember& m, const std::string& topic) const {
  if (m.subscribed_topic_names.count(topic)) return true;
  return m.subscribed_topic_regex && !m.subscribed_topic_regex->empty() && matches(*m.subscribed_topic_regex, topic);
}

std::string ConsumerGroupManager::new_member_id() {
  auto next = [this] {  // splitmix64
    uint64_t z = (random_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  const uint64_t hi = (next() & ~0xF000ULL) | 0x4000ULL;                       // version 4
  const uint64_t lo = (next() & ~(0xC000ULL << 48)) | (0x8000ULL << 48);       // IETF variant
  return Uuid::from_halves(hi, lo).to_string();  // as Kafka's Uuid.randomUuid().toString()
}

std::optional<std::pair<ErrorCode, std::string>> ConsumerGroupManager::validate(const HeartbeatRequest& request,
                                                                                int16_t version) const {
  auto invalid = [](std::string message) { return std::make_pair(ErrorCode::invalid_request, std::move(message)); };
  const int32_t epoch = request.member_epoch;
  if ((version >= 1 || epoch > 0 || epoch == kLeaveEpoch) && blank(request.member_id)) {
    return invalid("MemberId can't be empty.");
  }
  if (blank(request.group_id)) return invalid("GroupId can't be empty.");
  if (request.instance_id && blank(*request.instance_id)) return invalid("InstanceId can't be empty.");
  if (request.rack_id && blank(*request.rack_id)) return invalid("RackId can't be empty.");
  if (epoch == 0) {
    if (request.rebalance_timeout_ms == -1) return invalid("RebalanceTimeoutMs must be provided in first request.");
    if (!request.topic_partitions || !request.topic_partitions->empty()) {
      return invalid("TopicPartitions must be empty when (re-)joining.");
    }
    if (!request.subscribed_topic_names && !request.subscribed_topic_regex) {
      return invalid("Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.");
    }
  } else if (epoch == kStaticLeaveEpoch) {
    if (!request.instance_id) return invalid("InstanceId can't be null.");
  } else if (epoch < kStaticLeaveEpoch) {
    return invalid("MemberEpoch is invalid.");
  }
  if (request.subscribed_topic_regex && !request.subscribed_topic_regex->empty()) {
    if (auto error = regex_error(*request.subscribed_topic_regex)) {
      return std::make_pair(ErrorCode::invalid_regular_expression, "SubscribedTopicRegex `" +
                                                                       *request.subscribed_topic_regex +
                                                                       "` is not a valid regular expression: " + *error + ".");
    }
  }
  if (request.server_assignor &&
      std::find(config_.assignors.begin(), config_.assignors.end(), *request.server_assignor) == config_.assignors.end()) {
    std::string names;
    for (const std::string& a : config_.assignors) names += (names.empty() ? "" : ", ") + a;
    return std::make_pair(ErrorCode::unsupported_assignor,
                          "ServerAssignor " + *request.server_assignor + " is not supported. Supported assignors: " +
                              names + ".");
  }
  return std::nullopt;
}

HeartbeatResult ConsumerGroupManager::heartbeat(const ConsumerGroup* existing, const HeartbeatRequest& request,
                                                int16_t version, const std::string& client_id,
                                                const std::string& client_host, const TopicsView& topics, int64_t now) {
  if (auto invalid = validate(request, version)) return failure(invalid->first, invalid->second);
  const int32_t epoch = request.member_epoch;
  if (epoch == kLeaveEpoch || epoch == kStaticLeaveEpoch) {
    if (!existing) return failure(ErrorCode::group_id_not_found, "Consumer group " + request.group_id + " not found.");
    return leave(*existing, request);
  }
  const bool joining = epoch == 0;
  if (!existing && !joining) {
    return failure(ErrorCode::group_id_not_found, "Consumer group " + request.group_id + " not found.");
  }
  const ConsumerGroup fresh(request.group_id);
  const ConsumerGroup& g = existing ? *existing : fresh;
  const std::string& group_id = g.id();
  if (g.members().size() >= static_cast<size_t>(config_.max_size) &&
      (request.member_id.empty() || !g.member(request.member_id))) {
    return failure(ErrorCode::group_max_size_reached, "The consumer group has reached its maximum capacity of " +
                                                          std::to_string(config_.max_size) + " members.");
  }
  const std::string member_id = request.member_id.empty() ? new_member_id() : request.member_id;
  HeartbeatResult result;
  std::vector<ConsumerGroupRecord>& out = result.records;

  // The epoch the member claims must be its own, or its previous one with nothing it was not
  // given since (the response that moved it on may have been lost). Zero is a (re)join.
  auto check_epoch = [&](const ConsumerGroupMember& m) -> std::optional<HeartbeatResult> {
    if (epoch == 0 || epoch == m.epoch) return std::nullopt;
    if (epoch > m.epoch) {
      return failure(ErrorCode::fenced_member_epoch,
                     "The consumer group member has a greater member epoch (" + std::to_string(epoch) +
                         ") than the one known by the group coordinator (" + std::to_string(m.epoch) +
                         "). The member must abandon all its partitions and rejoin.");
    }
    if (epoch != m.previous_epoch || !subset(request.topic_partitions, m.assigned)) {
      return failure(ErrorCode::fenced_member_epoch,
                     "The consumer group member has a smaller member epoch (" + std::to_string(epoch) +
                         ") than the one known by the group coordinator (" + std::to_string(m.epoch) +
                         "). The member must abandon all its partitions and rejoin.");
    }
    return std::nullopt;
  };
  auto unknown_member = [&] {
    return failure(ErrorCode::unknown_member_id, "Member " + member_id + " is not a member of group " + group_id + ".");
  };

  ConsumerGroupMember member;
  member.id = member_id;
  std::optional<std::string> replaced;  // the static member this one takes over from
  if (!request.instance_id) {
    const ConsumerGroupMember* known = g.member(member_id);
    if (known) {
      if (auto fenced = check_epoch(*known)) return *fenced;
      member = *known;
    } else if (!joining) {
      return unknown_member();
    }
  } else {
    const std::string& instance = *request.instance_id;
    const ConsumerGroupMember* known = g.static_member(instance);
    if (joining && known && known->id != member_id) {
      // Another process of the instance: it may take over only once the old one said it would
      // be back (epoch -2).
      if (known->epoch != kStaticLeaveEpoch) {
        return failure(ErrorCode::unreleased_instance_id,
                       "Static member " + member_id + " with instance id " + instance +
                           " cannot join the group because the instance id is owned by " + known->id + " member.");
      }
      member = *known;
      member.id = member_id;
      member.epoch = member.previous_epoch = 0;
      replaced = known->id;
      const TopicPartitionSet* old_target = g.target(known->id);
      out.push_back(consumer_group_tombstone(Kind::current_member_assignment, group_id, known->id));
      out.push_back(consumer_group_tombstone(Kind::target_assignment_member, group_id, known->id));
      out.push_back(consumer_group_tombstone(Kind::member_metadata, group_id, known->id));
      out.push_back(member_metadata_record(group_id, member));
      out.push_back(target_member_record(group_id, member_id, old_target ? *old_target : TopicPartitionSet{}));
      out.push_back(current_assignment_record(group_id, member));
    } else if (joining && !known) {
      if (const ConsumerGroupMember* same = g.member(member_id)) member = *same;
    } else {
      if (!known) return failure(ErrorCode::unknown_member_id, "Instance id " + instance + " is unknown.");
      if (known->id != member_id) {
        return failure(ErrorCode::fenced_instance_id, "Static member " + member_id + " with instance id " + instance +
                                                          " was fenced by member " + known->id + ".");
      }
      if (auto fenced = check_epoch(*known)) return *fenced;
      member = *known;
    }
  }
  const bool is_new = !replaced && !g.member(member_id);

  // 1. The member's subscription. A change is written; a change of topics bumps the group epoch.
  ConsumerGroupMember updated = member;
  if (request.instance_id) updated.instance_id = request.instance_id;
  if (request.rack_id) updated.rack_id = request.rack_id;
  if (request.rebalance_timeout_ms != -1) updated.rebalance_timeout_ms = request.rebalance_timeout_ms;
  if (request.server_assignor) updated.server_assignor = request.server_assignor;
  if (request.subscribed_topic_names) {
    updated.subscribed_topic_names =
        std::set<std::string>(request.subscribed_topic_names->begin(), request.subscribed_topic_names->end());
  }
  if (request.subscribed_topic_regex) updated.subscribed_topic_regex = request.subscribed_topic_regex;
  updated.client_id = client_id;
  updated.client_host = client_host;
  bool bump = g.group_epoch() == 0;  // a new group moves away from epoch 0 at once
  if (is_new || !updated.same_metadata(member)) {
    out.push_back(member_metadata_record(group_id, updated));
    if (is_new || updated.subscribed_topic_names != member.subscribed_topic_names ||
        updated.subscribed_topic_regex.value_or("") != member.subscribed_topic_regex.value_or("")) {
      bump = true;
    }
  }

  // The sizes of the subscribed topics, from the metadata image: a change (a topic created,
  // deleted or grown) bumps the group epoch too.
  std::map<std::string, int32_t> names = g.subscribed_topics();
  auto count = [&names](const ConsumerGroupMember& m, int delta) {
    for (const std::string& t : m.subscribed_topic_names) {
      if ((names[t] += delta) <= 0) names.erase(t);
    }
  };
  if (!is_new) count(member, -1);
  count(updated, +1);
  // Regular expressions are resolved against the image's topics at every heartbeat.
  std::set<std::string> regexes;
  for (const auto& [id, m] : g.members()) {
    if (id != member_id && id != replaced && m.subscribed_topic_regex) regexes.insert(*m.subscribed_topic_regex);
  }
  if (updated.subscribed_topic_regex) regexes.insert(*updated.subscribed_topic_regex);
  regexes.erase("");
  if (!regexes.empty()) {
    for (const std::string& name : topics.names()) {
      if (std::any_of(regexes.begin(), regexes.end(), [&](const std::string& r) { return matches(r, name); })) {
        ++names[name];
      }
    }
  }
  std::map<std::string, TopicInfo> metadata;
  for (const auto& [name, n] : names) {
    if (std::optional<TopicInfo> t = topics.by_name(name)) metadata[name] = *t;
  }
  if (metadata != g.subscription_metadata()) {
    out.push_back(subscription_metadata_record(group_id, metadata));
    bump = true;
  }
  int32_t group_epoch = g.group_epoch();
  if (bump) out.push_back(group_epoch_record(group_id, ++group_epoch));

  // 2. A new group epoch makes a new target assignment.
  int32_t target_epoch = g.assignment_epoch();
  TopicPartitionSet target;
  if (group_epoch > g.assignment_epoch()) {
    target = update_target(g, group_epoch, member, updated, replaced, metadata, out);
    target_epoch = group_epoch;
  } else if (const TopicPartitionSet* t = g.target(member_id)) {
    target = *t;
  } else if (replaced) {
    if (const TopicPartitionSet* t = g.target(*replaced)) target = *t;
  }

  // 3. The member moves towards its target.
  ConsumerGroupMember reconciled = reconcile(g, updated, target_epoch, target, request.topic_partitions, out);

  // 4. Kafka writes a heartbeat's records as one append, and a failed one changes nothing: so
  // here, before any timer moves, for records the offsets partition would refuse (a subscription
  // or ids too large, or a group whose new target assignment is).
  if (fits_ && !fits_(out)) {
    return failure(ErrorCode::unknown_server_error,
                   "The records of this heartbeat exceed the largest batch the offsets topic accepts.");
  }
  if (replaced) cancel_timers(group_id, *replaced);
  if (!reconciled.same_assignment(updated)) track_revocation(group_id, reconciled, now);
  schedule_session(group_id, member_id, now);

  auto& r = result.response;
  r.member_id = member_id;
  r.member_epoch = reconciled.epoch;
  r.heartbeat_interval_ms = config_.heartbeat_interval_ms;
  // The assignment goes back to a full request (a join, or a member resending everything after an
  // error) and whenever it changed.
  const bool full = joining || (request.rebalance_timeout_ms != -1 && request.subscribed_topic_names &&
                                request.topic_partitions);
  if (full || reconciled.assigned != member.assigned) {
    r.assignment.emplace().topic_partitions =
        to_wire<protocol::ConsumerGroupHeartbeatResponse::TopicPartitions>(reconciled.assigned);
  }
  return result;
}

TopicPartitionSet ConsumerGroupManager::update_target(const ConsumerGroup& g, int32_t group_epoch,
                                                      const ConsumerGroupMember& member,
                                                      const ConsumerGroupMember& updated,
                                                      const std::optional<std::string>& replaced,
                                                      const std::map<std::string, TopicInfo>& metadata,
                                                      std::vector<ConsumerGroupRecord>& out) const {
  AssignmentSpec spec;
  for (const auto& [name, t] : metadata) spec.partitions[t.id] = t.partitions;
  auto add = [&](const ConsumerGroupMember& m, const TopicPartitionSet* current) {
    AssignmentMember& a = spec.members[m.id];
    a.instance_id = m.instance_id;
    for (const auto& [name, t] : metadata) {
      if (subscribes(m, name)) a.topics.insert(t.id);
    }
    if (current) a.current = *current;
  };
  for (const auto& [id, m] : g.members()) {
    if (id != updated.id && id != replaced) add(m, g.target(id));
  }
  const TopicPartitionSet* current = g.target(updated.id);
  if (!current && replaced) current = g.target(*replaced);
  add(updated, current);

  // The assignor most members ask for, counting this member's new choice.
  std::map<std::string, int32_t> votes;
  for (const auto& [id, m] : g.members()) {
    if (m.server_assignor && id != member.id && id != replaced) ++votes[*m.server_assignor];
  }
  if (updated.server_assignor) ++votes[*updated.server_assignor];
  std::string assignor = default_assignor();
  int32_t most = 0;
  for (const auto& [name, n] : votes) {
    if (n > most) {
      assignor = name;
      most = n;
    }
  }

  GroupAssignment assignment = assign(assignor, spec);
  for (const auto& [id, partitions] : assignment) {
    const TopicPartitionSet* old = g.target(id);
    if (!old || *old != partitions) out.push_back(target_member_record(g.id(), id, partitions));
  }
  out.push_back(target_epoch_record(g.id(), group_epoch));
  return assignment[updated.id];
}

ConsumerGroupMember ConsumerGroupManager::reconcile(const ConsumerGroup& g, const ConsumerGroupMember& m,
                                                    int32_t target_epoch, const TopicPartitionSet& target,
                                                    const OwnedPartitions& owned,
                                                    std::vector<ConsumerGroupRecord>& out) const {
  if (m.reconciled_to(target_epoch)) return m;
  ConsumerGroupMember next = m;
  auto advance = [&] {
    // From what the member has, towards the target: keep what is in both, revoke the rest first,
    // and take new partitions only once their previous owner let them go.
    TopicPartitionSet assigned, revoking, to_assign;
    bool unreleased = false;
    std::set<Uuid, UuidLess> topic_ids;
    for (const auto& [t, ps] : target) topic_ids.insert(t);
    for (const auto& [t, ps] : m.assigned) topic_ids.insert(t);
    static const std::set<int32_t> kNone;
    for (const Uuid& t : topic_ids) {
      auto ti = target.find(t);
      auto ci = m.assigned.find(t);
      const std::set<int32_t>& want = ti != target.end() ? ti->second : kNone;
      const std::set<int32_t>& have = ci != m.assigned.end() ? ci->second : kNone;
      for (int32_t p : have) (want.count(p) ? assigned : revoking)[t].insert(p);
      for (int32_t p : want) {
        if (have.count(p)) continue;
        // Still owned by another member, or by this one at an earlier epoch as a partition it is
        // revoking (which it may keep now that it is wanted back).
        if (g.partition_epoch(t, p) != -1 && !contains(m.pending_revocation, t, p)) {
          unreleased = true;
        } else {
          to_assign[t].insert(p);
        }
      }
    }
    if (!revoking.empty() && owns_any(owned, revoking)) {
      next.state = MemberState::unrevoked_partitions;
      next.previous_epoch = m.epoch;
      next.assigned = std::move(assigned);
      next.pending_revocation = std::move(revoking);
      return;
    }
    for (auto& [t, ps] : to_assign) assigned[t].insert(ps.begin(), ps.end());
    next.state = unreleased ? MemberState::unreleased_partitions : MemberState::stable;
    next.previous_epoch = m.epoch;
    next.epoch = target_epoch;
    next.assigned = std::move(assigned);
    next.pending_revocation.clear();
  };
  switch (m.state) {
    case MemberState::stable:
      if (m.epoch != target_epoch) advance();
      break;
    case MemberState::unrevoked_partitions:
      // Waits until the member no longer reports any of the partitions it must give back.
      if (!owns_any(owned, m.pending_revocation)) advance();
      break;
    case MemberState::unreleased_partitions:
      advance();
      break;
    case MemberState::unknown:
      advance();
      break;
  }
  if (!next.same_assignment(m)) out.push_back(current_assignment_record(g.id(), next));
  return next;
}

void ConsumerGroupManager::track_revocation(const std::string& group_id, const ConsumerGroupMember& m, int64_t now) {
  const std::pair<std::string, std::string> key{group_id, m.id};
  if (m.state == MemberState::unrevoked_partitions) {
    timers_.schedule({TimerKind::rebalance, group_id, m.id}, now + std::max(m.rebalance_timeout_ms, 0));
    rebalance_epochs_[key] = m.epoch;
  } else {
    timers_.cancel({TimerKind::rebalance, group_id, m.id});
    rebalance_epochs_.erase(key);
  }
}

HeartbeatResult ConsumerGroupManager::leave(const ConsumerGroup& g, const HeartbeatRequest& request) {
  HeartbeatResult result;
  result.response.member_id = request.member_id;
  result.response.member_epoch = request.member_epoch;
  const ConsumerGroupMember* m = nullptr;
  if (!request.instance_id) {
    m = g.member(request.member_id);
    if (!m) {
      return failure(ErrorCode::unknown_member_id,
                     "Member " + request.member_id + " is not a member of group " + g.id() + ".");
    }
  } else {
    m = g.static_member(*request.instance_id);
    if (!m) return failure(ErrorCode::unknown_member_id, "Instance id " + *request.instance_id + " is unknown.");
    if (m->id != request.member_id) {
      return failure(ErrorCode::fenced_instance_id, "Static member " + request.member_id + " with instance id " +
                                                        *request.instance_id + " was fenced by member " + m->id + ".");
    }
    if (request.member_epoch == kStaticLeaveEpoch) {
      // The instance will be back (a restart): it keeps its partitions for the session timeout,
      // and a new process with its instance id may take its place.
      ConsumerGroupMember away = *m;
      away.epoch = kStaticLeaveEpoch;
      away.pending_revocation.clear();
      result.records.push_back(current_assignment_record(g.id(), away));
      result.response.member_id = m->id;
      return result;
    }
  }
  fence(g, *m, result.records);
  return result;
}

void ConsumerGroupManager::fence(const ConsumerGroup& g, const ConsumerGroupMember& m,
                                 std::vector<ConsumerGroupRecord>& out) {
  out.push_back(consumer_group_tombstone(Kind::current_member_assignment, g.id(), m.id));
  out.push_back(consumer_group_tombstone(Kind::target_assignment_member, g.id(), m.id));
  out.push_back(consumer_group_tombstone(Kind::member_metadata, g.id(), m.id));
  // Topics only this member subscribed to (by name or expression) leave the subscription metadata.
  std::map<std::string, TopicInfo> metadata;
  for (const auto& [name, t] : g.subscription_metadata()) {
    for (const auto& [id, other] : g.members()) {
      if (id != m.id && subscribes(other, name)) {
        metadata[name] = t;
        break;
      }
    }
  }
  if (metadata != g.subscription_metadata()) out.push_back(subscription_metadata_record(g.id(), metadata));
  out.push_back(group_epoch_record(g.id(), g.group_epoch() + 1));
  cancel_timers(g.id(), m.id);
}

void ConsumerGroupManager::schedule_session(const std::string& group_id, const std::string& member_id, int64_t now) {
  timers_.schedule({TimerKind::session, group_id, member_id}, now + config_.session_timeout_ms);
}

void ConsumerGroupManager::cancel_timers(const std::string& group_id, const std::string& member_id) {
  timers_.cancel({TimerKind::session, group_id, member_id});
  timers_.cancel({TimerKind::rebalance, group_id, member_id});
  rebalance_epochs_.erase({group_id, member_id});
}

void ConsumerGroupManager::on_loaded(const ConsumerGroup& g, int64_t now) {
  for (const auto& [id, m] : g.members()) {
    schedule_session(g.id(), id, now);
    if (m.state == MemberState::unrevoked_partitions) {
      timers_.schedule({TimerKind::rebalance, g.id(), id}, now + std::max(m.rebalance_timeout_ms, 0));
      rebalance_epochs_[{g.id(), id}] = m.epoch;
    }
  }
}

std::vector<ConsumerGroupRecord> ConsumerGroupManager::tick(int64_t now) {
  // One fence at a time: each one's records are computed from the group as the previous left it,
  // so the other keys due stay queued for the next call.
  std::vector<ConsumerGroupRecord> out;
  std::vector<TimerKey> due = timers_.take_due(now);
  for (size_t i = 0; i < due.size(); ++i) {
    const TimerKey& key = due[i];
    const auto& [kind, group_id, member_id] = key;
    const ConsumerGroup* g = lookup_(group_id);
    const ConsumerGroupMember* m = g ? g->member(member_id) : nullptr;
    if (!m) continue;
    if (kind == TimerKind::rebalance) {
      auto due = rebalance_epochs_.find({group_id, member_id});
      const bool still = due != rebalance_epochs_.end() && due->second == m->epoch;
      rebalance_epochs_.erase({group_id, member_id});
      if (!still) continue;
    }
    fence(*g, *m, out);
    for (size_t j = i + 1; j < due.size(); ++j) timers_.schedule(due[j], now);
    return out;
  }
  return out;
}

}  // namespace gregor::group
