// Kafka's 128-bit UUID (topic ids, directory ids, member ids). Printed as Kafka prints it:
// URL-safe base64 without padding, 22 characters.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gregor {

struct Uuid {
  std::array<uint8_t, 16> bytes{};

  static constexpr Uuid zero() { return {}; }
  bool is_zero() const { return *this == Uuid{}; }
  uint64_t most_significant() const;
  uint64_t least_significant() const;
  static Uuid from_halves(uint64_t most, uint64_t least);

  std::string to_string() const;
  static std::optional<Uuid> parse(std::string_view base64);

  friend bool operator==(const Uuid&, const Uuid&) = default;
};

}  // namespace gregor
