#include "config/broker_config_keys.h"

#include <algorithm>
#include <array>
#include <string>

namespace gregor::config {
namespace {

using storage::at_least;
using storage::between;
using storage::ConfigValidator;
using storage::list_of;
using storage::one_of;

constexpr ConfigType kBool = ConfigType::boolean;
constexpr ConfigType kString = ConfigType::string;
constexpr ConfigType kInt = ConfigType::int32;
constexpr ConfigType kShort = ConfigType::int16;
constexpr ConfigType kLong = ConfigType::int64;
constexpr ConfigType kDouble = ConfigType::float64;
constexpr ConfigType kList = ConfigType::list;
constexpr ConfigType kClass = ConfigType::class_name;
constexpr ConfigType kPassword = ConfigType::password;

constexpr ConfigImportance kHigh = ConfigImportance::high;
constexpr ConfigImportance kMedium = ConfigImportance::medium;
constexpr ConfigImportance kLow = ConfigImportance::low;

constexpr DynamicUpdateMode kReadOnly = DynamicUpdateMode::read_only;
constexpr DynamicUpdateMode kPerBroker = DynamicUpdateMode::per_broker;
constexpr DynamicUpdateMode kClusterWide = DynamicUpdateMode::cluster_wide;

constexpr std::optional<std::string_view> kNull = std::nullopt;
constexpr std::string_view kIntMax = "2147483647";
constexpr std::string_view kLongMax = "9223372036854775807";

constexpr std::string_view kProcessRoles[] = {"broker", "controller"};
// SecurityProtocol values, in Kafka's order.
constexpr std::string_view kSecurityProtocols[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"};

// A key Gregor reads, with Kafka's definition.
constexpr BrokerConfigKey modelled(std::string_view name, ConfigType type, std::optional<std::string_view> def,
                                   ConfigValidator validator, ConfigImportance importance, DynamicUpdateMode mode,
                                   std::string_view doc) {
  return {name, type, def, false, importance, mode, validator, doc, KeyKind::modelled};
}

// A key without a default: loading fails when it is missing.
constexpr BrokerConfigKey required(std::string_view name, ConfigType type, ConfigValidator validator,
                                   ConfigImportance importance, std::string_view doc) {
  return {name, type, kNull, true, importance, kReadOnly, validator, doc, KeyKind::modelled};
}

// A broker-level log setting; LogConfig::from_broker_properties validates it.
constexpr BrokerConfigKey log_key(std::string_view name, ConfigType type, std::optional<std::string_view> def,
                                  ConfigImportance importance, DynamicUpdateMode mode, std::string_view doc) {
  return {name, type, def, false, importance, mode, {}, doc, KeyKind::log};
}

// A key Kafka knows and Gregor accepts without acting on it.
constexpr BrokerConfigKey accepted(std::string_view name, ConfigType type, DynamicUpdateMode mode = kReadOnly) {
  return {name, type, kNull, false, kLow, mode, {}, "", KeyKind::accepted};
}

// Kafka 4.x's definitions. The log keys are the broker-level names of the topic configs (their
// topic-level default follows them) plus the hour and minute forms LogConfig also reads.
constexpr BrokerConfigKey kKeys[] = {
    // ---- KRaft roles and quorum ----
    required("process.roles", kList, list_of(kProcessRoles), kHigh,
             "The roles of this node: broker, controller, or both (combined mode)."),
    required("node.id", kInt, at_least(0), kHigh, "This node's id in the cluster; broker.id is another name for it."),
    modelled("broker.id", kInt, "-1", {}, kHigh, kReadOnly,
             "The old name of node.id; when set, it must equal node.id."),
    modelled("controller.listener.names", kString, kNull, {}, kHigh, kReadOnly,
             "Comma-separated names of the listeners the controllers use; brokers reach the quorum through the "
             "first."),
    modelled("controller.quorum.voters", kList, "", {}, kHigh, kReadOnly,
             "The static controller quorum as id@host:port entries, e.g. 1@localhost:9093."),
    modelled("controller.quorum.bootstrap.servers", kList, "", {}, kHigh, kReadOnly,
             "host:port entries for finding the controller quorum when it is not given statically."),
    modelled("controller.quorum.election.timeout.ms", kInt, "1000", {}, kHigh, kReadOnly,
             "How long a voter waits without hearing from a leader before it starts an election."),
    modelled("controller.quorum.fetch.timeout.ms", kInt, "2000", {}, kHigh, kReadOnly,
             "How long without a successful fetch before a voter stands for election, or a leader without fetches "
             "from a majority resigns."),
    modelled("controller.quorum.election.backoff.max.ms", kInt, "1000", {}, kHigh, kReadOnly,
             "The longest random wait before starting another election."),
    modelled("controller.quorum.append.linger.ms", kInt, "25", {}, kMedium, kReadOnly,
             "How long the quorum leader lets writes gather before flushing them."),
    modelled("controller.quorum.request.timeout.ms", kInt, "2000", {}, kMedium, kReadOnly,
             "How long a quorum request may take before it is retried."),
    modelled("controller.quorum.retry.backoff.ms", kInt, "20", {}, kLow, kReadOnly,
             "The wait before retrying a failed quorum request."),
    modelled("broker.session.timeout.ms", kInt, "9000", {}, kMedium, kReadOnly,
             "How long a broker stays registered without heartbeats."),
    modelled("broker.heartbeat.interval.ms", kInt, "2000", {}, kMedium, kReadOnly,
             "How often a broker heartbeats to the controller."),
    modelled("initial.broker.registration.timeout.ms", kInt, "60000", {}, kMedium, kReadOnly,
             "How long a starting broker tries to register before giving up."),
    modelled("metadata.log.dir", kString, kNull, {}, kHigh, kReadOnly,
             "Where the cluster metadata log lives; the first log directory when unset."),
    modelled("broker.rack", kString, kNull, {}, kMedium, kReadOnly,
             "The rack of this broker, for spreading replicas across racks."),

    // ---- Listeners and sockets ----
    modelled("listeners", kString, "PLAINTEXT://:9092", {}, kHigh, kPerBroker,
             "Comma-separated NAME://host:port addresses to listen on; an empty host means every interface."),
    modelled("advertised.listeners", kString, kNull, {}, kHigh, kReadOnly,
             "The addresses given to clients and other brokers; the listeners when unset."),
    modelled("listener.security.protocol.map", kString,
             "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT", {}, kLow, kPerBroker,
             "NAME:PROTOCOL pairs giving each listener its security protocol."),
    modelled("inter.broker.listener.name", kString, kNull, {}, kMedium, kReadOnly,
             "The listener brokers use to talk to each other; set at most one of this and "
             "security.inter.broker.protocol."),
    modelled("security.inter.broker.protocol", kString, "PLAINTEXT", one_of(kSecurityProtocols), kMedium, kReadOnly,
             "The security protocol between brokers when inter.broker.listener.name is unset."),
    modelled("socket.send.buffer.bytes", kInt, "102400", {}, kHigh, kReadOnly,
             "SO_SNDBUF of the server's sockets; -1 for the OS default."),
    modelled("socket.receive.buffer.bytes", kInt, "102400", {}, kHigh, kReadOnly,
             "SO_RCVBUF of the server's sockets; -1 for the OS default."),
    modelled("socket.request.max.bytes", kInt, "104857600", at_least(1), kHigh, kReadOnly,
             "The largest request the server accepts."),
    modelled("socket.listen.backlog.size", kInt, "50", at_least(1), kMedium, kReadOnly,
             "Pending connections a listening socket may queue."),
    modelled("queued.max.requests", kInt, "500", at_least(1), kHigh, kReadOnly,
             "Requests that may wait for a request handler before the network threads stop reading."),
    modelled("queued.max.request.bytes", kLong, "-1", {}, kMedium, kReadOnly,
             "Bytes of queued requests allowed before reading stops; -1 for no limit."),
    modelled("connections.max.idle.ms", kLong, "600000", {}, kMedium, kReadOnly,
             "Idle connections are closed after this long."),
    modelled("connection.failed.authentication.delay.ms", kInt, "100", at_least(0), kLow, kReadOnly,
             "How long closing a connection is delayed after failed authentication."),
    modelled("max.connections", kInt, kIntMax, at_least(0), kMedium, kClusterWide,
             "The most connections the broker accepts at once."),
    modelled("max.connections.per.ip", kInt, kIntMax, at_least(0), kMedium, kClusterWide,
             "The most connections accepted from one address."),
    modelled("max.connections.per.ip.overrides", kString, "", {}, kMedium, kClusterWide,
             "host:count pairs overriding max.connections.per.ip."),
    modelled("max.connection.creation.rate", kInt, kIntMax, at_least(0), kMedium, kClusterWide,
             "The most new connections accepted per second."),
    modelled("num.network.threads", kInt, "3", at_least(1), kHigh, kClusterWide,
             "Threads per listener that read requests and write responses."),

    // ---- Server ----
    modelled("num.io.threads", kInt, "8", at_least(1), kHigh, kClusterWide,
             "Threads that handle requests, disk I/O included."),
    modelled("background.threads", kInt, "10", at_least(1), kHigh, kClusterWide,
             "Threads for background work such as deleting files."),
    modelled("request.timeout.ms", kInt, "30000", {}, kHigh, kReadOnly,
             "How long the broker waits for a response to a request it sends."),
    modelled("delete.topic.enable", kBool, "true", {}, kHigh, kReadOnly,
             "Whether topics can be deleted; DeleteTopics fails when false."),
    modelled("auto.create.topics.enable", kBool, "true", {}, kHigh, kReadOnly,
             "Whether metadata requests for a missing topic create it."),
    modelled("num.partitions", kInt, "1", at_least(1), kMedium, kReadOnly,
             "Partitions of a topic created without a partition count."),
    modelled("default.replication.factor", kInt, "1", {}, kMedium, kReadOnly,
             "Replication factor of a topic created without one."),
    modelled("num.recovery.threads.per.data.dir", kInt, "2", at_least(1), kHigh, kClusterWide,
             "Threads per log directory that recover logs at startup and flush them at shutdown."),
    modelled("fetch.max.bytes", kInt, "57671680", at_least(1024), kMedium, kReadOnly,
             "The most bytes a fetch response returns."),
    modelled("max.incremental.fetch.session.cache.slots", kInt, "1000", at_least(0), kMedium, kReadOnly,
             "The most incremental fetch sessions kept."),

    // ---- Log directories and periodic log work ----
    modelled("log.dir", kString, "/tmp/kafka-logs", {}, kHigh, kReadOnly, "The log directory when log.dirs is unset."),
    modelled("log.dirs", kString, kNull, {}, kHigh, kReadOnly,
             "Comma-separated directories that hold the partition logs; log.dir when unset."),
    modelled("log.retention.check.interval.ms", kLong, "300000", at_least(1), kMedium, kReadOnly,
             "How often logs are checked for segments to delete."),
    modelled("log.flush.scheduler.interval.ms", kLong, kLongMax, {}, kHigh, kReadOnly,
             "How often logs are checked for a due time-based flush; also the flush interval when "
             "log.flush.interval.ms is unset."),
    modelled("log.flush.offset.checkpoint.interval.ms", kInt, "60000", at_least(0), kHigh, kReadOnly,
             "How often the recovery points are checkpointed."),
    modelled("log.flush.start.offset.checkpoint.interval.ms", kInt, "60000", at_least(0), kHigh, kReadOnly,
             "How often the log start offsets are checkpointed."),
    modelled("log.dir.failure.timeout.ms", kLong, "30000", at_least(1), kLow, kReadOnly,
             "How long the broker may fail to report a failed log directory before it shuts down."),

    // ---- Log cleaner ----
    modelled("log.cleaner.enable", kBool, "true", {}, kMedium, kReadOnly, "Whether compacted topics are cleaned."),
    modelled("log.cleaner.threads", kInt, "1", at_least(0), kMedium, kClusterWide, "Threads that compact logs."),
    modelled("log.cleaner.backoff.ms", kLong, "15000", at_least(0), kMedium, kClusterWide,
             "How long a cleaner thread sleeps when no log needs cleaning."),
    modelled("log.cleaner.dedupe.buffer.size", kLong, "134217728", {}, kMedium, kClusterWide,
             "Memory for the cleaners' offset maps, shared by all cleaner threads."),
    modelled("log.cleaner.io.max.bytes.per.second", kDouble, "1.7976931348623157E308", {}, kMedium, kClusterWide,
             "Throttle on the cleaners' combined reads and writes."),
    modelled("log.cleaner.io.buffer.size", kInt, "524288", at_least(0), kMedium, kClusterWide,
             "Read and write buffer memory of the cleaners, shared by all cleaner threads."),
    modelled("log.cleaner.io.buffer.load.factor", kDouble, "0.9", {}, kMedium, kClusterWide,
             "How full the offset map may get."),

    // ---- Replication ----
    modelled("replica.lag.time.max.ms", kLong, "30000", {}, kHigh, kReadOnly,
             "A follower that has not caught up within this long leaves the ISR."),
    modelled("replica.fetch.max.bytes", kInt, "1048576", at_least(0), kMedium, kReadOnly,
             "Bytes a follower asks for per partition (a larger first batch still comes back)."),
    modelled("replica.fetch.response.max.bytes", kInt, "10485760", at_least(0), kMedium, kReadOnly,
             "Bytes a follower asks for per fetch."),
    modelled("replica.fetch.wait.max.ms", kInt, "500", {}, kHigh, kReadOnly,
             "How long a follower's fetch may wait for data."),
    modelled("replica.fetch.min.bytes", kInt, "1", {}, kHigh, kReadOnly, "Bytes a follower's fetch waits for."),
    modelled("replica.fetch.backoff.ms", kInt, "1000", at_least(0), kMedium, kReadOnly,
             "The wait after a failed follower fetch."),
    modelled("replica.socket.timeout.ms", kInt, "30000", {}, kHigh, kReadOnly,
             "Socket timeout of follower fetches; at least replica.fetch.wait.max.ms."),
    modelled("replica.socket.receive.buffer.bytes", kInt, "65536", {}, kHigh, kReadOnly,
             "SO_RCVBUF of follower fetch connections."),
    modelled("replica.high.watermark.checkpoint.interval.ms", kLong, "5000", {}, kHigh, kReadOnly,
             "How often high watermarks are checkpointed."),
    modelled("num.replica.fetchers", kInt, "1", {}, kHigh, kClusterWide, "Fetcher threads per source broker."),
    modelled("auto.leader.rebalance.enable", kBool, "true", {}, kHigh, kReadOnly,
             "Whether leadership moves back to preferred replicas periodically."),
    modelled("leader.imbalance.per.broker.percentage", kInt, "10", {}, kHigh, kReadOnly,
             "The share of non-preferred leaders per broker that triggers a rebalance."),
    modelled("leader.imbalance.check.interval.seconds", kLong, "300", at_least(1), kHigh, kReadOnly,
             "How often leader balance is checked."),
    modelled("controller.socket.timeout.ms", kInt, "30000", {}, kMedium, kReadOnly,
             "Socket timeout of controller-to-broker connections."),

    // ---- Group coordinator and offsets ----
    modelled("offsets.topic.num.partitions", kInt, "50", at_least(1), kHigh, kReadOnly,
             "Partitions of __consumer_offsets; do not change after it exists."),
    modelled("offsets.topic.replication.factor", kShort, "3", at_least(1), kHigh, kReadOnly,
             "Replication factor of __consumer_offsets; creating it waits for this many brokers."),
    modelled("offsets.topic.segment.bytes", kInt, "104857600", at_least(1), kHigh, kReadOnly,
             "Segment size of __consumer_offsets, small for quick compaction and loading."),
    modelled("offsets.topic.compression.codec", kInt, "0", {}, kHigh, kReadOnly,
             "Compression of __consumer_offsets writes (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd)."),
    modelled("offsets.retention.minutes", kInt, "10080", at_least(1), kHigh, kReadOnly,
             "How long committed offsets of an empty group, or of a topic no longer subscribed to, are kept."),
    modelled("offsets.retention.check.interval.ms", kLong, "600000", at_least(1), kHigh, kReadOnly,
             "How often expired offsets are removed."),
    modelled("offsets.commit.timeout.ms", kInt, "5000", at_least(1), kHigh, kReadOnly,
             "How long an offset commit waits for the offsets topic's replicas."),
    modelled("offsets.load.buffer.size", kInt, "5242880", at_least(1), kHigh, kReadOnly,
             "Read batch size when loading groups from __consumer_offsets."),
    modelled("offset.metadata.max.bytes", kInt, "4096", {}, kHigh, kReadOnly,
             "The largest metadata string an offset commit may carry."),
    modelled("group.initial.rebalance.delay.ms", kInt, "3000", {}, kMedium, kReadOnly,
             "How long a new classic group waits for more members before its first rebalance."),
    modelled("group.min.session.timeout.ms", kInt, "6000", {}, kMedium, kReadOnly,
             "The shortest session timeout a classic group member may ask for."),
    modelled("group.max.session.timeout.ms", kInt, "1800000", {}, kMedium, kReadOnly,
             "The longest session timeout a classic group member may ask for."),
    modelled("group.max.size", kInt, kIntMax, at_least(1), kMedium, kReadOnly,
             "The most members a classic group may have."),

    // ---- Transactions and producer state ----
    modelled("transaction.state.log.num.partitions", kInt, "50", at_least(1), kHigh, kReadOnly,
             "Partitions of __transaction_state; do not change after it exists."),
    modelled("transaction.state.log.replication.factor", kShort, "3", at_least(1), kHigh, kReadOnly,
             "Replication factor of __transaction_state; creating it waits for this many brokers."),
    modelled("transaction.state.log.min.isr", kInt, "2", at_least(1), kHigh, kReadOnly,
             "min.insync.replicas of __transaction_state."),
    modelled("transaction.state.log.segment.bytes", kInt, "104857600", at_least(1), kHigh, kReadOnly,
             "Segment size of __transaction_state, small for quick compaction and loading."),
    modelled("transaction.state.log.load.buffer.size", kInt, "5242880", at_least(1), kHigh, kReadOnly,
             "Read batch size when loading transactions from __transaction_state."),
    modelled("transactional.id.expiration.ms", kInt, "604800000", at_least(1), kHigh, kReadOnly,
             "A transactional id unused for this long is forgotten."),
    modelled("transaction.max.timeout.ms", kInt, "900000", at_least(1), kHigh, kReadOnly,
             "The longest transaction timeout a producer may ask for."),
    modelled("transaction.abort.timed.out.transaction.cleanup.interval.ms", kInt, "10000", at_least(1), kLow, kReadOnly,
             "How often timed-out transactions are aborted."),
    modelled("transaction.remove.expired.transaction.cleanup.interval.ms", kInt, "3600000", at_least(1), kLow,
             kReadOnly, "How often expired transactional ids are removed."),
    modelled("transaction.partition.verification.enable", kBool, "true", {}, kLow, kClusterWide,
             "Whether a transactional write is checked against the partitions added to its transaction."),
    modelled("producer.id.expiration.ms", kInt, "86400000", at_least(1), kLow, kClusterWide,
             "How long a partition leader keeps the state of an idle producer id."),

    // ---- Metadata log ----
    modelled("metadata.log.segment.bytes", kInt, "1073741824", at_least(12), kHigh, kReadOnly,
             "Segment size of the metadata log."),
    modelled("metadata.log.segment.ms", kLong, "604800000", {}, kHigh, kReadOnly,
             "Age at which a metadata log segment rolls."),
    modelled("metadata.max.retention.bytes", kLong, "104857600", {}, kHigh, kReadOnly,
             "Size of metadata log and snapshots beyond which old ones are deleted (a soft limit)."),
    modelled("metadata.max.retention.ms", kLong, "604800000", {}, kHigh, kReadOnly,
             "Age after which metadata log segments and snapshots are deleted (a soft limit)."),
    modelled("metadata.log.max.record.bytes.between.snapshots", kLong, "20971520", at_least(1), kHigh, kReadOnly,
             "Metadata bytes past the latest snapshot that trigger a new one."),
    modelled("metadata.log.max.snapshot.interval.ms", kLong, "3600000", at_least(0), kHigh, kReadOnly,
             "The longest time committed metadata waits for a snapshot; 0 turns time-based snapshots off."),
    modelled("metadata.max.idle.interval.ms", kInt, "500", at_least(0), kLow, kReadOnly,
             "How often an idle active controller writes a no-op record; 0 for never."),

    // ---- Broker-level log settings: the defaults of every topic ----
    log_key("log.segment.bytes", kInt, "1073741824", kHigh, kClusterWide, "The largest a log segment grows."),
    log_key("log.roll.ms", kLong, kNull, kHigh, kClusterWide,
            "Age at which the active segment rolls; log.roll.hours when unset."),
    log_key("log.roll.hours", kInt, "168", kHigh, kReadOnly, "log.roll.ms in hours, when that is unset."),
    log_key("log.roll.jitter.ms", kLong, kNull, kHigh, kClusterWide,
            "Random time taken off the roll age; log.roll.jitter.hours when unset."),
    log_key("log.roll.jitter.hours", kInt, "0", kHigh, kReadOnly, "log.roll.jitter.ms in hours, when that is unset."),
    log_key("log.retention.ms", kLong, kNull, kHigh, kClusterWide,
            "How long segments are kept; log.retention.minutes when unset; -1 for no limit."),
    log_key("log.retention.minutes", kInt, kNull, kHigh, kReadOnly,
            "log.retention.ms in minutes, when that is unset; log.retention.hours when this is unset too."),
    log_key("log.retention.hours", kInt, "168", kHigh, kReadOnly,
            "log.retention.ms in hours, when neither it nor log.retention.minutes is set."),
    log_key("log.retention.bytes", kLong, "-1", kHigh, kClusterWide,
            "Size a partition's log is cut back to; -1 for no limit."),
    log_key("log.cleanup.policy", kList, "delete", kMedium, kClusterWide,
            "What happens to old segments: delete, compact, or both."),
    log_key("log.index.size.max.bytes", kInt, "10485760", kMedium, kClusterWide, "The largest an offset index grows."),
    log_key("log.index.interval.bytes", kInt, "4096", kMedium, kClusterWide,
            "Bytes of records between offset index entries."),
    log_key("log.flush.interval.messages", kLong, "1", kHigh, kClusterWide,
            "Records appended between fsyncs. Gregor's default, 1, makes every acknowledged append durable "
            "(Kafka's is 9223372036854775807)."),
    log_key("log.flush.interval.ms", kLong, kNull, kHigh, kClusterWide,
            "Longest time appended records wait for an fsync; log.flush.scheduler.interval.ms when unset."),
    log_key("log.segment.delete.delay.ms", kLong, "60000", kHigh, kClusterWide,
            "How long a deleted segment's files linger before removal."),
    log_key("log.preallocate", kBool, "false", kMedium, kClusterWide, "Whether new segment files are preallocated."),
    log_key("log.cleaner.delete.retention.ms", kLong, "86400000", kMedium, kClusterWide,
            "How long tombstones survive compaction."),
    log_key("log.cleaner.min.compaction.lag.ms", kLong, "0", kMedium, kClusterWide,
            "The youngest a record may be to be compacted."),
    log_key("log.cleaner.max.compaction.lag.ms", kLong, kLongMax, kMedium, kClusterWide,
            "The oldest a record may get before it is eligible for compaction regardless of the dirty ratio."),
    log_key("log.cleaner.min.cleanable.ratio", kDouble, "0.5", kMedium, kClusterWide,
            "Share of a log that must be dirty before it is compacted."),
    log_key("log.message.timestamp.type", kString, "CreateTime", kMedium, kClusterWide,
            "Which timestamp records keep: CreateTime (the producer's) or LogAppendTime (the broker's)."),
    log_key("log.message.timestamp.before.max.ms", kLong, kLongMax, kMedium, kClusterWide,
            "How far in the past a CreateTime timestamp may be."),
    log_key("log.message.timestamp.after.max.ms", kLong, "3600000", kMedium, kClusterWide,
            "How far in the future a CreateTime timestamp may be."),
    log_key("message.max.bytes", kInt, "1048588", kHigh, kClusterWide, "The largest record batch a topic accepts."),
    log_key("min.insync.replicas", kInt, "1", kHigh, kClusterWide,
            "Replicas that must have a write with acks=all before it succeeds."),
    log_key("unclean.leader.election.enable", kBool, "false", kHigh, kClusterWide,
            "Whether a replica outside the ISR may become leader, losing data, as a last resort."),
    log_key("compression.type", kString, "producer", kHigh, kClusterWide,
            "How topics store batches: uncompressed, gzip, snappy, lz4, zstd, or producer (as sent)."),
    log_key("compression.gzip.level", kInt, "-1", kMedium, kClusterWide, "gzip level when compression.type=gzip."),
    log_key("compression.lz4.level", kInt, "9", kMedium, kClusterWide, "lz4 level when compression.type=lz4."),
    log_key("compression.zstd.level", kInt, "3", kMedium, kClusterWide, "zstd level when compression.type=zstd."),
    log_key("log.local.retention.ms", kLong, "-2", kMedium, kClusterWide,
            "Tiered storage's local retention time; not supported by Gregor."),
    log_key("log.local.retention.bytes", kLong, "-2", kMedium, kClusterWide,
            "Tiered storage's local retention size; not supported by Gregor."),

    // ---- Accepted without effect: security ----
    accepted("ssl.protocol", kString, kPerBroker),
    accepted("ssl.provider", kString, kPerBroker),
    accepted("ssl.cipher.suites", kList, kPerBroker),
    accepted("ssl.enabled.protocols", kList, kPerBroker),
    accepted("ssl.keystore.type", kString, kPerBroker),
    accepted("ssl.keystore.location", kString, kPerBroker),
    accepted("ssl.keystore.password", kPassword, kPerBroker),
    accepted("ssl.keystore.key", kPassword, kPerBroker),
    accepted("ssl.keystore.certificate.chain", kPassword, kPerBroker),
    accepted("ssl.key.password", kPassword, kPerBroker),
    accepted("ssl.truststore.type", kString, kPerBroker),
    accepted("ssl.truststore.location", kString, kPerBroker),
    accepted("ssl.truststore.password", kPassword, kPerBroker),
    accepted("ssl.truststore.certificates", kPassword, kPerBroker),
    accepted("ssl.keymanager.algorithm", kString, kPerBroker),
    accepted("ssl.trustmanager.algorithm", kString, kPerBroker),
    accepted("ssl.endpoint.identification.algorithm", kString, kPerBroker),
    accepted("ssl.secure.random.implementation", kString, kPerBroker),
    accepted("ssl.client.auth", kString, kPerBroker),
    accepted("ssl.engine.factory.class", kClass, kPerBroker),
    accepted("ssl.principal.mapping.rules", kString),
    accepted("ssl.allow.dn.changes", kBool),
    accepted("ssl.allow.san.changes", kBool),
    accepted("principal.builder.class", kClass, kPerBroker),
    accepted("sasl.mechanism.inter.broker.protocol", kString, kPerBroker),
    accepted("sasl.mechanism.controller.protocol", kString),
    accepted("sasl.enabled.mechanisms", kList, kPerBroker),
    accepted("sasl.jaas.config", kPassword, kPerBroker),
    accepted("sasl.kerberos.service.name", kString, kPerBroker),
    accepted("sasl.kerberos.kinit.cmd", kString, kPerBroker),
    accepted("sasl.kerberos.ticket.renew.window.factor", kDouble, kPerBroker),
    accepted("sasl.kerberos.ticket.renew.jitter", kDouble, kPerBroker),
    accepted("sasl.kerberos.min.time.before.relogin", kLong, kPerBroker),
    accepted("sasl.kerberos.principal.to.local.rules", kList, kPerBroker),
    accepted("sasl.login.refresh.window.factor", kDouble, kPerBroker),
    accepted("sasl.login.refresh.window.jitter", kDouble, kPerBroker),
    accepted("sasl.login.refresh.min.period.seconds", kShort, kPerBroker),
    accepted("sasl.login.refresh.buffer.seconds", kShort, kPerBroker),
    accepted("sasl.login.class", kClass),
    accepted("sasl.login.callback.handler.class", kClass),
    accepted("sasl.client.callback.handler.class", kClass),
    accepted("sasl.server.callback.handler.class", kClass),
    accepted("sasl.login.connect.timeout.ms", kInt),
    accepted("sasl.login.read.timeout.ms", kInt),
    accepted("sasl.login.retry.backoff.ms", kLong),
    accepted("sasl.login.retry.backoff.max.ms", kLong),
    accepted("sasl.server.max.receive.size", kInt),
    accepted("sasl.oauthbearer.jwks.endpoint.url", kString),
    accepted("sasl.oauthbearer.token.endpoint.url", kString),
    accepted("sasl.oauthbearer.scope.claim.name", kString),
    accepted("sasl.oauthbearer.sub.claim.name", kString),
    accepted("sasl.oauthbearer.expected.audience", kList),
    accepted("sasl.oauthbearer.expected.issuer", kString),
    accepted("sasl.oauthbearer.clock.skew.seconds", kInt),
    accepted("sasl.oauthbearer.jwks.endpoint.refresh.ms", kLong),
    accepted("sasl.oauthbearer.jwks.endpoint.retry.backoff.ms", kLong),
    accepted("sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms", kLong),
    accepted("connections.max.reauth.ms", kLong),
    accepted("security.providers", kString),
    accepted("authorizer.class.name", kString),
    accepted("super.users", kString),
    accepted("allow.everyone.if.no.acl.found", kBool),
    accepted("early.start.listeners", kString),
    accepted("delegation.token.secret.key", kPassword),
    accepted("delegation.token.max.lifetime.ms", kLong),
    accepted("delegation.token.expiry.time.ms", kLong),
    accepted("delegation.token.expiry.check.interval.ms", kLong),

    // ---- Accepted without effect: quotas ----
    accepted("quota.window.num", kInt),
    accepted("quota.window.size.seconds", kInt),
    accepted("replication.quota.window.num", kInt),
    accepted("replication.quota.window.size.seconds", kInt),
    accepted("alter.log.dirs.replication.quota.window.num", kInt),
    accepted("alter.log.dirs.replication.quota.window.size.seconds", kInt),
    accepted("controller.quota.window.num", kInt),
    accepted("controller.quota.window.size.seconds", kInt),
    accepted("client.quota.callback.class", kClass),
    accepted("leader.replication.throttled.rate", kLong, kClusterWide),
    accepted("follower.replication.throttled.rate", kLong, kClusterWide),
    accepted("replica.alter.log.dirs.io.max.bytes.per.second", kLong, kClusterWide),

    // ---- Accepted without effect: tiered storage ----
    accepted("remote.log.storage.system.enable", kBool),
    accepted("remote.log.storage.manager.class.name", kString),
    accepted("remote.log.storage.manager.class.path", kString),
    accepted("remote.log.storage.manager.impl.prefix", kString),
    accepted("remote.log.metadata.manager.class.name", kString),
    accepted("remote.log.metadata.manager.class.path", kString),
    accepted("remote.log.metadata.manager.impl.prefix", kString),
    accepted("remote.log.metadata.manager.listener.name", kString),
    accepted("remote.log.metadata.custom.metadata.max.bytes", kInt),
    accepted("remote.log.index.file.cache.total.size.bytes", kLong, kClusterWide),
    accepted("remote.log.manager.thread.pool.size", kInt),
    accepted("remote.log.manager.copier.thread.pool.size", kInt, kClusterWide),
    accepted("remote.log.manager.expiration.thread.pool.size", kInt, kClusterWide),
    accepted("remote.log.manager.follower.thread.pool.size", kInt, kClusterWide),
    accepted("remote.log.manager.task.interval.ms", kLong),
    accepted("remote.log.manager.task.retry.backoff.ms", kLong),
    accepted("remote.log.manager.task.retry.backoff.max.ms", kLong),
    accepted("remote.log.manager.task.retry.jitter", kDouble),
    accepted("remote.log.reader.threads", kInt, kClusterWide),
    accepted("remote.log.reader.max.pending.tasks", kInt),
    accepted("remote.log.manager.copy.max.bytes.per.second", kLong, kClusterWide),
    accepted("remote.log.manager.copy.quota.window.num", kInt),
    accepted("remote.log.manager.copy.quota.window.size.seconds", kInt),
    accepted("remote.log.manager.fetch.max.bytes.per.second", kLong, kClusterWide),
    accepted("remote.log.manager.fetch.quota.window.num", kInt),
    accepted("remote.log.manager.fetch.quota.window.size.seconds", kInt),
    accepted("remote.fetch.max.wait.ms", kInt, kClusterWide),
    accepted("remote.list.offsets.request.timeout.ms", kLong, kClusterWide),
    accepted("follower.fetch.last.tiered.offset.enable", kBool, kClusterWide),

    // ---- Accepted without effect: metrics ----
    accepted("metric.reporters", kList, kClusterWide),
    accepted("metrics.num.samples", kInt),
    accepted("metrics.sample.window.ms", kLong),
    accepted("metrics.recording.level", kString),
    accepted("kafka.metrics.reporters", kList),
    accepted("kafka.metrics.polling.interval.secs", kInt),
    accepted("telemetry.max.bytes", kInt),

    // ---- Accepted without effect: groups beyond the classic protocol, share coordinator ----
    accepted("group.coordinator.rebalance.protocols", kList),
    accepted("group.coordinator.threads", kInt),
    accepted("group.coordinator.append.linger.ms", kInt),
    modelled("group.consumer.session.timeout.ms", kInt, "45000", at_least(1), kMedium, kReadOnly,
             "How long a consumer group (KIP-848) member may go without a heartbeat before it is fenced."),
    accepted("group.consumer.min.session.timeout.ms", kInt),
    accepted("group.consumer.max.session.timeout.ms", kInt),
    modelled("group.consumer.heartbeat.interval.ms", kInt, "5000", at_least(1), kMedium, kReadOnly,
             "The heartbeat interval given to consumer group (KIP-848) members."),
    accepted("group.consumer.min.heartbeat.interval.ms", kInt),
    accepted("group.consumer.max.heartbeat.interval.ms", kInt),
    modelled("group.consumer.max.size", kInt, kIntMax, at_least(1), kMedium, kReadOnly,
             "The most members a consumer group (KIP-848) may have."),
    modelled("group.consumer.assignors", kList,
             "org.apache.kafka.coordinator.group.assignor.UniformAssignor,"
             "org.apache.kafka.coordinator.group.assignor.RangeAssignor",
             {}, kMedium, kReadOnly,
             "The server-side assignors of consumer groups, by name (uniform, range) or Kafka class name; the "
             "first is the default."),
    accepted("group.consumer.migration.policy", kString),
    accepted("group.share.enable", kBool),
    accepted("group.share.session.timeout.ms", kInt),
    accepted("group.share.min.session.timeout.ms", kInt),
    accepted("group.share.max.session.timeout.ms", kInt),
    accepted("group.share.heartbeat.interval.ms", kInt),
    accepted("group.share.min.heartbeat.interval.ms", kInt),
    accepted("group.share.max.heartbeat.interval.ms", kInt),
    accepted("group.share.max.size", kInt),
    accepted("group.share.max.groups", kShort),
    accepted("group.share.assignors", kList),
    accepted("group.share.record.lock.duration.ms", kInt),
    accepted("group.share.min.record.lock.duration.ms", kInt),
    accepted("group.share.max.record.lock.duration.ms", kInt),
    accepted("group.share.partition.max.record.locks", kInt),
    accepted("group.share.delivery.count.limit", kInt),
    accepted("group.share.persister.class.name", kString),
    accepted("group.streams.session.timeout.ms", kInt),
    accepted("group.streams.min.session.timeout.ms", kInt),
    accepted("group.streams.max.session.timeout.ms", kInt),
    accepted("group.streams.heartbeat.interval.ms", kInt),
    accepted("group.streams.min.heartbeat.interval.ms", kInt),
    accepted("group.streams.max.heartbeat.interval.ms", kInt),
    accepted("group.streams.max.size", kInt),
    accepted("group.streams.num.standby.replicas", kInt),
    accepted("group.streams.max.standby.replicas", kInt),
    accepted("share.coordinator.state.topic.num.partitions", kInt),
    accepted("share.coordinator.state.topic.replication.factor", kShort),
    accepted("share.coordinator.state.topic.min.isr", kShort),
    accepted("share.coordinator.state.topic.segment.bytes", kInt),
    accepted("share.coordinator.state.topic.compression.codec", kInt),
    accepted("share.coordinator.state.topic.prune.interval.ms", kInt),
    accepted("share.coordinator.load.buffer.size", kInt),
    accepted("share.coordinator.snapshot.update.records.per.snapshot", kInt),
    accepted("share.coordinator.threads", kInt),
    accepted("share.coordinator.append.linger.ms", kInt),
    accepted("share.coordinator.write.timeout.ms", kInt),
    accepted("share.coordinator.cold.partition.snapshot.interval.ms", kInt),
    accepted("share.fetch.purgatory.purge.interval.requests", kInt),

    // ---- Accepted without effect: everything else ----
    accepted("num.replica.alter.log.dirs.threads", kInt),
    accepted("socket.connection.setup.timeout.ms", kLong),
    accepted("socket.connection.setup.timeout.max.ms", kLong),
    accepted("controlled.shutdown.enable", kBool),
    accepted("controlled.shutdown.max.retries", kInt),
    accepted("controlled.shutdown.retry.backoff.ms", kLong),
    accepted("controller.quorum.auto.join.enable", kBool),
    accepted("fetch.purgatory.purge.interval.requests", kInt),
    accepted("producer.purgatory.purge.interval.requests", kInt),
    accepted("delete.records.purgatory.purge.interval.requests", kInt),
    accepted("replica.selector.class", kString),
    accepted("create.topic.policy.class.name", kClass),
    accepted("alter.config.policy.class.name", kClass),
    accepted("add.partitions.to.txn.retry.backoff.ms", kInt),
    accepted("add.partitions.to.txn.retry.backoff.max.ms", kInt),
    accepted("max.request.partition.size.limit", kInt),
    accepted("config.providers", kList, kClusterWide),
    accepted("reserved.broker.max.id", kInt),
    accepted("broker.id.generation.enable", kBool),
    accepted("unstable.api.versions.enable", kBool),
    accepted("unstable.feature.versions.enable", kBool),
    accepted("log.initial.task.delay.ms", kLong),
    accepted("server.max.startup.time.ms", kLong),
};

// SslConfigs.RECONFIGURABLE_CONFIGS.
constexpr std::string_view kListenerOnlySecurityConfigs[] = {
    "ssl.keystore.type",   "ssl.keystore.location",       "ssl.keystore.password",   "ssl.key.password",
    "ssl.truststore.type", "ssl.truststore.location",     "ssl.truststore.password", "ssl.keystore.certificate.chain",
    "ssl.keystore.key",    "ssl.truststore.certificates",
};

// Configs a listener override may also give per SASL mechanism.
constexpr std::string_view kListenerMechanismConfigs[] = {
    "sasl.jaas.config",          "sasl.login.callback.handler.class",
    "sasl.login.class",          "sasl.server.callback.handler.class",
    "connections.max.reauth.ms",
};

// Kafka's groups of names for one setting, most precise first.
constexpr std::string_view kRollSynonyms[] = {"log.roll.ms", "log.roll.hours"};
constexpr std::string_view kJitterSynonyms[] = {"log.roll.jitter.ms", "log.roll.jitter.hours"};
constexpr std::string_view kRetentionSynonyms[] = {"log.retention.ms", "log.retention.minutes", "log.retention.hours"};
constexpr std::string_view kFlushSynonyms[] = {"log.flush.interval.ms", "log.flush.scheduler.interval.ms"};
constexpr std::string_view kLogDirsSynonyms[] = {"log.dirs", "log.dir"};

bool contains(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::span<const BrokerConfigKey> broker_config_keys() { return kKeys; }

const BrokerConfigKey* find_broker_config_key(std::string_view name) {
  for (const BrokerConfigKey& key : kKeys) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

std::vector<std::string_view> broker_config_synonyms(std::string_view name) {
  for (std::span<const std::string_view> group :
       {std::span<const std::string_view>(kRollSynonyms), std::span<const std::string_view>(kJitterSynonyms),
        std::span<const std::string_view>(kRetentionSynonyms)}) {
    if (contains(group, name)) return {group.begin(), group.end()};
  }
  // log.flush.scheduler.interval.ms only stands in for log.flush.interval.ms, not the reverse;
  // likewise log.dir for log.dirs.
  if (name == kFlushSynonyms[0]) return {std::begin(kFlushSynonyms), std::end(kFlushSynonyms)};
  if (name == kLogDirsSynonyms[0]) return {std::begin(kLogDirsSynonyms), std::end(kLogDirsSynonyms)};
  if (std::optional<std::string_view> base = listener_override_base(name)) return {name, *base};
  return {name};
}

std::optional<std::string_view> listener_override_base(std::string_view name) {
  // Kafka's listener\.name\.[^.]*\.(.*)
  constexpr std::string_view kPrefix = "listener.name.";
  if (!name.starts_with(kPrefix)) return std::nullopt;
  size_t dot = name.find('.', kPrefix.size());
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view base = name.substr(dot + 1);
  // SASL settings per mechanism: listener.name.<listener>.<mechanism>.<config>.
  for (std::string_view config : kListenerMechanismConfigs) {
    if (base.ends_with(config)) return config;
  }
  return base;
}

bool is_listener_only_security_config(std::string_view name) { return contains(kListenerOnlySecurityConfigs, name); }

}  // namespace gregor::config
