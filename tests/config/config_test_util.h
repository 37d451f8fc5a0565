// Helpers shared by the config tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "common/error_code.h"
#include "common/status.h"

namespace gregor::config::testing {

// The message of the failed Status, checking its code; "" (and a test failure) on success.
template <typename T>
std::string error_of(const StatusOr<T>& result, ErrorCode code = ErrorCode::invalid_config) {
  EXPECT_FALSE(result.ok());
  if (result.ok()) return "";
  EXPECT_EQ(result.status().code(), code) << result.status().to_string();
  return result.status().message();
}

inline std::string error_of(const Status& status, ErrorCode code) {
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), code) << status.to_string();
  return status.message();
}

}  // namespace gregor::config::testing
