// Fills generated messages with random values that are valid for one version: only fields on
// the wire in that version are set, nulls only where the version allows them, and flexible
// versions get unknown tagged fields too. Driven by each struct's visit_fields/kFields.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "protocol/message_support.h"

namespace gregor::protocol::testing {

template <typename T>
concept GeneratedStruct = requires(T& t) {
  t.visit_fields([](auto&, const FieldInfo&) {});
  t.unknown_tagged_fields;
};

class MessageRandomizer {
 public:
  MessageRandomizer(uint64_t seed, int16_t version, bool flexible)
      : rng_(seed), version_(version), flexible_(flexible) {}

  template <GeneratedStruct T>
  void fill(T& s) {
    s.visit_fields([this](auto& member, const FieldInfo& info) {
      if (!info.versions.contains(version_)) return;
      field(member, info);
    });
    if (flexible_ && chance(4)) {
      // Tags far above any known one; ascending, as a well-formed encoder writes them.
      const uint32_t tag = 1000 + static_cast<uint32_t>(rng_() % 100);
      s.unknown_tagged_fields.push_back({tag, random_bytes(4)});
      if (chance(2)) s.unknown_tagged_fields.push_back({tag + 1, random_bytes(0)});
    }
  }

 private:
  bool chance(int one_in) { return rng_() % one_in == 0; }

  Bytes random_bytes(size_t max_len) {
    Bytes b(max_len ? rng_() % (max_len + 1) : 0);
    for (auto& c : b) c = static_cast<uint8_t>(rng_());
    return b;
  }

  template <typename T>
  void field(std::optional<T>& v, const FieldInfo& info) {
    if (info.nullable.contains(version_) && chance(3)) {
      v.reset();
      return;
    }
    value(v.emplace());
  }
  template <typename T>
  void field(T& v, const FieldInfo&) {
    value(v);
  }

  template <typename T>
  void value(std::vector<T>& v) {
    v.clear();
    const size_t n = rng_() % 4;
    for (size_t i = 0; i < n; ++i) value(v.emplace_back());
  }
  template <GeneratedStruct T>
  void value(T& s) {
    fill(s);
  }
  void value(std::string& s) {
    s.clear();
    const size_t n = rng_() % 9;
    for (size_t i = 0; i < n; ++i) s += static_cast<char>('a' + rng_() % 26);
  }
  void value(Bytes& b) { b = random_bytes(8); }
  void value(BytesView& b) {
    arena_.push_back(random_bytes(16));
    b = arena_.back();
  }
  void value(Uuid& u) {
    for (auto& c : u.bytes) c = static_cast<uint8_t>(rng_());
  }
  void value(bool& b) { b = chance(2); }
  void value(double& d) { d = static_cast<double>(static_cast<int32_t>(rng_())) / 8.0; }
  template <typename T>
    requires std::is_integral_v<T>
  void value(T& i) {
    i = static_cast<T>(rng_());
  }

  std::mt19937_64 rng_;
  int16_t version_;
  bool flexible_;
  std::deque<Bytes> arena_;  // backs BytesView fields
};

}  // namespace gregor::protocol::testing
