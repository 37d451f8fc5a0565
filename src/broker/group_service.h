// The group coordinators of one shard: a GroupCoordinator state machine (src/group) for every
// __consumer_offsets partition the shard leads, and the I/O around it. Loading replays the
// partition into a new coordinator, one read per turn of the loop (requests for it meanwhile get
// COORDINATOR_LOAD_IN_PROGRESS); an operation runs the state machine, appends the records it
// wrote as one batch, and sends every answer it produced once that batch and all before it are
// durable, in order. A deadline timer
// drives tick(). When the partition's log fails, the coordinator is dropped and loaded again from
// the log, so state that never became durable is never served. Lives on its shard's thread.
#pragma once

#include <asio/steady_timer.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "group/group_coordinator.h"

namespace gregor::broker {

class Broker;

inline constexpr const char* kOffsetsTopic = "__consumer_offsets";

struct GroupOptions {
  group::GroupConfig coordinator;
  int32_t offsets_partitions = 50;              // offsets.topic.num.partitions
  int16_t offsets_replication_factor = 3;       // offsets.topic.replication.factor
  int32_t offsets_segment_bytes = 104857600;    // offsets.topic.segment.bytes
  int32_t load_read_bytes = 5 * 1024 * 1024;    // offsets.load.buffer.size: one read of a load
};

class GroupService {
 public:
  GroupService(Broker& broker, unsigned shard, GroupOptions options);
  ~GroupService();

  // After the shard's partitions changed: loads the coordinators of the offsets partitions it now
  // leads and drops the others.
  void reconcile();
  // Drops every coordinator (the broker is stopping): waiting requests get NOT_COORDINATOR.
  void close();
  // Drops the coordinator of an offsets partition and loads it again from the log, as when its
  // leadership moves away and back; requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS.
  void reload(int32_t partition);
  bool loading(int32_t partition) const;

  // Runs op on the coordinator of an offsets partition and calls done (on this shard) with its
  // result once the records it wrote are durable; with NOT_COORDINATOR or
  // COORDINATOR_LOAD_IN_PROGRESS and R{} when there is no coordinator to run it, or the log failed.
  template <typename R>
  void run(int32_t partition, std::function<R(group::GroupCoordinator&, int64_t now)> op,
           std::function<void(ErrorCode, R)> done);

  // JoinGroup / SyncGroup: done gets the response when the group completes it, which can be much
  // later (a rebalance), or an error as run's.
  using Waiter = std::function<void(ErrorCode, group::GroupCoordinator::Reply*)>;
  void run_waiting(int32_t partition, std::function<void(group::GroupCoordinator&, group::RequestId, int64_t now)> op,
                   Waiter done);

  // ListGroups over every coordinator of the shard.
  struct ListedGroups {
    ErrorCode error = ErrorCode::none;
    std::vector<protocol::ListGroupsResponse::ListedGroup> groups;
  };
  ListedGroups list_groups(const std::vector<std::string>& states, const std::vector<std::string>& types) const;

  const GroupOptions& options() const { return options_; }

 private:
  struct Coordinator;

  Coordinator* ready(int32_t partition, ErrorCode& error);
  // What op produced: appends its records and queues its answers behind them.
  void settle(Coordinator& c, std::function<void(ErrorCode)> answer);
  void release(Coordinator& c);
  void arm_timer(Coordinator& c);
  void load(int32_t partition);
  void load_step(int32_t partition, const std::weak_ptr<bool>& alive);
  void fail(int32_t partition, const std::string& why);
  void drop(int32_t partition, ErrorCode error);
  static int64_t now_ms();

  Broker& broker_;
  unsigned shard_;
  GroupOptions options_;
  std::map<int32_t, std::unique_ptr<Coordinator>> coordinators_;
  uint64_t next_request_ = 1;
  uint64_t seed_;
};

struct GroupService::Coordinator {
  int32_t partition = 0;
  std::unique_ptr<group::GroupCoordinator> machine;
  std::unique_ptr<asio::steady_timer> timer;
  std::map<group::RequestId, Waiter> waiters;
  // Answers in call order, each sent once the log is durable up to its offset.
  struct Pending {
    int64_t durable_at;
    std::function<void(ErrorCode)> send;  // none: the answer; else the error that replaces it
  };
  std::deque<Pending> pending;
  int64_t written_end = 0;  // the end offset of the last batch appended
  int64_t durable_end = 0;  // how far the appends are durable
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  // While loading, the replay's progress; requests are refused until it reaches the log's end.
  bool loading = false;
  int64_t load_offset = 0;
  size_t loaded_records = 0;
};

template <typename R>
void GroupService::run(int32_t partition, std::function<R(group::GroupCoordinator&, int64_t now)> op,
                       std::function<void(ErrorCode, R)> done) {
  ErrorCode error = ErrorCode::none;
  Coordinator* c = ready(partition, error);
  if (!c) {
    done(error, R{});
    return;
  }
  auto result = std::make_shared<R>(op(*c->machine, now_ms()));
  settle(*c, [result, done](ErrorCode e) { done(e, e == ErrorCode::none ? std::move(*result) : R{}); });
}

}  // namespace gregor::broker
