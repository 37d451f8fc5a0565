// `gregor get-offsets` (bin/kafka-get-offsets.sh): Kafka's GetOffsetShell over the admin client.
//
//   --bootstrap-server H:P [--topic REGEX] [--partitions 0,1] [--topic-partitions t:0-2,u,...]
//   [--time -1|-2|-3|latest|earliest|max-timestamp|MS] [--exclude-internal-topics]
//
// Prints "topic:partition:offset" for every matching partition, sorted by topic and partition;
// the offset is empty when no record is at or after the timestamp.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace gregor::tools {

int run_get_offsets(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gregor::tools
