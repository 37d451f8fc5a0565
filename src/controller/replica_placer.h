// Where the replicas of new partitions go: Kafka's StripedReplicaPlacer.
//
// Racks take turns (the first replica of successive partitions starts one rack further on, from a
// random first rack), and so do the brokers within a rack (from a random first broker), which
// gives the characteristic striped pattern: with racks A, B, C of brokers 0..2 each,
//   partition 0: A0 B0 C0,  partition 1: B1 C1 A1,  partition 2: C2 A2 B2.
// Unfenced brokers are used before fenced ones and a leader (the first replica) is never fenced.
// Once as many partitions have been placed as there are unfenced brokers, the racks and brokers
// are shuffled so that the same sets do not repeat.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "controller/random.h"

namespace gregor::controller {

// A broker replicas may be placed on: registered and not shutting down.
struct UsableBroker {
  int32_t id = -1;
  std::optional<std::string> rack;
  bool fenced = false;
};

// The replicas of num_partitions new partitions, replication_factor brokers each. Fails with
// invalid_replication_factor and Kafka's message when the factor is not positive, every broker
// is fenced, or there are fewer brokers than the factor.
StatusOr<std::vector<std::vector<int32_t>>> place_replicas(Random& random, int32_t num_partitions,
                                                           int32_t replication_factor,
                                                           const std::vector<UsableBroker>& brokers);

}  // namespace gregor::controller
