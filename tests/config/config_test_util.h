// Helpers shared by the config tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error_code.h"
#include "common/status.h"
#include "config/broker_config.h"
#include "config/properties.h"

namespace gregor::config::testing {

// A valid single-node combined broker and controller, as small as Kafka allows.
inline Properties combined_props() {
  return {
      {"process.roles", "broker,controller"},
      {"node.id", "1"},
      {"controller.quorum.voters", "1@localhost:9093"},
      {"listeners", "PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093"},
      {"controller.listener.names", "CONTROLLER"},
  };
}

// combined_props() with changes; an empty value removes the key.
inline Properties with(Properties props, const Properties& changes) {
  for (const auto& [key, value] : changes) {
    if (value.empty()) {
      props.erase(key);
    } else {
      props[key] = value;
    }
  }
  return props;
}

// The config the properties make; a test failure (and the embedded default) if they do not load.
inline BrokerConfig load(const Properties& props, std::vector<std::string>* warnings = nullptr) {
  StatusOr<BrokerConfig> config = BrokerConfig::from_properties(props, warnings);
  EXPECT_TRUE(config.ok()) << config.status().to_string();
  if (config.ok()) return std::move(*config);
  return *BrokerConfig::embedded_default("/tmp/gregor-config-test", {}, nullptr);
}

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

// The message loading the properties fails with.
inline std::string load_error(const Properties& props) {
  return error_of(BrokerConfig::from_properties(props, nullptr));
}

}  // namespace gregor::config::testing
