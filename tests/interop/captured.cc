#include "captured.h"

#include "protocol/frame.h"
#include "protocol/generated/api_visit.h"
#include "record/batch_walker.h"
#include "record/legacy.h"
#include "record/record.h"
#include "record/record_batch.h"

namespace gregor::testing {

namespace p = gregor::protocol;

namespace {
std::optional<std::string> as_string(const std::optional<BytesView>& v) {
  if (!v) return std::nullopt;
  return std::string(v->as_chars());
}
}  // namespace

void expect_reencodes_identically(const CapturedRequest& req) {
  SCOPED_TRACE("api " + std::to_string(req.api_key) + " v" + std::to_string(req.api_version) +
               " frame " + to_hex(req.frame));
  auto frame = p::read_request_header(req.frame);
  ASSERT_TRUE(frame.ok()) << frame.error().to_string();
  const bool known = p::visit_api(req.api_key, [&](auto request_type, auto) {
    using Request = typename decltype(request_type)::type;
    auto body = p::decode_message<Request>(frame->body, req.api_version, p::TrailingBytes::reject,
                                             frame->body_offset);
    ASSERT_TRUE(body.ok()) << body.error().to_string();
    Bytes again;
    ByteWriter w(again);
    frame->header.encode(w, frame->header_version);
    body->encode(w, req.api_version);
    ASSERT_TRUE(w.ok()) << w.error();
    EXPECT_EQ(to_hex(again), to_hex(req.frame));
  });
  EXPECT_TRUE(known);
}

namespace {

ProducedRecord to_produced(const record::Record& r) {
  ProducedRecord pr{as_string(r.key), as_string(r.value), {}};
  for (const auto& h : r.headers) pr.headers.emplace_back(std::string(h.key), as_string(h.value));
  return pr;
}

void read_batch(const record::BatchEntry& entry, std::vector<record::Compression>* codecs,
                std::vector<ProducedRecord>& out) {
  auto batch = record::RecordBatchView::parse(entry.bytes);
  ASSERT_TRUE(batch.ok()) << batch.error().to_string();
  EXPECT_FALSE(batch->verify_crc());
  if (codecs) codecs->push_back(batch->compression());
  record::RecordReader reader(1 << 20);
  auto err = reader.open(*batch);
  ASSERT_FALSE(err) << err->to_string();
  record::Record r;
  while (reader.next(r)) out.push_back(to_produced(r));
  EXPECT_TRUE(reader.ok()) << reader.error().to_string();
}

void read_legacy_entry(const record::BatchEntry& entry, std::vector<record::Compression>* codecs,
                       std::vector<ProducedRecord>& out) {
  auto message = record::LegacyBatchView::parse(entry.bytes);
  ASSERT_TRUE(message.ok()) << message.error().to_string();
  EXPECT_FALSE(message->verify_crc());
  if (codecs) codecs->push_back(message->compression());
  record::LegacyRecordReader reader(1 << 20);
  auto err = reader.open(*message);
  ASSERT_FALSE(err) << err->to_string();
  record::Record r;
  while (reader.next(r)) out.push_back(to_produced(r));
}

}  // namespace

std::vector<ProducedRecord> produced_records(const std::vector<CapturedRequest>& reqs,
                                             std::vector<record::Compression>* codecs,
                                             std::vector<int8_t>* magics) {
  std::vector<ProducedRecord> out;
  for (const auto& req : reqs) {
    if (req.api_key != p::ProduceRequest::kApiKey) continue;
    auto frame = p::read_request_header(req.frame);
    if (!frame.ok()) {
      ADD_FAILURE() << frame.error().to_string();
      continue;
    }
    auto body = p::decode_message<p::ProduceRequest>(frame->body, req.api_version);
    if (!body.ok()) {
      ADD_FAILURE() << body.error().to_string();
      continue;
    }
    for (const auto& topic : body->topic_data) {
      for (const auto& part : topic.partition_data) {
        if (!part.records) continue;
        record::BatchWalker walker(*part.records);
        record::BatchEntry entry;
        while (walker.next(entry)) {
          if (magics) magics->push_back(entry.magic);
          if (entry.magic < 2) {
            read_legacy_entry(entry, codecs, out);
          } else {
            read_batch(entry, codecs, out);
          }
        }
        EXPECT_TRUE(walker.ok()) << walker.error().to_string();
        EXPECT_EQ(walker.partial_tail(), 0u);
      }
    }
  }
  return out;
}

void PrintTo(const ProducedRecord& r, std::ostream* os) {
  auto show = [](const std::optional<std::string>& s) {
    if (!s) return std::string("null");
    return s->size() > 40 ? "\"" + s->substr(0, 40) + "...\"" : "\"" + *s + "\"";
  };
  *os << "{key " << show(r.key) << ", value " << show(r.value) << ", headers [";
  for (const auto& [k, v] : r.headers) *os << k << "=" << show(v) << " ";
  *os << "]}";
}

bool has_api(const std::vector<CapturedRequest>& reqs, int16_t key) {
  for (const auto& r : reqs)
    if (r.api_key == key) return true;
  return false;
}

}  // namespace gregor::testing
