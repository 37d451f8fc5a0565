// The configuration keys of each client, with Kafka 4.0's names, types, defaults and ranges
// (CommonClientConfigs, ProducerConfig and ConsumerConfig). Keys Kafka has but Gregor's client does not act on
// (metrics, interceptors, compression levels) are accepted so existing property files load;
// docs/client.md lists them.
#include <limits>

#include "gregor/admin.h"
#include "gregor/config.h"

namespace gregor {

namespace {

constexpr double kIntMax = std::numeric_limits<int32_t>::max();

ConfigKey key(std::string name, ConfigType type, std::optional<std::string> default_value,
              std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt) {
  ConfigKey k;
  k.name = std::move(name);
  k.type = type;
  k.default_value = std::move(default_value);
  k.min = min;
  k.max = max;
  return k;
}

ConfigKey one_of(std::string name, std::string default_value, std::vector<std::string> values,
                 bool case_insensitive = false) {
  ConfigKey k = key(std::move(name), ConfigType::string, std::move(default_value));
  k.one_of = std::move(values);
  k.case_insensitive = case_insensitive;
  return k;
}

}  // namespace

ConfigDef common_client_config_def() {
  using T = ConfigType;
  ConfigDef def;
  ConfigKey bootstrap = key("bootstrap.servers", T::list, std::nullopt);
  bootstrap.has_default = false;
  bootstrap.list_non_empty = true;
  def.define(bootstrap)
      .define(one_of("client.dns.lookup", "use_all_dns_ips", {"use_all_dns_ips", "resolve_canonical_bootstrap_servers_only"}))
      .define(key("client.id", T::string, ""))
      .define(key("client.rack", T::string, ""))
      .define(key("connections.max.idle.ms", T::int64, "540000"))
      .define(key("metadata.max.age.ms", T::int64, "300000", 0))
      .define(one_of("metadata.recovery.strategy", "rebootstrap", {"none", "rebootstrap"}, true))
      .define(key("metadata.recovery.rebootstrap.trigger.ms", T::int64, "300000", 0))
      .define(key("send.buffer.bytes", T::int32, "131072", -1))
      .define(key("receive.buffer.bytes", T::int32, "32768", -1))
      .define(key("reconnect.backoff.ms", T::int64, "50", 0))
      .define(key("reconnect.backoff.max.ms", T::int64, "1000", 0))
      .define(key("retry.backoff.ms", T::int64, "100", 0))
      .define(key("retry.backoff.max.ms", T::int64, "1000", 0))
      .define(key("request.timeout.ms", T::int32, "30000", 0))
      .define(key("socket.connection.setup.timeout.ms", T::int64, "10000", 0))
      .define(key("socket.connection.setup.timeout.max.ms", T::int64, "30000", 0))
      .define(one_of("security.protocol", "PLAINTEXT", {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}, true))
      .define(key("metrics.sample.window.ms", T::int64, "30000", 0))
      .define(key("metrics.num.samples", T::int32, "2", 1))
      .define(one_of("metrics.recording.level", "INFO", {"INFO", "DEBUG", "TRACE"}))
      .define(key("metric.reporters", T::list, ""))
      .define(key("enable.metrics.push", T::boolean, "true"))
      .define(key("interceptor.classes", T::list, ""));
  return def;
}

const ConfigDef& producer_config_def() {
  static const ConfigDef def = [] {
    using T = ConfigType;
    ConfigDef d = common_client_config_def();
    d.define(key("buffer.memory", T::int64, "33554432", 0))
        .define(key("retries", T::int32, std::to_string(std::numeric_limits<int32_t>::max()), 0, kIntMax))
        .define(one_of("acks", "all", {"all", "-1", "0", "1"}, true))
        .define(one_of("compression.type", "none", {"none", "gzip", "snappy", "lz4", "zstd"}))
        .define(key("compression.gzip.level", T::int32, "-1", -1, 9))
        .define(key("compression.lz4.level", T::int32, "9", 1, 17))
        .define(key("compression.zstd.level", T::int32, "3", -131072, 22))
        .define(key("batch.size", T::int32, "16384", 0))
        .define(key("partitioner.adaptive.partitioning.enable", T::boolean, "true"))
        .define(key("partitioner.availability.timeout.ms", T::int64, "0", 0))
        .define(key("partitioner.ignore.keys", T::boolean, "false"))
        .define(key("partitioner.class", T::class_name, std::nullopt))
        .define(key("linger.ms", T::int64, "5", 0))
        .define(key("delivery.timeout.ms", T::int32, "120000", 0))
        .define(key("max.request.size", T::int32, "1048576", 0))
        .define(key("max.block.ms", T::int64, "60000", 0))
        .define(key("metadata.max.idle.ms", T::int64, "300000", 5000))
        .define(key("max.in.flight.requests.per.connection", T::int32, "5", 1))
        .define(key("key.serializer", T::class_name, std::nullopt))
        .define(key("value.serializer", T::class_name, std::nullopt))
        .define(key("enable.idempotence", T::boolean, "true"))
        .define(key("transaction.timeout.ms", T::int32, "60000"))
        .define(key("transactional.id", T::string, std::nullopt));
    return d;
  }();
  return def;
}

const ConfigDef& consumer_config_def() {
  static const ConfigDef def = [] {
    using T = ConfigType;
    ConfigDef d = common_client_config_def();
    ConfigKey strategy = key("partition.assignment.strategy", T::list,
                             "org.apache.kafka.clients.consumer.RangeAssignor,"
                             "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    d.define(key("group.id", T::string, std::nullopt))
        .define(key("group.instance.id", T::string, std::nullopt))
        .define(one_of("group.protocol", "classic", {"classic", "consumer"}, true))
        .define(key("group.remote.assignor", T::string, std::nullopt))
        .define(key("max.poll.records", T::int32, "500", 1))
        .define(key("max.poll.interval.ms", T::int32, "300000", 1))
        .define(key("session.timeout.ms", T::int32, "45000"))
        .define(key("heartbeat.interval.ms", T::int32, "3000"))
        .define(strategy)
        .define(key("enable.auto.commit", T::boolean, "true"))
        .define(key("auto.commit.interval.ms", T::int32, "5000", 0))
        .define(key("fetch.min.bytes", T::int32, "1", 0))
        .define(key("fetch.max.bytes", T::int32, "52428800", 0))
        .define(key("fetch.max.wait.ms", T::int32, "500", 0))
        .define(key("max.partition.fetch.bytes", T::int32, "1048576", 0))
        .define(one_of("auto.offset.reset", "latest", {"latest", "earliest", "none"}, true))
        .define(key("check.crcs", T::boolean, "true"))
        .define(key("key.deserializer", T::class_name, std::nullopt))
        .define(key("value.deserializer", T::class_name, std::nullopt))
        .define(key("default.api.timeout.ms", T::int32, "60000", 0))
        .define(key("exclude.internal.topics", T::boolean, "true"))
        .define(one_of("isolation.level", "read_uncommitted", {"read_committed", "read_uncommitted"}))
        .define(key("allow.auto.create.topics", T::boolean, "true"))
        .define(key("security.providers", T::string, std::nullopt));
    return d;
  }();
  return def;
}

// AdminClientConfig's own keys (Kafka 4.0); the admin client's request.timeout.ms and
// retry.backoff keys keep the common defaults.
const ConfigDef& admin_config_def() {
  static const ConfigDef def = [] {
    using T = ConfigType;
    ConfigDef d = common_client_config_def();
    d.define(key("default.api.timeout.ms", T::int32, "60000", 0))
        .define(key("retries", T::int32, std::to_string(std::numeric_limits<int32_t>::max()), 0, kIntMax));
    return d;
  }();
  return def;
}

}  // namespace gregor
