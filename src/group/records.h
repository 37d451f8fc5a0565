// The records of __consumer_offsets, as Kafka's group coordinator writes them: the key and the
// value each start with an int16 version naming their schema (group-coordinator/*.json):
//
//   key version 0, 1   OffsetCommitKey     group, topic, partition  -> OffsetCommitValue
//   key version 2      GroupMetadataKey    group                    -> GroupMetadataValue
//   key version 3-8    the consumer groups of KIP-848 (ConsumerGroup*Key -> ConsumerGroup*Value)
//   key version 9+     share groups and regular expressions, read as "other"
//
// A null value is a tombstone: the offset, or the whole group, is gone. Values are written in
// the versions Kafka writes (OffsetCommitValue 3, or 1 with an expire timestamp; GroupMetadata-
// Value 3), so that Kafka's tools read Gregor's log, and any version Kafka writes is read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "protocol/generated/group_coordinator/consumer_group_current_member_assignment_value.h"
#include "protocol/generated/group_coordinator/consumer_group_member_metadata_value.h"
#include "protocol/generated/group_coordinator/consumer_group_metadata_value.h"
#include "protocol/generated/group_coordinator/consumer_group_partition_metadata_value.h"
#include "protocol/generated/group_coordinator/consumer_group_target_assignment_member_value.h"
#include "protocol/generated/group_coordinator/consumer_group_target_assignment_metadata_value.h"
#include "protocol/generated/group_coordinator/group_metadata_value.h"
#include "protocol/generated/group_coordinator/offset_commit_value.h"

namespace gregor::group {

// One record to append to (or read from) an offsets partition.
struct Record {
  Bytes key;
  std::optional<Bytes> value;  // nullopt: a tombstone
};

struct OffsetCommitRecord {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  std::optional<protocol::OffsetCommitValue> value;  // nullopt: deleted
};

struct GroupMetadataRecord {
  std::string group;
  std::optional<protocol::GroupMetadataValue> value;  // nullopt: the group was deleted
};

// A record this coordinator does not keep (yet): its key version.
struct OtherRecord {
  int16_t key_version = 0;
};

// A KIP-848 consumer group record: the key version names the kind; member records carry the
// member id. The value is the kind's (version 0), or monostate for a tombstone.
struct ConsumerGroupRecord {
  enum class Kind : int16_t {
    metadata = 3,                    // ConsumerGroupMetadata: the group epoch
    partition_metadata = 4,          // ConsumerGroupPartitionMetadata: the subscribed topics' sizes
    member_metadata = 5,             // ConsumerGroupMemberMetadata: a member's subscription
    target_assignment_metadata = 6,  // ConsumerGroupTargetAssignmentMetadata: the assignment epoch
    target_assignment_member = 7,    // ConsumerGroupTargetAssignmentMember: a member's target
    current_member_assignment = 8,   // ConsumerGroupCurrentMemberAssignment: a member's epoch and partitions
  };
  using Value = std::variant<std::monostate, protocol::ConsumerGroupMetadataValue,
                             protocol::ConsumerGroupPartitionMetadataValue, protocol::ConsumerGroupMemberMetadataValue,
                             protocol::ConsumerGroupTargetAssignmentMetadataValue,
                             protocol::ConsumerGroupTargetAssignmentMemberValue,
                             protocol::ConsumerGroupCurrentMemberAssignmentValue>;
  Kind kind = Kind::metadata;
  std::string group;
  std::string member;  // member_metadata, target_assignment_member, current_member_assignment
  Value value;

  bool tombstone() const { return std::holds_alternative<std::monostate>(value); }
};

using DecodedRecord = std::variant<OffsetCommitRecord, GroupMetadataRecord, ConsumerGroupRecord, OtherRecord>;

Record offset_commit_record(const std::string& group, const std::string& topic, int32_t partition,
                            const std::optional<protocol::OffsetCommitValue>& value);
Record group_metadata_record(const std::string& group, const std::optional<protocol::GroupMetadataValue>& value);

Record consumer_group_record(const ConsumerGroupRecord& record);

// The most a batch of these records can take in the log: the v2 batch header, and per record its
// key and value with the most its varint fields can take (length, timestamp and offset deltas,
// key and value lengths, header count), uncompressed. The log refuses a batch above the offsets
// topic's max.message.bytes, so the coordinator measures what it writes against that first.
size_t record_bytes(const Record& record);
size_t batch_bytes(const std::vector<Record>& records);

// Reads a record's key and value; an error names what does not parse.
Result<DecodedRecord> decode_record(BytesView key, std::optional<BytesView> value);

// The __consumer_offsets partition of a group: Kafka's Utils.abs(groupId.hashCode()) % count,
// with Java's String.hashCode over the UTF-16 code units of the id.
int32_t partition_for_group(const std::string& group_id, int32_t partition_count);

}  // namespace gregor::group
