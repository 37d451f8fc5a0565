// Fetch: each partition is read on the shard that owns it, the shards in parallel; the log
// bytes go out by sendfile (respond_spliced). A fetch with less than fetch.min.bytes ready
// waits, up to fetch.max.wait.ms, for the high watermark of one of its partitions to move.
//
// Fetch sessions (KIP-227, fetch_session.h): the session's cache decides what to read (the
// request's partitions, or a session's) and, once read, what the response lists. A session
// lives in the cache of the shard whose id range holds its id; a request for it from a
// connection on another shard goes there and back. From v13 topics are named by id, resolved
// with the shard's metadata image.
#include <chrono>

#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/generated/message/fetch_request.h"
#include "protocol/generated/message/fetch_response.h"

namespace gregor::broker {

namespace {

struct Target {
  size_t index;  // in the context's partitions
  TopicPartition tp;
  int64_t offset;
  int32_t max_bytes;
  int32_t current_leader_epoch;
};

using Clock = std::chrono::steady_clock;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

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
  // A watch fires at once when the high watermark moved between the read and the watch; the
  // flag keeps that wake-up, which comes before the wait starts, from being lost.
  struct Wake {
    asio::steady_timer timer;
    bool fired = false;
  };
  auto wake = std::make_shared<Wake>(Wake{asio::steady_timer(home, deadline)});
  auto fire = [wake, home] {
    asio::post(home, [wake] {
      wake->fired = true;
      wake->timer.cancel();
    });
  };
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
  if (!wake->fired) co_await wake->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
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

// The request's partitions and forgotten partitions, topic ids resolved to names (v13+).
struct SessionRequest {
  int16_t version;
  int32_t session_id;
  int32_t session_epoch;
  bool follower;
  std::vector<FetchPartitionRequest> partitions;
  std::vector<ForgottenPartition> forgotten;
};

std::string topic_name(Broker& broker, const Uuid& id) {
  if (!broker.metadata()) return {};
  const metadata::TopicImage* topic = broker.metadata()->image()->topic(id);
  return topic ? topic->name : std::string();
}

SessionRequest session_request(Broker& broker, const RequestContext& ctx, const protocol::FetchRequest& request) {
  const bool by_id = ctx.api_version >= 13;
  SessionRequest in;
  in.version = ctx.api_version;
  in.session_id = request.session_id;
  in.session_epoch = request.session_epoch;
  const int32_t replica = ctx.api_version >= 15 ? request.replica_state.replica_id : request.replica_id;
  in.follower = replica >= 0;
  for (const auto& topic : request.topics) {
    const std::string name = by_id ? topic_name(broker, topic.topic_id) : topic.topic;
    for (const auto& p : topic.partitions) {
      in.partitions.push_back(FetchPartitionRequest{by_id ? topic.topic_id : Uuid(), name, p.partition,
                                                    p.fetch_offset, p.log_start_offset, p.partition_max_bytes,
                                                    p.current_leader_epoch, p.last_fetched_epoch});
    }
  }
  for (const auto& topic : request.forgotten_topics_data) {
    const std::string name = by_id ? topic_name(broker, topic.topic_id) : topic.topic;
    for (int32_t partition : topic.partitions) {
      in.forgotten.push_back(ForgottenPartition{by_id ? topic.topic_id : Uuid(), name, partition});
    }
  }
  return in;
}

// Why a partition is answered without being read: its topic id or the partition is unknown.
ErrorCode unreadable(const metadata::MetadataImage* image, const FetchPartitionRequest& p) {
  if (p.topic.empty()) return ErrorCode::unknown_topic_id;
  if (!image) return ErrorCode::none;  // a broker without metadata: the replicas decide
  const metadata::TopicImage* topic = image->topic(p.topic);
  if (!topic || !topic->partition(p.partition)) return ErrorCode::unknown_topic_or_partition;
  return ErrorCode::none;
}

}  // namespace

asio::awaitable<HandlerResult> handle_fetch(Broker& broker, const RequestContext& ctx, BytesView body) {
  std::string why;
  auto request = decode_request<protocol::FetchRequest>(ctx, body, why);
  if (!request) co_return HandlerResult::close(why);
  const int16_t version = ctx.api_version;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(std::max(request->max_wait_ms, 0));
  const auto shard_count = static_cast<unsigned>(broker.shard_count());
  std::shared_ptr<const metadata::MetadataImage> image;
  if (broker.metadata()) image = broker.metadata()->image();

  // The session's context, made by the cache that holds the session the request names (an id
  // no shard hands out finds no session in the cache of this one).
  SessionRequest in = session_request(broker, ctx, *request);
  const unsigned owner = in.session_id == kInvalidSessionId
                             ? ctx.shard
                             : FetchSessionCache::shard_of_session(in.session_id, shard_count).value_or(ctx.shard);
  auto make_context = [&broker, owner, &in] {
    auto names = [&broker](const Uuid& id) { return topic_name(broker, id); };
    return broker.fetch_sessions(owner).new_context(in.version, in.session_id, in.session_epoch, in.follower,
                                                    std::move(in.partitions), in.forgotten, names, now_ms());
  };
  // Not a conditional expression around co_await: GCC 12 mishandles the temporaries of one.
  FetchContext context;
  if (owner == ctx.shard) {
    context = make_context();
  } else {
    context = co_await invoke_on(broker.shard(owner), make_context);
  }

  // The partitions to read, then those answered with an error without reading (Kafka's order).
  std::vector<size_t> order;
  std::vector<ErrorCode> errors(context.partitions.size(), ErrorCode::none);
  std::vector<Target> targets;
  std::vector<std::vector<size_t>> per_shard(shard_count);
  for (size_t i = 0; i < context.partitions.size(); ++i) {
    const FetchPartitionRequest& p = context.partitions[i];
    errors[i] = unreadable(image.get(), p);
    if (errors[i] != ErrorCode::none) continue;
    order.push_back(i);
    TopicPartition tp{p.topic, p.partition};
    per_shard[shard_of(tp, shard_count)].push_back(targets.size());
    targets.push_back(Target{i, tp, p.fetch_offset, p.max_bytes, version >= 9 ? p.current_leader_epoch : -1});
  }
  for (size_t i = 0; i < context.partitions.size(); ++i) {
    if (errors[i] != ErrorCode::none) order.push_back(i);
  }

  const int32_t max_bytes = std::min(request->max_bytes, broker.options().fetch_max_bytes);
  const int32_t min_bytes = std::min(request->min_bytes, max_bytes);
  std::vector<FetchPartitionResult> results;
  for (;;) {
    results = co_await read_all(broker, per_shard, targets, context.privileged);
    size_t ready = 0;
    bool failed = false;
    for (const FetchPartitionResult& r : results) {
      ready += r.records.size;
      failed |= r.error != ErrorCode::none;
    }
    if (targets.empty() || failed || ready >= static_cast<size_t>(std::max(min_bytes, 0)) || Clock::now() >= deadline) {
      break;
    }
    co_await wait_for_data(broker, per_shard, targets, deadline);
  }

  // fetch.max.bytes over the whole response, in reading order; the first partition with data
  // is sent whole even when larger, as Kafka does.
  std::vector<FetchPartitionResult> by_partition(context.partitions.size());
  for (size_t k = 0; k < targets.size(); ++k) by_partition[targets[k].index] = std::move(results[k]);
  std::vector<FetchPartitionOutcome> outcomes(context.partitions.size());
  size_t budget = static_cast<size_t>(std::max(max_bytes, 0));
  bool sent_any = false;
  for (size_t i : order) {
    FetchPartitionResult& result = by_partition[i];
    if (errors[i] != ErrorCode::none) {
      result.error = errors[i];
    } else if (result.error == ErrorCode::not_leader_or_follower && !image) {
      // Without metadata, a partition this broker does not lead is one it does not know.
      result.error = ErrorCode::unknown_topic_or_partition;
    }
    FetchPartitionOutcome& outcome = outcomes[i];
    outcome.error = result.error;
    outcome.high_watermark = result.high_watermark;
    outcome.log_start_offset = result.log_start_offset;
    if (result.error != ErrorCode::none || result.records.size == 0) continue;
    if (sent_any && result.records.size > budget) {
      result.records = storage::FileSlice{};
      continue;
    }
    budget -= std::min<size_t>(budget, result.records.size);
    sent_any = true;
    outcome.records_size = result.records.size;
  }
  // Outcomes in the order the session compares them: reading order, as Kafka's response map.
  std::vector<FetchPartitionOutcome> ordered_outcomes;
  FetchContext ordered = std::move(context);
  {
    std::vector<FetchPartitionRequest> partitions;
    for (size_t i : order) {
      partitions.push_back(std::move(ordered.partitions[i]));
      ordered_outcomes.push_back(outcomes[i]);
    }
    ordered.partitions = std::move(partitions);
  }

  // The session decides what the response lists: a full fetch creates its session here, on the
  // connection's shard; an incremental one goes back to the shard of its session.
  const unsigned answering = ordered.kind == FetchContext::Kind::incremental ? owner : ctx.shard;
  auto decide = [&broker, answering, &ordered, &ordered_outcomes] {
    return broker.fetch_sessions(answering).respond(ordered, ordered_outcomes, now_ms());
  };
  FetchSessionResponse decided;
  if (answering == ctx.shard) {
    decided = decide();
  } else {
    decided = co_await invoke_on(broker.shard(answering), decide);
  }

  protocol::FetchResponse response;
  response.error_code = static_cast<int16_t>(decided.error);
  if (version >= 7) response.session_id = decided.session_id;
  std::vector<storage::FileSlice> slices;
  std::vector<int32_t> endpoints;
  for (size_t j : decided.include) {
    const FetchPartitionRequest& p = ordered.partitions[j];
    FetchPartitionResult& result = by_partition[order[j]];
    if (response.responses.empty() || response.responses.back().topic != p.topic ||
        response.responses.back().topic_id != p.topic_id) {
      // Both kept to group by; the encoder writes the one the version has (v13+: the id).
      auto& topic = response.responses.emplace_back();
      topic.topic = p.topic;
      topic.topic_id = p.topic_id;
    }
    auto& r = response.responses.back().partitions.emplace_back();
    r.partition_index = p.partition;
    r.error_code = static_cast<int16_t>(result.error);
    r.high_watermark = result.high_watermark;
    r.last_stable_offset = result.last_stable_offset;
    r.log_start_offset = result.log_start_offset;
    r.records = BytesView();
    if (version >= 16 && image &&
        (result.error == ErrorCode::not_leader_or_follower || result.error == ErrorCode::fenced_leader_epoch)) {
      // Where the partition is led now, so the client need not ask the metadata first.
      const metadata::TopicImage* topic = image->topic(p.topic);
      const metadata::PartitionRegistration* partition = topic ? topic->partition(p.partition) : nullptr;
      r.current_leader.leader_id = partition ? partition->leader : -1;
      r.current_leader.leader_epoch = partition ? partition->leader_epoch : -1;
      if (partition && partition->leader >= 0) endpoints.push_back(partition->leader);
    }
    if (result.error != ErrorCode::none || result.records.size == 0) continue;
    r.records = BytesView::deferred(result.records.size);
    slices.push_back(result.records);
  }
  if (!endpoints.empty()) {
    for (const metadata::BrokerNode& node : image->broker_nodes(ctx.listener)) {
      if (std::find(endpoints.begin(), endpoints.end(), node.id) == endpoints.end()) continue;
      auto& e = response.node_endpoints.emplace_back();
      e.node_id = node.id;
      e.host = node.host;
      e.port = node.port;
      e.rack = node.rack;
    }
  }
  co_return respond_spliced(ctx, response, slices);
}

}  // namespace gregor::broker
