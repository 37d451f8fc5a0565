// The consumer as a group member against a real broker process: the assignors' choices (as
// Kafka's), members splitting a topic and taking over from one that leaves, the rebalance
// listener, cooperative-sticky moving only what it must, a static member coming back, a member
// that stops polling, auto-commit resuming a group, commits in a generation, and one group mixing
// a Gregor consumer with a librdkafka one.
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <sstream>

#include "../interop/broker_process_test.h"
#include "client/assignors.h"
#include "../interop/process.h"
#include "gregor/consumer.h"
#include "gregor/producer.h"

namespace gregor {
namespace {

using namespace std::chrono_literals;
using StringConsumer = Consumer<std::string, std::string>;
using Partitions = std::set<TopicPartition>;

// --- The assignors, without a broker ---

client::MemberSubscription member(const std::string& id, std::vector<std::string> topics,
                                  std::vector<TopicPartition> owned = {}, int32_t generation = -1) {
  client::MemberSubscription m;
  m.member_id = id;
  m.topics = std::move(topics);
  m.owned_partitions = std::move(owned);
  m.generation = generation;
  return m;
}

TEST(Assignors, RangeGivesConsecutiveRangesPerTopicTheFirstMembersOneMore) {
  auto range = client::make_assignor("org.apache.kafka.clients.consumer.RangeAssignor");
  EXPECT_EQ(range->name(), "range");
  auto a = range->assign({{"t", 5}, {"u", 2}}, {member("b", {"t", "u"}), member("a", {"t", "u"})});
  EXPECT_EQ(a["a"], (std::vector<TopicPartition>{{"t", 0}, {"t", 1}, {"t", 2}, {"u", 0}}));
  EXPECT_EQ(a["b"], (std::vector<TopicPartition>{{"t", 3}, {"t", 4}, {"u", 1}}));
  // Static members sort first, by instance id.
  auto s = member("z", {"t"});
  s.group_instance_id = "i";
  a = range->assign({{"t", 3}}, {member("a", {"t"}), s});
  EXPECT_EQ(a["z"], (std::vector<TopicPartition>{{"t", 0}, {"t", 1}}));
  EXPECT_EQ(a["a"], (std::vector<TopicPartition>{{"t", 2}}));
}

TEST(Assignors, RoundRobinDealsEveryPartitionSkippingUnsubscribedMembers) {
  auto rr = client::make_assignor("roundrobin");
  auto a = rr->assign({{"t", 3}, {"u", 2}}, {member("a", {"t", "u"}), member("b", {"t"})});
  EXPECT_EQ(a["a"], (std::vector<TopicPartition>{{"t", 0}, {"t", 2}, {"u", 0}, {"u", 1}}));
  EXPECT_EQ(a["b"], (std::vector<TopicPartition>{{"t", 1}}));
}

TEST(Assignors, CooperativeStickyKeepsWhatItCanAndWithholdsWhatMoves) {
  auto sticky = client::make_assignor("org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
  EXPECT_TRUE(sticky->cooperative());
  std::vector<TopicPartition> all{{"t", 0}, {"t", 1}, {"t", 2}, {"t", 3}};
  // "a" owned everything; "b" comes: "a" keeps two, the other two are withheld this round.
  auto a = sticky->assign({{"t", 4}}, {member("a", {"t"}, all, 1), member("b", {"t"})});
  EXPECT_EQ(a["a"].size(), 2u);
  EXPECT_TRUE(a["b"].empty());
  // Next round ("a" revoked them): "b" gets the two "a" gave up.
  auto b = sticky->assign({{"t", 4}}, {member("a", {"t"}, a["a"], 2), member("b", {"t"}, {}, 2)});
  EXPECT_EQ(b["a"], a["a"]);
  EXPECT_EQ(b["b"].size(), 2u);
  Partitions together(b["a"].begin(), b["a"].end());
  together.insert(b["b"].begin(), b["b"].end());
  EXPECT_EQ(together.size(), 4u);
  EXPECT_THROW(client::make_assignor("org.example.Nope"), ConfigException);
}

TEST(Assignors, SubscriptionAndAssignmentRoundTripInConsumerProtocolV3) {
  auto m = member("", {"b", "a"}, {{"a", 1}, {"b", 0}}, 7);
  m.user_data = Bytes{0, 0, 0, 7};
  Bytes wire = client::encode_subscription(m);
  ASSERT_GE(wire.size(), 2u);
  EXPECT_EQ(wire[0], 0);
  EXPECT_EQ(wire[1], 3);  // version 3, as Kafka 4.0's consumer sends
  auto back = client::decode_subscription(BytesView(wire));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->topics, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(back->owned_partitions, (std::vector<TopicPartition>{{"a", 1}, {"b", 0}}));
  EXPECT_EQ(back->generation, 7);
  EXPECT_EQ(back->user_data, m.user_data);
  Bytes assignment = client::encode_assignment({{"b", 2}, {"a", 0}});
  auto partitions = client::decode_assignment(BytesView(assignment));
  ASSERT_TRUE(partitions);
  EXPECT_EQ(*partitions, (std::vector<TopicPartition>{{"a", 0}, {"b", 2}}));
  EXPECT_FALSE(client::decode_subscription(BytesView(Bytes{0})));
}

// --- Against a broker ---

// Records what the listener was told, in order.
class Recorder : public ConsumerRebalanceListener {
 public:
  void onPartitionsRevoked(const Partitions& p) override { events.push_back({"revoked", p}); }
  void onPartitionsAssigned(const Partitions& p) override { events.push_back({"assigned", p}); }
  void onPartitionsLost(const Partitions& p) override { events.push_back({"lost", p}); }
  Partitions all(const std::string& kind) const {
    Partitions out;
    for (const auto& [k, p] : events)
      if (k == kind) out.insert(p.begin(), p.end());
    return out;
  }
  std::vector<std::pair<std::string, Partitions>> events;
};

class ConsumerGroupTest : public testing::BrokerProcessTest {
 protected:
  void SetUp() override {
    // No initial rebalance delay: the tests' groups form at once.
    broker = std::make_unique<testing::BrokerProcess>(dir.path() + "/data",
                                                      std::vector<std::string>{"group.initial.rebalance.delay.ms=0"});
    ASSERT_TRUE(broker->start()) << broker->log();
  }
  Properties props(const std::string& group, std::initializer_list<std::pair<const std::string, std::string>> extra = {}) {
    Properties p{{"bootstrap.servers", broker->bootstrap()}, {"group.id", group}, {"auto.offset.reset", "earliest"},
                 {"heartbeat.interval.ms", "500"}};
    for (const auto& [k, v] : extra) p[k] = v;
    return p;
  }
  void create_topic(const std::string& name, int32_t partitions) {
    auto r = testing::run_process({GREGOR_BINARY, "topics", "--bootstrap-server", broker->bootstrap(), "--create",
                                   "--topic", name, "--partitions", std::to_string(partitions)},
                                  60s);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  // n records to each partition, values "topic:p-i" from first on.
  void produce(const std::string& topic, int32_t partitions, int n, int first = 0) {
    Producer<std::string, std::string> producer({{"bootstrap.servers", broker->bootstrap()}, {"linger.ms", "5"}});
    for (int32_t p = 0; p < partitions; ++p)
      for (int i = first; i < first + n; ++i)
        producer.send(ProducerRecord<std::string, std::string>(topic, p, std::nullopt,
                                                               topic + ":" + std::to_string(p) + "-" + std::to_string(i)));
    producer.flush();
  }
  // Polls the consumers in turn (each needs its polls for the group to rebalance) until done()
  // holds; the records each got are added to seen (value -> times).
  bool poll_until(std::vector<StringConsumer*> consumers, const std::function<bool()>& done,
                  std::map<std::string, int>* seen = nullptr, std::chrono::seconds limit = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      for (auto* c : consumers)
        for (const auto& r : c->poll(50ms))
          if (seen) ++(*seen)[*r.value];
      if (done()) return true;
    }
    return false;
  }
};

TEST_F(ConsumerGroupTest, TwoMembersSplitATopicAndOneTakesOverWhenTheOtherLeaves) {
  create_topic("split", 4);
  produce("split", 4, 10);
  auto l1 = std::make_shared<Recorder>(), l2 = std::make_shared<Recorder>();
  StringConsumer c1(props("g-split")), c2(props("g-split"));
  c1.subscribe({"split"}, l1);
  EXPECT_EQ(c1.subscription(), (std::set<std::string>{"split"}));
  c2.subscribe({"split"}, l2);
  std::map<std::string, int> seen;
  ASSERT_TRUE(poll_until({&c1, &c2},
                         [&] { return c1.assignment().size() == 2 && c2.assignment().size() == 2 && seen.size() == 40; },
                         &seen))
      << c1.assignment().size() << " " << c2.assignment().size() << " " << seen.size();
  for (const auto& [value, times] : seen) EXPECT_EQ(times, 1) << value;
  Partitions both = c1.assignment();
  for (const auto& tp : c2.assignment()) EXPECT_TRUE(both.insert(tp).second) << tp.str();
  EXPECT_EQ(both.size(), 4u);
  EXPECT_EQ(l1->events.back().first, "assigned");
  EXPECT_EQ(l1->events.back().second, c1.assignment());
  EXPECT_EQ(l2->events.back().second, c2.assignment());

  // c1 leaves (LeaveGroup): c2 gets everything and reads what comes next exactly once.
  const Partitions had = c1.assignment();
  c1.close();
  EXPECT_EQ(l1->events.back(), (std::pair<std::string, Partitions>{"revoked", had}));
  produce("split", 4, 5, 10);
  seen.clear();
  ASSERT_TRUE(poll_until({&c2}, [&] { return c2.assignment().size() == 4 && seen.size() == 20; }, &seen));
  for (const auto& [value, times] : seen) EXPECT_EQ(times, 1) << value;
  // Eager (range): c2 was revoked what it had, then assigned everything.
  ASSERT_GE(l2->events.size(), 2u);
  EXPECT_EQ(l2->events[l2->events.size() - 2].first, "revoked");
  EXPECT_EQ(l2->events.back(), (std::pair<std::string, Partitions>{"assigned", c2.assignment()}));
  c2.close();
}

TEST_F(ConsumerGroupTest, CooperativeStickyMovesOnlyWhatItMust) {
  create_topic("coop", 4);
  auto l1 = std::make_shared<Recorder>(), l2 = std::make_shared<Recorder>();
  auto coop = [&](const std::string& g) {
    return props(g, {{"partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"}});
  };
  StringConsumer c1(coop("g-coop")), c2(coop("g-coop"));
  c1.subscribe({"coop"}, l1);
  ASSERT_TRUE(poll_until({&c1}, [&] { return c1.assignment().size() == 4; }));
  const Partitions first = c1.assignment();
  c2.subscribe({"coop"}, l2);
  ASSERT_TRUE(poll_until({&c1, &c2}, [&] { return c1.assignment().size() == 2 && c2.assignment().size() == 2; }));
  // c1 gave up only the two that moved, and was never revoked the two it kept.
  const Partitions kept = c1.assignment();
  Partitions moved;
  for (const auto& tp : first)
    if (!kept.count(tp)) moved.insert(tp);
  EXPECT_EQ(l1->all("revoked"), moved);
  EXPECT_EQ(c2.assignment(), moved);
  for (const auto& [kind, p] : l1->events) {
    if (kind == "revoked") {
      EXPECT_EQ(p, moved);
    }
  }
  c1.close();
  c2.close();
}

TEST_F(ConsumerGroupTest, AStaticMemberComesBackToItsPartitions) {
  create_topic("static", 4);
  auto lb = std::make_shared<Recorder>();
  auto a = std::make_unique<StringConsumer>(props("g-static", {{"group.instance.id", "a"}}));
  StringConsumer b(props("g-static", {{"group.instance.id", "b"}}));
  a->subscribe({"static"});
  b.subscribe({"static"}, lb);
  ASSERT_TRUE(poll_until({a.get(), &b}, [&] { return a->assignment().size() == 2 && b.assignment().size() == 2; }));
  const Partitions a_had = a->assignment(), b_had = b.assignment();
  const size_t b_events = lb->events.size();
  a->close();  // no LeaveGroup: a static member keeps its place
  a = std::make_unique<StringConsumer>(props("g-static", {{"group.instance.id", "a"}}));
  a->subscribe({"static"});
  ASSERT_TRUE(poll_until({a.get(), &b}, [&] { return a->assignment().size() == 2; }));
  EXPECT_EQ(a->assignment(), a_had);
  EXPECT_EQ(b.assignment(), b_had);
  // b went on without a rebalance.
  EXPECT_EQ(lb->events.size(), b_events);
  a->close();
  b.close();
}

TEST_F(ConsumerGroupTest, AMemberThatStopsPollingLosesItsPartitionsCannotCommitAndRejoins) {
  create_topic("stall", 4);
  auto l1 = std::make_shared<Recorder>();
  auto settings = [&] {
    return props("g-stall", {{"max.poll.interval.ms", "3000"}, {"session.timeout.ms", "10000"}});
  };
  StringConsumer c1(settings()), c2(settings());
  c1.subscribe({"stall"}, l1);
  c2.subscribe({"stall"});
  ASSERT_TRUE(poll_until({&c1, &c2}, [&] { return c1.assignment().size() == 2 && c2.assignment().size() == 2; }));
  const Partitions c1_had = c1.assignment();
  // c1 stops polling: past max.poll.interval.ms its heartbeat leaves the group and c2 gets all.
  ASSERT_TRUE(poll_until({&c2}, [&] { return c2.assignment().size() == 4; }));
  // Its generation is gone: a commit is refused as Kafka refuses it.
  EXPECT_THROW(c1.commitSync(), CommitFailedException);
  // c1's next poll finds its generation gone: the partitions are lost, then it rejoins.
  ASSERT_TRUE(poll_until({&c1, &c2}, [&] { return c1.assignment().size() == 2 && c2.assignment().size() == 2; }));
  EXPECT_EQ(l1->all("lost"), c1_had);
  c1.close();
  c2.close();
}

TEST_F(ConsumerGroupTest, AutoCommitLetsTheNextMemberResume) {
  create_topic("resume", 2);
  produce("resume", 2, 10);
  std::map<std::string, int> seen;
  {
    StringConsumer c(props("g-resume", {{"auto.commit.interval.ms", "200"}}));
    c.subscribe({"resume"});
    ASSERT_TRUE(poll_until({&c}, [&] { return seen.size() == 20; }, &seen));
    c.close();  // commits the positions
  }
  produce("resume", 2, 10, 10);
  seen.clear();
  StringConsumer next(props("g-resume", {{"enable.auto.commit", "false"}}));
  next.subscribe({"resume"});
  ASSERT_TRUE(poll_until({&next}, [&] { return seen.size() == 20; }, &seen));
  for (const auto& [value, times] : seen) {
    EXPECT_EQ(times, 1);
    EXPECT_GE(std::stoi(value.substr(value.find('-') + 1)), 10) << value;  // only the new ones
  }
  next.commitSync();
  auto committed = next.committed({{"resume", 0}, {"resume", 1}});
  EXPECT_EQ(committed[(TopicPartition{"resume", 0})]->offset, 20);
  EXPECT_EQ(committed[(TopicPartition{"resume", 1})]->offset, 20);
  next.unsubscribe();
  EXPECT_TRUE(next.assignment().empty());
  EXPECT_THROW(next.assign({{"resume", 0}}); next.subscribe({"resume"}), IllegalStateException);
  next.close();
}

TEST_F(ConsumerGroupTest, PatternSubscriptionFollowsNewTopics) {
  create_topic("metrics-a", 1);
  produce("metrics-a", 1, 3);
  // New topics are found at metadata refreshes, as in Kafka.
  StringConsumer c(props("g-pattern", {{"metadata.max.age.ms", "500"}}));
  c.subscribe(std::regex("metrics-.*"));
  std::map<std::string, int> seen;
  ASSERT_TRUE(poll_until({&c}, [&] { return seen.size() == 3; }, &seen));
  create_topic("metrics-b", 2);
  produce("metrics-b", 2, 2);
  ASSERT_TRUE(poll_until({&c}, [&] { return c.assignment().size() == 3 && seen.size() == 7; }, &seen))
      << c.assignment().size() << " partitions, " << c.subscription().size() << " topics, " << seen.size() << " records";
  EXPECT_EQ(c.subscription(), (std::set<std::string>{"metrics-a", "metrics-b"}));
  c.close();
}

TEST_F(ConsumerGroupTest, AGregorAndALibrdkafkaMemberSplitOneGroup) {
  for (const std::string assignor : {"range", "roundrobin"}) {
    SCOPED_TRACE(assignor);
    const std::string topic = "mixed-" + assignor;
    create_topic(topic, 4);
    const std::string group = "g-mixed-" + assignor;
    const std::string state = dir.path() + "/" + assignor + ".state", stop = dir.path() + "/" + assignor + ".stop";
    auto other = std::async(std::launch::async, [&] {
      return python("confluent_group_split.py", {broker->bootstrap(), topic, group, assignor, state, stop});
    });
    StringConsumer gregor(props(group, {{"partition.assignment.strategy", assignor}}));
    gregor.subscribe({topic});
    std::map<std::string, int> seen;
    std::string theirs;
    auto read_state = [&] {
      std::ifstream in(state);
      std::stringstream s;
      s << in.rdbuf();
      theirs = s.str();
    };
    // Both members in the group with two partitions each (librdkafka's: "[a, b]")...
    auto split = [&] {
      read_state();
      const auto at = theirs.find("\"assignment\": [");
      return gregor.assignment().size() == 2 && at != std::string::npos &&
             std::count(theirs.begin() + at, theirs.begin() + theirs.find(']', at), ',') == 1;
    };
    ASSERT_TRUE(poll_until({&gregor}, split, &seen, 80s)) << theirs;
    // ... then records come, and each reads those of its own partitions.
    produce(topic, 4, 10);
    auto both_read = [&] {
      read_state();
      return seen.size() == 20 && theirs.find(": 10, ") != std::string::npos && theirs.find(": 10}") != std::string::npos;
    };
    ASSERT_TRUE(poll_until({&gregor}, both_read, &seen, 60s)) << theirs << " / " << seen.size();
    std::ofstream(stop) << "stop";
    // Keep polling while the other member leaves.
    std::future_status status;
    while ((status = other.wait_for(50ms)) != std::future_status::ready) gregor.poll(50ms);
    auto result = other.get();
    ASSERT_EQ(result.exit_code, 0) << result.output;
    for (const auto& [value, times] : seen) EXPECT_EQ(times, 1) << value;
    // What librdkafka had: the two partitions the Gregor member did not have.
    for (int p = 0; p < 4; ++p) {
      const bool gregor_read = seen.count(topic + ":" + std::to_string(p) + "-0") > 0;
      const bool they_read = theirs.find("\"" + std::to_string(p) + "\": 10") != std::string::npos;
      EXPECT_NE(gregor_read, they_read) << "partition " << p << ": " << theirs;
    }
    gregor.close();
  }
}

}  // namespace
}  // namespace gregor
