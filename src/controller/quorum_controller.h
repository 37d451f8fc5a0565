// The active controller of a single-node KRaft quorum, as a state machine without I/O: requests
// come in, and each call returns the response and the metadata records that make it true.
//
// The caller appends the records as one batch to the metadata log (metadata_log.h). Once the
// batch is committed it calls replay() for each record, in order, publishes the new image and
// only then sends the response, so a client never hears of a change that could still be lost.
// Records that carry no change (validate_only, or every item failed) come back empty; their
// response waits only for what was appended before.
//
// Requests are validated against the latest state: the committed image plus the records handed
// out and not yet replayed, as Kafka's controller does. So a second CreateTopics for a name fails
// even while the first is still being written, and producer id blocks never overlap. If an
// append or its commit fails, the caller calls abandon_uncommitted() (Kafka's controller resigns
// and reloads) and fails the responses still waiting.
//
// Validation follows Kafka's controller and, where a Kafka broker checks a request before
// forwarding it (duplicate config resources and keys, broker config names), that broker too, with
// Kafka's error codes and messages. There are no ACLs, policies or quotas.
//
// Brokers: a registration writes a fenced RegisterBrokerRecord whose offset is the broker's new
// epoch; heartbeats unfence the broker once it has applied the log up to that record, fence it on
// request and grant it shutdown; tick() fences the brokers not heard from for
// broker.session.timeout.ms. When each broker was last heard from is soft state
// (broker_heartbeat_manager.h). Time comes in as milliseconds from the caller, never read here.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "controller/broker_heartbeat_manager.h"
#include "controller/config_schema.h"
#include "controller/random.h"
#include "controller/replica_placer.h"
#include "metadata/image.h"
#include "metadata/record_serde.h"
#include "protocol/generated/message/allocate_producer_ids_response.h"
#include "protocol/generated/message/alter_configs_request.h"
#include "protocol/generated/message/alter_configs_response.h"
#include "protocol/generated/message/broker_heartbeat_request.h"
#include "protocol/generated/message/broker_heartbeat_response.h"
#include "protocol/generated/message/broker_registration_request.h"
#include "protocol/generated/message/broker_registration_response.h"
#include "protocol/generated/message/controller_registration_request.h"
#include "protocol/generated/message/controller_registration_response.h"
#include "protocol/generated/message/create_partitions_request.h"
#include "protocol/generated/message/create_partitions_response.h"
#include "protocol/generated/message/create_topics_request.h"
#include "protocol/generated/message/create_topics_response.h"
#include "protocol/generated/message/delete_topics_request.h"
#include "protocol/generated/message/delete_topics_response.h"
#include "protocol/generated/message/incremental_alter_configs_request.h"
#include "protocol/generated/message/incremental_alter_configs_response.h"

namespace gregor::controller {

// The metadata.version this controller writes: Kafka 3.9's (3.9-IV0), which picks the record
// versions below (PartitionRecord v1 with replica directories, RegisterBrokerRecord v3, ...).
inline constexpr int16_t kMetadataVersion = 21;
inline constexpr const char* kMetadataVersionName = "3.9-IV0";
// The oldest metadata.version KRaft knows (3.0-IV1): what a broker that names no range supports.
inline constexpr int16_t kMinimumKraftMetadataVersion = 1;

// Producer ids go to brokers in blocks of this many (Kafka's ProducerIdsBlock).
inline constexpr int32_t kProducerIdBlockSize = 1000;
// The most records one request may produce (Kafka's MAX_RECORDS_PER_USER_OP).
inline constexpr size_t kMaxRecordsPerUserOp = 10000;

// An error code and its message, as Kafka's ApiError: what one item of a response carries.
struct ApiError {
  ErrorCode code = ErrorCode::none;
  std::optional<std::string> message;  // null when Kafka sends none
  bool failed() const { return code != ErrorCode::none; }
};

template <typename Response>
struct ControllerResult {
  Response response;
  // To append as one batch; empty when nothing changes.
  std::vector<metadata::MetadataRecord> records;
};

class QuorumController {
 public:
  struct Options {
    int32_t node_id = 1;
    // The cluster id of meta.properties; brokers must register with it.
    std::string cluster_id;
    // num.partitions and default.replication.factor: what -1 in CreateTopics means.
    int32_t default_num_partitions = 1;
    int16_t default_replication_factor = 1;
    bool delete_topic_enable = true;
    // The broker's static properties: they give topic configs their defaults, under the
    // broker-level names (log.retention.ms, ...), and are checked with them. Topic configs are
    // validated by storage::LogConfig::with_topic_overrides over those defaults.
    std::map<std::string, std::string> static_config;
    // broker.session.timeout.ms: a broker not heard from for this long is fenced.
    int64_t session_timeout_ms = 9000;
    // Seeds topic ids and replica placement; random when unset.
    std::optional<uint64_t> random_seed;
  };

  // image: the committed state to start from (MetadataLog::open's).
  QuorumController(Options options, std::shared_ptr<const metadata::MetadataImage> image);

  // What Kafka's controller appends to an empty metadata log: metadata.version at
  // kMetadataVersion, inside a metadata transaction.
  static std::vector<metadata::MetadataRecord> bootstrap_records();
  // On becoming active: the bootstrap records when the log has never been written (the image has
  // no metadata.version), else none.
  std::vector<metadata::MetadataRecord> bootstrap();

  ControllerResult<protocol::CreateTopicsResponse> create_topics(const protocol::CreateTopicsRequest& request);
  // version: the request's; before v3 a cluster with deletion disabled answers INVALID_REQUEST.
  ControllerResult<protocol::DeleteTopicsResponse> delete_topics(const protocol::DeleteTopicsRequest& request,
                                                                 int16_t version);
  ControllerResult<protocol::CreatePartitionsResponse> create_partitions(
      const protocol::CreatePartitionsRequest& request);
  // TOPIC and BROKER resources; a broker resource is this node ("<node id>") or the cluster ("").
  ControllerResult<protocol::IncrementalAlterConfigsResponse> incremental_alter_configs(
      const protocol::IncrementalAlterConfigsRequest& request);
  // The legacy API: each resource's configs are replaced as a whole.
  ControllerResult<protocol::AlterConfigsResponse> alter_configs(const protocol::AlterConfigsRequest& request);
  // The next block of kProducerIdBlockSize producer ids for a registered broker.
  ControllerResult<protocol::AllocateProducerIdsResponse> allocate_producer_ids(int32_t broker_id,
                                                                                int64_t broker_epoch);
  // Registers (or re-registers) a broker, fenced; its epoch is the offset its RegisterBrokerRecord
  // will have in the log. A different incarnation of a broker whose session is still valid is
  // refused (DUPLICATE_BROKER_REGISTRATION); a fenced broker has no valid session. The same
  // incarnation registers again, with a new epoch.
  ControllerResult<protocol::BrokerRegistrationResponse> register_broker(
      const protocol::BrokerRegistrationRequest& request, int64_t now_ms);
  // A heartbeat: renews the broker's session and fences, unfences or shuts it down as Kafka's
  // BrokerHeartbeatManager decides (next_broker_state), writing BrokerRegistrationChangeRecords.
  ControllerResult<protocol::BrokerHeartbeatResponse> broker_heartbeat(const protocol::BrokerHeartbeatRequest& request,
                                                                       int64_t now_ms);
  // A controller announcing its endpoints and features: a RegisterControllerRecord.
  ControllerResult<protocol::ControllerRegistrationResponse> register_controller(
      const protocol::ControllerRegistrationRequest& request);
  // The records that fence every unfenced broker whose session expired at now (to append as one
  // batch; empty when none did). The first timed call activates the sessions if activate() was
  // not called.
  std::vector<metadata::MetadataRecord> tick(int64_t now_ms);
  // On becoming the active controller: every registered broker gets a fresh session from now,
  // except local_broker, the broker of this very process (a combined node), whose previous
  // incarnation ended with the previous process: it may register again at once.
  void activate(int64_t now_ms, std::optional<int32_t> local_broker = std::nullopt);
  // When tick() may next have something to fence; none while no broker has a session.
  std::optional<int64_t> next_session_expiry_ms() const { return heartbeats_.next_expiry_ms(); }

  // Applies one committed record, at offset, from a batch of leader_epoch. An error means the
  // record does not fit the committed state: the log and the controller disagree.
  Status replay(const metadata::MetadataRecord& record, int64_t offset, int32_t leader_epoch);
  // The records handed out and not replayed will never be committed.
  void abandon_uncommitted();

  // The committed image: what to publish once replay has caught up.
  std::shared_ptr<const metadata::MetadataImage> image() { return committed_.build(); }
  // The committed image plus the records handed out and not yet replayed.
  std::shared_ptr<const metadata::MetadataImage> latest_image();
  size_t uncommitted_records() const { return uncommitted_.size(); }
  // The offset the next record handed out will have (the committed end plus those in flight).
  int64_t next_write_offset();

 private:
  struct NewPartition {
    std::vector<int32_t> replicas;
    std::vector<int32_t> isr;
  };
  struct ConfigChange {
    int8_t op = 0;  // AlterConfigOp.OpType: 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT
    std::optional<std::string> value;
  };

  // Hands records out: they become part of the latest state until replayed or abandoned.
  Status stage(const std::vector<metadata::MetadataRecord>& records);
  template <typename Response>
  ControllerResult<Response> finish(Response response, std::vector<metadata::MetadataRecord> records,
                                    bool validate_only);

  // Brokers replicas may go on (Kafka's heartbeat manager's usable brokers): registered and not
  // in controlled shutdown. Fenced ones are kept, as Kafka keeps them: the placer makes them
  // followers only when there are not enough unfenced brokers, never leaders.
  std::vector<UsableBroker> usable_brokers(const metadata::MetadataImage& image) const;
  // The change record that fences or unfences a broker, or marks it in controlled shutdown.
  static metadata::MetadataRecord registration_change(const metadata::BrokerRegistration& broker,
                                                      BrokerControlState next);
  void activate_if_needed(int64_t now_ms);
  bool is_active(const metadata::MetadataImage& image, int32_t broker_id) const;
  Uuid default_directory(const metadata::MetadataImage& image, int32_t broker_id) const;
  metadata::MetadataRecord partition_record(const metadata::MetadataImage& image, const Uuid& topic_id,
                                            int32_t partition_id, const NewPartition& partition) const;
  // The replicas with the active ones as ISR, in replica order.
  NewPartition new_partition(const metadata::MetadataImage& image, std::vector<int32_t> replicas) const;
  // A partition assigned by hand: checked as Kafka checks it, and with an active replica to lead.
  ApiError assigned_partition(const metadata::MetadataImage& image, const std::vector<int32_t>& replicas,
                              std::optional<size_t> replication_factor, int64_t partition_id, NewPartition& out) const;
  ApiError validate_manual_assignment(const metadata::MetadataImage& image, const std::vector<int32_t>& replicas,
                                      std::optional<size_t> replication_factor) const;
  // Replicas and ISRs for new partitions: placed, or as assigned. The ISR is the active replicas.
  ApiError place_partitions(const metadata::MetadataImage& image, int32_t count, int16_t replication_factor,
                            bool wrap_placement_error, std::vector<NewPartition>& out);

  ApiError create_topic(const metadata::MetadataImage& image,
                        const protocol::CreateTopicsRequest::CreatableTopic& topic,
                        std::vector<metadata::MetadataRecord>& records,
                        protocol::CreateTopicsResponse::CreatableTopicResult& result);
  ApiError create_partitions_for(const metadata::MetadataImage& image,
                                 const protocol::CreatePartitionsRequest::CreatePartitionsTopic& topic,
                                 std::vector<metadata::MetadataRecord>& records);

  BrokerConfigLayers broker_layers(const metadata::MetadataImage& image) const;
  // Checks the configs a resource would have: the topic's against the log config rules, a
  // broker's log settings against the broker rules.
  ApiError validate_configs(const metadata::MetadataImage& image, const metadata::ConfigResource& resource,
                            const metadata::MetadataImage::Configs& configs) const;
  // The checks a Kafka broker makes before forwarding a config change, then the controller's own;
  // on success the ConfigRecords that make the change.
  ApiError alter_resource_configs(const metadata::MetadataImage& image, const metadata::ConfigResource& resource,
                                  const std::vector<std::pair<std::string, ConfigChange>>& changes, bool replace_all,
                                  std::vector<metadata::MetadataRecord>& records) const;
  template <typename Request, typename Response>
  ControllerResult<Response> alter_configs_common(const Request& request, bool incremental);

  Options options_;
  Random random_;
  metadata::ImageBuilder committed_;
  // committed_ plus uncommitted_, built when the records were handed out.
  std::shared_ptr<const metadata::MetadataImage> latest_;
  std::deque<metadata::MetadataRecord> uncommitted_;
  BrokerHeartbeatManager heartbeats_;
};

}  // namespace gregor::controller
