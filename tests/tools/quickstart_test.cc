// The README's Quickstart, run from the README's own text: the commands of its ```sh blocks in
// order, against a broker process (which stands for `./dev run`, on a free port instead of 9092),
// with the lines typed at the console producer's prompt as its input. Commands that run until
// Ctrl-C run in the background until what they print is there, then get SIGINT.
#include <signal.h>

#include <filesystem>

#include "tool_test.h"

namespace gregor::testing {
namespace {

struct Command {
  std::string line;
  std::string input;  // the lines typed at its prompt
};

std::string readme_text() {
  std::ifstream in(std::string(GREGOR_SOURCE_DIR) + "/README.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The commands of the README's "## Quickstart" section.
std::vector<Command> quickstart_commands() {
  const std::string readme = readme_text();
  const size_t start = readme.find("\n## Quickstart\n");
  if (start == std::string::npos) return {};
  const size_t end = readme.find("\n## ", start + 1);
  std::istringstream section(readme.substr(start, end - start));
  std::vector<Command> commands;
  bool in_block = false;
  for (std::string line; std::getline(section, line);) {
    if (line.rfind("```", 0) == 0) {
      in_block = !in_block;
    } else if (in_block && line.rfind(">", 0) == 0 && !commands.empty()) {
      commands.back().input += line.substr(1) + "\n";
    } else if (in_block && !line.empty()) {
      commands.push_back({line, ""});
    }
  }
  return commands;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

class QuickstartTest : public ToolTest {};

TEST_F(QuickstartTest, TheReadmesCommandsWork) {
  std::vector<Command> commands = quickstart_commands();
  ASSERT_EQ(commands.size(), 8u);
  // The broker: the README's main job, which the fixture's broker process stands for.
  EXPECT_EQ(commands.front().line, "./dev run");
  // The end: removing the data of `./dev run`, which this test does not touch.
  EXPECT_EQ(commands.back().line, "rm -rf gregor-data");

  for (size_t i = 1; i + 1 < commands.size(); ++i) {
    const std::string line = replace_all(replace_all(commands[i].line, "localhost:9092", localhost()),
                                         "build/release/examples", GREGOR_EXAMPLES_DIR);
    SCOPED_TRACE(commands[i].line);
    if (line.rfind("bin/kafka-topics.sh --create", 0) == 0) {
      ToolRun r = shell(line);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(r.out, "Created topic quickstart-events.\n");
    } else if (line.rfind("bin/kafka-topics.sh --describe", 0) == 0) {
      ToolRun r = shell(line);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(r.out.rfind("Topic: quickstart-events\tTopicId: ", 0), 0u) << r.out;
      EXPECT_NE(r.out.find("\tTopic: quickstart-events\tPartition: 0\tLeader: 1\t"), std::string::npos) << r.out;
    } else if (line.rfind("bin/kafka-console-producer.sh", 0) == 0) {
      EXPECT_EQ(commands[i].input, "This is my first event\nThis is my second event\n");
      ToolRun r = shell(line + " < '" + write_file("typed.txt", commands[i].input) + "'");
      ASSERT_EQ(r.exit_code, 0) << r.err;
    } else if (line.rfind("bin/kafka-console-consumer.sh", 0) == 0) {
      const std::string events = "This is my first event\nThis is my second event\n";
      auto consumer = background(line, "console-consumer");
      ASSERT_TRUE(consumer->wait_for(events)) << consumer->output();
      EXPECT_EQ(consumer->stop(SIGINT), 130) << consumer->output();
      EXPECT_EQ(consumer->output().rfind(events, 0), 0u) << consumer->output();
      EXPECT_NE(consumer->output().find("Processed a total of 2 messages"), std::string::npos) << consumer->output();
    } else if (line.find("/producer_sync ") != std::string::npos) {
      ToolRun r = shell(line);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_NE(r.out.find("sent key-2=synchronous event 2 to quickstart-events-0 at offset 4 "), std::string::npos)
          << r.out;
    } else if (line.find("/consumer_loop ") != std::string::npos) {
      auto consumer = background(line, "consumer-loop");
      ASSERT_TRUE(consumer->wait_for("quickstart-events-0@4 key-2=synchronous event 2\ncommitted "))
          << consumer->output();
      EXPECT_EQ(consumer->stop(SIGINT), 0) << consumer->output();
      const std::string out = consumer->output();
      EXPECT_NE(out.find("quickstart-events-0@0 null=This is my first event\n"
                         "quickstart-events-0@1 null=This is my second event\n"),
                std::string::npos)
          << out;
      EXPECT_EQ(out.substr(out.size() - 7), "closed\n") << out;
    } else {
      ADD_FAILURE() << "a command this test does not know: " << line;
    }
  }
}

// The README's set-up commands stay what they were: the main job and the test run.
TEST(QuickstartReadme, SetUpCommandsUnchanged) {
  const std::string readme = readme_text();
  EXPECT_NE(readme.find("Run the main job — a single-node broker on localhost:9092 with its data in a local "
                            "folder:\n\n    ./dev run\n"),
            std::string::npos);
  EXPECT_NE(readme.find("Run every test:\n\n    ./dev test\n"), std::string::npos);
}

}  // namespace
}  // namespace gregor::testing
