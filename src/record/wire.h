// Fixed-position big-endian access for the batch headers, which are read and patched in place
// rather than streamed through a ByteReader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace gregor::record::wire {

template <typename T>
T load_be(const uint8_t* p) {
  std::make_unsigned_t<T> v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<std::make_unsigned_t<T>>((v << 8) | p[i]);
  return static_cast<T>(v);
}

template <typename T>
void store_be(uint8_t* p, T value) {
  auto v = static_cast<std::make_unsigned_t<T>>(value);
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<uint8_t>(v >> (8 * (sizeof(T) - 1 - i)));
}

// Offsets and timestamps are base + delta with both parts read from untrusted bytes; wrap
// like Java does instead of overflowing.
inline int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t wrapping_sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

}  // namespace gregor::record::wire
