// Every record type of the internal topics (__cluster_metadata, __consumer_offsets,
// __transaction_state, share-group state), the quorum-state file and Streams' subscription info.
#include "protocol/generated/group_coordinator/all.h"
#include "protocol/generated/metadata/all.h"
#include "protocol/generated/raft/all.h"
#include "protocol/generated/share_coordinator/all.h"
#include "protocol/generated/streams/all.h"
#include "protocol/generated/transaction_coordinator/all.h"
#include "round_trip.h"

namespace gregor::protocol {
namespace {

#define GREGOR_ROUND_TRIP_TEST(Type) \
  TEST(RoundTrip, Type) { testing::check_round_trip<Type>(); }
GREGOR_FOR_EACH_METADATA_MESSAGE(GREGOR_ROUND_TRIP_TEST)
GREGOR_FOR_EACH_GROUP_COORDINATOR_MESSAGE(GREGOR_ROUND_TRIP_TEST)
GREGOR_FOR_EACH_TRANSACTION_COORDINATOR_MESSAGE(GREGOR_ROUND_TRIP_TEST)
GREGOR_FOR_EACH_SHARE_COORDINATOR_MESSAGE(GREGOR_ROUND_TRIP_TEST)
GREGOR_FOR_EACH_RAFT_MESSAGE(GREGOR_ROUND_TRIP_TEST)
GREGOR_FOR_EACH_STREAMS_MESSAGE(GREGOR_ROUND_TRIP_TEST)

}  // namespace
}  // namespace gregor::protocol
