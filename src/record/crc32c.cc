#include "record/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace gregor::record {

namespace {

constexpr uint32_t kPolynomial = 0x82F63B78;  // 0x1EDC6F41 bit-reversed

// Slicing-by-8: table[k][b] is the CRC contribution of byte b followed by k zero bytes, so
// eight input bytes fold into the state with eight independent lookups.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = (c >> 1) ^ ((c & 1) ? kPolynomial : 0);
    t[0][b] = c;
  }
  for (size_t k = 1; k < 8; ++k)
    for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  return t;
}

constexpr Tables kTables = make_tables();

uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

uint32_t crc32c_extend_portable(uint32_t crc, const uint8_t* data, size_t size) {
  uint32_t s = ~crc;
  while (size >= 8) {
    uint64_t w = load_le64(data) ^ s;
    s = kTables[7][w & 0xff] ^ kTables[6][(w >> 8) & 0xff] ^ kTables[5][(w >> 16) & 0xff] ^
        kTables[4][(w >> 24) & 0xff] ^ kTables[3][(w >> 32) & 0xff] ^ kTables[2][(w >> 40) & 0xff] ^
        kTables[1][(w >> 48) & 0xff] ^ kTables[0][w >> 56];
    data += 8;
    size -= 8;
  }
  while (size--) s = (s >> 8) ^ kTables[0][(s ^ *data++) & 0xff];
  return ~s;
}

#if defined(__x86_64__)

bool crc32c_hardware_available() {
  static const bool available = __builtin_cpu_supports("sse4.2");
  return available;
}

__attribute__((target("sse4.2"))) uint32_t crc32c_extend_hardware(uint32_t crc, const uint8_t* data,
                                                                  size_t size) {
  uint64_t s = ~crc;
  while (size >= 8) {
    uint64_t w;
    std::memcpy(&w, data, 8);  // x86 is little-endian, which is the order the CRC consumes
    s = _mm_crc32_u64(s, w);
    data += 8;
    size -= 8;
  }
  uint32_t s32 = static_cast<uint32_t>(s);
  while (size--) s32 = _mm_crc32_u8(s32, *data++);
  return ~s32;
}

#else

bool crc32c_hardware_available() { return false; }
uint32_t crc32c_extend_hardware(uint32_t crc, const uint8_t* data, size_t size) {
  return crc32c_extend_portable(crc, data, size);
}

#endif

uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t size) {
  static const auto impl = crc32c_hardware_available() ? crc32c_extend_hardware : crc32c_extend_portable;
  return impl(crc, data, size);
}

}  // namespace gregor::record
