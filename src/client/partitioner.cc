// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), byte for byte: the built-in
// partitioner's choice for a keyed record must match every other Kafka client's.
#include "gregor/producer.h"

namespace gregor {

int32_t murmur2(const uint8_t* data, size_t size) {
  // Java's int arithmetic: 32-bit wrap-around, logical shifts (>>>) on the unsigned value.
  const uint32_t seed = 0x9747b28cu;
  const uint32_t m = 0x5bd1e995u;
  const int r = 24;
  const uint32_t length = static_cast<uint32_t>(size);
  uint32_t h = seed ^ length;
  const size_t length4 = size / 4;
  for (size_t i = 0; i < length4; ++i) {
    const size_t i4 = i * 4;
    uint32_t k = static_cast<uint32_t>(data[i4]) | (static_cast<uint32_t>(data[i4 + 1]) << 8) |
                 (static_cast<uint32_t>(data[i4 + 2]) << 16) | (static_cast<uint32_t>(data[i4 + 3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const size_t tail = size & ~size_t{3};
  switch (size % 4) {
    case 3: h ^= static_cast<uint32_t>(data[tail + 2]) << 16; [[fallthrough]];
    case 2: h ^= static_cast<uint32_t>(data[tail + 1]) << 8; [[fallthrough]];
    case 1:
      h ^= static_cast<uint32_t>(data[tail]);
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int32_t partition_for_key(const Bytes& key, int32_t partitions) {
  // Utils.toPositive: the sign bit cleared (not abs, which fails for INT_MIN).
  const int32_t positive = murmur2(key.data(), key.size()) & 0x7fffffff;
  return positive % partitions;
}

}  // namespace gregor
