#include "protocol/frame.h"

namespace gregor::protocol {

Result<RequestFrame> read_request_header(BytesView frame) {
  ByteReader peek(frame);
  const int16_t key = peek.read_int16("RequestApiKey");
  const int16_t version = peek.read_int16("RequestApiVersion");
  if (!peek.ok()) return peek.error();
  if (!find_api(key)) return DecodeError{0, "RequestApiKey", "unknown API key " + std::to_string(key)};
  RequestFrame out;
  ByteReader r(frame);
  out.header_version = request_header_version(key, version);
  out.header.decode(r, out.header_version);
  if (!r.ok()) return r.error();
  out.body_offset = r.offset();
  out.body = frame.subview(r.offset(), r.remaining());
  return out;
}

}  // namespace gregor::protocol
