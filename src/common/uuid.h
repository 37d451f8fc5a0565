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
  // The canonical form only: 22 characters, unused bits zero.
  static std::optional<Uuid> parse(std::string_view base64);
  // As Kafka's Uuid.fromString, which reads with Java's URL-safe base64 decoder: '=' padding is
  // allowed and the unused low bits of the last character are ignored. On failure *error gets the
  // message of Kafka's exception, e.g. "Input string `abc` decoded as 2 bytes, which is not equal
  // to the expected 16 bytes of a base64-encoded UUID".
  static std::optional<Uuid> from_kafka_string(std::string_view s, std::string* error);

  friend bool operator==(const Uuid&, const Uuid&) = default;
};

}  // namespace gregor
