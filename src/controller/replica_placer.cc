#include "controller/replica_placer.h"

#include <algorithm>
#include <map>

namespace gregor::controller {

namespace {

Status invalid_replication_factor(std::string message) {
  return Status(ErrorCode::invalid_replication_factor, std::move(message));
}

// Brokers taken in turn from a random start. An iteration epoch is one partition: within it each
// broker is returned at most once, and each new epoch starts one broker further on.
class BrokerList {
 public:
  void add(int32_t broker) { brokers_.push_back(broker); }

  void initialize(Random& random) {
    if (brokers_.empty()) return;
    std::sort(brokers_.begin(), brokers_.end());
    offset_ = static_cast<size_t>(random.next_int(static_cast<int32_t>(brokers_.size())));
  }

  void shuffle(Random& random) { random.shuffle(brokers_); }

  // The next broker of this epoch, or -1 when every one was returned in it.
  int32_t next(int epoch) {
    if (brokers_.empty()) return -1;
    if (epoch_ != epoch) {
      epoch_ = epoch;
      index_ = 0;
      offset_ = (offset_ + 1) % brokers_.size();
    }
    if (index_ >= brokers_.size()) return -1;
    return brokers_[(index_++ + offset_) % brokers_.size()];
  }

 private:
  std::vector<int32_t> brokers_;
  size_t index_ = 0;
  size_t offset_ = 0;
  int epoch_ = 0;
};

struct Rack {
  BrokerList fenced;
  BrokerList unfenced;

  // Unfenced brokers first; fenced ones only once those ran out.
  int32_t next(int epoch) {
    const int32_t broker = unfenced.next(epoch);
    return broker >= 0 ? broker : fenced.next(epoch);
  }
};

class RackList {
 public:
  RackList(Random& random, const std::vector<UsableBroker>& brokers) : random_(random) {
    for (const UsableBroker& b : brokers) {
      Rack& rack = racks_[b.rack];
      if (b.fenced) {
        rack.fenced.add(b.id);
      } else {
        rack.unfenced.add(b.id);
        ++unfenced_count_;
      }
      ++total_count_;
    }
    // No rack sorts first, then racks by name: the map's order.
    for (auto& [name, rack] : racks_) {
      rack.fenced.initialize(random_);
      rack.unfenced.initialize(random_);
      rack_names_.push_back(name);
    }
    offset_ = rack_names_.empty() ? 0 : static_cast<size_t>(random_.next_int(static_cast<int32_t>(rack_names_.size())));
  }

  int total_count() const { return total_count_; }
  int unfenced_count() const { return unfenced_count_; }

  // Empty when no broker can be found, which the checks in place_replicas rule out.
  std::vector<int32_t> place(int32_t replication_factor) {
    // After as many partitions as there are unfenced brokers, shuffle so the same sets do not
    // come round again (not with a single unfenced broker, which would loop forever).
    if (epoch_ == unfenced_count_ && unfenced_count_ > 1) {
      shuffle();
      epoch_ = 0;
    }
    if (offset_ == rack_names_.size()) offset_ = 0;
    std::vector<int32_t> replicas;
    replicas.reserve(static_cast<size_t>(replication_factor));
    // The leader: the first unfenced broker from the starting rack on.
    // A lap of the racks that finds nothing would find nothing forever: give up rather than spin.
    size_t first_rack = offset_;
    for (size_t tried = 0;; ++tried) {
      if (tried == rack_names_.size()) return {};
      const int32_t broker = rack(first_rack).unfenced.next(epoch_);
      if (broker >= 0) {
        replicas.push_back(broker);
        break;
      }
      first_rack = (first_rack + 1) % rack_names_.size();
    }
    // The followers: one per rack in turn from the starting rack, skipping the leader's rack the
    // first time round.
    size_t rack_index = offset_;
    bool leader_rack_skipped = false;
    for (int32_t replica = 1; replica < replication_factor; ++replica) {
      int32_t broker = -1;
      size_t missed = 0;
      do {
        if (missed++ > rack_names_.size()) return {};
        if (!leader_rack_skipped && rack_index == first_rack) {
          leader_rack_skipped = true;
        } else {
          broker = rack(rack_index).next(epoch_);
        }
        rack_index = (rack_index + 1) % rack_names_.size();
      } while (broker < 0);
      replicas.push_back(broker);
    }
    ++epoch_;
    ++offset_;
    return replicas;
  }

 private:
  Rack& rack(size_t index) { return racks_.at(rack_names_[index]); }

  void shuffle() {
    random_.shuffle(rack_names_);
    for (auto& [name, rack] : racks_) {
      rack.fenced.shuffle(random_);
      rack.unfenced.shuffle(random_);
    }
  }

  Random& random_;
  std::map<std::optional<std::string>, Rack> racks_;
  std::vector<std::optional<std::string>> rack_names_;
  int total_count_ = 0;
  int unfenced_count_ = 0;
  int epoch_ = 0;
  size_t offset_ = 0;
};

}  // namespace

StatusOr<std::vector<std::vector<int32_t>>> place_replicas(Random& random, int32_t num_partitions,
                                                           int32_t replication_factor,
                                                           const std::vector<UsableBroker>& brokers) {
  RackList racks(random, brokers);
  if (replication_factor <= 0) {
    return invalid_replication_factor("Invalid replication factor " + std::to_string(replication_factor) +
                                      ": the replication factor must be positive.");
  }
  if (racks.unfenced_count() == 0) return invalid_replication_factor("All brokers are currently fenced.");
  if (replication_factor > racks.total_count()) {
    return invalid_replication_factor("The target replication factor of " + std::to_string(replication_factor) +
                                      " cannot be reached because only " + std::to_string(racks.total_count()) +
                                      " broker(s) are registered.");
  }
  std::vector<std::vector<int32_t>> placements;
  placements.reserve(static_cast<size_t>(std::max(num_partitions, 0)));
  for (int32_t p = 0; p < num_partitions; ++p) {
    placements.push_back(racks.place(replication_factor));
    if (placements.back().empty()) {
      return Status(ErrorCode::unknown_server_error,
                    "replica placement ran out of brokers for partition " + std::to_string(p));
    }
  }
  return placements;
}

}  // namespace gregor::controller
