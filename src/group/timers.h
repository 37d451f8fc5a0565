// Deadlines by key, for state machines that are driven by a clock they do not own: schedule,
// reschedule or cancel a key, ask for the earliest deadline, take the keys that are due.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace gregor::group {

template <typename Key>
class Timers {
 public:
  // Sets key's deadline, replacing the one it had.
  void schedule(const Key& key, int64_t at) {
    cancel(key);
    deadlines_.emplace(key, at);
    queue_.emplace(at, key);
  }
  void cancel(const Key& key) {
    auto it = deadlines_.find(key);
    if (it == deadlines_.end()) return;
    queue_.erase({it->second, key});
    deadlines_.erase(it);
  }
  bool scheduled(const Key& key) const { return deadlines_.count(key) != 0; }
  std::optional<int64_t> deadline(const Key& key) const {
    auto it = deadlines_.find(key);
    return it == deadlines_.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }
  std::optional<int64_t> next() const {
    return queue_.empty() ? std::nullopt : std::optional<int64_t>(queue_.begin()->first);
  }
  // The keys due at now, earliest first; they are no longer scheduled.
  std::vector<Key> take_due(int64_t now) {
    std::vector<Key> due;
    while (!queue_.empty() && queue_.begin()->first <= now) {
      due.push_back(queue_.begin()->second);
      deadlines_.erase(queue_.begin()->second);
      queue_.erase(queue_.begin());
    }
    return due;
  }
  // The earliest key due at now, no longer scheduled; nullopt when none is due.
  std::optional<Key> take_next(int64_t now) {
    if (queue_.empty() || queue_.begin()->first > now) return std::nullopt;
    Key key = queue_.begin()->second;
    deadlines_.erase(key);
    queue_.erase(queue_.begin());
    return key;
  }
  void clear() {
    deadlines_.clear();
    queue_.clear();
  }

 private:
  std::map<Key, int64_t> deadlines_;
  std::set<std::pair<int64_t, Key>> queue_;
};

}  // namespace gregor::group
