// The broker's configuration: Kafka's KafkaConfig for the keys a Kafka 4.x broker knows (the table
// is in broker_config_keys.h), loaded from server.properties plus --override key=value pairs, with
// Kafka's defaults, Kafka's validation of the KRaft settings a user meets, and Kafka's one-line
// messages. The broker-level log settings (log.segment.bytes, log.retention.hours, ...) are
// LogConfig's (storage/log_config.h); log_defaults() gives the topic defaults they make.
//
// What loading checks, in Kafka's words where Kafka has them:
//   - every known key parses as its type and passes its validator; process.roles and node.id are
//     required (broker.id is another name for node.id; when both are given they must agree);
//   - listeners parse as NAME://host:port (host may be empty for every interface, or an IPv6
//     address in brackets), names and ports are distinct, each name has a security protocol
//     (listener.security.protocol.map; unset, the controller listener names map to PLAINTEXT);
//   - the KRaft rules for the roles: the quorum is given (controller.quorum.voters as
//     id@host:port entries, or controller.quorum.bootstrap.servers), a controller is among the
//     voters and has its controller listener in listeners, a broker-only node does not, a broker
//     has an advertised listener that is not a controller listener, inter.broker.listener.name is
//     one of them, and nothing advertises 0.0.0.0;
//   - the checks KafkaConfig makes across keys (log dirs, cleaner buffer per thread, replica
//     fetch wait against the socket and lag timeouts, queued bytes, connection limits).
// An unknown key is a warning ("The configuration 'x' was supplied but isn't a known config."),
// never an error; it is kept in originals().
//
// GREGOR: only PLAINTEXT listeners are supported for now; a listener with another protocol is
// an error at load time rather than later.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/broker_config_keys.h"
#include "config/properties.h"
#include "storage/config_def.h"
#include "storage/log_config.h"

namespace gregor::config {

// A listener, as Kafka's Endpoint.
struct Endpoint {
  std::string listener;           // upper case, e.g. "PLAINTEXT"
  std::string host;               // "" = every interface (the wildcard address)
  int port = 0;                   // 0 = any free port
  std::string security_protocol;  // "PLAINTEXT", "SSL", "SASL_PLAINTEXT" or "SASL_SSL"

  bool operator==(const Endpoint&) const = default;
};

// One entry of controller.quorum.voters.
struct QuorumVoter {
  int32_t id = 0;
  std::string host;
  int port = 0;

  bool operator==(const QuorumVoter&) const = default;
};

// One entry of controller.quorum.bootstrap.servers.
struct HostPort {
  std::string host;
  int port = 0;

  bool operator==(const HostPort&) const = default;
};

// Kafka's ConfigSource numbers, as DescribeConfigs (v1+) carries them.
enum class ConfigSource : int8_t {
  unknown = 0,
  topic_config = 1,
  dynamic_broker_config = 2,          // dynamic, for this broker
  dynamic_default_broker_config = 3,  // dynamic, the cluster-wide default
  static_broker_config = 4,           // server.properties or --override
  default_config = 5,                 // Kafka's default
};

struct ConfigSynonym {
  std::string name;
  std::optional<std::string> value;  // nullopt for sensitive configs
  ConfigSource source = ConfigSource::unknown;

  bool operator==(const ConfigSynonym&) const = default;
};

// One entry of a DescribeConfigs response for a BROKER resource.
struct ConfigDescription {
  std::string name;
  std::optional<std::string> value;  // nullopt: sensitive, or unset without a default
  ConfigSource source = ConfigSource::default_config;
  bool read_only = true;  // not dynamically updatable
  bool is_sensitive = false;
  std::vector<ConfigSynonym> synonyms;  // dynamic per-broker, dynamic default, static, default
  ConfigType type = ConfigType::string;
  std::string documentation;
};

// CoreUtils.parseCsvList: split on commas with the whitespace around them, empty items dropped.
std::vector<std::string> parse_csv_list(std::string_view value);

// listener.security.protocol.map (or its default) as listener name (upper case) -> protocol.
// Kafka's errors: "Error parsing configuration property 'listener.security.protocol.map': ..."
// and "Invalid security protocol `X` defined in listener.security.protocol.map".
StatusOr<std::map<std::string, std::string>> parse_security_protocol_map(std::string_view value);

// A listeners-style value as endpoints, each protocol looked up in protocol_map; errors as Kafka's
// "Error creating broker listeners from '<value>': ...". Distinct names are always required,
// distinct ports (but for an IPv4 and an IPv6 address sharing one) only when asked.
StatusOr<std::vector<Endpoint>> parse_listeners(std::string_view value,
                                                const std::map<std::string, std::string>& protocol_map,
                                                bool require_distinct_ports);

// controller.quorum.voters entries ("1@localhost:9093", "2@[::1]:9093"), as QuorumConfig parses them.
StatusOr<std::vector<QuorumVoter>> parse_quorum_voters(const std::vector<std::string>& entries);

// controller.quorum.bootstrap.servers entries ("localhost:9093").
StatusOr<std::vector<HostPort>> parse_bootstrap_servers(const std::vector<std::string>& entries);

// The name Kafka advertises for the wildcard address: the canonical name of this host
// (InetAddress.getLocalHost().getCanonicalHostName()), the host name if it does not resolve.
std::string canonical_host_name();

class BrokerConfig {
 public:
  // props: the file's contents (may be empty) with any overrides already applied. Unknown keys
  // add one line each to *warnings (which may be null), as do the problems Kafka only logs.
  static StatusOr<BrokerConfig> from_properties(Properties props, std::vector<std::string>* warnings);
  // The file at path, then the "key=value" overrides (later ones win; "key" alone sets "").
  static StatusOr<BrokerConfig> load_file(const std::string& path, const std::vector<std::string>& overrides,
                                          std::vector<std::string>* warnings);
  // Gregor's embedded default, as Kafka's sample config/server.properties: one node, combined
  // broker and controller, node.id=1, PLAINTEXT on localhost:9092, CONTROLLER on localhost:9093,
  // controller.quorum.voters=1@localhost:9093, log.dirs=data_dir, the offsets, transaction and
  // share-state topics at replication factor 1 and min ISR 1. Then the overrides.
  static StatusOr<BrokerConfig> embedded_default(const std::string& data_dir, const std::vector<std::string>& overrides,
                                                 std::vector<std::string>* warnings);
  static Properties embedded_default_properties(const std::string& data_dir);
  // Applies "key=value" overrides to props as Kafka's --override does.
  static void apply_overrides(Properties& props, const std::vector<std::string>& overrides);

  // The properties as given (file and overrides), unknown keys included.
  const Properties& originals() const { return originals_; }

  // ---- By name, defaults applied (nullopt: unset without a default, or another type) ----
  std::optional<std::string> get_string(std::string_view name) const;  // any type, as Kafka renders it
  std::optional<bool> get_bool(std::string_view name) const;
  std::optional<int32_t> get_int(std::string_view name) const;   // INT and SHORT keys
  std::optional<int64_t> get_long(std::string_view name) const;  // INT, SHORT and LONG keys
  std::optional<double> get_double(std::string_view name) const;
  std::optional<std::vector<std::string>> get_list(std::string_view name) const;

  // ---- KRaft ----
  int32_t node_id() const { return node_id_; }
  const std::vector<std::string>& process_roles() const { return process_roles_; }  // as given
  bool is_broker() const { return is_broker_; }
  bool is_controller() const { return is_controller_; }
  const std::vector<std::string>& controller_listener_names() const { return controller_listener_names_; }
  const std::vector<QuorumVoter>& quorum_voters() const { return quorum_voters_; }
  const std::vector<HostPort>& quorum_bootstrap_servers() const { return quorum_bootstrap_servers_; }
  int32_t quorum_election_timeout_ms() const { return int_of("controller.quorum.election.timeout.ms"); }
  int32_t quorum_fetch_timeout_ms() const { return int_of("controller.quorum.fetch.timeout.ms"); }
  int32_t quorum_election_backoff_max_ms() const { return int_of("controller.quorum.election.backoff.max.ms"); }
  int32_t quorum_append_linger_ms() const { return int_of("controller.quorum.append.linger.ms"); }
  int32_t quorum_request_timeout_ms() const { return int_of("controller.quorum.request.timeout.ms"); }
  int32_t quorum_retry_backoff_ms() const { return int_of("controller.quorum.retry.backoff.ms"); }
  int32_t broker_session_timeout_ms() const { return int_of("broker.session.timeout.ms"); }
  int32_t broker_heartbeat_interval_ms() const { return int_of("broker.heartbeat.interval.ms"); }
  int32_t initial_broker_registration_timeout_ms() const { return int_of("initial.broker.registration.timeout.ms"); }
  std::optional<std::string> broker_rack() const { return get_string("broker.rack"); }

  // ---- Listeners ----
  // Every listener, controller listeners included, as configured (host "" = every interface).
  const std::vector<Endpoint>& listeners() const { return listeners_; }
  // The listeners clients and other brokers are told about: advertised.listeners, else the
  // listeners, without the controller listeners; an empty host becomes canonical_host_name().
  std::vector<Endpoint> advertised_listeners() const;
  // The controller listeners as advertised to the quorum: for each controller listener name,
  // its advertised.listeners entry, else its listeners entry (0.0.0.0 and "" resolved as above).
  std::vector<Endpoint> advertised_controller_listeners() const;
  // listener.security.protocol.map as in effect (with the implicit controller mappings).
  const std::map<std::string, std::string>& listener_security_protocol_map() const { return protocol_map_; }
  const std::string& inter_broker_listener_name() const { return inter_broker_listener_name_; }
  int32_t socket_send_buffer_bytes() const { return int_of("socket.send.buffer.bytes"); }
  int32_t socket_receive_buffer_bytes() const { return int_of("socket.receive.buffer.bytes"); }
  int32_t socket_request_max_bytes() const { return int_of("socket.request.max.bytes"); }
  int32_t socket_listen_backlog_size() const { return int_of("socket.listen.backlog.size"); }
  int32_t queued_max_requests() const { return int_of("queued.max.requests"); }
  int64_t queued_max_request_bytes() const { return long_of("queued.max.request.bytes"); }
  int64_t connections_max_idle_ms() const { return long_of("connections.max.idle.ms"); }
  int32_t max_connections() const { return int_of("max.connections"); }
  int32_t max_connections_per_ip() const { return int_of("max.connections.per.ip"); }
  int32_t num_network_threads() const { return int_of("num.network.threads"); }
  int32_t num_io_threads() const { return int_of("num.io.threads"); }
  int32_t background_threads() const { return int_of("background.threads"); }
  int32_t request_timeout_ms() const { return int_of("request.timeout.ms"); }

  // ---- Topics ----
  int32_t num_partitions() const { return int_of("num.partitions"); }
  int32_t default_replication_factor() const { return int_of("default.replication.factor"); }
  bool auto_create_topics_enable() const { return bool_of("auto.create.topics.enable"); }
  bool delete_topic_enable() const { return bool_of("delete.topic.enable"); }
  int32_t message_max_bytes() const { return int_of("message.max.bytes"); }
  int32_t min_insync_replicas() const { return int_of("min.insync.replicas"); }
  bool unclean_leader_election_enable() const { return bool_of("unclean.leader.election.enable"); }
  int32_t fetch_max_bytes() const { return int_of("fetch.max.bytes"); }
  int32_t max_incremental_fetch_session_cache_slots() const {
    return int_of("max.incremental.fetch.session.cache.slots");
  }
  // The defaults of every topic, from the broker-level log settings.
  const storage::LogConfig& log_defaults() const { return log_defaults_; }

  // ---- Log directories and the log manager ----
  // log.dirs, else log.dir (default /tmp/kafka-logs); never empty.
  const std::vector<std::string>& log_dirs() const { return log_dirs_; }
  // metadata.log.dir, else the first log dir.
  const std::string& metadata_log_dir() const { return metadata_log_dir_; }
  int32_t num_recovery_threads_per_data_dir() const { return int_of("num.recovery.threads.per.data.dir"); }
  int64_t log_retention_check_interval_ms() const { return long_of("log.retention.check.interval.ms"); }
  int64_t log_flush_scheduler_interval_ms() const { return long_of("log.flush.scheduler.interval.ms"); }
  int32_t log_flush_offset_checkpoint_interval_ms() const { return int_of("log.flush.offset.checkpoint.interval.ms"); }
  int32_t log_flush_start_offset_checkpoint_interval_ms() const {
    return int_of("log.flush.start.offset.checkpoint.interval.ms");
  }
  bool log_cleaner_enable() const { return bool_of("log.cleaner.enable"); }
  int32_t log_cleaner_threads() const { return int_of("log.cleaner.threads"); }
  int64_t log_cleaner_backoff_ms() const { return long_of("log.cleaner.backoff.ms"); }
  int64_t log_cleaner_dedupe_buffer_size() const { return long_of("log.cleaner.dedupe.buffer.size"); }
  double log_cleaner_io_max_bytes_per_second() const { return double_of("log.cleaner.io.max.bytes.per.second"); }
  int32_t log_cleaner_io_buffer_size() const { return int_of("log.cleaner.io.buffer.size"); }
  double log_cleaner_io_buffer_load_factor() const { return double_of("log.cleaner.io.buffer.load.factor"); }

  // ---- Replication ----
  int64_t replica_lag_time_max_ms() const { return long_of("replica.lag.time.max.ms"); }
  int32_t replica_fetch_max_bytes() const { return int_of("replica.fetch.max.bytes"); }
  int32_t replica_fetch_wait_max_ms() const { return int_of("replica.fetch.wait.max.ms"); }
  int32_t num_replica_fetchers() const { return int_of("num.replica.fetchers"); }

  // ---- Groups and offsets ----
  int32_t offsets_topic_num_partitions() const { return int_of("offsets.topic.num.partitions"); }
  int16_t offsets_topic_replication_factor() const {
    return static_cast<int16_t>(int_of("offsets.topic.replication.factor"));
  }
  int32_t offsets_topic_segment_bytes() const { return int_of("offsets.topic.segment.bytes"); }
  int32_t offsets_load_buffer_size() const { return int_of("offsets.load.buffer.size"); }
  int32_t offsets_retention_minutes() const { return int_of("offsets.retention.minutes"); }
  int64_t offsets_retention_check_interval_ms() const { return long_of("offsets.retention.check.interval.ms"); }
  int32_t offsets_commit_timeout_ms() const { return int_of("offsets.commit.timeout.ms"); }
  int32_t offset_metadata_max_bytes() const { return int_of("offset.metadata.max.bytes"); }
  int32_t group_initial_rebalance_delay_ms() const { return int_of("group.initial.rebalance.delay.ms"); }
  int32_t group_min_session_timeout_ms() const { return int_of("group.min.session.timeout.ms"); }
  int32_t group_max_session_timeout_ms() const { return int_of("group.max.session.timeout.ms"); }
  int32_t group_max_size() const { return int_of("group.max.size"); }
  int32_t group_consumer_session_timeout_ms() const { return int_of("group.consumer.session.timeout.ms"); }
  int32_t group_consumer_heartbeat_interval_ms() const { return int_of("group.consumer.heartbeat.interval.ms"); }
  int32_t group_consumer_max_size() const { return int_of("group.consumer.max.size"); }
  std::vector<std::string> group_consumer_assignors() const {
    return get_list("group.consumer.assignors").value_or(std::vector<std::string>{});
  }

  // ---- Transactions and producers ----
  int32_t transaction_state_log_num_partitions() const { return int_of("transaction.state.log.num.partitions"); }
  int16_t transaction_state_log_replication_factor() const {
    return static_cast<int16_t>(int_of("transaction.state.log.replication.factor"));
  }
  int32_t transaction_state_log_min_isr() const { return int_of("transaction.state.log.min.isr"); }
  int32_t transaction_state_log_segment_bytes() const { return int_of("transaction.state.log.segment.bytes"); }
  int32_t transactional_id_expiration_ms() const { return int_of("transactional.id.expiration.ms"); }
  int32_t transaction_max_timeout_ms() const { return int_of("transaction.max.timeout.ms"); }
  int32_t producer_id_expiration_ms() const { return int_of("producer.id.expiration.ms"); }

  // DescribeConfigs for this broker's BROKER resource, given the dynamic configs stored for it
  // (per broker) and for the cluster default: every modelled and log key, plus accepted keys that
  // are set, sorted by name. As Kafka: the value is the key's own (dynamic per broker, else
  // dynamic default, else static, else default); synonyms list the key and the names that stand in
  // for it, by source in that order, starting at the key's own name; the source is the first
  // synonym's (DEFAULT_CONFIG when there is none); passwords have no value. For the cluster
  // default resource pass no per-broker configs.
  std::vector<ConfigDescription> describe(const Properties& dynamic_per_broker = {},
                                          const Properties& dynamic_cluster_default = {}) const;
  // DescribeConfigs for the cluster default BROKER resource (""): as Kafka, only the configs set
  // there, each with the cluster default as its value and its only synonym.
  std::vector<ConfigDescription> describe_cluster_default(const Properties& dynamic_cluster_default) const;
  // DescribeConfigs for a TOPIC resource: every topic config, sorted by name, never read-only.
  // The value is the topic's own (DYNAMIC_TOPIC_CONFIG), else the broker's default for it,
  // which `defaults` holds (the log settings of this broker's static and dynamic configs). As
  // Kafka: the synonyms are the topic's own value, then those of the broker config that sets the
  // default (log.segment.bytes for segment.bytes, ...) as describe() gives them, so a default
  // set only under a less precise name (log.retention.hours for retention.ms) shows no synonym;
  // the source is the first synonym's (DEFAULT_CONFIG when there is none).
  std::vector<ConfigDescription> describe_topic(const storage::LogConfig& defaults, const Properties& topic_configs,
                                                const Properties& dynamic_per_broker,
                                                const Properties& dynamic_cluster_default) const;

 private:
  BrokerConfig() = default;

  Status load(Properties props, std::vector<std::string>* warnings);
  Status resolve_listeners(std::vector<std::string>* warnings);
  Status validate_roles();
  Status validate_across_keys(std::vector<std::string>* warnings);

  const storage::ConfigValue* value_of(std::string_view name) const;
  // Kafka's configSynonyms: name and the names that stand in for it, as set per broker, as the
  // cluster default, statically and by default, in that order, from the first entry for name.
  std::vector<ConfigSynonym> synonyms_of(std::string_view name, bool sensitive, const Properties& dynamic_per_broker,
                                         const Properties& dynamic_cluster_default) const;
  int32_t int_of(std::string_view name) const { return *get_int(name); }
  int64_t long_of(std::string_view name) const { return *get_long(name); }
  bool bool_of(std::string_view name) const { return *get_bool(name); }
  double double_of(std::string_view name) const { return *get_double(name); }

  Properties originals_;
  // The effective value of every known key that has one (given, or its default).
  std::map<std::string, storage::ConfigValue, std::less<>> values_;
  int32_t node_id_ = -1;
  std::vector<std::string> process_roles_;
  bool is_broker_ = false;
  bool is_controller_ = false;
  std::vector<std::string> controller_listener_names_;
  std::vector<QuorumVoter> quorum_voters_;
  std::vector<HostPort> quorum_bootstrap_servers_;
  std::map<std::string, std::string> protocol_map_;
  std::vector<Endpoint> listeners_;
  std::vector<Endpoint> advertised_broker_listeners_;      // hosts unresolved
  std::vector<Endpoint> advertised_controller_listeners_;  // hosts unresolved
  std::string inter_broker_listener_name_;
  std::vector<std::string> log_dirs_;
  std::string metadata_log_dir_;
  storage::LogConfig log_defaults_;
};

// Checks one change of IncrementalAlterConfigs (or AlterConfigs) on a BROKER resource: for one
// broker (per_broker) or the cluster default. value is nullopt for a DELETE. As Kafka's
// DynamicBrokerConfig.validateConfigs, failing with INVALID_REQUEST:
//   "Cannot update these configs dynamically: [name]" for a read-only config,
//   "These security configs can be dynamically updated only per-listener using the listener
//    prefix: [name]" for keystore and truststore settings without a listener prefix,
//   Kafka's "Invalid value ..." message for a value that does not parse or validate,
//   "Cannot update these configs at default cluster level, broker id must be specified: [name]"
//    for a per-broker config sent to the cluster default.
// GREGOR: an unknown name fails too ("Unknown broker config name: x"); Kafka stores it.
Status validate_dynamic_broker_config(std::string_view name, const std::optional<std::string>& value, bool per_broker);

// One change of an AlterConfigs (always SET) or IncrementalAlterConfigs request.
struct ConfigChange {
  enum Op : int8_t { set = 0, remove = 1, append = 2, subtract = 3 };  // AlterConfigOp.OpType ids
  std::string name;
  int8_t op = set;
  std::optional<std::string> value;
};

// What a Kafka broker checks of a change to a BROKER resource before it forwards it to the
// controller (ConfigAdminManager): the changes applied over the configs stored for the resource
// (APPEND and SUBTRACT work on the list, or on the key's default when it is not stored), then
// every resulting config checked by validate_dynamic_broker_config. Errors: INVALID_REQUEST
// "Unknown operations type <n>"; INVALID_CONFIG "Config value append is not allowed for config
// key: x" (or subtract) for a key that is not a list; validate_dynamic_broker_config's.
Status validate_broker_config_changes(const Properties& stored, const std::vector<ConfigChange>& changes,
                                      bool per_broker);

}  // namespace gregor::config
