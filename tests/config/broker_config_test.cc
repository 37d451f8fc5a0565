#include "config/broker_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "config/broker_config_keys.h"
#include "config_test_util.h"
#include "storage/log_config.h"

namespace gregor::config {
namespace {

using testing::combined_props;
using testing::error_of;
using testing::load;
using testing::load_error;
using testing::with;

// ---- Defaults, synonyms, overrides, warnings ---------------------------------------------------

TEST(BrokerConfig, KafkaDefaults) {
  BrokerConfig c = load(combined_props());
  EXPECT_EQ(c.num_partitions(), 1);
  EXPECT_EQ(c.default_replication_factor(), 1);
  EXPECT_TRUE(c.auto_create_topics_enable());
  EXPECT_TRUE(c.delete_topic_enable());
  EXPECT_EQ(c.message_max_bytes(), 1048588);
  EXPECT_EQ(c.socket_request_max_bytes(), 104857600);
  EXPECT_EQ(c.socket_send_buffer_bytes(), 102400);
  EXPECT_EQ(c.socket_receive_buffer_bytes(), 102400);
  EXPECT_EQ(c.queued_max_requests(), 500);
  EXPECT_EQ(c.connections_max_idle_ms(), 600000);
  EXPECT_EQ(c.num_network_threads(), 3);
  EXPECT_EQ(c.num_io_threads(), 8);
  EXPECT_EQ(c.num_recovery_threads_per_data_dir(), 2);  // 1 before Kafka 4.0
  EXPECT_EQ(c.offsets_topic_num_partitions(), 50);
  EXPECT_EQ(c.offsets_topic_replication_factor(), 3);
  EXPECT_EQ(c.offsets_retention_minutes(), 10080);
  EXPECT_EQ(c.transaction_state_log_replication_factor(), 3);
  EXPECT_EQ(c.transaction_state_log_min_isr(), 2);
  EXPECT_EQ(c.transaction_state_log_num_partitions(), 50);
  EXPECT_EQ(c.min_insync_replicas(), 1);
  EXPECT_FALSE(c.unclean_leader_election_enable());
  EXPECT_EQ(c.group_initial_rebalance_delay_ms(), 3000);
  EXPECT_EQ(c.group_min_session_timeout_ms(), 6000);
  EXPECT_EQ(c.group_max_session_timeout_ms(), 1800000);
  EXPECT_EQ(c.group_max_size(), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(c.broker_rack(), std::nullopt);
  EXPECT_EQ(c.broker_session_timeout_ms(), 9000);
  EXPECT_EQ(c.broker_heartbeat_interval_ms(), 2000);
  EXPECT_EQ(c.replica_lag_time_max_ms(), 30000);
  EXPECT_EQ(c.replica_fetch_max_bytes(), 1048576);
  EXPECT_EQ(c.producer_id_expiration_ms(), 86400000);
  EXPECT_EQ(c.transactional_id_expiration_ms(), 604800000);
  EXPECT_EQ(c.transaction_max_timeout_ms(), 900000);
  EXPECT_TRUE(c.log_cleaner_enable());
  EXPECT_EQ(c.log_cleaner_threads(), 1);
  EXPECT_EQ(c.log_cleaner_backoff_ms(), 15000);
  EXPECT_EQ(c.log_cleaner_dedupe_buffer_size(), 134217728);
  EXPECT_EQ(c.log_cleaner_io_max_bytes_per_second(), std::numeric_limits<double>::max());
  EXPECT_EQ(c.log_cleaner_io_buffer_size(), 524288);
  EXPECT_EQ(c.log_cleaner_io_buffer_load_factor(), 0.9);
  EXPECT_EQ(c.log_retention_check_interval_ms(), 300000);
  EXPECT_EQ(c.log_flush_scheduler_interval_ms(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(c.log_flush_offset_checkpoint_interval_ms(), 60000);
  EXPECT_EQ(c.log_flush_start_offset_checkpoint_interval_ms(), 60000);
  EXPECT_EQ(c.quorum_election_timeout_ms(), 1000);
  EXPECT_EQ(c.quorum_fetch_timeout_ms(), 2000);
  EXPECT_EQ(c.fetch_max_bytes(), 57671680);
  EXPECT_EQ(c.log_dirs(), (std::vector<std::string>{"/tmp/kafka-logs"}));
  EXPECT_EQ(c.metadata_log_dir(), "/tmp/kafka-logs");
  EXPECT_EQ(c.inter_broker_listener_name(), "PLAINTEXT");
  EXPECT_EQ(c.log_defaults(), *storage::LogConfig::from_broker_properties({}));
}

TEST(BrokerConfig, ProcessRolesAndNodeIdAreRequired) {
  EXPECT_EQ(load_error(with(combined_props(), {{"process.roles", ""}})),
            "Missing required configuration \"process.roles\" which has no default value.");
  EXPECT_EQ(load_error(with(combined_props(), {{"node.id", ""}})),
            "Missing required configuration \"node.id\" which has no default value.");
  Properties empty_roles = combined_props();
  empty_roles["process.roles"] = " ";
  EXPECT_EQ(load_error(empty_roles),
            "Configuration 'process.roles' must not be empty. Valid values include: [broker, controller]");
}

TEST(BrokerConfig, BrokerIdIsAnotherNameForNodeId) {
  BrokerConfig c = load(with(combined_props(), {{"node.id", ""}, {"broker.id", "1"}}));
  EXPECT_EQ(c.node_id(), 1);
  EXPECT_EQ(c.get_int("node.id"), 1);
  EXPECT_EQ(load(combined_props()).get_int("broker.id"), 1);
  EXPECT_EQ(load_error(with(combined_props(), {{"broker.id", "2"}})),
            "You must set `node.id` to the same value as `broker.id`.");
}

TEST(BrokerConfig, RetentionSynonymsMsBeatMinutesBeatHours) {
  EXPECT_EQ(load(with(combined_props(), {{"log.retention.hours", "2"}})).log_defaults().retention_ms, 7200000);
  EXPECT_EQ(load(with(combined_props(), {{"log.retention.hours", "2"}, {"log.retention.minutes", "3"}}))
                .log_defaults()
                .retention_ms,
            180000);
  EXPECT_EQ(load(with(combined_props(),
                      {{"log.retention.hours", "2"}, {"log.retention.minutes", "3"}, {"log.retention.ms", "5"}}))
                .log_defaults()
                .retention_ms,
            5);
  EXPECT_EQ(load(with(combined_props(), {{"log.roll.hours", "1"}})).log_defaults().segment_ms, 3600000);
  EXPECT_EQ(load(with(combined_props(), {{"log.roll.hours", "1"}, {"log.roll.ms", "10"}})).log_defaults().segment_ms,
            10);
  // The broker-level names reach the topic defaults.
  BrokerConfig c = load(with(combined_props(), {{"log.segment.bytes", "2097152"},
                                                {"log.cleanup.policy", "compact"},
                                                {"message.max.bytes", "5000"},
                                                {"compression.type", "zstd"}}));
  EXPECT_EQ(c.log_defaults().segment_bytes, 2097152);
  EXPECT_TRUE(c.log_defaults().compact());
  EXPECT_EQ(c.log_defaults().max_message_bytes, 5000);
  EXPECT_EQ(c.message_max_bytes(), 5000);
  EXPECT_EQ(c.log_defaults().compression_type, "zstd");
}

TEST(BrokerConfig, LogDirsBeatLogDir) {
  EXPECT_EQ(load(with(combined_props(), {{"log.dir", "/one"}})).log_dirs(), (std::vector<std::string>{"/one"}));
  BrokerConfig c = load(with(combined_props(), {{"log.dir", "/one"}, {"log.dirs", " /a , /b,/c "}}));
  EXPECT_EQ(c.log_dirs(), (std::vector<std::string>{"/a", "/b", "/c"}));
  EXPECT_EQ(c.metadata_log_dir(), "/a");
  EXPECT_EQ(load(with(combined_props(), {{"log.dirs", "/a"}, {"metadata.log.dir", "/meta"}})).metadata_log_dir(),
            "/meta");
  Properties no_dirs = combined_props();
  no_dirs["log.dirs"] = ",";
  EXPECT_EQ(load_error(no_dirs), "At least one log directory must be defined via log.dirs or log.dir.");
}

TEST(BrokerConfig, OverridesWinAndMayOmitTheValue) {
  Properties props = combined_props();
  BrokerConfig::apply_overrides(props, {"num.partitions=2", "broker.rack", "num.partitions=3", "x=a=b"});
  EXPECT_EQ(props.at("num.partitions"), "3");
  EXPECT_EQ(props.at("broker.rack"), "");
  EXPECT_EQ(props.at("x"), "a=b");
}

TEST(BrokerConfig, EmbeddedDefault) {
  std::vector<std::string> warnings;
  StatusOr<BrokerConfig> c = BrokerConfig::embedded_default("/var/gregor", {"num.partitions=6"}, &warnings);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_TRUE(warnings.empty());
  EXPECT_TRUE(c->is_broker());
  EXPECT_TRUE(c->is_controller());
  EXPECT_EQ(c->node_id(), 1);
  EXPECT_EQ(c->num_partitions(), 6);
  EXPECT_EQ(c->log_dirs(), (std::vector<std::string>{"/var/gregor"}));
  EXPECT_EQ(c->quorum_voters(), (std::vector<QuorumVoter>{{1, "localhost", 9093}}));
  EXPECT_EQ(c->listeners(), (std::vector<Endpoint>{{"PLAINTEXT", "localhost", 9092, "PLAINTEXT"},
                                                   {"CONTROLLER", "localhost", 9093, "PLAINTEXT"}}));
  EXPECT_EQ(c->advertised_listeners(), (std::vector<Endpoint>{{"PLAINTEXT", "localhost", 9092, "PLAINTEXT"}}));
  EXPECT_EQ(c->offsets_topic_replication_factor(), 1);
  EXPECT_EQ(c->transaction_state_log_replication_factor(), 1);
  EXPECT_EQ(c->transaction_state_log_min_isr(), 1);
}

TEST(BrokerConfig, UnknownKeysWarnAndAreKept) {
  std::vector<std::string> warnings;
  BrokerConfig c = load(with(combined_props(), {{"foo.bar", "1"},
                                                {"log.message.format.version", "3.0"},  // removed in Kafka 4.0
                                                {"listener.name.internal.bogus", "x"},
                                                {"ssl.keystore.location", "/ks"},
                                                {"sasl.jaas.config", "secret"},
                                                {"listener.name.plaintext.ssl.keystore.location", "/ks"},
                                                {"listener.name.sasl.plain.sasl.jaas.config", "secret"},
                                                {"metric.reporters", "a.B"},
                                                {"remote.log.storage.system.enable", "false"}}),
                        &warnings);
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "The configuration 'foo.bar' was supplied but isn't a known config.",
                          "The configuration 'listener.name.internal.bogus' was supplied but isn't a known config.",
                          "The configuration 'log.message.format.version' was supplied but isn't a known config.",
                      }));
  EXPECT_EQ(c.originals().at("foo.bar"), "1");
  EXPECT_EQ(c.get_string("foo.bar"), std::nullopt);
  EXPECT_EQ(c.get_string("ssl.keystore.location"), "/ks");
}

TEST(BrokerConfig, BadValuesGiveKafkasMessage) {
  auto error = [](std::string key, std::string value) { return load_error(with(combined_props(), {{key, value}})); };
  EXPECT_EQ(error("num.partitions", "abc"),
            "Invalid value abc for configuration num.partitions: Not a number of type INT");
  EXPECT_EQ(error("num.partitions", "0"), "Invalid value 0 for configuration num.partitions: Value must be at least 1");
  EXPECT_EQ(error("process.roles", "broker,zookeeper"),
            "Invalid value zookeeper for configuration process.roles: String must be one of: broker, controller");
  EXPECT_EQ(error("auto.create.topics.enable", "yes"),
            "Invalid value yes for configuration auto.create.topics.enable: Expected value to be either true or false");
  EXPECT_EQ(error("offsets.topic.replication.factor", "40000"),
            "Invalid value 40000 for configuration offsets.topic.replication.factor: Not a number of type SHORT");
  EXPECT_EQ(error("connections.max.idle.ms", "1.5"),
            "Invalid value 1.5 for configuration connections.max.idle.ms: Not a number of type LONG");
  EXPECT_EQ(
      error("security.inter.broker.protocol", "TLS"),
      "Invalid value TLS for configuration security.inter.broker.protocol: String must be one of: PLAINTEXT, SSL, "
      "SASL_PLAINTEXT, SASL_SSL");
  // The log settings are checked by LogConfig, with the same kind of message.
  EXPECT_EQ(error("log.segment.bytes", "100"),
            "Invalid value 100 for configuration log.segment.bytes: Value must be at least 1048576");
  EXPECT_EQ(error("log.retention.hours", "x"),
            "Invalid value x for configuration log.retention.hours: Not a number of type INT");
  EXPECT_EQ(error("log.roll.ms", "0"), "log.roll.ms must be greater than or equal to 1");
  // Accepted keys are still parsed as their type.
  EXPECT_EQ(error("sasl.login.connect.timeout.ms", "soon"),
            "Invalid value soon for configuration sasl.login.connect.timeout.ms: Not a number of type INT");
  // Values are trimmed and booleans case-insensitive, as in Kafka.
  BrokerConfig c = load(with(combined_props(), {{"num.partitions", " 7 "}, {"delete.topic.enable", "FALSE"}}));
  EXPECT_EQ(c.num_partitions(), 7);
  EXPECT_FALSE(c.delete_topic_enable());
}

TEST(BrokerConfig, ChecksAcrossKeys) {
  EXPECT_EQ(load_error(with(combined_props(), {{"log.cleaner.dedupe.buffer.size", "1048576"}})),
            "log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread.");
  EXPECT_EQ(load_error(with(combined_props(), {{"replica.fetch.wait.max.ms", "40000"}})),
            "replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary "
            "socket timeouts");
  EXPECT_EQ(
      load_error(with(combined_props(), {{"replica.fetch.wait.max.ms", "2000"}, {"replica.lag.time.max.ms", "1000"}})),
      "replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent "
      "frequent changes in ISR");
  EXPECT_EQ(load_error(with(combined_props(), {{"queued.max.request.bytes", "1000"}})),
            "queued.max.request.bytes must be larger or equal to socket.request.max.bytes");
  EXPECT_EQ(load_error(with(combined_props(), {{"max.connections.per.ip", "0"}})),
            "max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides property is set.");
  EXPECT_EQ(
      load_error(with(combined_props(), {{"connection.failed.authentication.delay.ms", "700000"}})),
      "connection.failed.authentication.delay.ms=700000 should always be less than connections.max.idle.ms=600000 "
      "to prevent failed authentication responses from timing out");
  // Kafka only logs this one.
  std::vector<std::string> warnings;
  load(with(combined_props(), {{"broker.heartbeat.interval.ms", "5000"}}), &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(
      warnings[0].starts_with("broker.heartbeat.interval.ms (5000 ms) must be less than or equal to half of "
                              "the broker.session.timeout.ms (9000 ms)."))
      << warnings[0];
}

TEST(BrokerConfig, GetByName) {
  BrokerConfig c = load(with(combined_props(), {{"ssl.keystore.location", "/ks"}, {"log.retention.hours", "5"}}));
  EXPECT_EQ(c.get_string("num.partitions"), "1");
  EXPECT_EQ(c.get_int("num.partitions"), 1);
  EXPECT_EQ(c.get_long("num.partitions"), 1);
  EXPECT_EQ(c.get_long("connections.max.idle.ms"), 600000);
  EXPECT_EQ(c.get_int("connections.max.idle.ms"), std::nullopt);  // a LONG
  EXPECT_EQ(c.get_int("offsets.topic.replication.factor"), 3);    // a SHORT
  EXPECT_EQ(c.get_bool("delete.topic.enable"), true);
  EXPECT_EQ(c.get_double("log.cleaner.min.cleanable.ratio"), 0.5);
  EXPECT_EQ(c.get_list("process.roles"), (std::vector<std::string>{"broker", "controller"}));
  EXPECT_EQ(c.get_string("log.retention.hours"), "5");
  EXPECT_EQ(c.get_string("log.retention.ms"), std::nullopt);  // null default
  EXPECT_EQ(c.get_string("log.cleaner.io.max.bytes.per.second"), "1.7976931348623157E308");
  EXPECT_EQ(c.get_string("ssl.keystore.location"), "/ks");
  EXPECT_EQ(c.get_string("ssl.truststore.location"), std::nullopt);
  EXPECT_EQ(c.get_string("no.such.key"), std::nullopt);
}

// ---- Listeners, the security protocol map, the quorum ------------------------------------------

const std::map<std::string, std::string> kDefaultMap = {
    {"PLAINTEXT", "PLAINTEXT"}, {"SSL", "SSL"}, {"SASL_PLAINTEXT", "SASL_PLAINTEXT"}, {"SASL_SSL", "SASL_SSL"}};

std::vector<Endpoint> listeners(std::string_view value, const std::map<std::string, std::string>& map = kDefaultMap) {
  StatusOr<std::vector<Endpoint>> endpoints = parse_listeners(value, map, true);
  EXPECT_TRUE(endpoints.ok()) << endpoints.status().to_string();
  return endpoints.ok() ? *endpoints : std::vector<Endpoint>{};
}

TEST(Listeners, Parse) {
  EXPECT_EQ(listeners("PLAINTEXT://:9092"), (std::vector<Endpoint>{{"PLAINTEXT", "", 9092, "PLAINTEXT"}}));
  EXPECT_EQ(listeners(" plaintext://broker-1.example.com:9092 , SSL://10.0.0.1:9093 "),
            (std::vector<Endpoint>{{"PLAINTEXT", "broker-1.example.com", 9092, "PLAINTEXT"},
                                   {"SSL", "10.0.0.1", 9093, "SSL"}}));
  EXPECT_EQ(listeners("PLAINTEXT://[::1]:9092,SSL://[fe80::1%eth0]:0"),
            (std::vector<Endpoint>{{"PLAINTEXT", "::1", 9092, "PLAINTEXT"}, {"SSL", "fe80::1%eth0", 0, "SSL"}}));
  EXPECT_EQ(listeners("INTERNAL://h:1,EXTERNAL://h:2", {{"INTERNAL", "PLAINTEXT"}, {"EXTERNAL", "SASL_SSL"}}),
            (std::vector<Endpoint>{{"INTERNAL", "h", 1, "PLAINTEXT"}, {"EXTERNAL", "h", 2, "SASL_SSL"}}));
  // An IPv4 and an IPv6 listener may share a port.
  EXPECT_EQ(listeners("PLAINTEXT://127.0.0.1:9092,SSL://[::1]:9092").size(), 2u);
  // Ports may repeat among advertised listeners.
  EXPECT_TRUE(parse_listeners("PLAINTEXT://a:9092,SSL://b:9092", kDefaultMap, false).ok());
}

TEST(Listeners, Errors) {
  auto error = [](std::string_view value) { return error_of(parse_listeners(value, kDefaultMap, true)); };
  EXPECT_EQ(
      error("PLAINTEXT:9092"),
      "Error creating broker listeners from 'PLAINTEXT:9092': Unable to parse PLAINTEXT:9092 to a broker endpoint");
  EXPECT_EQ(error("PLAINTEXT://host"),
            "Error creating broker listeners from 'PLAINTEXT://host': Unable to parse PLAINTEXT://host to a broker "
            "endpoint");
  EXPECT_EQ(error("FOO://:9092"),
            "Error creating broker listeners from 'FOO://:9092': No security protocol defined for "
            "listener FOO");
  EXPECT_EQ(error("PLAINTEXT://:9092,PLAINTEXT://:9093"),
            "Error creating broker listeners from 'PLAINTEXT://:9092,PLAINTEXT://:9093': Each listener must have a "
            "different name, listeners: PLAINTEXT://:9092,PLAINTEXT://:9093");
  EXPECT_EQ(error("PLAINTEXT://:9092,SSL://:9092"),
            "Error creating broker listeners from 'PLAINTEXT://:9092,SSL://:9092': Each listener must have a different "
            "port, listeners: PLAINTEXT://:9092,SSL://:9092");
  EXPECT_EQ(error("PLAINTEXT://127.0.0.1:9092,SSL://10.0.0.1:9092"),
            "Error creating broker listeners from 'PLAINTEXT://127.0.0.1:9092,SSL://10.0.0.1:9092': If you have two "
            "listeners on the same port then one needs to be IPv4 and the other IPv6, listeners: "
            "PLAINTEXT://127.0.0.1:9092,SSL://10.0.0.1:9092, port: 9092");
  EXPECT_EQ(error("PLAINTEXT://:70000"),
            "Error creating broker listeners from 'PLAINTEXT://:70000': port out of range:70000");
  EXPECT_EQ(error("PLAINTEXT://:99999999999"),
            "Error creating broker listeners from 'PLAINTEXT://:99999999999': For input string: \"99999999999\"");
}

TEST(Listeners, SecurityProtocolMap) {
  EXPECT_EQ(*parse_security_protocol_map("internal:plaintext , EXTERNAL : SSL"),
            (std::map<std::string, std::string>{{"INTERNAL", "PLAINTEXT"}, {"EXTERNAL", "SSL"}}));
  EXPECT_EQ(*parse_security_protocol_map(""), (std::map<std::string, std::string>{}));
  EXPECT_EQ(error_of(parse_security_protocol_map("A:PLAINTEXT,oops")),
            "Error parsing configuration property 'listener.security.protocol.map': begin 0, end -1, length 4");
  EXPECT_EQ(error_of(parse_security_protocol_map("A:TLS")),
            "Invalid security protocol `TLS` defined in listener.security.protocol.map");
}

TEST(Listeners, AdvertisedDefaultsToListenersWithoutControllers) {
  BrokerConfig c = load(with(combined_props(), {{"listeners", "PLAINTEXT://:9092,CONTROLLER://127.0.0.1:9093"}}));
  EXPECT_EQ(c.listeners(), (std::vector<Endpoint>{{"PLAINTEXT", "", 9092, "PLAINTEXT"},
                                                  {"CONTROLLER", "127.0.0.1", 9093, "PLAINTEXT"}}));
  // The wildcard is advertised under this host's name.
  EXPECT_EQ(c.advertised_listeners(), (std::vector<Endpoint>{{"PLAINTEXT", canonical_host_name(), 9092, "PLAINTEXT"}}));
  EXPECT_EQ(c.advertised_controller_listeners(),
            (std::vector<Endpoint>{{"CONTROLLER", "127.0.0.1", 9093, "PLAINTEXT"}}));
  // Without an explicit map, the controller listener is PLAINTEXT.
  EXPECT_EQ(c.listener_security_protocol_map().at("CONTROLLER"), "PLAINTEXT");
  EXPECT_FALSE(canonical_host_name().empty());
}

TEST(Listeners, AdvertisedListenersGiven) {
  BrokerConfig c = load(with(combined_props(), {{"listeners", "PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093"},
                                                {"advertised.listeners", "PLAINTEXT://broker.example:19092"}}));
  EXPECT_EQ(c.advertised_listeners(), (std::vector<Endpoint>{{"PLAINTEXT", "broker.example", 19092, "PLAINTEXT"}}));
  // The controller listener comes from the listeners, 0.0.0.0 resolved.
  EXPECT_EQ(c.advertised_controller_listeners(),
            (std::vector<Endpoint>{{"CONTROLLER", canonical_host_name(), 9093, "PLAINTEXT"}}));
  // Kafka 4 lets advertised.listeners name the controller listener too.
  BrokerConfig both = load(with(combined_props(), {{"advertised.listeners", "PLAINTEXT://b:1,CONTROLLER://c:2"}}));
  EXPECT_EQ(both.advertised_listeners(), (std::vector<Endpoint>{{"PLAINTEXT", "b", 1, "PLAINTEXT"}}));
  EXPECT_EQ(both.advertised_controller_listeners(), (std::vector<Endpoint>{{"CONTROLLER", "c", 2, "PLAINTEXT"}}));
}

TEST(Listeners, InterBrokerListener) {
  BrokerConfig c =
      load(with(combined_props(), {{"listeners", "INTERNAL://:9092,CONTROLLER://:9093"},
                                   {"listener.security.protocol.map", "INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT"},
                                   {"inter.broker.listener.name", "internal"}}));
  EXPECT_EQ(c.inter_broker_listener_name(), "INTERNAL");
  EXPECT_EQ(load_error(with(combined_props(), {{"inter.broker.listener.name", "INTERNAL"}})),
            "Listener with name INTERNAL defined in inter.broker.listener.name not found in "
            "listener.security.protocol.map.");
  EXPECT_EQ(load_error(with(combined_props(), {{"inter.broker.listener.name", "PLAINTEXT"},
                                               {"security.inter.broker.protocol", "PLAINTEXT"}})),
            "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.");
  EXPECT_EQ(load_error(with(combined_props(),
                            {{"listeners", "INTERNAL://:9092,CONTROLLER://:9093"},
                             {"listener.security.protocol.map", "INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT"}})),
            "inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options "
            "based on currently configured listeners are INTERNAL");
}

TEST(Listeners, OnlyPlaintextIsSupported) {
  EXPECT_EQ(load_error(with(combined_props(),
                            {{"listeners", "PLAINTEXT://:9092,CONTROLLER://:9093,SSL://:9094"},
                             {"listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL"}})),
            "Listener SSL uses security protocol SSL, which Gregor does not support yet: only PLAINTEXT listeners are "
            "supported");
  EXPECT_EQ(load_error(with(combined_props(),
                            {{"listeners", "PLAINTEXT://:9092,CONTROLLER://:9093"},
                             {"listener.security.protocol.map", "PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT"}})),
            "Listener PLAINTEXT uses security protocol SASL_PLAINTEXT, which Gregor does not support yet: only "
            "PLAINTEXT listeners are supported");
}

TEST(Quorum, ParseVoters) {
  EXPECT_EQ(*parse_quorum_voters({"1@localhost:9093", "2@[::1]:9094", "3@10.0.0.3:9095"}),
            (std::vector<QuorumVoter>{{1, "localhost", 9093}, {2, "::1", 9094}, {3, "10.0.0.3", 9095}}));
  // A later entry for an id replaces the earlier one.
  EXPECT_EQ(*parse_quorum_voters({"1@a:1", "1@b:2"}), (std::vector<QuorumVoter>{{1, "b", 2}}));
  constexpr std::string_view kForm = " Each entry should be in the form `{id}@{host}:{port}`.";
  EXPECT_EQ(error_of(parse_quorum_voters({"localhost:9093"})),
            "Invalid configuration value for controller.quorum.voters." + std::string(kForm));
  EXPECT_EQ(error_of(parse_quorum_voters({"1@a@b:1"})),
            "Invalid configuration value for controller.quorum.voters." + std::string(kForm));
  EXPECT_EQ(error_of(parse_quorum_voters({"one@localhost:9093"})), "Failed to parse voter ID as an integer from one");
  EXPECT_EQ(error_of(parse_quorum_voters({"1@localhost"})),
            "Failed to parse host name from entry 1@localhost for the configuration controller.quorum.voters." +
                std::string(kForm));
  EXPECT_EQ(*parse_bootstrap_servers({"localhost:9093", "[::1]:9094"}),
            (std::vector<HostPort>{{"localhost", 9093}, {"::1", 9094}}));
  EXPECT_EQ(error_of(parse_bootstrap_servers({"localhost"})),
            "Failed to parse host name from localhost for the configuration controller.quorum.bootstrap.servers. Each "
            "entry should be in the form \"{host}:{port}\"");
}

TEST(Quorum, VotersFromConfig) {
  BrokerConfig c = load(with(combined_props(), {{"controller.quorum.voters", "1@localhost:9093, 2@other:9093"}}));
  EXPECT_EQ(c.quorum_voters(), (std::vector<QuorumVoter>{{1, "localhost", 9093}, {2, "other", 9093}}));
  EXPECT_EQ(load_error(with(combined_props(), {{"controller.quorum.voters", "1@"}})),
            "Invalid configuration value for controller.quorum.voters. Each entry should be in the form "
            "`{id}@{host}:{port}`.");
  // The bootstrap servers may stand in for the voters.
  BrokerConfig dynamic = load(with(
      combined_props(), {{"controller.quorum.voters", ""}, {"controller.quorum.bootstrap.servers", "localhost:9093"}}));
  EXPECT_TRUE(dynamic.quorum_voters().empty());
  EXPECT_EQ(dynamic.quorum_bootstrap_servers(), (std::vector<HostPort>{{"localhost", 9093}}));
}

// ---- The KRaft role rules ----------------------------------------------------------------------

Properties broker_only() {
  return {{"process.roles", "broker"},
          {"node.id", "2"},
          {"controller.quorum.voters", "1@localhost:9093"},
          {"listeners", "PLAINTEXT://:9092"},
          {"controller.listener.names", "CONTROLLER"}};
}

Properties controller_only() {
  return {{"process.roles", "controller"},
          {"node.id", "1"},
          {"controller.quorum.voters", "1@localhost:9093"},
          {"listeners", "CONTROLLER://:9093"},
          {"controller.listener.names", "CONTROLLER"}};
}

TEST(Roles, ValidLayouts) {
  BrokerConfig broker = load(broker_only());
  EXPECT_TRUE(broker.is_broker());
  EXPECT_FALSE(broker.is_controller());
  EXPECT_TRUE(broker.advertised_controller_listeners().empty());
  BrokerConfig controller = load(controller_only());
  EXPECT_FALSE(controller.is_broker());
  EXPECT_TRUE(controller.is_controller());
  EXPECT_TRUE(controller.advertised_listeners().empty());
}

TEST(Roles, QuorumMustBeGiven) {
  EXPECT_EQ(load_error(with(combined_props(), {{"controller.quorum.voters", ""}})),
            "If using process.roles, either controller.quorum.bootstrap.servers must contain the set of bootstrap "
            "controllers or controller.quorum.voters must contain a parseable set of controllers.");
}

TEST(Roles, ControllerMustBeAVoter) {
  EXPECT_EQ(load_error(with(combined_props(), {{"controller.quorum.voters", "2@localhost:9093,3@localhost:9094"}})),
            "If process.roles contains the 'controller' role, the node id 1 must be included in the set of voters "
            "controller.quorum.voters=Set(2, 3)");
}

TEST(Roles, ControllerListenerMustBeListened) {
  // (Without controller.listener.names, CONTROLLER needs an explicit protocol, as in Kafka.)
  EXPECT_EQ(load_error(with(combined_props(),
                            {{"controller.listener.names", ""},
                             {"listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"}})),
            "controller.listener.names must contain at least one value appearing in the 'listeners' configuration when "
            "running the KRaft controller role");
  EXPECT_EQ(
      load_error(with(combined_props(), {{"controller.listener.names", ""}})),
      "Error creating broker listeners from 'PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093': No security "
      "protocol defined for listener CONTROLLER");
  EXPECT_EQ(load_error(with(combined_props(), {{"controller.listener.names", "CONTROLLER,OTHER"},
                                               {"listener.security.protocol.map",
                                                "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,OTHER:PLAINTEXT"}})),
            "controller.listener.names must only contain values appearing in the 'listeners' configuration when "
            "running the KRaft controller role");
  EXPECT_EQ(load_error(with(controller_only(), {{"listeners", "CONTROLLER://:9093,PLAINTEXT://:9092"}})),
            "The listeners config must only contain KRaft controller listeners from controller.listener.names when "
            "process.roles=controller");
}

TEST(Roles, BrokerOnlyRules) {
  EXPECT_EQ(load_error(with(broker_only(), {{"node.id", "1"}})),
            "If process.roles contains just the 'broker' role, the node id 1 must not be included in the set of voters "
            "controller.quorum.voters=Set(1)");
  EXPECT_EQ(load_error(with(broker_only(), {{"controller.listener.names", ""}})),
            "controller.listener.names must contain at least one value when running KRaft with just the broker role");
  EXPECT_EQ(load_error(with(broker_only(), {{"listeners", "PLAINTEXT://:9092,CONTROLLER://:9093"}})),
            "controller.listener.names must not contain a value appearing in the 'listeners' configuration when "
            "running KRaft with just the broker role");
  EXPECT_EQ(load_error(with(broker_only(), {{"listener.security.protocol.map", "PLAINTEXT:PLAINTEXT"}})),
            "Controller listener with name CONTROLLER defined in controller.listener.names not found in "
            "listener.security.protocol.map  (an explicit security mapping for each controller listener is required "
            "if listener.security.protocol.map is non-empty, or if there are security protocols other than PLAINTEXT "
            "in use)");
}

TEST(Roles, BrokerNeedsAnAdvertisedListener) {
  EXPECT_EQ(load_error(with(combined_props(), {{"listeners", "CONTROLLER://:9093"}})),
            "There must be at least one broker advertised listener. Perhaps all listeners appear in "
            "controller.listener.names?");
  EXPECT_EQ(load_error(with(combined_props(), {{"advertised.listeners", "PLAINTEXT://a:1,OTHER://b:2"},
                                               {"listener.security.protocol.map",
                                                "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,OTHER:PLAINTEXT"}})),
            "advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found "
            "PLAINTEXT,OTHER. The valid options based on the current configuration are PLAINTEXT,CONTROLLER");
  EXPECT_EQ(load_error(with(combined_props(), {{"listeners", "PLAINTEXT://0.0.0.0:9092,CONTROLLER://:9093"}})),
            "advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address.");
  EXPECT_EQ(load_error(with(combined_props(), {{"advertised.listeners", "PLAINTEXT://0.0.0.0:9092"}})),
            "advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address.");
}

// ---- DescribeConfigs ---------------------------------------------------------------------------

const ConfigDescription& find(const std::vector<ConfigDescription>& all, std::string_view name) {
  auto it = std::find_if(all.begin(), all.end(), [&](const ConfigDescription& d) { return d.name == name; });
  EXPECT_NE(it, all.end()) << name;
  static const ConfigDescription kMissing;
  return it == all.end() ? kMissing : *it;
}

bool described(const std::vector<ConfigDescription>& all, std::string_view name) {
  return std::any_of(all.begin(), all.end(), [&](const ConfigDescription& d) { return d.name == name; });
}

TEST(Describe, SourcesAndSynonymsOfStaticAndDynamicValues) {
  BrokerConfig c = load(with(
      combined_props(),
      {{"log.retention.hours", "24"}, {"auto.create.topics.enable", "TRUE"}, {"ssl.keystore.password", "secret"}}));
  std::vector<ConfigDescription> all =
      c.describe({{"log.retention.ms", "1000"}}, {{"log.retention.minutes", "60"}, {"num.io.threads", "16"}});
  using S = ConfigSource;

  const ConfigDescription& ms = find(all, "log.retention.ms");
  EXPECT_EQ(ms.value, "1000");
  EXPECT_EQ(ms.source, S::dynamic_broker_config);
  EXPECT_FALSE(ms.read_only);
  EXPECT_EQ(ms.type, ConfigType::int64);
  EXPECT_EQ(ms.synonyms, (std::vector<ConfigSynonym>{{"log.retention.ms", "1000", S::dynamic_broker_config},
                                                     {"log.retention.minutes", "60", S::dynamic_default_broker_config},
                                                     {"log.retention.hours", "24", S::static_broker_config},
                                                     {"log.retention.hours", "168", S::default_config}}));

  // The synonyms of a less precise name start at that name.
  const ConfigDescription& hours = find(all, "log.retention.hours");
  EXPECT_EQ(hours.value, "24");
  EXPECT_EQ(hours.source, S::static_broker_config);
  EXPECT_TRUE(hours.read_only);
  EXPECT_EQ(hours.synonyms, (std::vector<ConfigSynonym>{{"log.retention.hours", "24", S::static_broker_config},
                                                        {"log.retention.hours", "168", S::default_config}}));
  const ConfigDescription& minutes = find(all, "log.retention.minutes");
  EXPECT_EQ(minutes.value, "60");
  EXPECT_EQ(minutes.source, S::dynamic_default_broker_config);
  EXPECT_EQ(minutes.synonyms.size(), 3u);

  // Unset without a default: no value, no synonyms, DEFAULT_CONFIG.
  const ConfigDescription& roll = find(all, "log.roll.ms");
  EXPECT_EQ(roll.value, std::nullopt);
  EXPECT_EQ(roll.source, S::default_config);
  EXPECT_TRUE(roll.synonyms.empty());

  const ConfigDescription& partitions = find(all, "num.partitions");
  EXPECT_EQ(partitions.value, "1");
  EXPECT_EQ(partitions.source, S::default_config);
  EXPECT_EQ(partitions.synonyms, (std::vector<ConfigSynonym>{{"num.partitions", "1", S::default_config}}));
  EXPECT_TRUE(partitions.read_only);
  EXPECT_FALSE(partitions.documentation.empty());

  const ConfigDescription& io = find(all, "num.io.threads");
  EXPECT_EQ(io.value, "16");
  EXPECT_EQ(io.source, S::dynamic_default_broker_config);
  EXPECT_EQ(io.synonyms, (std::vector<ConfigSynonym>{{"num.io.threads", "16", S::dynamic_default_broker_config},
                                                     {"num.io.threads", "8", S::default_config}}));

  // Values are shown as Kafka renders them.
  EXPECT_EQ(find(all, "auto.create.topics.enable").value, "true");

  // Passwords are never shown.
  const ConfigDescription& password = find(all, "ssl.keystore.password");
  EXPECT_TRUE(password.is_sensitive);
  EXPECT_EQ(password.value, std::nullopt);
  EXPECT_EQ(password.synonyms,
            (std::vector<ConfigSynonym>{{"ssl.keystore.password", std::nullopt, S::static_broker_config}}));
  EXPECT_EQ(password.type, ConfigType::password);
  EXPECT_FALSE(password.read_only);

  // Accepted keys appear only when set; unknown keys never.
  EXPECT_FALSE(described(all, "ssl.truststore.location"));
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(),
                             [](const ConfigDescription& a, const ConfigDescription& b) { return a.name < b.name; }));
}

TEST(Describe, NodeIdGivenAsBrokerIdIsStaticUnderBothNames) {
  BrokerConfig c = load(with(combined_props(), {{"node.id", ""}, {"broker.id", "1"}}));
  std::vector<ConfigDescription> all = c.describe();
  EXPECT_EQ(find(all, "node.id").value, "1");
  EXPECT_EQ(find(all, "node.id").source, ConfigSource::static_broker_config);
  EXPECT_EQ(find(all, "broker.id").source, ConfigSource::static_broker_config);
}

// ---- Dynamic changes ---------------------------------------------------------------------------

std::string dynamic_error(std::string_view name, std::optional<std::string> value, bool per_broker) {
  return error_of(validate_dynamic_broker_config(name, value, per_broker), ErrorCode::invalid_request);
}

TEST(DynamicChange, AllowedChanges) {
  EXPECT_TRUE(validate_dynamic_broker_config("num.io.threads", "16", false).ok());
  EXPECT_TRUE(validate_dynamic_broker_config("num.io.threads", "16", true).ok());
  EXPECT_TRUE(validate_dynamic_broker_config("log.retention.ms", "1000", false).ok());
  EXPECT_TRUE(validate_dynamic_broker_config("log.cleanup.policy", "compact,delete", false).ok());
  EXPECT_TRUE(validate_dynamic_broker_config("message.max.bytes", "2000000", false).ok());
  EXPECT_TRUE(validate_dynamic_broker_config("listeners", "PLAINTEXT://:9092", true).ok());
  EXPECT_TRUE(validate_dynamic_broker_config("listener.name.internal.ssl.keystore.location", "/ks", true).ok());
  EXPECT_TRUE(validate_dynamic_broker_config("listener.name.internal.max.connections", "10", false).ok());
  EXPECT_TRUE(validate_dynamic_broker_config("leader.replication.throttled.rate", "1000000", false).ok());
  // Deleting a value needs no value check.
  EXPECT_TRUE(validate_dynamic_broker_config("num.io.threads", std::nullopt, false).ok());
}

TEST(DynamicChange, RefusedChanges) {
  EXPECT_EQ(dynamic_error("log.retention.hours", "1", true),
            "Cannot update these configs dynamically: [log.retention.hours]");
  EXPECT_EQ(dynamic_error("num.partitions", std::nullopt, true),
            "Cannot update these configs dynamically: [num.partitions]");
  EXPECT_EQ(dynamic_error("num.io.threads", "abc", true),
            "Invalid value abc for configuration num.io.threads: Not a number of type INT");
  EXPECT_EQ(dynamic_error("num.io.threads", "0", true),
            "Invalid value 0 for configuration num.io.threads: Value must be at least 1");
  EXPECT_EQ(dynamic_error("log.segment.bytes", "10", false),
            "Invalid value 10 for configuration log.segment.bytes: Value must be at least 1048576");
  EXPECT_EQ(dynamic_error("listeners", "PLAINTEXT://:9092", false),
            "Cannot update these configs at default cluster level, broker id must be specified: [listeners]");
  EXPECT_EQ(dynamic_error("ssl.keystore.location", "/ks", true),
            "These security configs can be dynamically updated only per-listener using the listener prefix: "
            "[ssl.keystore.location]");
  EXPECT_EQ(dynamic_error("listener.name.internal.ssl.keystore.location", "/ks", false),
            "Cannot update these configs at default cluster level, broker id must be specified: "
            "[listener.name.internal.ssl.keystore.location]");
  EXPECT_EQ(dynamic_error("foo.bar", "1", true), "Unknown broker config name: foo.bar");
}

// ---- The key table -----------------------------------------------------------------------------

TEST(BrokerConfigKeys, NamesAreUniqueAndDefaultsValid) {
  std::set<std::string_view> names;
  for (const BrokerConfigKey& key : broker_config_keys()) {
    EXPECT_TRUE(names.insert(key.name).second) << key.name;
    EXPECT_EQ(find_broker_config_key(key.name), &key);
    if (key.kind == KeyKind::accepted) {
      EXPECT_FALSE(key.default_value) << key.name;
      continue;
    }
    EXPECT_FALSE(key.doc.empty()) << key.name;
    if (key.default_value) {
      EXPECT_TRUE(storage::parse_and_validate(key.name, key.type, key.validator, *key.default_value).ok()) << key.name;
    }
  }
  EXPECT_EQ(find_broker_config_key("no.such.key"), nullptr);
}

TEST(BrokerConfigKeys, LogKeysAreLogConfigsBrokerNames) {
  // The names LogConfig::from_broker_properties reads besides the topic configs' broker names.
  const std::set<std::string_view> derived = {"log.roll.ms",           "log.roll.hours",       "log.roll.jitter.ms",
                                              "log.roll.jitter.hours", "log.retention.ms",     "log.retention.minutes",
                                              "log.retention.hours",   "log.flush.interval.ms"};
  std::set<std::string_view> from_topics;
  std::map<std::string, std::string> topic_defaults = storage::LogConfig{}.to_topic_configs();
  for (const storage::TopicConfigKey& topic : storage::LogConfig::topic_config_keys()) {
    if (topic.server_default.empty()) continue;
    from_topics.insert(topic.server_default);
    const BrokerConfigKey* key = find_broker_config_key(topic.server_default);
    ASSERT_NE(key, nullptr) << topic.server_default;
    EXPECT_EQ(key->type, topic.type) << key->name;
    EXPECT_EQ(key->dynamic, DynamicUpdateMode::cluster_wide) << key->name;
    if (!derived.contains(key->name)) {
      EXPECT_EQ(key->kind, KeyKind::log) << key->name;
      EXPECT_EQ(key->default_value, topic_defaults.at(std::string(topic.name))) << key->name;
    }
  }
  for (const BrokerConfigKey& key : broker_config_keys()) {
    if (key.kind == KeyKind::log) {
      EXPECT_TRUE(from_topics.contains(key.name) || derived.contains(key.name)) << key.name;
    }
  }
}

TEST(BrokerConfigKeys, Synonyms) {
  EXPECT_EQ(broker_config_synonyms("log.retention.minutes"),
            (std::vector<std::string_view>{"log.retention.ms", "log.retention.minutes", "log.retention.hours"}));
  EXPECT_EQ(broker_config_synonyms("log.roll.hours"), (std::vector<std::string_view>{"log.roll.ms", "log.roll.hours"}));
  EXPECT_EQ(broker_config_synonyms("log.flush.interval.ms"),
            (std::vector<std::string_view>{"log.flush.interval.ms", "log.flush.scheduler.interval.ms"}));
  EXPECT_EQ(broker_config_synonyms("log.flush.scheduler.interval.ms"),
            (std::vector<std::string_view>{"log.flush.scheduler.interval.ms"}));
  EXPECT_EQ(broker_config_synonyms("log.dirs"), (std::vector<std::string_view>{"log.dirs", "log.dir"}));
  EXPECT_EQ(broker_config_synonyms("listener.name.internal.ssl.keystore.type"),
            (std::vector<std::string_view>{"listener.name.internal.ssl.keystore.type", "ssl.keystore.type"}));
  EXPECT_EQ(broker_config_synonyms("num.partitions"), (std::vector<std::string_view>{"num.partitions"}));
}

// ---- Topics and the cluster default -------------------------------------------------------------

TEST(Describe, TopicConfigsOverTheBrokersLayers) {
  BrokerConfig c = load(with(combined_props(), {{"log.retention.hours", "24"}, {"log.segment.bytes", "2097152"}}));
  Properties topic = {{"max.message.bytes", " 5000 "}};
  Properties per_broker = {{"log.segment.bytes", "4194304"}};
  storage::LogConfig defaults = *storage::LogConfig::from_broker_properties(
      {{"log.retention.hours", "24"}, {"log.segment.bytes", "4194304"}});
  std::vector<ConfigDescription> all = c.describe_topic(defaults, topic, per_broker, {});
  ASSERT_EQ(all.size(), storage::LogConfig::topic_config_keys().size());
  using S = ConfigSource;

  const ConfigDescription& max = find(all, "max.message.bytes");
  EXPECT_EQ(max.value, "5000");
  EXPECT_EQ(max.source, S::topic_config);
  EXPECT_FALSE(max.read_only);
  EXPECT_EQ(max.synonyms, (std::vector<ConfigSynonym>{{"max.message.bytes", "5000", S::topic_config},
                                                      {"message.max.bytes", "1048588", S::default_config}}));
  const ConfigDescription& segment = find(all, "segment.bytes");
  EXPECT_EQ(segment.value, "4194304");
  EXPECT_EQ(segment.source, S::dynamic_broker_config);
  EXPECT_EQ(segment.synonyms.size(), 3u);
  // As in Kafka, a retention set only in hours shows the value but no synonym.
  const ConfigDescription& retention = find(all, "retention.ms");
  EXPECT_EQ(retention.value, "86400000");
  EXPECT_EQ(retention.source, S::default_config);
  EXPECT_TRUE(retention.synonyms.empty());
  EXPECT_FALSE(find(all, "cleanup.policy").documentation.empty());
}

TEST(Describe, TheClusterDefaultListsOnlyItsOwnConfigs) {
  BrokerConfig c = load(with(combined_props(), {{"num.io.threads", "4"}}));
  EXPECT_TRUE(c.describe_cluster_default({}).empty());
  std::vector<ConfigDescription> all = c.describe_cluster_default({{"num.io.threads", "12"}, {"log.retention.hours", "5"}});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "log.retention.hours");
  EXPECT_EQ(all[0].synonyms,
            (std::vector<ConfigSynonym>{{"log.retention.hours", "5", ConfigSource::dynamic_default_broker_config}}));
  EXPECT_EQ(all[1].name, "num.io.threads");
  EXPECT_EQ(all[1].value, "12");
  EXPECT_EQ(all[1].source, ConfigSource::dynamic_default_broker_config);
  EXPECT_EQ(all[1].synonyms.size(), 1u);
}

// ---- Changes to a BROKER resource ----------------------------------------------------------------

TEST(DynamicChange, ChangesApplyOverTheStoredConfigsBeforeTheyAreChecked) {
  using C = ConfigChange;
  EXPECT_TRUE(validate_broker_config_changes({}, {{"log.cleanup.policy", C::append, "compact"}}, false).ok());
  EXPECT_TRUE(validate_broker_config_changes({{"num.io.threads", "4"}}, {{"num.io.threads", C::remove, {}}}, true).ok());
  // The stored configs are checked with the change.
  EXPECT_EQ(error_of(validate_broker_config_changes({{"log.cleanup.policy", "delete"}},
                                                    {{"log.cleanup.policy", C::append, "forever"}}, false),
                     ErrorCode::invalid_request),
            "Invalid value forever for configuration log.cleanup.policy: String must be one of: compact, delete");
  EXPECT_EQ(error_of(validate_broker_config_changes({}, {{"num.io.threads", C::subtract, "1"}}, false),
                     ErrorCode::invalid_config),
            "Config value subtract is not allowed for config key: num.io.threads");
  EXPECT_EQ(error_of(validate_broker_config_changes({}, {{"num.io.threads", 7, "1"}}, false), ErrorCode::invalid_request),
            "Unknown operations type 7");
  // Subtracting the whole default leaves an empty list, which Kafka allows.
  EXPECT_TRUE(validate_broker_config_changes({}, {{"log.cleanup.policy", C::subtract, "delete"}}, false).ok());
  EXPECT_EQ(error_of(validate_broker_config_changes({}, {{"num.partitions", C::set, "2"}}, true),
                     ErrorCode::invalid_request),
            "Cannot update these configs dynamically: [num.partitions]");
}

}  // namespace
}  // namespace gregor::config
