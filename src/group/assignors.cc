#include "group/assignors.h"

#include <algorithm>
#include <utility>

namespace gregor::group {

namespace {

using TopicPartition = std::pair<Uuid, int32_t>;

struct TopicPartitionLess {
  bool operator()(const TopicPartition& a, const TopicPartition& b) const {
    if (a.first != b.first) return UuidLess{}(a.first, b.first);
    return a.second < b.second;
  }
};

// What each member may keep of its current assignment: partitions of topics it still subscribes
// to that still exist, each kept by one member only (the first, by member id).
std::map<std::string, std::vector<TopicPartition>> retainable(const AssignmentSpec& spec) {
  std::map<std::string, std::vector<TopicPartition>> out;
  std::set<TopicPartition, TopicPartitionLess> taken;
  for (const auto& [id, m] : spec.members) {
    auto& kept = out[id];
    for (const auto& [topic, partitions] : m.current) {
      auto count = spec.partitions.find(topic);
      if (!m.topics.count(topic) || count == spec.partitions.end()) continue;
      for (int32_t p : partitions) {
        if (p < 0 || p >= count->second || !taken.insert({topic, p}).second) continue;
        kept.emplace_back(topic, p);
      }
    }
  }
  return out;
}

void add(TopicPartitionSet& to, const TopicPartition& tp) { to[tp.first].insert(tp.second); }

GroupAssignment empty_assignment(const AssignmentSpec& spec) {
  GroupAssignment out;
  for (const auto& [id, m] : spec.members) out[id];
  return out;
}

// Every member subscribes to the same topics: quotas of total / members, the remainder going to
// the members that already hold the most (so that they keep it), then the free partitions fill
// the members below their quota.
GroupAssignment uniform_homogeneous(const AssignmentSpec& spec) {
  GroupAssignment out = empty_assignment(spec);
  const std::set<Uuid, UuidLess>& topics = spec.members.begin()->second.topics;
  int64_t total = 0;
  for (const Uuid& t : topics) {
    auto count = spec.partitions.find(t);
    if (count != spec.partitions.end()) total += count->second;
  }
  if (total == 0) return out;
  auto kept = retainable(spec);
  const int64_t members = static_cast<int64_t>(spec.members.size());
  const int64_t min_quota = total / members;
  int64_t extra = total % members;
  std::vector<std::string> order;
  for (const auto& [id, m] : spec.members) order.push_back(id);
  std::stable_sort(order.begin(), order.end(),
                   [&](const std::string& a, const std::string& b) { return kept[a].size() > kept[b].size(); });
  std::set<TopicPartition, TopicPartitionLess> assigned;
  std::map<std::string, int64_t> room;
  for (const std::string& id : order) {
    int64_t quota = min_quota;
    if (extra > 0) {
      ++quota;
      --extra;
    }
    const auto& mine = kept[id];
    const int64_t keep = std::min<int64_t>(quota, static_cast<int64_t>(mine.size()));
    for (int64_t i = 0; i < keep; ++i) {
      add(out[id], mine[static_cast<size_t>(i)]);
      assigned.insert(mine[static_cast<size_t>(i)]);
    }
    room[id] = quota - keep;
  }
  auto member = spec.members.begin();
  for (const Uuid& t : topics) {
    auto count = spec.partitions.find(t);
    if (count == spec.partitions.end()) continue;
    for (int32_t p = 0; p < count->second; ++p) {
      if (assigned.count({t, p})) continue;
      while (member != spec.members.end() && room[member->first] == 0) ++member;
      if (member == spec.members.end()) return out;  // cannot happen: the quotas add up to the total
      add(out[member->first], {t, p});
      --room[member->first];
    }
  }
  return out;
}

// Members subscribe to different topics: keep what can be kept, give each free partition to the
// least loaded member that subscribes to its topic (topics with fewer subscribers first), then move
// partitions from members with more to subscribers with at least two fewer until none can move.
GroupAssignment uniform_heterogeneous(const AssignmentSpec& spec) {
  GroupAssignment out = empty_assignment(spec);
  auto kept = retainable(spec);
  std::map<std::string, std::set<TopicPartition, TopicPartitionLess>> owned;
  std::set<TopicPartition, TopicPartitionLess> assigned;
  for (auto& [id, partitions] : kept) {
    for (const auto& tp : partitions) {
      owned[id].insert(tp);
      assigned.insert(tp);
    }
  }
  std::map<Uuid, std::vector<std::string>, UuidLess> subscribers;
  for (const auto& [id, m] : spec.members) {
    for (const Uuid& t : m.topics) {
      if (spec.partitions.count(t)) subscribers[t].push_back(id);
    }
  }
  std::vector<Uuid> topics;
  for (const auto& [t, ids] : subscribers) topics.push_back(t);
  std::stable_sort(topics.begin(), topics.end(),
                   [&](const Uuid& a, const Uuid& b) { return subscribers[a].size() < subscribers[b].size(); });
  auto least_loaded = [&](const std::vector<std::string>& ids) {
    const std::string* best = &ids.front();
    for (const std::string& id : ids) {
      if (owned[id].size() < owned[*best].size()) best = &id;
    }
    return *best;
  };
  for (const Uuid& t : topics) {
    for (int32_t p = 0; p < spec.partitions.at(t); ++p) {
      if (assigned.count({t, p})) continue;
      owned[least_loaded(subscribers[t])].insert({t, p});
    }
  }
  for (bool moved = true; moved;) {
    moved = false;
    for (const auto& [from, from_member] : spec.members) {
      for (const TopicPartition& tp : owned[from]) {
        const std::string to = least_loaded(subscribers[tp.first]);
        if (owned[to].size() + 1 < owned[from].size()) {
          owned[to].insert(tp);
          owned[from].erase(tp);
          moved = true;
          break;
        }
      }
    }
  }
  for (const auto& [id, partitions] : owned) {
    for (const auto& tp : partitions) add(out[id], tp);
  }
  return out;
}

bool homogeneous(const AssignmentSpec& spec) {
  const auto& first = spec.members.begin()->second.topics;
  return std::all_of(spec.members.begin(), spec.members.end(), [&](const auto& m) { return m.second.topics == first; });
}

}  // namespace

bool known_assignor(std::string_view name) { return name == kUniformAssignor || name == kRangeAssignor; }

GroupAssignment assign(std::string_view assignor, const AssignmentSpec& spec) {
  return assignor == kRangeAssignor ? assign_range(spec) : assign_uniform(spec);
}

GroupAssignment assign_uniform(const AssignmentSpec& spec) {
  if (spec.members.empty()) return {};
  return homogeneous(spec) ? uniform_homogeneous(spec) : uniform_heterogeneous(spec);
}

GroupAssignment assign_range(const AssignmentSpec& spec) {
  GroupAssignment out = empty_assignment(spec);
  std::map<Uuid, std::vector<std::string>, UuidLess> subscribers;  // member ids in order
  for (const auto& [id, m] : spec.members) {
    for (const Uuid& t : m.topics) {
      if (spec.partitions.count(t)) subscribers[t].push_back(id);
    }
  }
  for (const auto& [topic, ids] : subscribers) {
    const int32_t count = spec.partitions.at(topic);
    const int32_t min_quota = count / static_cast<int32_t>(ids.size());
    int32_t extra = count % static_cast<int32_t>(ids.size());
    std::set<int32_t> kept;
    std::vector<std::pair<std::string, int32_t>> unfilled;  // member, partitions still due
    for (const std::string& id : ids) {
      std::vector<int32_t> current;
      auto it = spec.members.at(id).current.find(topic);
      if (it != spec.members.at(id).current.end()) {
        for (int32_t p : it->second) {
          if (p >= 0 && p < count && !kept.count(p)) current.push_back(p);
        }
      }
      // The lowest partitions are kept, so that co-partitioned topics stay aligned.
      const int32_t keep = std::min<int32_t>(static_cast<int32_t>(current.size()), min_quota);
      for (int32_t i = 0; i < keep; ++i) {
        kept.insert(current[static_cast<size_t>(i)]);
        out[id][topic].insert(current[static_cast<size_t>(i)]);
      }
      const int32_t due = min_quota - static_cast<int32_t>(current.size());
      if (due < 0 && extra > 0) {
        --extra;
        kept.insert(current[static_cast<size_t>(min_quota)]);
        out[id][topic].insert(current[static_cast<size_t>(min_quota)]);
      } else {
        unfilled.emplace_back(id, due);
      }
    }
    std::vector<int32_t> free;
    for (int32_t p = 0; p < count; ++p) {
      if (!kept.count(p)) free.push_back(p);
    }
    size_t next = 0;
    for (auto [id, due] : unfilled) {
      if (extra > 0) {
        ++due;
        --extra;
      }
      for (int32_t i = 0; i < due && next < free.size(); ++i) out[id][topic].insert(free[next++]);
    }
  }
  return out;
}

}  // namespace gregor::group
