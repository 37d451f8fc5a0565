// Incremental fetch sessions (KIP-227) as Kafka's FetchSession, FetchSessionCacheShard and
// FetchManager keep them, as a state machine without I/O: a request's partitions and the time go
// in; the partitions to read, and then which results the response lists, come out.
//
// A fetch names its session by id and epoch:
//   id 0, epoch 0      full fetch; the response creates a session when the cache has room
//   id 0, epoch -1     full fetch without a session
//   id N, epoch 0/-1   closes session N, then as above
//   id N, epoch E > 0  incremental: the request lists only the partitions that changed (and
//                      forgotten ones to drop); the response lists only the partitions with new
//                      data, a new high watermark or log start offset, or an error
// Session errors (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH,
// FETCH_SESSION_TOPIC_ID_ERROR) answer with the error at the top level and no partitions.
//
// One FetchSessionCache per shard; session ids encode the shard that holds the session (see
// docs/broker.md). A cache is used on its shard's thread only; a FetchContext refers to a
// session of the cache that made it and goes back to that cache for the response.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "common/error_code.h"
#include "common/uuid.h"

namespace gregor::broker {

inline constexpr int32_t kInvalidSessionId = 0;
inline constexpr int32_t kInitialSessionEpoch = 0;
inline constexpr int32_t kFinalSessionEpoch = -1;
// Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS: a session unused this long may be evicted
// for a new one, and a consumer's session younger than this is never evicted by a consumer.
inline constexpr int64_t kFetchSessionEvictionMs = 120'000;

// The epoch after this one: FINAL stays FINAL; after INT32_MAX comes 1.
int32_t next_session_epoch(int32_t epoch);

// One partition as a fetch request names it. From v13 a partition is named by topic id; topic is
// then the name the metadata gave for it, empty when the id is unknown.
struct FetchPartitionRequest {
  Uuid topic_id;
  std::string topic;
  int32_t partition = 0;
  int64_t fetch_offset = 0;
  int64_t log_start_offset = -1;  // the follower's; -1 from consumers
  int32_t max_bytes = 0;
  int32_t current_leader_epoch = -1;
  int32_t last_fetched_epoch = -1;
};

struct ForgottenPartition {
  Uuid topic_id;
  std::string topic;
  int32_t partition = 0;
};

// What reading a partition gave, as far as the session needs it.
struct FetchPartitionOutcome {
  ErrorCode error = ErrorCode::none;
  int64_t high_watermark = -1;
  int64_t log_start_offset = -1;
  size_t records_size = 0;  // the bytes the response carries for it
};

class FetchSession;

struct FetchContext {
  enum class Kind { session_error, sessionless, full, incremental };
  Kind kind = Kind::sessionless;
  ErrorCode error = ErrorCode::none;  // session_error
  // The partitions to read, in the order to read them (fetch.max.bytes is spent in this order).
  std::vector<FetchPartitionRequest> partitions;
  bool privileged = false;       // from a follower
  bool uses_topic_ids = false;   // request version 13+
  int32_t expected_epoch = 0;    // incremental: the session's epoch once this request is answered
  std::shared_ptr<FetchSession> session;  // incremental
};

// What the response carries: its top-level error and session id, and which of the context's
// partitions it lists, by index, in order.
struct FetchSessionResponse {
  ErrorCode error = ErrorCode::none;
  int32_t session_id = kInvalidSessionId;
  std::vector<size_t> include;
};

// A session's state: the partitions it fetches, with what the last response told of each.
class FetchSession {
 public:
  struct Cached {
    FetchPartitionRequest request;
    int64_t high_watermark = -1;
    int64_t local_log_start_offset = -1;
  };
  using Key = std::tuple<std::array<uint8_t, 16>, std::string, int32_t>;

  FetchSession(int32_t id, bool privileged, bool uses_topic_ids, int64_t created_ms)
      : id_(id), privileged_(privileged), uses_topic_ids_(uses_topic_ids), created_ms_(created_ms), last_used_ms_(created_ms) {}

  int32_t id() const { return id_; }
  int32_t epoch() const { return epoch_; }
  bool privileged() const { return privileged_; }
  bool uses_topic_ids() const { return uses_topic_ids_; }
  int64_t created_ms() const { return created_ms_; }
  int64_t last_used_ms() const { return last_used_ms_; }
  size_t size() const { return partitions_.size(); }
  // The partitions in the order they are read: those that returned data last go to the back.
  std::vector<FetchPartitionRequest> partitions() const;

 private:
  friend class FetchSessionCache;

  // A session with topic ids knows a partition by id (its name may resolve later), otherwise by name.
  Key key_of(const Uuid& topic_id, const std::string& topic, int32_t partition) const;
  void add_or_update(const FetchPartitionRequest& p);
  void forget(const ForgottenPartition& p);
  // Kafka's CachedPartition.maybeUpdateResponseData: whether the response must list the
  // partition, updating what the session remembers of it.
  bool must_respond(Cached& cached, const FetchPartitionOutcome& outcome);

  int32_t id_;
  bool privileged_;
  bool uses_topic_ids_;
  int64_t created_ms_;
  int64_t last_used_ms_;
  int32_t epoch_ = 1;  // the epoch the next incremental request must carry
  size_t cached_size_ = 0;
  bool in_cache_ = false;
  std::list<Cached> partitions_;
  std::map<Key, std::list<Cached>::iterator> index_;
};

class FetchSessionCache {
 public:
  // Resolves a topic id to its name in the current metadata ("" when unknown).
  using TopicNames = std::function<std::string(const Uuid&)>;

  // shard / shard_count: this cache holds the ids of shard's range (ids_of_shard); max_sessions:
  // this shard's share of max.incremental.fetch.session.cache.slots.
  FetchSessionCache(unsigned shard, unsigned shard_count, size_t max_sessions, uint64_t seed);

  // The shard whose cache holds a session id; nullopt for an id no shard hands out.
  static std::optional<unsigned> shard_of_session(int32_t session_id, unsigned shard_count);
  // This shard's share of the broker's session slots (the remainder goes to the first shards).
  static size_t slots_of_shard(size_t total, unsigned shard, unsigned shard_count);

  // Kafka's FetchManager.newContext, for a request to this cache: the one that holds the
  // request's session id, or any cache when the id is 0. Partitions named twice count once
  // (the later one's parameters in the earlier one's place).
  FetchContext new_context(int16_t version, int32_t session_id, int32_t session_epoch, bool follower,
                           std::vector<FetchPartitionRequest> partitions,
                           const std::vector<ForgottenPartition>& forgotten, const TopicNames& names,
                           int64_t now_ms);

  // Kafka's updateAndGenerateResponseData, with outcomes[i] for context.partitions[i]. A full
  // context creates its session in this cache (the one on the shard answering the request); an
  // incremental one must come back to the cache that made it.
  FetchSessionResponse respond(const FetchContext& context, std::span<const FetchPartitionOutcome> outcomes,
                               int64_t now_ms);

  size_t size() const { return sessions_.size(); }
  size_t max_sessions() const { return max_sessions_; }
  // The partitions held across this cache's sessions.
  size_t total_partitions() const { return total_partitions_; }
  size_t evictions() const { return evictions_; }
  std::shared_ptr<FetchSession> get(int32_t session_id) const;
  bool remove(int32_t session_id);

 private:
  using LastUsedKey = std::pair<int64_t, int32_t>;
  using EvictableKey = std::tuple<bool, size_t, int32_t>;

  int32_t new_session_id();
  int32_t maybe_create_session(int64_t now_ms, bool privileged, size_t size, bool uses_topic_ids,
                               const std::function<void(FetchSession&)>& fill);
  bool try_evict(bool privileged, const EvictableKey& key, int64_t now_ms);
  void remove(FetchSession& session);
  // Takes the session out of the eviction order and the partition count.
  void unlist(FetchSession& session);
  void touch(FetchSession& session, int64_t now_ms);
  EvictableKey evictable_key(const FetchSession& session) const;

  unsigned shard_;
  int32_t id_range_;
  size_t max_sessions_;
  std::mt19937_64 random_;
  std::map<int32_t, std::shared_ptr<FetchSession>> sessions_;
  std::map<LastUsedKey, FetchSession*> last_used_;
  std::map<EvictableKey, FetchSession*> evictable_by_all_;
  std::map<EvictableKey, FetchSession*> evictable_by_privileged_;
  size_t total_partitions_ = 0;
  size_t evictions_ = 0;
};

}  // namespace gregor::broker
