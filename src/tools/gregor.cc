// The gregor command. Until the broker lands, `server` reports what this build speaks.
#include <cstdio>
#include <cstring>
#include <string>

#include "protocol/generated/api_registry.h"

namespace {

constexpr const char* kVersion = "0.1.0";

void print_api_versions() {
  using gregor::protocol::all_apis;
  for (const auto& api : all_apis()) {
    std::printf("%s(%d): %d to %d", api.name, api.key, api.versions.lo, api.versions.hi);
    if (api.request_flexible_from >= 0) std::printf(" [flexible from %d]", api.request_flexible_from);
    std::printf("\n");
  }
}

int usage() {
  std::fprintf(stderr,
               "usage: gregor <command>\n"
               "  server         run the broker (this build: print the version and the APIs it decodes)\n"
               "  api-versions   list every Kafka API with its version range\n"
               "  version        print the version\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string cmd = argv[1];
  if (cmd == "version" || cmd == "--version") {
    std::printf("gregor %s\n", kVersion);
  } else if (cmd == "api-versions") {
    print_api_versions();
  } else if (cmd == "server") {
    std::printf("gregor %s\n", kVersion);
    std::printf("This build has the Kafka protocol codec and record batches; the broker is not in it yet.\n");
    std::printf("Supported APIs (%zu):\n", gregor::protocol::all_apis().size());
    print_api_versions();
  } else {
    return usage();
  }
  return 0;
}
