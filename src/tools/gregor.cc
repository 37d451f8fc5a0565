// The gregor command: the broker (`server`) and its tools.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "broker/server.h"
#include "protocol/generated/api_registry.h"
#include "tools/broker_api_versions.h"
#include "tools/configs.h"
#include "tools/console_consumer.h"
#include "tools/console_producer.h"
#include "tools/consumer_groups.h"
#include "tools/consumer_perf_test.h"
#include "tools/delete_records.h"
#include "tools/dump_log.h"
#include "tools/get_offsets.h"
#include "tools/producer_perf_test.h"
#include "tools/topics.h"
#include "tools/version.h"

namespace {

using gregor::tools::kGregorVersion;

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
               "  server [server.properties] [--override key=value]...\n"
               "                 run the broker (without a file: a single node with its data in ./gregor-data)\n"
               "  storage format -t CLUSTER_ID -c server.properties | storage random-uuid\n"
               "                 prepare log dirs for a configured cluster, as kafka-storage.sh\n"
               "  dump-log --files FILE[,FILE...] [--print-data-log] [--deep-iteration] ...\n"
               "                 print segments, indexes and snapshots, as kafka-dump-log.sh\n"
               "  broker-api-versions --bootstrap-server HOST:PORT [--command-config FILE]\n"
               "                 the API versions of every broker, as kafka-broker-api-versions.sh\n"
               "  topics --bootstrap-server HOST:PORT --create|--list|--describe|--alter|--delete ...\n"
               "                 create, list, describe, grow and delete topics, as kafka-topics.sh\n"
               "  console-consumer --bootstrap-server HOST:PORT --topic T|--include REGEX ...\n"
               "                 print records, as kafka-console-consumer.sh\n"
               "  consumer-perf-test --bootstrap-server HOST:PORT --topic T --messages N ...\n"
               "                 measure a consumer, as kafka-consumer-perf-test.sh\n"
               "  consumer-groups --bootstrap-server HOST:PORT --list|--describe|--delete|--reset-offsets|--delete-offsets ...\n"
               "                 list, describe and delete consumer groups, reset their offsets, as kafka-consumer-groups.sh\n"
               "  configs --bootstrap-server HOST:PORT --describe|--alter --entity-type topics|brokers ...\n"
               "                 describe and change topic and broker configs, as kafka-configs.sh\n"
               "  get-offsets --bootstrap-server HOST:PORT [--topic REGEX] [--time -1|-2|-3|MS] ...\n"
               "                 the offsets of partitions, as kafka-get-offsets.sh\n"
               "  delete-records --bootstrap-server HOST:PORT --offset-json-file FILE\n"
               "                 delete records up to offsets, as kafka-delete-records.sh\n"
               "  console-producer --bootstrap-server HOST:PORT --topic T [--property k=v]... [--sync] ...\n"
               "                 send the lines of standard input as records, as kafka-console-producer.sh\n"
               "  producer-perf-test --topic T --num-records N --record-size B --throughput R --producer-props k=v...\n"
               "                 measure the producer's throughput and latency, as kafka-producer-perf-test.sh\n"
               "  api-versions   list every Kafka API with its version range\n"
               "  version        print the version\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string cmd = argv[1];
  if (cmd == "version" || cmd == "--version") {
    std::printf("gregor %s\n", kGregorVersion);
  } else if (cmd == "api-versions") {
    print_api_versions();
  } else if (cmd == "server") {
    std::printf("gregor %s\n", kGregorVersion);
    std::fflush(stdout);
    return gregor::broker::run_server(std::vector<std::string>(argv + 2, argv + argc));
  } else if (cmd == "storage") {
    return gregor::broker::run_storage_tool(std::vector<std::string>(argv + 2, argv + argc));
  } else if (cmd == "dump-log") {
    return gregor::tools::run_dump_log(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  } else if (cmd == "broker-api-versions") {
    return gregor::tools::run_broker_api_versions(std::vector<std::string>(argv + 2, argv + argc), std::cout,
                                                  std::cerr);
  } else if (cmd == "topics") {
    return gregor::tools::run_topics(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  } else if (cmd == "console-consumer") {
    return gregor::tools::run_console_consumer(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  } else if (cmd == "consumer-perf-test") {
    return gregor::tools::run_consumer_perf_test(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  } else if (cmd == "consumer-groups") {
    return gregor::tools::run_consumer_groups(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  } else if (cmd == "configs") {
    return gregor::tools::run_configs(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  } else if (cmd == "get-offsets") {
    return gregor::tools::run_get_offsets(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  } else if (cmd == "delete-records") {
    return gregor::tools::run_delete_records(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  } else if (cmd == "console-producer") {
    return gregor::tools::run_console_producer(std::vector<std::string>(argv + 2, argv + argc), std::cin, std::cout,
                                               std::cerr);
  } else if (cmd == "producer-perf-test") {
    return gregor::tools::run_producer_perf_test(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  } else {
    return usage();
  }
  return 0;
}
