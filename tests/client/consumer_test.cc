// The consumer against a real broker process: records written by Gregor's producer and by kcat
// (librdkafka) read back with keys, headers and timestamps; seek, seekToBeginning/End and
// positions; pause and resume; wakeup from another thread; a second thread refused; commits and
// committed offsets; auto.offset.reset.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "../interop/broker_process_test.h"
#include "gregor/consumer.h"
#include "gregor/producer.h"

namespace gregor {
namespace {

using namespace std::chrono_literals;
using StringConsumer = Consumer<std::string, std::string>;
using StringRecord = ConsumerRecord<std::string, std::string>;

class ConsumerTest : public testing::BrokerProcessTest {
 protected:
  Properties props(std::initializer_list<std::pair<const std::string, std::string>> extra = {}) {
    Properties p{{"bootstrap.servers", broker->bootstrap()}, {"client.id", "consumer-test"},
                 {"auto.offset.reset", "earliest"}};
    for (const auto& [k, v] : extra) p[k] = v;
    return p;
  }
  // Writes value0..value{n-1} (keys key0.., a header) to partition 0 with Gregor's producer.
  void produce(const std::string& topic, int n, const std::string& codec = "none", int first = 0) {
    Producer<std::string, std::string> producer(
        {{"bootstrap.servers", broker->bootstrap()}, {"compression.type", codec}, {"linger.ms", "10"}});
    for (int i = first; i < first + n; ++i) {
      ProducerRecord<std::string, std::string> r(topic, 0, "key" + std::to_string(i), "value" + std::to_string(i),
                                                 {{"h", Bytes{'x'}}}, 1700000000000 + i);
      producer.send(r);
    }
    producer.flush();
  }
  // Polls until n records came (or 30 s passed).
  std::vector<StringRecord> poll_n(StringConsumer& c, size_t n) {
    std::vector<StringRecord> out;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (out.size() < n && std::chrono::steady_clock::now() < deadline)
      for (const auto& r : c.poll(200ms)) out.push_back(r);
    return out;
  }
};

TEST_F(ConsumerTest, ReadsWhatTheProducerAndKcatWrote) {
  produce("gregor-written", 300, "lz4");
  ASSERT_EQ(kcat({"-P", "-t", "kcat-written", "-p", "0", "-K", ":", "-z", "gzip"}, "a:1\nb:2\nc:3\n").exit_code, 0);

  StringConsumer consumer(props({{"max.poll.records", "100"}}));
  consumer.assign({{"gregor-written", 0}, {"kcat-written", 0}});
  std::vector<StringRecord> records = poll_n(consumer, 303);
  ASSERT_EQ(records.size(), 303u);
  int64_t next = 0;
  std::vector<std::string> kcat_lines;
  for (const auto& r : records) {
    if (r.topic == "kcat-written") {
      kcat_lines.push_back(*r.key + "=" + *r.value);
      continue;
    }
    ASSERT_EQ(r.offset, next);
    EXPECT_EQ(*r.key, "key" + std::to_string(next));
    EXPECT_EQ(*r.value, "value" + std::to_string(next));
    EXPECT_EQ(r.timestamp, 1700000000000 + next);
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].key, "h");
    ++next;
  }
  EXPECT_EQ(kcat_lines, (std::vector<std::string>{"a=1", "b=2", "c=3"}));
  EXPECT_EQ(consumer.position({"gregor-written", 0}), 300);
  EXPECT_EQ(consumer.position({"kcat-written", 0}), 3);
  EXPECT_EQ(consumer.endOffsets({{"gregor-written", 0}})[(TopicPartition{"gregor-written", 0})], 300);
  consumer.close();
}

TEST_F(ConsumerTest, SeekPauseAndResume) {
  produce("seek", 50);
  produce("other", 5);
  StringConsumer consumer(props({{"auto.offset.reset", "latest"}}));
  consumer.assign({{"seek", 0}, {"other", 0}});
  EXPECT_EQ(consumer.position({"seek", 0}), 50);  // latest

  consumer.seek({"seek", 0}, 40);
  consumer.pause({{"other", 0}});
  consumer.seekToBeginning({{"other", 0}});
  auto records = poll_n(consumer, 10);
  ASSERT_EQ(records.size(), 10u);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].topic, "seek");
    EXPECT_EQ(records[i].offset, static_cast<int64_t>(40 + i));
  }
  EXPECT_TRUE(consumer.poll(300ms).empty());  // "other" stays paused
  EXPECT_EQ(consumer.paused(), (std::set<TopicPartition>{{"other", 0}}));

  consumer.resume({{"other", 0}});
  records = poll_n(consumer, 5);
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0].topic, "other");
  EXPECT_EQ(records[0].offset, 0);

  consumer.seekToBeginning({{"seek", 0}});
  EXPECT_EQ(consumer.position({"seek", 0}), 0);
  consumer.seekToEnd({{"seek", 0}});
  EXPECT_EQ(consumer.position({"seek", 0}), 50);
  EXPECT_THROW(consumer.seek({"unassigned", 0}, 1), IllegalStateException);
}

TEST_F(ConsumerTest, WakeupFromAnotherThreadEndsABlockedPoll) {
  produce("quiet", 1);
  StringConsumer consumer(props({{"auto.offset.reset", "latest"}}));
  consumer.assign({{"quiet", 0}});
  EXPECT_EQ(consumer.position({"quiet", 0}), 1);
  const auto start = std::chrono::steady_clock::now();
  std::thread waker([&] { consumer.wakeup(); });
  EXPECT_THROW(consumer.poll(60s), WakeupException);
  waker.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  // The wakeup is used up: the next poll returns normally.
  EXPECT_TRUE(consumer.poll(100ms).empty());
}

TEST_F(ConsumerTest, ASecondThreadIsRefused) {
  produce("shared", 1);
  StringConsumer consumer(props({{"auto.offset.reset", "latest"}}));
  consumer.assign({{"shared", 0}});
  std::atomic<bool> polled_until_woken{false};
  std::thread poller([&] {
    // Our own probes below may catch this thread between calls, so it retries until woken.
    while (true) {
      try {
        consumer.poll(60s);
      } catch (const ConcurrentModificationException&) {
        continue;
      } catch (const WakeupException&) {
        polled_until_woken = true;
        return;
      }
    }
  });
  std::string refused;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (refused.empty() && std::chrono::steady_clock::now() < deadline) {
    try {
      consumer.assignment();
    } catch (const ConcurrentModificationException& e) {
      refused = e.what();
    }
  }
  EXPECT_NE(refused.find("KafkaConsumer is not safe for multi-threaded access"), std::string::npos) << refused;
  consumer.wakeup();
  poller.join();
  EXPECT_TRUE(polled_until_woken);
}

TEST_F(ConsumerTest, CommitAndCommitted) {
  produce("commits", 20);
  const TopicPartition tp{"commits", 0};
  {
    StringConsumer consumer(props({{"group.id", "g1"}, {"enable.auto.commit", "false"}}));
    consumer.assign({tp});
    EXPECT_EQ(consumer.committed({tp})[tp], std::nullopt);
    consumer.commitSync({{tp, OffsetAndMetadata{7, "seven", std::nullopt}}});
    auto c = consumer.committed({tp})[tp];
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->offset, 7);
    EXPECT_EQ(c->metadata, "seven");
    // The committed offset is where an assigned partition starts.
    auto records = poll_n(consumer, 13);
    ASSERT_EQ(records.size(), 13u);
    EXPECT_EQ(records[0].offset, 7);

    std::atomic<int> called{0};
    std::exception_ptr error;
    consumer.commitAsync([&](const std::map<TopicPartition, OffsetAndMetadata>& offsets, std::exception_ptr e) {
      EXPECT_EQ(offsets.at(tp).offset, 20);
      error = e;
      ++called;
    });
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (called == 0 && std::chrono::steady_clock::now() < deadline) consumer.poll(100ms);
    EXPECT_EQ(called, 1);
    EXPECT_FALSE(error);
    EXPECT_EQ(consumer.committed({tp})[tp]->offset, 20);
  }
  {
    // Auto-commit on close: a consumer of the same group continues where it stopped.
    StringConsumer consumer(props({{"group.id", "g2"}}));
    consumer.assign({tp});
    consumer.seek(tp, 15);
    consumer.close();
    StringConsumer next(props({{"group.id", "g2"}}));
    next.assign({tp});
    EXPECT_EQ(next.position(tp), 15);
  }
}

TEST_F(ConsumerTest, AutoOffsetResetNoneWithoutCommittedOffset) {
  produce("no-reset", 3);
  StringConsumer consumer(props({{"group.id", "g3"}, {"auto.offset.reset", "none"}}));
  consumer.assign({{"no-reset", 0}});
  try {
    // The first polls may end before the group's coordinator is found.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) consumer.poll(1s);
    ADD_FAILURE() << "poll did not throw";
  } catch (const NoOffsetForPartitionException& e) {
    EXPECT_EQ(std::string(e.what()), "Undefined offset with no reset policy for partitions: [no-reset-0]");
    EXPECT_EQ(e.partitions(), (std::set<TopicPartition>{{"no-reset", 0}}));
  }
  // A seek gives it a position.
  consumer.seek({"no-reset", 0}, 1);
  EXPECT_EQ(poll_n(consumer, 2).size(), 2u);
  // An offset past the end, with no reset policy, is out of range.
  consumer.seek({"no-reset", 0}, 100);
  EXPECT_THROW(
      {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < deadline) consumer.poll(200ms);
      },
      OffsetOutOfRangeException);
}

TEST_F(ConsumerTest, NoGroupMeansNoCommits) {
  StringConsumer consumer(props());
  consumer.assign({{"t", 0}});
  EXPECT_THROW(consumer.commitSync(), KafkaException);
  EXPECT_THROW(StringConsumer(props({{"enable.auto.commit", "true"}})), ConfigException);
  EXPECT_THROW(StringConsumer(props({{"fetch.max.wait", "1"}})), ConfigException);
}

}  // namespace
}  // namespace gregor
