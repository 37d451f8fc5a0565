#include "client/assignors.h"

#include <algorithm>
#include <set>

#include "common/byte_reader.h"
#include "common/byte_writer.h"
#include "protocol/generated/message/consumer_protocol_assignment.h"
#include "protocol/generated/message/consumer_protocol_subscription.h"

namespace gregor::client {

namespace {

// ConsumerProtocol's latest version, which Kafka 4.0's consumer sends; a newer one is read as
// this one (its extra fields ignored), as Kafka does.
constexpr int16_t kConsumerProtocolVersion = 3;

// Kafka's MemberInfo order: members with a group.instance.id first, by it; then by member id.
bool member_less(const MemberSubscription& a, const MemberSubscription& b) {
  if (a.group_instance_id && b.group_instance_id) return *a.group_instance_id < *b.group_instance_id;
  if (a.group_instance_id || b.group_instance_id) return a.group_instance_id.has_value();
  return a.member_id < b.member_id;
}

std::vector<const MemberSubscription*> sorted_members(const std::vector<MemberSubscription>& members) {
  std::vector<const MemberSubscription*> out;
  for (const auto& m : members) out.push_back(&m);
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return member_less(*a, *b); });
  return out;
}

bool subscribes(const MemberSubscription& m, const std::string& topic) {
  return std::find(m.topics.begin(), m.topics.end(), topic) != m.topics.end();
}

Assignment empty_assignment(const std::vector<MemberSubscription>& members) {
  Assignment out;
  for (const auto& m : members) out[m.member_id];
  return out;
}

// Kafka's RangeAssignor: per topic, the members subscribed to it in MemberInfo order each take a
// consecutive range; the first (partitions % members) take one more.
class RangeAssignor : public PartitionAssignor {
 public:
  std::string name() const override { return "range"; }
  Assignment assign(const std::map<std::string, int32_t>& partitions_per_topic,
                    const std::vector<MemberSubscription>& members) const override {
    Assignment out = empty_assignment(members);
    auto sorted = sorted_members(members);
    for (const auto& [topic, count] : partitions_per_topic) {
      std::vector<const MemberSubscription*> subscribed;
      for (const auto* m : sorted)
        if (subscribes(*m, topic)) subscribed.push_back(m);
      if (subscribed.empty()) continue;
      const int32_t n = static_cast<int32_t>(subscribed.size());
      const int32_t per = count / n, extra = count % n;
      for (int32_t i = 0; i < n; ++i) {
        const int32_t start = per * i + std::min(i, extra);
        const int32_t length = per + (i + 1 > extra ? 0 : 1);
        for (int32_t p = start; p < start + length; ++p) out[subscribed[i]->member_id].push_back({topic, p});
      }
    }
    return out;
  }
};

// Kafka's RoundRobinAssignor: every partition of every topic in order (topics by name), dealt to
// the members in MemberInfo order, skipping members not subscribed to the partition's topic.
class RoundRobinAssignor : public PartitionAssignor {
 public:
  std::string name() const override { return "roundrobin"; }
  Assignment assign(const std::map<std::string, int32_t>& partitions_per_topic,
                    const std::vector<MemberSubscription>& members) const override {
    Assignment out = empty_assignment(members);
    auto sorted = sorted_members(members);
    if (sorted.empty()) return out;
    size_t next = 0;
    for (const auto& [topic, count] : partitions_per_topic) {
      bool any = false;
      for (const auto* m : sorted) any |= subscribes(*m, topic);
      if (!any) continue;
      for (int32_t p = 0; p < count; ++p) {
        while (!subscribes(*sorted[next % sorted.size()], topic)) ++next;
        out[sorted[next % sorted.size()]->member_id].push_back({topic, p});
        ++next;
      }
    }
    return out;
  }
};

// Kafka's CooperativeStickyAssignor: a balanced assignment that keeps as many owned partitions
// where they are as balance allows, then (cooperative) withholds every partition that changes
// owner, so its old owner revokes it first and a second rebalance hands it over.
class CooperativeStickyAssignor : public PartitionAssignor {
 public:
  std::string name() const override { return "cooperative-sticky"; }
  bool cooperative() const override { return true; }
  std::optional<Bytes> user_data(int32_t generation) const override {
    Bytes out;
    ByteWriter w(out);
    w.write_int32(generation);
    return out;
  }
  Assignment assign(const std::map<std::string, int32_t>& partitions_per_topic,
                    const std::vector<MemberSubscription>& members) const override {
    Assignment out = empty_assignment(members);
    auto sorted = sorted_members(members);
    // Who owned each partition: the claim of the highest generation wins (a member that missed
    // a rebalance may still claim what was moved away from it).
    std::map<TopicPartition, std::pair<int32_t, const MemberSubscription*>> owner;
    for (const auto* m : sorted) {
      int32_t generation = m->generation;
      if (generation < 0 && m->user_data && m->user_data->size() >= 4) {
        ByteReader r{BytesView(*m->user_data)};
        generation = r.read_int32("generation");
      }
      for (const auto& tp : m->owned_partitions) {
        auto count = partitions_per_topic.find(tp.topic);
        if (count == partitions_per_topic.end() || tp.partition >= count->second || !subscribes(*m, tp.topic))
          continue;
        auto it = owner.find(tp);
        if (it == owner.end() || generation > it->second.first) owner[tp] = {generation, m};
      }
    }
    // Every partition some member subscribes to, in topic then partition order.
    std::vector<TopicPartition> all;
    for (const auto& [topic, count] : partitions_per_topic) {
      bool any = false;
      for (const auto* m : sorted) any |= subscribes(*m, topic);
      if (any)
        for (int32_t p = 0; p < count; ++p) all.push_back({topic, p});
    }
    const size_t n = sorted.size();
    if (n == 0) return out;
    const size_t min_quota = all.size() / n;
    size_t over_min_left = all.size() % n;  // members that may hold min_quota + 1
    std::map<std::string, std::vector<TopicPartition>> target;
    std::set<TopicPartition> placed;
    // Owned partitions stay with their owner up to its quota.
    for (const auto* m : sorted) {
      std::vector<TopicPartition> kept;
      for (const auto& tp : m->owned_partitions) {
        auto it = owner.find(tp);
        if (it != owner.end() && it->second.second == m && !placed.count(tp)) kept.push_back(tp);
      }
      size_t quota = min_quota;
      if (kept.size() > min_quota && over_min_left > 0) {
        quota = min_quota + 1;
        --over_min_left;
      }
      if (kept.size() > quota) kept.resize(quota);
      for (const auto& tp : kept) placed.insert(tp);
      target[m->member_id] = std::move(kept);
    }
    // The rest go to the members with the fewest, in MemberInfo order, among those subscribed.
    for (const auto& tp : all) {
      if (placed.count(tp)) continue;
      const MemberSubscription* best = nullptr;
      for (const auto* m : sorted) {
        if (!subscribes(*m, tp.topic)) continue;
        const size_t have = target[m->member_id].size();
        if (have >= min_quota + 1 || (have == min_quota && over_min_left == 0)) continue;
        if (!best || have < target[best->member_id].size()) best = m;
      }
      if (!best)  // subscriptions differ and the quotas do not fit: the least loaded takes it
        for (const auto* m : sorted)
          if (subscribes(*m, tp.topic) && (!best || target[m->member_id].size() < target[best->member_id].size()))
            best = m;
      if (!best) continue;
      if (target[best->member_id].size() == min_quota && over_min_left > 0) --over_min_left;
      target[best->member_id].push_back(tp);
      placed.insert(tp);
    }
    // Cooperative: a partition another member still owns is not handed over in this round.
    for (auto& [member, tps] : target) {
      for (const auto& tp : tps) {
        auto it = owner.find(tp);
        if (it != owner.end() && it->second.second->member_id != member) continue;
        out[member].push_back(tp);
      }
      std::sort(out[member].begin(), out[member].end());
    }
    return out;
  }
};

std::string short_name(const std::string& class_name) {
  const std::string prefix = "org.apache.kafka.clients.consumer.";
  std::string name = class_name.rfind(prefix, 0) == 0 ? class_name.substr(prefix.size()) : class_name;
  if (name == "RangeAssignor") return "range";
  if (name == "RoundRobinAssignor") return "roundrobin";
  if (name == "CooperativeStickyAssignor") return "cooperative-sticky";
  return name;
}

}  // namespace

std::shared_ptr<PartitionAssignor> make_assignor(const std::string& class_name) {
  const std::string name = short_name(class_name);
  if (name == "range") return std::make_shared<RangeAssignor>();
  if (name == "roundrobin") return std::make_shared<RoundRobinAssignor>();
  if (name == "cooperative-sticky") return std::make_shared<CooperativeStickyAssignor>();
  throw ConfigException("Class " + class_name + " cannot be found");
}

Bytes encode_subscription(const MemberSubscription& s) {
  protocol::ConsumerProtocolSubscription sub;
  sub.topics = s.topics;
  std::sort(sub.topics.begin(), sub.topics.end());
  if (s.user_data) sub.user_data = BytesView(*s.user_data);
  for (const auto& tp : s.owned_partitions) {
    if (sub.owned_partitions.empty() || sub.owned_partitions.back().topic != tp.topic) {
      sub.owned_partitions.emplace_back();
      sub.owned_partitions.back().topic = tp.topic;
    }
    sub.owned_partitions.back().partitions.push_back(tp.partition);
  }
  sub.generation_id = s.generation;
  Bytes out;
  ByteWriter w(out);
  w.write_int16(kConsumerProtocolVersion);
  protocol::encode_message(sub, kConsumerProtocolVersion, out);
  return out;
}

std::optional<MemberSubscription> decode_subscription(BytesView data) {
  if (data.size() < 2) return std::nullopt;
  ByteReader r(data);
  const int16_t version = std::min<int16_t>(r.read_int16("version"), kConsumerProtocolVersion);
  if (version < 0) return std::nullopt;
  auto sub = protocol::decode_message<protocol::ConsumerProtocolSubscription>(
      data.subview(2, data.size() - 2), version, protocol::TrailingBytes::ignore);
  if (!sub.ok()) return std::nullopt;
  MemberSubscription out;
  out.topics = sub->topics;
  if (sub->user_data) out.user_data = sub->user_data->to_bytes();
  for (const auto& t : sub->owned_partitions)
    for (int32_t p : t.partitions) out.owned_partitions.push_back({t.topic, p});
  out.generation = sub->generation_id;
  return out;
}

Bytes encode_assignment(const std::vector<TopicPartition>& partitions) {
  protocol::ConsumerProtocolAssignment a;
  std::vector<TopicPartition> sorted = partitions;
  std::sort(sorted.begin(), sorted.end());
  for (const auto& tp : sorted) {
    if (a.assigned_partitions.empty() || a.assigned_partitions.back().topic != tp.topic) {
      a.assigned_partitions.emplace_back();
      a.assigned_partitions.back().topic = tp.topic;
    }
    a.assigned_partitions.back().partitions.push_back(tp.partition);
  }
  Bytes out;
  ByteWriter w(out);
  w.write_int16(kConsumerProtocolVersion);
  protocol::encode_message(a, kConsumerProtocolVersion, out);
  return out;
}

std::optional<std::vector<TopicPartition>> decode_assignment(BytesView data) {
  std::vector<TopicPartition> out;
  if (data.empty()) return out;  // an empty assignment (nothing for this member)
  if (data.size() < 2) return std::nullopt;
  ByteReader r(data);
  const int16_t version = std::min<int16_t>(r.read_int16("version"), kConsumerProtocolVersion);
  if (version < 0) return std::nullopt;
  auto a = protocol::decode_message<protocol::ConsumerProtocolAssignment>(data.subview(2, data.size() - 2), version,
                                                                          protocol::TrailingBytes::ignore);
  if (!a.ok()) return std::nullopt;
  for (const auto& t : a->assigned_partitions)
    for (int32_t p : t.partitions) out.push_back({t.topic, p});
  return out;
}

}  // namespace gregor::client
