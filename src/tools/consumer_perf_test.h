// `gregor consumer-perf-test` (bin/kafka-consumer-perf-test.sh): Kafka 4.0's ConsumerPerformance.
//
//   --bootstrap-server HOST:PORT --topic T --messages N [--group G] [--fetch-size BYTES]
//   [--from-latest] [--show-detailed-stats] [--reporting-interval MS] [--timeout MS]
//   [--hide-header] [--consumer.config FILE] [--socket-buffer-size BYTES] [--date-format FORMAT]
//
// Subscribes (group perf-consumer-NNNNN unless --group), reads until N records came or --timeout
// passed without one, then prints Kafka's header and report line: start.time, end.time,
// data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms,
// fetch.MB.sec, fetch.nMsg.sec (with --show-detailed-stats, a progress line per reporting
// interval instead). --print-metrics is refused: the client keeps no metrics.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace gregor::tools {

int run_consumer_perf_test(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gregor::tools
