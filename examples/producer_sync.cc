// A synchronous producer, as Kafka's Java producer is used with send().get(): each record is
// acknowledged by the broker before the next is sent, and its RecordMetadata printed.
//
//   producer_sync [bootstrap-servers] [topic] [count]
//   producer_sync localhost:9092 quickstart-events 3
#include <gregor/producer.h>

#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) {
  const std::string bootstrap = argc > 1 ? argv[1] : "localhost:9092";
  const std::string topic = argc > 2 ? argv[2] : "quickstart-events";
  const int count = argc > 3 ? std::stoi(argv[3]) : 3;

  gregor::Properties props{
      {"bootstrap.servers", bootstrap},
      {"acks", "all"},
      {"key.serializer", "org.apache.kafka.common.serialization.StringSerializer"},
      {"value.serializer", "org.apache.kafka.common.serialization.StringSerializer"},
  };
  try {
    gregor::Producer<std::string, std::string> producer(props);
    for (int i = 0; i < count; ++i) {
      const std::string key = "key-" + std::to_string(i);
      const std::string value = "synchronous event " + std::to_string(i);
      // get() waits for the broker's acknowledgement and throws the send's error, if any.
      gregor::RecordMetadata metadata = producer.send({topic, key, value}).get();
      std::printf("sent %s=%s to %s-%d at offset %lld (timestamp %lld)\n", key.c_str(), value.c_str(),
                  metadata.topic.c_str(), metadata.partition, static_cast<long long>(metadata.offset),
                  static_cast<long long>(metadata.timestamp));
    }
    producer.close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "producer_sync: %s\n", e.what());
    return 1;
  }
  return 0;
}
