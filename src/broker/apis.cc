#include "broker/apis.h"

#include <algorithm>

#include "broker/handlers/handlers.h"

namespace gregor::broker {

namespace {

// Versions as a Kafka 4.0 broker serves them, within what the codec knows.
constexpr ApiEntry kApis[] = {
    {0, 3, 11, handle_produce},       // Produce (v0-2 carry the old message formats, gone in Kafka 4)
    {1, 4, 12, handle_fetch},         // Fetch (v13+ name topics by id: with the metadata image)
    {2, 1, 8, handle_list_offsets},   // ListOffsets (v9+ add tiered-storage timestamps)
    {3, 0, 12, handle_metadata},      // Metadata
    {18, 0, 4, handle_api_versions},  // ApiVersions
    {19, 2, 7, handle_create_topics},  // CreateTopics
    {22, 0, 5, handle_init_producer_id},  // InitProducerId (idempotent producers; transactions answer COORDINATOR_NOT_AVAILABLE)
};

}  // namespace

std::span<const ApiEntry> implemented_apis() { return kApis; }

const ApiEntry* find_implemented_api(int16_t key) {
  auto it = std::find_if(std::begin(kApis), std::end(kApis), [&](const ApiEntry& e) { return e.key == key; });
  return it == std::end(kApis) ? nullptr : &*it;
}

}  // namespace gregor::broker
