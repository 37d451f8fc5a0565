// A topic name and partition number, as Kafka's TopicPartition: ordered by topic then partition,
// printed "topic-partition" (the name of the partition's directory in a log dir).
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace gregor::storage {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  // "my-topic-3".
  std::string to_string() const { return topic + "-" + std::to_string(partition); }

  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
  friend std::strong_ordering operator<=>(const TopicPartition&, const TopicPartition&) = default;
};

}  // namespace gregor::storage
