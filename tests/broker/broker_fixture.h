// What the in-process broker tests share: the options of a broker with its metadata log, on a
// loopback port of its own.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker.h"
#include "protocol/generated/message/create_topics_request.h"
#include "protocol/generated/message/create_topics_response.h"
#include "raw_client.h"

namespace gregor::broker::testing {

// A broker on 127.0.0.1 (a free port) with `shards` shards, its logs in log_dirs and its metadata
// log in metadata_dir, of cluster cluster_id. Record timestamps are never refused as too new, so
// tests may write any.
inline BrokerOptions broker_options(std::vector<std::string> log_dirs, std::string metadata_dir,
                                    std::string cluster_id, unsigned shards) {
  BrokerOptions o;
  o.listeners = {ListenerOptions{"PLAINTEXT", "127.0.0.1", 0}};
  o.shards = shards;
  LogService::Options logs;
  logs.manager.log_dirs = std::move(log_dirs);
  logs.manager.defaults.message_timestamp_after_max_ms = storage::LogConfig::kLongMax;
  o.storage = logs;
  MetadataService::Options metadata;
  metadata.metadata_dir = std::move(metadata_dir);
  metadata.cluster_id = std::move(cluster_id);
  metadata.log_defaults = logs.manager.defaults;
  metadata.controller.node_id = o.node_id;
  o.metadata = metadata;
  o.advertised = {AdvertisedListener{"PLAINTEXT", "127.0.0.1", 0, 0}};
  return o;
}

// Creates a topic of `partitions` partitions (replication factor 1) with these configs through
// client; the topic's result (an empty one, and a test failure, when none came back).
inline protocol::CreateTopicsResponse::CreatableTopicResult create_topic(
    Client& client, int32_t correlation, const std::string& name, int32_t partitions,
    const std::vector<std::pair<std::string, std::string>>& configs = {}) {
  protocol::CreateTopicsRequest request;
  request.timeout_ms = 30000;
  auto& t = request.topics.emplace_back();
  t.name = name;
  t.num_partitions = partitions;
  t.replication_factor = 1;
  for (const auto& [key, value] : configs) {
    auto& c = t.configs.emplace_back();
    c.name = key;
    c.value = value;
  }
  auto response = round_trip<protocol::CreateTopicsResponse>(client, request, 7, correlation);
  EXPECT_EQ(response.topics.size(), 1u);
  return response.topics.empty() ? protocol::CreateTopicsResponse::CreatableTopicResult{} : response.topics[0];
}

// Stops the broker, expects its logs to shut down cleanly, and destroys it.
inline void stop_broker(std::unique_ptr<Broker>& broker) {
  broker->stop();
  Status stopped = broker->wait();
  EXPECT_TRUE(stopped.ok()) << stopped.message();
  broker.reset();
}

}  // namespace gregor::broker::testing
