// A controller on an empty cluster, bootstrapped, with broker 1 registered; records are
// "committed" by replaying them at consecutive offsets, as the metadata log would.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "controller/quorum_controller.h"

namespace gregor::controller::testing {

using metadata::MetadataImage;
using metadata::MetadataRecord;

inline constexpr const char* kClusterId = "MkU3OEVBNTcwNTJENDM2Qg";

class ControllerTest : public ::testing::Test {
 protected:
  virtual QuorumController::Options options() {
    QuorumController::Options o;
    o.node_id = 1;
    o.cluster_id = kClusterId;
    o.random_seed = 1234;
    return o;
  }

  void SetUp() override {
    controller = std::make_unique<QuorumController>(options(), MetadataImage::empty());
    commit(controller->bootstrap());
    register_broker(1);
  }

  void commit(const std::vector<MetadataRecord>& records) {
    for (const MetadataRecord& r : records) {
      Status s = controller->replay(r, next_offset++, 1);
      ASSERT_TRUE(s.ok()) << r.type_name() << ": " << s.to_string();
    }
  }

  template <typename Response>
  Response commit(ControllerResult<Response> result) {
    commit(result.records);
    return std::move(result.response);
  }

  static protocol::BrokerRegistrationRequest registration(int32_t id, std::optional<std::string> rack = std::nullopt) {
    protocol::BrokerRegistrationRequest r;
    r.broker_id = id;
    r.cluster_id = kClusterId;
    r.incarnation_id = Uuid::from_halves(static_cast<uint64_t>(id), 77);
    r.listeners.push_back({"PLAINTEXT", "broker" + std::to_string(id), static_cast<uint16_t>(9092 + id), 0, {}});
    r.features.push_back({"metadata.version", 7, kMetadataVersion, {}});
    r.rack = std::move(rack);
    return r;
  }

  // Registers a broker and, unless told not to, unfences it with a heartbeat caught up with its
  // registration; its epoch.
  int64_t register_broker(int32_t id, std::optional<std::string> rack = std::nullopt, bool unfence = true) {
    auto response = commit(controller->register_broker(registration(id, std::move(rack)), now_ms));
    EXPECT_EQ(response.error_code, 0);
    if (unfence) {
      auto beat = commit(controller->broker_heartbeat(heartbeat(id, response.broker_epoch, next_offset - 1), now_ms));
      EXPECT_EQ(beat.error_code, 0);
      EXPECT_FALSE(beat.is_fenced);
    }
    return response.broker_epoch;
  }

  static protocol::BrokerHeartbeatRequest heartbeat(int32_t id, int64_t epoch, int64_t metadata_offset,
                                                    bool want_fence = false, bool want_shut_down = false) {
    protocol::BrokerHeartbeatRequest r;
    r.broker_id = id;
    r.broker_epoch = epoch;
    r.current_metadata_offset = metadata_offset;
    r.want_fence = want_fence;
    r.want_shut_down = want_shut_down;
    return r;
  }

  static protocol::CreateTopicsRequest::CreatableTopic topic(const std::string& name, int32_t partitions = 1,
                                                             int16_t replication_factor = 1) {
    protocol::CreateTopicsRequest::CreatableTopic t;
    t.name = name;
    t.num_partitions = partitions;
    t.replication_factor = replication_factor;
    return t;
  }

  static protocol::CreateTopicsRequest create_request(std::vector<protocol::CreateTopicsRequest::CreatableTopic> topics,
                                                      bool validate_only = false) {
    protocol::CreateTopicsRequest r;
    r.topics = std::move(topics);
    r.validate_only = validate_only;
    return r;
  }

  // Creates one topic and commits it; the topic's result.
  protocol::CreateTopicsResponse::CreatableTopicResult create_topic(const std::string& name, int32_t partitions = 1,
                                                                    int16_t replication_factor = 1) {
    auto response = commit(controller->create_topics(create_request({topic(name, partitions, replication_factor)})));
    EXPECT_EQ(response.topics.size(), 1u);
    EXPECT_EQ(response.topics[0].error_code, 0) << response.topics[0].error_message.value_or("");
    return response.topics[0];
  }

  std::shared_ptr<const MetadataImage> image() { return controller->image(); }

  std::unique_ptr<QuorumController> controller;
  int64_t next_offset = 0;
  // The clock handed to the controller, in milliseconds.
  int64_t now_ms = 1'000'000;
};

template <typename Result>
void expect_error(const Result& result, ErrorCode code, const std::optional<std::string>& message) {
  EXPECT_EQ(result.error_code, static_cast<int16_t>(code)) << error_name(static_cast<ErrorCode>(result.error_code));
  EXPECT_EQ(result.error_message, message);
}

}  // namespace gregor::controller::testing
