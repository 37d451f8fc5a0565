// `gregor consumer-groups` (bin/kafka-consumer-groups.sh): Kafka 4.0's ConsumerGroupCommand over
// the admin client.
//
//   --list [--state [S,...]] [--type [T,...]]
//   --describe (--group G ... | --all-groups) [--offsets | --members | --state] [--verbose]
//   --delete (--group G ... | --all-groups)
//   --delete-offsets --group G --topic T[:P,...] ...
//   --reset-offsets (--group G ... | --all-groups) (--topic T[:P,...] ... | --all-topics)
//       (--to-earliest | --to-latest | --to-current | --to-offset N | --shift-by N |
//        --to-datetime YYYY-MM-DDTHH:mm:SS.sss | --by-duration PnDTnHnMnS | --from-file CSV)
//       [--dry-run | --execute] [--export]
//
// Output is Kafka's: the same columns, widths computed as Kafka computes them, the same
// messages. Errors Kafka prints as "Error: ..." on standard output go to err here, and make the
// exit status 1.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace gregor::tools {

int run_consumer_groups(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gregor::tools
