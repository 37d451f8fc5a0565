// Fuzzes what the broker does first with untrusted bytes: read a request header, then decode the
// body for that API and version. The same body is also decoded as the API's response (what a
// client reads). Re-encoding must be stable: encode(decode(encode(decode(x)))) ==
// encode(decode(x)). Bytes are compared, not structs, so NaN float64 values compare equal to
// themselves. A decoded message may fail to encode only because its unknown tagged fields came
// out of order, which a reader accepts and a writer refuses, as in Kafka.
#include <cstdint>
#include <cstdlib>

#include "protocol/frame.h"
#include "protocol/generated/api_visit.h"

namespace {

using namespace gregor;
using namespace gregor::protocol;

template <typename T>
void check(BytesView body, int16_t version) {
  auto first = decode_message<T>(body, version);
  if (!first.ok()) return;
  Bytes once;
  if (auto err = encode_message(first.value(), version, once)) {
    if (err->find("out of ascending order") == std::string::npos) std::abort();
    return;
  }
  auto second = decode_message<T>(once, version);
  if (!second.ok()) std::abort();
  Bytes twice;
  if (encode_message(second.value(), version, twice) || once != twice) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const BytesView frame(data, size);
  auto request = read_request_header(frame);
  if (!request.ok()) return 0;
  const int16_t key = request->header.request_api_key;
  const int16_t version = request->header.request_api_version;
  visit_api(key, [&](auto request_type, auto response_type) {
    using Request = typename decltype(request_type)::type;
    using Response = typename decltype(response_type)::type;
    if (!Request::kValidVersions.contains(version)) return;
    check<Request>(request->body, version);
    check<Response>(request->body, version);
  });
  return 0;
}
