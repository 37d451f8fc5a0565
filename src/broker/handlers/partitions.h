// Helpers for handlers that act on partitions, each on the shard that owns it.
#pragma once

#include <vector>

#include "broker/broker.h"
#include "common/error_code.h"

namespace gregor::broker {

// One target per partition a request names (make(topic, partition)), topic by topic, in order.
template <typename Target, typename Topics, typename Make>
std::vector<Target> per_partition(const Topics& topics, Make make) {
  std::vector<Target> out;
  for (const auto& topic : topics) {
    for (const auto& partition : topic.partitions) out.push_back(make(topic, partition));
  }
  return out;
}

// The response to such a request, in its order: for each topic asked one answered, named by
// name(out_topic, topic), holding a partition filled by fill(out_partition, partition, i) for
// each partition asked, where i counts partitions across topics as per_partition's targets do.
template <typename OutTopics, typename Topics, typename Name, typename Fill>
void answer_per_partition(const Topics& topics, OutTopics& out, Name name, Fill fill) {
  size_t i = 0;
  for (const auto& topic : topics) {
    auto& answered = out.emplace_back();
    name(answered, topic);
    for (const auto& partition : topic.partitions) fill(answered.partitions.emplace_back(), partition, i++);
  }
}

// Calls fn(replicas, target) for every target on the shard that owns target.tp, the shards in
// parallel, and returns the results in target order. fn is copied to each shard.
template <typename Result, typename Target, typename Fn>
asio::awaitable<std::vector<Result>> on_owning_shards(Broker& broker, const std::vector<Target>& targets, Fn fn) {
  const unsigned shard_count = static_cast<unsigned>(broker.shard_count());
  std::vector<std::vector<size_t>> per_shard(shard_count);
  for (size_t i = 0; i < targets.size(); ++i) per_shard[shard_of(targets[i].tp, shard_count)].push_back(i);
  std::vector<asio::awaitable<std::vector<Result>>> runs;
  std::vector<unsigned> shards;
  for (unsigned s = 0; s < shard_count; ++s) {
    if (per_shard[s].empty()) continue;
    shards.push_back(s);
    runs.push_back(invoke_on(broker.shard(s), [&broker, s, indexes = &per_shard[s], &targets, fn] {
      std::vector<Result> out;
      for (size_t i : *indexes) out.push_back(fn(broker.replicas(s), targets[i]));
      return out;
    }));
  }
  std::vector<std::vector<Result>> results = co_await when_all(std::move(runs));
  std::vector<Result> ordered(targets.size());
  for (size_t k = 0; k < shards.size(); ++k) {
    const std::vector<size_t>& indexes = per_shard[shards[k]];
    for (size_t j = 0; j < indexes.size(); ++j) ordered[indexes[j]] = std::move(results[k][j]);
  }
  co_return ordered;
}

// The error for a partition this broker does not lead, as Kafka's ReplicaManager gives it: one
// the metadata knows (led elsewhere) is NOT_LEADER_OR_FOLLOWER, any other does not exist.
inline ErrorCode not_led_error(Broker& broker, const TopicPartition& tp) {
  if (MetadataService* metadata = broker.metadata()) {
    const metadata::TopicImage* topic = metadata->image()->topic(tp.topic);
    if (topic && topic->partition(tp.partition)) return ErrorCode::not_leader_or_follower;
  }
  return ErrorCode::unknown_topic_or_partition;
}

}  // namespace gregor::broker
