// splitmix64: the seeded generator behind every deterministic choice (the controller's ids and
// placements, Raft's election timeouts, the simulations' faults). Small, fast, and the same on
// every platform, so a seed replays exactly.
#pragma once

#include <cstdint>

namespace gregor {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

}  // namespace gregor
