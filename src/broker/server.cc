#include "broker/server.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

#include "config/meta_properties.h"
#include "storage/posix_file_system.h"

namespace gregor::broker {

BrokerOptions broker_options_from(const config::BrokerConfig& config, const std::string& cluster_id) {
  BrokerOptions o;
  o.node_id = config.node_id();
  o.listeners.clear();
  for (const config::Endpoint& e : config.listeners()) {
    // The controller listeners serve the controller's APIs (apis.h).
    bool controller = false;
    for (const std::string& name : config.controller_listener_names()) controller |= name == e.listener;
    if (controller) o.controller_listener_names.push_back(e.listener);
    o.listeners.push_back(ListenerOptions{e.listener, e.host, e.port});
  }
  o.connection_limits.socket_request_max_bytes = config.socket_request_max_bytes();
  o.connection_limits.connections_max_idle_ms = config.connections_max_idle_ms();
  o.queued_max_requests = config.queued_max_requests();
  LogService::Options logs;
  logs.manager.log_dirs = config.log_dirs();
  logs.manager.defaults = config.log_defaults();
  logs.manager.retention_check_interval_ms = config.log_retention_check_interval_ms();
  logs.manager.recovery_point_checkpoint_interval_ms = config.log_flush_offset_checkpoint_interval_ms();
  logs.manager.log_start_checkpoint_interval_ms = config.log_flush_start_offset_checkpoint_interval_ms();
  logs.manager.cleaner_enable = config.log_cleaner_enable();
  logs.manager.cleaner_backoff_ms = config.log_cleaner_backoff_ms();
  logs.manager.cleaner_dedupe_buffer_size = static_cast<size_t>(config.log_cleaner_dedupe_buffer_size());
  logs.manager.cleaner_io_max_bytes_per_second = config.log_cleaner_io_max_bytes_per_second();
  logs.manager.producer_id_expiration_ms = config.producer_id_expiration_ms();
  logs.checkpoint_interval_ms = config.log_flush_offset_checkpoint_interval_ms();
  o.storage = logs;
  o.auto_create_topics_enable = config.auto_create_topics_enable();
  o.max_incremental_fetch_session_cache_slots = config.max_incremental_fetch_session_cache_slots();
  o.fetch_max_bytes = config.fetch_max_bytes();
  o.transaction_max_timeout_ms = config.transaction_max_timeout_ms();
  for (const config::Endpoint& e : config.advertised_listeners()) {
    o.advertised.push_back(AdvertisedListener{e.listener, e.host, e.port, 0});
  }
  MetadataService::Options metadata;
  metadata.metadata_dir = config.metadata_log_dir();
  metadata.cluster_id = cluster_id;
  metadata.log_defaults = config.log_defaults();
  metadata.controller.node_id = config.node_id();
  metadata.controller.default_num_partitions = config.num_partitions();
  metadata.controller.default_replication_factor = static_cast<int16_t>(config.default_replication_factor());
  metadata.controller.delete_topic_enable = config.delete_topic_enable();
  metadata.controller.static_config = config.originals();
  metadata.controller.session_timeout_ms = config.broker_session_timeout_ms();
  metadata.heartbeat_interval_ms = config.broker_heartbeat_interval_ms();
  metadata.rack = config.broker_rack();
  metadata.config = std::make_shared<const config::BrokerConfig>(config);
  o.metadata = metadata;
  o.groups.offsets_partitions = config.offsets_topic_num_partitions();
  o.groups.offsets_replication_factor = config.offsets_topic_replication_factor();
  o.groups.offsets_segment_bytes = config.offsets_topic_segment_bytes();
  o.groups.load_read_bytes = config.offsets_load_buffer_size();
  group::GroupConfig& g = o.groups.coordinator;
  g.min_session_timeout_ms = config.group_min_session_timeout_ms();
  g.max_session_timeout_ms = config.group_max_session_timeout_ms();
  g.initial_rebalance_delay_ms = config.group_initial_rebalance_delay_ms();
  g.max_size = config.group_max_size();
  g.offset_metadata_max_bytes = config.offset_metadata_max_bytes();
  g.offsets_retention_ms = int64_t{config.offsets_retention_minutes()} * 60 * 1000;
  g.offsets_retention_check_interval_ms = config.offsets_retention_check_interval_ms();
  g.consumer.session_timeout_ms = config.group_consumer_session_timeout_ms();
  g.consumer.heartbeat_interval_ms = config.group_consumer_heartbeat_interval_ms();
  g.consumer.max_size = config.group_consumer_max_size();
  g.consumer.assignors.clear();
  for (const std::string& a : config.group_consumer_assignors()) {
    // Names, or the class names of Kafka's own assignors.
    const std::string name = a.ends_with(".UniformAssignor") ? "uniform" : a.ends_with(".RangeAssignor") ? "range" : a;
    if (group::known_assignor(name)) g.consumer.assignors.push_back(name);
  }
  if (g.consumer.assignors.empty()) g.consumer.assignors = group::ConsumerGroupConfig{}.assignors;
  return o;
}

namespace {

constexpr const char* kEmbeddedDataDir = "gregor-data";

int fail(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  return 1;
}

}  // namespace

int run_server(const std::vector<std::string>& args) {
  std::optional<std::string> file;
  std::vector<std::string> overrides;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--override") {
      if (i + 1 == args.size()) return fail("--override needs key=value");
      overrides.push_back(args[++i]);
    } else if (!file && !args[i].starts_with("-")) {
      file = args[i];
    } else {
      return fail("unknown argument " + args[i] + "\nusage: gregor server [server.properties] [--override key=value]...");
    }
  }
  std::vector<std::string> warnings;
  std::string data_dir = std::filesystem::absolute(kEmbeddedDataDir).string();
  auto config = file ? config::BrokerConfig::load_file(*file, overrides, &warnings)
                     : config::BrokerConfig::embedded_default(data_dir, overrides, &warnings);
  for (const std::string& w : warnings) spdlog::warn("{}", w);
  if (!config.ok()) return fail(config.status().message());

  storage::PosixFileSystem fs;
  auto formatted = file ? config::check_formatted(fs, *config) : config::ensure_formatted_for_embedded_default(fs, *config);
  if (!formatted.ok()) return fail(formatted.status().message());
  spdlog::info("starting node {} of cluster {} with log dirs {}", config->node_id(), formatted->cluster_id,
               fmt::join(config->log_dirs(), ","));

  // SIGTERM and SIGINT are taken by this thread alone (sigwait), after the shards' threads
  // have inherited the mask blocking them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Broker broker(broker_options_from(*config, formatted->cluster_id));
  if (Status s = broker.start(); !s.ok()) return fail(s.message());
  spdlog::info("started");
  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("{} received: shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  broker.stop();
  if (Status s = broker.wait(); !s.ok()) {
    spdlog::error("the logs did not shut down cleanly: {}", s.message());
    return 1;
  }
  spdlog::info("shut down cleanly");
  return 0;
}

int run_storage_tool(const std::vector<std::string>& args) {
  const char* usage =
      "usage: gregor storage format -t CLUSTER_ID -c server.properties [--ignore-formatted]\n"
      "       gregor storage random-uuid";
  if (args.empty()) return fail(usage);
  if (args[0] == "random-uuid") {
    std::printf("%s\n", config::random_cluster_id().c_str());
    return 0;
  }
  if (args[0] != "format") return fail(usage);
  std::optional<std::string> cluster_id, file;
  bool ignore_formatted = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if ((args[i] == "-t" || args[i] == "--cluster-id") && i + 1 < args.size()) {
      cluster_id = args[++i];
    } else if ((args[i] == "-c" || args[i] == "--config") && i + 1 < args.size()) {
      file = args[++i];
    } else if (args[i] == "-g" || args[i] == "--ignore-formatted") {
      ignore_formatted = true;
    } else {
      return fail(usage);
    }
  }
  if (!cluster_id || !file) return fail(usage);
  std::vector<std::string> warnings;
  auto config = config::BrokerConfig::load_file(*file, {}, &warnings);
  for (const std::string& w : warnings) std::fprintf(stderr, "%s\n", w.c_str());
  if (!config.ok()) return fail(config.status().message());
  storage::PosixFileSystem fs;
  auto result = config::format_storage(fs, *config, *cluster_id, ignore_formatted);
  if (!result.ok()) return fail(result.status().message());
  for (const std::string& dir : result->formatted) std::printf("Formatting %s\n", dir.c_str());
  for (const std::string& dir : result->already_formatted) std::printf("%s is already formatted\n", dir.c_str());
  return 0;
}

}  // namespace gregor::broker
