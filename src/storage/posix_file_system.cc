#include "storage/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gregor::storage {
namespace {

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }

  Status write_at(uint64_t offset, BytesView data) override {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("write to", path_, errno);
      }
      done += static_cast<size_t>(n);
    }
    return {};
  }

  StatusOr<size_t> read_at(uint64_t offset, std::span<uint8_t> out) override {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("read from", path_, errno);
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

  Status sync() override {
    if (::fdatasync(fd_) != 0) return io_error("fdatasync of", path_, errno);
    return {};
  }

  Status truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return io_error("truncate of", path_, errno);
    return {};
  }

  StatusOr<uint64_t> size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return io_error("stat of", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  int native_handle() const override { return fd_; }
  const std::string& path() const override { return path_; }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

StatusOr<std::shared_ptr<File>> PosixFileSystem::open(const std::string& path, OpenMode mode) {
  int flags = O_CLOEXEC;
  switch (mode) {
    case OpenMode::read_only: flags |= O_RDONLY; break;
    case OpenMode::read_write: flags |= O_RDWR; break;
    case OpenMode::create: flags |= O_RDWR | O_CREAT; break;
    case OpenMode::create_exclusive: flags |= O_RDWR | O_CREAT | O_EXCL; break;
  }
  int fd;
  do {
    fd = ::open(path.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return io_error("open of", path, errno);
  return std::shared_ptr<File>(std::make_shared<PosixFile>(fd, path));
}

bool PosixFileSystem::exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

StatusOr<std::vector<std::string>> PosixFileSystem::list(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return io_error("listing of", dir, errno);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(d);
  return names;
}

Status PosixFileSystem::create_dirs(const std::string& dir) {
  if (dir.empty() || exists(dir)) return {};
  std::string parent = parent_path(dir);
  if (parent != dir && parent != ".") {
    if (Status s = create_dirs(parent); !s.ok()) return s;
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return io_error("mkdir of", dir, errno);
  return {};
}

Status PosixFileSystem::remove(const std::string& path) {
  if (::remove(path.c_str()) != 0) return io_error("removal of", path, errno);
  return {};
}

Status PosixFileSystem::rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return io_error("rename to " + to + " of", from, errno);
  return {};
}

Status PosixFileSystem::sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open of", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("fsync of", dir, err);
  return {};
}

}  // namespace gregor::storage
