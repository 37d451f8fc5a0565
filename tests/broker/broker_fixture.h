// What the in-process broker tests share: the options of a broker with its metadata log, on a
// loopback port of its own.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "broker/broker.h"

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

// Stops the broker, expects its logs to shut down cleanly, and destroys it.
inline void stop_broker(std::unique_ptr<Broker>& broker) {
  broker->stop();
  Status stopped = broker->wait();
  EXPECT_TRUE(stopped.ok()) << stopped.message();
  broker.reset();
}

}  // namespace gregor::broker::testing
