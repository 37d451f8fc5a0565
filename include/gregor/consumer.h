// The consumer, with the semantics of Kafka's Java KafkaConsumer: a member of a consumer group
// (subscribe) or reading the partitions it is given (assign).
//
//   gregor::Properties props{{"bootstrap.servers", "localhost:9092"}, {"group.id", "g"}};
//   gregor::Consumer<std::string, std::string> consumer(props);
//   consumer.subscribe({"events"});
//   while (running) {
//     for (const auto& r : consumer.poll(std::chrono::milliseconds(100))) use(r);
//     consumer.commitSync();
//   }
//   consumer.close();
//
// Not thread-safe, as in Java: one thread uses a consumer. A call made while another thread is
// inside one throws ConcurrentModificationException. The one exception is wakeup(), which any
// thread may call: the poll (or other blocking call) in progress, or the next one, throws
// WakeupException.
//
// Groups: subscribe() joins the group.id's group with Kafka's classic protocol (JoinGroup,
// SyncGroup, Heartbeat from the I/O thread); the leader assigns with the first of
// partition.assignment.strategy's assignors every member supports. A rebalance listener's
// callbacks run on the caller's thread, inside poll (or unsubscribe, close).
//
// Positions: an assigned partition starts at its committed offset (with a group.id), else where
// auto.offset.reset says: earliest, latest, or none (NoOffsetForPartitionException). A fetch
// out of range resets the same way (OffsetOutOfRangeException under none).
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "gregor/config.h"
#include "gregor/errors.h"
#include "gregor/producer.h"
#include "gregor/serialization.h"
#include "gregor/topic_partition.h"

namespace gregor {

// A blocking call ended by wakeup().
class WakeupException : public KafkaException {
 public:
  WakeupException() : KafkaException("Consumer was woken up") {}
};

// A second thread used the consumer while another was inside a call.
class ConcurrentModificationException : public KafkaException {
 public:
  using KafkaException::KafkaException;
};

// A position that could not be found or reset: the partitions it concerns.
class InvalidOffsetException : public KafkaException {
 public:
  InvalidOffsetException(const std::string& message, std::set<TopicPartition> partitions)
      : KafkaException(message), partitions_(std::move(partitions)) {}
  const std::set<TopicPartition>& partitions() const { return partitions_; }

 private:
  std::set<TopicPartition> partitions_;
};

// No committed offset and auto.offset.reset=none.
class NoOffsetForPartitionException : public InvalidOffsetException {
 public:
  using InvalidOffsetException::InvalidOffsetException;
};

// A fetch position out of the log's range and auto.offset.reset=none.
class OffsetOutOfRangeException : public InvalidOffsetException {
 public:
  using InvalidOffsetException::InvalidOffsetException;
};

// A commit refused because the member's generation is gone: the group rebalanced without it
// (Kafka's CommitFailedException; its message by default).
class CommitFailedException : public KafkaException {
 public:
  CommitFailedException()
      : KafkaException(
            "Commit cannot be completed since the group has already rebalanced and assigned the partitions to "
            "another member. This means that the time between subsequent calls to poll() was longer than the "
            "configured max.poll.interval.ms, which typically implies that the poll loop is spending too much "
            "time message processing. You can address this either by increasing max.poll.interval.ms or by "
            "reducing the maximum size of batches returned in poll() with max.poll.records.") {}
  using KafkaException::KafkaException;
};

// A commit made while the group rebalances: poll() completes the rebalance, then commit again.
class RebalanceInProgressException : public KafkaException {
 public:
  using KafkaException::KafkaException;
};

// Kafka's ConsumerRebalanceListener. Called on the consumer's thread from poll (and from
// unsubscribe and close): onPartitionsRevoked before a rebalance (every partition under the
// eager protocol; under cooperative-sticky only those that move, after it), onPartitionsAssigned
// after it with the partitions added, onPartitionsLost when the member's generation was lost
// (it may no longer own them, so nothing should be committed for them).
class ConsumerRebalanceListener {
 public:
  virtual ~ConsumerRebalanceListener() = default;
  virtual void onPartitionsRevoked(const std::set<TopicPartition>& partitions) = 0;
  virtual void onPartitionsAssigned(const std::set<TopicPartition>& partitions) = 0;
  virtual void onPartitionsLost(const std::set<TopicPartition>& partitions) { onPartitionsRevoked(partitions); }
};

// Deserializers, as Kafka's org.apache.kafka.common.serialization: a null key or value stays
// null (nullopt) and is not handed to the deserializer.
template <typename T>
class Deserializer {
 public:
  virtual ~Deserializer() = default;
  virtual T deserialize(const std::string& topic, const Bytes& data) = 0;
};

class StringDeserializer : public Deserializer<std::string> {
 public:
  std::string deserialize(const std::string&, const Bytes& data) override { return std::string(data.begin(), data.end()); }
};

class BytesDeserializer : public Deserializer<Bytes> {
 public:
  Bytes deserialize(const std::string&, const Bytes& data) override { return data; }
};

template <typename Int>
class BigEndianDeserializer : public Deserializer<Int> {
 public:
  Int deserialize(const std::string&, const Bytes& data) override {
    if (data.size() != sizeof(Int))
      throw SerializationException("Size of data received by " + std::string(name()) + " is not " +
                                   std::to_string(sizeof(Int)));
    std::make_unsigned_t<Int> u = 0;
    for (uint8_t b : data) u = static_cast<std::make_unsigned_t<Int>>((u << 8) | b);
    return static_cast<Int>(u);
  }

 private:
  static const char* name() {
    if constexpr (sizeof(Int) == 2) return "ShortDeserializer";
    else if constexpr (sizeof(Int) == 4) return "IntegerDeserializer";
    else return "LongDeserializer";
  }
};
using ShortDeserializer = BigEndianDeserializer<int16_t>;
using IntegerDeserializer = BigEndianDeserializer<int32_t>;
using LongDeserializer = BigEndianDeserializer<int64_t>;

// The deserializer a Kafka class name stands for when it yields T (the short name is accepted
// too); nullptr otherwise.
template <typename T>
std::shared_ptr<Deserializer<T>> deserializer_for_class(const std::string& class_name) {
  const std::string prefix = "org.apache.kafka.common.serialization.";
  std::string name = class_name.rfind(prefix, 0) == 0 ? class_name.substr(prefix.size()) : class_name;
  if constexpr (std::is_same_v<T, std::string>) {
    if (name == "StringDeserializer") return std::make_shared<StringDeserializer>();
  } else if constexpr (std::is_same_v<T, Bytes>) {
    if (name == "ByteArrayDeserializer" || name == "BytesDeserializer") return std::make_shared<BytesDeserializer>();
  } else if constexpr (std::is_same_v<T, int16_t>) {
    if (name == "ShortDeserializer") return std::make_shared<ShortDeserializer>();
  } else if constexpr (std::is_same_v<T, int32_t>) {
    if (name == "IntegerDeserializer") return std::make_shared<IntegerDeserializer>();
  } else if constexpr (std::is_same_v<T, int64_t>) {
    if (name == "LongDeserializer") return std::make_shared<LongDeserializer>();
  }
  return nullptr;
}

template <typename T>
std::shared_ptr<Deserializer<T>> default_deserializer() {
  if constexpr (std::is_same_v<T, std::string>) return std::make_shared<StringDeserializer>();
  else if constexpr (std::is_same_v<T, Bytes>) return std::make_shared<BytesDeserializer>();
  else if constexpr (std::is_same_v<T, int16_t>) return std::make_shared<ShortDeserializer>();
  else if constexpr (std::is_same_v<T, int32_t>) return std::make_shared<IntegerDeserializer>();
  else if constexpr (std::is_same_v<T, int64_t>) return std::make_shared<LongDeserializer>();
  else return nullptr;
}

enum class TimestampType { no_timestamp_type = -1, create_time = 0, log_append_time = 1 };

template <typename K, typename V>
struct ConsumerRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = -1;
  TimestampType timestamp_type = TimestampType::create_time;
  std::optional<K> key;    // nullopt: a null key
  std::optional<V> value;  // nullopt: a null value (a tombstone)
  std::vector<Header> headers;
  std::optional<int32_t> leader_epoch;
};

using ByteRecord = ConsumerRecord<Bytes, Bytes>;

// What one poll returned, in fetch order (per partition, by offset).
template <typename K, typename V>
class ConsumerRecords {
 public:
  ConsumerRecords() = default;
  explicit ConsumerRecords(std::vector<ConsumerRecord<K, V>> records) : records_(std::move(records)) {}
  size_t count() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  auto begin() const { return records_.begin(); }
  auto end() const { return records_.end(); }
  const std::vector<ConsumerRecord<K, V>>& all() const { return records_; }
  std::vector<ConsumerRecord<K, V>> records(const TopicPartition& tp) const {
    std::vector<ConsumerRecord<K, V>> out;
    for (const auto& r : records_)
      if (r.topic == tp.topic && r.partition == tp.partition) out.push_back(r);
    return out;
  }
  std::set<TopicPartition> partitions() const {
    std::set<TopicPartition> out;
    for (const auto& r : records_) out.insert({r.topic, r.partition});
    return out;
  }

 private:
  std::vector<ConsumerRecord<K, V>> records_;
};

using OffsetCommitCallback =
    std::function<void(const std::map<TopicPartition, OffsetAndMetadata>&, std::exception_ptr)>;

// The consumer over bytes; Consumer<K, V> adds deserializers in front of it.
class ByteConsumer {
 public:
  explicit ByteConsumer(const Properties& props);
  ~ByteConsumer();  // close()
  ByteConsumer(const ByteConsumer&) = delete;
  ByteConsumer& operator=(const ByteConsumer&) = delete;

  // Joins the group (group.id) for these topics, or those whose whole name the pattern matches
  // (refreshed with the metadata); the previous subscription is replaced. An empty list is
  // unsubscribe(). Subscribing and assign() exclude each other (IllegalStateException).
  void subscribe(const std::vector<std::string>& topics, std::shared_ptr<ConsumerRebalanceListener> listener = nullptr);
  // A template only so that a braced list of topic names is never taken for a pattern.
  template <typename Regex>
    requires std::is_same_v<Regex, std::regex>
  void subscribe(const Regex& pattern, std::shared_ptr<ConsumerRebalanceListener> listener = nullptr) {
    subscribe_pattern(pattern, std::move(listener));
  }
  void subscribe_pattern(const std::regex& pattern, std::shared_ptr<ConsumerRebalanceListener> listener);
  std::set<std::string> subscription();
  void assign(const std::vector<TopicPartition>& partitions);
  std::set<TopicPartition> assignment();
  // Leaves the group (revoking the partitions; no LeaveGroup for a static member) or drops the
  // manual assignment.
  void unsubscribe();
  ConsumerRecords<Bytes, Bytes> poll(std::chrono::milliseconds timeout);

  int64_t position(const TopicPartition& tp);
  int64_t position(const TopicPartition& tp, std::chrono::milliseconds timeout);
  void seek(const TopicPartition& tp, int64_t offset);
  void seekToBeginning(const std::vector<TopicPartition>& partitions);
  void seekToEnd(const std::vector<TopicPartition>& partitions);
  void pause(const std::vector<TopicPartition>& partitions);
  void resume(const std::vector<TopicPartition>& partitions);
  std::set<TopicPartition> paused();

  // The group's committed offsets; a partition without one maps to nullopt.
  std::map<TopicPartition, std::optional<OffsetAndMetadata>> committed(const std::set<TopicPartition>& partitions);
  std::map<TopicPartition, std::optional<OffsetAndMetadata>> committed(const std::set<TopicPartition>& partitions,
                                                                       std::chrono::milliseconds timeout);
  // Commits the positions of every assigned partition (what the last polls returned).
  void commitSync();
  void commitSync(const std::map<TopicPartition, OffsetAndMetadata>& offsets);
  void commitSync(const std::map<TopicPartition, OffsetAndMetadata>& offsets, std::chrono::milliseconds timeout);
  // The callback runs on the consumer's thread, inside a later poll, commitSync or close.
  void commitAsync(OffsetCommitCallback callback = {});
  void commitAsync(const std::map<TopicPartition, OffsetAndMetadata>& offsets, OffsetCommitCallback callback);

  // The first and the next offsets of the partitions (ListOffsets).
  std::map<TopicPartition, int64_t> beginningOffsets(const std::vector<TopicPartition>& partitions);
  std::map<TopicPartition, int64_t> endOffsets(const std::vector<TopicPartition>& partitions);
  std::vector<PartitionInfo> partitionsFor(const std::string& topic);

  // Thread-safe: ends the blocking call in progress (or the next) with WakeupException.
  void wakeup();
  // Commits (with enable.auto.commit and a group.id), revokes the partitions and leaves the
  // group (a subscribed consumer; a static member does not send LeaveGroup), completes pending
  // commit callbacks, and releases the connections; waits at most timeout.
  void close(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

template <typename K, typename V>
class Consumer {
 public:
  // Deserializers: the ones given, else key.deserializer / value.deserializer when set, else
  // the natural one for K and V (string, bytes, int16/32/64).
  explicit Consumer(const Properties& props, std::shared_ptr<Deserializer<K>> key_deserializer = nullptr,
                    std::shared_ptr<Deserializer<V>> value_deserializer = nullptr)
      : key_(pick(props, "key.deserializer", std::move(key_deserializer))),
        value_(pick(props, "value.deserializer", std::move(value_deserializer))),
        consumer_(props) {}

  void subscribe(const std::vector<std::string>& topics, std::shared_ptr<ConsumerRebalanceListener> listener = nullptr) {
    consumer_.subscribe(topics, std::move(listener));
  }
  template <typename Regex>
    requires std::is_same_v<Regex, std::regex>
  void subscribe(const Regex& pattern, std::shared_ptr<ConsumerRebalanceListener> listener = nullptr) {
    consumer_.subscribe_pattern(pattern, std::move(listener));
  }
  std::set<std::string> subscription() { return consumer_.subscription(); }
  void assign(const std::vector<TopicPartition>& partitions) { consumer_.assign(partitions); }
  std::set<TopicPartition> assignment() { return consumer_.assignment(); }
  void unsubscribe() { consumer_.unsubscribe(); }

  // A record that fails to deserialize throws SerializationException naming its partition and
  // offset; the position stays at that record, as in Java.
  ConsumerRecords<K, V> poll(std::chrono::milliseconds timeout) {
    ConsumerRecords<Bytes, Bytes> raw = consumer_.poll(timeout);
    std::vector<ConsumerRecord<K, V>> out;
    out.reserve(raw.count());
    for (const ByteRecord& r : raw) {
      ConsumerRecord<K, V> c{r.topic, r.partition, r.offset, r.timestamp, r.timestamp_type,
                             std::nullopt, std::nullopt, r.headers, r.leader_epoch};
      try {
        if (r.key) c.key = key_->deserialize(r.topic, *r.key);
        if (r.value) c.value = value_->deserialize(r.topic, *r.value);
      } catch (const std::exception& e) {
        consumer_.seek({r.topic, r.partition}, r.offset);
        throw SerializationException("Error deserializing key/value for partition " + r.topic + "-" +
                                     std::to_string(r.partition) + " at offset " + std::to_string(r.offset) +
                                     ". If needed, please seek past the record to continue consumption. (" +
                                     e.what() + ")");
      }
      out.push_back(std::move(c));
    }
    return ConsumerRecords<K, V>(std::move(out));
  }

  int64_t position(const TopicPartition& tp) { return consumer_.position(tp); }
  int64_t position(const TopicPartition& tp, std::chrono::milliseconds timeout) { return consumer_.position(tp, timeout); }
  void seek(const TopicPartition& tp, int64_t offset) { consumer_.seek(tp, offset); }
  void seekToBeginning(const std::vector<TopicPartition>& partitions) { consumer_.seekToBeginning(partitions); }
  void seekToEnd(const std::vector<TopicPartition>& partitions) { consumer_.seekToEnd(partitions); }
  void pause(const std::vector<TopicPartition>& partitions) { consumer_.pause(partitions); }
  void resume(const std::vector<TopicPartition>& partitions) { consumer_.resume(partitions); }
  std::set<TopicPartition> paused() { return consumer_.paused(); }
  std::map<TopicPartition, std::optional<OffsetAndMetadata>> committed(const std::set<TopicPartition>& partitions) {
    return consumer_.committed(partitions);
  }
  std::map<TopicPartition, std::optional<OffsetAndMetadata>> committed(const std::set<TopicPartition>& partitions,
                                                                       std::chrono::milliseconds timeout) {
    return consumer_.committed(partitions, timeout);
  }
  void commitSync() { consumer_.commitSync(); }
  void commitSync(const std::map<TopicPartition, OffsetAndMetadata>& offsets) { consumer_.commitSync(offsets); }
  void commitSync(const std::map<TopicPartition, OffsetAndMetadata>& offsets, std::chrono::milliseconds timeout) {
    consumer_.commitSync(offsets, timeout);
  }
  void commitAsync(OffsetCommitCallback callback = {}) { consumer_.commitAsync(std::move(callback)); }
  void commitAsync(const std::map<TopicPartition, OffsetAndMetadata>& offsets, OffsetCommitCallback callback) {
    consumer_.commitAsync(offsets, std::move(callback));
  }
  std::map<TopicPartition, int64_t> beginningOffsets(const std::vector<TopicPartition>& partitions) {
    return consumer_.beginningOffsets(partitions);
  }
  std::map<TopicPartition, int64_t> endOffsets(const std::vector<TopicPartition>& partitions) {
    return consumer_.endOffsets(partitions);
  }
  std::vector<PartitionInfo> partitionsFor(const std::string& topic) { return consumer_.partitionsFor(topic); }
  void wakeup() { consumer_.wakeup(); }
  void close(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) { consumer_.close(timeout); }

 private:
  template <typename T>
  static std::shared_ptr<Deserializer<T>> pick(const Properties& props, const std::string& key,
                                               std::shared_ptr<Deserializer<T>> given) {
    if (given) return given;
    auto it = props.find(key);
    if (it != props.end()) {
      auto named = deserializer_for_class<T>(it->second);
      if (!named)
        throw ConfigException(key, it->second, "Class " + it->second + " cannot deserialize this consumer's type");
      return named;
    }
    auto natural = default_deserializer<T>();
    if (!natural) throw ConfigException("Missing required configuration \"" + key + "\" which has no default value.");
    return natural;
  }

  std::shared_ptr<Deserializer<K>> key_;
  std::shared_ptr<Deserializer<V>> value_;
  ByteConsumer consumer_;
};

}  // namespace gregor
