// The tools on a real broker: a `gregor server` process is written to by real clients
// (confluent-kafka: an idempotent producer, a consumer group that commits), stopped cleanly, and
// `gregor dump-log` prints its segment, indexes, producer snapshot, metadata log and offsets log
// as Kafka's kafka-dump-log.sh does; damaged copies of the files never crash the dump. `gregor
// broker-api-versions` asks the running broker, through bin/kafka-broker-api-versions.sh too.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>

#include "../storage/temp_dir.h"
#include "broker/apis.h"
#include "broker_process.h"
#include "process.h"
#include "protocol/generated/api_registry.h"
#include "tools/dump_log.h"

namespace gregor::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kRecords = 30;
const std::string kSegment = "00000000000000000000";

// A segment file's name for an offset: 20 digits.
std::string offset_name(int64_t offset) {
  std::string digits = std::to_string(offset);
  return std::string(20 - digits.size(), '0') + digits;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

size_t count_lines_starting(const std::string& text, const std::string& prefix) {
  size_t n = 0;
  for (const std::string& line : lines_of(text)) n += line.starts_with(prefix) ? 1 : 0;
  return n;
}

struct ToolRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class ToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // An index entry for every batch, and one offsets partition, so the test knows where to look.
    broker = std::make_unique<BrokerProcess>(data(), std::vector<std::string>{"log.index.interval.bytes=1",
                                                                              "offsets.topic.num.partitions=1"});
    ASSERT_TRUE(broker->start()) << broker->log();
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << broker->log();
  }

  std::string data() const { return dir.path() + "/data"; }
  std::string partition_file(const std::string& partition, const std::string& suffix) const {
    return data() + "/" + partition + "/" + kSegment + suffix;
  }

  // A command with its standard output and error apart.
  ToolRun run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {}) {
    std::string command;
    for (const auto& [k, v] : env) command += k + "=" + quote(v) + " ";
    for (const std::string& a : argv) command += quote(a) + " ";
    const std::string err_file = dir.path() + "/stderr.txt";
    ProcessResult r = run_process({"sh", "-c", command + "2>" + quote(err_file)}, std::chrono::seconds(120));
    return {r.exit_code, r.output, read_text(err_file)};
  }
  ToolRun gregor(std::vector<std::string> args) {
    args.insert(args.begin(), GREGOR_BINARY);
    return run(args);
  }
  ToolRun dump(std::vector<std::string> args) {
    args.insert(args.begin(), "dump-log");
    return gregor(std::move(args));
  }

  // The clients write, then the broker stops cleanly: indexes and the producer snapshot are on
  // disk.
  void write_and_stop() {
    ProcessResult clients = run_process({"/usr/bin/python3", std::string(GREGOR_SOURCE_DIR) + "/tests/tools/dump_log_clients.py",
                                         broker->bootstrap(), "dump", "dump-group", std::to_string(kRecords)},
                                        std::chrono::seconds(120));
    ASSERT_EQ(clients.exit_code, 0) << clients.output;
    ASSERT_EQ(broker->stop(), 0);
  }

  storage::testing::TempDir dir;
  std::unique_ptr<BrokerProcess> broker;
};

TEST_F(ToolsTest, DumpLogPrintsWhatABrokerWroteAsKafkaDoes) {
  write_and_stop();
  const std::string log = partition_file("dump-0", ".log");

  // The segment, deep and with data: one batch per record, each from the idempotent producer.
  ToolRun segment = dump({"--files", log, "--print-data-log"});
  ASSERT_EQ(segment.exit_code, 0) << segment.err;
  EXPECT_EQ(segment.err, "");
  EXPECT_TRUE(segment.out.starts_with("Dumping " + log + "\nLog starting offset: 0\n")) << segment.out;
  const std::regex batch_line(
      "baseOffset: (\\d+) lastOffset: (\\d+) count: 1 baseSequence: (\\d+) lastSequence: (\\d+) producerId: (\\d+) "
      "producerEpoch: 0 partitionLeaderEpoch: \\d+ isTransactional: false isControl: false deleteHorizonMs: "
      "OptionalLong.empty position: (\\d+) CreateTime: (\\d+) size: (\\d+) magic: 2 compresscodec: none crc: \\d+ "
      "isvalid: true");
  std::map<int64_t, int64_t> last_offset_at;       // batch position -> its last offset
  std::map<int64_t, int64_t> max_timestamp_of;     // batch last offset -> its max timestamp
  std::string producer_id;
  int64_t position = 0;
  int batches = 0;
  int record = 0;
  for (const std::string& line : lines_of(segment.out)) {
    std::smatch m;
    if (line.starts_with("baseOffset: ")) {
      ASSERT_TRUE(std::regex_match(line, m, batch_line)) << line;
      EXPECT_EQ(m[1], std::to_string(batches));
      EXPECT_EQ(m[2], m[1]);
      EXPECT_EQ(m[3], m[1]) << "the producer's sequence starts at 0 with the partition";
      EXPECT_EQ(m[4], m[1]);
      if (producer_id.empty()) producer_id = m[5];
      EXPECT_EQ(m[5], producer_id);
      EXPECT_EQ(std::stoll(m[6]), position);
      last_offset_at[position] = std::stoll(m[2]);
      max_timestamp_of[std::stoll(m[2])] = std::stoll(m[7]);
      position += std::stoll(m[8]);
      ++batches;
    } else if (line.starts_with("| ")) {
      std::string size = record < 10 ? "2" : "3";
      std::string i = std::to_string(record);
      EXPECT_EQ(line, "| offset: " + i + " CreateTime: " + std::to_string(max_timestamp_of[record]) +
                          " keySize: " + size + " valueSize: " + size + " sequence: " + i +
                          " headerKeys: [] key: k" + i + " payload: v" + i);
      ++record;
    }
  }
  EXPECT_EQ(batches, kRecords);
  EXPECT_EQ(record, kRecords);
  EXPECT_EQ(static_cast<uintmax_t>(position), fs::file_size(log));

  // The offset index: every entry names the last offset of the batch at its position.
  const std::string index = partition_file("dump-0", ".index");
  ToolRun offsets = dump({"--files", index});
  ASSERT_EQ(offsets.exit_code, 0) << offsets.err;
  EXPECT_EQ(offsets.err, "") << "the index checks found something";
  const std::regex index_line("offset: (\\d+) position: (\\d+)");
  size_t entries = 0;
  for (const std::string& line : lines_of(offsets.out)) {
    std::smatch m;
    if (!std::regex_match(line, m, index_line)) continue;
    ASSERT_TRUE(last_offset_at.count(std::stoll(m[2]))) << line;
    EXPECT_EQ(last_offset_at[std::stoll(m[2])], std::stoll(m[1])) << line;
    ++entries;
  }
  EXPECT_GE(entries, kRecords / 2) << offsets.out;
  ToolRun verified = dump({"--files", index, "--verify-index-only"});
  EXPECT_EQ(verified.exit_code, 0);
  EXPECT_EQ(verified.out, "Dumping " + index + "\n");
  EXPECT_EQ(verified.err, "");
  EXPECT_EQ(dump({"--files", index, "--index-sanity-check"}).out,
            "Dumping " + index + "\n" + index + " passed sanity check.\n");

  // The time index: entries name a batch's last offset and its largest timestamp.
  const std::string time_index = partition_file("dump-0", ".timeindex");
  ToolRun times = dump({"--files", time_index});
  ASSERT_EQ(times.exit_code, 0) << times.err;
  EXPECT_EQ(times.err, "");
  const std::regex time_line("timestamp: (\\d+) offset: (\\d+)");
  size_t time_entries = 0;
  for (const std::string& line : lines_of(times.out)) {
    std::smatch m;
    if (!std::regex_match(line, m, time_line)) continue;
    EXPECT_EQ(max_timestamp_of.at(std::stoll(m[2])), std::stoll(m[1])) << line;
    ++time_entries;
  }
  EXPECT_GE(time_entries, 1u) << times.out;

  // The producer snapshot the clean stop wrote at the log end.
  const std::string snapshot = data() + "/dump-0/" + offset_name(kRecords) + ".snapshot";
  ASSERT_TRUE(fs::exists(snapshot));
  ToolRun producers = dump({"--files", snapshot});
  ASSERT_EQ(producers.exit_code, 0) << producers.err;
  const std::string last = std::to_string(kRecords - 1);
  EXPECT_TRUE(std::regex_match(
      producers.out,
      std::regex("Dumping " + snapshot + "\nproducerId: " + producer_id +
                 " producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: OptionalLong.empty lastTimestamp: " +
                 std::to_string(max_timestamp_of[kRecords - 1]) + " firstSequence: \\d+ lastSequence: " + last +
                 " lastOffset: " + last + " offsetDelta: 0 timestamp: \\d+\n")))
      << producers.out;

  // The bin/ script runs the same tool.
  ToolRun script = run({std::string(GREGOR_SOURCE_DIR) + "/bin/kafka-dump-log.sh", "--files", index,
                        "--index-sanity-check"},
                       {{"GREGOR_BIN", GREGOR_BINARY}});
  EXPECT_EQ(script.exit_code, 0) << script.err;
  EXPECT_EQ(script.out, "Dumping " + index + "\n" + index + " passed sanity check.\n");

  // Several files in one run, in the order given.
  ToolRun all = dump({"--files", log + "," + index + "," + time_index, "--verify-index-only"});
  EXPECT_EQ(all.exit_code, 0);
  EXPECT_EQ(count_lines_starting(all.out, "Dumping "), 3u);
  EXPECT_EQ(count_lines_starting(all.out, "baseOffset: "), static_cast<size_t>(kRecords));
}

TEST_F(ToolsTest, DumpLogDecodesTheMetadataAndOffsetsLogs) {
  write_and_stop();

  const std::string metadata = partition_file("__cluster_metadata-0", ".log");
  ToolRun records = dump({"--files", metadata, "--cluster-metadata-decoder"});
  ASSERT_EQ(records.exit_code, 0) << records.err;
  EXPECT_EQ(records.err, "");
  EXPECT_NE(records.out.find(R"( payload: {"type":"TOPIC_RECORD","version":0,"data":{"name":"dump","topicId":")"),
            std::string::npos)
      << records.out;
  EXPECT_NE(records.out.find(R"( payload: {"type":"FEATURE_LEVEL_RECORD","version":0,"data":{"name":"metadata.version",)"),
            std::string::npos);
  EXPECT_NE(records.out.find(R"("type":"REGISTER_BROKER_RECORD")"), std::string::npos);
  EXPECT_NE(records.out.find(R"("type":"PARTITION_RECORD")"), std::string::npos);
  EXPECT_EQ(records.out.find("skipping"), std::string::npos) << "every record decodes";
  // Every record line carries its decoded payload.
  for (const std::string& line : lines_of(records.out)) {
    if (line.starts_with("| offset: ")) {
      EXPECT_NE(line.find(" payload: {\"type\":\""), std::string::npos) << line;
    }
  }
  ToolRun bare = dump({"--files", metadata, "--cluster-metadata-decoder", "--skip-record-metadata"});
  EXPECT_NE(bare.out.find("\n| payload: {\"type\":\"TOPIC_RECORD\""), std::string::npos) << bare.out;
  EXPECT_EQ(bare.out.find("| offset: "), std::string::npos);

  const std::string offsets = partition_file("__consumer_offsets-0", ".log");
  ToolRun group = dump({"--files", offsets, "--offsets-decoder"});
  ASSERT_EQ(group.exit_code, 0) << group.err;
  EXPECT_EQ(group.err, "");
  EXPECT_NE(group.out.find(" key: {\"type\":\"1\",\"data\":{\"group\":\"dump-group\",\"topic\":\"dump\",\"partition\":0}}"
                           " payload: {\"version\":\"3\",\"data\":{\"offset\":" +
                           std::to_string(kRecords) + ",\"leaderEpoch\":"),
            std::string::npos)
      << group.out;
  EXPECT_NE(group.out.find(" key: {\"type\":\"2\",\"data\":{\"group\":\"dump-group\"}} payload: {\"version\":\"3\","
                           "\"data\":{\"protocolType\":\"consumer\",\"generation\":1,"),
            std::string::npos)
      << group.out;
  // The member's subscription and assignment, decoded from their consumer protocol bytes.
  EXPECT_NE(group.out.find("\"subscription\":{\"topics\":[\"dump\"]"), std::string::npos) << group.out;
  EXPECT_NE(group.out.find("\"assignment\":{\"assignedPartitions\":[{\"topic\":\"dump\",\"partitions\":[0]}]"),
            std::string::npos)
      << group.out;
  EXPECT_EQ(group.out.find("skipping"), std::string::npos);
}

TEST_F(ToolsTest, DumpLogErrorsAreOneLineAndAnExitCode) {
  ASSERT_EQ(broker->stop(), 0);
  auto one_line = [](const ToolRun& r) { return std::count(r.err.begin(), r.err.end(), '\n') == 1; };

  const std::string missing = dir.path() + "/nowhere/" + kSegment + ".log";
  ToolRun r = dump({"--files", missing});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_line(r)) << r.err;
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.starts_with("Dumping " + missing + "\n")) << r.out;

  r = dump({"--print-data-log"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Missing required argument \"[files]\"\n");

  r = dump({"--files", missing, "--no-such-flag"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "no-such-flag is not a recognized option\n");

  r = dump({"--files", missing, "--max-bytes", "lots"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Cannot parse argument 'lots' of option max-bytes\n");

  r = dump({"--files", missing, "--value-decoder-class", "com.example.AvroDecoder"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_line(r)) << r.err;
  EXPECT_NE(r.err.find("com.example.AvroDecoder is not supported"), std::string::npos) << r.err;

  r = dump({"--files", missing, "--transaction-log-decoder"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_line(r)) << r.err;

  // A file name without a base offset.
  const std::string odd = dir.path() + "/segment.log";
  std::ofstream(odd) << "x";
  r = dump({"--files", odd});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_line(r)) << r.err;

  // --help is not an error; the abbreviation of a flag is the flag (jopt-simple's rule).
  r = dump({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--print-data-log"), std::string::npos);
  ToolRun abbreviated = dump({"--fil", missing});
  EXPECT_EQ(abbreviated.exit_code, 1);
  EXPECT_NE(abbreviated.err.find(missing), std::string::npos) << abbreviated.err;
}

// Copies of a segment's files, damaged, dumped in process (so that ASan and UBSan watch): the dump
// ends in output or in one error line, never in a crash.
TEST_F(ToolsTest, DumpLogSurvivesDamagedFiles) {
  write_and_stop();
  const std::string source = data() + "/dump-0";
  const std::string snapshot_name = offset_name(kRecords) + ".snapshot";
  const std::vector<std::string> names = {kSegment + ".log", kSegment + ".index", kSegment + ".timeindex",
                                          snapshot_name};
  std::map<std::string, std::string> originals;
  for (const std::string& name : names) {
    originals[name] = read_text(source + "/" + name);
    ASSERT_FALSE(originals[name].empty()) << name;
  }
  const std::string copy = dir.path() + "/damaged/dump-0";
  fs::create_directories(copy);
  auto path = [&](const std::string& name) { return copy + "/" + name; };
  const std::string files = path(names[0]) + "," + path(names[1]) + "," + path(names[2]) + "," + path(names[3]);
  const std::vector<std::vector<std::string>> flag_sets = {
      {}, {"--deep-iteration"}, {"--print-data-log"}, {"--verify-index-only"}, {"--index-sanity-check"},
      {"--offsets-decoder"}, {"--cluster-metadata-decoder"}, {"--max-bytes", "100"}, {"--max-message-size", "10"},
  };

  // A record whose length runs past its batch: the shallow dump still reads the batch (Kafka
  // checks no CRC there), the deep one stops with one line.
  {
    std::string damaged = originals[names[0]];
    damaged[61] = 0x7f;  // the first record's length varint: 63 bytes, more than the batch holds
    std::ofstream(path(names[0]), std::ios::binary) << damaged;
    std::ostringstream out, err;
    EXPECT_EQ(tools::run_dump_log({"--files", path(names[0])}, out, err), 0) << err.str();
    EXPECT_NE(out.str().find("isvalid: false"), std::string::npos) << out.str();
    std::ostringstream deep_out, deep_err;
    EXPECT_EQ(tools::run_dump_log({"--files", path(names[0]), "--deep-iteration"}, deep_out, deep_err), 1);
    const std::string error = deep_err.str();
    EXPECT_TRUE(error.starts_with("Error: ")) << error;
    EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 1) << error;
  }

  // A torn tail is reported in the output, as Kafka reports it, and is not an error.
  {
    const std::string& whole = originals[names[0]];
    std::ofstream(path(names[0]), std::ios::binary) << whole.substr(0, whole.size() - 7);
    ToolRun torn = dump({"--files", path(names[0])});
    EXPECT_EQ(torn.exit_code, 0) << torn.err;
    EXPECT_NE(torn.out.find("Found "), std::string::npos);
    EXPECT_TRUE(torn.out.ends_with(" invalid bytes at the end of " + names[0] + "\n")) << torn.out;
  }

  std::mt19937 random(20240611);
  int errors = 0;
  for (int round = 0; round < 300; ++round) {
    for (const std::string& name : names) std::ofstream(path(name), std::ios::binary) << originals[name];
    const std::string& victim = names[random() % names.size()];
    std::string bytes = originals[victim];
    switch (random() % 4) {
      case 0:  // truncated anywhere
        bytes.resize(random() % (bytes.size() + 1));
        break;
      case 1:  // a few bytes flipped
        for (int i = 0, n = 1 + static_cast<int>(random() % 8); i < n; ++i) bytes[random() % bytes.size()] ^= 1 << (random() % 8);
        break;
      case 2: {  // a run of random bytes
        size_t at = random() % bytes.size();
        size_t n = std::min<size_t>(bytes.size() - at, 1 + random() % 64);
        for (size_t i = 0; i < n; ++i) bytes[at + i] = static_cast<char>(random());
        break;
      }
      default:  // a run of 0xff: huge lengths, negative counts
        for (size_t i = random() % bytes.size(), n = 0; i < bytes.size() && n < 12; ++i, ++n) bytes[i] = '\xff';
        break;
    }
    std::ofstream(path(victim), std::ios::binary) << bytes;
    std::vector<std::string> args = {"--files", files};
    const auto& flags = flag_sets[random() % flag_sets.size()];
    args.insert(args.end(), flags.begin(), flags.end());
    std::ostringstream out, err;
    int code = tools::run_dump_log(args, out, err);
    ASSERT_TRUE(code == 0 || code == 1) << code;
    if (code == 1) {
      ++errors;
      const std::string error = err.str();
      EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 1) << victim << ": " << error;
    }
  }
  EXPECT_GT(errors, 0) << "no damage was ever reported as an error";
}

TEST_F(ToolsTest, BrokerApiVersionsListsWhatTheBrokerServes) {
  ToolRun r = gregor({"broker-api-versions", "--bootstrap-server", broker->bootstrap()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::vector<std::string> lines = lines_of(r.out);
  ASSERT_GE(lines.size(), 3u) << r.out;
  EXPECT_TRUE(std::regex_match(lines.front(), std::regex("127\\.0\\.0\\.1:" + std::to_string(broker->port()) +
                                                         " \\(id: \\d+ rack: null isFenced: false\\) -> \\(")))
      << lines.front();
  EXPECT_EQ(lines.back(), ")");

  // One line per API the broker serves, and UNSUPPORTED for the client APIs it does not; in key
  // order, each but the last ending in a comma.
  std::vector<std::string> expected;
  for (const protocol::ApiInfo& api : protocol::all_apis()) {
    const broker::ApiEntry* served = broker::find_implemented_api(api.key);
    std::string line = "\t" + std::string(api.name) + "(" + std::to_string(api.key) + "): ";
    if (served) {
      line += served->min_version == served->max_version
                  ? std::to_string(served->min_version)
                  : std::to_string(served->min_version) + " to " + std::to_string(served->max_version);
      int16_t latest = api.latest_version_unstable ? api.versions.hi - 1 : api.versions.hi;
      line += " [usable: " + std::to_string(std::min<int>(latest, served->max_version)) + "]";
    } else if (api.listeners & protocol::kBroker) {
      line += "UNSUPPORTED";
    } else {
      continue;
    }
    expected.push_back(line);
  }
  for (size_t i = 0; i + 1 < expected.size(); ++i) expected[i] += ",";
  EXPECT_EQ(std::vector<std::string>(lines.begin() + 1, lines.end() - 1), expected);

  // The bin/ script runs the same tool.
  ToolRun script = run({std::string(GREGOR_SOURCE_DIR) + "/bin/kafka-broker-api-versions.sh", "--bootstrap-server",
                        broker->bootstrap()},
                       {{"GREGOR_BIN", GREGOR_BINARY}});
  EXPECT_EQ(script.exit_code, 0) << script.err;
  EXPECT_EQ(script.out, r.out);

  // No broker there: one line and a failure.
  ASSERT_EQ(broker->stop(), 0);
  r = gregor({"broker-api-versions", "--bootstrap-server", "127.0.0.1:1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.err.starts_with("Request METADATA failed on brokers [127.0.0.1:1 (id: -1 rack: null isFenced: "
                                "false)]: "))
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  r = gregor({"broker-api-versions"});
  EXPECT_EQ(r.exit_code, 1);
  r = gregor({"broker-api-versions", "--command-config", "/nonexistent", "--bootstrap-server", "127.0.0.1:1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Could not read properties file /nonexistent\n");
}

}  // namespace
}  // namespace gregor::testing
