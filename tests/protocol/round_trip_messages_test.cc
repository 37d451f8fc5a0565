// Every request, response, header and data message of message/ at every valid version.
#include "protocol/generated/message/all.h"
#include "round_trip.h"

namespace gregor::protocol {
namespace {

#define GREGOR_ROUND_TRIP_TEST(Type) \
  TEST(RoundTrip, Type) { testing::check_round_trip<Type>(); }
GREGOR_FOR_EACH_MESSAGE_MESSAGE(GREGOR_ROUND_TRIP_TEST)

}  // namespace
}  // namespace gregor::protocol
