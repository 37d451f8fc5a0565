#include "metadata/record_serde.h"

#include "common/byte_reader.h"
#include "common/byte_writer.h"

namespace gregor::metadata {

namespace {

constexpr size_t kTypeCount = std::variant_size_v<MetadataRecordBody>;

// Calls f(std::type_identity<T>{}) for the record type with this api key; false when none has it.
template <typename F, size_t I = 0>
bool visit_type(int16_t api_key, F&& f) {
  if constexpr (I < kTypeCount) {
    using T = std::variant_alternative_t<I, MetadataRecordBody>;
    if (T::kApiKey == api_key) {
      f(std::type_identity<T>{});
      return true;
    }
    return visit_type<F, I + 1>(api_key, std::forward<F>(f));
  } else {
    return false;
  }
}

std::string version_range_text(protocol::VersionRange range) {
  if (range.lo == range.hi) return "only version " + std::to_string(range.lo);
  return "versions " + std::to_string(range.lo) + " to " + std::to_string(range.hi);
}

// The frame's header fields are unsigned varints that Kafka reads into a Java short.
int16_t read_short_varint(ByteReader& r, const char* field) {
  const uint32_t v = r.read_uvarint(field);
  if (r.ok() && v > 0x7fff) r.fail(field, "value " + std::to_string(v) + " is too large");
  return static_cast<int16_t>(v);
}

}  // namespace

int16_t MetadataRecord::api_key() const {
  return std::visit([](const auto& r) { return std::remove_cvref_t<decltype(r)>::kApiKey; }, body);
}

const char* MetadataRecord::type_name() const {
  return std::visit([](const auto& r) { return std::remove_cvref_t<decltype(r)>::kName; }, body);
}

const char* record_type_name(int16_t api_key) {
  const char* name = nullptr;
  visit_type(api_key, [&](auto type) { name = decltype(type)::type::kName; });
  return name;
}

std::optional<std::string> encode_record(const MetadataRecord& record, Bytes& out) {
  const size_t original_size = out.size();
  std::optional<std::string> error;
  std::visit(
      [&](const auto& body) {
        using T = std::remove_cvref_t<decltype(body)>;
        if (!T::kValidVersions.contains(record.version)) {
          error = std::string(T::kName) + " version " + std::to_string(record.version) + " does not exist (" +
                  version_range_text(T::kValidVersions) + ")";
          return;
        }
        ByteWriter w(out);
        w.write_uvarint(kRecordFrameVersion);
        w.write_uvarint(static_cast<uint32_t>(T::kApiKey));
        w.write_uvarint(static_cast<uint32_t>(record.version));
        body.encode(w, record.version);
        if (!w.ok()) error = w.error();
      },
      record.body);
  if (error) out.resize(original_size);
  return error;
}

Result<MetadataRecord> decode_record(BytesView bytes, size_t base_offset) {
  ByteReader r(bytes, base_offset);
  const int16_t frame_version = read_short_varint(r, "frame version");
  if (r.ok() && frame_version == 0) {
    r.fail("frame version", "frame version 0 (the KRaft preview of Kafka 2.8) is not supported");
  } else if (r.ok() && static_cast<uint32_t>(frame_version) != kRecordFrameVersion) {
    r.fail("frame version", "unknown frame version " + std::to_string(frame_version) + " (only " +
                                std::to_string(kRecordFrameVersion) + " is supported)");
  }
  const int16_t api_key = read_short_varint(r, "type");
  const int16_t version = read_short_varint(r, "version");
  if (!r.ok()) return r.error();

  MetadataRecord record;
  const bool known = visit_type(api_key, [&](auto type) {
    using T = typename decltype(type)::type;
    if (!T::kValidVersions.contains(version)) {
      r.fail("version", std::string(T::kName) + " version " + std::to_string(version) + " is not supported (" +
                            version_range_text(T::kValidVersions) + ")");
      return;
    }
    T body;
    body.decode(r, version);
    record = MetadataRecord(std::move(body), version);
  });
  if (!known) r.fail("type", "unknown metadata record type " + std::to_string(api_key));
  if (r.ok() && !r.at_end()) {
    r.fail("", std::to_string(r.remaining()) + " byte(s) after the end of " + record.type_name());
  }
  if (!r.ok()) return r.error();
  return record;
}

}  // namespace gregor::metadata
