#include "record/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string_view>

namespace gregor::record {
namespace {

using Impl = uint32_t (*)(uint32_t, const uint8_t*, size_t);

uint32_t run(Impl impl, const Bytes& data) { return impl(0, data.data(), data.size()); }

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Known answers: the classic check value and the iSCSI vectors of RFC 3720, appendix B.4.
void check_vectors(Impl impl) {
  EXPECT_EQ(run(impl, {}), 0u);
  EXPECT_EQ(run(impl, bytes_of("123456789")), 0xE3069283u);
  EXPECT_EQ(run(impl, Bytes(32, 0x00)), 0x8A9136AAu);
  EXPECT_EQ(run(impl, Bytes(32, 0xFF)), 0x62A8AB43u);
  Bytes ascending(32), descending(32);
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<uint8_t>(i);
    descending[i] = static_cast<uint8_t>(31 - i);
  }
  EXPECT_EQ(run(impl, ascending), 0x46DD794Eu);
  EXPECT_EQ(run(impl, descending), 0x113FDB5Cu);
  Bytes iscsi_read = {0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
                      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
                      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(run(impl, iscsi_read), 0xD9963A56u);
}

TEST(Crc32c, PortableMatchesKnownVectors) { check_vectors(crc32c_extend_portable); }

TEST(Crc32c, HardwareMatchesKnownVectors) {
  if (!crc32c_hardware_available()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  check_vectors(crc32c_extend_hardware);
}

TEST(Crc32c, DispatchedMatchesKnownVectors) {
  check_vectors(crc32c_extend);
  EXPECT_EQ(crc32c(BytesView::of("123456789")), 0xE3069283u);
}

TEST(Crc32c, ExtendingEqualsChecksummingTheConcatenation) {
  Bytes all = bytes_of("The quick brown fox jumps over the lazy dog, twice over.");
  for (size_t split = 0; split <= all.size(); ++split) {
    uint32_t head = crc32c(BytesView(all.data(), split));
    EXPECT_EQ(crc32c_extend(head, all.data() + split, all.size() - split), crc32c(all)) << split;
  }
}

TEST(Crc32c, HardwareAndPortableAgreeOnRandomLengthsAndAlignments) {
  if (!crc32c_hardware_available()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::mt19937_64 rng(42);
  Bytes buffer(4096 + 16);
  for (auto& b : buffer) b = static_cast<uint8_t>(rng());
  for (int i = 0; i < 2000; ++i) {
    size_t offset = rng() % 16;
    size_t length = rng() % 4096;
    uint32_t seed = (i % 3 == 0) ? 0 : static_cast<uint32_t>(rng());
    const uint8_t* p = buffer.data() + offset;
    ASSERT_EQ(crc32c_extend_hardware(seed, p, length), crc32c_extend_portable(seed, p, length))
        << "offset " << offset << " length " << length;
  }
}

}  // namespace
}  // namespace gregor::record
