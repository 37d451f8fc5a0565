// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs over the wire against an in-process
// broker with its metadata log and controller, and config changes reaching the running logs.
#include <gtest/gtest.h>

#include <spdlog/spdlog.h>

#include <chrono>

#include "../storage/log_test_util.h"
#include "../storage/temp_dir.h"
#include "broker/broker.h"
#include "broker/server.h"
#include "common/error_code.h"
#include "config/meta_properties.h"
#include "protocol/generated/message/alter_configs_request.h"
#include "protocol/generated/message/alter_configs_response.h"
#include "protocol/generated/message/create_topics_request.h"
#include "protocol/generated/message/create_topics_response.h"
#include "protocol/generated/message/describe_configs_request.h"
#include "protocol/generated/message/describe_configs_response.h"
#include "protocol/generated/message/incremental_alter_configs_request.h"
#include "protocol/generated/message/incremental_alter_configs_response.h"
#include "protocol/generated/message/produce_request.h"
#include "protocol/generated/message/produce_response.h"
#include "broker_fixture.h"
#include "raw_client.h"

namespace gregor::broker {
namespace {

using DescribeResponse = protocol::DescribeConfigsResponse;
using Entry = DescribeResponse::DescribeConfigsResourceResult;
using Synonym = DescribeResponse::DescribeConfigsSynonym;

constexpr int8_t kTopic = 2;
constexpr int8_t kBroker = 4;
constexpr int8_t kBrokerLogger = 8;
constexpr int8_t kGroup = 32;

constexpr int8_t kSet = 0;
constexpr int8_t kDelete = 1;
constexpr int8_t kAppend = 2;
constexpr int8_t kSubtract = 3;

// ConfigSource ids.
constexpr int8_t kTopicConfig = 1;
constexpr int8_t kDynamicBroker = 2;
constexpr int8_t kDynamicDefault = 3;
constexpr int8_t kStatic = 4;
constexpr int8_t kDefault = 5;
constexpr int8_t kLoggerConfig = 6;

int16_t code(ErrorCode c) { return static_cast<int16_t>(c); }

Synonym synonym(std::string name, std::optional<std::string> value, int8_t source) {
  Synonym s;
  s.name = std::move(name);
  s.value = std::move(value);
  s.source = source;
  return s;
}

struct Change {
  std::string name;
  int8_t op = kSet;
  std::optional<std::string> value;
};

class ConfigsTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  // A broker and controller on one node, as `gregor server` runs it, with these settings over
  // the embedded default.
  void start(const config::Properties& overrides) {
    config::Properties props = config::BrokerConfig::embedded_default_properties(dir.path());
    props["listeners"] = "PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0";
    for (const auto& [k, v] : overrides) props[k] = v;
    auto config = config::BrokerConfig::from_properties(props, nullptr);
    ASSERT_TRUE(config.ok()) << config.status().message();
    BrokerOptions o = broker_options_from(*config, cluster_id);
    o.shards = 2;
    broker = std::make_unique<Broker>(o);
    ASSERT_TRUE(broker->start().ok());
    client = std::make_unique<Client>(broker->bound_port("PLAINTEXT"));
  }

  // Options made by hand, without a broker configuration: the metadata service makes one.
  void start_by_hand() {
    BrokerOptions o = testing::broker_options({dir.path()}, dir.path(), cluster_id, 2);
    o.metadata->controller.static_config = {{"log.segment.bytes", "2097152"}};
    o.metadata->log_defaults = *storage::LogConfig::from_broker_properties(o.metadata->controller.static_config);
    broker = std::make_unique<Broker>(o);
    ASSERT_TRUE(broker->start().ok());
    client = std::make_unique<Client>(broker->bound_port("PLAINTEXT"));
  }

  template <typename Response, typename Request>
  Response call(const Request& request, int16_t version) {
    return round_trip<Response>(*client, request, version, ++correlation);
  }

  void create_topic(const std::string& name, int32_t partitions = 1, const config::Properties& configs = {}) {
    auto created = testing::create_topic(*client, ++correlation, name, partitions, {configs.begin(), configs.end()});
    ASSERT_EQ(created.error_code, 0) << created.error_message.value_or("");
  }

  DescribeResponse describe(int8_t type, const std::string& name,
                            std::optional<std::vector<std::string>> keys = std::vector<std::string>{},
                            int16_t version = 4, bool synonyms = true, bool documentation = true) {
    protocol::DescribeConfigsRequest request;
    request.resources.push_back({type, name, std::move(keys), {}});
    request.include_synonyms = synonyms;
    request.include_documentation = version >= 3 && documentation;
    return call<DescribeResponse>(request, version);
  }

  // The one resource's configs, which must have been described without error.
  std::vector<Entry> configs_of(int8_t type, const std::string& name,
                                std::optional<std::vector<std::string>> keys = std::vector<std::string>{}) {
    DescribeResponse r = describe(type, name, std::move(keys));
    EXPECT_EQ(r.results.size(), 1u);
    if (r.results.size() != 1) return {};
    EXPECT_EQ(r.results[0].error_code, 0) << r.results[0].error_message.value_or("");
    return r.results[0].configs;
  }

  Entry config_of(int8_t type, const std::string& name, const std::string& key) {
    std::vector<Entry> all = configs_of(type, name, std::vector<std::string>{key});
    EXPECT_EQ(all.size(), 1u) << key;
    return all.empty() ? Entry{} : all[0];
  }

  protocol::IncrementalAlterConfigsResponse incremental(int8_t type, const std::string& name,
                                                        const std::vector<Change>& changes,
                                                        bool validate_only = false, int16_t version = 1) {
    protocol::IncrementalAlterConfigsRequest request;
    auto& r = request.resources.emplace_back();
    r.resource_type = type;
    r.resource_name = name;
    for (const Change& c : changes) r.configs.push_back({c.name, c.op, c.value, {}});
    request.validate_only = validate_only;
    return call<protocol::IncrementalAlterConfigsResponse>(request, version);
  }

  // The error of a single-resource IncrementalAlterConfigs, with its message.
  std::pair<int16_t, std::string> incremental_error(int8_t type, const std::string& name,
                                                    const std::vector<Change>& changes) {
    auto r = incremental(type, name, changes);
    EXPECT_EQ(r.responses.size(), 1u);
    if (r.responses.empty()) return {-1, ""};
    return {r.responses[0].error_code, r.responses[0].error_message.value_or("")};
  }

  void set_topic(const std::string& topic, const std::string& key, const std::string& value) {
    auto [error, message] = incremental_error(kTopic, topic, {{key, kSet, value}});
    ASSERT_EQ(error, 0) << message;
  }

  protocol::AlterConfigsResponse alter(int8_t type, const std::string& name, const config::Properties& configs,
                                       bool validate_only = false, int16_t version = 2) {
    protocol::AlterConfigsRequest request;
    auto& r = request.resources.emplace_back();
    r.resource_type = type;
    r.resource_name = name;
    for (const auto& [k, v] : configs) r.configs.push_back({k, v, {}});
    request.validate_only = validate_only;
    return call<protocol::AlterConfigsResponse>(request, version);
  }

  // Produces one batch of a record with a `value_size`-byte value to partition 0.
  int16_t produce(const std::string& topic, size_t value_size, bool with_keys = true) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    Bytes batch = storage::testing::make_batch(1, now, 0, record::Compression::none, value_size, with_keys);
    auto response = call<protocol::ProduceResponse>(produce_request(topic, 0, batch), 9);
    EXPECT_EQ(response.responses.size(), 1u);
    if (response.responses.empty() || response.responses[0].partition_responses.empty()) return -1;
    return response.responses[0].partition_responses[0].error_code;
  }

  // The config of the log of partition 0, read on the shard that owns it.
  storage::LogConfig log_config(const std::string& topic) {
    TopicPartition tp{topic, 0};
    unsigned s = shard_of(tp, static_cast<unsigned>(broker->shard_count()));
    return run_on(broker->shard(s), [&] {
      ReplicaManager::Partition* p = broker->replicas(s).find(tp);
      return p ? p->log->config() : storage::LogConfig{};
    });
  }

  storage::testing::TempDir dir;
  const std::string cluster_id = config::random_cluster_id();
  std::unique_ptr<Broker> broker;
  std::unique_ptr<Client> client;
  int32_t correlation = 0;
};

const Entry* find(const std::vector<Entry>& all, const std::string& name) {
  for (const Entry& e : all) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

// ---- DescribeConfigs ---------------------------------------------------------------------------

TEST_F(ConfigsTest, DescribesEveryTopicConfigWithSourcesAndSynonyms) {
  create_topic("orders", 1, {{"cleanup.policy", "compact"}, {"retention.bytes", " 1000 "}});
  std::vector<Entry> all = configs_of(kTopic, "orders");
  EXPECT_EQ(all.size(), storage::LogConfig::topic_config_keys().size());
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; }));
  for (const Entry& e : all) {
    EXPECT_FALSE(e.read_only) << e.name;
    EXPECT_FALSE(e.is_sensitive) << e.name;
    EXPECT_TRUE(e.documentation && !e.documentation->empty()) << e.name;
    EXPECT_NE(e.config_type, 0) << e.name;
  }

  // Set on the topic: its own value first, then the broker config that would stand in.
  const Entry* policy = find(all, "cleanup.policy");
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->value, "compact");
  EXPECT_EQ(policy->config_source, kTopicConfig);
  EXPECT_EQ(policy->config_type, 7);  // LIST
  EXPECT_EQ(policy->synonyms, (std::vector<Synonym>{synonym("cleanup.policy", "compact", kTopicConfig),
                                                    synonym("log.cleanup.policy", "delete", kDefault)}));
  // Values as Kafka renders them.
  EXPECT_EQ(find(all, "retention.bytes")->value, "1000");

  // From the broker's default.
  const Entry* segment = find(all, "segment.bytes");
  ASSERT_TRUE(segment);
  EXPECT_EQ(segment->value, "1073741824");
  EXPECT_EQ(segment->config_source, kDefault);
  EXPECT_EQ(segment->config_type, 3);  // INT
  EXPECT_EQ(segment->synonyms, (std::vector<Synonym>{synonym("log.segment.bytes", "1073741824", kDefault)}));

  // Kafka's default retention comes from log.retention.hours, which does not stand in for
  // log.retention.ms in the synonyms: none are listed.
  const Entry* retention = find(all, "retention.ms");
  ASSERT_TRUE(retention);
  EXPECT_EQ(retention->value, "604800000");
  EXPECT_EQ(retention->config_source, kDefault);
  EXPECT_TRUE(retention->synonyms.empty());

  // No broker config stands in for these.
  const Entry* throttled = find(all, "leader.replication.throttled.replicas");
  ASSERT_TRUE(throttled);
  EXPECT_EQ(throttled->value, "");
  EXPECT_EQ(throttled->config_source, kDefault);
  EXPECT_TRUE(throttled->synonyms.empty());
  // Gregor's durable default.
  EXPECT_EQ(find(all, "flush.messages")->value, "1");
}

TEST_F(ConfigsTest, TopicDefaultsFollowTheBrokersStaticAndDynamicSettings) {
  broker.reset();
  start({{"log.retention.ms", "86400000"}, {"message.max.bytes", "2000000"}, {"log.cleanup.policy", "delete,compact"}});
  create_topic("events");

  Entry retention = config_of(kTopic, "events", "retention.ms");
  EXPECT_EQ(retention.value, "86400000");
  EXPECT_EQ(retention.config_source, kStatic);
  EXPECT_EQ(retention.synonyms, (std::vector<Synonym>{synonym("log.retention.ms", "86400000", kStatic),
                                                      synonym("log.retention.hours", "168", kDefault)}));
  EXPECT_EQ(config_of(kTopic, "events", "max.message.bytes").value, "2000000");
  // A list keeps the broker's order.
  EXPECT_EQ(config_of(kTopic, "events", "cleanup.policy").value, "delete,compact");

  // The cluster-wide dynamic default, then this broker's own, win over the static setting.
  auto [error, message] = incremental_error(kBroker, "", {{"log.retention.ms", kSet, "3600000"}});
  ASSERT_EQ(error, 0) << message;
  retention = config_of(kTopic, "events", "retention.ms");
  EXPECT_EQ(retention.value, "3600000");
  EXPECT_EQ(retention.config_source, kDynamicDefault);
  EXPECT_EQ(retention.synonyms, (std::vector<Synonym>{synonym("log.retention.ms", "3600000", kDynamicDefault),
                                                      synonym("log.retention.ms", "86400000", kStatic),
                                                      synonym("log.retention.hours", "168", kDefault)}));
  std::tie(error, message) = incremental_error(kBroker, "1", {{"log.retention.ms", kSet, "60000"}});
  ASSERT_EQ(error, 0) << message;
  retention = config_of(kTopic, "events", "retention.ms");
  EXPECT_EQ(retention.value, "60000");
  EXPECT_EQ(retention.config_source, kDynamicBroker);
  ASSERT_FALSE(retention.synonyms.empty());
  EXPECT_EQ(retention.synonyms[0], synonym("log.retention.ms", "60000", kDynamicBroker));
  EXPECT_EQ(log_config("events").retention_ms, 60000);

  // The topic's own value wins over all of them.
  set_topic("events", "retention.ms", "1000");
  retention = config_of(kTopic, "events", "retention.ms");
  EXPECT_EQ(retention.value, "1000");
  EXPECT_EQ(retention.config_source, kTopicConfig);
  EXPECT_EQ(retention.synonyms, (std::vector<Synonym>{synonym("retention.ms", "1000", kTopicConfig),
                                                      synonym("log.retention.ms", "60000", kDynamicBroker),
                                                      synonym("log.retention.ms", "3600000", kDynamicDefault),
                                                      synonym("log.retention.ms", "86400000", kStatic),
                                                      synonym("log.retention.hours", "168", kDefault)}));
}

TEST_F(ConfigsTest, ConfigurationKeysSynonymsAndDocumentationAreOnlyWhatWasAskedFor) {
  create_topic("keys");
  DescribeResponse r = describe(kTopic, "keys", std::vector<std::string>{"retention.ms", "segment.bytes", "nope"},
                                4, false, false);
  ASSERT_EQ(r.results.size(), 1u);
  ASSERT_EQ(r.results[0].configs.size(), 2u);
  for (const Entry& e : r.results[0].configs) {
    EXPECT_TRUE(e.synonyms.empty());
    EXPECT_EQ(e.documentation, std::nullopt);
  }
  // Null keys: every config.
  EXPECT_EQ(configs_of(kTopic, "keys", std::nullopt).size(), storage::LogConfig::topic_config_keys().size());

  // v1 has sources and synonyms, but neither types nor documentation.
  r = describe(kTopic, "keys", std::vector<std::string>{"segment.bytes"}, 1, true, false);
  ASSERT_EQ(r.results.size(), 1u);
  ASSERT_EQ(r.results[0].configs.size(), 1u);
  const Entry& e = r.results[0].configs[0];
  EXPECT_EQ(e.value, "1073741824");
  EXPECT_EQ(e.config_source, kDefault);
  EXPECT_EQ(e.synonyms.size(), 1u);
  EXPECT_EQ(e.config_type, 0);
}

TEST_F(ConfigsTest, DescribeErrorsAreKafkas) {
  DescribeResponse r = describe(kTopic, "missing");
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].error_code, code(ErrorCode::unknown_topic_or_partition));
  EXPECT_TRUE(r.results[0].configs.empty());
  EXPECT_EQ(r.results[0].resource_name, "missing");
  EXPECT_EQ(r.results[0].resource_type, kTopic);

  r = describe(kTopic, "a/b");
  EXPECT_EQ(r.results[0].error_code, code(ErrorCode::invalid_topic_exception));

  r = describe(kBroker, "2");
  EXPECT_EQ(r.results[0].error_code, code(ErrorCode::invalid_request));
  EXPECT_EQ(r.results[0].error_message, "Unexpected broker id, expected 1 or empty string, but received 2");
  r = describe(kBroker, "one");
  EXPECT_EQ(r.results[0].error_message, "Broker id must be an integer, but it is: one");
  r = describe(kBrokerLogger, "");
  EXPECT_EQ(r.results[0].error_message, "Broker id must not be empty");
  r = describe(kBrokerLogger, "7");
  EXPECT_EQ(r.results[0].error_message, "Unexpected broker id, expected 1 but received 7");
  r = describe(kGroup, "g");
  EXPECT_EQ(r.results[0].error_code, code(ErrorCode::invalid_request));

  // A resource type Kafka does not know fails every resource of the request.
  create_topic("fine");
  protocol::DescribeConfigsRequest request;
  request.resources.push_back({kTopic, "fine", std::vector<std::string>{}, {}});
  request.resources.push_back({3, "what", std::vector<std::string>{}, {}});
  r = call<DescribeResponse>(request, 4);
  ASSERT_EQ(r.results.size(), 2u);
  for (const auto& result : r.results) {
    EXPECT_EQ(result.error_code, code(ErrorCode::invalid_request));
    EXPECT_TRUE(result.configs.empty());
  }
  EXPECT_EQ(r.results[1].resource_type, 3);
}

TEST_F(ConfigsTest, DescribesThisBrokerAndTheClusterDefaults) {
  broker.reset();
  start({{"num.io.threads", "4"}, {"sasl.jaas.config", "secret"}});
  std::vector<Entry> all = configs_of(kBroker, "1");
  const Entry* io = find(all, "num.io.threads");
  ASSERT_TRUE(io);
  EXPECT_EQ(io->value, "4");
  EXPECT_EQ(io->config_source, kStatic);
  EXPECT_FALSE(io->read_only);
  EXPECT_EQ(io->synonyms, (std::vector<Synonym>{synonym("num.io.threads", "4", kStatic),
                                                synonym("num.io.threads", "8", kDefault)}));
  const Entry* roles = find(all, "process.roles");
  ASSERT_TRUE(roles);
  EXPECT_TRUE(roles->read_only);
  EXPECT_EQ(roles->config_type, 7);
  const Entry* jaas = find(all, "sasl.jaas.config");
  ASSERT_TRUE(jaas);
  EXPECT_TRUE(jaas->is_sensitive);
  EXPECT_EQ(jaas->value, std::nullopt);

  // The cluster default lists only what is set there.
  EXPECT_TRUE(configs_of(kBroker, "").empty());
  auto [error, message] = incremental_error(kBroker, "", {{"num.io.threads", kSet, "16"}});
  ASSERT_EQ(error, 0) << message;
  std::vector<Entry> defaults = configs_of(kBroker, "");
  ASSERT_EQ(defaults.size(), 1u);
  EXPECT_EQ(defaults[0].name, "num.io.threads");
  EXPECT_EQ(defaults[0].value, "16");
  EXPECT_EQ(defaults[0].config_source, kDynamicDefault);
  EXPECT_EQ(defaults[0].synonyms, (std::vector<Synonym>{synonym("num.io.threads", "16", kDynamicDefault)}));

  // This broker sees it under its static value.
  Entry mine = config_of(kBroker, "1", "num.io.threads");
  EXPECT_EQ(mine.value, "16");
  EXPECT_EQ(mine.config_source, kDynamicDefault);
  EXPECT_EQ(mine.synonyms.size(), 3u);
}

TEST_F(ConfigsTest, DescribesAndSetsTheRootLogger) {
  const spdlog::level::level_enum before = spdlog::get_level();
  std::vector<Entry> loggers = configs_of(kBrokerLogger, "1");
  ASSERT_EQ(loggers.size(), 1u);
  EXPECT_EQ(loggers[0].name, "root");
  EXPECT_EQ(loggers[0].config_source, kLoggerConfig);
  EXPECT_FALSE(loggers[0].read_only);

  auto [error, message] = incremental_error(kBrokerLogger, "1", {{"root", kSet, "ERROR"}});
  ASSERT_EQ(error, 0) << message;
  EXPECT_EQ(config_of(kBrokerLogger, "1", "root").value, "ERROR");
  std::tie(error, message) = incremental_error(kBrokerLogger, "1", {{"root", kSet, "LOUD"}});
  EXPECT_EQ(error, code(ErrorCode::invalid_config));
  EXPECT_EQ(message,
            "Cannot set the log level of root to LOUD as it is not a supported log level. Valid log levels are DEBUG, "
            "ERROR, FATAL, INFO, OFF, TRACE, WARN");
  std::tie(error, message) = incremental_error(kBrokerLogger, "1", {{"kafka.server", kSet, "INFO"}});
  EXPECT_EQ(message, "Logger kafka.server does not exist!");
  std::tie(error, message) = incremental_error(kBrokerLogger, "1", {{"root", kDelete, std::nullopt}});
  EXPECT_EQ(error, code(ErrorCode::invalid_request));
  EXPECT_EQ(message, "Removing the log level of the root logger is not allowed");
  std::tie(error, message) = incremental_error(kBrokerLogger, "1", {{"root", kAppend, "INFO"}});
  EXPECT_EQ(message, "APPEND operation is not allowed for the BROKER_LOGGER resource");
  EXPECT_EQ(config_of(kBrokerLogger, "1", "root").value, "ERROR");
  // The legacy API knows no loggers.
  auto legacy = alter(kBrokerLogger, "1", {{"root", "INFO"}});
  EXPECT_EQ(legacy.responses[0].error_code, code(ErrorCode::invalid_request));
  EXPECT_EQ(legacy.responses[0].error_message, "Unknown resource type 8");
  spdlog::set_level(before);
}

TEST_F(ConfigsTest, ABrokerStartedWithoutAConfigurationDescribesItsStaticProperties) {
  client.reset();
  broker.reset();
  start_by_hand();
  Entry segment = config_of(kBroker, "1", "log.segment.bytes");
  EXPECT_EQ(segment.value, "2097152");
  EXPECT_EQ(segment.config_source, kStatic);
  create_topic("by-hand");
  EXPECT_EQ(config_of(kTopic, "by-hand", "segment.bytes").value, "2097152");
}

// ---- IncrementalAlterConfigs -------------------------------------------------------------------

TEST_F(ConfigsTest, IncrementalChangesSetDeleteAppendAndSubtract) {
  create_topic("changes");
  set_topic("changes", "retention.ms", "1000");
  Entry e = config_of(kTopic, "changes", "retention.ms");
  EXPECT_EQ(e.value, "1000");
  EXPECT_EQ(e.config_source, kTopicConfig);

  auto [error, message] = incremental_error(kTopic, "changes", {{"retention.ms", kDelete, std::nullopt}});
  ASSERT_EQ(error, 0) << message;
  e = config_of(kTopic, "changes", "retention.ms");
  EXPECT_EQ(e.value, "604800000");
  EXPECT_EQ(e.config_source, kDefault);

  // APPEND starts from the default when the topic does not set the list.
  std::tie(error, message) = incremental_error(kTopic, "changes", {{"cleanup.policy", kAppend, "compact"}});
  ASSERT_EQ(error, 0) << message;
  EXPECT_EQ(config_of(kTopic, "changes", "cleanup.policy").value, "delete,compact");
  std::tie(error, message) = incremental_error(kTopic, "changes", {{"cleanup.policy", kSubtract, "delete"}});
  ASSERT_EQ(error, 0) << message;
  EXPECT_EQ(config_of(kTopic, "changes", "cleanup.policy").value, "compact");
  EXPECT_TRUE(log_config("changes").compact());
  EXPECT_FALSE(log_config("changes").delete_enabled());

  // Several changes at once, to several resources.
  protocol::IncrementalAlterConfigsRequest request;
  create_topic("other");
  for (const char* topic : {"changes", "other"}) {
    auto& r = request.resources.emplace_back();
    r.resource_type = kTopic;
    r.resource_name = topic;
    r.configs.push_back({"segment.ms", kSet, "7200000", {}});
    r.configs.push_back({"max.message.bytes", kSet, "5000", {}});
  }
  auto response = call<protocol::IncrementalAlterConfigsResponse>(request, 0);
  ASSERT_EQ(response.responses.size(), 2u);
  for (const auto& r : response.responses) EXPECT_EQ(r.error_code, 0) << r.error_message.value_or("");
  EXPECT_EQ(config_of(kTopic, "other", "segment.ms").value, "7200000");
  EXPECT_EQ(log_config("other").max_message_bytes, 5000);
  EXPECT_EQ(log_config("changes").segment_ms, 7200000);
}

TEST_F(ConfigsTest, IncrementalChangeErrors) {
  create_topic("bad");
  struct Case {
    int8_t type;
    std::string name;
    std::vector<Change> changes;
    ErrorCode error;
    std::optional<std::string> message;  // nullopt: not checked
  };
  const Case cases[] = {
      {kTopic, "bad", {{"retention.ms", kSet, "abc"}}, ErrorCode::invalid_config,
       "Invalid value abc for configuration retention.ms: Not a number of type LONG"},
      {kTopic, "bad", {{"no.such.config", kSet, "1"}}, ErrorCode::invalid_config, std::nullopt},
      {kTopic, "bad", {{"retention.ms", kAppend, "5"}}, ErrorCode::invalid_config,
       "Can't APPEND to key retention.ms because its type is not LIST."},
      {kTopic, "bad", {{"cleanup.policy", kAppend, "forever"}}, ErrorCode::invalid_config, std::nullopt},
      {kTopic, "bad", {{"retention.ms", 9, "5"}}, ErrorCode::invalid_request, std::nullopt},
      {kTopic, "bad", {{"retention.ms", kSet, std::nullopt}}, ErrorCode::invalid_request,
       "Null value not supported for : retention.ms"},
      {kTopic, "bad", {{"retention.ms", kSet, "1"}, {"retention.ms", kSet, "2"}}, ErrorCode::invalid_request,
       "Error due to duplicate config keys"},
      {kTopic, "ghost", {{"retention.ms", kSet, "1"}}, ErrorCode::unknown_topic_or_partition, std::nullopt},
      // Broker configs, checked by the broker before the controller sees them.
      {kBroker, "1", {{"num.partitions", kSet, "3"}}, ErrorCode::invalid_request,
       "Cannot update these configs dynamically: [num.partitions]"},
      {kBroker, "2", {{"num.io.threads", kSet, "3"}}, ErrorCode::invalid_request,
       "Unexpected broker id, expected 1, but received 2"},
      {kBroker, "", {{"num.io.threads", kAppend, "3"}}, ErrorCode::invalid_config,
       "Config value append is not allowed for config key: num.io.threads"},
      {kBroker, "", {{"log.retention.ms", kSet, "-5x"}}, ErrorCode::invalid_request, std::nullopt},
  };
  for (const Case& c : cases) {
    auto [error, message] = incremental_error(c.type, c.name, c.changes);
    EXPECT_EQ(error, code(c.error)) << c.changes[0].name << ": " << message;
    if (c.message) {
      EXPECT_EQ(message, *c.message);
    }
  }
  EXPECT_EQ(config_of(kTopic, "bad", "retention.ms").config_source, kDefault);

  auto [error, message] = incremental_error(kBroker, "", {{"log.cleanup.policy", kAppend, "compact"}});
  EXPECT_EQ(error, 0) << message;
  EXPECT_EQ(config_of(kBroker, "", "log.cleanup.policy").value, "delete,compact");

  // A resource named twice fails both times; the others go through.
  protocol::IncrementalAlterConfigsRequest request;
  for (const char* topic : {"bad", "bad"}) {
    auto& r = request.resources.emplace_back();
    r.resource_type = kTopic;
    r.resource_name = topic;
    r.configs.push_back({"retention.ms", kSet, "5", {}});
  }
  auto& fine = request.resources.emplace_back();
  fine.resource_type = kBroker;
  fine.resource_name = "1";
  fine.configs.push_back({"num.io.threads", kSet, "9", {}});
  auto response = call<protocol::IncrementalAlterConfigsResponse>(request, 1);
  ASSERT_EQ(response.responses.size(), 3u);
  EXPECT_EQ(response.responses[0].error_message, "Each resource must appear at most once.");
  EXPECT_EQ(response.responses[1].error_message, "Each resource must appear at most once.");
  EXPECT_EQ(response.responses[2].error_code, 0);
  EXPECT_EQ(response.responses[2].resource_name, "1");
  EXPECT_EQ(config_of(kBroker, "1", "num.io.threads").value, "9");
  EXPECT_EQ(config_of(kTopic, "bad", "retention.ms").value, "604800000");
}

TEST_F(ConfigsTest, ValidateOnlyChangesNothing) {
  create_topic("dry");
  auto r = incremental(kTopic, "dry", {{"retention.ms", kSet, "1000"}}, true);
  ASSERT_EQ(r.responses.size(), 1u);
  EXPECT_EQ(r.responses[0].error_code, 0);
  EXPECT_EQ(config_of(kTopic, "dry", "retention.ms").config_source, kDefault);
  // Still checked.
  r = incremental(kTopic, "dry", {{"retention.ms", kSet, "-7"}}, true);
  EXPECT_EQ(r.responses[0].error_code, code(ErrorCode::invalid_config));

  auto legacy = alter(kTopic, "dry", {{"retention.ms", "1000"}}, true);
  EXPECT_EQ(legacy.responses[0].error_code, 0);
  EXPECT_EQ(config_of(kTopic, "dry", "retention.ms").config_source, kDefault);

  const spdlog::level::level_enum before = spdlog::get_level();
  r = incremental(kBrokerLogger, "1", {{"root", kSet, before == spdlog::level::trace ? "DEBUG" : "TRACE"}}, true);
  EXPECT_EQ(r.responses[0].error_code, 0);
  EXPECT_EQ(spdlog::get_level(), before);
}

// ---- AlterConfigs ------------------------------------------------------------------------------

TEST_F(ConfigsTest, LegacyAlterReplacesTheWholeSet) {
  create_topic("legacy", 1, {{"retention.ms", "1000"}});
  for (int16_t version = 0; version <= 2; ++version) {
    auto r = alter(kTopic, "legacy", {{"max.message.bytes", std::to_string(3000 + version)}}, false, version);
    ASSERT_EQ(r.responses.size(), 1u);
    EXPECT_EQ(r.responses[0].error_code, 0) << r.responses[0].error_message.value_or("");
    EXPECT_EQ(r.responses[0].resource_name, "legacy");
  }
  EXPECT_EQ(config_of(kTopic, "legacy", "max.message.bytes").value, "3002");
  // What the request left out is gone.
  EXPECT_EQ(config_of(kTopic, "legacy", "retention.ms").config_source, kDefault);

  auto r = alter(kTopic, "legacy", {{"segment.bytes", "12"}});
  EXPECT_EQ(r.responses[0].error_code, code(ErrorCode::invalid_config));
  EXPECT_EQ(r.responses[0].error_message,
            "Invalid value 12 for configuration segment.bytes: Value must be at least 1048576");
  r = alter(kTopic, "nowhere", {{"retention.ms", "1"}});
  EXPECT_EQ(r.responses[0].error_code, code(ErrorCode::unknown_topic_or_partition));
  r = alter(kBroker, "1", {{"log.dirs", "/tmp/x"}});
  EXPECT_EQ(r.responses[0].error_code, code(ErrorCode::invalid_request));
  EXPECT_EQ(r.responses[0].error_message, "Cannot update these configs dynamically: [log.dirs]");
  r = alter(kBroker, "", {{"message.max.bytes", "4000"}});
  EXPECT_EQ(r.responses[0].error_code, 0) << r.responses[0].error_message.value_or("");
  EXPECT_EQ(config_of(kBroker, "", "message.max.bytes").value, "4000");
}

// ---- Changes reach the running logs --------------------------------------------------------------

TEST_F(ConfigsTest, ChangedConfigsReachTheRunningLogs) {
  create_topic("live");
  EXPECT_EQ(produce("live", 10'000), 0);
  // A smaller max.message.bytes refuses the same batch.
  set_topic("live", "max.message.bytes", "2000");
  EXPECT_EQ(log_config("live").max_message_bytes, 2000);
  EXPECT_EQ(produce("live", 10'000), code(ErrorCode::message_too_large));
  EXPECT_EQ(produce("live", 100), 0);

  // A compacted topic refuses records without keys.
  EXPECT_EQ(produce("live", 100, false), 0);
  set_topic("live", "cleanup.policy", "compact");
  EXPECT_EQ(produce("live", 100, false), code(ErrorCode::invalid_record));
  set_topic("live", "retention.ms", "12345");
  EXPECT_EQ(log_config("live").retention_ms, 12345);

  // The broker's dynamic defaults reach the topics that do not set their own.
  create_topic("plain");
  EXPECT_EQ(produce("plain", 10'000), 0);
  auto [error, message] = incremental_error(kBroker, "", {{"message.max.bytes", kSet, "3000"}});
  ASSERT_EQ(error, 0) << message;
  EXPECT_EQ(log_config("plain").max_message_bytes, 3000);
  EXPECT_EQ(produce("plain", 10'000), code(ErrorCode::message_too_large));
  // Not the ones that do.
  EXPECT_EQ(log_config("live").max_message_bytes, 2000);
  std::tie(error, message) = incremental_error(kBroker, "", {{"message.max.bytes", kDelete, std::nullopt}});
  ASSERT_EQ(error, 0) << message;
  EXPECT_EQ(log_config("plain").max_message_bytes, 1048588);
  EXPECT_EQ(produce("plain", 10'000), 0);
}

TEST_F(ConfigsTest, DynamicConfigsSurviveARestart) {
  create_topic("kept");
  set_topic("kept", "retention.ms", "4242");
  auto [error, message] = incremental_error(kBroker, "", {{"log.segment.bytes", kSet, "2097152"}});
  ASSERT_EQ(error, 0) << message;
  client.reset();
  broker->stop();
  ASSERT_TRUE(broker->wait().ok());
  broker.reset();
  start({});
  EXPECT_EQ(config_of(kTopic, "kept", "retention.ms").value, "4242");
  Entry segment = config_of(kTopic, "kept", "segment.bytes");
  EXPECT_EQ(segment.value, "2097152");
  EXPECT_EQ(segment.config_source, kDynamicDefault);
  EXPECT_EQ(log_config("kept").retention_ms, 4242);
  EXPECT_EQ(log_config("kept").segment_bytes, 2097152);
}

}  // namespace
}  // namespace gregor::broker
