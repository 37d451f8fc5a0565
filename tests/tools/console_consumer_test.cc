// bin/kafka-console-consumer.sh and bin/kafka-consumer-perf-test.sh against a real broker
// process: Kafka's quickstart command verbatim reading what kcat wrote, the formatter's print.*
// properties, --partition/--offset, a --group whose commits kafka-python sees, the errors of a bad
// command line, and the perf test's report line counting what kcat wrote.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tool_test.h"

namespace gregor::testing {
namespace {

class ConsoleConsumerTest : public ToolTest {
 protected:
  ToolRun consume(const std::string& args) {
    return shell("bin/kafka-console-consumer.sh --bootstrap-server " + broker->bootstrap() + " " + args);
  }
  void write(const std::string& topic, const std::string& lines, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"-P", "-t", topic};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_EQ(kcat(args, lines).exit_code, 0);
  }
};

TEST_F(ConsoleConsumerTest, KafkasQuickstartCommandReadsWhatWasWritten) {
  write("quickstart-events", "This is my first event\nThis is my second event\n");
  ToolRun r = shell("bin/kafka-console-consumer.sh --topic quickstart-events --from-beginning --bootstrap-server " +
                    localhost() + " --max-messages 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "This is my first event\nThis is my second event\n");
  EXPECT_EQ(r.err, "Processed a total of 2 messages\n");

  // --timeout-ms ends a run that waits for more, as Kafka's does (a TimeoutException logged).
  r = shell("bin/kafka-console-consumer.sh --topic quickstart-events --from-beginning --bootstrap-server " +
            localhost() + " --timeout-ms 3000");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "This is my first event\nThis is my second event\n");
  EXPECT_NE(r.err.find("org.apache.kafka.common.errors.TimeoutException\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Processed a total of 2 messages\n"), std::string::npos) << r.err;
}

TEST_F(ConsoleConsumerTest, ThePrintPropertiesAndPartitionOffsets) {
  write("props", "k1:v1\nk2:v2\n:v3\n", {"-K", ":", "-p", "0", "-H", "h1=x", "-H", "h2=y"});
  ToolRun r = consume("--topic props --partition 0 --offset earliest --max-messages 3 --property print.key=true "
                      "--property print.partition=true --property print.offset=true --property print.headers=true "
                      "--property key.separator=' | ' --property headers.separator=';' --property null.literal=NULL");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // kcat -K with an empty key writes an empty (not null) key.
  EXPECT_EQ(r.out,
            "Partition:0 | Offset:0 | h1:x;h2:y | k1 | v1\n"
            "Partition:0 | Offset:1 | h1:x;h2:y | k2 | v2\n"
            "Partition:0 | Offset:2 | h1:x;h2:y |  | v3\n");

  r = consume("--topic props --partition 0 --offset 1 --max-messages 1 --property print.timestamp=true "
              "--property print.value=false --property print.key=true");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.out.rfind("CreateTime:", 0), 0u) << r.out;
  EXPECT_EQ(r.out.substr(r.out.find('\t')), "\tk2\n");

  // A null key with print.key: the null literal (Kafka's default "null").
  write("nulls", "plain\n", {"-p", "0"});
  r = consume("--topic nulls --from-beginning --max-messages 1 --property print.key=true");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "null\tplain\n");
}

TEST_F(ConsoleConsumerTest, AGroupCommitsWhatItPrintedAndKafkaPythonSeesIt) {
  write("grouped", "a\nb\nc\nd\n", {"-p", "0"});
  ToolRun r = consume("--topic grouped --group readers --from-beginning --max-messages 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "a\nb\nc\n");
  ProcessResult py = run_process(
      {"/usr/bin/python3", "-c",
       "import sys\nfrom kafka import KafkaConsumer, TopicPartition\n"
       "c = KafkaConsumer(bootstrap_servers=sys.argv[1], group_id='readers', enable_auto_commit=False)\n"
       "print(c.committed(TopicPartition('grouped', 0)))\nc.close()\n",
       broker->bootstrap()},
      std::chrono::seconds(90));
  ASSERT_EQ(py.exit_code, 0) << py.output;
  EXPECT_NE(py.output.find("3\n"), std::string::npos) << py.output;
  // The group goes on where it stopped.
  r = consume("--topic grouped --group readers --max-messages 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "d\n");
}

TEST_F(ConsoleConsumerTest, BadCommandLines) {
  ToolRun r = consume("--max-messages 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Exactly one of --include/--topic is required. \n");
  r = consume("--topic t --offset 3");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "The partition is required when offset is specified.\n");
  r = consume("--topic t --partition 0 --offset soon");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "The provided offset value 'soon' is incorrect. Valid values are 'earliest', 'latest', or a "
                   "non-negative long.\n");
  r = consume("--topic t --formatter kafka.tools.LoggingMessageFormatter");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("LoggingMessageFormatter is not supported"), std::string::npos) << r.err;
}

TEST_F(ConsoleConsumerTest, IncludeReadsEveryMatchingTopic) {
  write("logs-a", "1\n", {"-p", "0"});
  write("logs-b", "2\n", {"-p", "0"});
  write("other", "3\n", {"-p", "0"});
  ToolRun r = consume("--include 'logs-.*' --from-beginning --max-messages 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out == "1\n2\n" || r.out == "2\n1\n") << r.out;
}

TEST_F(ConsoleConsumerTest, ConsumerPerfTestCountsWhatKcatWrote) {
  std::string lines;
  for (int i = 0; i < 500; ++i) lines += "record-" + std::to_string(i) + "\n";
  write("perf", lines, {"-p", "0"});
  ToolRun r = shell("bin/kafka-consumer-perf-test.sh --bootstrap-server " + broker->bootstrap() +
                    " --topic perf --messages 500 --timeout 30000");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string header, line;
  std::getline(in, header);
  std::getline(in, line);
  EXPECT_EQ(header, "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
                    "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec");
  std::vector<std::string> fields;
  std::string field;
  std::istringstream cells(line);
  while (std::getline(cells, field, ',')) fields.push_back(field.substr(field.find_first_not_of(' ')));
  ASSERT_EQ(fields.size(), 10u) << line;
  EXPECT_EQ(fields[4], "500");  // data.consumed.in.nMsg
  // 500 values of 8 to 10 bytes: 4890 bytes.
  EXPECT_EQ(fields[2], "0.0047");
  // --hide-header: the report line alone; more messages than there are: the timeout's warning.
  r = shell("bin/kafka-consumer-perf-test.sh --bootstrap-server " + broker->bootstrap() +
            " --topic perf --messages 501 --timeout 2000 --hide-header");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("WARNING: Exiting before consuming the expected number of messages: timeout (2000 ms) "
                        "exceeded. You can use the --timeout option to increase the timeout.\n",
                        0),
            0u)
      << r.out;
  r = shell("bin/kafka-consumer-perf-test.sh --bootstrap-server " + broker->bootstrap() +
            " --topic perf --messages 1 --print-metrics");
  EXPECT_EQ(r.exit_code, 1);
}

}  // namespace
}  // namespace gregor::testing
