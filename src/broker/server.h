// The broker process as the `gregor server` command runs it: configuration, storage format
// check, the broker, and a clean stop on SIGTERM/SIGINT.
#pragma once

#include <string>
#include <vector>

#include "broker/broker.h"
#include "config/broker_config.h"

namespace gregor::broker {

// The broker's options from Kafka's configuration and the cluster id of meta.properties.
BrokerOptions broker_options_from(const config::BrokerConfig& config, const std::string& cluster_id);

// `gregor server [server.properties] [--override key=value]...`: without a file, the embedded
// default (single node, broker and controller, data in ./gregor-data). Returns the exit code.
int run_server(const std::vector<std::string>& args);

// `gregor storage format -t ID -c FILE [--ignore-formatted]` and `gregor storage random-uuid`,
// as kafka-storage.sh. Returns the exit code.
int run_storage_tool(const std::vector<std::string>& args);

}  // namespace gregor::broker
