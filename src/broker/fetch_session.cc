#include "broker/fetch_session.h"

#include <climits>

namespace gregor::broker {

int32_t next_session_epoch(int32_t epoch) {
  if (epoch < 0) return kFinalSessionEpoch;
  if (epoch == INT32_MAX) return 1;
  return epoch + 1;
}

// --- FetchSession ---

FetchSession::Key FetchSession::key_of(const Uuid& topic_id, const std::string& topic, int32_t partition) const {
  if (uses_topic_ids_) return Key{topic_id.bytes, std::string(), partition};
  return Key{std::array<uint8_t, 16>{}, topic, partition};
}

std::vector<FetchPartitionRequest> FetchSession::partitions() const {
  std::vector<FetchPartitionRequest> out;
  out.reserve(partitions_.size());
  for (const Cached& c : partitions_) out.push_back(c.request);
  return out;
}

void FetchSession::add_or_update(const FetchPartitionRequest& p) {
  Key key = key_of(p.topic_id, p.topic, p.partition);
  auto it = index_.find(key);
  if (it == index_.end()) {
    partitions_.push_back(Cached{p});
    index_.emplace(std::move(key), std::prev(partitions_.end()));
    return;
  }
  FetchPartitionRequest& cached = it->second->request;
  cached.fetch_offset = p.fetch_offset;
  cached.log_start_offset = p.log_start_offset;
  cached.max_bytes = p.max_bytes;
  cached.current_leader_epoch = p.current_leader_epoch;
  cached.last_fetched_epoch = p.last_fetched_epoch;
  if (!p.topic.empty()) cached.topic = p.topic;
}

void FetchSession::forget(const ForgottenPartition& p) {
  auto it = index_.find(key_of(p.topic_id, p.topic, p.partition));
  if (it == index_.end()) return;
  partitions_.erase(it->second);
  index_.erase(it);
}

bool FetchSession::must_respond(Cached& cached, const FetchPartitionOutcome& outcome) {
  bool must = outcome.records_size > 0;
  if (cached.high_watermark != outcome.high_watermark) {
    must = true;
    cached.high_watermark = outcome.high_watermark;
  }
  if (cached.local_log_start_offset != outcome.log_start_offset) {
    must = true;
    cached.local_log_start_offset = outcome.log_start_offset;
  }
  if (outcome.error != ErrorCode::none) {
    // Forgetting the high watermark makes the partition come back once the error is gone.
    cached.high_watermark = -1;
    must = true;
  }
  return must;
}

// --- FetchSessionCache ---

FetchSessionCache::FetchSessionCache(unsigned shard, unsigned shard_count, size_t max_sessions, uint64_t seed)
    : shard_(shard),
      id_range_(INT32_MAX / static_cast<int32_t>(std::max(shard_count, 1u))),
      max_sessions_(max_sessions),
      random_(seed) {}

std::optional<unsigned> FetchSessionCache::shard_of_session(int32_t session_id, unsigned shard_count) {
  if (session_id <= 0 || shard_count == 0) return std::nullopt;
  const int32_t range = INT32_MAX / static_cast<int32_t>(shard_count);
  const auto shard = static_cast<unsigned>(session_id / range);
  if (shard >= shard_count) return std::nullopt;
  return shard;
}

size_t FetchSessionCache::slots_of_shard(size_t total, unsigned shard, unsigned shard_count) {
  if (shard_count == 0) return 0;
  return total / shard_count + (shard < total % shard_count ? 1 : 0);
}

std::shared_ptr<FetchSession> FetchSessionCache::get(int32_t session_id) const {
  auto it = sessions_.find(session_id);
  return it == sessions_.end() ? nullptr : it->second;
}

int32_t FetchSessionCache::new_session_id() {
  const int32_t lo = std::max<int32_t>(1, static_cast<int32_t>(shard_) * id_range_);
  const int32_t hi = static_cast<int32_t>(shard_ + 1) * id_range_ - 1;
  std::uniform_int_distribution<int32_t> pick(lo, hi);
  int32_t id;
  do {
    id = pick(random_);
  } while (sessions_.contains(id));
  return id;
}

FetchContext FetchSessionCache::new_context(int16_t version, int32_t session_id, int32_t session_epoch, bool follower,
                                            std::vector<FetchPartitionRequest> partitions,
                                            const std::vector<ForgottenPartition>& forgotten, const TopicNames& names,
                                            int64_t now_ms) {
  FetchContext context;
  context.privileged = follower;
  context.uses_topic_ids = version >= 13;

  // A partition named twice is fetched once, as Kafka's request map keeps it.
  std::map<FetchSession::Key, size_t> seen;
  std::vector<FetchPartitionRequest> unique;
  for (FetchPartitionRequest& p : partitions) {
    FetchSession::Key key = context.uses_topic_ids ? FetchSession::Key{p.topic_id.bytes, std::string(), p.partition}
                                                   : FetchSession::Key{{}, p.topic, p.partition};
    auto [it, fresh] = seen.emplace(std::move(key), unique.size());
    if (fresh) {
      unique.push_back(std::move(p));
    } else {
      unique[it->second] = std::move(p);
    }
  }

  if (session_epoch == kInitialSessionEpoch || session_epoch == kFinalSessionEpoch) {
    // A full fetch closes the session it names, if any.
    if (session_id != kInvalidSessionId) remove(session_id);
    context.kind = session_epoch == kFinalSessionEpoch ? FetchContext::Kind::sessionless : FetchContext::Kind::full;
    context.partitions = std::move(unique);
    return context;
  }

  auto error = [&](ErrorCode code) {
    context.kind = FetchContext::Kind::session_error;
    context.error = code;
    return context;
  };
  std::shared_ptr<FetchSession> session = get(session_id);
  if (!session) return error(ErrorCode::fetch_session_id_not_found);
  if (session->epoch_ != session_epoch) return error(ErrorCode::invalid_fetch_session_epoch);
  if (session->uses_topic_ids_ != context.uses_topic_ids) return error(ErrorCode::fetch_session_topic_id_error);

  for (const FetchPartitionRequest& p : unique) session->add_or_update(p);
  for (const ForgottenPartition& p : forgotten) session->forget(p);
  if (session->size() == 0) {
    remove(*session);
    context.kind = FetchContext::Kind::sessionless;
    context.partitions = std::move(unique);
    return context;
  }
  touch(*session, now_ms);
  session->epoch_ = next_session_epoch(session->epoch_);
  // A topic id unknown when the partition was added may have a name by now.
  if (session->uses_topic_ids_ && names) {
    for (FetchSession::Cached& c : session->partitions_) {
      if (c.request.topic.empty()) c.request.topic = names(c.request.topic_id);
    }
  }
  context.kind = FetchContext::Kind::incremental;
  context.partitions = session->partitions();
  context.expected_epoch = session->epoch_;
  context.session = std::move(session);
  return context;
}

FetchSessionResponse FetchSessionCache::respond(const FetchContext& context,
                                                std::span<const FetchPartitionOutcome> outcomes, int64_t now_ms) {
  FetchSessionResponse response;
  auto include_all = [&] {
    for (size_t i = 0; i < context.partitions.size(); ++i) response.include.push_back(i);
  };
  switch (context.kind) {
    case FetchContext::Kind::session_error:
      response.error = context.error;
      return response;
    case FetchContext::Kind::sessionless:
      include_all();
      return response;
    case FetchContext::Kind::full: {
      auto fill = [&](FetchSession& session) {
        for (size_t i = 0; i < context.partitions.size(); ++i) {
          session.add_or_update(context.partitions[i]);
          FetchSession::Cached& cached = session.partitions_.back();
          if (i < outcomes.size()) {
            cached.high_watermark = outcomes[i].high_watermark;
            cached.local_log_start_offset = outcomes[i].log_start_offset;
          }
        }
      };
      response.session_id = maybe_create_session(now_ms, context.privileged, context.partitions.size(),
                                                 context.uses_topic_ids, fill);
      include_all();
      return response;
    }
    case FetchContext::Kind::incremental:
      break;
  }
  FetchSession& session = *context.session;
  response.session_id = session.id_;
  if (session.epoch_ != context.expected_epoch) {
    // Another request of the session was answered in between: this one is a duplicate.
    response.error = ErrorCode::invalid_fetch_session_epoch;
    return response;
  }
  for (size_t i = 0; i < context.partitions.size() && i < outcomes.size(); ++i) {
    const FetchPartitionRequest& p = context.partitions[i];
    auto it = session.index_.find(session.key_of(p.topic_id, p.topic, p.partition));
    if (it == session.index_.end()) {
      response.include.push_back(i);
      continue;
    }
    if (!session.must_respond(*it->second, outcomes[i])) continue;
    response.include.push_back(i);
    // A partition that returned data goes to the back, so the next fetch reads the others first.
    if (outcomes[i].records_size > 0) session.partitions_.splice(session.partitions_.end(), session.partitions_, it->second);
  }
  return response;
}

int32_t FetchSessionCache::maybe_create_session(int64_t now_ms, bool privileged, size_t size, bool uses_topic_ids,
                                                const std::function<void(FetchSession&)>& fill) {
  if (sessions_.size() >= max_sessions_ && !try_evict(privileged, EvictableKey{privileged, size, 0}, now_ms)) {
    return kInvalidSessionId;
  }
  auto session = std::make_shared<FetchSession>(new_session_id(), privileged, uses_topic_ids, now_ms);
  fill(*session);
  sessions_.emplace(session->id_, session);
  touch(*session, now_ms);
  return session->id_;
}

// A new session may take the place of one that has not been used for the eviction time, or else
// of the least valuable one it may evict: a follower's session may evict a consumer's or an old
// follower's, a consumer's only an old consumer's, and then only one with fewer partitions, since
// a large session saves the most. "Old" is created longer ago than the eviction time, as of the
// session's last use.
bool FetchSessionCache::try_evict(bool privileged, const EvictableKey& key, int64_t now_ms) {
  if (last_used_.empty()) return false;
  auto oldest = last_used_.begin();
  if (now_ms - oldest->first.first > kFetchSessionEvictionMs) {
    remove(*oldest->second);
    ++evictions_;
    return true;
  }
  auto& candidates = privileged ? evictable_by_privileged_ : evictable_by_all_;
  if (candidates.empty() || key < candidates.begin()->first) return false;
  remove(*candidates.begin()->second);
  ++evictions_;
  return true;
}

bool FetchSessionCache::remove(int32_t session_id) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return false;
  remove(*it->second);
  return true;
}

void FetchSessionCache::remove(FetchSession& session) {
  const int32_t id = session.id_;
  last_used_.erase(LastUsedKey{session.last_used_ms_, id});
  unlist(session);
  sessions_.erase(id);  // may destroy the session: nothing of it is used after
}

void FetchSessionCache::unlist(FetchSession& session) {
  if (!session.in_cache_) return;
  const EvictableKey key = evictable_key(session);
  evictable_by_all_.erase(key);
  evictable_by_privileged_.erase(key);
  total_partitions_ -= session.cached_size_;
  session.in_cache_ = false;
}

FetchSessionCache::EvictableKey FetchSessionCache::evictable_key(const FetchSession& session) const {
  return EvictableKey{session.privileged_, session.cached_size_, session.id_};
}

void FetchSessionCache::touch(FetchSession& session, int64_t now_ms) {
  last_used_.erase(LastUsedKey{session.last_used_ms_, session.id_});
  session.last_used_ms_ = now_ms;
  last_used_.emplace(LastUsedKey{now_ms, session.id_}, &session);
  // Listed again under its new size and age.
  unlist(session);
  session.in_cache_ = true;
  session.cached_size_ = session.size();
  const EvictableKey key = evictable_key(session);
  const bool old_enough = now_ms - session.created_ms_ > kFetchSessionEvictionMs;
  if (!session.privileged_ || old_enough) evictable_by_privileged_.emplace(key, &session);
  if (old_enough) evictable_by_all_.emplace(key, &session);
  total_partitions_ += session.cached_size_;
}

}  // namespace gregor::broker
