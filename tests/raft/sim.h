// A seeded, single-threaded simulation of a KRaft quorum: RaftNode cores wired to a simulated
// network (loss, delay, duplication, reordering, partitions that heal), clock and disks (crashes
// lose what was not synced, the last write may be torn), with Raft's safety properties checked
// after every step and liveness checked once the faults heal. Everything follows from the seed.
#pragma once

#include <cstdint>
#include <string>

namespace gregor::raft::sim {

struct Options {
  uint64_t seed = 1;
  int voters = 3;
  int observers = 1;
  int64_t chaos_ms = 20000;     // faults are injected during this long
  int64_t liveness_ms = 20000;  // after healing, a proposal must commit everywhere within this
  bool verbose = false;         // print every event
};

struct Result {
  bool ok = true;
  std::string failure;  // the broken property and when, if not ok
  int64_t committed = 0;  // the highest high watermark any node reported
  int max_epoch = 0;
  int crashes = 0;
  int snapshots_installed = 0;
  int truncations = 0;
  int64_t steps = 0;
};

Result run(const Options& options);

// The command line that replays a run exactly.
std::string replay_command(const Options& options);

}  // namespace gregor::raft::sim
