// The producer: an accumulator of per-partition batches filled by the callers' threads, and a
// sender on the network client's I/O thread that drains ready batches to partition leaders.
//
// Locking: one mutex guards the accumulator (queues, memory, sticky partitions, the in-flight
// bookkeeping the sender keeps per partition). Callers hold it only to append; the sender holds
// it to pick batches and to file their results. Futures and callbacks are completed outside it.
#include <algorithm>
#include <asio/steady_timer.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "client/builtin_partitioner.h"
#include "client/network_client.h"
#include "gregor/producer.h"
#include "protocol/generated/message/init_producer_id_request.h"
#include "protocol/generated/message/init_producer_id_response.h"
#include "protocol/generated/message/produce_request.h"
#include "protocol/generated/message/produce_response.h"
#include "record/batch_builder.h"

namespace gregor {

using client::Clock;
using client::NetworkClient;
using std::chrono::milliseconds;

namespace {

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

size_t varint_size(int64_t v) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  size_t n = 1;
  while (z >= 0x80) {
    z >>= 7;
    ++n;
  }
  return n;
}

// Kafka's upper bound of a record in a batch of its own (AbstractRecords.estimateSizeInBytesUpperBound):
// the batch header, the record's fixed overhead at its largest, and its fields.
size_t record_size_upper_bound(const SerializedRecord& r) {
  size_t n = 61 + 21;
  n += r.key ? varint_size(static_cast<int64_t>(r.key->size())) + r.key->size() : 1;
  n += r.value ? varint_size(static_cast<int64_t>(r.value->size())) + r.value->size() : 1;
  n += varint_size(static_cast<int64_t>(r.headers.size()));
  for (const Header& h : r.headers) {
    n += varint_size(static_cast<int64_t>(h.key.size())) + h.key.size();
    n += h.value ? varint_size(static_cast<int64_t>(h.value->size())) + h.value->size() : 1;
  }
  return n;
}

record::Compression compression_of(const std::string& name) {
  if (name == "gzip") return record::Compression::gzip;
  if (name == "snappy") return record::Compression::snappy;
  if (name == "lz4") return record::Compression::lz4;
  if (name == "zstd") return record::Compression::zstd;
  return record::Compression::none;
}

std::exception_ptr api_error(ErrorCode code, const std::string& message) {
  std::string text = message.empty() ? std::string(error_message(code)) : message;
  return std::make_exception_ptr(ApiException(static_cast<int16_t>(code), text));
}

struct TopicPartition {
  std::string topic;
  int32_t partition;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
  std::string str() const { return topic + "-" + std::to_string(partition); }
};

struct PendingRecord {
  int64_t timestamp;
  std::optional<Bytes> key;
  std::optional<Bytes> value;
  std::vector<Header> headers;
  std::promise<RecordMetadata> promise;
  SendCallback callback;
  size_t reserved;
};

struct Batch {
  TopicPartition tp;
  std::vector<PendingRecord> records;
  size_t size = 61;  // the batch header, then each record's estimate
  size_t reserved = 0;
  Clock::time_point created;
  bool sealed = false;  // drained once: no more appends
  bool in_flight = false;
  bool done = false;
  int attempts = 0;
  Clock::time_point retry_after{};
  int32_t base_sequence = -1;
  Bytes wire;
};
using BatchPtr = std::shared_ptr<Batch>;

struct PartitionState {
  std::deque<BatchPtr> queue;      // oldest first; sent in this order
  std::vector<BatchPtr> to_retry;  // failed while others were in flight: requeued once they are back
  int in_flight = 0;
  int32_t next_sequence = 0;
};

// A batch's outcome, applied to its records outside the lock.
struct Completion {
  BatchPtr batch;
  int64_t base_offset = -1;
  int64_t log_append_time = -1;
  std::exception_ptr error;
};

}  // namespace

class ByteProducer::Impl {
 public:
  Impl(const Properties& props, std::shared_ptr<Partitioner> partitioner);
  ~Impl() { close(milliseconds::max()); }

  std::future<RecordMetadata> send(SerializedRecord record, SendCallback callback);
  void flush();
  void close(milliseconds timeout);
  std::vector<PartitionInfo> partitions_for(const std::string& topic);

 private:
  std::shared_ptr<const client::Cluster> wait_for_topic(const std::string& topic, std::optional<int32_t> partition,
                                                        Clock::time_point deadline);
  int32_t choose_partition(const SerializedRecord& r, const client::TopicMetadata& topic);
  void wake();
  void run_sender();
  void init_producer_id(bool bump);
  void send_produce(int32_t node, std::vector<BatchPtr> batches);
  void handle_produce(int32_t node, const std::vector<BatchPtr>& batches,
                      client::Response<protocol::ProduceResponse> response);
  void retry_or_fail(BatchPtr b, ErrorCode code, const std::string& message, std::vector<Completion>& out);
  void release_partition(PartitionState& st);
  void finish(std::vector<Completion> completions);
  void arm_timer(Clock::time_point at);
  // flush and close wait for the I/O thread, so a callback (which runs there) cannot call them.
  void refuse_on_io_thread(const char* what) const {
    if (net_ && net_->on_io_thread())
      throw IllegalStateException(std::string("Cannot call ") + what + "() from a send callback: it would wait for itself");
  }
  bool expired(const Batch& b, Clock::time_point now) const { return now >= b.created + delivery_timeout_; }
  Completion expire(const BatchPtr& b, Clock::time_point now);

  // Settings.
  int16_t acks_ = -1;
  size_t batch_size_ = 16384;
  milliseconds linger_{5};
  int64_t buffer_memory_ = 33554432;
  milliseconds max_block_{60000};
  record::Compression compression_ = record::Compression::none;
  int32_t retries_ = INT32_MAX;
  milliseconds delivery_timeout_{120000};
  int32_t request_timeout_ms_ = 30000;
  int32_t max_in_flight_ = 5;
  int32_t max_request_size_ = 1048576;
  bool idempotent_ = true;
  bool round_robin_ = false;
  std::shared_ptr<Partitioner> partitioner_;

  std::unique_ptr<NetworkClient> net_;
  std::unique_ptr<asio::steady_timer> timer_;  // I/O thread
  Clock::time_point timer_at_ = Clock::time_point::max();

  std::mutex mu_;
  std::condition_variable memory_freed_;
  std::condition_variable completed_;
  int64_t used_memory_ = 0;
  std::map<TopicPartition, PartitionState> partitions_;
  std::set<BatchPtr> incomplete_;
  int flushing_ = 0;
  bool closed_ = false;
  bool closing_ = false;
  std::unique_ptr<client::BuiltInPartitioner> builtin_;
  std::map<std::string, uint32_t> round_robin_counters_;
  std::atomic<bool> wake_pending_{false};

  // Idempotence (I/O thread).
  int64_t producer_id_ = -1;
  int16_t producer_epoch_ = -1;
  bool init_in_flight_ = false;
  bool bump_needed_ = false;
  int init_failures_ = 0;
  Clock::time_point init_retry_at_{};
};

ByteProducer::Impl::Impl(const Properties& props, std::shared_ptr<Partitioner> partitioner)
    : partitioner_(std::move(partitioner)) {
  ConfigValues c = producer_config_def().parse(props);
  client::ClientOptions options = client::ClientOptions::from(c);
  const std::string acks = c.get_string("acks");
  acks_ = acks == "all" || acks == "ALL" || acks == "-1" ? -1 : static_cast<int16_t>(std::stoi(acks));
  batch_size_ = static_cast<size_t>(std::max(1, c.get_int("batch.size")));
  linger_ = milliseconds(c.get_long("linger.ms"));
  buffer_memory_ = c.get_long("buffer.memory");
  max_block_ = milliseconds(c.get_long("max.block.ms"));
  compression_ = compression_of(c.get_string("compression.type"));
  retries_ = c.get_int("retries");
  request_timeout_ms_ = c.get_int("request.timeout.ms");
  max_in_flight_ = c.get_int("max.in.flight.requests.per.connection");
  max_request_size_ = c.get_int("max.request.size");
  builtin_ = std::make_unique<client::BuiltInPartitioner>(batch_size_, c.get_bool("partitioner.ignore.keys"));

  // ProducerConfig's idempotence rules: explicit idempotence with a conflicting setting is an
  // error; the default gives way to it.
  const bool explicit_idempotence = c.originally_set("enable.idempotence") && c.get_bool("enable.idempotence");
  idempotent_ = c.get_bool("enable.idempotence");
  if (explicit_idempotence) {
    if (acks_ != -1)
      throw ConfigException("Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.");
    if (max_in_flight_ > 5)
      throw ConfigException("To use the idempotent producer, max.in.flight.requests.per.connection must be set to at most 5. Current value is " +
                            std::to_string(max_in_flight_) + ".");
    if (retries_ == 0) throw ConfigException("Must set retries to non-zero when using the idempotent producer.");
  } else if (idempotent_ && (acks_ != -1 || max_in_flight_ > 5 || (c.originally_set("retries") && retries_ == 0))) {
    idempotent_ = false;
  }
  if (c.get_optional_string("transactional.id"))
    throw ConfigException("transactional.id", *c.get_optional_string("transactional.id"),
                          "transactional producers are not supported by this client yet");

  // delivery.timeout.ms bounds a record's whole life: at least linger.ms + request.timeout.ms.
  const int64_t floor = c.get_long("linger.ms") + c.get_int("request.timeout.ms");
  if (c.get_int("delivery.timeout.ms") < floor) {
    if (c.originally_set("delivery.timeout.ms"))
      throw ConfigException("delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms");
    delivery_timeout_ = milliseconds(floor);
  } else {
    delivery_timeout_ = milliseconds(c.get_int("delivery.timeout.ms"));
  }

  if (auto cls = c.get_optional_string("partitioner.class")) {
    if (*cls == "org.apache.kafka.clients.producer.RoundRobinPartitioner" || *cls == "RoundRobinPartitioner") {
      round_robin_ = true;
    } else if (!partitioner_) {
      throw ConfigException("partitioner.class", *cls, "Class " + *cls + " cannot be found");
    }
  }

  net_ = std::make_unique<NetworkClient>(options);
  timer_ = std::make_unique<asio::steady_timer>(net_->io());
  auto on_metadata = [this] { run_sender(); };
  auto setup = [this, on_metadata] { net_->on_metadata(on_metadata); };
  net_->post(setup);
}

std::shared_ptr<const client::Cluster> ByteProducer::Impl::wait_for_topic(const std::string& topic,
                                                                          std::optional<int32_t> partition,
                                                                          Clock::time_point deadline) {
  auto known = [&](const client::Cluster& c) {
    const client::TopicMetadata* t = c.topic(topic);
    if (!t) return false;
    if (t->error != ErrorCode::none && !is_retriable(t->error)) return true;
    if (t->partitions.empty()) return false;
    return !partition || *partition < static_cast<int32_t>(t->partitions.size());
  };
  auto cluster = net_->cluster();
  if (!known(*cluster)) {
    auto add = [this, topic] { net_->add_topics({topic}); };
    net_->post(add);
    bool ok = false;
    std::tie(cluster, ok) = net_->await_cluster(known, deadline);
    if (!ok) {
      const client::TopicMetadata* t = cluster->topic(topic);
      if (partition && t && !t->partitions.empty())
        throw TimeoutException("Partition " + std::to_string(*partition) + " of topic " + topic +
                               " with partition count " + std::to_string(t->partitions.size()) +
                               " is not present in metadata after " + std::to_string(max_block_.count()) + " ms.");
      throw TimeoutException("Topic " + topic + " not present in metadata after " + std::to_string(max_block_.count()) +
                             " ms.");
    }
  }
  const client::TopicMetadata* t = cluster->topic(topic);
  if (t->error != ErrorCode::none && !is_retriable(t->error)) {
    throw ApiException(static_cast<int16_t>(t->error),
                       std::string(error_name(t->error)) + ": " + std::string(error_message(t->error)) + " (topic " + topic + ")");
  }
  return cluster;
}

int32_t ByteProducer::Impl::choose_partition(const SerializedRecord& r, const client::TopicMetadata& topic) {
  const int32_t count = static_cast<int32_t>(topic.partitions.size());
  if (r.partition) return *r.partition;
  if (partitioner_) {
    int32_t p = partitioner_->partition(r.topic, r.key ? &*r.key : nullptr, r.value ? &*r.value : nullptr, count);
    if (p < 0 || p >= count)
      throw KafkaException("The partitioner returned partition " + std::to_string(p) + " for topic " + r.topic +
                           " with " + std::to_string(count) + " partitions");
    return p;
  }
  if (round_robin_) return static_cast<int32_t>(round_robin_counters_[r.topic]++ % static_cast<uint32_t>(count));
  auto has_leader = [&topic](int32_t p) { return topic.partitions[p].leader >= 0; };
  return builtin_->partition(r.topic, r.key ? &*r.key : nullptr, count, has_leader);
}

std::future<RecordMetadata> ByteProducer::Impl::send(SerializedRecord record, SendCallback callback) {
  {
    std::lock_guard lock(mu_);
    if (closed_) throw IllegalStateException("Cannot perform operation after producer has been closed");
  }
  const auto start = Clock::now();
  const auto deadline = max_block_ >= milliseconds(INT64_MAX / 4) ? Clock::time_point::max() : start + max_block_;
  std::promise<RecordMetadata> promise;
  auto future = promise.get_future();
  const size_t size = record_size_upper_bound(record);
  const int32_t key_size = record.key ? static_cast<int32_t>(record.key->size()) : -1;
  const int32_t value_size = record.value ? static_cast<int32_t>(record.value->size()) : -1;
  auto failed = [&](std::exception_ptr e, int32_t partition) {
    RecordMetadata m{record.topic, partition, -1, -1, key_size, value_size};
    promise.set_exception(e);
    if (callback) callback(m, e);
    return std::move(future);
  };
  try {
    if (size > static_cast<size_t>(max_request_size_))
      throw RecordTooLargeException("The message is " + std::to_string(size) +
                                    " bytes when serialized which is larger than " + std::to_string(max_request_size_) +
                                    ", which is the value of the max.request.size configuration.");
    if (static_cast<int64_t>(size) > buffer_memory_)
      throw RecordTooLargeException("The message is " + std::to_string(size) +
                                    " bytes when serialized which is larger than the total memory buffer you have "
                                    "configured with the buffer.memory configuration.");
    auto cluster = wait_for_topic(record.topic, record.partition, deadline);
    const client::TopicMetadata& topic = *cluster->topic(record.topic);
    std::unique_lock lock(mu_);
    const int32_t partition = choose_partition(record, topic);
    // buffer.memory: wait (up to what is left of max.block.ms) for completed batches to free it.
    while (used_memory_ + static_cast<int64_t>(size) > buffer_memory_ && !closed_) {
      if (memory_freed_.wait_until(lock, deadline) == std::cv_status::timeout &&
          used_memory_ + static_cast<int64_t>(size) > buffer_memory_) {
        throw TimeoutException("Failed to allocate " + std::to_string(size) +
                               " bytes within the configured max blocking time " + std::to_string(max_block_.count()) +
                               " ms. Total memory: " + std::to_string(buffer_memory_) + " bytes. Available memory: " +
                               std::to_string(buffer_memory_ - used_memory_) + " bytes. Poolable size: " +
                               std::to_string(batch_size_) + " bytes");
      }
    }
    if (closed_) throw IllegalStateException("Cannot perform operation after producer has been closed");
    used_memory_ += static_cast<int64_t>(size);
    TopicPartition tp{record.topic, partition};
    PartitionState& st = partitions_[tp];
    const size_t in_batch = size - 61;
    bool wake_now = false;
    if (st.queue.empty() || st.queue.back()->sealed || st.queue.back()->size + in_batch > batch_size_) {
      auto b = std::make_shared<Batch>();
      b->tp = tp;
      b->created = Clock::now();
      wake_now = !st.queue.empty();  // the previous batch is full
      st.queue.push_back(b);
      incomplete_.insert(b);
      if (st.queue.size() == 1) wake_now = true;  // its linger timer starts now
    }
    Batch& b = *st.queue.back();
    b.size += in_batch;
    b.reserved += size;
    b.records.push_back(PendingRecord{record.timestamp.value_or(wall_clock_ms()), std::move(record.key),
                                      std::move(record.value), std::move(record.headers), std::move(promise),
                                      std::move(callback), size});
    builtin_->appended(tp.topic, tp.partition, in_batch);
    if (b.size >= batch_size_) wake_now = true;
    lock.unlock();
    if (wake_now) wake();
    return future;
  } catch (const IllegalStateException&) {
    throw;
  } catch (const KafkaException&) {
    return failed(std::current_exception(), record.partition.value_or(-1));
  }
}

void ByteProducer::Impl::wake() {
  if (wake_pending_.exchange(true)) return;
  auto run = [this] {
    wake_pending_ = false;
    run_sender();
  };
  net_->post(run);
}

void ByteProducer::Impl::arm_timer(Clock::time_point at) {
  if (at >= timer_at_ && timer_at_ > Clock::now()) return;
  timer_at_ = at;
  timer_->expires_at(at);
  timer_->async_wait([this](std::error_code ec) {
    if (ec) return;
    timer_at_ = Clock::time_point::max();
    run_sender();
  });
}

Completion ByteProducer::Impl::expire(const BatchPtr& b, Clock::time_point now) {
  const auto age = std::chrono::duration_cast<milliseconds>(now - b->created).count();
  return Completion{b, -1, -1,
                    std::make_exception_ptr(TimeoutException(
                        "Expiring " + std::to_string(b->records.size()) + " record(s) for " + b->tp.str() + ":" +
                        std::to_string(age) + " ms has passed since batch creation"))};
}

void ByteProducer::Impl::run_sender() {
  if (net_->stopped()) return;
  if (idempotent_ && !init_in_flight_) {
    if (producer_id_ < 0 || bump_needed_) {
      int in_flight = 0;
      {
        std::lock_guard lock(mu_);
        for (auto& [tp, st] : partitions_) in_flight += st.in_flight;
      }
      // An epoch bump waits for every request in flight, whose sequences it resets.
      if (in_flight == 0 && Clock::now() >= init_retry_at_) init_producer_id(bump_needed_);
      else if (in_flight == 0) arm_timer(init_retry_at_);
    }
  }
  const auto now = Clock::now();
  std::vector<Completion> completions;
  std::map<int32_t, std::vector<BatchPtr>> by_node;
  Clock::time_point next_wake = Clock::time_point::max();
  auto cluster = net_->cluster();
  bool need_metadata = false;
  {
    std::lock_guard lock(mu_);
    const bool hurry = flushing_ > 0 || closing_;
    const bool can_send = !idempotent_ || (producer_id_ >= 0 && !bump_needed_ && !init_in_flight_);
    std::map<int32_t, size_t> request_bytes;
    for (auto& [tp, st] : partitions_) {
      // Delivery timeout for batches not in flight.
      for (auto it = st.queue.begin(); it != st.queue.end();) {
        if ((*it)->done) {  // failed by a forced close
          it = st.queue.erase(it);
        } else if (expired(**it, now)) {
          if (idempotent_ && (*it)->base_sequence >= 0) bump_needed_ = true;  // a gap in the sequence
          completions.push_back(expire(*it, now));
          it = st.queue.erase(it);
        } else {
          ++it;
        }
      }
      if (st.queue.empty()) continue;
      const BatchPtr& front = st.queue.front();
      next_wake = std::min(next_wake, front->created + delivery_timeout_);
      if (!can_send || !st.to_retry.empty()) continue;
      if (idempotent_ && st.in_flight >= max_in_flight_) continue;
      const bool full = st.queue.size() > 1 || front->size >= batch_size_;
      const auto linger_done = front->created + linger_;
      if (!full && !hurry && now < linger_done) {
        next_wake = std::min(next_wake, linger_done);
        continue;
      }
      if (front->retry_after > now) {
        next_wake = std::min(next_wake, front->retry_after);
        continue;
      }
      const int32_t leader = cluster->leader(tp.topic, tp.partition);
      if (leader < 0) {
        need_metadata = true;
        continue;
      }
      if (net_->backing_off(leader)) {
        next_wake = std::min(next_wake, now + milliseconds(50));
        continue;
      }
      if (static_cast<int32_t>(net_->in_flight(leader)) >= max_in_flight_ && !by_node.count(leader)) continue;
      size_t& bytes = request_bytes[leader];
      if (bytes > 0 && bytes + front->size > static_cast<size_t>(max_request_size_)) continue;
      bytes += front->size;
      BatchPtr b = front;
      st.queue.pop_front();
      b->sealed = true;
      b->in_flight = true;
      ++b->attempts;
      if (idempotent_ && b->base_sequence < 0) {
        b->base_sequence = st.next_sequence;
        st.next_sequence += static_cast<int32_t>(b->records.size());
      }
      ++st.in_flight;
      by_node[leader].push_back(b);
    }
  }
  if (need_metadata) {
    net_->request_metadata_update();
    next_wake = std::min(next_wake, now + milliseconds(100));
  }
  for (auto& [node, batches] : by_node) send_produce(node, std::move(batches));
  if (next_wake != Clock::time_point::max()) arm_timer(next_wake);
  finish(std::move(completions));
}

void ByteProducer::Impl::init_producer_id(bool bump) {
  init_in_flight_ = true;
  protocol::InitProducerIdRequest request;
  request.transactional_id = std::nullopt;
  request.transaction_timeout_ms = 60000;
  protocol::VersionRange versions = protocol::InitProducerIdRequest::kValidVersions;
  if (bump && producer_id_ >= 0) {
    // KIP-360: name the current id and epoch (v3+) so the broker bumps the epoch.
    request.producer_id = producer_id_;
    request.producer_epoch = producer_epoch_;
    versions.lo = 3;
  }
  auto done = [this](client::Response<protocol::InitProducerIdResponse> r) {
    init_in_flight_ = false;
    const ErrorCode code = r.ok() ? static_cast<ErrorCode>(r.body.error_code) : r.error;
    if (code != ErrorCode::none) {
      ++init_failures_;
      init_retry_at_ = Clock::now() + milliseconds(std::min<int64_t>(100LL << std::min(init_failures_, 4), 1000));
      if (!is_retriable(code) && code != ErrorCode::network_exception && r.ok()) {
        // Nothing can be sent without an id: fail what waits.
        std::vector<Completion> completions;
        {
          std::lock_guard lock(mu_);
          for (auto& [tp, st] : partitions_) {
            for (auto& b : st.queue) completions.push_back(Completion{b, -1, -1, api_error(code, "")});
            st.queue.clear();
          }
        }
        finish(std::move(completions));
      }
      arm_timer(init_retry_at_);
      return;
    }
    init_failures_ = 0;
    producer_id_ = r.body.producer_id;
    producer_epoch_ = r.body.producer_epoch;
    if (bump_needed_) {
      // A new epoch starts every partition's sequence at 0; batches not yet acknowledged are
      // numbered again when they are sent.
      std::lock_guard lock(mu_);
      for (auto& [tp, st] : partitions_) {
        st.next_sequence = 0;
        for (auto& b : st.queue) b->base_sequence = -1;
      }
      bump_needed_ = false;
    }
    run_sender();
  };
  net_->send<protocol::InitProducerIdResponse>(net_->least_loaded_node(), std::move(request),
                                               std::function<void(client::Response<protocol::InitProducerIdResponse>)>(done),
                                               versions);
}

void ByteProducer::Impl::send_produce(int32_t node, std::vector<BatchPtr> batches) {
  protocol::ProduceRequest request;
  request.acks = acks_;
  request.timeout_ms = request_timeout_ms_;
  std::vector<Completion> failures;
  std::vector<BatchPtr> sent;
  for (const BatchPtr& b : batches) {
    record::BatchOptions options;
    options.compression = compression_;
    if (idempotent_) {
      options.producer_id = producer_id_;
      options.producer_epoch = producer_epoch_;
      options.base_sequence = b->base_sequence;
    }
    record::RecordBatchBuilder builder(options);
    for (const PendingRecord& r : b->records) {
      std::vector<record::Header> headers;
      headers.reserve(r.headers.size());
      for (const Header& h : r.headers)
        headers.push_back(record::Header{h.key, h.value ? std::optional<BytesView>(BytesView(*h.value)) : std::nullopt});
      builder.append(r.timestamp, r.key ? std::optional<BytesView>(BytesView(*r.key)) : std::nullopt,
                     r.value ? std::optional<BytesView>(BytesView(*r.value)) : std::nullopt, headers);
    }
    b->wire.clear();
    if (auto error = builder.finish(b->wire)) {
      failures.push_back(Completion{b, -1, -1, std::make_exception_ptr(KafkaException("Cannot build the record batch: " + *error))});
      continue;
    }
    auto topic = std::find_if(request.topic_data.begin(), request.topic_data.end(),
                              [&](const auto& t) { return t.name == b->tp.topic; });
    if (topic == request.topic_data.end()) {
      request.topic_data.emplace_back();
      topic = std::prev(request.topic_data.end());
      topic->name = b->tp.topic;
    }
    protocol::ProduceRequest::PartitionProduceData data;
    data.index = b->tp.partition;
    data.records = BytesView(b->wire);
    topic->partition_data.push_back(std::move(data));
    sent.push_back(b);
  }
  if (!failures.empty()) {
    std::lock_guard lock(mu_);
    for (auto& f : failures) release_partition(partitions_[f.batch->tp]);
  }
  finish(std::move(failures));
  if (sent.empty()) return;
  auto done = [this, node, sent](client::Response<protocol::ProduceResponse> r) {
    handle_produce(node, sent, std::move(r));
  };
  // Produce v3 is the first with record batches v2; acks=0 gets no response.
  net_->send<protocol::ProduceResponse>(node, std::move(request),
                                        std::function<void(client::Response<protocol::ProduceResponse>)>(done),
                                        protocol::VersionRange{3, 11}, acks_ != 0);
}

void ByteProducer::Impl::release_partition(PartitionState& st) {
  --st.in_flight;
  if (st.in_flight == 0 && !st.to_retry.empty()) {
    // Everything sent after the failed batches is back: send them again, in sequence order.
    std::stable_sort(st.to_retry.begin(), st.to_retry.end(),
              [](const BatchPtr& a, const BatchPtr& b) { return a->base_sequence < b->base_sequence; });
    st.queue.insert(st.queue.begin(), st.to_retry.begin(), st.to_retry.end());
    st.to_retry.clear();
  }
}

void ByteProducer::Impl::retry_or_fail(BatchPtr b, ErrorCode code, const std::string& message,
                                       std::vector<Completion>& out) {
  const auto now = Clock::now();
  PartitionState& st = partitions_[b->tp];
  b->in_flight = false;
  const bool sequence_error = code == ErrorCode::out_of_order_sequence_number || code == ErrorCode::unknown_producer_id ||
                              code == ErrorCode::invalid_producer_epoch;
  const bool retriable = is_retriable(code) || code == ErrorCode::network_exception || (idempotent_ && sequence_error);
  if (b->done) {
  } else if (retriable && b->attempts <= retries_ && !expired(*b, now)) {
    // With idempotence, OUT_OF_ORDER_SEQUENCE_NUMBER for the oldest batch in flight, or an
    // unknown producer id, means the broker lost our sequence: bump the epoch, as Kafka's
    // producer does, and send again numbered from 0. For a later batch it only follows an
    // earlier failure, and a retry in order fixes it.
    if (idempotent_ && sequence_error) {
      bool oldest = true;
      for (const auto& other : st.to_retry)
        if (other->base_sequence < b->base_sequence) oldest = false;
      if (oldest || code != ErrorCode::out_of_order_sequence_number) bump_needed_ = true;
    }
    auto backoff = milliseconds(std::min<int64_t>(
        net_->options().retry_backoff.count() << std::min(b->attempts - 1, 10), net_->options().retry_backoff_max.count()));
    b->retry_after = now + backoff;
    st.to_retry.push_back(b);
  } else if (retriable && expired(*b, now)) {
    if (idempotent_) bump_needed_ = true;
    out.push_back(expire(b, now));
  } else {
    if (idempotent_ && b->base_sequence >= 0) bump_needed_ = true;
    out.push_back(Completion{b, -1, -1, api_error(code, message)});
  }
  release_partition(st);
}

void ByteProducer::Impl::handle_produce(int32_t node, const std::vector<BatchPtr>& batches,
                                        client::Response<protocol::ProduceResponse> response) {
  std::vector<Completion> completions;
  bool refresh = false;
  {
    std::lock_guard lock(mu_);
    if (!response.ok()) {
      refresh = true;
      for (const BatchPtr& b : batches) retry_or_fail(b, response.error, response.message, completions);
    } else if (acks_ == 0) {
      for (const BatchPtr& b : batches) {
        b->in_flight = false;
        completions.push_back(Completion{b, -1, -1, nullptr});
        release_partition(partitions_[b->tp]);
      }
    } else {
      for (const BatchPtr& b : batches) {
        const protocol::ProduceResponse::PartitionProduceResponse* found = nullptr;
        for (const auto& t : response.body.responses) {
          if (t.name != b->tp.topic) continue;
          for (const auto& p : t.partition_responses)
            if (p.index == b->tp.partition) found = &p;
        }
        if (!found) {
          retry_or_fail(b, ErrorCode::network_exception, "the response did not answer for " + b->tp.str(), completions);
          continue;
        }
        ErrorCode code = static_cast<ErrorCode>(found->error_code);
        if (code == ErrorCode::none || code == ErrorCode::duplicate_sequence_number) {
          b->in_flight = false;
          completions.push_back(Completion{b, code == ErrorCode::none ? found->base_offset : -1,
                                           found->log_append_time_ms, nullptr});
          release_partition(partitions_[b->tp]);
          continue;
        }
        if (code == ErrorCode::not_leader_or_follower || code == ErrorCode::unknown_topic_or_partition ||
            code == ErrorCode::leader_not_available || code == ErrorCode::kafka_storage_error)
          refresh = true;
        std::string message = found->error_message.value_or("");
        if (message.empty()) message = std::string(error_name(code)) + ": " + std::string(error_message(code));
        retry_or_fail(b, code, message, completions);
      }
    }
  }
  if (refresh) net_->request_metadata_update();
  finish(std::move(completions));
  run_sender();
}

void ByteProducer::Impl::finish(std::vector<Completion> completions) {
  if (completions.empty()) return;
  int64_t freed = 0;
  std::vector<BatchPtr> finished;
  {
    std::lock_guard lock(mu_);
    for (auto& c : completions) {
      if (c.batch->done) continue;
      c.batch->done = true;
      freed += static_cast<int64_t>(c.batch->reserved);
      incomplete_.erase(c.batch);
      finished.push_back(c.batch);
    }
  }
  for (auto& c : completions) {
    Batch& b = *c.batch;
    if (std::find(finished.begin(), finished.end(), c.batch) == finished.end()) continue;
    for (size_t i = 0; i < b.records.size(); ++i) {
      PendingRecord& r = b.records[i];
      RecordMetadata m;
      m.topic = b.tp.topic;
      m.partition = b.tp.partition;
      m.offset = c.error || c.base_offset < 0 ? -1 : c.base_offset + static_cast<int64_t>(i);
      m.timestamp = c.log_append_time >= 0 ? c.log_append_time : r.timestamp;
      m.serialized_key_size = r.key ? static_cast<int32_t>(r.key->size()) : -1;
      m.serialized_value_size = r.value ? static_cast<int32_t>(r.value->size()) : -1;
      if (r.callback) {
        try {
          r.callback(m, c.error);
        } catch (...) {
          // A callback's exception is the caller's bug; it must not stop the sender.
        }
      }
      if (c.error) r.promise.set_exception(c.error);
      else r.promise.set_value(std::move(m));
    }
    // Free the record bytes now; the batch object may outlive this in a request's capture.
    b.records.clear();
    b.records.shrink_to_fit();
  }
  {
    std::lock_guard lock(mu_);
    used_memory_ -= freed;
  }
  memory_freed_.notify_all();
  completed_.notify_all();
}

void ByteProducer::Impl::flush() {
  refuse_on_io_thread("flush");
  std::unique_lock lock(mu_);
  std::set<BatchPtr> waiting = incomplete_;
  ++flushing_;
  lock.unlock();
  wake();
  lock.lock();
  completed_.wait(lock, [&] {
    for (const auto& b : waiting)
      if (!b->done) return false;
    return true;
  });
  --flushing_;
}

void ByteProducer::Impl::close(milliseconds timeout) {
  refuse_on_io_thread("close");
  {
    std::unique_lock lock(mu_);
    if (closed_ && !net_) return;
    closed_ = true;
    closing_ = true;
  }
  memory_freed_.notify_all();
  if (!net_) return;
  wake();
  const auto deadline = timeout >= milliseconds(INT64_MAX / 4) ? Clock::time_point::max() : Clock::now() + timeout;
  {
    std::unique_lock lock(mu_);
    completed_.wait_until(lock, deadline, [&] { return incomplete_.empty(); });
  }
  // What is left fails, as Kafka's forced close fails it.
  auto abort_all = [this] {
    std::vector<Completion> completions;
    {
      std::lock_guard lock(mu_);
      for (const BatchPtr& b : incomplete_)
        completions.push_back(Completion{b, -1, -1, std::make_exception_ptr(KafkaException("Producer is closed forcefully."))});
    }
    finish(std::move(completions));
    timer_->cancel();
  };
  net_->post(abort_all);
  {
    std::unique_lock lock(mu_);
    completed_.wait(lock, [&] { return incomplete_.empty(); });
  }
  net_->stop();
  timer_.reset();
  net_.reset();
}

std::vector<PartitionInfo> ByteProducer::Impl::partitions_for(const std::string& topic) {
  {
    std::lock_guard lock(mu_);
    if (closed_) throw IllegalStateException("Cannot perform operation after producer has been closed");
  }
  auto cluster = wait_for_topic(topic, std::nullopt, Clock::now() + max_block_);
  std::vector<PartitionInfo> out;
  for (const auto& p : cluster->topic(topic)->partitions)
    out.push_back(PartitionInfo{topic, p.partition, p.leader, p.replicas, p.isr});
  return out;
}

ByteProducer::ByteProducer(const Properties& props, std::shared_ptr<Partitioner> partitioner)
    : impl_(std::make_unique<Impl>(props, std::move(partitioner))) {}
ByteProducer::~ByteProducer() = default;
std::future<RecordMetadata> ByteProducer::send(SerializedRecord record, SendCallback callback) {
  return impl_->send(std::move(record), std::move(callback));
}
void ByteProducer::flush() { impl_->flush(); }
void ByteProducer::close(milliseconds timeout) { impl_->close(timeout); }
std::vector<PartitionInfo> ByteProducer::partitions_for(const std::string& topic) { return impl_->partitions_for(topic); }

}  // namespace gregor
