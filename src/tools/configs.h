// `gregor configs` (bin/kafka-configs.sh): Kafka 4.0's ConfigCommand for topics and brokers over
// the admin client.
//
//   --describe (--entity-type topics|brokers [--entity-name N | --entity-default] | --topic T |
//              --broker B | --broker-defaults) [--all]
//   --alter (the same entity) [--add-config k=v,k2=[a,b]] [--delete-config k,k2]
//
// Describe prints Kafka's "Dynamic configs for topic t are:" (or "All configs ...") and a line per
// config with its synonyms; alter sends IncrementalAlterConfigs and prints "Completed updating
// config for topic t.". Errors are Kafka's lines on err, exit status 1.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace gregor::tools {

int run_configs(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gregor::tools
