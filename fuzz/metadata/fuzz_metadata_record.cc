// Arbitrary bytes as the value of a __cluster_metadata record: the frame header, then the body of
// whatever record type and version it names. Whatever decodes must re-encode, and re-encoding must
// be stable: encode(decode(encode(decode(x)))) == encode(decode(x)). Bytes are compared, not
// structs. A decoded record may fail to encode only because its unknown tagged fields came out of
// order, which a reader accepts and a writer refuses, as in Kafka.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "metadata/record_serde.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gregor;
  auto first = metadata::decode_record(BytesView(data, size));
  if (!first.ok()) return 0;
  Bytes once;
  if (auto err = metadata::encode_record(*first, once)) {
    if (err->find("out of ascending order") == std::string::npos) std::abort();
    return 0;
  }
  auto second = metadata::decode_record(once);
  if (!second.ok() || second->api_key() != first->api_key() || second->version != first->version) std::abort();
  Bytes twice;
  if (metadata::encode_record(*second, twice) || once != twice) std::abort();
  return 0;
}
