// Real clients' first requests — ApiVersions, Metadata and Produce with each compression codec —
// captured by a tiny listener: Gregor must decode every frame and re-encode the same bytes, and
// read back the records the client sent.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "captured.h"
#include "fake_broker.h"
#include "process.h"
#include "protocol/generated/message/api_versions_request.h"
#include "protocol/generated/message/metadata_request.h"
#include "protocol/generated/message/produce_request.h"

namespace gregor::testing {
namespace {

using record::Compression;
namespace p = gregor::protocol;

const std::string kTopic = "golden";

// What every client script sends: keys k0..k2 and values that repeat themselves, so that every
// codec shrinks the batch (clients send a batch uncompressed when compressing does not pay).
std::string expected_value(int i) {
  std::string v = "value-" + std::to_string(i) + "-";
  for (int j = 0; j < 40; ++j) v += "gregor";
  return v;
}

std::string clients_dir() { return std::string(GREGOR_SOURCE_DIR) + "/tests/clients"; }

struct Case {
  std::string client;  // kcat, kafka-python, kafkajs
  Compression codec;
  int8_t magic = 2;    // kafka-python can be told to assume an old broker: magic 0 or 1
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string n = info.param.client + "_" + record::compression_name(info.param.codec);
  if (info.param.magic < 2) n += "_magic" + std::to_string(info.param.magic);
  for (auto& c : n)
    if (c == '-') c = '_';
  return n;
}

std::vector<std::string> command(const Case& c, const std::string& bootstrap) {
  const std::string codec = record::compression_name(c.codec);
  if (c.client == "kcat") {
    // kcat reads "key:value" lines from stdin; -K: splits them.
    std::string lines;
    for (int i = 0; i < 3; ++i) lines += "k" + std::to_string(i) + ":" + expected_value(i) + "\\n";
    return {"/bin/sh", "-c",
            "printf '" + lines + "' | kcat -P -b " + bootstrap + " -t " + kTopic + " -p 0 -K: -z " + codec +
                " -X client.id=kcat-golden"};
  }
  if (c.client == "kafka-python") {
    std::vector<std::string> argv = {"/usr/bin/python3", clients_dir() + "/kafka_python_produce.py", bootstrap,
                                     kTopic, codec};
    if (c.magic == 0) argv.push_back("0.9");     // Produce v1, message format v0
    if (c.magic == 1) argv.push_back("0.10.1");  // Produce v2, message format v1
    return argv;
  }
  return {"node", clients_dir() + "/kafkajs_produce.js", bootstrap, kTopic, codec};
}

class GoldenBytes : public ::testing::TestWithParam<Case> {};

TEST_P(GoldenBytes, ClientRequestsDecodeAndReencodeIdentically) {
  const Case& c = GetParam();
  FakeBroker broker(kTopic);
  auto result = run_process(command(c, broker.bootstrap()), std::chrono::seconds(60));
  ASSERT_FALSE(result.timed_out) << result.output;
  ASSERT_EQ(result.exit_code, 0) << result.output;

  const auto reqs = broker.requests();
  // A client told which broker version to assume does not ask for ApiVersions.
  EXPECT_EQ(has_api(reqs, p::ApiVersionsRequest::kApiKey), c.magic == 2);
  EXPECT_TRUE(has_api(reqs, p::MetadataRequest::kApiKey));
  ASSERT_TRUE(has_api(reqs, p::ProduceRequest::kApiKey));
  for (const auto& req : reqs) expect_reencodes_identically(req);

  std::vector<Compression> codecs;
  std::vector<int8_t> magics;
  const auto records = produced_records(reqs, &codecs, &magics);
  ASSERT_EQ(records.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(records[i].key, "k" + std::to_string(i));
    EXPECT_EQ(records[i].value, expected_value(i));
  }
  ASSERT_FALSE(codecs.empty());
  for (auto codec : codecs) EXPECT_EQ(codec, c.codec);
  for (auto magic : magics) EXPECT_EQ(magic, c.magic);
}

std::vector<Case> all_cases() {
  const std::vector<Compression> every = {Compression::none, Compression::gzip, Compression::snappy,
                                          Compression::lz4, Compression::zstd};
  std::vector<Case> cases;
  for (auto codec : every) cases.push_back({"kcat", codec});
  for (auto codec : every) cases.push_back({"kafka-python", codec});
  // Old message formats, as clients of brokers before 0.11 write them (zstd came with v2).
  for (int8_t magic : {0, 1})
    for (auto codec : {Compression::none, Compression::gzip, Compression::snappy, Compression::lz4})
      cases.push_back({"kafka-python", codec, magic});
  for (auto codec : {Compression::none, Compression::gzip}) cases.push_back({"kafkajs", codec});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Clients, GoldenBytes, ::testing::ValuesIn(all_cases()), case_name);

}  // namespace
}  // namespace gregor::testing
