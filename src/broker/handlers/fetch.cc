// Fetch: each partition is read on the shard that owns it, the shards in parallel; the log
// bytes go out by sendfile (respond_spliced). A fetch with less than fetch.min.bytes ready
// waits, up to fetch.max.wait.ms, for the high watermark of one of its partitions to move.
// Sessions (KIP-227) are not kept yet: every fetch is answered in full with session id 0, which
// tells a client asking for a session that none was created, and an incremental fetch in a
// session this broker does not know gets FETCH_SESSION_ID_NOT_FOUND.
#include <chrono>

#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/fetch_request.h"
#include "protocol/generated/message/fetch_response.h"

namespace gregor::broker {

namespace {

struct Target {
  size_t topic;
  size_t partition;
  TopicPartition tp;
  int64_t offset;
  int32_t max_bytes;
  int32_t current_leader_epoch;
};

using Clock = std::chrono::steady_clock;

// Reads every target on its shard, the shards in parallel; results in target order.
asio::awaitable<std::vector<FetchPartitionResult>> read_all(Broker& broker,
                                                            const std::vector<std::vector<size_t>>& per_shard,
                                                            const std::vector<Target>& targets, bool follower) {
  std::vector<asio::awaitable<std::vector<FetchPartitionResult>>> reads;
  std::vector<unsigned> shards;
  for (unsigned s = 0; s < per_shard.size(); ++s) {
    if (per_shard[s].empty()) continue;
    shards.push_back(s);
    reads.push_back(invoke_on(broker.shard(s), [&broker, s, indexes = &per_shard[s], &targets, follower] {
      std::vector<FetchPartitionResult> out;
      for (size_t i : *indexes) {
        const Target& t = targets[i];
        out.push_back(broker.replicas(s).fetch(t.tp, t.offset, static_cast<uint32_t>(std::max(t.max_bytes, 0)),
                                               follower, t.current_leader_epoch, true));
      }
      return out;
    }));
  }
  auto results = co_await when_all(std::move(reads));
  std::vector<FetchPartitionResult> ordered(targets.size());
  for (size_t k = 0; k < shards.size(); ++k) {
    const auto& indexes = per_shard[shards[k]];
    for (size_t j = 0; j < indexes.size(); ++j) ordered[indexes[j]] = std::move(results[k][j]);
  }
  co_return ordered;
}

// Waits until a target's high watermark moves past what was read, or the deadline.
asio::awaitable<void> wait_for_data(Broker& broker, const std::vector<std::vector<size_t>>& per_shard,
                                    const std::vector<Target>& targets, Clock::time_point deadline) {
  auto home = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(home, deadline);
  auto fire = [timer, home] { asio::post(home, [timer] { timer->cancel(); }); };
  std::vector<std::vector<uint64_t>> ids(per_shard.size());
  for (unsigned s = 0; s < per_shard.size(); ++s) {
    if (per_shard[s].empty()) continue;
    // A named lambda: GCC 12 can destroy a lambda temporary in a co_await expression twice,
    // which a capture with a destructor (fire's shared_ptr) does not survive.
    auto watch = [&broker, s, indexes = &per_shard[s], &targets, fire] {
      std::vector<uint64_t> out;
      for (size_t i : *indexes) out.push_back(broker.replicas(s).watch(targets[i].tp, targets[i].offset, fire));
      return out;
    };
    ids[s] = co_await invoke_on(broker.shard(s), watch);
  }
  std::error_code ignored;
  co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  for (unsigned s = 0; s < per_shard.size(); ++s) {
    if (per_shard[s].empty()) continue;
    co_await invoke_on(broker.shard(s), [&broker, s, indexes = &per_shard[s], &targets, &ids] {
      for (size_t j = 0; j < indexes->size(); ++j) {
        if (ids[s][j] != 0) broker.replicas(s).unwatch(targets[(*indexes)[j]].tp, ids[s][j]);
      }
      return true;
    });
  }
}

}  // namespace

asio::awaitable<HandlerResult> handle_fetch(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::FetchRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(std::max(request->max_wait_ms, 0));
  const int32_t replica = ctx.api_version >= 15 ? request->replica_state.replica_id : request->replica_id;
  const bool follower = replica >= 0;

  protocol::FetchResponse response;
  if (request->session_id != 0) {
    response.error_code = static_cast<int16_t>(ErrorCode::fetch_session_id_not_found);
    response.session_id = request->session_id;
    co_return respond(ctx, response);
  }

  std::vector<Target> targets;
  std::vector<std::vector<size_t>> per_shard(broker.shard_count());
  for (size_t t = 0; t < request->topics.size(); ++t) {
    const auto& topic = request->topics[t];
    auto& out = response.responses.emplace_back();
    out.topic = topic.topic;
    out.topic_id = topic.topic_id;
    for (size_t p = 0; p < topic.partitions.size(); ++p) {
      const auto& partition = topic.partitions[p];
      auto& r = out.partitions.emplace_back();
      r.partition_index = partition.partition;
      r.records = BytesView();
      TopicPartition tp{topic.topic, partition.partition};
      per_shard[shard_of(tp, static_cast<unsigned>(broker.shard_count()))].push_back(targets.size());
      targets.push_back(Target{t, p, tp, partition.fetch_offset, partition.partition_max_bytes,
                               ctx.api_version >= 9 ? partition.current_leader_epoch : -1});
    }
  }

  std::vector<FetchPartitionResult> results;
  for (;;) {
    results = co_await read_all(broker, per_shard, targets, follower);
    size_t ready = 0;
    bool errors = false;
    for (const FetchPartitionResult& r : results) {
      ready += r.records.size;
      errors |= r.error != ErrorCode::none;
    }
    if (errors || ready >= static_cast<size_t>(std::max(request->min_bytes, 0)) || Clock::now() >= deadline) break;
    co_await wait_for_data(broker, per_shard, targets, deadline);
  }

  // fetch.max.bytes over the whole response, in request order; the first partition with data
  // is sent whole even when larger, as Kafka does.
  std::vector<storage::FileSlice> slices;
  size_t budget = static_cast<size_t>(std::max(request->max_bytes, 0));
  bool sent_any = false;
  for (size_t i = 0; i < targets.size(); ++i) {
    const Target& t = targets[i];
    FetchPartitionResult& result = results[i];
    auto& r = response.responses[t.topic].partitions[t.partition];
    r.error_code = static_cast<int16_t>(result.error == ErrorCode::not_leader_or_follower
                                            ? ErrorCode::unknown_topic_or_partition
                                            : result.error);
    r.high_watermark = result.high_watermark;
    r.last_stable_offset = result.last_stable_offset;
    r.log_start_offset = result.log_start_offset;
    if (result.error != ErrorCode::none || result.records.size == 0) continue;
    if (sent_any && result.records.size > budget) continue;
    budget -= std::min<size_t>(budget, result.records.size);
    sent_any = true;
    r.records = BytesView::deferred(result.records.size);
    slices.push_back(result.records);
  }
  co_return respond_spliced(ctx, response, slices);
}

}  // namespace gregor::broker
