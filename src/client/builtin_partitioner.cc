#include "client/builtin_partitioner.h"

#include <vector>

namespace gregor::client {

int32_t BuiltInPartitioner::partition(const std::string& topic, const Bytes* key, int32_t partitions,
                                      const std::function<bool(int32_t)>& has_leader) {
  if (key && !ignore_keys_) return partition_for_key(*key, partitions);
  Sticky& s = sticky_[topic];
  if (s.partition < 0 || s.partition >= partitions || s.bytes >= batch_size_) {
    // Another partition than the one just filled, when there is one; with a leader, when any has.
    std::vector<int32_t> candidates;
    for (int32_t p = 0; p < partitions; ++p)
      if (has_leader(p) && (p != s.partition || partitions == 1)) candidates.push_back(p);
    if (candidates.empty()) {
      for (int32_t p = 0; p < partitions; ++p)
        if (p != s.partition || partitions == 1) candidates.push_back(p);
    }
    s.partition = candidates[std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(rng_)];
    s.bytes = 0;
  }
  return s.partition;
}

void BuiltInPartitioner::appended(const std::string& topic, int32_t partition, size_t bytes) {
  auto it = sticky_.find(topic);
  if (it != sticky_.end() && it->second.partition == partition) it->second.bytes += bytes;
}

}  // namespace gregor::client
