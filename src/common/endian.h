// Big-endian loads and stores at a fixed position: Kafka's byte order, for headers that are read
// and patched in place (frame sizes, batch headers) as well as for the streaming reader/writer.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace gregor {

template <typename T>
T byteswap_if_little(T v) {
  static_assert(std::is_integral_v<T>);
  if constexpr (std::endian::native == std::endian::big || sizeof(T) == 1) {
    return v;
  } else {
    using U = std::make_unsigned_t<T>;
    U u = static_cast<U>(v);
    if constexpr (sizeof(T) == 2) u = __builtin_bswap16(u);
    if constexpr (sizeof(T) == 4) u = __builtin_bswap32(u);
    if constexpr (sizeof(T) == 8) u = __builtin_bswap64(u);
    return static_cast<T>(u);
  }
}

template <typename T>
T load_be(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return byteswap_if_little(v);
}

template <typename T>
void store_be(uint8_t* p, T v) {
  v = byteswap_if_little(v);
  std::memcpy(p, &v, sizeof(T));
}

}  // namespace gregor
