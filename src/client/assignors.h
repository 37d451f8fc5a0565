// The consumer's partition assignors, as Kafka's: the group's leader runs one over every
// member's subscription and hands each member its partitions. RangeAssignor, RoundRobinAssignor
// and CooperativeStickyAssignor, named by partition.assignment.strategy with Kafka's class names
// or their short names (range, roundrobin, cooperative-sticky).
//
// The subscription and assignment travel in JoinGroup and SyncGroup as Kafka's ConsumerProtocol
// encodes them: a version (int16) followed by the generated ConsumerProtocolSubscription or
// ConsumerProtocolAssignment at that version.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "gregor/consumer.h"

namespace gregor::client {

// What a member told the group in its JoinGroup metadata.
struct MemberSubscription {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<std::string> topics;
  std::vector<TopicPartition> owned_partitions;
  int32_t generation = -1;  // of owned_partitions; -1 when unknown
  std::optional<Bytes> user_data;
};

using Assignment = std::map<std::string, std::vector<TopicPartition>>;  // by member id

class PartitionAssignor {
 public:
  virtual ~PartitionAssignor() = default;
  // The protocol name in JoinGroup ("range", "roundrobin", "cooperative-sticky").
  virtual std::string name() const = 0;
  // Cooperative assignors revoke only what moves, with a second rebalance to hand it over.
  virtual bool cooperative() const { return false; }
  // The user data a member sends in its subscription (cooperative-sticky: its generation).
  virtual std::optional<Bytes> user_data(int32_t /*generation*/) const { return std::nullopt; }
  // partitions_per_topic: partition counts of the subscribed topics that exist.
  virtual Assignment assign(const std::map<std::string, int32_t>& partitions_per_topic,
                            const std::vector<MemberSubscription>& members) const = 0;
};

// The assignor a class name (or short name) stands for; ConfigException otherwise.
std::shared_ptr<PartitionAssignor> make_assignor(const std::string& class_name);

// ConsumerProtocol's version-prefixed encodings.
Bytes encode_subscription(const MemberSubscription& s);
std::optional<MemberSubscription> decode_subscription(BytesView data);
Bytes encode_assignment(const std::vector<TopicPartition>& partitions);
std::optional<std::vector<TopicPartition>> decode_assignment(BytesView data);

}  // namespace gregor::client
