// What a handler gets and gives: the decoded request header with the connection it came on, and
// the response frame, made of encoded bytes and log slices the connection sends with sendfile.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "protocol/frame.h"
#include "storage/segment.h"

namespace gregor::broker {

struct RequestContext {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::string client_id;
  std::string client_address;  // "host:port" of the peer
  std::string listener;         // the listener name, e.g. PLAINTEXT
  unsigned shard = 0;           // the shard the connection lives on
};

// One response frame, the size prefix included, as parts sent in order.
struct Response {
  using Part = std::variant<Bytes, storage::FileSlice>;
  std::vector<Part> parts;
  size_t size() const;
};

// What handling a request ends in: a response, nothing (acks=0 produce), or closing the
// connection (a request Kafka would refuse to parse) with a line for the log.
struct HandlerResult {
  std::optional<Response> response;
  std::optional<std::string> close_reason;

  static HandlerResult none() { return {}; }
  static HandlerResult close(std::string why) { return HandlerResult{std::nullopt, std::move(why)}; }
};

// Encodes body as the response to ctx's request.
template <typename Body>
HandlerResult respond(const RequestContext& ctx, const Body& body) {
  Bytes out;
  if (auto err = protocol::write_response(ctx.api_key, ctx.api_version, ctx.correlation_id, body, out)) {
    return HandlerResult::close("could not encode the response: " + *err);
  }
  HandlerResult r;
  r.response.emplace();
  r.response->parts.emplace_back(std::move(out));
  return r;
}

// Encodes body as the response to ctx's request, its deferred bytes fields
// (BytesView::deferred) filled from slices in the order the encoder meets them: the frame goes
// out as encoded parts with the slices sent between them by sendfile, never copied.
template <typename Body>
HandlerResult respond_spliced(const RequestContext& ctx, const Body& body, const std::vector<storage::FileSlice>& slices) {
  Bytes out;
  ByteWriter w(out);
  std::vector<ByteWriter::Deferred> deferred;
  w.set_deferred_sink(&deferred);
  const size_t size_at = w.reserve_int32();
  protocol::ResponseHeader header;
  header.correlation_id = ctx.correlation_id;
  header.encode(w, protocol::response_header_version(ctx.api_key, ctx.api_version));
  body.encode(w, ctx.api_version);
  if (!w.ok()) return HandlerResult::close("could not encode the response: " + w.error());
  if (deferred.size() != slices.size()) return HandlerResult::close("the response's log slices do not match its fields");
  size_t total = out.size() - size_at - 4;
  for (size_t i = 0; i < deferred.size(); ++i) {
    if (deferred[i].size != slices[i].size) return HandlerResult::close("a log slice does not match its field");
    total += deferred[i].size;
  }
  if (total > static_cast<size_t>(INT32_MAX)) return HandlerResult::close("the response is over 2 GiB");
  w.patch_int32(size_at, static_cast<int32_t>(total));
  HandlerResult r;
  r.response.emplace();
  size_t from = 0;
  for (size_t i = 0; i < deferred.size(); ++i) {
    r.response->parts.emplace_back(Bytes(out.begin() + static_cast<ptrdiff_t>(from),
                                         out.begin() + static_cast<ptrdiff_t>(deferred[i].position)));
    r.response->parts.emplace_back(slices[i]);
    from = deferred[i].position;
  }
  r.response->parts.emplace_back(Bytes(out.begin() + static_cast<ptrdiff_t>(from), out.end()));
  return r;
}

}  // namespace gregor::broker
