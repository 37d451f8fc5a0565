// The admin client's consumer group calls. Requests about a group go to its coordinator
// (FindCoordinator, cached by the core); NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE and
// COORDINATOR_LOAD_IN_PROGRESS in an answer forget the coordinator and ask again, until the
// call's deadline.
#include <cctype>

#include "client/admin_impl.h"
#include "common/bytes.h"
#include "protocol/generated/message/consumer_group_describe_request.h"
#include "protocol/generated/message/consumer_group_describe_response.h"
#include "protocol/generated/message/consumer_protocol_assignment.h"
#include "protocol/generated/message/delete_groups_request.h"
#include "protocol/generated/message/delete_groups_response.h"
#include "protocol/generated/message/describe_groups_request.h"
#include "protocol/generated/message/describe_groups_response.h"
#include "protocol/generated/message/leave_group_request.h"
#include "protocol/generated/message/leave_group_response.h"
#include "protocol/generated/message/list_groups_request.h"
#include "protocol/generated/message/list_groups_response.h"
#include "protocol/generated/message/offset_commit_request.h"
#include "protocol/generated/message/offset_commit_response.h"
#include "protocol/generated/message/offset_delete_request.h"
#include "protocol/generated/message/offset_delete_response.h"
#include "protocol/generated/message/offset_fetch_request.h"
#include "protocol/generated/message/offset_fetch_response.h"

namespace gregor {

namespace {

using client::AdminImpl;
using client::Clock;
using client::Outcomes;

constexpr std::pair<GroupState, const char*> kStates[] = {
    {GroupState::unknown, "Unknown"},     {GroupState::preparing_rebalance, "PreparingRebalance"},
    {GroupState::completing_rebalance, "CompletingRebalance"}, {GroupState::stable, "Stable"},
    {GroupState::dead, "Dead"},           {GroupState::empty, "Empty"},
    {GroupState::assigning, "Assigning"}, {GroupState::reconciling, "Reconciling"},
};
constexpr std::pair<GroupType, const char*> kTypes[] = {
    {GroupType::unknown, "Unknown"}, {GroupType::consumer, "Consumer"}, {GroupType::classic, "Classic"}};

bool same_ignoring_case(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Errors that mean "ask FindCoordinator again".
bool coordinator_moved(int16_t code) {
  const auto e = static_cast<ErrorCode>(code);
  return e == ErrorCode::not_coordinator || e == ErrorCode::coordinator_not_available ||
         e == ErrorCode::coordinator_load_in_progress;
}

// A group-level answer: true when it is a success; a coordinator error forgets the coordinator
// and keeps the group pending, any other error ends it.
template <typename T>
bool group_answered(AdminImpl& impl, Outcomes<std::string, T>& outcomes, const std::string& group, int16_t code,
                    const std::optional<std::string>& message = std::nullopt) {
  if (code == 0) return true;
  if (coordinator_moved(code)) {
    impl.forget_coordinator(group);
    outcomes.error(group, code, message, true);
  } else {
    outcomes.error(group, code, message, client::retriable(code));
  }
  return false;
}

// The pending groups by coordinator; a group whose coordinator cannot be found gets that error.
template <typename T>
std::map<int32_t, std::vector<std::string>> by_coordinator(AdminImpl& impl, Outcomes<std::string, T>& outcomes,
                                                           Clock::time_point until) {
  std::map<int32_t, std::vector<std::string>> nodes;
  for (const std::string& group : std::set<std::string>(outcomes.pending)) {
    try {
      nodes[impl.coordinator(group, until)].push_back(group);
    } catch (const TimeoutException&) {
      throw;
    } catch (...) {
      outcomes.fail(group, std::current_exception());
    }
  }
  return nodes;
}

std::set<TopicPartition> decode_assignment(const Bytes& bytes) {
  std::set<TopicPartition> partitions;
  if (bytes.size() < 2) return partitions;
  const int16_t version = load_be<int16_t>(bytes.data());
  const int16_t readable = std::min<int16_t>(version, protocol::ConsumerProtocolAssignment::kValidVersions.hi);
  if (version < 0) return partitions;
  auto decoded = protocol::decode_message<protocol::ConsumerProtocolAssignment>(
      BytesView(bytes).subview(2, bytes.size() - 2), readable, protocol::TrailingBytes::ignore);
  if (!decoded.ok()) return partitions;
  for (const auto& t : decoded->assigned_partitions) {
    for (int32_t p : t.partitions) partitions.insert({t.topic, p});
  }
  return partitions;
}

MemberDescription member(const std::string& id, const std::optional<std::string>& instance_id,
                         const std::string& client_id, const std::string& host) {
  MemberDescription m;
  m.member_id = id;
  m.group_instance_id = instance_id;
  m.client_id = client_id;
  m.host = host;
  return m;
}

MemberAssignment assignment_of(const protocol::ConsumerGroupDescribeResponse::Assignment& a) {
  MemberAssignment m;
  for (const auto& t : a.topic_partitions) {
    for (int32_t p : t.partitions) m.topic_partitions.insert({t.topic_name, p});
  }
  return m;
}

}  // namespace

std::string to_string(GroupState state) {
  for (const auto& [s, name] : kStates)
    if (s == state) return name;
  return "Unknown";
}

std::string to_string(GroupType type) {
  for (const auto& [t, name] : kTypes)
    if (t == type) return name;
  return "Unknown";
}

GroupState parse_group_state(const std::string& name) {
  for (const auto& [s, n] : kStates)
    if (same_ignoring_case(name, n)) return s;
  return GroupState::unknown;
}

GroupType parse_group_type(const std::string& name) {
  for (const auto& [t, n] : kTypes)
    if (same_ignoring_case(name, n)) return t;
  return GroupType::unknown;
}

std::vector<ConsumerGroupListing> Admin::list_consumer_groups(const ListConsumerGroupsOptions& options) {
  impl_->check_open();
  const auto until = impl_->deadline(options);
  auto m = impl_->metadata("listConsumerGroups", std::vector<std::string>{}, until);
  std::map<std::string, ConsumerGroupListing> listings;
  for (const auto& broker : m.brokers) {
    auto make = [&options](int16_t version) {
      protocol::ListGroupsRequest request;
      if (version >= 4)
        for (GroupState s : options.states) request.states_filter.push_back(to_string(s));
      if (version >= 5)
        for (GroupType t : options.types) request.types_filter.push_back(to_string(t));
      return request;
    };
    for (int tries = 1;; ++tries) {
      auto r = impl_->call<protocol::ListGroupsResponse, protocol::ListGroupsRequest>(
          "listConsumerGroups", broker.node_id, std::function<protocol::ListGroupsRequest(int16_t)>(make), until);
      if (r.body.error_code == 0) {
        for (const auto& g : r.body.groups) {
          // Only consumer groups: the consumer protocol's type, or none (offsets committed
          // without a group, and consumer-protocol groups).
          if (g.protocol_type != "consumer" && !g.protocol_type.empty()) continue;
          ConsumerGroupListing listing;
          listing.group_id = g.group_id;
          listing.simple_consumer_group = g.protocol_type.empty();
          if (r.version >= 4) listing.state = parse_group_state(g.group_state);
          if (r.version >= 5 && !g.group_type.empty()) listing.type = parse_group_type(g.group_type);
          // The filters again, for a broker too old to apply them.
          if (!options.states.empty() && listing.state && !options.states.count(*listing.state)) continue;
          if (!options.types.empty() && listing.type && !options.types.count(*listing.type)) continue;
          listings[g.group_id] = listing;
        }
        break;
      }
      if (!client::retriable(r.body.error_code) || Clock::now() >= until) {
        throw ApiException(r.body.error_code, "");
      }
      impl_->backoff(tries, until);
    }
  }
  std::vector<ConsumerGroupListing> result;
  for (auto& [id, listing] : listings) result.push_back(std::move(listing));
  return result;
}

std::map<std::string, AdminResult<ConsumerGroupDescription>> Admin::describe_consumer_groups(
    const std::vector<std::string>& groups, const AdminOptions& options) {
  impl_->check_open();
  Outcomes<std::string, ConsumerGroupDescription> outcomes;
  outcomes.pending.insert(groups.begin(), groups.end());
  std::set<std::string> classic;  // groups ConsumerGroupDescribe does not know: DescribeGroups
  auto send = [&](Clock::time_point until) {
    for (const auto& [node, names] : by_coordinator(*impl_, outcomes, until)) {
      std::vector<std::string> modern;
      for (const std::string& g : names)
        if (!classic.count(g)) modern.push_back(g);
      if (!modern.empty()) {
        protocol::ConsumerGroupDescribeRequest request;
        request.group_ids = modern;
        try {
          auto r = impl_->call<protocol::ConsumerGroupDescribeResponse>("describeConsumerGroups", node, request, until);
          for (const auto& d : r.body.groups) {
            if (!outcomes.pending.count(d.group_id)) continue;
            if (static_cast<ErrorCode>(d.error_code) == ErrorCode::group_id_not_found) {
              classic.insert(d.group_id);  // a classic group, or none at all
              continue;
            }
            if (!group_answered(*impl_, outcomes, d.group_id, d.error_code, d.error_message)) continue;
            ConsumerGroupDescription desc;
            desc.group_id = d.group_id;
            desc.type = GroupType::consumer;
            desc.state = parse_group_state(d.group_state);
            desc.partition_assignor = d.assignor_name;
            desc.coordinator = impl_->node(node);
            desc.group_epoch = d.group_epoch;
            desc.target_assignment_epoch = d.assignment_epoch;
            for (const auto& mem : d.members) {
              MemberDescription md = member(mem.member_id, mem.instance_id, mem.client_id, mem.client_host);
              md.assignment = assignment_of(mem.assignment);
              md.target_assignment = assignment_of(mem.target_assignment);
              md.member_epoch = mem.member_epoch;
              desc.members.push_back(std::move(md));
            }
            outcomes.succeed(d.group_id, std::move(desc));
          }
        } catch (const ApiException& e) {
          // A broker without KIP-848 has classic groups only.
          if (static_cast<ErrorCode>(e.code()) != ErrorCode::unsupported_version) throw;
          classic.insert(modern.begin(), modern.end());
        }
      }
      protocol::DescribeGroupsRequest request;
      for (const std::string& g : names)
        if (classic.count(g) && outcomes.pending.count(g)) request.groups.push_back(g);
      if (request.groups.empty()) continue;
      auto r = impl_->call<protocol::DescribeGroupsResponse>("describeConsumerGroups", node, request, until);
      for (const auto& d : r.body.groups) {
        if (!outcomes.pending.count(d.group_id)) continue;
        if (!group_answered(*impl_, outcomes, d.group_id, d.error_code)) continue;
        if (d.protocol_type != "consumer" && !d.protocol_type.empty()) {
          outcomes.fail(d.group_id, std::make_exception_ptr(KafkaException(
                                        "GroupId " + d.group_id + " is not a consumer group (" + d.protocol_type + ").")));
          continue;
        }
        ConsumerGroupDescription desc;
        desc.group_id = d.group_id;
        desc.simple_consumer_group = d.protocol_type.empty();
        desc.type = GroupType::classic;
        desc.state = parse_group_state(d.group_state);
        desc.partition_assignor = d.protocol_data;
        desc.coordinator = impl_->node(node);
        for (const auto& mem : d.members) {
          MemberDescription md = member(mem.member_id, mem.group_instance_id, mem.client_id, mem.client_host);
          if (d.protocol_type == "consumer") md.assignment.topic_partitions = decode_assignment(mem.member_assignment);
          desc.members.push_back(std::move(md));
        }
        outcomes.succeed(d.group_id, std::move(desc));
      }
    }
  };
  impl_->run(outcomes, "describeConsumerGroups", impl_->deadline(options), send);
  return std::move(outcomes.done);
}

std::map<std::string, AdminResult<Void>> Admin::delete_consumer_groups(const std::vector<std::string>& groups,
                                                                  const AdminOptions& options) {
  impl_->check_open();
  Outcomes<std::string, Void> outcomes;
  outcomes.pending.insert(groups.begin(), groups.end());
  auto send = [&](Clock::time_point until) {
    for (const auto& [node, names] : by_coordinator(*impl_, outcomes, until)) {
      protocol::DeleteGroupsRequest request;
      request.groups_names = names;
      auto r = impl_->call<protocol::DeleteGroupsResponse>("deleteConsumerGroups", node, request, until);
      for (const auto& result : r.body.results) {
        if (!outcomes.pending.count(result.group_id)) continue;
        if (group_answered(*impl_, outcomes, result.group_id, result.error_code)) outcomes.succeed(result.group_id, Void{});
      }
    }
  };
  impl_->run(outcomes, "deleteConsumerGroups", impl_->deadline(options), send);
  return std::move(outcomes.done);
}

std::map<std::string, AdminResult<GroupOffsets>> Admin::list_consumer_group_offsets(
    const std::map<std::string, ListConsumerGroupOffsetsSpec>& groups, const ListConsumerGroupOffsetsOptions& options) {
  impl_->check_open();
  Outcomes<std::string, GroupOffsets> outcomes;
  for (const auto& [group, spec] : groups) outcomes.pending.insert(group);
  auto send = [&](Clock::time_point until) {
    for (const auto& [node, names] : by_coordinator(*impl_, outcomes, until)) {
      for (const std::string& group : names) {
        const ListConsumerGroupOffsetsSpec& spec = groups.at(group);
        std::map<std::string, std::vector<int32_t>> topics;
        if (spec.partitions) {
          for (const TopicPartition& tp : *spec.partitions) topics[tp.topic].push_back(tp.partition);
        }
        // v8 moved the group into a list of groups: one field set or the other, by version.
        auto make = [&](int16_t version) {
          protocol::OffsetFetchRequest request;
          if (version >= 7) request.require_stable = options.require_stable;
          if (version >= 8) {
            protocol::OffsetFetchRequest::OffsetFetchRequestGroup g;
            g.group_id = group;
            if (spec.partitions) {
              for (const auto& [t, ps] : topics) g.topics->push_back({t, ps, {}});
            } else {
              g.topics = std::nullopt;
            }
            request.groups.push_back(std::move(g));
          } else {
            request.group_id = group;
            if (spec.partitions) {
              for (const auto& [t, ps] : topics) request.topics->push_back({t, ps, {}});
            } else {
              request.topics = std::nullopt;
            }
          }
          return request;
        };
        auto r = impl_->call<protocol::OffsetFetchResponse, protocol::OffsetFetchRequest>(
            "listConsumerGroupOffsets", node, std::function<protocol::OffsetFetchRequest(int16_t)>(make), until);
        GroupOffsets offsets;
        auto file = [&offsets](const std::string& topic, const auto& p) {
          // A partition answered with an error is left out, as Kafka's admin client skips it.
          if (p.error_code != 0) return;
          if (p.committed_offset < 0) {
            offsets[{topic, p.partition_index}] = std::nullopt;
            return;
          }
          OffsetAndMetadata o;
          o.offset = p.committed_offset;
          if (p.committed_leader_epoch >= 0) o.leader_epoch = p.committed_leader_epoch;
          o.metadata = p.metadata.value_or("");
          offsets[{topic, p.partition_index}] = o;
        };
        int16_t code = r.body.error_code;
        if (r.version >= 8) {
          code = r.body.groups.empty() ? static_cast<int16_t>(ErrorCode::unknown_server_error) : r.body.groups[0].error_code;
          if (code == 0) {
            for (const auto& t : r.body.groups[0].topics)
              for (const auto& p : t.partitions) file(t.name, p);
          }
        } else if (code == 0) {
          for (const auto& t : r.body.topics)
            for (const auto& p : t.partitions) file(t.name, p);
        }
        if (group_answered(*impl_, outcomes, group, code)) outcomes.succeed(group, std::move(offsets));
      }
    }
  };
  impl_->run(outcomes, "listConsumerGroupOffsets", impl_->deadline(options), send);
  return std::move(outcomes.done);
}

namespace {

// A group call whose items are partitions: runs send(coordinator, until) until the group is
// answered; a group-level failure fails every partition with it.
std::map<TopicPartition, AdminResult<Void>> per_partition(
    AdminImpl& impl, const std::string& name, const std::string& group, const std::set<TopicPartition>& partitions,
    const AdminOptions& options,
    const std::function<std::pair<int16_t, std::map<TopicPartition, int16_t>>(int32_t, Clock::time_point)>& send) {
  impl.check_open();
  Outcomes<std::string, std::map<TopicPartition, int16_t>> outcome;
  outcome.pending.insert(group);
  auto attempt = [&](Clock::time_point until) {
    const int32_t node = impl.coordinator(group, until);
    auto [code, errors] = send(node, until);
    if (code == 0) {
      for (const auto& [tp, e] : errors) {
        // A coordinator error on the partitions is the group's (the whole request goes again).
        if (coordinator_moved(e)) code = e;
      }
    }
    if (group_answered(impl, outcome, group, code)) outcome.succeed(group, std::move(errors));
  };
  impl.run(outcome, name, impl.deadline(options), attempt);
  std::map<TopicPartition, AdminResult<Void>> results;
  const AdminResult<std::map<TopicPartition, int16_t>>& answer = outcome.done.at(group);
  for (const TopicPartition& tp : partitions) {
    if (!answer.ok()) {
      results[tp] = AdminResult<Void>(answer.error());
      continue;
    }
    auto e = answer.get().find(tp);
    if (e == answer.get().end()) {
      results[tp] = AdminResult<Void>(std::make_exception_ptr(
          IllegalStateException("The partition " + tp.topic + "-" + std::to_string(tp.partition) +
                                " was not included in the response")));
    } else if (e->second != 0) {
      std::string message;
      if (static_cast<ErrorCode>(e->second) == ErrorCode::unknown_member_id && name == "alterConsumerGroupOffsets") {
        message = "The group " + group + " is not empty: its committed offsets can be changed only when it has no "
                  "active members.";
      }
      results[tp] = AdminResult<Void>(client::api_error(e->second, message.empty() ? std::nullopt
                                                                                    : std::optional<std::string>(message)));
    } else {
      results[tp] = AdminResult<Void>(Void{});
    }
  }
  return results;
}

}  // namespace

std::map<TopicPartition, AdminResult<Void>> Admin::alter_consumer_group_offsets(
    const std::string& group, const std::map<TopicPartition, OffsetAndMetadata>& offsets, const AdminOptions& options) {
  std::set<TopicPartition> partitions;
  for (const auto& [tp, o] : offsets) partitions.insert(tp);
  auto send = [&](int32_t node, Clock::time_point until) {
    auto make = [&](int16_t version) {
      protocol::OffsetCommitRequest request;
      request.group_id = group;
      request.generation_id_or_member_epoch = -1;  // no generation: the group must have no members
      std::map<std::string, protocol::OffsetCommitRequest::OffsetCommitRequestTopic> topics;
      for (const auto& [tp, o] : offsets) {
        auto& t = topics[tp.topic];
        t.name = tp.topic;
        protocol::OffsetCommitRequest::OffsetCommitRequestPartition p;
        p.partition_index = tp.partition;
        p.committed_offset = o.offset;
        if (version >= 6) p.committed_leader_epoch = o.leader_epoch.value_or(-1);
        p.committed_metadata = o.metadata;
        t.partitions.push_back(std::move(p));
      }
      for (auto& [name, t] : topics) request.topics.push_back(std::move(t));
      return request;
    };
    auto r = impl_->call<protocol::OffsetCommitResponse, protocol::OffsetCommitRequest>(
        "alterConsumerGroupOffsets", node, std::function<protocol::OffsetCommitRequest(int16_t)>(make), until);
    std::map<TopicPartition, int16_t> errors;
    for (const auto& t : r.body.topics)
      for (const auto& p : t.partitions) errors[{t.name, p.partition_index}] = p.error_code;
    return std::pair<int16_t, std::map<TopicPartition, int16_t>>{0, std::move(errors)};
  };
  return per_partition(*impl_, "alterConsumerGroupOffsets", group, partitions, options, send);
}

std::map<TopicPartition, AdminResult<Void>> Admin::delete_consumer_group_offsets(
    const std::string& group, const std::set<TopicPartition>& partitions, const AdminOptions& options) {
  auto send = [&](int32_t node, Clock::time_point until) {
    protocol::OffsetDeleteRequest request;
    request.group_id = group;
    std::map<std::string, protocol::OffsetDeleteRequest::OffsetDeleteRequestTopic> topics;
    for (const TopicPartition& tp : partitions) {
      auto& t = topics[tp.topic];
      t.name = tp.topic;
      t.partitions.push_back({tp.partition, {}});
    }
    for (auto& [name, t] : topics) request.topics.push_back(std::move(t));
    auto r = impl_->call<protocol::OffsetDeleteResponse>("deleteConsumerGroupOffsets", node, request, until);
    std::map<TopicPartition, int16_t> errors;
    for (const auto& t : r.body.topics)
      for (const auto& p : t.partitions) errors[{t.name, p.partition_index}] = p.error_code;
    return std::pair<int16_t, std::map<TopicPartition, int16_t>>{r.body.error_code, std::move(errors)};
  };
  return per_partition(*impl_, "deleteConsumerGroupOffsets", group, partitions, options, send);
}

std::map<std::string, AdminResult<Void>> Admin::remove_members_from_consumer_group(
    const std::string& group, const RemoveMembersFromConsumerGroupOptions& options) {
  impl_->check_open();
  // Without instance ids: every member the group has now, by member id (KIP-571).
  std::vector<protocol::LeaveGroupRequest::MemberIdentity> members;
  const bool everyone = options.group_instance_ids.empty();
  if (everyone) {
    const ConsumerGroupDescription d = describe_consumer_groups({group}, options).at(group).get();
    for (const MemberDescription& m : d.members) members.push_back({m.member_id, m.group_instance_id, std::nullopt, {}});
  } else {
    for (const std::string& id : options.group_instance_ids) members.push_back({"", id, std::nullopt, {}});
  }
  auto key_of = [everyone](const std::string& member_id, const std::optional<std::string>& instance_id) {
    return everyone ? member_id : instance_id.value_or("");
  };
  Outcomes<std::string, std::map<std::string, int16_t>> outcome;
  outcome.pending.insert(group);
  auto attempt = [&](Clock::time_point until) {
    const int32_t node = impl_->coordinator(group, until);
    auto make = [&](int16_t version) {
      protocol::LeaveGroupRequest request;
      request.group_id = group;
      request.members = members;
      if (version >= 5)
        for (auto& m : request.members) m.reason = options.reason.value_or("member was removed by an admin");
      return request;
    };
    auto r = impl_->call<protocol::LeaveGroupResponse, protocol::LeaveGroupRequest>(
        "removeMembersFromConsumerGroup", node, std::function<protocol::LeaveGroupRequest(int16_t)>(make), until);
    if (!group_answered(*impl_, outcome, group, r.body.error_code)) return;
    std::map<std::string, int16_t> errors;
    for (const auto& m : r.body.members) errors[key_of(m.member_id, m.group_instance_id)] = m.error_code;
    outcome.succeed(group, std::move(errors));
  };
  impl_->run(outcome, "removeMembersFromConsumerGroup", impl_->deadline(options), attempt);
  std::map<std::string, AdminResult<Void>> results;
  const auto& answer = outcome.done.at(group);
  for (const auto& m : members) {
    const std::string key = key_of(m.member_id, m.group_instance_id);
    if (!answer.ok()) {
      results[key] = AdminResult<Void>(answer.error());
    } else if (auto e = answer.get().find(key); e != answer.get().end() && e->second != 0) {
      results[key] = AdminResult<Void>(client::api_error(e->second, std::nullopt));
    } else {
      results[key] = AdminResult<Void>(Void{});
    }
  }
  return results;
}

}  // namespace gregor
