#include "tools/consumer_groups.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "gregor/admin.h"
#include "tools/command_line.h"

namespace gregor::tools {

namespace {

using Arg = OptionSpec::Arg;

const std::string kMissing = "-";  // Kafka's MISSING_COLUMN_VALUE

// A failure that ends the command: Kafka's "Error: Executing consumer group command failed due
// to <message>" when wrapped, or a bad command line (the message alone) when usage is set.
struct CommandError : std::runtime_error {
  explicit CommandError(const std::string& message, bool usage = false)
      : std::runtime_error(message), usage(usage) {}
  bool usage;
};

// Java's "%-Ns": left-justified in at least n characters.
std::string pad(const std::string& s, size_t n) { return s.size() >= n ? s : s + std::string(n - s.size(), ' '); }

std::string opt_string(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : kMissing; }

std::string tp_string(const TopicPartition& tp) { return tp.topic + "-" + std::to_string(tp.partition); }

// The class Kafka's exception for a code has, for messages that print the exception itself.
std::string exception_text(const std::exception& e) {
  static const std::map<std::string, std::string> classes = {
      {"NON_EMPTY_GROUP", "GroupNotEmptyException"},
      {"GROUP_ID_NOT_FOUND", "GroupIdNotFoundException"},
      {"INVALID_GROUP_ID", "InvalidGroupIdException"},
      {"GROUP_AUTHORIZATION_FAILED", "GroupAuthorizationException"},
      {"COORDINATOR_NOT_AVAILABLE", "CoordinatorNotAvailableException"},
      {"UNKNOWN_TOPIC_OR_PARTITION", "UnknownTopicOrPartitionException"},
      {"GROUP_SUBSCRIBED_TO_TOPIC", "GroupSubscribedToTopicException"},
      {"UNKNOWN_MEMBER_ID", "UnknownMemberIdException"},
  };
  if (const auto* api = dynamic_cast<const ApiException*>(&e)) {
    auto c = classes.find(api->name());
    if (c != classes.end()) return "org.apache.kafka.common.errors." + c->second + ": " + e.what();
  }
  if (dynamic_cast<const TimeoutException*>(&e)) return std::string("org.apache.kafka.common.errors.TimeoutException: ") + e.what();
  return e.what();
}

// Kafka's Utils.getDateTime: yyyy-MM-dd'T'HH:mm:ss.SSS with an optional zone (Z, +hh:mm,
// +hhmm); without one, the local time zone.
int64_t parse_datetime(const std::string& text) {
  static const std::regex form(R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})(Z|[+-]\d{2}:?\d{2})?$)");
  std::smatch m;
  if (!std::regex_match(text, m, form)) {
    throw CommandError("Unparseable date: \"" + text + "\"");
  }
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  int64_t seconds;
  if (m[8].matched) {
    seconds = timegm(&tm);
    const std::string zone = m[8];
    if (zone != "Z") {
      const int hours = std::stoi(zone.substr(1, 2));
      const int minutes = std::stoi(zone.substr(zone.size() - 2));
      const int64_t offset = (hours * 60 + minutes) * 60;
      seconds += zone[0] == '+' ? -offset : offset;
    }
  } else {
    tm.tm_isdst = -1;
    seconds = mktime(&tm);
  }
  return seconds * 1000 + std::stoi(m[7]);
}

// Java's Duration.parse for the forms the tool documents: PnDTnHnMnS (each part optional,
// seconds may have a fraction, a leading '-' negates).
int64_t parse_duration_ms(const std::string& text) {
  static const std::regex form(
      R"(^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:\.(\d{0,9}))?S)?)?$)",
      std::regex::icase);
  std::smatch m;
  if (!std::regex_match(text, m, form) || text.back() == 'T' || text.back() == 't' ||
      (!m[2].matched && !m[3].matched && !m[4].matched && !m[5].matched)) {
    throw CommandError("Text cannot be parsed to a Duration");
  }
  auto num = [&](int i) -> int64_t { return m[i].matched ? std::stoll(m[i].str()) : 0; };
  int64_t ms = ((num(2) * 24 + num(3)) * 60 + num(4)) * 60000 + num(5) * 1000;
  if (m[6].matched && !m[6].str().empty()) {
    std::string frac = (m[6].str() + "000").substr(0, 3);
    ms += (num(5) < 0 ? -1 : 1) * std::stoll(frac);
  }
  return m[1] == "-" ? -ms : ms;
}

struct PartitionRow {
  std::string group;
  std::optional<std::string> topic;
  std::optional<int32_t> partition;
  std::optional<int64_t> offset, log_end, lag;
  std::optional<int32_t> leader_epoch;
  std::string consumer_id, host, client_id;
};

class ConsumerGroupService {
 public:
  ConsumerGroupService(const CommandLine& cl, const Properties& props, std::ostream& out, std::ostream& err)
      : cl_(cl), admin_(props), out_(out), err_(err) {}

  bool failed() const { return failed_; }

  // --- list ---
  void list() {
    const bool include_type = cl_.has("type");
    const bool include_state = cl_.has("state");
    if (!include_type && !include_state) {
      for (const ConsumerGroupListing& l : admin_.list_consumer_groups()) out_ << l.group_id << '\n';
      return;
    }
    ListConsumerGroupsOptions options;
    options.states = states(cl_.value("state"));
    options.types = types(cl_.value("type"));
    const auto listings = admin_.list_consumer_groups(options);
    size_t width = 15;
    for (const auto& l : listings) width = std::max(width, l.group_id.size());
    width += 10;
    auto line = [&](const std::string& group, const std::string& type, const std::string& state) {
      out_ << pad(group, width);
      if (include_type) out_ << ' ' << pad(type, 20);
      if (include_state) out_ << ' ' << pad(state, 20);
      out_ << '\n';
    };
    line("GROUP", "TYPE", "STATE");
    for (const auto& l : listings) {
      line(l.group_id, to_string(l.type.value_or(GroupType::unknown)), to_string(l.state.value_or(GroupState::unknown)));
    }
  }

  // --- describe ---
  void describe() {
    const std::vector<std::string> groups = selected_groups();
    const bool members = cl_.has("members");
    const bool state = cl_.has("state");
    const bool offsets = cl_.has("offsets");
    auto described = admin_.describe_consumer_groups(groups);
    std::map<std::string, ConsumerGroupDescription> sorted;
    for (const auto& [id, result] : described) sorted[id] = result.get();
    if ((!members && !state) || offsets) {
      for (const auto& [id, d] : sorted) print_offsets(d);
    } else if (members) {
      for (const auto& [id, d] : sorted) print_members(d);
    } else {
      for (const auto& [id, d] : sorted) print_state(d);
    }
  }

  // --- delete ---
  void remove() {
    const std::vector<std::string> groups = selected_groups();
    auto results = admin_.delete_consumer_groups(groups);
    std::vector<std::string> ok;
    std::vector<std::pair<std::string, std::string>> failures;
    for (const std::string& g : groups) {
      try {
        results.at(g).get();
        ok.push_back("'" + g + "'");
      } catch (const std::exception& e) {
        failures.emplace_back(g, exception_text(e));
      }
    }
    auto joined = [](const std::vector<std::string>& v) {
      std::string s;
      for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
      return s;
    };
    if (failures.empty()) {
      out_ << "Deletion of requested consumer groups (" << joined(ok) << ") was successful.\n";
      return;
    }
    error("Deletion of some consumer groups failed:");
    for (const auto& [g, why] : failures) out_ << "* Group '" << g << "' could not be deleted due to: " << why << '\n';
    if (!ok.empty()) out_ << "\nThese consumer groups were deleted successfully: " << joined(ok) << '\n';
  }

  // --- delete offsets ---
  void delete_offsets() {
    const std::string group = cl_.value("group");
    std::set<TopicPartition> partitions;
    std::map<TopicPartition, std::optional<std::string>> results;  // nullopt: success
    std::vector<std::string> whole_topics;
    for (const std::string& arg : cl_.values("topic")) {
      if (arg.find(':') != std::string::npos) {
        for (const TopicPartition& tp : parse_topic_partitions(arg)) partitions.insert(tp);
      } else {
        whole_topics.push_back(arg);
      }
    }
    if (!whole_topics.empty()) {
      for (const auto& [topic, d] : admin_.describe_topics(whole_topics)) {
        try {
          for (const TopicPartitionInfo& p : d.get().partitions) partitions.insert({topic, p.partition});
        } catch (const std::exception& e) {
          results[{topic, -1}] = "Error: " + exception_text(e);
        }
      }
    }
    auto deleted = admin_.delete_consumer_group_offsets(group, partitions);
    std::string top_level;
    for (const auto& [tp, r] : deleted) {
      try {
        r.get();
        results[tp] = std::nullopt;
      } catch (const ApiException& e) {
        if (top_level.empty()) top_level = e.name();
        results[tp] = std::string("Error: ") + e.what();
      } catch (const std::exception& e) {
        if (top_level.empty()) top_level = "UNKNOWN_SERVER_ERROR";
        results[tp] = std::string("Error: ") + e.what();
      }
    }
    if (top_level.empty()) {
      out_ << "Request succeeded for deleting offsets from group " << group << ".\n";
    } else if (top_level == "GROUP_SUBSCRIBED_TO_TOPIC" || top_level == "TOPIC_AUTHORIZATION_FAILED" ||
               top_level == "UNKNOWN_TOPIC_OR_PARTITION") {
      error("Encountered some partition-level error, see the follow-up details.");
    } else {
      std::string message = "Encountered some unknown error: " + top_level;
      for (const auto& [tp, r] : results)
        if (r && top_level != "UNKNOWN_SERVER_ERROR") message = r->substr(7);
      error(message);
    }
    size_t width = 15;
    for (const auto& [tp, r] : results) width = std::max(width, tp.topic.size());
    auto line = [&](const std::string& topic, const std::string& partition, const std::string& status) {
      out_ << '\n' << pad(topic, width) << ' ' << pad(partition, 10) << ' ' << pad(status, 15);
    };
    line("TOPIC", "PARTITION", "STATUS");
    // Kafka orders the rows by topic and partition as one string.
    std::vector<std::pair<TopicPartition, std::optional<std::string>>> rows(results.begin(), results.end());
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.first.topic + std::to_string(a.first.partition) < b.first.topic + std::to_string(b.first.partition);
    });
    for (const auto& [tp, r] : rows) {
      line(tp.topic, tp.partition >= 0 ? std::to_string(tp.partition) : kMissing, r ? *r : "Successful");
    }
    out_ << '\n';
  }

  // --- reset offsets ---
  void reset_offsets() {
    const std::vector<std::string> groups = selected_groups();
    auto described = admin_.describe_consumer_groups(groups);
    std::map<std::string, std::map<TopicPartition, int64_t>> plan;
    for (const std::string& g : groups) {
      GroupState state = GroupState::dead;
      try {
        state = described.at(g).get().state;
      } catch (const ApiException& e) {
        if (e.name() != "GROUP_ID_NOT_FOUND") throw;
      }
      if (state != GroupState::empty && state != GroupState::dead) {
        error("Assignments can only be reset if the group '" + g + "' is inactive, but the current state is " +
              to_string(state) + ".");
        plan[g] = {};
        continue;
      }
      plan[g] = reset_inactive(g);
    }
    if (cl_.has("export")) {
      const bool single = cl_.values("group").size() == 1;
      std::string csv;
      for (const auto& [g, offsets] : plan) {
        for (const auto& [tp, offset] : offsets) {
          csv += (single ? "" : g + ",") + tp.topic + "," + std::to_string(tp.partition) + "," + std::to_string(offset) + "\n";
        }
      }
      out_ << csv << '\n';
      return;
    }
    size_t group_width = 15, topic_width = 15;
    for (const auto& [g, offsets] : plan) {
      group_width = std::max(group_width, g.size());
      for (const auto& [tp, o] : offsets) topic_width = std::max(topic_width, tp.topic.size());
    }
    auto line = [&](const std::string& g, const std::string& t, const std::string& p, const std::string& o) {
      out_ << '\n' << pad(g, group_width) << ' ' << pad(t, topic_width) << ' ' << pad(p, 10) << ' ' << o;
    };
    if (!plan.empty()) line("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
    for (const auto& [g, offsets] : plan) {
      for (const auto& [tp, o] : offsets) line(g, tp.topic, std::to_string(tp.partition), std::to_string(o));
    }
    out_ << '\n';
  }

 private:
  void error(const std::string& message) {
    err_ << "Error: " << message << '\n';
    failed_ = true;
  }

  std::vector<std::string> selected_groups() {
    if (!cl_.has("all-groups")) return cl_.values("group");
    std::vector<std::string> groups;
    for (const ConsumerGroupListing& l : admin_.list_consumer_groups()) groups.push_back(l.group_id);
    return groups;
  }

  static std::set<GroupState> states(const std::string& text) {
    std::set<GroupState> result;
    if (text.empty()) return result;
    static const std::vector<GroupState> valid = {GroupState::preparing_rebalance, GroupState::completing_rebalance,
                                                  GroupState::stable,  GroupState::dead, GroupState::empty,
                                                  GroupState::assigning, GroupState::reconciling};
    std::stringstream in(text);
    for (std::string s; std::getline(in, s, ',');) {
      s.erase(0, s.find_first_not_of(' '));
      s.erase(s.find_last_not_of(' ') + 1);
      const GroupState state = parse_group_state(s);
      if (state == GroupState::unknown) {
        std::string names;
        for (GroupState v : valid) names += (names.empty() ? "" : ", ") + to_string(v);
        throw CommandError("Invalid state list '" + text + "'. Valid states are: " + names, true);
      }
      result.insert(state);
    }
    return result;
  }

  static std::set<GroupType> types(const std::string& text) {
    std::set<GroupType> result;
    if (text.empty()) return result;
    std::stringstream in(text);
    for (std::string s; std::getline(in, s, ',');) {
      s.erase(0, s.find_first_not_of(' '));
      s.erase(s.find_last_not_of(' ') + 1);
      const GroupType type = parse_group_type(s);
      if (type == GroupType::unknown) {
        throw CommandError("Invalid types list '" + text + "'. Valid types are: Classic, Consumer", true);
      }
      result.insert(type);
    }
    return result;
  }

  // Kafka's shouldPrintMemberState: the state's message, and whether rows follow.
  bool should_print(const std::string& group, GroupState state, size_t rows) {
    switch (state) {
      case GroupState::dead:
        error("Consumer group '" + group + "' does not exist.");
        return false;
      case GroupState::empty:
        err_ << "\nConsumer group '" << group << "' has no active members.\n";
        break;
      case GroupState::preparing_rebalance:
      case GroupState::completing_rebalance:
      case GroupState::assigning:
      case GroupState::reconciling:
        err_ << "\nWarning: Consumer group '" << group << "' is rebalancing.\n";
        break;
      case GroupState::stable:
        break;
      default:
        throw CommandError("Expected a valid consumer group state, but found '" + to_string(state) + "'.");
    }
    return rows > 0;
  }

  GroupOffsets committed(const std::string& group) {
    return admin_.list_consumer_group_offsets({{group, {}}}).at(group).get();
  }

  std::map<TopicPartition, std::optional<int64_t>> log_offsets(const std::set<TopicPartition>& partitions, OffsetSpec spec) {
    std::map<TopicPartition, OffsetSpec> request;
    for (const TopicPartition& tp : partitions) request[tp] = spec;
    std::map<TopicPartition, std::optional<int64_t>> result;
    if (request.empty()) return result;
    for (const auto& [tp, r] : admin_.list_offsets(request)) {
      result[tp] = r.ok() ? std::optional<int64_t>(r.get().offset) : std::nullopt;
    }
    return result;
  }

  // Kafka's describePartitions: a row per partition with its committed offset, log end and lag,
  // sorted by topic and partition.
  std::vector<PartitionRow> partition_rows(const std::string& group, const std::set<TopicPartition>& partitions,
                                           const GroupOffsets& offsets, const std::string& consumer,
                                           const std::string& host, const std::string& client) {
    const auto ends = log_offsets(partitions, OffsetSpec::latest());
    std::vector<PartitionRow> rows;
    for (const TopicPartition& tp : partitions) {
      PartitionRow row{group, tp.topic, tp.partition, {}, {}, {}, {}, consumer, host, client};
      auto c = offsets.find(tp);
      if (c != offsets.end() && c->second) {
        row.offset = c->second->offset;
        row.leader_epoch = c->second->leader_epoch;
      }
      auto e = ends.find(tp);
      if (e != ends.end()) row.log_end = e->second;
      if (row.offset && *row.offset != -1 && row.log_end) row.lag = *row.log_end - *row.offset;
      rows.push_back(std::move(row));
    }
    return rows;  // partitions is ordered by topic, then partition
  }

  void print_offsets(const ConsumerGroupDescription& d) {
    const GroupOffsets offsets = committed(d.group_id);
    std::vector<const MemberDescription*> members;
    for (const MemberDescription& m : d.members)
      if (!m.assignment.topic_partitions.empty()) members.push_back(&m);
    std::stable_sort(members.begin(), members.end(), [](const MemberDescription* a, const MemberDescription* b) {
      return a->assignment.topic_partitions.size() > b->assignment.topic_partitions.size();
    });
    std::vector<PartitionRow> rows;
    std::set<TopicPartition> assigned;
    for (const MemberDescription* m : members) {
      assigned.insert(m->assignment.topic_partitions.begin(), m->assignment.topic_partitions.end());
      auto more = partition_rows(d.group_id, m->assignment.topic_partitions, offsets, m->member_id, m->host, m->client_id);
      rows.insert(rows.end(), more.begin(), more.end());
    }
    std::set<TopicPartition> unassigned;
    for (const auto& [tp, o] : offsets)
      if (!assigned.count(tp)) unassigned.insert(tp);
    if (!unassigned.empty()) {
      auto more = partition_rows(d.group_id, unassigned, offsets, kMissing, kMissing, kMissing);
      rows.insert(rows.end(), more.begin(), more.end());
    }
    if (!should_print(d.group_id, d.state, rows.size())) return;
    const bool verbose = cl_.has("verbose");
    size_t group_w = 15, topic_w = 15, consumer_w = 15, host_w = 15;
    for (const PartitionRow& r : rows) {
      group_w = std::max(group_w, r.group.size());
      topic_w = std::max(topic_w, r.topic.value_or(kMissing).size());
      consumer_w = std::max(consumer_w, r.consumer_id.size());
      host_w = std::max(host_w, r.host.size());
    }
    auto line = [&](const std::string& group, const std::string& topic, const std::string& partition,
                    const std::string& epoch, const std::string& offset, const std::string& end, const std::string& lag,
                    const std::string& consumer, const std::string& host, const std::string& client) {
      out_ << '\n' << pad(group, group_w) << ' ' << pad(topic, topic_w) << ' ' << pad(partition, 10) << ' ';
      if (verbose) out_ << pad(epoch, 15) << ' ';
      out_ << pad(offset, 15) << ' ' << pad(end, 15) << ' ' << pad(lag, 15) << ' ' << pad(consumer, consumer_w) << ' '
           << pad(host, host_w) << ' ' << client;
    };
    line("GROUP", "TOPIC", "PARTITION", "LEADER-EPOCH", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST",
         "CLIENT-ID");
    for (const PartitionRow& r : rows) {
      line(r.group, r.topic.value_or(kMissing), r.partition ? std::to_string(*r.partition) : kMissing,
           r.leader_epoch ? std::to_string(*r.leader_epoch) : kMissing, opt_string(r.offset), opt_string(r.log_end),
           opt_string(r.lag), r.consumer_id, r.host, r.client_id);
    }
    out_ << '\n';
  }

  // Kafka's getAssignmentString: "t1:0,1;t2:3", topics sorted.
  static std::string assignment_string(const std::set<TopicPartition>& partitions) {
    std::map<std::string, std::vector<int32_t>> by_topic;
    for (const TopicPartition& tp : partitions) by_topic[tp.topic].push_back(tp.partition);
    std::string s;
    for (const auto& [topic, ps] : by_topic) {
      s += (s.empty() ? "" : ";") + topic + ":";
      for (size_t i = 0; i < ps.size(); ++i) s += (i ? "," : "") + std::to_string(ps[i]);
    }
    return s;
  }

  void print_members(const ConsumerGroupDescription& d) {
    size_t group_w = 15, consumer_w = 15, instance_w = 17, host_w = 15, client_w = 15, current_w = 20, target_w = 20;
    bool include_instance = false;
    const bool verbose = cl_.has("verbose");
    auto current_of = [](const MemberDescription& m) {
      return m.assignment.topic_partitions.empty() ? kMissing : assignment_string(m.assignment.topic_partitions);
    };
    auto target_of = [](const MemberDescription& m) {
      return !m.target_assignment || m.target_assignment->topic_partitions.empty()
                 ? kMissing
                 : assignment_string(m.target_assignment->topic_partitions);
    };
    if (should_print(d.group_id, d.state, d.members.size())) {
      for (const MemberDescription& m : d.members) {
        group_w = std::max(group_w, d.group_id.size());
        consumer_w = std::max(consumer_w, m.member_id.size());
        instance_w = std::max(instance_w, m.group_instance_id.value_or("").size());
        host_w = std::max(host_w, m.host.size());
        client_w = std::max(client_w, m.client_id.size());
        include_instance = include_instance || !m.group_instance_id.value_or("").empty();
        current_w = std::max(current_w, current_of(m).size());
        target_w = std::max(target_w, target_of(m).size());
      }
    }
    auto head = [&](const std::string& group, const std::string& consumer, const std::string& instance,
                    const std::string& host, const std::string& client, const std::string& count) {
      out_ << pad(group, group_w) << ' ' << pad(consumer, consumer_w) << ' ';
      if (include_instance) out_ << pad(instance, instance_w) << ' ';
      out_ << pad(host, host_w) << ' ' << pad(client, client_w) << ' ' << pad(count, 15) << ' ';
    };
    auto tail = [&](const std::string& current_epoch, const std::string& current, const std::string& target_epoch,
                    const std::string& target) {
      out_ << pad(current_epoch, 15) << ' ' << pad(current, current_w) << ' ' << pad(target_epoch, 15) << ' '
           << pad(target, target_w);
    };
    out_ << '\n';
    head("GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS");
    if (verbose) tail("CURRENT-EPOCH", "CURRENT-ASSIGNMENT", "TARGET-EPOCH", "TARGET-ASSIGNMENT");
    out_ << '\n';
    for (const MemberDescription& m : d.members) {
      head(d.group_id, m.member_id, m.group_instance_id.value_or(""), m.host, m.client_id,
           std::to_string(m.assignment.topic_partitions.size()));
      if (verbose) {
        tail(m.member_epoch ? std::to_string(*m.member_epoch) : kMissing, current_of(m),
             d.target_assignment_epoch ? std::to_string(*d.target_assignment_epoch) : kMissing, target_of(m));
      }
      out_ << '\n';
    }
  }

  void print_state(const ConsumerGroupDescription& d) {
    if (!should_print(d.group_id, d.state, 1)) return;
    const std::string coordinator =
        d.coordinator.host + ":" + std::to_string(d.coordinator.port) + "  (" + std::to_string(d.coordinator.id) + ")";
    const size_t coordinator_w = std::max<size_t>(25, coordinator.size());
    const size_t group_w = std::max<size_t>(15, d.group_id.size());
    const std::string strategy = d.partition_assignor.empty() ? kMissing : d.partition_assignor;
    const bool verbose = cl_.has("verbose");
    auto line = [&](const std::string& group, const std::string& coord, const std::string& strat,
                    const std::string& state, const std::string& epoch, const std::string& target,
                    const std::string& members) {
      out_ << '\n' << pad(group, group_w) << ' ' << pad(coord, coordinator_w) << ' ' << pad(strat, 20) << ' '
           << pad(state, 20) << ' ';
      if (verbose) out_ << pad(epoch, 15) << ' ' << pad(target, 25) << ' ';
      out_ << members;
    };
    line("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "GROUP-EPOCH", "TARGET-ASSIGNMENT-EPOCH",
         "#MEMBERS");
    line(d.group_id, coordinator, strategy, to_string(d.state), d.group_epoch ? std::to_string(*d.group_epoch) : kMissing,
         d.target_assignment_epoch ? std::to_string(*d.target_assignment_epoch) : kMissing,
         std::to_string(d.members.size()));
    out_ << '\n';
  }

  // "topic:0,1,2" -> its partitions, with Kafka's errors.
  static std::vector<TopicPartition> parse_topic_partitions(const std::string& arg) {
    const size_t colon = arg.find(':');
    if (colon == std::string::npos || arg.find(':', colon + 1) != std::string::npos || colon + 1 == arg.size()) {
      throw CommandError("Invalid topic arg '" + arg + "', expected topic name and partitions", true);
    }
    std::vector<TopicPartition> result;
    std::stringstream in(arg.substr(colon + 1));
    for (std::string p; std::getline(in, p, ',');) {
      try {
        size_t used = 0;
        const int32_t partition = std::stoi(p, &used);
        if (used != p.size()) throw std::invalid_argument(p);
        result.push_back({arg.substr(0, colon), partition});
      } catch (const std::exception&) {
        throw CommandError("Invalid partition '" + p + "' specified in topic arg '" + arg + "''", true);
      }
    }
    return result;
  }

  std::set<TopicPartition> partitions_to_reset(const std::string& group) {
    std::set<TopicPartition> result;
    if (cl_.has("all-topics")) {
      for (const auto& [tp, o] : committed(group)) result.insert(tp);
      return result;
    }
    if (!cl_.has("topic")) {
      if (!cl_.has("from-file")) throw CommandError("One of the reset scopes should be defined: --all-topics, --topic.", true);
      return result;
    }
    std::vector<std::string> topics;
    for (const std::string& arg : cl_.values("topic")) {
      if (arg.find(':') != std::string::npos) {
        for (const TopicPartition& tp : parse_topic_partitions(arg)) result.insert(tp);
      } else {
        topics.push_back(arg);
      }
    }
    if (!topics.empty()) {
      for (const auto& [topic, d] : admin_.describe_topics(topics)) {
        for (const TopicPartitionInfo& p : d.get().partitions) result.insert({topic, p.partition});
      }
    }
    return result;
  }

  // Kafka's checkAllTopicPartitionsValid.
  void check_partitions(const std::set<TopicPartition>& partitions) {
    std::set<std::string> topics;
    for (const TopicPartition& tp : partitions) topics.insert(tp.topic);
    std::set<TopicPartition> existing, leaderless;
    for (const auto& [topic, d] : admin_.describe_topics(std::vector<std::string>(topics.begin(), topics.end()))) {
      if (!d.ok()) continue;
      for (const TopicPartitionInfo& p : d.get().partitions) {
        existing.insert({topic, p.partition});
        if (!p.leader) leaderless.insert({topic, p.partition});
      }
    }
    std::string missing, no_leader;
    for (const TopicPartition& tp : partitions) {
      if (!existing.count(tp)) missing += (missing.empty() ? "" : ",") + tp_string(tp);
      else if (leaderless.count(tp)) no_leader += (no_leader.empty() ? "" : ",") + tp_string(tp);
    }
    if (!missing.empty()) throw CommandError("The partitions \"" + missing + "\" do not exist");
    if (!no_leader.empty()) throw CommandError("The partitions \"" + no_leader + "\" have no leader");
  }

  // Offsets outside the log are moved to its start or end, as Kafka's checkOffsetsRange does.
  std::map<TopicPartition, int64_t> clamp(const std::map<TopicPartition, int64_t>& requested) {
    std::set<TopicPartition> partitions;
    for (const auto& [tp, o] : requested) partitions.insert(tp);
    const auto starts = log_offsets(partitions, OffsetSpec::earliest());
    const auto ends = log_offsets(partitions, OffsetSpec::latest());
    std::map<TopicPartition, int64_t> result;
    for (const auto& [tp, offset] : requested) {
      auto end = ends.find(tp);
      auto start = starts.find(tp);
      if (end != ends.end() && end->second && offset > *end->second) {
        result[tp] = *end->second;
      } else if (start != starts.end() && start->second && offset < *start->second) {
        result[tp] = *start->second;
      } else {
        result[tp] = offset;
      }
    }
    return result;
  }

  std::map<TopicPartition, int64_t> at(const std::set<TopicPartition>& partitions, OffsetSpec spec, const char* what) {
    const auto offsets = log_offsets(partitions, spec);
    std::map<TopicPartition, int64_t> result;
    for (const TopicPartition& tp : partitions) {
      auto o = offsets.find(tp);
      if (o == offsets.end() || !o->second) throw CommandError(std::string("Error getting ") + what + tp_string(tp), true);
      result[tp] = *o->second;
    }
    return result;
  }

  std::map<TopicPartition, int64_t> by_timestamp(const std::set<TopicPartition>& partitions, int64_t timestamp) {
    auto offsets = log_offsets(partitions, OffsetSpec::for_timestamp(timestamp));
    std::set<TopicPartition> empty;
    std::map<TopicPartition, int64_t> result;
    for (const TopicPartition& tp : partitions) {
      auto o = offsets.find(tp);
      if (o != offsets.end() && o->second && *o->second != -1) {
        result[tp] = *o->second;
      } else {
        out_ << "\nWarn: Partition " << tp.partition << " from topic " << tp.topic
             << " is empty. Falling back to latest known offset.\n";
        empty.insert(tp);
      }
    }
    for (const auto& [tp, o] : at(empty, OffsetSpec::latest(), "offset by timestamp of topic partition: ")) result[tp] = o;
    return result;
  }

  std::map<TopicPartition, int64_t> reset_inactive(const std::string& group) {
    const std::set<TopicPartition> partitions = partitions_to_reset(group);
    check_partitions(partitions);
    std::map<TopicPartition, int64_t> plan;
    if (cl_.has("to-offset")) {
      const int64_t offset = long_value("to-offset");
      std::map<TopicPartition, int64_t> requested;
      for (const TopicPartition& tp : partitions) requested[tp] = offset;
      plan = clamp(requested);
    } else if (cl_.has("to-earliest")) {
      plan = at(partitions, OffsetSpec::earliest(), "starting offset of topic partition: ");
    } else if (cl_.has("to-latest")) {
      plan = at(partitions, OffsetSpec::latest(), "ending offset of topic partition: ");
    } else if (cl_.has("shift-by")) {
      const int64_t shift = long_value("shift-by");
      const GroupOffsets current = committed(group);
      std::map<TopicPartition, int64_t> requested;
      for (const TopicPartition& tp : partitions) {
        auto c = current.find(tp);
        if (c == current.end() || !c->second) {
          throw CommandError("Cannot shift offset for partition " + tp_string(tp) +
                             " since there is no current committed offset", true);
        }
        requested[tp] = c->second->offset + shift;
      }
      plan = clamp(requested);
    } else if (cl_.has("to-datetime")) {
      plan = by_timestamp(partitions, parse_datetime(cl_.value("to-datetime")));
    } else if (cl_.has("by-duration")) {
      const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
      plan = by_timestamp(partitions, now - parse_duration_ms(cl_.value("by-duration")));
    } else if (cl_.has("from-file")) {
      const auto from_file = reset_plan(group);
      if (!from_file) {
        error("No reset plan for group " + group + " found.");
        return {};
      }
      plan = clamp(*from_file);
    } else if (cl_.has("to-current")) {
      const GroupOffsets current = committed(group);
      std::set<TopicPartition> without;
      for (const TopicPartition& tp : partitions) {
        auto c = current.find(tp);
        if (c != current.end() && c->second) plan[tp] = c->second->offset;
        else without.insert(tp);
      }
      for (const auto& [tp, o] : at(without, OffsetSpec::latest(), "ending offset of topic partition: ")) plan[tp] = o;
    } else {
      throw CommandError(
          "Option '[reset-offsets]' requires one of the following scenarios: [to-offset, shift-by, to-datetime, "
          "by-duration, to-earliest, to-latest, to-current, from-file]", true);
    }
    if (cl_.has("execute")) {
      std::map<TopicPartition, OffsetAndMetadata> offsets;
      for (const auto& [tp, o] : plan) offsets[tp] = OffsetAndMetadata{o, "", std::nullopt};
      all(admin_.alter_consumer_group_offsets(group, offsets));
    }
    return plan;
  }

  // The --from-file CSV: "topic,partition,offset" lines for a single --group, else
  // "group,topic,partition,offset"; this group's entries (nullopt when it has none).
  std::optional<std::map<TopicPartition, int64_t>> reset_plan(const std::string& group) {
    std::ifstream in(cl_.value("from-file"));
    if (!in) throw CommandError(cl_.value("from-file") + " (No such file or directory)");
    std::vector<std::vector<std::string>> lines;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      std::vector<std::string> fields;
      std::stringstream s(line);
      for (std::string f; std::getline(s, f, ',');) fields.push_back(f);
      lines.push_back(fields);
    }
    const bool single = cl_.values("group").size() == 1 && !lines.empty() && lines[0].size() == 3;
    std::optional<std::map<TopicPartition, int64_t>> plan;
    for (const auto& f : lines) {
      if (f.size() != (single ? 3u : 4u)) throw CommandError("Invalid reset plan line: " + f[0]);
      const size_t base = single ? 0 : 1;
      if (!single && f[0] != group) continue;
      try {
        if (!plan) plan.emplace();
        (*plan)[{f[base], std::stoi(f[base + 1])}] = std::stoll(f[base + 2]);
      } catch (const std::logic_error&) {
        throw CommandError("Invalid reset plan line: " + f[base] + "," + f[base + 1] + "," + f[base + 2]);
      }
    }
    return plan;
  }

  int64_t long_value(const std::string& name) const {
    const std::string v = cl_.value(name);
    try {
      size_t used = 0;
      const int64_t n = std::stoll(v, &used);
      if (used == v.size()) return n;
    } catch (const std::exception&) {
    }
    throw CommandError("Cannot parse argument '" + v + "' of option " + name, true);
  }

  const CommandLine& cl_;
  Admin admin_;
  std::ostream& out_;
  std::ostream& err_;
  bool failed_ = false;
};

// Kafka's checkArgs: the first problem, as printUsageAndExit words it (nullopt: none).
std::optional<std::string> check_args(const CommandLine& cl) {
  if (!cl.has("bootstrap-server")) return "Missing required argument \"[bootstrap-server]\"";
  const bool groups = cl.has("group") || cl.has("all-groups");
  if (cl.has("describe")) {
    if (!groups) return "Option [describe] takes one of these options: [all-groups], [group]";
    int subs = (cl.has("members") ? 1 : 0) + (cl.has("offsets") ? 1 : 0) + (cl.has("state") ? 1 : 0);
    if (subs > 1) return "Option [describe] takes at most one of these options: [members], [offsets], [state]";
    if (cl.has("state") && !cl.value("state").empty()) return "Option [describe] does not take a value for [state]";
  }
  for (const char* sub : {"members", "verbose", "offsets"}) {
    if (cl.has(sub) && !cl.has("describe")) return std::string("Option [") + sub + "] is available only when [describe] is present";
  }
  if (cl.has("state") && !cl.has("describe") && !cl.has("list")) {
    return "Option [state] is available only when [describe] or [list] is present";
  }
  if (cl.has("type") && !cl.has("list")) return "Option [type] is available only when [list] is present";
  if (cl.has("delete")) {
    if (!groups) return "Option [delete] takes one of these options: [all-groups], [group]";
    if (cl.has("topic")) return "The consumer does not support topic-specific offset deletion from a consumer group.";
  }
  if (cl.has("delete-offsets") && (!cl.has("group") || !cl.has("topic"))) {
    return "Option [delete-offsets] takes the following options: [topic], [group]";
  }
  if (cl.has("reset-offsets")) {
    if (cl.has("dry-run") && cl.has("execute")) return "Option [reset-offsets] only accepts one of [execute] and [dry-run]";
    if (!groups) return "Option [reset-offsets] takes one of these options: [all-groups], [group]";
    const std::vector<std::string> scenarios = {"to-offset",   "to-datetime", "by-duration", "to-earliest",
                                                "to-latest",   "to-current",  "shift-by",    "from-file"};
    for (const std::string& s : scenarios) {
      if (!cl.has(s)) continue;
      for (const std::string& other : scenarios) {
        if (other != s && cl.has(other)) return "Option \"[" + s + "]\" can't be used with option \"[" + other + "]\"";
      }
    }
  }
  if (cl.has("group") && cl.has("all-groups")) return "Option \"[group]\" can't be used with option \"[all-groups]\"";
  if (cl.has("group") && cl.has("list")) return "Option \"[group]\" can't be used with option \"[list]\"";
  if (cl.has("topic") && (cl.has("list") || cl.has("describe"))) {
    return std::string("Option \"[topic]\" can't be used with option \"[") + (cl.has("list") ? "list" : "describe") + "]\"";
  }
  return std::nullopt;
}

}  // namespace

int run_consumer_groups(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommandLine cl(
      "This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset "
      "consumer group offsets.",
      {
          {"bootstrap-server", Arg::required, "REQUIRED: The server(s) to connect to.", "server to connect to"},
          {"group", Arg::required, "The consumer group we wish to act on.", "consumer group"},
          {"topic", Arg::required,
           "The topic whose consumer group information should be deleted or topic whose should be included in the "
           "reset offset process. In `reset-offsets` case, partitions can be specified using this format: "
           "`topic1:0,1,2`, where 0,1,2 are the partition to be included in the process. Reset-offsets also supports "
           "multiple topic inputs.",
           "topic"},
          {"all-topics", Arg::none, "Consider all topics assigned to a group in the `reset-offsets` process."},
          {"list", Arg::none, "List all consumer groups."},
          {"describe", Arg::none,
           "Describe consumer group and list offset lag (number of messages not yet processed) related to given "
           "group."},
          {"all-groups", Arg::none, "Apply to all consumer groups."},
          {"delete", Arg::none,
           "Pass in groups to delete topic partition offsets and ownership information over the entire consumer "
           "group. For instance --group g1 --group g2"},
          {"timeout", Arg::required,
           "The timeout that can be set for some use cases. For example, it can be used when describing the group to "
           "specify the maximum amount of time in milliseconds to wait before the group stabilizes (when the group is "
           "just created, or is going through some changes). (default: 5000)",
           "timeout (ms)"},
          {"command-config", Arg::required, "Property file containing configs to be passed to Admin Client and Consumer.",
           "command config property file"},
          {"reset-offsets", Arg::none,
           "Reset offsets of consumer group. Supports one consumer group at the time, and instances should be "
           "inactive. Has 2 execution options: --dry-run (the default) to plan which offsets to reset, and --execute "
           "to update the offsets. Additionally, the --export option is used to export the results to a CSV format. "
           "You must choose one of the following reset specifications: --to-datetime, --by-duration, --to-earliest, "
           "--to-latest, --shift-by, --from-file, --to-current, --to-offset. To define the scope use --all-topics or "
           "--topic. One scope must be specified unless you use '--from-file'."},
          {"delete-offsets", Arg::none,
           "Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics."},
          {"dry-run", Arg::none,
           "Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets."},
          {"execute", Arg::none, "Execute operation. Supported operations: reset-offsets."},
          {"export", Arg::none, "Export operation execution to a CSV file. Supported operations: reset-offsets."},
          {"to-offset", Arg::required, "Reset offsets to a specific offset.", "offset"},
          {"from-file", Arg::required, "Reset offsets to values defined in CSV file.", "path to CSV file"},
          {"to-datetime", Arg::required, "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'",
           "datetime"},
          {"by-duration", Arg::required,
           "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'", "duration"},
          {"to-earliest", Arg::none, "Reset offsets to earliest offset."},
          {"to-latest", Arg::none, "Reset offsets to latest offset."},
          {"to-current", Arg::none, "Reset offsets to current offset."},
          {"shift-by", Arg::required,
           "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.",
           "number-of-offsets"},
          {"members", Arg::none,
           "Describe members of the group. This option may be used with '--describe' and '--bootstrap-server' "
           "options only. Example: --bootstrap-server localhost:9092 --describe --group group1 --members"},
          {"verbose", Arg::none,
           "Provide additional information, if any, when describing the group. This option may be used with "
           "'--offsets'/'--members'/'--state' and '--bootstrap-server' options only. Example: --bootstrap-server "
           "localhost:9092 --describe --group group1 --members --verbose"},
          {"offsets", Arg::none,
           "Describe the group and list all topic partitions in the group along with their offset lag. This is the "
           "default sub-action of and may be used with '--describe' and '--bootstrap-server' options only. Example: "
           "--bootstrap-server localhost:9092 --describe --group group1 --offsets"},
          {"state", Arg::optional,
           "When specified with '--describe', includes the state of the group. Example: --bootstrap-server "
           "localhost:9092 --describe --group group1 --state When specified with '--list', it displays the state of "
           "all groups. It can also be used to list groups with specific states. Example: --bootstrap-server "
           "localhost:9092 --list --state stable,empty This option may be used with '--describe', '--list' and "
           "'--bootstrap-server' options only.",
           "String"},
          {"type", Arg::optional,
           "When specified with '--list', it displays the types of all the groups. It can also be used to list "
           "groups with specific types. Example: --bootstrap-server localhost:9092 --list --type classic,consumer "
           "This option may be used with the '--list' option only.",
           "String"},
      });
  if (auto stop = cl.parse(args, out, err)) return stop->exit_code;
  int actions = 0;
  for (const char* action : {"list", "describe", "delete", "reset-offsets", "delete-offsets"}) actions += cl.has(action);
  if (actions != 1) {
    err << "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets\n";
    return 1;
  }
  if (auto problem = check_args(cl)) {
    err << *problem << '\n';
    return 1;
  }
  if (cl.has("reset-offsets") && !cl.has("dry-run") && !cl.has("execute")) {
    err << "WARN: No action will be performed as the --execute option is missing.In a future major release, the "
           "default behavior of this command will be to prompt the user before executing the reset rather than doing "
           "a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to "
           "keep the current default behavior without prompting.\n";
  }
  try {
    Properties props = client_properties(cl);
    if (cl.has("timeout")) {
      auto timeout = cl.int_value("timeout", 5000, err);
      if (!timeout) return 1;
      props["default.api.timeout.ms"] = std::to_string(*timeout);
    } else if (!props.count("default.api.timeout.ms")) {
      props["default.api.timeout.ms"] = "5000";
    }
    ConsumerGroupService service(cl, props, out, err);
    if (cl.has("list")) {
      service.list();
    } else if (cl.has("describe")) {
      service.describe();
    } else if (cl.has("delete")) {
      service.remove();
    } else if (cl.has("reset-offsets")) {
      service.reset_offsets();
    } else {
      service.delete_offsets();
    }
    return service.failed() ? 1 : 0;
  } catch (const CommandError& e) {
    if (e.usage) {
      err << e.what() << '\n';
    } else {
      err << "Error: Executing consumer group command failed due to " << e.what() << '\n';
    }
  } catch (const std::exception& e) {
    std::string message = exception_text(e);
    std::replace(message.begin(), message.end(), '\n', ' ');
    err << "Error: Executing consumer group command failed due to " << message << '\n';
  }
  return 1;
}

}  // namespace gregor::tools
