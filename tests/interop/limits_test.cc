// A real `gregor server` process at its limits and under bad input: 1 MB records and one over
// message.max.bytes, a topic of 1,000 partitions, 100 topics (confluent-kafka), and every kind of
// bad request sent while a confluent-kafka producer keeps producing, which must not notice.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "../broker/raw_client.h"
#include "../storage/log_test_util.h"
#include "broker_process_test.h"
#include "common/error_code.h"
#include "protocol/generated/message/create_topics_request.h"
#include "protocol/generated/message/create_topics_response.h"
#include "protocol/generated/message/fetch_request.h"
#include "protocol/generated/message/metadata_request.h"
#include "protocol/generated/message/metadata_response.h"
#include "protocol/generated/message/produce_request.h"
#include "protocol/generated/message/produce_response.h"

namespace gregor::testing {
namespace {

using namespace std::chrono_literals;
using broker::Client;
using broker::produce_request;

class LimitsTest : public BrokerProcessTest {
 protected:
  ProcessResult limits(std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/python3", std::string(GREGOR_SOURCE_DIR) + "/tests/clients/limits.py"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, 240s);
  }
};

TEST_F(LimitsTest, OneMegabyteRecordsPassAndLargerOnesGetMessageTooLarge) {
  auto r = limits({"large", broker->bootstrap(), "large"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(LimitsTest, ATopicOfAThousandPartitions) {
  auto r = limits({"partitions", broker->bootstrap(), "wide", "1000"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(LimitsTest, AHundredTopics) {
  auto r = limits({"topics", broker->bootstrap(), "many", "100"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

int16_t code(ErrorCode e) { return static_cast<int16_t>(e); }

TEST_F(LimitsTest, BadInputGetsKafkasErrorsWhileAnotherClientKeepsProducing) {
  // The steady producer runs in the background until the stop file appears.
  const std::string stop_file = dir.path() + "/stop";
  auto steady = std::async(std::launch::async, [&] {
    return limits({"produce-until", broker->bootstrap(), "steady", stop_file});
  });
  // Wait until it has produced something, so that the bad input meets a busy broker.
  auto delivered = [&] {
    Client c(broker->port());
    protocol::MetadataRequest m;
    m.topics.emplace().emplace_back().name = "steady";
    m.allow_auto_topic_creation = false;
    c.send(m, 12, 1);
    auto r = c.receive<protocol::MetadataResponse>(12);
    return r && !r->second.topics.empty() && r->second.topics[0].error_code == 0;
  };
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!delivered() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_TRUE(delivered()) << "the steady producer never created its topic";

  // Frames the broker cannot read close their connection, and only it.
  const std::vector<Bytes> bad_frames = {
      Bytes{0x7f, 0xff, 0xff, 0xff},                             // a size over socket.request.max.bytes
      Bytes{0xff, 0xff, 0xff, 0xfe},                             // a negative size
      Bytes{0, 0, 0, 2, 0, 18},                                  // a header cut short
      Bytes{0, 0, 0, 8, 0x7f, 0x00, 0, 0, 0, 0, 0, 1},           // an unknown API key
      Bytes{0, 0, 0, 12, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0xff, 0xff},  // a Produce body cut short
  };
  for (const Bytes& frame : bad_frames) {
    Client c(broker->port());
    c.send_raw(frame);
    EXPECT_FALSE(c.read_frame()) << "the broker should close this connection";
  }

  Client c(broker->port());
  int32_t correlation = 100;
  // Produce: a corrupt batch, an unknown topic, an unknown partition of a known topic.
  std::vector<Bytes> keep;
  auto produce = [&](const std::string& topic, int partition, bool corrupt) {
    keep.push_back(storage::testing::make_batch(2, 1000));
    if (corrupt) keep.back()[keep.back().size() - 1] ^= 0xff;  // breaks the CRC
    c.send(produce_request(topic, partition, keep.back()), 9, ++correlation);
    auto response = c.receive<protocol::ProduceResponse>(9);
    EXPECT_TRUE(response);
    return response ? response->second.responses.at(0).partition_responses.at(0).error_code : int16_t{-100};
  };
  EXPECT_EQ(produce("steady", 0, true), code(ErrorCode::corrupt_message));
  EXPECT_EQ(produce("no-such-topic", 0, false), code(ErrorCode::unknown_topic_or_partition));
  EXPECT_EQ(produce("steady", 7, false), code(ErrorCode::unknown_topic_or_partition));

  // CreateTopics: invalid names and invalid configs, each with a message.
  protocol::CreateTopicsRequest create;
  create.timeout_ms = 30000;
  for (const std::string& name : std::vector<std::string>{"bad name!", "..", std::string(250, 'x')}) {
    auto& t = create.topics.emplace_back();
    t.name = name;
    t.num_partitions = 1;
    t.replication_factor = 1;
  }
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"retention.ms", "soon"}, {"cleanup.policy", "sometimes"}, {"no.such.config", "1"}}) {
    auto& t = create.topics.emplace_back();
    t.name = "bad-config-" + key;
    t.num_partitions = 1;
    t.replication_factor = 1;
    auto& config = t.configs.emplace_back();
    config.name = key;
    config.value = value;
  }
  c.send(create, 7, ++correlation);
  auto created = c.receive<protocol::CreateTopicsResponse>(7);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->second.topics.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const auto& t = created->second.topics[i];
    EXPECT_EQ(t.error_code, code(i < 3 ? ErrorCode::invalid_topic_exception : ErrorCode::invalid_config)) << t.name;
    EXPECT_TRUE(t.error_message && !t.error_message->empty()) << t.name;
  }
  // Metadata for an invalid name: INVALID_TOPIC_EXCEPTION, nothing created.
  protocol::MetadataRequest m;
  m.topics.emplace().emplace_back().name = "bad name!";
  c.send(m, 12, ++correlation);
  auto metadata = c.receive<protocol::MetadataResponse>(12);
  ASSERT_TRUE(metadata);
  EXPECT_EQ(metadata->second.topics.at(0).error_code, code(ErrorCode::invalid_topic_exception));

  // The steady producer saw none of it: every record it sent was acknowledged.
  std::ofstream(stop_file) << "stop";
  auto result = steady.get();
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const size_t at = result.output.find("delivered ");
  ASSERT_NE(at, std::string::npos) << result.output;
  const long sent = std::stol(result.output.substr(at + 10));
  EXPECT_GT(sent, 0);
  // And the partition holds exactly those records: the corrupt batch left nothing.
  auto consumed = run_process({"kcat", "-b", broker->bootstrap(), "-C", "-t", "steady", "-o", "beginning", "-e",
                               "-q", "-f", "%o\n"},
                              60s);
  ASSERT_EQ(consumed.exit_code, 0) << consumed.output;
  EXPECT_EQ(std::count(consumed.output.begin(), consumed.output.end(), '\n'), sent);
  // Each closed connection left a line in the broker's log.
  const std::string log = broker->log();
  size_t lines = 0;
  for (size_t at = log.find("closing connection from"); at != std::string::npos;
       at = log.find("closing connection from", at + 1)) {
    ++lines;
  }
  EXPECT_GE(lines, bad_frames.size()) << log;
}

TEST_F(LimitsTest, AConsumerGoneBeforeItsLongPollIsAnsweredLeavesTheBrokerServing) {
  Client c(broker->port());
  int32_t correlation = 0;
  protocol::CreateTopicsRequest create;
  auto& t = create.topics.emplace_back();
  t.name = "big";
  t.num_partitions = 1;
  t.replication_factor = 1;
  c.send(create, 7, ++correlation);
  ASSERT_EQ(c.receive<protocol::CreateTopicsResponse>(7)->second.topics.at(0).error_code, 0);
  auto produce_megabyte = [&](int64_t offset) {
    Bytes batch = storage::testing::make_batch(1, 1000, static_cast<int>(offset), record::Compression::none,
                                               1000 * 1000, false);
    c.send(produce_request("big", 0, batch), 9, ++correlation);
    auto produced = c.receive<protocol::ProduceResponse>(9);
    ASSERT_TRUE(produced);
    ASSERT_EQ(produced->second.responses.at(0).partition_responses.at(0).error_code, 0);
  };
  for (int round = 0; round < 3; ++round) {
    // A consumer long-polls at the end of the log, then goes away (FIN) before data comes.
    {
      Client gone(broker->port());
      protocol::FetchRequest fetch;
      fetch.max_wait_ms = 30000;
      fetch.min_bytes = 1;
      fetch.max_bytes = 50 << 20;
      auto& ft = fetch.topics.emplace_back();
      ft.topic = "big";
      auto& fp = ft.partitions.emplace_back();
      fp.fetch_offset = round;
      fp.partition_max_bytes = 10 << 20;
      gone.send(fetch, 12, 1);
    }
    // A megabyte arrives: the parked poll answers a closed socket, whose RST comes back while
    // the records still go out by sendfile, which then fails with EPIPE.
    produce_megabyte(round);
  }
  // The broker goes on: the next client is served, and it stops cleanly.
  Client next(broker->port());
  protocol::MetadataRequest m;
  m.topics.emplace().emplace_back().name = "big";
  next.send(m, 12, 1);
  auto metadata = next.receive<protocol::MetadataResponse>(12);
  ASSERT_TRUE(metadata) << "the broker is gone";
  EXPECT_EQ(metadata->second.topics.at(0).error_code, 0);
  EXPECT_EQ(broker->stop(), 0) << broker->log();
}

}  // namespace
}  // namespace gregor::testing
