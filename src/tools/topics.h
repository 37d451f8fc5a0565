// `gregor topics` (bin/kafka-topics.sh): Kafka's TopicCommand over the admin client.
//
//   --create --topic T [--partitions N] [--replication-factor R] [--config k=v]... [--if-not-exists]
//   --list [--topic REGEX] [--exclude-internal]
//   --describe [--topic REGEX] [--if-exists] [--exclude-internal] [--topics-with-overrides |
//              --under-replicated-partitions | --unavailable-partitions | --under-min-isr-partitions |
//              --at-min-isr-partitions]
//   --alter --topic REGEX --partitions N [--if-exists]
//   --delete --topic REGEX [--if-exists]
//
// --topic is a Java regular expression matched against the whole name (commas stand for '|'),
// except with --create. Output is Kafka 4.0's: "Created topic T.", one name a line for --list,
// and for --describe a topic line with its id, partition count, replication factor and the
// configs that are not defaults, then a line per partition with Leader, Replicas, Isr, Elr and
// LastKnownElr. An error is one line on err ("Error while executing topic command : ...") and
// exit status 1.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace gregor::tools {

int run_topics(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gregor::tools
