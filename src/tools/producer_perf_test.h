// `gregor producer-perf-test` (bin/kafka-producer-perf-test.sh): Kafka 4.0's ProducerPerformance.
// Sends --num-records records through the client library's producer as fast as it can, or at
// about --throughput records a second (Kafka's ThroughputThrottler), and reports as Kafka does:
// every 5 seconds
//   "N records sent, X records/sec (Y MB/sec), Z ms avg latency, W ms max latency."
// and once at the end, with latency percentiles (sampled as Kafka samples them)
//   "N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P ms 50th,
//    P ms 95th, P ms 99th, P ms 99.9th."
//
//   --topic T --num-records N --throughput R (-1: unthrottled)
//   exactly one of --record-size B (random uppercase letters), --payload-file F (one payload per
//   --payload-delimiter, default a newline, picked at random), --payload-monotonic (the record's
//   number)
//   --producer-props k=v... and/or --producer.config FILE (the flag's values win)
//
// --print-metrics and transactions (--transactional-id, --transaction-duration-ms,
// transactional.id) are refused: Gregor's producer has neither metrics nor transactions. A bad
// command line is one line on err ("producer-performance: error: ..."), exit status 1; a record
// that fails prints its error on err and is not counted, as in Kafka.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace gregor::tools {

int run_producer_perf_test(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Kafka's ThroughputThrottler: call should_throttle(records so far, now) after each send and
// throttle() when it says so; the average rate then stays near the target. A negative target
// never throttles; a target of 0 blocks for good, as Kafka's does.
class ThroughputThrottler {
 public:
  ThroughputThrottler(double target_per_sec, int64_t start_ms);
  bool should_throttle(int64_t amount_so_far, int64_t send_start_ms) const;
  void throttle();

 private:
  int64_t start_ms_;
  double target_;
  int64_t sleep_time_ns_;
  int64_t sleep_deficit_ns_ = 0;
};

}  // namespace gregor::tools
