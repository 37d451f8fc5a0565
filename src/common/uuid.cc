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
  if (s.size() != 22) return std::nullopt;
  Uuid u;
  size_t out = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = decode_char(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (out < 16) u.bytes[out++] = static_cast<uint8_t>(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  // The last character carries 4 padding bits that must be zero for a canonical encoding.
  if (out != 16 || acc != 0) return std::nullopt;
  return u;
}

}  // namespace gregor
