// The version the gregor command and its tools report.
#pragma once

namespace gregor::tools {

inline constexpr const char* kGregorVersion = "0.1.0";

}  // namespace gregor::tools
