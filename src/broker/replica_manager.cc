#include "broker/replica_manager.h"

#include <spdlog/spdlog.h>

namespace gregor::broker {

namespace {

ProduceResult produce_error(ErrorCode error, std::string message, std::vector<storage::RecordError> record_errors = {}) {
  ProduceResult r;
  r.error = error;
  r.message = std::move(message);
  r.record_errors = std::move(record_errors);
  return r;
}

}  // namespace

StatusOr<ReplicaManager::Partition*> ReplicaManager::make_leader(const TopicPartition& tp, const Uuid& topic_id,
                                                                 int32_t leader_epoch,
                                                                 const storage::LogConfig& config) {
  auto log = logs_.get_or_create(tp, topic_id, config);
  if (!log.ok()) return log.status();
  (*log)->update_config(config);
  Partition& p = partitions_[tp];
  p.log = *log;
  p.topic_id = topic_id;
  p.leader_epoch = leader_epoch;
  // The epoch starts at the log end, as Kafka's makeLeader records it: OffsetForLeaderEpoch then
  // knows the current epoch before anything is appended in it (nothing changes when it is the
  // latest epoch already).
  if (Status s = p.log->leader_epochs().assign(leader_epoch, p.log->log_end_offset()); !s.ok()) {
    spdlog::warn("[{}] could not record leader epoch {}: {}", tp.to_string(), leader_epoch, s.message());
  }
  // A single node is its whole ISR: what is durable is committed.
  advance_high_watermark(tp, p, p.log->durable_offset());
  return &p;
}

Status ReplicaManager::remove(const TopicPartition& tp) {
  stop_leading(tp);
  if (!logs_.get(tp)) return {};
  return logs_.remove(tp);
}

void ReplicaManager::stop_leading(const TopicPartition& tp) {
  partitions_.erase(tp);
  // Fetches waiting on it answer now, with the partition's new state.
  if (auto it = watches_.find(tp); it != watches_.end()) {
    std::vector<Watch> watches = std::move(it->second);
    watches_.erase(it);
    for (Watch& w : watches) w.fire();
  }
}

ReplicaManager::Partition* ReplicaManager::find(const TopicPartition& tp) {
  auto it = partitions_.find(tp);
  return it == partitions_.end() ? nullptr : &it->second;
}

ReplicaManager::Partition* ReplicaManager::leader_for(const TopicPartition& tp, int32_t current_leader_epoch,
                                                      ErrorCode& error) {
  Partition* p = find(tp);
  if (!p) {
    error = ErrorCode::not_leader_or_follower;
    return nullptr;
  }
  // A client that knows a newer epoch is ahead of this broker; one with an older epoch is stale.
  if (current_leader_epoch >= 0 && current_leader_epoch != p->leader_epoch) {
    error = current_leader_epoch < p->leader_epoch ? ErrorCode::fenced_leader_epoch : ErrorCode::unknown_leader_epoch;
    return nullptr;
  }
  return p;
}

std::vector<TopicPartition> ReplicaManager::partitions() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, p] : partitions_) out.push_back(tp);
  return out;
}

void ReplicaManager::produce(const TopicPartition& tp, std::span<uint8_t> records, int16_t acks,
                             std::function<void(ProduceResult)> done) {
  Partition* p = find(tp);
  if (!p) {
    done(produce_error(ErrorCode::not_leader_or_follower, "this broker does not lead " + tp.to_string()));
    return;
  }
  // min.insync.replicas against the ISR, which on a single node is this broker alone.
  if (acks == -1 && p->log->config().min_insync_replicas > 1) {
    done(produce_error(ErrorCode::not_enough_replicas,
                       "the ISR of " + tp.to_string() + " has 1 replica, fewer than min.insync.replicas (" +
                           std::to_string(p->log->config().min_insync_replicas) + ")"));
    return;
  }
  std::vector<storage::RecordError> record_errors;
  auto appended = p->log->append_as_leader(records, p->leader_epoch, &record_errors);
  if (!appended.ok()) {
    done(produce_error(appended.status().code(), appended.status().message(), std::move(record_errors)));
    return;
  }
  ProduceResult result;
  result.base_offset = appended->base_offset;
  result.log_append_time = appended->log_append_time;
  result.log_start_offset = appended->log_start_offset;
  const int64_t end = appended->last_offset + 1;
  if (!appended->sync_required) {
    // flush.messages relaxed: written means in the page cache, as in Kafka.
    advance_high_watermark(tp, *p, end);
    done(std::move(result));
    return;
  }
  storage::Log* log = p->log;
  p->log->when_durable(end, [this, tp, log, end, result = std::move(result), done = std::move(done)](Status s) mutable {
    Partition* now = find(tp);
    if (now && now->log == log && s.ok()) advance_high_watermark(tp, *now, end);
    if (!s.ok()) {
      result = produce_error(s.code() == ErrorCode::none ? ErrorCode::kafka_storage_error : s.code(), s.message());
    }
    done(std::move(result));
  });
}

FetchPartitionResult ReplicaManager::fetch(const TopicPartition& tp, int64_t offset, uint32_t max_bytes,
                                           bool follower, int32_t current_leader_epoch, bool min_one) {
  FetchPartitionResult r;
  Partition* p = leader_for(tp, current_leader_epoch, r.error);
  if (!p) return r;
  auto read = p->log->read(offset, max_bytes,
                           follower ? storage::ReadLimit::log_end : storage::ReadLimit::high_watermark, min_one);
  r.high_watermark = p->log->high_watermark();
  r.last_stable_offset = r.high_watermark;  // no transactions yet
  r.log_start_offset = p->log->log_start_offset();
  if (!read.ok()) {
    r.error = read.status().code();
    return r;
  }
  r.records = read->slice;
  return r;
}

ListOffsetResult ReplicaManager::list_offset(const TopicPartition& tp, int64_t timestamp, int32_t current_leader_epoch,
                                             bool follower) {
  ListOffsetResult r;
  Partition* p = leader_for(tp, current_leader_epoch, r.error);
  if (!p) return r;
  if (timestamp == storage::kLatestTimestamp) {
    r.offset = follower ? p->log->log_end_offset() : p->log->high_watermark();
    r.leader_epoch = p->log->leader_epochs().epoch_for_offset(r.offset - 1).value_or(p->leader_epoch);
    return r;
  }
  auto found = p->log->offset_for_timestamp(timestamp);
  if (!found.ok()) {
    r.error = found.status().code();
    return r;
  }
  if (*found) {
    // A consumer sees nothing past the high watermark.
    if (!follower && (*found)->offset > p->log->high_watermark()) return r;
    r.timestamp = (*found)->timestamp;
    r.offset = (*found)->offset;
    r.leader_epoch = (*found)->leader_epoch;
  }
  return r;
}

uint64_t ReplicaManager::watch(const TopicPartition& tp, int64_t offset, std::function<void()> fire) {
  Partition* p = find(tp);
  if (!p || p->log->high_watermark() > offset) {
    fire();
    return 0;
  }
  uint64_t id = next_watch_++;
  watches_[tp].push_back(Watch{id, std::move(fire)});
  return id;
}

void ReplicaManager::unwatch(const TopicPartition& tp, uint64_t id) {
  auto it = watches_.find(tp);
  if (it == watches_.end()) return;
  std::erase_if(it->second, [id](const Watch& w) { return w.id == id; });
  if (it->second.empty()) watches_.erase(it);
}

void ReplicaManager::advance_high_watermark(const TopicPartition& tp, Partition& p, int64_t to) {
  if (to <= p.log->high_watermark()) return;
  p.log->set_high_watermark(to);
  auto it = watches_.find(tp);
  if (it == watches_.end()) return;
  std::vector<Watch> watches = std::move(it->second);
  watches_.erase(it);
  for (Watch& w : watches) w.fire();
}

EpochEndOffsetResult ReplicaManager::end_offset_for_epoch(const TopicPartition& tp, int32_t current_leader_epoch,
                                                         int32_t leader_epoch) {
  EpochEndOffsetResult r;
  Partition* p = leader_for(tp, current_leader_epoch, r.error);
  if (!p) return r;
  auto [epoch, end] = p->log->leader_epochs().end_offset_for(leader_epoch, p->log->log_end_offset());
  if (end == storage::kUndefinedEpochOffset) return r;
  r.leader_epoch = epoch;
  r.end_offset = end;
  return r;
}

DeleteRecordsResult ReplicaManager::delete_records(const TopicPartition& tp, int64_t offset) {
  DeleteRecordsResult r;
  Partition* p = leader_for(tp, -1, r.error);
  if (!p) {
    r.message = "this broker does not lead " + tp.to_string();
    return r;
  }
  if (!p->log->config().cleanup_policy_delete) {
    r.error = ErrorCode::policy_violation;
    r.message = "records of partition " + tp.to_string() + " can not be deleted due to the configured policy";
    return r;
  }
  const int64_t target = offset == -1 ? p->log->high_watermark() : offset;
  if (target < 0) {
    r.error = ErrorCode::offset_out_of_range;
    r.message = "the offset " + std::to_string(target) + " for partition " + tp.to_string() + " is not valid";
    return r;
  }
  auto moved = p->log->delete_records_before(target);
  if (!moved.ok()) {
    r.error = moved.status().code() == ErrorCode::none ? ErrorCode::kafka_storage_error : moved.status().code();
    r.message = moved.status().message();
    return r;
  }
  // The low watermark is the smallest log start among the replicas: this one alone.
  r.low_watermark = *moved;
  return r;
}

std::vector<LogDirPartition> ReplicaManager::describe_logs(const std::vector<std::string>& log_dirs) const {
  std::vector<LogDirPartition> out;
  for (const TopicPartition& tp : logs_.partitions()) {
    const storage::Log* log = logs_.get(tp);
    if (!log) continue;
    for (const std::string& dir : log_dirs) {
      if (log->dir() != storage::join_path(dir, tp.to_string())) continue;
      // Kafka's offset lag of a current log: how far its end is behind the high watermark, never
      // negative, so 0 on a leader; -1 for a log this broker does not host as a replica.
      const bool hosted = partitions_.count(tp) > 0;
      out.push_back(LogDirPartition{tp, dir, static_cast<int64_t>(log->size_bytes()),
                                    hosted ? std::max<int64_t>(log->high_watermark() - log->log_end_offset(), 0) : -1});
      break;
    }
  }
  return out;
}

}  // namespace gregor::broker
