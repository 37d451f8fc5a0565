// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of v2 record batches.
//
// crc32c_extend continues a finished checksum over more bytes, so
// crc32c_extend(crc32c(a), b) == crc32c(a + b); start from 0 for an empty prefix.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"

namespace gregor::record {

uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t size);
inline uint32_t crc32c(BytesView data) { return crc32c_extend(0, data.data(), data.size()); }

// Both implementations, exposed so tests and benchmarks can compare them. crc32c_extend picks
// the hardware one once at startup when the CPU has SSE4.2.
uint32_t crc32c_extend_portable(uint32_t crc, const uint8_t* data, size_t size);
bool crc32c_hardware_available();
// Only call when crc32c_hardware_available().
uint32_t crc32c_extend_hardware(uint32_t crc, const uint8_t* data, size_t size);

}  // namespace gregor::record
