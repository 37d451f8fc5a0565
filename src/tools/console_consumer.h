// `gregor console-consumer` (bin/kafka-console-consumer.sh): Kafka 4.0's ConsoleConsumer over
// the client library's consumer.
//
//   --bootstrap-server HOST:PORT (--topic T | --include REGEX) [--from-beginning]
//   [--partition N [--offset earliest|latest|N]] [--group G] [--max-messages N] [--timeout-ms N]
//   [--property print.key=true ...] [--formatter CLASS] [--isolation-level L]
//   [--consumer-property k=v ...] [--consumer.config FILE] [--skip-message-on-error]
//
// Records are printed by Kafka's DefaultMessageFormatter rules (print.timestamp, print.partition,
// print.offset, print.headers, print.key, print.value, key.separator, line.separator,
// headers.separator, null.literal). Without --group (and without --partition) the consumer joins
// a group of its own, console-consumer-NNNNN, with auto-commit off unless asked for. At the end
// (--max-messages reached, --timeout-ms without a record, or SIGINT/SIGTERM) stderr gets
// "Processed a total of N messages".
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace gregor::tools {

int run_console_consumer(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gregor::tools
