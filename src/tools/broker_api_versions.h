// `gregor broker-api-versions` (bin/kafka-broker-api-versions.sh): Kafka's
// BrokerApiVersionsCommand. Asks a bootstrap server for the cluster's brokers (Metadata), then
// each broker for its API versions (ApiVersions), and prints per broker:
//
//   127.0.0.1:9092 (id: 1 rack: null isFenced: false) -> (
//   	Produce(0): 0 to 11 [usable: 11],
//   	...
//   	DescribeTopicPartitions(75): 0 [usable: 0]
//   )
//
// "usable" is the newest version both the broker and this build's codec speak (the codec plays
// the part of Kafka's Java client); an API the codec knows for brokers and the broker does not
// list is "UNSUPPORTED", one the codec does not know "UNKNOWN(key)". A broker that cannot be
// asked prints "<broker> -> ERROR: <why>". With no bootstrap server answering, one line on err
// and exit 1.
//
// --command-config takes a client properties file: request.timeout.ms (default 5000) and
// client.id are used; security.protocol must be PLAINTEXT, the only one Gregor serves.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "protocol/generated/message/api_versions_response.h"

namespace gregor::tools {

int run_broker_api_versions(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// NodeApiVersions.toString(true): the "(" ... ")" block for one broker's ApiVersions answer.
std::string api_versions_text(const std::vector<protocol::ApiVersionsResponse::ApiVersion>& broker_apis);

}  // namespace gregor::tools
