#include "controller/random.h"

namespace gregor::controller {

Uuid Random::next_uuid() {
  for (;;) {
    // Java's UUID.randomUUID: 122 random bits, version 4, IETF variant.
    uint64_t most = next_u64();
    uint64_t least = next_u64();
    most = (most & ~0xf000ULL) | 0x4000ULL;
    least = (least & ~(0xc0ULL << 56)) | (0x80ULL << 56);
    Uuid id = Uuid::from_halves(most, least);
    if (id.is_zero() || id == Uuid::from_halves(0, 1) || id.to_string().front() == '-') continue;
    return id;
  }
}

}  // namespace gregor::controller
