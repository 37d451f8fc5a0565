#include "broker/group_service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <random>

#include "broker/broker.h"
#include "record/batch_builder.h"
#include "record/record.h"
#include "storage/batch_reader.h"

namespace gregor::broker {

namespace {

// What a record of a loaded batch may take, uncompressed, at the least.
constexpr size_t kLoadRecordBytes = 5 * 1024 * 1024;

TopicPartition offsets_partition(int32_t p) { return TopicPartition{kOffsetsTopic, p}; }

}  // namespace

GroupService::GroupService(Broker& broker, unsigned shard, GroupOptions options)
    : broker_(broker), shard_(shard), options_(options), seed_(std::random_device{}()) {
  seed_ = (seed_ << 32) ^ std::random_device{}();
}

GroupService::~GroupService() = default;

int64_t GroupService::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void GroupService::reconcile() {
  ReplicaManager& replicas = broker_.replicas(shard_);
  std::set<int32_t> led;
  for (const TopicPartition& tp : replicas.partitions()) {
    if (tp.topic == kOffsetsTopic) led.insert(tp.partition);
  }
  for (auto it = coordinators_.begin(); it != coordinators_.end();) {
    const int32_t p = it->first;
    ++it;
    if (!led.count(p)) drop(p, ErrorCode::not_coordinator);
  }
  for (int32_t p : led) {
    if (!coordinators_.count(p)) load(p);
  }
}

void GroupService::close() {
  while (!coordinators_.empty()) drop(coordinators_.begin()->first, ErrorCode::not_coordinator);
}

void GroupService::load(int32_t partition) {
  ReplicaManager::Partition* p = broker_.replicas(shard_).find(offsets_partition(partition));
  if (!p) return;
  auto c = std::make_unique<Coordinator>();
  c->partition = partition;
  // What the coordinator writes at once must pass the partition's own max.message.bytes.
  group::GroupConfig config = options_.coordinator;
  config.max_record_batch_bytes = p->log->config().max_message_bytes;
  c->machine = std::make_unique<group::GroupCoordinator>(config, partition, seed_ + partition);
  c->timer = std::make_unique<asio::steady_timer>(broker_.shard(shard_).context());
  c->loading = true;
  Coordinator& placed = *(coordinators_[partition] = std::move(c));
  // The replay goes one read at a time, each its own turn of the shard's loop: requests for
  // this partition meanwhile get COORDINATOR_LOAD_IN_PROGRESS, everything else goes on.
  asio::post(broker_.shard(shard_).context(),
             [this, partition, alive = std::weak_ptr<bool>(placed.alive)] { load_step(partition, alive); });
}

void GroupService::load_step(int32_t partition, const std::weak_ptr<bool>& alive) {
  auto still = alive.lock();
  if (!still || !*still) return;  // dropped while loading
  Coordinator& c = *coordinators_.at(partition);
  ReplicaManager::Partition* p = broker_.replicas(shard_).find(offsets_partition(partition));
  if (!p) {
    drop(partition, ErrorCode::not_coordinator);
    return;
  }
  auto next = storage::for_each_batch_step(
      *p->log, c.load_offset, storage::ReadLimit::log_end, options_.load_read_bytes,
      [&](const record::RecordBatchView& batch) -> Status {
        if (batch.is_control()) return {};
        if (auto err = batch.verify_crc()) return Status(ErrorCode::corrupt_message, err->to_string());
        record::RecordReader reader(std::max<size_t>(batch.bytes().size() * 64, kLoadRecordBytes));
        if (auto err = reader.open(batch)) return Status(ErrorCode::corrupt_message, err->to_string());
        record::Record r;
        while (reader.next(r)) {
          if (!r.key) continue;  // Kafka skips keyless records here too
          if (Status s = c.machine->replay(*r.key, r.value); !s.ok()) return s;
          ++c.loaded_records;
        }
        if (!reader.ok()) return Status(ErrorCode::corrupt_message, reader.error().to_string());
        return {};
      });
  if (!next.ok()) {
    spdlog::error("loading {}-{}: {}", kOffsetsTopic, partition, next.status().message());
    drop(partition, ErrorCode::not_coordinator);  // requests get NOT_COORDINATOR; a later reconcile tries again
    return;
  }
  c.load_offset = *next;
  if (c.load_offset < p->log->log_end_offset()) {
    asio::post(broker_.shard(shard_).context(), [this, partition, alive] { load_step(partition, alive); });
    return;
  }
  c.machine->finish_loading(now_ms());
  c.loading = false;
  c.written_end = c.durable_end = p->log->log_end_offset();
  if (c.loaded_records > 0) {
    spdlog::info("loaded {}-{}: {} records, {} groups", kOffsetsTopic, partition, c.loaded_records,
                 c.machine->group_count());
  }
  arm_timer(c);
}

void GroupService::reload(int32_t partition) {
  drop(partition, ErrorCode::not_coordinator);
  load(partition);
}

bool GroupService::loading(int32_t partition) const {
  auto it = coordinators_.find(partition);
  return it != coordinators_.end() && it->second->loading;
}

void GroupService::drop(int32_t partition, ErrorCode error) {
  auto it = coordinators_.find(partition);
  if (it == coordinators_.end()) return;
  std::unique_ptr<Coordinator> c = std::move(it->second);
  coordinators_.erase(it);
  *c->alive = false;
  c->timer->cancel();
  for (auto& pending : c->pending) pending.send(error);
  for (auto& [id, waiter] : c->waiters) waiter(error, nullptr);
}

void GroupService::fail(int32_t partition, const std::string& why) {
  spdlog::error("the group coordinator of {}-{} stops: {}", kOffsetsTopic, partition, why);
  drop(partition, ErrorCode::not_coordinator);
  // Whatever the log kept is the truth: load it again, if the partition is still led here.
  load(partition);
}

GroupService::ListedGroups GroupService::list_groups(const std::vector<std::string>& states,
                                                     const std::vector<std::string>& types) const {
  ListedGroups out;
  for (const auto& [p, c] : coordinators_) {
    if (c->loading) {
      // As Kafka: a partition still loading makes the whole answer COORDINATOR_LOAD_IN_PROGRESS.
      out.error = ErrorCode::coordinator_load_in_progress;
      continue;
    }
    auto listed = c->machine->list_groups(states, types);
    out.groups.insert(out.groups.end(), std::make_move_iterator(listed.begin()), std::make_move_iterator(listed.end()));
  }
  return out;
}

GroupService::Coordinator* GroupService::ready(int32_t partition, ErrorCode& error) {
  auto it = coordinators_.find(partition);
  if (it == coordinators_.end()) {
    error = ErrorCode::not_coordinator;
    return nullptr;
  }
  if (it->second->loading) {
    error = ErrorCode::coordinator_load_in_progress;
    return nullptr;
  }
  return it->second.get();
}

void GroupService::run_waiting(int32_t partition,
                               std::function<void(group::GroupCoordinator&, group::RequestId, int64_t now)> op,
                               Waiter done) {
  ErrorCode error = ErrorCode::none;
  Coordinator* c = ready(partition, error);
  if (!c) {
    done(error, nullptr);
    return;
  }
  const group::RequestId id = next_request_++;
  c->waiters.emplace(id, std::move(done));
  op(*c->machine, id, now_ms());
  settle(*c, nullptr);
}

void GroupService::settle(Coordinator& c, std::function<void(ErrorCode)> answer) {
  std::vector<group::Record> records = c.machine->take_records();
  std::vector<group::GroupCoordinator::Reply> replies = c.machine->take_replies();
  if (!records.empty()) {
    const int64_t now = now_ms();
    record::RecordBatchBuilder builder(record::BatchOptions{});
    for (const group::Record& r : records) {
      builder.append(now, BytesView(r.key), r.value ? std::optional<BytesView>(BytesView(*r.value)) : std::nullopt);
    }
    auto batch = std::make_shared<Bytes>();
    if (auto err = builder.finish(*batch)) {
      fail(c.partition, "encoding its records: " + *err);
      if (answer) answer(ErrorCode::not_coordinator);
      return;
    }
    const int32_t partition = c.partition;
    std::shared_ptr<bool> alive = c.alive;
    Coordinator* target = &c;
    broker_.replicas(shard_).produce(
        offsets_partition(partition), std::span<uint8_t>(batch->data(), batch->size()), -1,
        [this, batch, partition, weak = std::weak_ptr<bool>(alive), target](ProduceResult result) {
          auto alive = weak.lock();
          if (!alive || !*alive) return;
          if (result.error != ErrorCode::none) {
            fail(partition, result.message);
            return;
          }
          release(*target);
        });
    if (!*alive) {
      // The append failed at once and the coordinator is gone (the drop answered its waiters).
      if (answer) answer(ErrorCode::not_coordinator);
      return;
    }
    if (ReplicaManager::Partition* p = broker_.replicas(shard_).find(offsets_partition(partition))) {
      c.written_end = p->log->log_end_offset();
    }
  }
  if (answer) c.pending.push_back(Coordinator::Pending{c.written_end, std::move(answer)});
  for (auto& reply : replies) {
    auto waiter = c.waiters.find(reply.id);
    if (waiter == c.waiters.end()) continue;
    auto shared = std::make_shared<group::GroupCoordinator::Reply>(std::move(reply));
    c.pending.push_back(Coordinator::Pending{
        c.written_end, [w = std::move(waiter->second), shared](ErrorCode e) {
          w(e, e == ErrorCode::none ? shared.get() : nullptr);
        }});
    c.waiters.erase(waiter);
  }
  release(c);
  arm_timer(c);
}

void GroupService::release(Coordinator& c) {
  // durable_end counts batches by their last offset + 1 only once the append is durable.
  if (ReplicaManager::Partition* p = broker_.replicas(shard_).find(offsets_partition(c.partition))) {
    c.durable_end = std::max(c.durable_end, std::min(p->log->durable_offset(), c.written_end));
  }
  std::shared_ptr<bool> alive = c.alive;
  while (!c.pending.empty() && c.pending.front().durable_at <= c.durable_end) {
    auto send = std::move(c.pending.front().send);
    c.pending.pop_front();
    send(ErrorCode::none);
    if (!*alive) return;  // an answer's continuation dropped the coordinator
  }
}

void GroupService::arm_timer(Coordinator& c) {
  std::optional<int64_t> next = c.machine->next_deadline();
  if (!next) {
    c.timer->cancel();
    return;
  }
  const int64_t wait = std::max<int64_t>(*next - now_ms(), 0);
  c.timer->expires_after(std::chrono::milliseconds(wait));
  std::weak_ptr<bool> alive = c.alive;
  Coordinator* target = &c;
  c.timer->async_wait([this, alive, target](std::error_code ec) {
    if (ec || alive.expired() || !*alive.lock()) return;
    target->machine->tick(now_ms());
    settle(*target, nullptr);
  });
}

}  // namespace gregor::broker
