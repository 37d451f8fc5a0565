#include "storage/file_system.h"

#include <cerrno>
#include <cstring>

namespace gregor::storage {

bool is_no_space(const Status& status) { return status.sys_errno() == ENOSPC || status.sys_errno() == EDQUOT; }

Status io_error(const std::string& what, const std::string& path, int err) {
  return Status(ErrorCode::kafka_storage_error, what + " " + path + ": " + std::strerror(err), err);
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::string parent_path(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string file_name(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Status create_dirs_durably(FileSystem& fs, const std::string& dir) {
  std::vector<std::string> missing;
  for (std::string d = dir; !d.empty() && !fs.exists(d); d = parent_path(d)) {
    missing.push_back(d);
    if (parent_path(d) == d) break;
  }
  if (missing.empty()) return {};
  if (Status s = fs.create_dirs(dir); !s.ok()) return s;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (Status s = fs.sync_dir(parent_path(*it)); !s.ok()) return s;
  }
  return {};
}

StatusOr<Bytes> read_file(FileSystem& fs, const std::string& path) {
  auto file = fs.open(path, OpenMode::read_only);
  if (!file.ok()) return file.status();
  auto size = (*file)->size();
  if (!size.ok()) return size.status();
  Bytes contents(*size);
  auto n = (*file)->read_at(0, contents);
  if (!n.ok()) return n.status();
  contents.resize(*n);
  return contents;
}

Status write_file_atomically(FileSystem& fs, const std::string& path, BytesView contents) {
  std::string tmp = path + ".tmp";
  {
    auto file = fs.open(tmp, OpenMode::create);
    if (!file.ok()) return file.status();
    if (Status s = (*file)->truncate(0); !s.ok()) return s;
    if (Status s = (*file)->write_at(0, contents); !s.ok()) return s;
    if (Status s = (*file)->sync(); !s.ok()) return s;
  }
  if (Status s = fs.rename(tmp, path); !s.ok()) return s;
  return fs.sync_dir(parent_path(path));
}

}  // namespace gregor::storage
