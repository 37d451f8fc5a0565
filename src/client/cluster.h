// What a client knows of the cluster from its last Metadata response: brokers, topics (with
// their ids) and each partition's leader. Immutable once published; readers share it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error_code.h"
#include "common/uuid.h"

namespace gregor::client {

struct BrokerAddress {
  int32_t id = -1;
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;
};

struct PartitionMetadata {
  int32_t partition = 0;
  ErrorCode error = ErrorCode::none;
  int32_t leader = -1;
  int32_t leader_epoch = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
};

struct TopicMetadata {
  std::string name;
  Uuid id;
  ErrorCode error = ErrorCode::none;
  bool internal = false;
  std::vector<PartitionMetadata> partitions;  // by partition index
};

struct Cluster {
  std::optional<std::string> cluster_id;
  int32_t controller_id = -1;
  std::map<int32_t, BrokerAddress> brokers;
  std::map<std::string, TopicMetadata> topics;

  const BrokerAddress* broker(int32_t id) const {
    auto it = brokers.find(id);
    return it == brokers.end() ? nullptr : &it->second;
  }
  const TopicMetadata* topic(const std::string& name) const {
    auto it = topics.find(name);
    return it == topics.end() ? nullptr : &it->second;
  }
  const PartitionMetadata* partition(const std::string& topic_name, int32_t p) const {
    const TopicMetadata* t = topic(topic_name);
    if (!t || p < 0 || static_cast<size_t>(p) >= t->partitions.size()) return nullptr;
    return &t->partitions[p];
  }
  // The leader of a partition, -1 when unknown.
  int32_t leader(const std::string& topic_name, int32_t p) const {
    const PartitionMetadata* pm = partition(topic_name, p);
    return pm && pm->leader >= 0 && broker(pm->leader) ? pm->leader : -1;
  }
  std::optional<std::string> topic_name(const Uuid& id) const {
    for (const auto& [name, t] : topics)
      if (t.id == id) return name;
    return std::nullopt;
  }
};

}  // namespace gregor::client
