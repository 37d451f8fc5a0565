// Topic administration with the admin client, as Kafka's Java Admin: create a topic (or find it
// there already), list the topics and describe this one's partitions.
//
//   admin_topics [bootstrap-servers] [topic] [partitions]
#include <gregor/admin.h>

#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) {
  const std::string bootstrap = argc > 1 ? argv[1] : "localhost:9092";
  const std::string topic = argc > 2 ? argv[2] : "example-topic";
  const int partitions = argc > 3 ? std::stoi(argv[3]) : 3;

  try {
    gregor::Admin admin({{"bootstrap.servers", bootstrap}});

    gregor::NewTopic request;
    request.name = topic;
    request.num_partitions = partitions;
    try {
      // One result per topic; get() throws that topic's error.
      const gregor::CreatedTopic created = admin.create_topics({request}).at(topic).get();
      std::printf("created %s with %d partitions (id %s)\n", topic.c_str(), created.num_partitions,
                  created.topic_id.c_str());
    } catch (const gregor::ApiException& e) {
      if (e.name() != "TOPIC_ALREADY_EXISTS") throw;
      std::printf("%s exists already\n", topic.c_str());
    }

    for (const auto& [name, listing] : admin.list_topics()) std::printf("topic %s\n", name.c_str());

    const gregor::TopicDescription description = admin.describe_topics({topic}).at(topic).get();
    for (const gregor::TopicPartitionInfo& p : description.partitions) {
      std::printf("%s-%d leader %s, %zu replicas, %zu in sync\n", topic.c_str(), p.partition,
                  p.leader ? std::to_string(p.leader->id).c_str() : "none", p.replicas.size(), p.isr.size());
    }
    admin.close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "admin_topics: %s\n", e.what());
    return 1;
  }
  return 0;
}
