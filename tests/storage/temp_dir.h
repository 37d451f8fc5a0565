// A fresh directory under the test temp dir, removed with everything in it, for tests that use
// the real file system.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "storage/file_system.h"

namespace gregor::storage::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = join_path(::testing::TempDir(), "gregor-storage-XXXXXX");
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << "mkdtemp " << pattern;
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return join_path(path_, name); }

 private:
  std::string path_;
};

}  // namespace gregor::storage::testing
