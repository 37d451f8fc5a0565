// raft_sim: runs the quorum simulation for one seed or a range of seeds. A failing seed prints
// the one line that replays it.
//   raft_sim --seed 1234 [--verbose]
//   raft_sim --first 1 --seeds 2000 --voters 5 --observers 2
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sim.h"

int main(int argc, char** argv) {
  gregor::raft::sim::Options o;
  uint64_t first = 1, count = 1;
  bool single = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> long long {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return std::atoll(argv[++i]);
    };
    if (a == "--seed") first = static_cast<uint64_t>(value()), single = true;
    else if (a == "--first") first = static_cast<uint64_t>(value());
    else if (a == "--seeds") count = static_cast<uint64_t>(value());
    else if (a == "--voters") o.voters = static_cast<int>(value());
    else if (a == "--observers") o.observers = static_cast<int>(value());
    else if (a == "--chaos-ms") o.chaos_ms = value();
    else if (a == "--liveness-ms") o.liveness_ms = value();
    else if (a == "--verbose") o.verbose = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (single) count = 1;
  int failures = 0;
  long long steps = 0, crashes = 0, installs = 0, truncations = 0, committed = 0;
  for (uint64_t s = first; s < first + count; ++s) {
    o.seed = s;
    gregor::raft::sim::Result r = gregor::raft::sim::run(o);
    steps += r.steps;
    crashes += r.crashes;
    installs += r.snapshots_installed;
    truncations += r.truncations;
    committed += r.committed;
    if (!r.ok) {
      ++failures;
      std::printf("FAIL seed %llu: %s\n  replay: %s\n", static_cast<unsigned long long>(s), r.failure.c_str(),
                  gregor::raft::sim::replay_command(o).c_str());
    } else if (single) {
      std::printf("ok seed %llu: committed %lld, max epoch %d, %d crashes, %d snapshots installed, %d truncations\n",
                  static_cast<unsigned long long>(s), static_cast<long long>(r.committed), r.max_epoch, r.crashes,
                  r.snapshots_installed, r.truncations);
    }
  }
  std::printf("%d of %llu seeds failed (%lld steps, %lld crashes, %lld snapshots installed, %lld truncations, "
              "%lld records committed)\n",
              failures, static_cast<unsigned long long>(count), steps, crashes, installs, truncations, committed);
  return failures == 0 ? 0 : 1;
}
