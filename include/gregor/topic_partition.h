// The names of a partition and of a committed position, shared by the consumer and the admin
// client (Java's TopicPartition and OffsetAndMetadata).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>

namespace gregor {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
  // Kafka's TopicPartition.toString: "topic-partition".
  std::string str() const { return topic + "-" + std::to_string(partition); }
};

struct OffsetAndMetadata {
  int64_t offset = 0;
  std::string metadata;
  std::optional<int32_t> leader_epoch;
  friend bool operator==(const OffsetAndMetadata&, const OffsetAndMetadata&) = default;
};

}  // namespace gregor
