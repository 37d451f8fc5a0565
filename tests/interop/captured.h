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

// Decodes every record batch (magic 2) or legacy message (magic 0 and 1) of every Produce
// request with Gregor's record readers, checking CRCs; each batch's codec and magic are appended
// to `codecs` and `magics` when given.
std::vector<ProducedRecord> produced_records(const std::vector<CapturedRequest>& reqs,
                                             std::vector<record::Compression>* codecs,
                                             std::vector<int8_t>* magics = nullptr);

bool has_api(const std::vector<CapturedRequest>& reqs, int16_t key);

}  // namespace gregor::testing
