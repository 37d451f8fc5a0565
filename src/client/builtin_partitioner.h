// The producer's built-in partitioner (Kafka's BuiltInPartitioner, KIP-794): a key picks
// toPositive(murmur2(key)) % partitions; a record without a key (or with keys ignored) goes to the
// topic's sticky partition, which moves on to another partition, chosen at random among those with
// a leader, once batch.size bytes were appended to it. Not thread-safe: the accumulator's lock
// guards it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>

#include "gregor/producer.h"

namespace gregor::client {

class BuiltInPartitioner {
 public:
  BuiltInPartitioner(size_t batch_size, bool ignore_keys, uint32_t seed = std::random_device{}())
      : batch_size_(batch_size), ignore_keys_(ignore_keys), rng_(seed) {}

  // has_leader(p) tells which partitions are available for the sticky choice.
  int32_t partition(const std::string& topic, const Bytes* key, int32_t partitions,
                    const std::function<bool(int32_t)>& has_leader);
  // Counts bytes a record added to its partition's batch, which may end the sticky partition.
  void appended(const std::string& topic, int32_t partition, size_t bytes);

 private:
  struct Sticky {
    int32_t partition = -1;
    size_t bytes = 0;
  };
  size_t batch_size_;
  bool ignore_keys_;
  std::mt19937 rng_;
  std::map<std::string, Sticky> sticky_;
};

}  // namespace gregor::client
