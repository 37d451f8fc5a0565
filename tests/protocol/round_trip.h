// Encode → decode → encode for every version of a generated message, with random valid values.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol/message_support.h"
#include "random_message.h"

namespace gregor::protocol::testing {

// GREGOR_SEED=<n> replays a failing run.
inline uint64_t test_seed() {
  const char* env = std::getenv("GREGOR_SEED");
  return env ? std::strtoull(env, nullptr, 10) : 20261121;
}

template <typename T>
void check_round_trip(int iterations = 40) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE("GREGOR_SEED=" + std::to_string(seed));
  ASSERT_FALSE(T::kValidVersions.empty()) << T::kName;
  for (int16_t v = T::kValidVersions.lo; v <= T::kValidVersions.hi; ++v) {
    const bool flexible = T::kFlexibleVersions.contains(v);
    for (int i = 0; i < iterations; ++i) {
      SCOPED_TRACE(std::string(T::kName) + " v" + std::to_string(v) + " iteration " + std::to_string(i));
      MessageRandomizer rnd(seed * 1000003 + static_cast<uint64_t>(v) * 131 + static_cast<uint64_t>(i), v,
                            flexible);
      T original;
      if (i > 0) rnd.fill(original);  // iteration 0: all defaults
      Bytes first;
      auto err = encode_message(original, v, first);
      ASSERT_FALSE(err) << *err;
      auto decoded = decode_message<T>(first, v);
      ASSERT_TRUE(decoded.ok()) << decoded.error().to_string() << "\nbytes: " << to_hex(first);
      EXPECT_TRUE(decoded.value() == original) << "bytes: " << to_hex(first);
      Bytes second;
      ASSERT_FALSE(encode_message(decoded.value(), v, second));
      ASSERT_EQ(to_hex(first), to_hex(second));
      // Every strict prefix is rejected: a message knows where it ends.
      for (size_t cut : {size_t{0}, first.size() / 2, first.size() ? first.size() - 1 : 0}) {
        if (cut >= first.size()) continue;
        auto truncated = decode_message<T>(BytesView(first.data(), cut), v);
        EXPECT_FALSE(truncated.ok()) << "prefix of " << cut << " bytes decoded";
      }
    }
  }
}

}  // namespace gregor::protocol::testing
