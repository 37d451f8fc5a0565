#include "common/error_code.h"

#include "common/status.h"

namespace gregor {

// One row per code: enumerator, Kafka's name, whether Kafka's exception for it is retriable,
// and Gregor's short default message.
#define GREGOR_ERROR_CODES(X)                                                                                \
  X(unknown_server_error, "UNKNOWN_SERVER_ERROR", false,                                                     \
    "The server hit an unexpected error while handling the request.")                                        \
  X(none, "NONE", false, "")                                                                                 \
  X(offset_out_of_range, "OFFSET_OUT_OF_RANGE", false,                                                       \
    "The requested offset is outside the range the partition holds.")                                        \
  X(corrupt_message, "CORRUPT_MESSAGE", true,                                                                \
    "A record failed its checksum, was too large or malformed, or lacked a key on a compacted topic.")       \
  X(unknown_topic_or_partition, "UNKNOWN_TOPIC_OR_PARTITION", true,                                          \
    "This broker does not host the topic partition.")                                                        \
  X(invalid_fetch_size, "INVALID_FETCH_SIZE", false, "The fetch size is not valid.")                         \
  X(leader_not_available, "LEADER_NOT_AVAILABLE", true,                                                      \
    "The partition has no leader right now; an election is under way.")                                      \
  X(not_leader_or_follower, "NOT_LEADER_OR_FOLLOWER", true,                                                  \
    "This broker is not the partition's leader, or not one of its replicas.")                                \
  X(request_timed_out, "REQUEST_TIMED_OUT", true, "The request timed out.")                                  \
  X(broker_not_available, "BROKER_NOT_AVAILABLE", false, "The broker is not available.")                     \
  X(replica_not_available, "REPLICA_NOT_AVAILABLE", true,                                                    \
    "The replica is not available for the topic partition.")                                                 \
  X(message_too_large, "MESSAGE_TOO_LARGE", false,                                                           \
    "A record batch is larger than the largest the broker accepts.")                                         \
  X(stale_controller_epoch, "STALE_CONTROLLER_EPOCH", false,                                                 \
    "The request came from a controller that is no longer active.")                                          \
  X(offset_metadata_too_large, "OFFSET_METADATA_TOO_LARGE", false,                                           \
    "The metadata of the committed offset is too large.")                                                    \
  X(network_exception, "NETWORK_EXCEPTION", true, "The connection closed before a response arrived.")        \
  X(coordinator_load_in_progress, "COORDINATOR_LOAD_IN_PROGRESS", true,                                      \
    "The coordinator is still loading its state.")                                                           \
  X(coordinator_not_available, "COORDINATOR_NOT_AVAILABLE", true, "The coordinator is not available.")       \
  X(not_coordinator, "NOT_COORDINATOR", true, "This broker is not the coordinator for the key.")             \
  X(invalid_topic_exception, "INVALID_TOPIC_EXCEPTION", false,                                               \
    "The topic name is not valid for this operation.")                                                       \
  X(record_list_too_large, "RECORD_LIST_TOO_LARGE", false,                                                   \
    "A record batch is larger than the topic's segment size.")                                               \
  X(not_enough_replicas, "NOT_ENOUGH_REPLICAS", true,                                                        \
    "Fewer replicas are in sync than the topic requires; the records were not written.")                     \
  X(not_enough_replicas_after_append, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true,                              \
    "The records were written, but to fewer in-sync replicas than the topic requires.")                      \
  X(invalid_required_acks, "INVALID_REQUIRED_ACKS", false, "The acks value is not valid.")                   \
  X(illegal_generation, "ILLEGAL_GENERATION", false, "The group generation is not current.")                 \
  X(inconsistent_group_protocol, "INCONSISTENT_GROUP_PROTOCOL", false,                                       \
    "The member's protocols do not match the group's, or none were given.")                                  \
  X(invalid_group_id, "INVALID_GROUP_ID", false, "The group id is not valid.")                               \
  X(unknown_member_id, "UNKNOWN_MEMBER_ID", false, "The coordinator does not know this member.")             \
  X(invalid_session_timeout, "INVALID_SESSION_TIMEOUT", false,                                               \
    "The session timeout is outside the range the broker allows.")                                           \
  X(rebalance_in_progress, "REBALANCE_IN_PROGRESS", false,                                                   \
    "The group is rebalancing; the member must rejoin.")                                                     \
  X(invalid_commit_offset_size, "INVALID_COMMIT_OFFSET_SIZE", false,                                         \
    "The size of the offset commit is not valid.")                                                           \
  X(topic_authorization_failed, "TOPIC_AUTHORIZATION_FAILED", false, "Not authorized to access the topic.")  \
  X(group_authorization_failed, "GROUP_AUTHORIZATION_FAILED", false, "Not authorized to access the group.")  \
  X(cluster_authorization_failed, "CLUSTER_AUTHORIZATION_FAILED", false,                                     \
    "Not authorized to perform this cluster operation.")                                                     \
  X(invalid_timestamp, "INVALID_TIMESTAMP", false,                                                           \
    "A record timestamp is outside the range the topic accepts.")                                            \
  X(unsupported_sasl_mechanism, "UNSUPPORTED_SASL_MECHANISM", false,                                         \
    "The broker does not support this SASL mechanism.")                                                      \
  X(illegal_sasl_state, "ILLEGAL_SASL_STATE", false,                                                         \
    "The request is not allowed in the current SASL state.")                                                 \
  X(unsupported_version, "UNSUPPORTED_VERSION", false, "This API version is not supported.")                 \
  X(topic_already_exists, "TOPIC_ALREADY_EXISTS", false, "A topic with this name already exists.")           \
  X(invalid_partitions, "INVALID_PARTITIONS", false, "The number of partitions is not valid.")               \
  X(invalid_replication_factor, "INVALID_REPLICATION_FACTOR", false,                                         \
    "The replication factor is below 1 or above the number of available brokers.")                           \
  X(invalid_replica_assignment, "INVALID_REPLICA_ASSIGNMENT", false, "The replica assignment is not valid.") \
  X(invalid_config, "INVALID_CONFIG", false, "The configuration is not valid.")                              \
  X(not_controller, "NOT_CONTROLLER", true, "This node is not the active controller.")                       \
  X(invalid_request, "INVALID_REQUEST", false,                                                               \
    "The request is malformed or not valid for this broker; see the broker log.")                            \
  X(unsupported_for_message_format, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false,                                 \
    "The record format in use does not support this request.")                                               \
  X(policy_violation, "POLICY_VIOLATION", false, "The request violates the configured policy.")              \
  X(out_of_order_sequence_number, "OUT_OF_ORDER_SEQUENCE_NUMBER", false,                                     \
    "The producer sequence number is out of order.")                                                         \
  X(duplicate_sequence_number, "DUPLICATE_SEQUENCE_NUMBER", false,                                           \
    "The producer sequence number is a duplicate.")                                                          \
  X(invalid_producer_epoch, "INVALID_PRODUCER_EPOCH", false,                                                 \
    "The producer epoch is older than the current one.")                                                     \
  X(invalid_txn_state, "INVALID_TXN_STATE", false,                                                           \
    "The transactional operation is not valid in the transaction's current state.")                          \
  X(invalid_producer_id_mapping, "INVALID_PRODUCER_ID_MAPPING", false,                                       \
    "The producer id is not the one assigned to this transactional id.")                                     \
  X(invalid_transaction_timeout, "INVALID_TRANSACTION_TIMEOUT", false,                                       \
    "The transaction timeout exceeds the broker's maximum.")                                                 \
  X(concurrent_transactions, "CONCURRENT_TRANSACTIONS", true,                                                \
    "Another operation on the same transaction is still in progress.")                                       \
  X(transaction_coordinator_fenced, "TRANSACTION_COORDINATOR_FENCED", false,                                 \
    "The transaction coordinator that sent the request is no longer current.")                               \
  X(transactional_id_authorization_failed, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false,                   \
    "Not authorized to use the transactional id.")                                                           \
  X(security_disabled, "SECURITY_DISABLED", false, "Security features are not enabled.")                     \
  X(operation_not_attempted, "OPERATION_NOT_ATTEMPTED", false,                                               \
    "The operation was not attempted because another one in the same request failed.")                       \
  X(kafka_storage_error, "KAFKA_STORAGE_ERROR", true, "A disk error occurred while accessing the log.")      \
  X(log_dir_not_found, "LOG_DIR_NOT_FOUND", false,                                                           \
    "The log directory is not one the broker is configured with.")                                           \
  X(sasl_authentication_failed, "SASL_AUTHENTICATION_FAILED", false, "SASL authentication failed.")          \
  X(unknown_producer_id, "UNKNOWN_PRODUCER_ID", false,                                                       \
    "The broker has no state for this producer id, for example because its records were deleted.")           \
  X(reassignment_in_progress, "REASSIGNMENT_IN_PROGRESS", false, "A partition reassignment is in progress.") \
  X(delegation_token_auth_disabled, "DELEGATION_TOKEN_AUTH_DISABLED", false,                                 \
    "Delegation tokens are not enabled.")                                                                    \
  X(delegation_token_not_found, "DELEGATION_TOKEN_NOT_FOUND", false, "The delegation token does not exist.") \
  X(delegation_token_owner_mismatch, "DELEGATION_TOKEN_OWNER_MISMATCH", false,                               \
    "The principal is not the token's owner or renewer.")                                                    \
  X(delegation_token_request_not_allowed, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false,                     \
    "Delegation token requests are not allowed on this kind of connection.")                                 \
  X(delegation_token_authorization_failed, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", false,                   \
    "Not authorized to use the delegation token.")                                                           \
  X(delegation_token_expired, "DELEGATION_TOKEN_EXPIRED", false, "The delegation token has expired.")        \
  X(invalid_principal_type, "INVALID_PRINCIPAL_TYPE", false, "The principal type is not supported.")         \
  X(non_empty_group, "NON_EMPTY_GROUP", false, "The group still has members.")                               \
  X(group_id_not_found, "GROUP_ID_NOT_FOUND", false, "The group does not exist.")                            \
  X(fetch_session_id_not_found, "FETCH_SESSION_ID_NOT_FOUND", true, "The fetch session does not exist.")     \
  X(invalid_fetch_session_epoch, "INVALID_FETCH_SESSION_EPOCH", true,                                        \
    "The fetch session epoch is not the expected one.")                                                      \
  X(listener_not_found, "LISTENER_NOT_FOUND", true,                                                          \
    "The leader has no listener matching the one the metadata request came in on.")                          \
  X(topic_deletion_disabled, "TOPIC_DELETION_DISABLED", false, "Topic deletion is disabled.")                \
  X(fenced_leader_epoch, "FENCED_LEADER_EPOCH", true,                                                        \
    "The leader epoch in the request is older than the broker's.")                                           \
  X(unknown_leader_epoch, "UNKNOWN_LEADER_EPOCH", true,                                                      \
    "The leader epoch in the request is newer than the broker's.")                                           \
  X(unsupported_compression_type, "UNSUPPORTED_COMPRESSION_TYPE", false,                                     \
    "The client does not support the partition's compression type.")                                         \
  X(stale_broker_epoch, "STALE_BROKER_EPOCH", false, "The broker epoch is no longer current.")               \
  X(offset_not_available, "OFFSET_NOT_AVAILABLE", true,                                                      \
    "The new leader's high watermark has not caught up yet, so offsets cannot be served.")                   \
  X(member_id_required, "MEMBER_ID_REQUIRED", false,                                                         \
    "The member must rejoin with the member id the coordinator assigned.")                                   \
  X(preferred_leader_not_available, "PREFERRED_LEADER_NOT_AVAILABLE", true,                                  \
    "The preferred leader is not available.")                                                                \
  X(group_max_size_reached, "GROUP_MAX_SIZE_REACHED", false, "The group is at its maximum size.")            \
  X(fenced_instance_id, "FENCED_INSTANCE_ID", false,                                                         \
    "Another member with the same group instance id has replaced this one.")                                 \
  X(eligible_leaders_not_available, "ELIGIBLE_LEADERS_NOT_AVAILABLE", true,                                  \
    "No eligible leader is available for the partition.")                                                    \
  X(election_not_needed, "ELECTION_NOT_NEEDED", true, "The partition does not need a leader election.")      \
  X(no_reassignment_in_progress, "NO_REASSIGNMENT_IN_PROGRESS", false,                                       \
    "No partition reassignment is in progress.")                                                             \
  X(group_subscribed_to_topic, "GROUP_SUBSCRIBED_TO_TOPIC", false,                                           \
    "The group is subscribed to the topic, so its offsets cannot be deleted.")                               \
  X(invalid_record, "INVALID_RECORD", false, "The broker rejected a record as not valid.")                   \
  X(unstable_offset_commit, "UNSTABLE_OFFSET_COMMIT", true,                                                  \
    "Pending transactional offsets must complete first.")                                                    \
  X(throttling_quota_exceeded, "THROTTLING_QUOTA_EXCEEDED", true,                                            \
    "The request exceeds the throttling quota.")                                                             \
  X(producer_fenced, "PRODUCER_FENCED", false,                                                               \
    "A newer producer with the same transactional id has fenced this one.")                                  \
  X(resource_not_found, "RESOURCE_NOT_FOUND", false,                                                         \
    "The request refers to a resource that does not exist.")                                                 \
  X(duplicate_resource, "DUPLICATE_RESOURCE", false, "The request refers to the same resource twice.")       \
  X(unacceptable_credential, "UNACCEPTABLE_CREDENTIAL", false,                                               \
    "The credential does not meet the acceptance criteria.")                                                 \
  X(inconsistent_voter_set, "INCONSISTENT_VOTER_SET", false,                                                 \
    "The sender or receiver of the voter request is not an expected voter.")                                 \
  X(invalid_update_version, "INVALID_UPDATE_VERSION", false, "The update version is not valid.")             \
  X(feature_update_failed, "FEATURE_UPDATE_FAILED", false,                                                   \
    "The finalized features could not be updated because of an unexpected error.")                           \
  X(principal_deserialization_failure, "PRINCIPAL_DESERIALIZATION_FAILURE", false,                           \
    "The forwarded request's principal could not be deserialized.")                                          \
  X(snapshot_not_found, "SNAPSHOT_NOT_FOUND", false, "The snapshot does not exist.")                         \
  X(position_out_of_range, "POSITION_OUT_OF_RANGE", false,                                                   \
    "The position is negative or beyond the end of the snapshot.")                                           \
  X(unknown_topic_id, "UNKNOWN_TOPIC_ID", true, "This broker does not host a topic with this id.")           \
  X(duplicate_broker_registration, "DUPLICATE_BROKER_REGISTRATION", false,                                   \
    "Another broker already uses this broker id.")                                                           \
  X(broker_id_not_registered, "BROKER_ID_NOT_REGISTERED", false, "The broker id is not registered.")         \
  X(inconsistent_topic_id, "INCONSISTENT_TOPIC_ID", true,                                                    \
    "The topic id in the request does not match the log's.")                                                 \
  X(inconsistent_cluster_id, "INCONSISTENT_CLUSTER_ID", false,                                               \
    "The cluster id in the request does not match this node's.")                                             \
  X(transactional_id_not_found, "TRANSACTIONAL_ID_NOT_FOUND", false, "The transactional id does not exist.") \
  X(fetch_session_topic_id_error, "FETCH_SESSION_TOPIC_ID_ERROR", true,                                      \
    "The fetch session used topic ids inconsistently.")                                                      \
  X(ineligible_replica, "INELIGIBLE_REPLICA", false,                                                         \
    "The proposed ISR contains a replica that is not eligible.")                                             \
  X(new_leader_elected, "NEW_LEADER_ELECTED", false,                                                         \
    "The partition change was applied, but a different leader was elected.")                                 \
  X(offset_moved_to_tiered_storage, "OFFSET_MOVED_TO_TIERED_STORAGE", false,                                 \
    "The offset is only available in tiered storage.")                                                       \
  X(fenced_member_epoch, "FENCED_MEMBER_EPOCH", false,                                                       \
    "The member epoch is fenced; the member must give up its partitions and rejoin.")                        \
  X(unreleased_instance_id, "UNRELEASED_INSTANCE_ID", false,                                                 \
    "Another member still holds this instance id and must leave first.")                                     \
  X(unsupported_assignor, "UNSUPPORTED_ASSIGNOR", false,                                                     \
    "The group does not support this assignor or assignor version.")                                         \
  X(stale_member_epoch, "STALE_MEMBER_EPOCH", false,                                                         \
    "The member epoch is stale; retry after the next heartbeat.")                                            \
  X(mismatched_endpoint_type, "MISMATCHED_ENDPOINT_TYPE", false,                                             \
    "The request went to an endpoint of the wrong type.")                                                    \
  X(unsupported_endpoint_type, "UNSUPPORTED_ENDPOINT_TYPE", false, "This endpoint type is not supported.")   \
  X(unknown_controller_id, "UNKNOWN_CONTROLLER_ID", false, "The controller id is not known.")                \
  X(unknown_subscription_id, "UNKNOWN_SUBSCRIPTION_ID", false,                                               \
    "The telemetry subscription id is unknown or outdated.")                                                 \
  X(telemetry_too_large, "TELEMETRY_TOO_LARGE", false,                                                       \
    "The telemetry payload is larger than the broker accepts.")                                              \
  X(invalid_registration, "INVALID_REGISTRATION", false, "The controller rejected the broker registration.") \
  X(transaction_abortable, "TRANSACTION_ABORTABLE", false,                                                   \
    "The transaction failed; aborting it lets the transactional id be used again.")                          \
  X(invalid_record_state, "INVALID_RECORD_STATE", false,                                                     \
    "The record's delivery state does not allow this acknowledgement.")                                      \
  X(share_session_not_found, "SHARE_SESSION_NOT_FOUND", true, "The share session does not exist.")           \
  X(invalid_share_session_epoch, "INVALID_SHARE_SESSION_EPOCH", true,                                        \
    "The share session epoch is not the expected one.")                                                      \
  X(fenced_state_epoch, "FENCED_STATE_EPOCH", false,                                                         \
    "The share group state epoch does not match the share coordinator's.")                                   \
  X(invalid_voter_key, "INVALID_VOTER_KEY", false, "The voter key does not match the receiving replica's.")  \
  X(duplicate_voter, "DUPLICATE_VOTER", false, "The voter is already in the voter set.")                     \
  X(voter_not_found, "VOTER_NOT_FOUND", false, "The voter is not in the voter set.")                         \
  X(invalid_regular_expression, "INVALID_REGULAR_EXPRESSION", false, "The regular expression is not valid.") \
  X(rebootstrap_required, "REBOOTSTRAP_REQUIRED", false,                                                     \
    "The client's metadata is stale; it must bootstrap again.")                                              \
  X(streams_invalid_topology, "STREAMS_INVALID_TOPOLOGY", false, "The topology is not valid.")               \
  X(streams_invalid_topology_epoch, "STREAMS_INVALID_TOPOLOGY_EPOCH", false,                                 \
    "The topology epoch is not valid.")                                                                      \
  X(streams_topology_fenced, "STREAMS_TOPOLOGY_FENCED", false, "The topology epoch is outdated.")            \
  X(share_session_limit_reached, "SHARE_SESSION_LIMIT_REACHED", true,                                        \
    "No new share session can be opened: the limit is reached.")

std::string_view error_name(ErrorCode code) {
  switch (code) {
#define GREGOR_ERROR_NAME(id, name, retriable, message) \
  case ErrorCode::id:                                   \
    return name;
    GREGOR_ERROR_CODES(GREGOR_ERROR_NAME)
#undef GREGOR_ERROR_NAME
  }
  return "UNKNOWN_ERROR_CODE";
}

bool is_retriable(ErrorCode code) {
  switch (code) {
#define GREGOR_ERROR_RETRIABLE(id, name, retriable, message) \
  case ErrorCode::id:                                        \
    return retriable;
    GREGOR_ERROR_CODES(GREGOR_ERROR_RETRIABLE)
#undef GREGOR_ERROR_RETRIABLE
  }
  return false;
}

std::string_view error_message(ErrorCode code) {
  switch (code) {
#define GREGOR_ERROR_MESSAGE(id, name, retriable, message) \
  case ErrorCode::id:                                      \
    return message;
    GREGOR_ERROR_CODES(GREGOR_ERROR_MESSAGE)
#undef GREGOR_ERROR_MESSAGE
  }
  return "The error code is not one this broker knows.";
}

#undef GREGOR_ERROR_CODES

std::string Status::to_string() const {
  std::string s(error_name(code_));
  if (!message_.empty()) {
    s += ": ";
    s += message_;
  }
  return s;
}

}  // namespace gregor
