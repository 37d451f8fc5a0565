// Idempotent producers against a real `gregor server` process: librdkafka (confluent-kafka) riding
// out a broker crash and restart with nothing lost and nothing written twice, and kafkajs.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "broker_process_test.h"

namespace gregor::testing {
namespace {

using namespace std::chrono_literals;

using IdempotentClientsTest = BrokerProcessTest;

// The number in the file the producer script rewrites after each delivery report (0 before it has).
int read_progress(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  return in >> n ? n : 0;
}

TEST_F(IdempotentClientsTest, AnIdempotentProducerRidesOutABrokerCrashWithoutLossOrDuplicates) {
  const std::string progress = dir.path() + "/progress";
  const int port = broker->port();
  const std::string bootstrap = broker->bootstrap();
  constexpr int kCount = 3000;
  ProcessResult produced;
  std::thread producer([&] {
    produced = python("confluent_idempotent_restart.py", {bootstrap, "restarted", std::to_string(kCount), progress});
  });
  // A third of the stream acknowledged: the broker dies with batches in flight and more queued behind them.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (read_progress(progress) < kCount / 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);  // polling the producer's progress file, up to the deadline
  }
  const int at_crash = read_progress(progress);
  broker->kill();
  // Back on the same port, recovered without a clean shutdown: the producer state comes from the log.
  const bool restarted = broker->start(60s, port);
  producer.join();
  EXPECT_GE(at_crash, kCount / 3) << "the producer did not get going";
  EXPECT_LT(at_crash, kCount) << "the stream ended before the crash";
  EXPECT_TRUE(restarted) << "the broker did not come back on port " << port;
  EXPECT_EQ(produced.exit_code, 0) << produced.output;
}

TEST_F(IdempotentClientsTest, KafkajsIdempotentProducer) {
  auto produced = run_process({"node", std::string(GREGOR_SOURCE_DIR) + "/tests/clients/kafkajs_idempotent.js",
                               broker->bootstrap(), "kafkajs-idempotent", "50"},
                              90s);
  ASSERT_EQ(produced.exit_code, 0) << produced.output;
  std::string offsets;
  for (int i = 0; i < 50; i += 10) offsets += std::to_string(i) + "\n";
  EXPECT_EQ(produced.output, offsets);
  if (!have_program("kcat")) return;
  auto consumed = kcat({"-C", "-t", "kafkajs-idempotent", "-p", "0", "-o", "beginning", "-e", "-q", "-f", "%k=%s\n"});
  ASSERT_EQ(consumed.exit_code, 0) << consumed.output;
  std::string expected;
  for (int i = 0; i < 50; ++i) expected += "k" + std::to_string(i) + "=v" + std::to_string(i) + "\n";
  EXPECT_EQ(consumed.output, expected);
}

}  // namespace
}  // namespace gregor::testing
