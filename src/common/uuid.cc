#include "common/uuid.h"

namespace gregor {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decode_char(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (decode_char(c) < 0) return false;
  }
  return true;
}

// Decodes base64url digits (all valid) into the first 16 bytes of u; returns the bits left over.
uint32_t decode_digits(std::string_view s, Uuid& u) {
  size_t out = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    acc = (acc << 6) | static_cast<uint32_t>(decode_char(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (out < 16) u.bytes[out++] = static_cast<uint8_t>(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  return acc;
}
}  // namespace

uint64_t Uuid::most_significant() const {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | bytes[i];
  return v;
}

uint64_t Uuid::least_significant() const {
  uint64_t v = 0;
  for (int i = 8; i < 16; ++i) v = (v << 8) | bytes[i];
  return v;
}

Uuid Uuid::from_halves(uint64_t most, uint64_t least) {
  Uuid u;
  for (int i = 7; i >= 0; --i, most >>= 8) u.bytes[i] = static_cast<uint8_t>(most);
  for (int i = 15; i >= 8; --i, least >>= 8) u.bytes[i] = static_cast<uint8_t>(least);
  return u;
}

std::string Uuid::to_string() const {
  std::string out;
  out.reserve(22);
  // 16 bytes = 5 groups of 3 bytes + 1 trailing byte.
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  uint32_t n = bytes[i] << 16;
  out += kAlphabet[(n >> 18) & 63];
  out += kAlphabet[(n >> 12) & 63];
  return out;
}

std::optional<Uuid> Uuid::parse(std::string_view s) {
  if (s.size() != 22 || !all_digits(s)) return std::nullopt;
  Uuid u;
  // The last character carries 4 padding bits that must be zero for a canonical encoding.
  if (decode_digits(s, u) != 0) return std::nullopt;
  return u;
}

std::optional<Uuid> Uuid::from_kafka_string(std::string_view s, std::string* error) {
  if (s.size() > 24) {
    *error =
        "Input string with prefix `" + std::string(s.substr(0, 24)) + "` is too long to be decoded as a base64 UUID";
    return std::nullopt;
  }
  std::string_view digits = s;
  for (int padding = 0; padding < 2 && !digits.empty() && digits.back() == '='; ++padding) digits.remove_suffix(1);
  for (char c : digits) {
    if (decode_char(c) < 0) {
      // Java's message: the character in hexadecimal.
      static constexpr char kHex[] = "0123456789abcdef";
      auto u = static_cast<unsigned char>(c);
      *error = "Illegal base64 character ";
      if (u >= 16) *error += kHex[u >> 4];
      *error += kHex[u & 15];
      return std::nullopt;
    }
  }
  if (digits.size() % 4 == 1) {
    *error = "Last unit does not have enough valid bits";
    return std::nullopt;
  }
  size_t decoded = digits.size() * 6 / 8;
  if (decoded != 16) {
    *error = "Input string `" + std::string(s) + "` decoded as " + std::to_string(decoded) +
             " bytes, which is not equal to the expected 16 bytes of a base64-encoded UUID";
    return std::nullopt;
  }
  Uuid u;
  decode_digits(digits, u);
  return u;
}

}  // namespace gregor
