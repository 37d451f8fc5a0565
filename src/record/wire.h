// Arithmetic on values read from untrusted batch headers.
#pragma once

#include <cstdint>

namespace gregor::record::wire {

// Offsets and timestamps are base + delta with both parts read from untrusted bytes; wrap
// like Java does instead of overflowing.
inline int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t wrapping_sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

}  // namespace gregor::record::wire
