#include "protocol/frame.h"

namespace gregor::protocol {

Decoded<RequestFrame> read_request_header(BytesView frame) {
  Decoded<RequestFrame> d;
  ByteReader peek(frame);
  const int16_t key = peek.read_int16("RequestApiKey");
  const int16_t version = peek.read_int16("RequestApiVersion");
  if (!peek.ok()) {
    d.error = peek.error();
    return d;
  }
  ByteReader r(frame);
  d.value.header_version = request_header_version(key, version);
  d.value.header.decode(r, d.value.header_version);
  if (!r.ok()) {
    d.error = r.error();
    return d;
  }
  d.value.body_offset = r.offset();
  d.value.body = frame.subview(r.offset(), r.remaining());
  return d;
}

}  // namespace gregor::protocol
