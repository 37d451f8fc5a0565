// The admin client over the client core: each call builds its requests on the caller's thread,
// sends them on the I/O thread and waits for the answers. Items that fail with a retriable error
// are sent again (after retry.backoff.ms, backing off to retry.backoff.max.ms) until the call's
// deadline; the rest get their outcome at once.
#include "gregor/admin.h"

#include "client/admin_impl.h"
#include "protocol/generated/message/create_partitions_request.h"
#include "protocol/generated/message/create_partitions_response.h"
#include "protocol/generated/message/create_topics_request.h"
#include "protocol/generated/message/create_topics_response.h"
#include "protocol/generated/message/delete_records_request.h"
#include "protocol/generated/message/delete_records_response.h"
#include "protocol/generated/message/delete_topics_request.h"
#include "protocol/generated/message/delete_topics_response.h"
#include "protocol/generated/message/describe_cluster_request.h"
#include "protocol/generated/message/describe_cluster_response.h"
#include "protocol/generated/message/describe_configs_request.h"
#include "protocol/generated/message/describe_configs_response.h"
#include "protocol/generated/message/incremental_alter_configs_request.h"
#include "protocol/generated/message/incremental_alter_configs_response.h"
#include "protocol/generated/message/list_offsets_request.h"
#include "protocol/generated/message/list_offsets_response.h"

namespace gregor {

using client::AdminImpl;
using client::Clock;
using client::kAnyNode;
using client::Outcomes;

Admin::Admin(const Properties& props) : impl_(std::make_unique<AdminImpl>(admin_config_def().parse(props))) {}

Admin::~Admin() { close(); }

void Admin::close() {
  if (!impl_->closed_.exchange(true)) impl_->net_.stop();
}

std::map<std::string, AdminResult<CreatedTopic>> Admin::create_topics(const std::vector<NewTopic>& topics,
                                                                  const CreateTopicsOptions& options) {
  impl_->check_open();
  const auto until = impl_->deadline(options);
  Outcomes<std::string, CreatedTopic> outcomes;
  std::map<std::string, const NewTopic*> by_name;
  for (const NewTopic& t : topics) {
    if (by_name.count(t.name)) continue;
    by_name[t.name] = &t;
    outcomes.pending.insert(t.name);
  }
  auto send = [&](Clock::time_point until) {
    protocol::CreateTopicsRequest request;
    request.validate_only = options.validate_only;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    request.timeout_ms = static_cast<int32_t>(std::max<int64_t>(0, left.count()));
    for (const std::string& name : outcomes.pending) {
      const NewTopic& t = *by_name[name];
      protocol::CreateTopicsRequest::CreatableTopic ct;
      ct.name = t.name;
      ct.num_partitions = t.num_partitions.value_or(-1);
      ct.replication_factor = t.replication_factor.value_or(-1);
      for (const auto& [partition, brokers] : t.replicas_assignments) {
        ct.assignments.push_back({partition, brokers, {}});
      }
      if (!t.replicas_assignments.empty()) ct.num_partitions = ct.replication_factor = -1;
      for (const auto& [k, v] : t.configs) ct.configs.push_back({k, v, {}});
      request.topics.push_back(std::move(ct));
    }
    auto r = impl_->call<protocol::CreateTopicsResponse>("createTopics", impl_->controller(until), request, until);
    for (const auto& result : r.body.topics) {
      if (!outcomes.answered(result.name, result.error_code, result.error_message)) continue;
      CreatedTopic created;
      created.topic_id = result.topic_id.to_string();
      created.num_partitions = result.num_partitions;
      created.replication_factor = result.replication_factor;
      if (result.configs) {
        for (const auto& c : *result.configs) created.configs[c.name] = c.value.value_or("");
      }
      outcomes.succeed(result.name, std::move(created));
    }
  };
  impl_->run(outcomes, "createTopics", until, send);
  return std::move(outcomes.done);
}

std::map<std::string, AdminResult<Void>> Admin::delete_topics(const std::vector<std::string>& topics,
                                                         const AdminOptions& options) {
  impl_->check_open();
  const auto until = impl_->deadline(options);
  Outcomes<std::string, Void> outcomes;
  outcomes.pending.insert(topics.begin(), topics.end());
  auto send = [&](Clock::time_point until) {
    const std::vector<std::string> names(outcomes.pending.begin(), outcomes.pending.end());
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    auto make = [names, left](int16_t version) {
      protocol::DeleteTopicsRequest request;
      request.timeout_ms = static_cast<int32_t>(std::max<int64_t>(0, left.count()));
      for (const std::string& n : names) {
        if (version >= 6) {
          protocol::DeleteTopicsRequest::DeleteTopicState state;
          state.name = n;
          request.topics.push_back(state);
        } else {
          request.topic_names.push_back(n);
        }
      }
      return request;
    };
    auto r = impl_->call<protocol::DeleteTopicsResponse, protocol::DeleteTopicsRequest>(
        "deleteTopics", impl_->controller(until), std::function<protocol::DeleteTopicsRequest(int16_t)>(make), until);
    for (const auto& result : r.body.responses) {
      const std::string name = result.name.value_or("");
      if (outcomes.answered(name, result.error_code, result.error_message)) outcomes.succeed(name, Void{});
    }
  };
  impl_->run(outcomes, "deleteTopics", until, send);
  return std::move(outcomes.done);
}

std::map<std::string, TopicListing> Admin::list_topics(const ListTopicsOptions& options) {
  impl_->check_open();
  auto m = impl_->metadata("listTopics", std::nullopt, impl_->deadline(options));
  std::map<std::string, TopicListing> listings;
  for (const auto& t : m.topics) {
    if (t.error_code != 0 || !t.name || (t.is_internal && !options.list_internal)) continue;
    listings[*t.name] = TopicListing{*t.name, t.topic_id.to_string(), t.is_internal};
  }
  return listings;
}

std::map<std::string, AdminResult<TopicDescription>> Admin::describe_topics(const std::vector<std::string>& topics,
                                                                       const AdminOptions& options) {
  impl_->check_open();
  Outcomes<std::string, TopicDescription> outcomes;
  outcomes.pending.insert(topics.begin(), topics.end());
  auto send = [&](Clock::time_point until) {
    auto m = impl_->metadata("describeTopics", std::vector<std::string>(outcomes.pending.begin(), outcomes.pending.end()),
                             until);
    for (const auto& t : m.topics) {
      const std::string name = t.name.value_or("");
      if (!outcomes.pending.count(name)) continue;
      if (t.error_code != 0) {
        // A topic being created has no leaders yet: ask again. Any other error is the answer.
        outcomes.error(name, t.error_code, std::nullopt,
                       static_cast<ErrorCode>(t.error_code) == ErrorCode::leader_not_available);
        continue;
      }
      TopicDescription d;
      d.name = name;
      d.internal = t.is_internal;
      d.topic_id = t.topic_id.to_string();
      for (const auto& p : t.partitions) {
        TopicPartitionInfo info;
        info.partition = p.partition_index;
        if (p.leader_id >= 0) info.leader = client::node_of(m, p.leader_id);
        for (int32_t id : p.replica_nodes) info.replicas.push_back(client::node_of(m, id));
        for (int32_t id : p.isr_nodes) info.isr.push_back(client::node_of(m, id));
        d.partitions.push_back(std::move(info));
      }
      std::sort(d.partitions.begin(), d.partitions.end(),
                [](const TopicPartitionInfo& a, const TopicPartitionInfo& b) { return a.partition < b.partition; });
      outcomes.succeed(name, std::move(d));
    }
    // A topic the answer leaves out does not exist.
    for (const std::string& name : std::set<std::string>(outcomes.pending)) {
      bool named = false;
      for (const auto& t : m.topics) named = named || t.name == name;
      if (!named) outcomes.fail(name, client::api_error(static_cast<int16_t>(ErrorCode::unknown_topic_or_partition), std::nullopt));
    }
  };
  impl_->run(outcomes, "describeTopics", impl_->deadline(options), send);
  return std::move(outcomes.done);
}

ClusterDescription Admin::describe_cluster(const AdminOptions& options) {
  impl_->check_open();
  protocol::DescribeClusterRequest request;
  auto r = impl_->call<protocol::DescribeClusterResponse>("listNodes", kAnyNode, request, impl_->deadline(options));
  if (r.body.error_code != 0) throw ApiException(r.body.error_code, r.body.error_message.value_or(""));
  ClusterDescription d;
  d.cluster_id = r.body.cluster_id;
  for (const auto& b : r.body.brokers) {
    d.nodes.push_back(Node{b.broker_id, b.host, b.port, b.rack});
    if (b.broker_id == r.body.controller_id) d.controller = d.nodes.back();
  }
  return d;
}

std::map<std::string, AdminResult<Void>> Admin::create_partitions(const std::map<std::string, NewPartitions>& partitions,
                                                             const CreatePartitionsOptions& options) {
  impl_->check_open();
  Outcomes<std::string, Void> outcomes;
  for (const auto& [name, np] : partitions) outcomes.pending.insert(name);
  auto send = [&](Clock::time_point until) {
    protocol::CreatePartitionsRequest request;
    request.validate_only = options.validate_only;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    request.timeout_ms = static_cast<int32_t>(std::max<int64_t>(0, left.count()));
    for (const std::string& name : outcomes.pending) {
      const NewPartitions& np = partitions.at(name);
      protocol::CreatePartitionsRequest::CreatePartitionsTopic t;
      t.name = name;
      t.count = np.total_count;
      if (np.new_assignments.empty()) {
        t.assignments = std::nullopt;
      } else {
        for (const auto& brokers : np.new_assignments) t.assignments->push_back({brokers, {}});
      }
      request.topics.push_back(std::move(t));
    }
    auto r = impl_->call<protocol::CreatePartitionsResponse>("createPartitions", impl_->controller(until), request, until);
    for (const auto& result : r.body.results) {
      if (outcomes.answered(result.name, result.error_code, result.error_message)) outcomes.succeed(result.name, Void{});
    }
  };
  impl_->run(outcomes, "createPartitions", impl_->deadline(options), send);
  return std::move(outcomes.done);
}

namespace {

// Broker resources go to that broker; the rest (topics, the cluster-wide default) to any broker.
int32_t config_node(const ConfigResource& r) {
  if (r.type == ConfigResource::Type::broker || r.type == ConfigResource::Type::broker_logger) {
    if (!r.name.empty()) {
      try {
        return std::stoi(r.name);
      } catch (const std::exception&) {
      }
    }
  }
  return kAnyNode;
}

template <typename Items>
std::map<int32_t, std::vector<ConfigResource>> by_config_node(const Items& pending) {
  std::map<int32_t, std::vector<ConfigResource>> nodes;
  for (const ConfigResource& r : pending) nodes[config_node(r)].push_back(r);
  return nodes;
}

}  // namespace

std::string to_string(ConfigEntry::Source source) {
  static const char* const names[] = {"UNKNOWN",
                                      "DYNAMIC_TOPIC_CONFIG",
                                      "DYNAMIC_BROKER_CONFIG",
                                      "DYNAMIC_DEFAULT_BROKER_CONFIG",
                                      "STATIC_BROKER_CONFIG",
                                      "DEFAULT_CONFIG",
                                      "DYNAMIC_BROKER_LOGGER_CONFIG",
                                      "CLIENT_METRICS_CONFIG",
                                      "GROUP_CONFIG"};
  const auto i = static_cast<size_t>(source);
  return i < std::size(names) ? names[i] : "UNKNOWN";
}

std::map<ConfigResource, AdminResult<Config>> Admin::describe_configs(const std::vector<ConfigResource>& resources,
                                                                 const DescribeConfigsOptions& options) {
  impl_->check_open();
  Outcomes<ConfigResource, Config> outcomes;
  outcomes.pending.insert(resources.begin(), resources.end());
  auto send = [&](Clock::time_point until) {
    for (const auto& [node, items] : by_config_node(outcomes.pending)) {
      protocol::DescribeConfigsRequest request;
      request.include_synonyms = options.include_synonyms;
      for (const ConfigResource& r : items) {
        protocol::DescribeConfigsRequest::DescribeConfigsResource dr;
        dr.resource_type = static_cast<int8_t>(r.type);
        dr.resource_name = r.name;
        dr.configuration_keys = std::nullopt;
        request.resources.push_back(std::move(dr));
      }
      auto r = impl_->call<protocol::DescribeConfigsResponse>("describeConfigs", node, request, until);
      for (const auto& result : r.body.results) {
        const ConfigResource key{static_cast<ConfigResource::Type>(result.resource_type), result.resource_name};
        if (!outcomes.answered(key, result.error_code, result.error_message)) continue;
        Config config;
        for (const auto& c : result.configs) {
          ConfigEntry e;
          e.name = c.name;
          e.value = c.value;
          e.sensitive = c.is_sensitive;
          e.read_only = c.read_only;
          e.source = static_cast<ConfigEntry::Source>(c.config_source);
          if (r.version == 0) e.source = c.is_default ? ConfigEntry::Source::default_config : ConfigEntry::Source::unknown;
          for (const auto& syn : c.synonyms) {
            e.synonyms.push_back({syn.name, syn.value, static_cast<ConfigEntry::Source>(syn.source)});
          }
          config.entries.push_back(std::move(e));
        }
        outcomes.succeed(key, std::move(config));
      }
    }
  };
  impl_->run(outcomes, "describeConfigs", impl_->deadline(options), send);
  return std::move(outcomes.done);
}

std::map<ConfigResource, AdminResult<Void>> Admin::incremental_alter_configs(
    const std::map<ConfigResource, std::vector<AlterConfigOp>>& configs, const AlterConfigsOptions& options) {
  impl_->check_open();
  Outcomes<ConfigResource, Void> outcomes;
  for (const auto& [resource, ops] : configs) outcomes.pending.insert(resource);
  auto send = [&](Clock::time_point until) {
    for (const auto& [node, items] : by_config_node(outcomes.pending)) {
      protocol::IncrementalAlterConfigsRequest request;
      request.validate_only = options.validate_only;
      for (const ConfigResource& r : items) {
        protocol::IncrementalAlterConfigsRequest::AlterConfigsResource ar;
        ar.resource_type = static_cast<int8_t>(r.type);
        ar.resource_name = r.name;
        for (const AlterConfigOp& op : configs.at(r)) {
          ar.configs.push_back({op.name, static_cast<int8_t>(op.type), op.value, {}});
        }
        request.resources.push_back(std::move(ar));
      }
      auto r = impl_->call<protocol::IncrementalAlterConfigsResponse>("incrementalAlterConfigs", node, request, until);
      for (const auto& result : r.body.responses) {
        const ConfigResource key{static_cast<ConfigResource::Type>(result.resource_type), result.resource_name};
        if (outcomes.answered(key, result.error_code, result.error_message)) outcomes.succeed(key, Void{});
      }
    }
  };
  impl_->run(outcomes, "incrementalAlterConfigs", impl_->deadline(options), send);
  return std::move(outcomes.done);
}

namespace {

// The leader of each pending partition from a Metadata answer; partitions without one get their
// topic's or partition's error (retriable ones stay pending).
template <typename T>
std::map<int32_t, std::vector<TopicPartition>> leaders_of(AdminImpl& impl, Outcomes<TopicPartition, T>& outcomes,
                                                          const std::string& name, Clock::time_point until) {
  std::set<std::string> topics;
  for (const TopicPartition& tp : outcomes.pending) topics.insert(tp.topic);
  auto m = impl.metadata(name, std::vector<std::string>(topics.begin(), topics.end()), until);
  std::map<int32_t, std::vector<TopicPartition>> leaders;
  for (const TopicPartition& tp : std::set<TopicPartition>(outcomes.pending)) {
    const protocol::MetadataResponse::MetadataResponseTopic* topic = nullptr;
    for (const auto& t : m.topics)
      if (t.name == tp.topic) topic = &t;
    int16_t code = static_cast<int16_t>(ErrorCode::unknown_topic_or_partition);
    if (topic && topic->error_code != 0) code = topic->error_code;
    if (topic && topic->error_code == 0) {
      for (const auto& p : topic->partitions) {
        if (p.partition_index != tp.partition) continue;
        code = p.leader_id >= 0 ? p.error_code : static_cast<int16_t>(ErrorCode::leader_not_available);
        if (code == 0) leaders[p.leader_id].push_back(tp);
      }
    }
    if (code != 0) outcomes.error(tp, code, std::nullopt, client::retriable(code));
  }
  return leaders;
}

}  // namespace

std::map<TopicPartition, AdminResult<ListOffsetsResultInfo>> Admin::list_offsets(
    const std::map<TopicPartition, OffsetSpec>& partitions, const ListOffsetsOptions& options) {
  impl_->check_open();
  Outcomes<TopicPartition, ListOffsetsResultInfo> outcomes;
  for (const auto& [tp, spec] : partitions) outcomes.pending.insert(tp);
  auto send = [&](Clock::time_point until) {
    for (const auto& [leader, tps] : leaders_of(*impl_, outcomes, "listOffsets", until)) {
      protocol::ListOffsetsRequest request;
      request.replica_id = -1;
      request.isolation_level = options.read_committed ? 1 : 0;
      std::map<std::string, protocol::ListOffsetsRequest::ListOffsetsTopic> topics;
      for (const TopicPartition& tp : tps) {
        auto& t = topics[tp.topic];
        t.name = tp.topic;
        protocol::ListOffsetsRequest::ListOffsetsPartition p;
        p.partition_index = tp.partition;
        p.timestamp = partitions.at(tp).timestamp;
        t.partitions.push_back(p);
      }
      for (auto& [name, t] : topics) request.topics.push_back(std::move(t));
      auto r = impl_->call<protocol::ListOffsetsResponse>("listOffsets", leader, request, until);
      for (const auto& t : r.body.topics) {
        for (const auto& p : t.partitions) {
          const TopicPartition tp{t.name, p.partition_index};
          if (!outcomes.answered(tp, p.error_code, std::nullopt)) continue;
          ListOffsetsResultInfo info;
          info.offset = p.offset;
          info.timestamp = p.timestamp;
          if (p.leader_epoch >= 0) info.leader_epoch = p.leader_epoch;
          outcomes.succeed(tp, info);
        }
      }
    }
  };
  impl_->run(outcomes, "listOffsets", impl_->deadline(options), send);
  return std::move(outcomes.done);
}

std::map<TopicPartition, AdminResult<DeletedRecords>> Admin::delete_records(const std::map<TopicPartition, int64_t>& before,
                                                                       const AdminOptions& options) {
  impl_->check_open();
  Outcomes<TopicPartition, DeletedRecords> outcomes;
  for (const auto& [tp, offset] : before) outcomes.pending.insert(tp);
  auto send = [&](Clock::time_point until) {
    for (const auto& [leader, tps] : leaders_of(*impl_, outcomes, "deleteRecords", until)) {
      protocol::DeleteRecordsRequest request;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      request.timeout_ms = static_cast<int32_t>(std::max<int64_t>(0, left.count()));
      std::map<std::string, protocol::DeleteRecordsRequest::DeleteRecordsTopic> topics;
      for (const TopicPartition& tp : tps) {
        auto& t = topics[tp.topic];
        t.name = tp.topic;
        t.partitions.push_back({tp.partition, before.at(tp), {}});
      }
      for (auto& [name, t] : topics) request.topics.push_back(std::move(t));
      auto r = impl_->call<protocol::DeleteRecordsResponse>("deleteRecords", leader, request, until);
      for (const auto& t : r.body.topics) {
        for (const auto& p : t.partitions) {
          const TopicPartition tp{t.name, p.partition_index};
          if (outcomes.answered(tp, p.error_code, std::nullopt)) outcomes.succeed(tp, DeletedRecords{p.low_watermark});
        }
      }
    }
  };
  impl_->run(outcomes, "deleteRecords", impl_->deadline(options), send);
  return std::move(outcomes.done);
}

}  // namespace gregor
