// A consumer's poll loop, as Kafka's Java consumer is written: poll, process, commitSync; shut
// down by wakeup() from another thread, here the one that waits for SIGINT or SIGTERM (a signal
// handler may not call into the consumer). The blocked poll then throws WakeupException, and
// close() leaves cleanly. SIGUSR1 tells that thread to stop when the loop ends another way.
//
//   consumer_loop [bootstrap-servers] [topic] [group]
//
// The consumer reads every partition of the topic by manual assignment (assign), starting at the
// group's committed offsets, else at the beginning.
#include <gregor/consumer.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <exception>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  const std::string bootstrap = argc > 1 ? argv[1] : "localhost:9092";
  const std::string topic = argc > 2 ? argv[2] : "quickstart-events";
  const std::string group = argc > 3 ? argv[3] : "quickstart-group";

  // Block the signals in every thread; the waiter below takes them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  gregor::Properties props{
      {"bootstrap.servers", bootstrap},
      {"group.id", group},
      {"enable.auto.commit", "false"},
      {"auto.offset.reset", "earliest"},
  };
  try {
    gregor::Consumer<std::string, std::string> consumer(props);
    std::vector<gregor::TopicPartition> partitions;
    for (const gregor::PartitionInfo& p : consumer.partitionsFor(topic)) partitions.push_back({topic, p.partition});
    consumer.assign(partitions);

    std::thread waiter([&consumer, &signals] {
      int sig = 0;
      sigwait(&signals, &sig);
      if (sig != SIGUSR1) consumer.wakeup();  // the one call another thread may make
    });
    // However the loop ends, the waiter ends before the consumer goes.
    struct StopWaiter {
      std::thread& thread;
      ~StopWaiter() {
        pthread_kill(thread.native_handle(), SIGUSR1);
        thread.join();
      }
    } stop_waiter{waiter};

    std::printf("consuming %s (%zu partitions) as group %s\n", topic.c_str(), partitions.size(), group.c_str());
    std::fflush(stdout);
    try {
      for (;;) {
        auto records = consumer.poll(std::chrono::milliseconds(1000));
        for (const auto& r : records) {
          std::printf("%s-%d@%lld %s=%s\n", r.topic.c_str(), r.partition, static_cast<long long>(r.offset),
                      r.key ? r.key->c_str() : "null", r.value ? r.value->c_str() : "null");
        }
        if (!records.empty()) {
          consumer.commitSync();  // the positions after what this poll returned
          std::printf("committed %zu records\n", records.count());
        }
        std::fflush(stdout);
      }
    } catch (const gregor::WakeupException&) {
      // Shutting down, as asked.
    }
    consumer.close();
    std::printf("closed\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer_loop: %s\n", e.what());
    return 1;
  }
  return 0;
}
