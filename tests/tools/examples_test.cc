// The client library's examples (examples/) against a real broker process, checked by what they
// print: admin_topics creates and describes a topic, producer_sync and producer_async write to
// it, consumer_loop reads everything, commits, and ends on SIGTERM through wakeup(); run again,
// it starts after what it committed.
#include <signal.h>

#include <regex>

#include "tool_test.h"

namespace gregor::testing {
namespace {

const std::string kExamples = GREGOR_EXAMPLES_DIR;

class ExamplesTest : public ToolTest {
 protected:
  ToolRun example(const std::string& name, const std::string& args) {
    return shell("'" + kExamples + "/" + name + "' " + broker->bootstrap() + " " + args);
  }
};

TEST_F(ExamplesTest, ProduceAndConsumeWithTheExamples) {
  ToolRun r = example("admin_topics", "events 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("^created events with 1 partitions \\(id [A-Za-z0-9_-]{22}\\)\n")))
      << r.out;
  EXPECT_NE(r.out.find("topic events\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("events-0 leader 1, 1 replicas, 1 in sync\n"), std::string::npos) << r.out;
  r = example("admin_topics", "events 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("events exists already\n", 0), 0u) << r.out;

  r = example("producer_sync", "events 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  static const std::regex sent(
      "sent key-0=synchronous event 0 to events-0 at offset 0 \\(timestamp \\d+\\)\n"
      "sent key-1=synchronous event 1 to events-0 at offset 1 \\(timestamp \\d+\\)\n"
      "sent key-2=synchronous event 2 to events-0 at offset 2 \\(timestamp \\d+\\)\n");
  EXPECT_TRUE(std::regex_match(r.out, sent)) << r.out;

  r = example("producer_async", "events 4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "sent key-0 to events-0 at offset 3\nsent key-1 to events-0 at offset 4\n"
            "sent key-2 to events-0 at offset 5\nsent key-3 to events-0 at offset 6\n");

  {
    Background consumer({kExamples + "/consumer_loop", broker->bootstrap(), "events", "readers"},
                        dir.path() + "/consumer1.txt");
    ASSERT_TRUE(consumer.started());
    // The last record ends its poll, so the commit of everything follows it.
    ASSERT_TRUE(consumer.wait_for("events-0@6 key-3=asynchronous event 3\ncommitted ")) << consumer.output();
    // Its poll is blocked; SIGTERM makes the signal thread call wakeup().
    EXPECT_EQ(consumer.stop(SIGTERM), 0) << consumer.output();
    const std::string out = consumer.output();
    EXPECT_EQ(out.rfind("consuming events (1 partitions) as group readers\n"
                        "events-0@0 key-0=synchronous event 0\n"
                        "events-0@1 key-1=synchronous event 1\n"
                        "events-0@2 key-2=synchronous event 2\n",
                        0),
              0u)
        << out;
    EXPECT_EQ(out.substr(out.size() - 7), "closed\n") << out;
  }

  // The group's commits hold: a second run starts after the seven records and reads only the new one.
  r = example("producer_sync", "events 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Background again({kExamples + "/consumer_loop", broker->bootstrap(), "events", "readers"},
                   dir.path() + "/consumer2.txt");
  ASSERT_TRUE(again.wait_for("committed 1 records\n")) << again.output();
  EXPECT_EQ(again.stop(SIGINT), 0) << again.output();
  EXPECT_EQ(again.output(),
            "consuming events (1 partitions) as group readers\n"
            "events-0@7 key-0=synchronous event 0\n"
            "committed 1 records\n"
            "closed\n");
}

}  // namespace
}  // namespace gregor::testing
