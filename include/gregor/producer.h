// The producer, with the semantics of Kafka's Java KafkaProducer.
//
//   gregor::Properties props{{"bootstrap.servers", "localhost:9092"}};
//   gregor::Producer<std::string, std::string> producer(props);
//   auto metadata = producer.send({"events", "key", "value"}).get();   // synchronous
//   producer.send({"events", "key", "value"}, [](const gregor::RecordMetadata& m, std::exception_ptr e) {
//     if (e) { /* failed */ }
//   });
//   producer.close();
//
// Thread-safe: one producer may be shared by many threads. send() returns at once (after
// waiting, at most max.block.ms, for the topic's metadata and buffer memory); a background
// thread batches records per partition and sends them. How errors reach the caller is Java's:
//   - send() throws SerializationException (a serializer failed) and IllegalStateException
//     (the producer is closed);
//   - every other failure completes the future (and calls the callback) with the exception:
//     RecordTooLargeException (max.request.size, buffer.memory), TimeoutException (max.block.ms,
//     delivery.timeout.ms), ApiException for a broker's non-retriable error or a retriable one
//     that outlasted retries.
// Callbacks run on the producer's I/O thread, in send order per partition; they should be quick.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gregor/config.h"
#include "gregor/errors.h"
#include "gregor/serialization.h"

namespace gregor {

struct Header {
  std::string key;
  std::optional<Bytes> value;
};

template <typename K, typename V>
struct ProducerRecord {
  ProducerRecord(std::string topic, V value) : topic(std::move(topic)), value(std::move(value)) {}
  ProducerRecord(std::string topic, K key, V value)
      : topic(std::move(topic)), key(std::move(key)), value(std::move(value)) {}
  ProducerRecord(std::string topic, std::optional<int32_t> partition, std::optional<K> key, std::optional<V> value,
                 std::vector<Header> headers = {}, std::optional<int64_t> timestamp = std::nullopt)
      : topic(std::move(topic)), partition(partition), key(std::move(key)), value(std::move(value)),
        headers(std::move(headers)), timestamp(timestamp) {}

  std::string topic;
  std::optional<int32_t> partition;  // explicit partition: wins over the partitioner
  std::optional<K> key;              // nullopt: a null key
  std::optional<V> value;            // nullopt: a null value (a tombstone)
  std::vector<Header> headers;
  std::optional<int64_t> timestamp;  // ms since the epoch; nullopt: the time of send()
};

// A record already in bytes, as the partitioner and the sender see it.
struct SerializedRecord {
  std::string topic;
  std::optional<int32_t> partition;
  std::optional<Bytes> key;
  std::optional<Bytes> value;
  std::vector<Header> headers;
  std::optional<int64_t> timestamp;
};

struct RecordMetadata {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;     // -1 when unknown (acks=0)
  int64_t timestamp = -1;  // create time, or the broker's append time under LogAppendTime
  int32_t serialized_key_size = -1;
  int32_t serialized_value_size = -1;
  bool has_offset() const { return offset >= 0; }
};

using SendCallback = std::function<void(const RecordMetadata&, std::exception_ptr)>;

// A custom partitioner (Kafka's Partitioner): picks the partition of a record without an explicit
// one. key and value are null for null keys/values. Must return a partition in [0, partitions).
class Partitioner {
 public:
  virtual ~Partitioner() = default;
  virtual int32_t partition(const std::string& topic, const Bytes* key, const Bytes* value, int32_t partitions) = 0;
};

// Kafka's murmur2 (Utils.murmur2) and the built-in partitioner's choice for a key:
// toPositive(murmur2(key)) % partitions.
int32_t murmur2(const uint8_t* data, size_t size);
int32_t partition_for_key(const Bytes& key, int32_t partitions);

struct PartitionInfo {
  std::string topic;
  int32_t partition = 0;
  int32_t leader = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> in_sync_replicas;
};

// The producer over bytes; Producer<K, V> adds serializers in front of it.
class ByteProducer {
 public:
  explicit ByteProducer(const Properties& props, std::shared_ptr<Partitioner> partitioner = nullptr);
  ~ByteProducer();  // close() with no timeout
  ByteProducer(const ByteProducer&) = delete;
  ByteProducer& operator=(const ByteProducer&) = delete;

  std::future<RecordMetadata> send(SerializedRecord record, SendCallback callback = {});
  // Makes every buffered record ready now and waits until all records sent before the call
  // completed (successfully or not).
  void flush();
  // Refuses new sends, waits up to timeout for buffered records, then fails what is left with
  // KafkaException("Producer is closed forcefully.") and stops the I/O thread.
  void close(std::chrono::milliseconds timeout = std::chrono::milliseconds::max());
  // The topic's partitions, waiting up to max.block.ms for its metadata.
  std::vector<PartitionInfo> partitions_for(const std::string& topic);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

template <typename K, typename V>
class Producer {
 public:
  // Serializers: the ones given, else key.serializer / value.serializer when set, else the
  // natural one for K and V (string, bytes, int16/32/64).
  explicit Producer(const Properties& props, std::shared_ptr<Serializer<K>> key_serializer = nullptr,
                    std::shared_ptr<Serializer<V>> value_serializer = nullptr,
                    std::shared_ptr<Partitioner> partitioner = nullptr)
      : key_serializer_(pick(props, "key.serializer", std::move(key_serializer))),
        value_serializer_(pick(props, "value.serializer", std::move(value_serializer))),
        producer_(props, std::move(partitioner)) {}

  std::future<RecordMetadata> send(const ProducerRecord<K, V>& record, SendCallback callback = {}) {
    SerializedRecord out{record.topic, record.partition, std::nullopt, std::nullopt, record.headers, record.timestamp};
    if (record.key) out.key = serialize(*key_serializer_, record.topic, *record.key, "key");
    if (record.value) out.value = serialize(*value_serializer_, record.topic, *record.value, "value");
    return producer_.send(std::move(out), std::move(callback));
  }
  void flush() { producer_.flush(); }
  void close(std::chrono::milliseconds timeout = std::chrono::milliseconds::max()) { producer_.close(timeout); }
  std::vector<PartitionInfo> partitions_for(const std::string& topic) { return producer_.partitions_for(topic); }

 private:
  template <typename T>
  static std::shared_ptr<Serializer<T>> pick(const Properties& props, const std::string& key,
                                             std::shared_ptr<Serializer<T>> given) {
    if (given) return given;
    auto it = props.find(key);
    if (it != props.end()) {
      auto named = serializer_for_class<T>(it->second);
      if (!named) throw ConfigException(key, it->second, "Class " + it->second + " cannot serialize this producer's type");
      return named;
    }
    auto natural = default_serializer<T>();
    if (!natural) throw ConfigException("Missing required configuration \"" + key + "\" which has no default value.");
    return natural;
  }
  template <typename T>
  static Bytes serialize(Serializer<T>& s, const std::string& topic, const T& data, const char* what) {
    try {
      return s.serialize(topic, data);
    } catch (const SerializationException&) {
      throw;
    } catch (const std::exception& e) {
      throw SerializationException(std::string("Can't serialize ") + what + " of record sent to topic " + topic +
                                   ": " + e.what());
    }
  }

  std::shared_ptr<Serializer<K>> key_serializer_;
  std::shared_ptr<Serializer<V>> value_serializer_;
  ByteProducer producer_;
};

}  // namespace gregor
