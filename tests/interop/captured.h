// Checks shared by the interoperability tests on request frames captured from real clients.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "fake_broker.h"
#include "record/compression.h"

namespace gregor::testing {

// The frame decodes (header and body, no trailing bytes) and re-encodes to identical bytes.
void expect_reencodes_identically(const CapturedRequest& req);

struct ProducedRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  friend bool operator==(const ProducedRecord&, const ProducedRecord&) = default;
};
void PrintTo(const ProducedRecord& r, std::ostream* os);

// Decodes every record batch of every Produce request with Gregor's record reader, checking
// CRCs; each batch's codec is appended to `codecs`.
std::vector<ProducedRecord> produced_records(const std::vector<CapturedRequest>& reqs,
                                             std::vector<record::Compression>* codecs);

bool has_api(const std::vector<CapturedRequest>& reqs, int16_t key);

}  // namespace gregor::testing
