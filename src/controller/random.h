// The controller's source of randomness (topic ids, replica placement). Seeded, so a test that
// fixes the seed gets the same ids and placements every run.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "common/splitmix64.h"
#include "common/uuid.h"

namespace gregor::controller {

class Random {
 public:
  explicit Random(uint64_t seed) : bits_(seed) {}

  uint64_t next_u64() { return bits_.next(); }

  // Uniform in [0, bound); bound must be positive.
  int32_t next_int(int32_t bound) {
    const uint64_t b = static_cast<uint64_t>(bound);
    const uint64_t limit = UINT64_MAX - UINT64_MAX % b;  // reject the uneven tail
    uint64_t v;
    do {
      v = next_u64();
    } while (v >= limit);
    return static_cast<int32_t>(v % b);
  }

  // Fisher-Yates, as Java's Collections.shuffle walks it.
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i)
      std::swap(v[i - 1], v[static_cast<size_t>(next_int(static_cast<int32_t>(i)))]);
  }

  // A random version-4 UUID that Kafka's Uuid.randomUuid could return: never one of the reserved
  // ids (zero, and 1 for the metadata topic) and never one whose text starts with '-'.
  Uuid next_uuid();

 private:
  SplitMix64 bits_;
};

}  // namespace gregor::controller
