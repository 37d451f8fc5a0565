// `gregor delete-records` (bin/kafka-delete-records.sh): Kafka's DeleteRecordsCommand over the
// admin client.
//
//   --bootstrap-server H:P --offset-json-file FILE
//
// FILE is Kafka's JSON: {"partitions": [{"topic": "t", "partition": 0, "offset": 3}], "version": 1}
// (offset -1: the high watermark). Prints "Records delete operation completed:" and a line per
// partition, "partition: t-0\tlow_watermark: N" or "partition: t-0\terror: <why>".
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace gregor::tools {

int run_delete_records(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gregor::tools
