// An asynchronous producer, as Kafka's Java producer is used with a Callback: send() returns at
// once, the producer batches records in the background, and each record's callback reports its
// outcome. flush() waits for every record sent so far.
//
//   producer_async [bootstrap-servers] [topic] [count]
#include <gregor/producer.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) {
  const std::string bootstrap = argc > 1 ? argv[1] : "localhost:9092";
  const std::string topic = argc > 2 ? argv[2] : "quickstart-events";
  const int count = argc > 3 ? std::stoi(argv[3]) : 10;

  gregor::Properties props{{"bootstrap.servers", bootstrap}, {"linger.ms", "10"}};
  std::atomic<int> failed{0};
  try {
    gregor::Producer<std::string, std::string> producer(props);
    for (int i = 0; i < count; ++i) {
      const std::string key = "key-" + std::to_string(i);
      // The callback runs on the producer's I/O thread, in send order per partition; keep it short.
      producer.send({topic, key, "asynchronous event " + std::to_string(i)},
                    [key, &failed](const gregor::RecordMetadata& metadata, std::exception_ptr error) {
                      if (error) {
                        try {
                          std::rethrow_exception(error);
                        } catch (const std::exception& e) {
                          std::fprintf(stderr, "failed to send %s: %s\n", key.c_str(), e.what());
                        }
                        ++failed;
                        return;
                      }
                      std::printf("sent %s to %s-%d at offset %lld\n", key.c_str(), metadata.topic.c_str(),
                                  metadata.partition, static_cast<long long>(metadata.offset));
                    });
    }
    producer.flush();
    producer.close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "producer_async: %s\n", e.what());
    return 1;
  }
  return failed == 0 ? 0 : 1;
}
