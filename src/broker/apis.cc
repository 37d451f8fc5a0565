#include "broker/apis.h"

#include <algorithm>

#include "broker/handlers/handlers.h"

namespace gregor::broker {

namespace {

// Versions as a Kafka 4.0 broker serves them, within what the codec knows.
constexpr ApiEntry kApis[] = {
    {0, 3, 11, handle_produce},                      // Produce (v0-2 carry the old message formats, gone in Kafka 4)
    {1, 4, 17, handle_fetch},                        // Fetch (v13+ name topics by id, from the metadata image)
    {2, 1, 10, handle_list_offsets},                 // ListOffsets (v0 is gone in Kafka 4)
    {3, 0, 12, handle_metadata},                     // Metadata
    {8, 2, 9, handle_offset_commit},                 // OffsetCommit (v0-1 removed in Kafka 4, KIP-896)
    {9, 1, 9, handle_offset_fetch},                  // OffsetFetch (v0 removed in Kafka 4)
    {10, 0, 6, handle_find_coordinator},             // FindCoordinator
    {11, 2, 9, handle_join_group},                   // JoinGroup (v0-1 removed in Kafka 4)
    {12, 0, 4, handle_heartbeat},                    // Heartbeat
    {13, 0, 5, handle_leave_group},                  // LeaveGroup
    {14, 0, 5, handle_sync_group},                   // SyncGroup
    {15, 0, 5, handle_describe_groups},              // DescribeGroups
    {16, 0, 5, handle_list_groups},                  // ListGroups
    {18, 0, 4, handle_api_versions},                 // ApiVersions
    {19, 2, 7, handle_create_topics},                // CreateTopics
    {20, 1, 6, handle_delete_topics},                // DeleteTopics (v0 is gone in Kafka 4)
    {21, 0, 2, handle_delete_records},               // DeleteRecords
    {22, 0, 5, handle_init_producer_id},             // InitProducerId (idempotent producers; transactions answer COORDINATOR_NOT_AVAILABLE)
    {23, 2, 4, handle_offset_for_leader_epoch},      // OffsetForLeaderEpoch (v0-1 removed in Kafka 4.0)
    {32, 1, 4, handle_describe_configs},             // DescribeConfigs (v0 is gone in Kafka 4)
    {33, 0, 2, handle_alter_configs},                // AlterConfigs
    {35, 1, 4, handle_describe_log_dirs},            // DescribeLogDirs (v0 removed in Kafka 4.0)
    {37, 0, 3, handle_create_partitions},            // CreatePartitions
    {42, 0, 2, handle_delete_groups},                // DeleteGroups
    {44, 0, 1, handle_incremental_alter_configs},    // IncrementalAlterConfigs
    {47, 0, 0, handle_offset_delete},                // OffsetDelete
    {60, 0, 1, handle_describe_cluster},             // DescribeCluster
    {68, 0, 1, handle_consumer_group_heartbeat},     // ConsumerGroupHeartbeat (KIP-848)
    {69, 0, 0, handle_consumer_group_describe},      // ConsumerGroupDescribe (KIP-848)
};

// Served on controller listeners only, as Kafka 4.0's controller serves them.
constexpr ApiEntry kControllerApis[] = {
    {18, 0, 4, handle_api_versions},             // ApiVersions
    {62, 0, 4, handle_broker_registration},      // BrokerRegistration
    {63, 0, 1, handle_broker_heartbeat},         // BrokerHeartbeat
    {70, 0, 0, handle_controller_registration},  // ControllerRegistration
};

}  // namespace

std::span<const ApiEntry> implemented_apis() { return kApis; }

const ApiEntry* find_implemented_api(int16_t key) {
  auto it = std::find_if(std::begin(kApis), std::end(kApis), [&](const ApiEntry& e) { return e.key == key; });
  return it == std::end(kApis) ? nullptr : &*it;
}

std::span<const ApiEntry> controller_apis() { return kControllerApis; }

const ApiEntry* find_controller_api(int16_t key) {
  auto it = std::find_if(std::begin(kControllerApis), std::end(kControllerApis),
                         [&](const ApiEntry& e) { return e.key == key; });
  return it == std::end(kControllerApis) ? nullptr : &*it;
}

}  // namespace gregor::broker
