// The consumer: the caller's thread drives everything (positions, fetches, commits) and waits
// for the network client's I/O thread, which sends the requests and turns Fetch responses into
// records. A completed fetch waits in a queue until a poll takes its records; a fetch whose
// offset no longer matches the partition's position (a seek happened meanwhile) is dropped.
//
// The state lives in consumer_impl.h; group membership (subscribe, JoinGroup, SyncGroup,
// Heartbeat) in consumer_coordinator.cc.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <sstream>
#include <thread>

#include "client/consumer_impl.h"
#include "client/network_client.h"
#include "gregor/consumer.h"
#include "protocol/generated/message/fetch_request.h"
#include "protocol/generated/message/fetch_response.h"
#include "protocol/generated/message/list_offsets_request.h"
#include "protocol/generated/message/list_offsets_response.h"
#include "protocol/generated/message/offset_commit_request.h"
#include "protocol/generated/message/offset_commit_response.h"
#include "protocol/generated/message/offset_fetch_request.h"
#include "protocol/generated/message/offset_fetch_response.h"
#include "record/batch_walker.h"
#include "record/control_record.h"
#include "record/legacy.h"
#include "record/record.h"

namespace gregor {

namespace {

// The records of a partition's fetched data from fetch_offset on: control batches are skipped
// (their offsets still advance the position), and under read_committed so are the batches of
// aborted transactions, as the fetch response lists them.
void parse_records(BytesView data, bool read_committed,
                   const std::optional<std::vector<protocol::fetch_response::AbortedTransaction>>& aborted_list,
                   CompletedFetch& out) {
  std::vector<protocol::fetch_response::AbortedTransaction> aborted;
  if (read_committed && aborted_list) aborted = *aborted_list;
  std::sort(aborted.begin(), aborted.end(), [](const auto& a, const auto& b) { return a.first_offset < b.first_offset; });
  size_t next_abort = 0;
  std::set<int64_t> aborted_producers;

  record::BatchWalker walker(data);
  record::BatchEntry entry;
  auto emit = [&](const record::Record& r, TimestampType type, std::optional<int32_t> epoch) {
    if (r.offset < out.fetch_offset) return;
    ByteRecord br;
    br.topic = out.tp.topic;
    br.partition = out.tp.partition;
    br.offset = r.offset;
    br.timestamp = r.timestamp;
    br.timestamp_type = type;
    if (r.key) br.key = r.key->to_bytes();
    if (r.value) br.value = r.value->to_bytes();
    for (const record::Header& h : r.headers)
      br.headers.push_back({std::string(h.key), h.value ? std::optional<Bytes>(h.value->to_bytes()) : std::nullopt});
    br.leader_epoch = epoch;
    out.records.push_back(std::move(br));
  };
  while (walker.next(entry)) {
    if (entry.magic < 2) {
      auto view = record::LegacyBatchView::parse(entry.bytes, entry.position);
      if (!view) break;
      record::LegacyRecordReader reader(64u << 20);
      if (reader.open(*view)) break;
      record::Record r;
      while (reader.next(r)) {
        emit(r, view->magic() == 0 ? TimestampType::no_timestamp_type : static_cast<TimestampType>(view->timestamp_type()),
             std::nullopt);
        out.next_offset = std::max(out.next_offset, r.offset + 1);
      }
      continue;
    }
    auto batch = record::RecordBatchView::parse(entry.bytes, entry.position);
    if (!batch) break;
    if (batch->next_offset() <= out.fetch_offset) continue;
    if (read_committed) {
      while (next_abort < aborted.size() && aborted[next_abort].first_offset <= batch->last_offset())
        aborted_producers.insert(aborted[next_abort++].producer_id);
    }
    if (batch->is_control()) {
      // An abort marker ends the aborted range of its producer.
      if (read_committed && batch->is_transactional()) {
        record::RecordReader reader(1u << 20);
        record::Record r;
        if (!reader.open(*batch) && reader.next(r) && r.key) {
          auto type = record::parse_control_key(*r.key);
          if (type && *type == record::ControlRecordType::abort) aborted_producers.erase(batch->producer_id());
        }
      }
      out.next_offset = batch->next_offset();
      continue;
    }
    if (read_committed && batch->is_transactional() && aborted_producers.count(batch->producer_id())) {
      out.next_offset = batch->next_offset();
      continue;
    }
    record::RecordReader reader(64u << 20);
    if (reader.open(*batch)) break;
    const int32_t epoch = batch->partition_leader_epoch();
    const auto type = static_cast<TimestampType>(batch->timestamp_type());
    record::Record r;
    while (reader.next(r)) emit(r, type, epoch >= 0 ? std::optional<int32_t>(epoch) : std::nullopt);
    if (!reader.ok()) {
      out.error = ErrorCode::corrupt_message;
      out.message = "Record batch for partition " + out.tp.str() + " at offset " +
                    std::to_string(batch->base_offset()) + " is invalid: " + reader.error().message;
      return;
    }
    out.next_offset = batch->next_offset();
  }
  if (!walker.ok()) {
    out.error = ErrorCode::corrupt_message;
    out.message = "Received invalid record data for partition " + out.tp.str() + ": " + walker.error().message;
  }
}

}  // namespace


ByteConsumer::Impl::Impl(const Properties& props) {
  ConfigValues c = consumer_config_def().parse(props);
  client::ClientOptions options = client::ClientOptions::from(c);
  options.allow_auto_topic_creation = c.get_bool("allow.auto.create.topics");
  group_id_ = c.get_optional_string("group.id");
  if (group_id_ && group_id_->empty()) group_id_.reset();
  group_instance_id_ = c.get_optional_string("group.instance.id");
  std::string reset = c.get_string("auto.offset.reset");
  for (char& ch : reset) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  reset_ = reset == "earliest" ? Reset::earliest : reset == "none" ? Reset::none : Reset::latest;
  // Without a group there is nothing to commit to: Kafka turns auto-commit off (and refuses an
  // explicit true).
  auto_commit_ = c.get_bool("enable.auto.commit");
  if (!group_id_) {
    if (c.originally_set("enable.auto.commit") && auto_commit_)
      throw ConfigException("enable.auto.commit cannot be set to true when default group id (null) is used.");
    auto_commit_ = false;
  }
  auto_commit_interval_ = milliseconds(c.get_int("auto.commit.interval.ms"));
  fetch_min_bytes_ = c.get_int("fetch.min.bytes");
  fetch_max_bytes_ = c.get_int("fetch.max.bytes");
  fetch_max_wait_ms_ = c.get_int("fetch.max.wait.ms");
  max_partition_fetch_bytes_ = c.get_int("max.partition.fetch.bytes");
  max_poll_records_ = static_cast<size_t>(c.get_int("max.poll.records"));
  read_committed_ = c.get_string("isolation.level") == "read_committed";
  default_api_timeout_ = milliseconds(c.get_int("default.api.timeout.ms"));
  std::string protocol = c.get_string("group.protocol");
  if (protocol != "classic" && protocol != "CLASSIC")
    throw ConfigException("group.protocol", protocol, "only the classic group protocol is supported by this client");
  init_group(c);
  net_ = std::make_unique<NetworkClient>(options);
  next_auto_commit_ = Clock::now() + auto_commit_interval_;
}

void ByteConsumer::Impl::check_wakeup_locked() {
  if (wakeup_) {
    wakeup_ = false;
    throw WakeupException();
  }
}

bool ByteConsumer::Impl::wait(std::unique_lock<std::mutex>& lock, const std::function<bool()>& pred,
                              Clock::time_point deadline) {
  while (true) {
    check_wakeup_locked();
    if (pred()) return true;
    if (Clock::now() >= deadline) return false;
    if (deadline == Clock::time_point::max()) cv_.wait(lock);
    else cv_.wait_until(lock, deadline);
  }
}

void ByteConsumer::Impl::require_group(const char* what) const {
  if (!group_id_)
    throw KafkaException(std::string("To use the group management or offset commit APIs, you must provide a valid "
                                     "group.id in the consumer configuration. (") + what + ")");
}

void ByteConsumer::Impl::require_assigned(const TopicPartition& tp, const char* what) const {
  if (!assigned_.count(tp))
    throw IllegalStateException(std::string(what) + ": no current assignment for partition " + tp.str());
}

void ByteConsumer::Impl::assign(const std::vector<TopicPartition>& partitions) {
  ensure_open();
  for (const auto& tp : partitions)
    if (tp.topic.empty()) throw std::invalid_argument("Topic partitions to assign to cannot have null or empty topic");
  if (partitions.empty()) {
    unsubscribe();
    return;
  }
  if (subscribed())
    throw IllegalStateException("Subscription to topics, partitions and pattern are mutually exclusive");
  subscription_type_ = SubscriptionType::user_assigned;
  if (auto_commit_) maybe_auto_commit();
  std::map<TopicPartition, PartitionState> next;
  std::vector<std::string> topics;
  for (const auto& tp : partitions) {
    auto it = assigned_.find(tp);
    next[tp] = it == assigned_.end() ? PartitionState{} : it->second;
    topics.push_back(tp.topic);
  }
  assigned_ = std::move(next);
  auto add = [this, topics] { net_->add_topics(topics); };
  net_->post(add);
}

std::set<TopicPartition> ByteConsumer::Impl::assignment() const {
  std::set<TopicPartition> out;
  for (const auto& [tp, st] : assigned_) out.insert(tp);
  return out;
}

void ByteConsumer::Impl::seek(const TopicPartition& tp, int64_t offset) {
  ensure_open();
  if (offset < 0) throw std::invalid_argument("seek offset must not be a negative number");
  require_assigned(tp, "seek");
  assigned_[tp].position = offset;
  assigned_[tp].reset.reset();
}

void ByteConsumer::Impl::reset(const std::vector<TopicPartition>& partitions, Reset how) {
  ensure_open();
  std::vector<TopicPartition> all = partitions;
  if (all.empty())
    for (const auto& [tp, st] : assigned_) all.push_back(tp);
  for (const auto& tp : all) require_assigned(tp, "reset");
  for (const auto& tp : all) {
    assigned_[tp].position.reset();
    assigned_[tp].reset = how;
  }
}

void ByteConsumer::Impl::set_paused(const std::vector<TopicPartition>& partitions, bool paused) {
  ensure_open();
  for (const auto& tp : partitions) require_assigned(tp, paused ? "pause" : "resume");
  for (const auto& tp : partitions) assigned_[tp].paused = paused;
}

std::set<TopicPartition> ByteConsumer::Impl::paused() const {
  std::set<TopicPartition> out;
  for (const auto& [tp, st] : assigned_)
    if (st.paused) out.insert(tp);
  return out;
}

bool ByteConsumer::Impl::update_positions(Clock::time_point deadline) {
  std::set<TopicPartition> missing;
  for (const auto& [tp, st] : assigned_)
    if (!st.position && !st.reset) missing.insert(tp);
  // Committed offsets first, when there is a group.
  if (!missing.empty() && group_id_) {
    std::map<TopicPartition, std::optional<OffsetAndMetadata>> committed_offsets;
    try {
      committed_offsets = committed(missing, std::chrono::duration_cast<milliseconds>(
                                                 std::min(deadline, Clock::now() + default_api_timeout_) - Clock::now()));
    } catch (const TimeoutException&) {
      return false;  // a poll returns empty, as in Java; the next one asks again
    }
    for (const auto& [tp, o] : committed_offsets)
      if (o) assigned_[tp].position = o->offset;
  }
  std::set<TopicPartition> undefined;
  for (auto& [tp, st] : assigned_) {
    if (st.position || st.reset) continue;
    if (reset_ == Reset::none) undefined.insert(tp);
    else st.reset = reset_;
  }
  if (!undefined.empty())
    throw NoOffsetForPartitionException("Undefined offset with no reset policy for partitions: " + join(undefined),
                                        undefined);
  std::vector<TopicPartition> earliest, latest;
  for (const auto& [tp, st] : assigned_) {
    if (st.position || !st.reset) continue;
    (*st.reset == Reset::earliest ? earliest : latest).push_back(tp);
  }
  for (auto [tps, ts] : {std::pair{earliest, kEarliest}, std::pair{latest, kLatest}}) {
    if (tps.empty()) continue;
    auto offsets = list_offsets(tps, ts, deadline);
    for (const auto& [tp, offset] : offsets) {
      assigned_[tp].position = offset;
      assigned_[tp].reset.reset();
    }
  }
  for (const auto& [tp, st] : assigned_)
    if (!st.position) return false;
  return true;
}

std::map<TopicPartition, int64_t> ByteConsumer::Impl::list_offsets(const std::vector<TopicPartition>& tps,
                                                                   int64_t timestamp, Clock::time_point deadline) {
  std::map<TopicPartition, int64_t> result;
  std::set<TopicPartition> left(tps.begin(), tps.end());
  std::set<std::string> topics;
  for (const auto& tp : tps) topics.insert(tp.topic);
  auto add = [this, topics] { net_->add_topics({topics.begin(), topics.end()}); };
  net_->post(add);
  while (!left.empty()) {
    auto cluster = net_->cluster();
    std::map<int32_t, std::vector<TopicPartition>> by_leader;
    for (const auto& tp : left) {
      int32_t leader = cluster->leader(tp.topic, tp.partition);
      if (leader >= 0) by_leader[leader].push_back(tp);
    }
    if (by_leader.empty()) {
      auto has_leaders = [&](const client::Cluster& c) {
        for (const auto& tp : left)
          if (c.leader(tp.topic, tp.partition) >= 0) return true;
        return false;
      };
      auto refresh = [this] { net_->request_metadata_update(); };
      net_->post(refresh);
      // Short waits so a wakeup is seen between them.
      if (!net_->await_cluster(has_leaders, std::min(deadline, Clock::now() + milliseconds(100))).second) {
        std::unique_lock lock(mu_);
        check_wakeup_locked();
        if (Clock::now() >= deadline) return result;
      }
      continue;
    }
    using Resp = protocol::ListOffsetsResponse;
    for (auto& [node, parts] : by_leader) {
      const int8_t isolation = read_committed_ ? 1 : 0;
      auto make = [parts, timestamp, isolation](int16_t) {
        protocol::ListOffsetsRequest req;
        req.replica_id = -1;
        req.isolation_level = isolation;
        std::map<std::string, std::vector<int32_t>> grouped;
        for (const auto& tp : parts) grouped[tp.topic].push_back(tp.partition);
        for (const auto& [topic, ps] : grouped) {
          protocol::ListOffsetsRequest::ListOffsetsTopic t;
          t.name = topic;
          for (int32_t p : ps) {
            protocol::ListOffsetsRequest::ListOffsetsPartition lp;
            lp.partition_index = p;
            lp.timestamp = timestamp;
            t.partitions.push_back(lp);
          }
          req.topics.push_back(std::move(t));
        }
        return req;
      };
      const int32_t n = node;
      auto start = [this, n, make](std::function<void(client::Response<Resp>)> done) {
        net_->send_versioned<Resp>(n, std::function<protocol::ListOffsetsRequest(int16_t)>(make), done,
                                   kListOffsetsVersions);
      };
      auto r = run<client::Response<Resp>>(start, deadline);
      if (!r) return result;
      bool refresh = !r->ok();
      if (r->ok()) {
        for (const auto& t : r->body.topics)
          for (const auto& p : t.partitions) {
            TopicPartition tp{t.name, p.partition_index};
            auto code = static_cast<ErrorCode>(p.error_code);
            if (code == ErrorCode::none) {
              result[tp] = p.offset;
              left.erase(tp);
            } else if (is_retriable(code)) {
              refresh = true;
            } else {
              std::rethrow_exception(api_error(code, ""));
            }
          }
      }
      if (refresh) {
        auto update = [this] { net_->request_metadata_update(); };
        net_->post(update);
      }
    }
    if (!left.empty() && Clock::now() >= deadline) return result;
    if (!left.empty()) {
      std::unique_lock lock(mu_);
      wait(lock, [] { return false; }, std::min(deadline, Clock::now() + net_->options().retry_backoff));
    }
  }
  return result;
}

void ByteConsumer::Impl::send_fetches() {
  auto cluster = net_->cluster();
  std::set<TopicPartition> buffered;
  std::set<int32_t> busy;
  {
    std::lock_guard lock(mu_);
    for (const auto& f : completed_) buffered.insert(f.tp);
    busy = fetching_nodes_;
  }
  std::map<int32_t, std::map<TopicPartition, int64_t>> by_node;
  bool need_metadata = false;
  for (const auto& [tp, st] : assigned_) {
    if (st.paused || !st.position || buffered.count(tp)) continue;
    int32_t leader = cluster->leader(tp.topic, tp.partition);
    if (leader < 0) {
      need_metadata = true;
      continue;
    }
    if (busy.count(leader)) continue;
    by_node[leader][tp] = *st.position;
  }
  if (need_metadata) {
    auto update = [this] { net_->request_metadata_update(); };
    net_->post(update);
  }
  for (auto& [node, parts] : by_node) {
    {
      std::lock_guard lock(mu_);
      fetching_nodes_.insert(node);
    }
    protocol::FetchRequest req;
    req.replica_id = -1;
    req.max_wait_ms = fetch_max_wait_ms_;
    req.min_bytes = fetch_min_bytes_;
    req.max_bytes = fetch_max_bytes_;
    req.isolation_level = read_committed_ ? 1 : 0;
    req.session_id = 0;
    req.session_epoch = -1;  // no fetch session: every fetch is a full one
    for (const auto& [tp, offset] : parts) {
      if (req.topics.empty() || req.topics.back().topic != tp.topic) {
        req.topics.emplace_back();
        req.topics.back().topic = tp.topic;
      }
      protocol::FetchRequest::FetchPartition p;
      p.partition = tp.partition;
      p.fetch_offset = offset;
      p.partition_max_bytes = max_partition_fetch_bytes_;
      req.topics.back().partitions.push_back(p);
    }
    const int32_t n = node;
    auto go = [this, n, req = std::move(req), sent = parts]() mutable {
      auto done = [this, n, sent](client::Response<protocol::FetchResponse> r) { handle_fetch(n, sent, std::move(r)); };
      net_->send<protocol::FetchResponse>(n, std::move(req),
                                          std::function<void(client::Response<protocol::FetchResponse>)>(done),
                                          kFetchVersions);
    };
    net_->post(std::move(go));
  }
}

void ByteConsumer::Impl::handle_fetch(int32_t node, std::map<TopicPartition, int64_t> sent,
                                      client::Response<protocol::FetchResponse> response) {
  std::vector<CompletedFetch> fetched;
  bool refresh = !response.ok();
  if (response.ok()) {
    if (response.body.error_code != 0) refresh = true;
    for (const auto& t : response.body.responses) {
      for (const auto& p : t.partitions) {
        TopicPartition tp{t.topic, p.partition_index};
        auto it = sent.find(tp);
        if (it == sent.end()) continue;
        CompletedFetch f;
        f.tp = tp;
        f.fetch_offset = it->second;
        f.next_offset = it->second;
        f.error = static_cast<ErrorCode>(p.error_code);
        if (f.error == ErrorCode::none) {
          if (p.records) parse_records(*p.records, read_committed_, p.aborted_transactions, f);
          if (f.records.empty() && f.next_offset == f.fetch_offset && f.error == ErrorCode::none) continue;
        } else if (f.error != ErrorCode::offset_out_of_range) {
          if (is_retriable(f.error)) {
            refresh = true;
            continue;
          }
        }
        fetched.push_back(std::move(f));
      }
    }
  }
  if (refresh) net_->request_metadata_update();
  std::lock_guard lock(mu_);
  fetching_nodes_.erase(node);
  for (auto& f : fetched) completed_.push_back(std::move(f));
  cv_.notify_all();
}

std::vector<ByteRecord> ByteConsumer::Impl::drain() {
  std::vector<ByteRecord> out;
  std::unique_lock lock(mu_);
  while (!completed_.empty() && out.size() < max_poll_records_) {
    CompletedFetch& f = completed_.front();
    auto it = assigned_.find(f.tp);
    // A fetch for a partition no longer assigned, paused, or moved by a seek: dropped (it is
    // fetched again from the current position).
    if (it == assigned_.end() || it->second.paused || it->second.position != f.fetch_offset) {
      completed_.pop_front();
      continue;
    }
    if (f.error == ErrorCode::offset_out_of_range) {
      TopicPartition tp = f.tp;
      int64_t offset = f.fetch_offset;
      completed_.pop_front();
      if (reset_ == Reset::none) {
        if (!out.empty()) break;  // the records already taken go out first
        throw OffsetOutOfRangeException("Fetch position FetchPosition{offset=" + std::to_string(offset) +
                                            "} is out of range for partition " + tp.str(),
                                        {tp});
      }
      it->second.position.reset();
      it->second.reset = reset_;
      continue;
    }
    if (f.error != ErrorCode::none) {
      ErrorCode code = f.error;
      std::string message = f.message;
      completed_.pop_front();
      if (!out.empty()) break;
      std::rethrow_exception(api_error(code, message));
    }
    while (f.next < f.records.size() && out.size() < max_poll_records_) {
      out.push_back(std::move(f.records[f.next]));
      it->second.position = out.back().offset + 1;
      f.fetch_offset = out.back().offset + 1;
      ++f.next;
    }
    if (f.next == f.records.size()) {
      it->second.position = std::max(*it->second.position, f.next_offset);
      completed_.pop_front();
    }
  }
  return out;
}

ConsumerRecords<Bytes, Bytes> ByteConsumer::Impl::poll(milliseconds timeout) {
  ensure_open();
  if (assigned_.empty() && !subscribed())
    throw IllegalStateException("Consumer is not subscribed to any topics or assigned any partitions");
  const auto deadline = deadline_after(timeout);
  {
    std::unique_lock lock(mu_);
    check_wakeup_locked();
  }
  run_commit_callbacks();
  maybe_auto_commit();
  while (true) {
    poll_coordinator(deadline);
    if (listener_error_) {
      auto e = listener_error_;
      listener_error_ = nullptr;
      std::rethrow_exception(e);
    }
    update_positions(deadline);
    auto records = drain();
    if (!records.empty()) {
      send_fetches();  // the next fetch goes out while the caller works on these
      return ConsumerRecords<Bytes, Bytes>(std::move(records));
    }
    send_fetches();
    std::unique_lock lock(mu_);
    bool more = wait(lock, [this] { return !completed_.empty() || !commit_callbacks_.empty() || group_needs_poll_locked(); },
                     std::min(deadline, Clock::now() + milliseconds(fetch_max_wait_ms_ + 100)));
    lock.unlock();
    run_commit_callbacks();
    if (!more && Clock::now() >= deadline) return {};
  }
}

int64_t ByteConsumer::Impl::position(const TopicPartition& tp, milliseconds timeout) {
  ensure_open();
  require_assigned(tp, "position");
  const auto deadline = deadline_after(timeout);
  while (!assigned_[tp].position) {
    update_positions(deadline);
    if (!assigned_[tp].position && Clock::now() >= deadline)
      throw TimeoutException("Timeout of " + std::to_string(timeout.count()) +
                             "ms expired before the position for partition " + tp.str() + " could be determined");
  }
  return *assigned_[tp].position;
}

std::map<TopicPartition, std::optional<OffsetAndMetadata>> ByteConsumer::Impl::committed(
    const std::set<TopicPartition>& tps, milliseconds timeout) {
  ensure_open();
  require_group("committed");
  std::map<TopicPartition, std::optional<OffsetAndMetadata>> result;
  if (tps.empty()) return result;
  const auto deadline = deadline_after(timeout);
  protocol::OffsetFetchRequest req;
  req.group_id = *group_id_;
  std::vector<protocol::OffsetFetchRequest::OffsetFetchRequestTopic> topics;
  for (const auto& tp : tps) {
    if (topics.empty() || topics.back().name != tp.topic) {
      topics.emplace_back();
      topics.back().name = tp.topic;
    }
    topics.back().partition_indexes.push_back(tp.partition);
  }
  req.topics = std::move(topics);
  using Resp = protocol::OffsetFetchResponse;
  while (true) {
    auto start = [this, req](std::function<void(client::Response<Resp>)> done) {
      to_coordinator<Resp>(req, kOffsetFetchVersions, done);
    };
    auto r = run<client::Response<Resp>>(start, deadline);
    if (!r)
      throw TimeoutException("Timeout of " + std::to_string(timeout.count()) +
                             "ms expired before the last committed offset for partitions " + join(tps) +
                             " could be determined. Try tuning default.api.timeout.ms larger to relax the threshold.");
    ErrorCode error = r->error;
    if (r->ok() && r->body.error_code != 0) error = static_cast<ErrorCode>(r->body.error_code);
    if (error == ErrorCode::none) {
      for (const auto& t : r->body.topics)
        for (const auto& p : t.partitions) {
          auto code = static_cast<ErrorCode>(p.error_code);
          if (code != ErrorCode::none && !is_retriable(code)) std::rethrow_exception(api_error(code, ""));
          if (code != ErrorCode::none) error = code;
          TopicPartition tp{t.name, p.partition_index};
          if (p.committed_offset >= 0)
            result[tp] = OffsetAndMetadata{p.committed_offset, p.metadata.value_or(""),
                                           p.committed_leader_epoch >= 0 ? std::optional<int32_t>(p.committed_leader_epoch)
                                                                         : std::nullopt};
          else
            result[tp] = std::nullopt;
        }
      if (error == ErrorCode::none) return result;
    }
    if (!is_retriable(error) && error != ErrorCode::not_coordinator && error != ErrorCode::coordinator_not_available &&
        error != ErrorCode::coordinator_load_in_progress)
      std::rethrow_exception(api_error(error, r->message));
    result.clear();
    std::unique_lock lock(mu_);
    wait(lock, [] { return false; }, std::min(deadline, Clock::now() + net_->options().retry_backoff));
  }
}

void ByteConsumer::Impl::send_commit(std::map<TopicPartition, OffsetAndMetadata> offsets, bool with_generation,
                                     std::function<void(std::exception_ptr)> done) {
  protocol::OffsetCommitRequest req;
  req.group_id = *group_id_;
  // No subscription: a simple commit, outside any generation. A member commits in its
  // generation, and only while it has a stable one.
  req.generation_id_or_member_epoch = -1;
  req.member_id = "";
  if (with_generation) {
    std::unique_lock lock(mu_);
    if (auto refused = commit_generation_error_locked()) {
      lock.unlock();
      return done(refused);
    }
    req.generation_id_or_member_epoch = generation_;
    req.member_id = member_id_;
  }
  for (const auto& [tp, o] : offsets) {
    if (req.topics.empty() || req.topics.back().name != tp.topic) {
      req.topics.emplace_back();
      req.topics.back().name = tp.topic;
    }
    protocol::OffsetCommitRequest::OffsetCommitRequestPartition p;
    p.partition_index = tp.partition;
    p.committed_offset = o.offset;
    p.committed_leader_epoch = o.leader_epoch.value_or(-1);
    p.committed_metadata = o.metadata;
    req.topics.back().partitions.push_back(p);
  }
  using Resp = protocol::OffsetCommitResponse;
  const int32_t generation = req.generation_id_or_member_epoch;
  auto answered = [this, done, with_generation, generation](client::Response<Resp> r) {
    if (!r.ok()) return done(api_error(r.error, r.message));
    for (const auto& t : r.body.topics)
      for (const auto& p : t.partitions)
        if (p.error_code != 0) return done(commit_error(static_cast<ErrorCode>(p.error_code), with_generation, generation));
    done(nullptr);
  };
  const auto instance = with_generation ? group_instance_id_ : std::nullopt;
  auto make = [req = std::move(req), instance](int16_t version) {
    protocol::OffsetCommitRequest r = req;
    if (version >= 7) r.group_instance_id = instance;
    return r;
  };
  to_coordinator<Resp>(std::function<protocol::OffsetCommitRequest(int16_t)>(make), kOffsetCommitVersions,
                       std::function<void(client::Response<Resp>)>(answered));
}

std::map<TopicPartition, OffsetAndMetadata> ByteConsumer::Impl::consumed_offsets() const {
  std::map<TopicPartition, OffsetAndMetadata> out;
  for (const auto& [tp, st] : assigned_)
    if (st.position) out[tp] = OffsetAndMetadata{*st.position, "", std::nullopt};
  return out;
}

void ByteConsumer::Impl::commit_sync(std::optional<std::map<TopicPartition, OffsetAndMetadata>> offsets,
                                     milliseconds timeout) {
  ensure_open();
  require_group("commitSync");
  run_commit_callbacks();
  auto all = offsets ? *offsets : consumed_offsets();
  if (all.empty()) return;
  const auto deadline = deadline_after(timeout);
  while (true) {
    const bool member = subscribed();
    auto start = [this, all, member](std::function<void(std::exception_ptr)> done) { send_commit(all, member, done); };
    auto r = run<std::exception_ptr>(start, deadline);
    if (!r)
      throw TimeoutException("Timeout of " + std::to_string(timeout.count()) +
                             "ms expired before successfully committing offsets " + join([&] {
                               std::set<TopicPartition> s;
                               for (const auto& [tp, o] : all) s.insert(tp);
                               return s;
                             }()));
    if (!*r) return;
    try {
      std::rethrow_exception(*r);
    } catch (const ApiException& e) {
      if (!e.retriable()) throw;
    }
    std::unique_lock lock(mu_);
    wait(lock, [] { return false; }, std::min(deadline, Clock::now() + net_->options().retry_backoff));
  }
}

void ByteConsumer::Impl::commit_async(std::optional<std::map<TopicPartition, OffsetAndMetadata>> offsets,
                                      OffsetCommitCallback cb) {
  ensure_open();
  require_group("commitAsync");
  auto all = offsets ? *offsets : consumed_offsets();
  {
    std::lock_guard lock(mu_);
    ++commits_in_flight_;
  }
  auto finished = [this, all, cb](std::exception_ptr error) {
    std::lock_guard lock(mu_);
    --commits_in_flight_;
    if (cb) commit_callbacks_.push_back([cb, all, error] { cb(all, error); });
    cv_.notify_all();
  };
  if (all.empty()) {
    finished(nullptr);
    return;
  }
  const bool member = subscribed();
  auto go = [this, all, finished, member] { send_commit(all, member, finished); };
  net_->post(go);
}

void ByteConsumer::Impl::run_commit_callbacks() {
  std::deque<std::function<void()>> ready;
  {
    std::lock_guard lock(mu_);
    ready.swap(commit_callbacks_);
  }
  for (auto& fn : ready) fn();
}

void ByteConsumer::Impl::maybe_auto_commit() {
  if (!auto_commit_ || Clock::now() < next_auto_commit_) return;
  next_auto_commit_ = Clock::now() + auto_commit_interval_;
  commit_async(std::nullopt, {});
}

std::vector<PartitionInfo> ByteConsumer::Impl::partitions_for(const std::string& topic) {
  ensure_open();
  auto add = [this, topic] { net_->add_topics({topic}); };
  net_->post(add);
  auto known = [&](const client::Cluster& c) {
    const client::TopicMetadata* t = c.topic(topic);
    return t && (!t->partitions.empty() || (t->error != ErrorCode::none && !is_retriable(t->error)));
  };
  auto [cluster, ok] = net_->await_cluster(known, deadline_after(default_api_timeout_));
  if (!ok)
    throw TimeoutException("Timeout expired while fetching topic metadata");
  std::vector<PartitionInfo> out;
  const client::TopicMetadata* t = cluster->topic(topic);
  for (const auto& p : t->partitions) out.push_back({topic, p.partition, p.leader, p.replicas, p.isr});
  return out;
}

void ByteConsumer::Impl::wakeup() {
  std::lock_guard lock(mu_);
  wakeup_ = true;
  cv_.notify_all();
}

void ByteConsumer::Impl::close(milliseconds timeout) {
  if (closed_) return;
  const auto deadline = deadline_after(timeout);
  try {
    if (auto_commit_ && !assigned_.empty()) {
      auto remaining = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      commit_sync(std::nullopt, std::max(milliseconds(0), remaining));
    }
  } catch (const std::exception&) {
    // Closing goes on: Java logs a failed final commit.
  }
  if (subscribed()) leave_group("the consumer is being closed", deadline);
  {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, deadline, [this] { return commits_in_flight_ == 0; });
  }
  run_commit_callbacks();
  closed_ = true;
  net_->stop();
}

// --- ByteConsumer: every call but wakeup() takes the single-thread guard. ---

ByteConsumer::ByteConsumer(const Properties& props) : impl_(std::make_unique<Impl>(props)) {}
ByteConsumer::~ByteConsumer() = default;

void ByteConsumer::subscribe(const std::vector<std::string>& topics, std::shared_ptr<ConsumerRebalanceListener> listener) {
  Impl::Guard g(*impl_);
  impl_->subscribe({topics.begin(), topics.end()}, std::nullopt, std::move(listener));
}
void ByteConsumer::subscribe_pattern(const std::regex& pattern, std::shared_ptr<ConsumerRebalanceListener> listener) {
  Impl::Guard g(*impl_);
  impl_->subscribe({}, pattern, std::move(listener));
}
std::set<std::string> ByteConsumer::subscription() {
  Impl::Guard g(*impl_);
  return impl_->subscription();
}
void ByteConsumer::assign(const std::vector<TopicPartition>& partitions) {
  Impl::Guard g(*impl_);
  impl_->assign(partitions);
}
std::set<TopicPartition> ByteConsumer::assignment() {
  Impl::Guard g(*impl_);
  return impl_->assignment();
}
void ByteConsumer::unsubscribe() {
  Impl::Guard g(*impl_);
  impl_->unsubscribe();
}
ConsumerRecords<Bytes, Bytes> ByteConsumer::poll(milliseconds timeout) {
  Impl::Guard g(*impl_);
  return impl_->poll(timeout);
}
int64_t ByteConsumer::position(const TopicPartition& tp) { return position(tp, impl_->default_api_timeout()); }
int64_t ByteConsumer::position(const TopicPartition& tp, milliseconds timeout) {
  Impl::Guard g(*impl_);
  return impl_->position(tp, timeout);
}
void ByteConsumer::seek(const TopicPartition& tp, int64_t offset) {
  Impl::Guard g(*impl_);
  impl_->seek(tp, offset);
}
void ByteConsumer::seekToBeginning(const std::vector<TopicPartition>& partitions) {
  Impl::Guard g(*impl_);
  impl_->reset(partitions, Reset::earliest);
}
void ByteConsumer::seekToEnd(const std::vector<TopicPartition>& partitions) {
  Impl::Guard g(*impl_);
  impl_->reset(partitions, Reset::latest);
}
void ByteConsumer::pause(const std::vector<TopicPartition>& partitions) {
  Impl::Guard g(*impl_);
  impl_->set_paused(partitions, true);
}
void ByteConsumer::resume(const std::vector<TopicPartition>& partitions) {
  Impl::Guard g(*impl_);
  impl_->set_paused(partitions, false);
}
std::set<TopicPartition> ByteConsumer::paused() {
  Impl::Guard g(*impl_);
  return impl_->paused();
}
std::map<TopicPartition, std::optional<OffsetAndMetadata>> ByteConsumer::committed(
    const std::set<TopicPartition>& partitions) {
  return committed(partitions, impl_->default_api_timeout());
}
std::map<TopicPartition, std::optional<OffsetAndMetadata>> ByteConsumer::committed(
    const std::set<TopicPartition>& partitions, milliseconds timeout) {
  Impl::Guard g(*impl_);
  return impl_->committed(partitions, timeout);
}
void ByteConsumer::commitSync() {
  Impl::Guard g(*impl_);
  impl_->commit_sync(std::nullopt, impl_->default_api_timeout());
}
void ByteConsumer::commitSync(const std::map<TopicPartition, OffsetAndMetadata>& offsets) {
  commitSync(offsets, impl_->default_api_timeout());
}
void ByteConsumer::commitSync(const std::map<TopicPartition, OffsetAndMetadata>& offsets, milliseconds timeout) {
  Impl::Guard g(*impl_);
  impl_->commit_sync(offsets, timeout);
}
void ByteConsumer::commitAsync(OffsetCommitCallback callback) {
  Impl::Guard g(*impl_);
  impl_->commit_async(std::nullopt, std::move(callback));
}
void ByteConsumer::commitAsync(const std::map<TopicPartition, OffsetAndMetadata>& offsets,
                               OffsetCommitCallback callback) {
  Impl::Guard g(*impl_);
  impl_->commit_async(offsets, std::move(callback));
}
std::map<TopicPartition, int64_t> ByteConsumer::beginningOffsets(const std::vector<TopicPartition>& partitions) {
  Impl::Guard g(*impl_);
  impl_->ensure_open();
  return impl_->list_offsets(partitions, kEarliest, deadline_after(impl_->default_api_timeout()));
}
std::map<TopicPartition, int64_t> ByteConsumer::endOffsets(const std::vector<TopicPartition>& partitions) {
  Impl::Guard g(*impl_);
  impl_->ensure_open();
  return impl_->list_offsets(partitions, kLatest, deadline_after(impl_->default_api_timeout()));
}
std::vector<PartitionInfo> ByteConsumer::partitionsFor(const std::string& topic) {
  Impl::Guard g(*impl_);
  return impl_->partitions_for(topic);
}
void ByteConsumer::wakeup() { impl_->wakeup(); }
void ByteConsumer::close(milliseconds timeout) {
  Impl::Guard g(*impl_);
  impl_->close(timeout);
}

}  // namespace gregor
