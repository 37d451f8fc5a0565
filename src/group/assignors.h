// The server-side assignors of KIP-848 consumer groups (group.consumer.assignors): given the
// members, what they subscribe to and what they were assigned, each computes the group's next
// target assignment. Pure functions: no state, no clock.
//
//   uniform  Kafka's default. Spreads every partition of the subscribed topics evenly over the
//            members (counts differ by at most one where subscriptions allow), keeping as much of
//            the current assignment as balance permits.
//   range    Per topic, each subscriber gets a contiguous share (the first members one more when
//            it does not divide), so co-partitioned topics line up; current partitions are kept
//            within each member's share.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/uuid.h"

namespace gregor::group {

struct UuidLess {
  bool operator()(const Uuid& a, const Uuid& b) const { return a.bytes < b.bytes; }
};

// Partitions by topic id, as the records and the heartbeat carry them.
using TopicPartitionSet = std::map<Uuid, std::set<int32_t>, UuidLess>;

struct AssignmentMember {
  std::optional<std::string> instance_id;
  std::set<Uuid, UuidLess> topics;  // the subscribed topics that exist
  TopicPartitionSet current;        // the member's current target assignment
};

struct AssignmentSpec {
  std::map<std::string, AssignmentMember> members;  // by member id
  std::map<Uuid, int32_t, UuidLess> partitions;     // partition count of every subscribed topic
};

using GroupAssignment = std::map<std::string, TopicPartitionSet>;

inline constexpr std::string_view kUniformAssignor = "uniform";
inline constexpr std::string_view kRangeAssignor = "range";

bool known_assignor(std::string_view name);
// The target assignment by the named assignor (one of known_assignor's); every member of the
// spec has an entry, empty or not.
GroupAssignment assign(std::string_view assignor, const AssignmentSpec& spec);

GroupAssignment assign_uniform(const AssignmentSpec& spec);
GroupAssignment assign_range(const AssignmentSpec& spec);

}  // namespace gregor::group
