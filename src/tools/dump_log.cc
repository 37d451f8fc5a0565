#include "tools/dump_log.h"

#include <functional>
#include <optional>
#include <utility>
#include <variant>

#include "common/endian.h"
#include "group/records.h"
#include "metadata/record_serde.h"
#include "protocol/generated/group_coordinator/all.h"
#include "protocol/generated/message/consumer_protocol_assignment.h"
#include "protocol/generated/message/consumer_protocol_subscription.h"
#include "storage/posix_file_system.h"
#include "tools/command_line.h"
#include "tools/message_json.h"

namespace gregor::tools {

namespace {

using storage::ParsedRecord;

// Kafka's MetadataRecordType constant for a record type: "TopicRecord" -> "TOPIC_RECORD" (an
// underscore before each capital that follows a lower-case letter).
std::string metadata_type_constant(const char* type_name) {
  std::string out;
  bool previous_capital = true;
  for (const char* p = type_name; *p; ++p) {
    char c = *p;
    bool capital = c >= 'A' && c <= 'Z';
    if (capital && !previous_capital) out += '_';
    out += capital ? c : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    previous_capital = capital;
  }
  return out;
}

std::string error_at(const record::Record& r, const std::string& why) {
  return "Error at offset " + std::to_string(r.offset) + ", skipping. " + why;
}

// A consumer protocol message inside a group member's bytes (an int16 version, then the body),
// as JSON; nullopt when it does not decode, and the bytes stay as they are.
template <typename T>
std::optional<std::string> consumer_protocol_json(const Bytes& bytes) {
  if (bytes.size() < 2) return std::nullopt;
  const int16_t version = load_be<int16_t>(bytes.data());
  if (!T::kValidVersions.contains(version)) return std::nullopt;
  auto decoded =
      protocol::decode_message<T>(BytesView(bytes).subview(2, bytes.size() - 2), version, protocol::TrailingBytes::ignore);
  if (!decoded.ok()) return std::nullopt;
  return to_json(*decoded, version);
}

// Writes a classic consumer group member's subscription and assignment decoded, as Kafka's
// offsets decoder does when the group's protocol type is "consumer".
struct ConsumerProtocolHook {
  bool consumer_group = false;
  template <typename M>
  bool operator()(std::string& out, const M& member, const protocol::FieldInfo& info) const {
    if constexpr (std::is_same_v<M, Bytes>) {
      if (!consumer_group) return false;
      std::optional<std::string> json;
      if (std::string_view(info.name) == "subscription") {
        json = consumer_protocol_json<protocol::ConsumerProtocolSubscription>(member);
      } else if (std::string_view(info.name) == "assignment") {
        json = consumer_protocol_json<protocol::ConsumerProtocolAssignment>(member);
      }
      if (!json) return false;
      out += *json;
      return true;
    } else {
      return false;
    }
  }
};

template <typename Key>
std::string key_json(int16_t key_version, const Key& key) {
  std::string out = "{\"type\":\"" + std::to_string(key_version) + "\",\"data\":";
  append_json(out, key, key_version);
  return out + '}';
}

template <typename Value, typename Hook = NoFieldHook>
std::string value_json(int16_t value_version, const Value& value, const Hook& hook = {}) {
  std::string out = "{\"version\":\"" + std::to_string(value_version) + "\",\"data\":";
  append_json(out, value, value_version, hook);
  return out + '}';
}

// The key of a KIP-848 consumer group record, rebuilt from what the group's reader decoded.
template <typename Key>
std::string consumer_group_key_json(const group::ConsumerGroupRecord& r) {
  Key key;
  key.group_id = r.group;
  if constexpr (requires { key.member_id; }) key.member_id = r.member;
  return key_json(static_cast<int16_t>(r.kind), key);
}

std::string consumer_group_key_json(const group::ConsumerGroupRecord& r) {
  using Kind = group::ConsumerGroupRecord::Kind;
  switch (r.kind) {
    case Kind::metadata:
      return consumer_group_key_json<protocol::ConsumerGroupMetadataKey>(r);
    case Kind::partition_metadata:
      return consumer_group_key_json<protocol::ConsumerGroupPartitionMetadataKey>(r);
    case Kind::member_metadata:
      return consumer_group_key_json<protocol::ConsumerGroupMemberMetadataKey>(r);
    case Kind::target_assignment_metadata:
      return consumer_group_key_json<protocol::ConsumerGroupTargetAssignmentMetadataKey>(r);
    case Kind::target_assignment_member:
      return consumer_group_key_json<protocol::ConsumerGroupTargetAssignmentMemberKey>(r);
    case Kind::current_member_assignment:
      return consumer_group_key_json<protocol::ConsumerGroupCurrentMemberAssignmentKey>(r);
  }
  return {};
}

// Kafka's tools.api decoders that need no JVM: StringDecoder (UTF-8 text), IntegerDecoder and
// LongDecoder (the leading big-endian int32 / int64).
using BytesDecoder = std::function<StatusOr<std::string>(BytesView)>;

template <typename Int>
BytesDecoder big_endian_decoder(const char* java_type) {
  return [java_type](BytesView b) -> StatusOr<std::string> {
    if (b.size() < sizeof(Int)) {
      return Status(ErrorCode::corrupt_message, std::to_string(b.size()) + " bytes are no " + java_type);
    }
    return std::to_string(load_be<Int>(b.data()));
  };
}

std::optional<BytesDecoder> decoder_named(const std::string& class_name) {
  const std::string simple = class_name.substr(class_name.rfind('.') + 1);
  const bool known_package = class_name == simple || class_name.starts_with("org.apache.kafka.tools.api.") ||
                             class_name.starts_with("kafka.serializer.");
  if (!known_package) return std::nullopt;
  if (simple == "StringDecoder") {
    return BytesDecoder([](BytesView b) -> StatusOr<std::string> { return storage::decode_utf8_lossy(b.as_chars()); });
  }
  if (simple == "IntegerDecoder") return big_endian_decoder<int32_t>("Integer");
  if (simple == "LongDecoder") return big_endian_decoder<int64_t>("Long");
  return std::nullopt;
}

storage::RecordParser decoder_parser(BytesDecoder key_decoder, BytesDecoder value_decoder) {
  return [key_decoder = std::move(key_decoder),
          value_decoder = std::move(value_decoder)](const record::Record& r) -> StatusOr<ParsedRecord> {
    ParsedRecord parsed;
    if (r.key) {
      auto key = key_decoder(*r.key);
      if (!key.ok()) return key.status();
      parsed.key = std::move(*key);
    }
    if (r.value) {
      auto value = value_decoder(*r.value);
      if (!value.ok()) return value.status();
      parsed.value = std::move(*value);
    }
    return parsed;
  };
}

const char* const kDescription =
    "This tool helps to parse a log file and dump its contents to the console, useful for debugging a seemingly "
    "corrupt log segment.";

std::vector<OptionSpec> dump_log_options() {
  using Arg = OptionSpec::Arg;
  return {
      {"files", Arg::required, "REQUIRED: The comma separated list of data and index log files to be dumped.",
       "file1, file2, ..."},
      {"print-data-log", Arg::none,
       "If set, printing the messages content when dumping data logs. Automatically set if any decoder option is "
       "specified."},
      {"verify-index-only", Arg::none, "If set, just verify the index log without printing its content."},
      {"index-sanity-check", Arg::none,
       "If set, just checks the index sanity without printing its content. This is the same check that is executed "
       "on broker startup to determine if an index needs rebuilding or not."},
      {"max-message-size", Arg::required, "Size of largest message. (default: 5242880)", "Integer: size"},
      {"max-bytes", Arg::required,
       "Limit the amount of total batches read in bytes avoiding reading the whole .log file(s). (default: "
       "2147483647)",
       "Integer: size"},
      {"deep-iteration", Arg::none,
       "If set, uses deep instead of shallow iteration. Automatically set if print-data-log is enabled."},
      {"key-decoder-class", Arg::optional,
       "If set, used to deserialize the keys: org.apache.kafka.tools.api.StringDecoder (the default), "
       "IntegerDecoder or LongDecoder.",
       "String"},
      {"value-decoder-class", Arg::optional,
       "If set, used to deserialize the messages: org.apache.kafka.tools.api.StringDecoder (the default), "
       "IntegerDecoder or LongDecoder.",
       "String"},
      {"offsets-decoder", Arg::none,
       "If set, log data will be parsed as offset data from the __consumer_offsets topic."},
      {"cluster-metadata-decoder", Arg::none, "If set, log data will be parsed as cluster metadata records."},
      {"transaction-log-decoder", Arg::none, "Not supported: Gregor keeps no __transaction_state topic."},
      {"remote-log-metadata-decoder", Arg::none, "Not supported: Gregor has no tiered storage."},
      {"share-group-state-decoder", Arg::none, "Not supported: Gregor has no share groups."},
      {"skip-record-metadata", Arg::none, "Skip metadata when printing records. This flag also skips control records."},
  };
}

}  // namespace

ParsedRecord parse_cluster_metadata_record(const record::Record& r) {
  ParsedRecord parsed;  // metadata records have no keys
  if (!r.value) {
    parsed.value = error_at(r, "the record has no value");
    return parsed;
  }
  auto decoded = metadata::decode_record(*r.value);
  if (!decoded.ok()) {
    parsed.value = error_at(r, decoded.error().to_string());
    return parsed;
  }
  std::string out = "{\"type\":\"" + metadata_type_constant(decoded->type_name()) +
                    "\",\"version\":" + std::to_string(decoded->version) + ",\"data\":";
  std::visit([&](const auto& body) { append_json(out, body, decoded->version); }, decoded->body);
  parsed.value = out + '}';
  return parsed;
}

StatusOr<ParsedRecord> parse_offsets_record(const record::Record& r) {
  if (!r.key) {
    return Status(ErrorCode::corrupt_message, "Failed to decode message at offset " + std::to_string(r.offset) +
                                                  " using the specified decoder (message had a missing key)");
  }
  ParsedRecord parsed;
  auto decoded = group::decode_record(*r.key, r.value);
  if (!decoded.ok()) {
    parsed.key = error_at(r, decoded.error().to_string());
    return parsed;
  }
  // Both start with the int16 version their reader checked.
  const int16_t key_version = load_be<int16_t>(r.key->data());
  const int16_t value_version = r.value ? load_be<int16_t>(r.value->data()) : int16_t{-1};
  parsed.value = "<DELETE>";
  std::visit(
      [&](const auto& record) {
        using T = std::decay_t<decltype(record)>;
        if constexpr (std::is_same_v<T, group::OffsetCommitRecord>) {
          protocol::OffsetCommitKey key;
          key.group = record.group;
          key.topic = record.topic;
          key.partition = record.partition;
          parsed.key = key_json(key_version, key);
          if (record.value) parsed.value = value_json(value_version, *record.value);
        } else if constexpr (std::is_same_v<T, group::GroupMetadataRecord>) {
          protocol::GroupMetadataKey key;
          key.group = record.group;
          parsed.key = key_json(key_version, key);
          if (record.value) {
            ConsumerProtocolHook hook{record.value->protocol_type == "consumer"};
            parsed.value = value_json(value_version, *record.value, hook);
          }
        } else if constexpr (std::is_same_v<T, group::ConsumerGroupRecord>) {
          parsed.key = consumer_group_key_json(record);
          std::visit(
              [&](const auto& value) {
                if constexpr (!std::is_same_v<std::decay_t<decltype(value)>, std::monostate>) {
                  parsed.value = value_json(value_version, value);
                }
              },
              record.value);
        } else {
          parsed.key = "Unknown record type " + std::to_string(record.key_version) + " at offset " +
                       std::to_string(r.offset) + ", skipping.";
          parsed.value.reset();
        }
      },
      *decoded);
  return parsed;
}

int run_dump_log(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommandLine cl(kDescription, dump_log_options());
  if (auto stop = cl.parse(args, out, err)) return stop->exit_code;
  if (!cl.require({"files"}, err)) return 1;
  for (const char* refused : {"transaction-log-decoder", "remote-log-metadata-decoder", "share-group-state-decoder"}) {
    if (cl.has(refused)) {
      err << "--" << refused << " is not supported: Gregor keeps no such topic\n";
      return 1;
    }
  }

  storage::DumpOptions options;
  auto max_message_size = cl.int_value("max-message-size", options.max_message_size, err);
  auto max_bytes = cl.int_value("max-bytes", options.max_bytes, err);
  if (!max_message_size || !max_bytes) return 1;
  options.max_message_size = *max_message_size;
  options.max_bytes = *max_bytes;
  options.verify_index_only = cl.has("verify-index-only");
  options.index_sanity_check = cl.has("index-sanity-check");
  options.skip_record_metadata = cl.has("skip-record-metadata");
  // As in Kafka, any decoder implies printing the data, and printing the data deep iteration.
  options.print_data_log = cl.has("print-data-log") || cl.has("offsets-decoder") ||
                           cl.has("cluster-metadata-decoder") || cl.has("key-decoder-class") ||
                           cl.has("value-decoder-class");
  options.deep_iteration = cl.has("deep-iteration") || options.print_data_log;

  if (cl.has("offsets-decoder")) {
    options.parser = parse_offsets_record;
  } else if (cl.has("cluster-metadata-decoder")) {
    options.parser = [](const record::Record& r) -> StatusOr<ParsedRecord> { return parse_cluster_metadata_record(r); };
  } else if (cl.has("key-decoder-class") || cl.has("value-decoder-class")) {
    const std::string kDefault = "org.apache.kafka.tools.api.StringDecoder";
    std::optional<BytesDecoder> decoders[2];
    const char* names[2] = {"key-decoder-class", "value-decoder-class"};
    for (int i = 0; i < 2; ++i) {
      std::string class_name = cl.value(names[i], kDefault);
      decoders[i] = decoder_named(class_name);
      if (!decoders[i]) {
        err << "--" << names[i] << " " << class_name
            << " is not supported: Gregor runs no Java decoders (StringDecoder, IntegerDecoder and LongDecoder are "
               "built in)\n";
        return 1;
      }
    }
    options.parser = decoder_parser(std::move(*decoders[0]), std::move(*decoders[1]));
  }

  storage::PosixFileSystem fs;
  Status s = storage::dump_files(fs, split_list(cl.value("files")), options, out, err);
  out.flush();
  if (!s.ok()) {
    err << "Error: " << s.message() << '\n';
    return 1;
  }
  return 0;
}

}  // namespace gregor::tools
