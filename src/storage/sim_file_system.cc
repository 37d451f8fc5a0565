#include "storage/sim_file_system.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <utility>

namespace gregor::storage {
namespace sim_internal {

struct Node {
  explicit Node(bool dir) : is_dir(dir) {}
  virtual ~Node() = default;
  const bool is_dir;
};

// A write_at or truncate not yet written back.
struct FileOp {
  bool truncate = false;
  uint64_t offset = 0;  // write: where it starts; truncate: the new size
  Bytes data;
};

struct FileNode final : Node {
  FileNode() : Node(false) {}
  Bytes current;
  Bytes durable;
  // Applied to durable, in order, by sync; a prefix of them by crash.
  std::vector<FileOp> pending;
  // The file's space is in use while a directory entry or a live File refers to it.
  int links = 0;
  int open_handles = 0;
};

// Shared by the two halves of a rename across directories: the unlink in the source directory
// survives a crash only if the link in the target directory does, so the file is never lost
// because one directory's operations reached the disk and the other's did not.
struct CrossRename {
  bool target_durable = false;
  bool target_applied = false;  // scratch for crash()
};

struct DirOp {
  enum class Kind { link, unlink, rename };
  Kind kind = Kind::link;
  std::string name;            // the entry; for rename, its old name
  std::string to;              // rename: the new name, in the same directory
  std::shared_ptr<Node> node;  // link, rename: what the entry refers to
  std::shared_ptr<CrossRename> cross;
};

using Entries = std::map<std::string, std::shared_ptr<Node>>;

struct DirNode final : Node {
  DirNode() : Node(true) {}
  Entries current;
  // Always durable + pending == current (a failed sync_dir has no effect).
  Entries durable;
  std::vector<DirOp> pending;
};

struct InjectedFailure {
  SimOp op;
  std::string path_substring;
  int err;
  int remaining;
};

namespace {

// Keeps a stray huge offset from turning into a huge allocation.
constexpr uint64_t kMaxFileSize = uint64_t{1} << 30;

// Uniform in [0, n), n > 0. Not std::uniform_int_distribution: its output differs between
// standard libraries, and a seed should replay the same crash everywhere. The modulo bias is
// irrelevant here.
uint64_t pick(std::mt19937_64& rng, uint64_t n) { return rng() % n; }

void apply_write(Bytes& b, uint64_t offset, BytesView data) {
  if (data.empty()) return;  // like pwrite of nothing: no change, even past the end
  uint64_t end = offset + data.size();
  if (b.size() < end) b.resize(end);
  std::memcpy(b.data() + offset, data.data(), data.size());
}

void apply(Bytes& b, const FileOp& op) {
  if (op.truncate) {
    b.resize(op.offset);
  } else {
    apply_write(b, op.offset, op.data);
  }
}

void apply(Entries& entries, const DirOp& op) {
  switch (op.kind) {
    case DirOp::Kind::link: entries[op.name] = op.node; break;
    case DirOp::Kind::unlink: entries.erase(op.name); break;
    case DirOp::Kind::rename:
      entries.erase(op.name);
      entries[op.to] = op.node;
      break;
  }
}

// Components of a path: '/' separated, "" and "." dropped, ".." pops.
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string part = path.substr(start, slash - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(std::move(part));
    }
    start = slash + 1;
  }
  return parts;
}

}  // namespace

struct State {
  explicit State(SimFileSystem::Options o) : options(o), rng(o.seed) {}

  std::mutex mu;
  const SimFileSystem::Options options;
  std::mt19937_64 rng;  // for writes torn at a crash point
  std::shared_ptr<DirNode> root = std::make_shared<DirNode>();
  // Bumped by crash(); Files opened in an earlier generation are dead.
  uint64_t generation = 0;
  uint64_t used = 0;
  std::optional<uint64_t> space_limit;
  std::optional<uint64_t> crash_budget;
  bool halted = false;
  uint64_t mutations = 0;
  uint64_t syncs = 0;
  std::vector<InjectedFailure> failures;

  // Walks parts[0, n) from the root: 0 and the directory, or ENOENT / ENOTDIR, or EINVAL when
  // the walk passes through forbidden (a directory being moved into its own subtree).
  int walk(const std::vector<std::string>& parts, size_t n, DirNode** out,
           const Node* forbidden = nullptr) const {
    DirNode* dir = root.get();
    for (size_t i = 0; i < n; ++i) {
      auto it = dir->current.find(parts[i]);
      if (it == dir->current.end()) return ENOENT;
      if (!it->second->is_dir) return ENOTDIR;
      if (it->second.get() == forbidden) return EINVAL;
      dir = static_cast<DirNode*>(it->second.get());
    }
    *out = dir;
    return 0;
  }

  // 0 and the node at path (the root for ""), or an errno.
  int lookup(const std::string& path, std::shared_ptr<Node>* out) const {
    std::vector<std::string> parts = split_path(path);
    if (parts.empty()) {
      *out = root;
      return 0;
    }
    DirNode* dir;
    if (int err = walk(parts, parts.size() - 1, &dir)) return err;
    auto it = dir->current.find(parts.back());
    if (it == dir->current.end()) return ENOENT;
    *out = it->second;
    return 0;
  }

  // Called just before a mutating operation takes effect. True when the crash point is reached:
  // the file system halts and the operation must fail with EIO instead.
  bool at_crash_point() {
    if (crash_budget && *crash_budget == 0) halted = true;
    return halted;
  }

  // Called after a mutating operation succeeded.
  void count_mutation() {
    ++mutations;
    if (crash_budget) --*crash_budget;
  }

  // The errno of an injected failure of op on path (or other), which it uses up; 0 when none.
  int take_failure(SimOp op, const std::string& path, const std::string& other = {}) {
    for (auto it = failures.begin(); it != failures.end(); ++it) {
      if (it->op != op) continue;
      const std::string& sub = it->path_substring;
      bool matches = path.find(sub) != std::string::npos ||
                     (!other.empty() && other.find(sub) != std::string::npos);
      if (!matches) continue;
      int err = it->err;
      if (--it->remaining == 0) failures.erase(it);
      return err;
    }
    return 0;
  }

  // How many bytes the files may still grow by.
  uint64_t available() const {
    if (!space_limit) return std::numeric_limits<uint64_t>::max();
    return *space_limit > used ? *space_limit - used : 0;
  }

  // Called when a file loses a directory entry or a File: once neither refers to it, its space
  // is free.
  void release_if_unused(const FileNode& f) {
    if (f.links == 0 && f.open_handles == 0) used -= f.current.size();
  }

  void sync_dir(DirNode& d) {
    for (const DirOp& op : d.pending) {
      if (op.cross && op.kind == DirOp::Kind::link) op.cross->target_durable = true;
    }
    d.durable = d.current;
    d.pending.clear();
  }

  // Every directory and file reachable in the current namespace, each once, parents first.
  void reachable(std::vector<std::shared_ptr<DirNode>>* dirs,
                 std::vector<std::shared_ptr<FileNode>>* files) const {
    std::set<const Node*> seen{root.get()};
    dirs->push_back(root);
    for (size_t i = 0; i < dirs->size(); ++i) {
      // Copy: push_back may reallocate.
      std::shared_ptr<DirNode> dir = (*dirs)[i];
      for (const auto& [name, node] : dir->current) {
        if (!seen.insert(node.get()).second) continue;
        if (node->is_dir) {
          dirs->push_back(std::static_pointer_cast<DirNode>(node));
        } else {
          files->push_back(std::static_pointer_cast<FileNode>(node));
        }
      }
    }
  }

  // The contents a crash leaves in f: durable plus a random prefix of the pending operations,
  // the last write maybe torn.
  Bytes crashed_contents(const FileNode& f, std::mt19937_64& crash_rng) const {
    Bytes b = f.durable;
    size_t keep = pick(crash_rng, f.pending.size() + 1);
    for (size_t i = 0; i < keep; ++i) {
      const FileOp& op = f.pending[i];
      bool last = i + 1 == keep;
      if (!last || op.truncate || pick(crash_rng, 2) == 0) {
        apply(b, op);
        continue;
      }
      // Torn: the sectors of the write reach the disk in no particular order; model the common
      // outcomes, a prefix that landed followed by either the old bytes or garbage.
      size_t landed = pick(crash_rng, op.data.size());
      if (options.torn_garbage && pick(crash_rng, 2) == 0) {
        Bytes garbled = op.data;
        for (size_t j = landed; j < garbled.size(); ++j) {
          garbled[j] = static_cast<uint8_t>(crash_rng());
        }
        apply_write(b, op.offset, garbled);
      } else {
        apply_write(b, op.offset, BytesView(op.data).subview(0, landed));
      }
    }
    return b;
  }
};

}  // namespace sim_internal

namespace {

using sim_internal::DirNode;
using sim_internal::DirOp;
using sim_internal::FileNode;
using sim_internal::FileOp;
using sim_internal::kMaxFileSize;
using sim_internal::Node;
using sim_internal::State;

class SimFile final : public File {
 public:
  // Under the state lock; the caller has counted the handle in node->open_handles.
  SimFile(std::shared_ptr<State> state, std::shared_ptr<FileNode> node, std::string path,
          bool writable)
      : state_(std::move(state)),
        node_(std::move(node)),
        path_(std::move(path)),
        writable_(writable),
        generation_(state_->generation) {}

  ~SimFile() override {
    std::lock_guard lock(state_->mu);
    if (dead()) return;  // crash() already forgot this handle
    --node_->open_handles;
    state_->release_if_unused(*node_);
  }

  Status write_at(uint64_t offset, BytesView data) override {
    std::lock_guard lock(state_->mu);
    if (Status s = check("write to"); !s.ok()) return s;
    if (!writable_) return io_error("write to", path_, EBADF);
    if (offset > kMaxFileSize || data.size() > kMaxFileSize - offset) {
      return io_error("write to", path_, EFBIG);
    }
    if (state_->at_crash_point()) {
      // The process dies during the write; part of it may already be in the page cache.
      size_t landed = sim_internal::pick(state_->rng, data.size() + 1);
      write_prefix(offset, data.subview(0, fitting(offset, landed)));
      return io_error("write to", path_, EIO);
    }
    if (int err = state_->take_failure(SimOp::write, path_)) {
      return io_error("write to", path_, err);
    }
    size_t fits = fitting(offset, data.size());
    write_prefix(offset, data.subview(0, fits));
    if (fits < data.size()) return io_error("write to", path_, ENOSPC);
    state_->count_mutation();
    return {};
  }

  StatusOr<size_t> read_at(uint64_t offset, std::span<uint8_t> out) override {
    std::lock_guard lock(state_->mu);
    if (Status s = check("read from"); !s.ok()) return s;
    if (int err = state_->take_failure(SimOp::read, path_)) {
      return io_error("read from", path_, err);
    }
    const Bytes& b = node_->current;
    if (offset >= b.size()) return size_t{0};
    size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), b.size() - offset));
    std::memcpy(out.data(), b.data() + offset, n);
    return n;
  }

  Status sync() override {
    std::lock_guard lock(state_->mu);
    if (Status s = check("fdatasync of"); !s.ok()) return s;
    if (state_->at_crash_point()) return io_error("fdatasync of", path_, EIO);
    FileNode& f = *node_;
    if (int err = state_->take_failure(SimOp::sync, path_)) {
      // fsyncgate: the kernel marks the pages clean although writing them failed, so the
      // unsynced data is gone from the disk's point of view but still in the cache.
      f.pending.clear();
      return io_error("fdatasync of", path_, err);
    }
    // Write back the pending operations rather than copying current: after a failed sync the
    // two differ and the lost writes must stay lost.
    for (const FileOp& op : f.pending) sim_internal::apply(f.durable, op);
    f.pending.clear();
    ++state_->syncs;
    state_->count_mutation();
    return {};
  }

  Status truncate(uint64_t size) override {
    std::lock_guard lock(state_->mu);
    if (Status s = check("truncate of"); !s.ok()) return s;
    if (!writable_) return io_error("truncate of", path_, EBADF);
    if (size > kMaxFileSize) return io_error("truncate of", path_, EFBIG);
    if (state_->at_crash_point()) return io_error("truncate of", path_, EIO);
    if (int err = state_->take_failure(SimOp::truncate, path_)) {
      return io_error("truncate of", path_, err);
    }
    FileNode& f = *node_;
    uint64_t before = f.current.size();
    if (size > before && size - before > state_->available()) {
      return io_error("truncate of", path_, ENOSPC);
    }
    f.current.resize(size);
    state_->used = state_->used - before + size;
    f.pending.push_back(FileOp{true, size, {}});
    state_->count_mutation();
    return {};
  }

  StatusOr<uint64_t> size() override {
    std::lock_guard lock(state_->mu);
    if (Status s = check("stat of"); !s.ok()) return s;
    return static_cast<uint64_t>(node_->current.size());
  }

  const std::string& path() const override { return path_; }

 private:
  bool dead() const { return generation_ != state_->generation; }

  // EIO once the file died in a crash or the process "died" at a crash point.
  Status check(const char* what) const {
    if (dead() || state_->halted) return io_error(what, path_, EIO);
    return {};
  }

  // How much of a write of n bytes at offset fits within the space limit.
  size_t fitting(uint64_t offset, size_t n) const {
    uint64_t size = node_->current.size();
    uint64_t end = offset + n;
    if (end <= size || end - size <= state_->available()) return n;
    uint64_t max_end = size + state_->available();
    return offset >= max_end ? 0 : static_cast<size_t>(max_end - offset);
  }

  void write_prefix(uint64_t offset, BytesView data) {
    if (data.empty()) return;
    FileNode& f = *node_;
    uint64_t before = f.current.size();
    sim_internal::apply_write(f.current, offset, data);
    state_->used += f.current.size() - before;
    f.pending.push_back(FileOp{false, offset, data.to_bytes()});
  }

  const std::shared_ptr<State> state_;
  const std::shared_ptr<FileNode> node_;
  const std::string path_;
  const bool writable_;
  const uint64_t generation_;
};

}  // namespace

SimFileSystem::SimFileSystem() : SimFileSystem(Options{}) {}

SimFileSystem::SimFileSystem(Options options) : state_(std::make_shared<State>(options)) {}

SimFileSystem::~SimFileSystem() = default;

StatusOr<std::shared_ptr<File>> SimFileSystem::open(const std::string& path, OpenMode mode) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  if (st.halted) return io_error("open of", path, EIO);
  std::vector<std::string> parts = sim_internal::split_path(path);
  if (parts.empty()) return io_error("open of", path, EISDIR);
  DirNode* dir;
  if (int err = st.walk(parts, parts.size() - 1, &dir)) return io_error("open of", path, err);
  const std::string& name = parts.back();

  std::shared_ptr<FileNode> file;
  if (auto it = dir->current.find(name); it != dir->current.end()) {
    if (it->second->is_dir) return io_error("open of", path, EISDIR);
    if (mode == OpenMode::create_exclusive) return io_error("open of", path, EEXIST);
    if (int err = st.take_failure(SimOp::open, path)) return io_error("open of", path, err);
    file = std::static_pointer_cast<FileNode>(it->second);
  } else {
    if (mode == OpenMode::read_only || mode == OpenMode::read_write) {
      return io_error("open of", path, ENOENT);
    }
    if (st.at_crash_point()) return io_error("open of", path, EIO);
    if (int err = st.take_failure(SimOp::open, path)) return io_error("open of", path, err);
    file = std::make_shared<FileNode>();
    file->links = 1;
    dir->current[name] = file;
    dir->pending.push_back(DirOp{DirOp::Kind::link, name, {}, file, nullptr});
    st.count_mutation();
  }
  ++file->open_handles;
  return std::shared_ptr<File>(
      std::make_shared<SimFile>(state_, std::move(file), path, mode != OpenMode::read_only));
}

bool SimFileSystem::exists(const std::string& path) {
  std::lock_guard lock(state_->mu);
  std::shared_ptr<Node> node;
  return !state_->halted && state_->lookup(path, &node) == 0;
}

StatusOr<std::vector<std::string>> SimFileSystem::list(const std::string& dir) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  if (st.halted) return io_error("listing of", dir, EIO);
  std::vector<std::string> parts = sim_internal::split_path(dir);
  DirNode* d;
  if (int err = st.walk(parts, parts.size(), &d)) return io_error("listing of", dir, err);
  std::vector<std::string> names;
  names.reserve(d->current.size());
  for (const auto& entry : d->current) names.push_back(entry.first);
  return names;
}

Status SimFileSystem::create_dirs(const std::string& dir) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  if (st.halted) return io_error("mkdir of", dir, EIO);
  std::vector<std::string> parts = sim_internal::split_path(dir);
  // Find the existing part first, so that a failure has no effect.
  DirNode* d = st.root.get();
  size_t i = 0;
  for (; i < parts.size(); ++i) {
    auto it = d->current.find(parts[i]);
    if (it == d->current.end()) break;
    if (!it->second->is_dir) return io_error("mkdir of", dir, ENOTDIR);
    d = static_cast<DirNode*>(it->second.get());
  }
  if (st.at_crash_point()) return io_error("mkdir of", dir, EIO);
  for (; i < parts.size(); ++i) {
    auto child = std::make_shared<DirNode>();
    d->current[parts[i]] = child;
    d->pending.push_back(DirOp{DirOp::Kind::link, parts[i], {}, child, nullptr});
    d = child.get();
  }
  st.count_mutation();
  return {};
}

Status SimFileSystem::remove(const std::string& path) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  if (st.halted) return io_error("removal of", path, EIO);
  std::vector<std::string> parts = sim_internal::split_path(path);
  if (parts.empty()) return io_error("removal of", path, EBUSY);
  DirNode* dir;
  if (int err = st.walk(parts, parts.size() - 1, &dir)) return io_error("removal of", path, err);
  auto it = dir->current.find(parts.back());
  if (it == dir->current.end()) return io_error("removal of", path, ENOENT);
  std::shared_ptr<Node> node = it->second;
  if (node->is_dir && !static_cast<DirNode&>(*node).current.empty()) {
    return io_error("removal of", path, ENOTEMPTY);
  }
  if (st.at_crash_point()) return io_error("removal of", path, EIO);
  if (int err = st.take_failure(SimOp::remove, path)) return io_error("removal of", path, err);
  dir->current.erase(it);
  dir->pending.push_back(DirOp{DirOp::Kind::unlink, parts.back(), {}, nullptr, nullptr});
  if (!node->is_dir) {
    auto& file = static_cast<FileNode&>(*node);
    --file.links;
    st.release_if_unused(file);
  }
  st.count_mutation();
  return {};
}

Status SimFileSystem::rename(const std::string& from, const std::string& to) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  const std::string what = "rename to " + to + " of";
  if (st.halted) return io_error(what, from, EIO);
  std::vector<std::string> from_parts = sim_internal::split_path(from);
  std::vector<std::string> to_parts = sim_internal::split_path(to);
  if (from_parts.empty() || to_parts.empty()) return io_error(what, from, EBUSY);
  DirNode* from_dir;
  if (int err = st.walk(from_parts, from_parts.size() - 1, &from_dir)) {
    return io_error(what, from, err);
  }
  const std::string& from_name = from_parts.back();
  auto it = from_dir->current.find(from_name);
  if (it == from_dir->current.end()) return io_error(what, from, ENOENT);
  std::shared_ptr<Node> node = it->second;
  DirNode* to_dir;
  const Node* moved_dir = node->is_dir ? node.get() : nullptr;
  if (int err = st.walk(to_parts, to_parts.size() - 1, &to_dir, moved_dir)) {
    return io_error(what, from, err);
  }
  const std::string& to_name = to_parts.back();
  std::shared_ptr<Node> replaced;
  if (auto existing = to_dir->current.find(to_name); existing != to_dir->current.end()) {
    replaced = existing->second;
  }
  if (replaced && replaced != node) {
    if (node->is_dir && !replaced->is_dir) return io_error(what, from, ENOTDIR);
    if (!node->is_dir && replaced->is_dir) return io_error(what, from, EISDIR);
    if (replaced->is_dir && !static_cast<DirNode&>(*replaced).current.empty()) {
      return io_error(what, from, ENOTEMPTY);
    }
  }
  if (st.at_crash_point()) return io_error(what, from, EIO);
  if (int err = st.take_failure(SimOp::rename, from, to)) return io_error(what, from, err);
  // Renaming a file onto itself (or onto another link to it) does nothing, as in rename(2).
  if (replaced != node) {
    from_dir->current.erase(from_name);
    to_dir->current[to_name] = node;
    if (from_dir == to_dir) {
      from_dir->pending.push_back(DirOp{DirOp::Kind::rename, from_name, to_name, node, nullptr});
    } else {
      auto cross = std::make_shared<sim_internal::CrossRename>();
      from_dir->pending.push_back(DirOp{DirOp::Kind::unlink, from_name, {}, nullptr, cross});
      to_dir->pending.push_back(DirOp{DirOp::Kind::link, to_name, {}, node, cross});
    }
    if (replaced && !replaced->is_dir) {
      auto& file = static_cast<FileNode&>(*replaced);
      --file.links;
      st.release_if_unused(file);
    }
  }
  st.count_mutation();
  return {};
}

Status SimFileSystem::sync_dir(const std::string& dir) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  if (st.halted) return io_error("fsync of", dir, EIO);
  std::vector<std::string> parts = sim_internal::split_path(dir);
  DirNode* d;
  if (int err = st.walk(parts, parts.size(), &d)) return io_error("fsync of", dir, err);
  if (st.at_crash_point()) return io_error("fsync of", dir, EIO);
  if (int err = st.take_failure(SimOp::sync_dir, dir)) return io_error("fsync of", dir, err);
  st.sync_dir(*d);
  st.count_mutation();
  return {};
}

void SimFileSystem::crash(uint64_t seed) {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  std::mt19937_64 rng(seed);

  // Every directory that may be reachable afterwards: the entries after the crash come from the
  // durable entries and the pending operations. Strong references, since replacing entries
  // below may drop the last other one.
  std::vector<std::shared_ptr<DirNode>> dirs{st.root};
  {
    std::set<const Node*> seen{st.root.get()};
    auto visit = [&](const std::shared_ptr<Node>& node) {
      if (node && node->is_dir && seen.insert(node.get()).second) {
        dirs.push_back(std::static_pointer_cast<DirNode>(node));
      }
    };
    for (size_t i = 0; i < dirs.size(); ++i) {
      std::shared_ptr<DirNode> d = dirs[i];  // copy: visit may reallocate dirs
      for (const auto& entry : d->durable) visit(entry.second);
      for (const DirOp& op : d->pending) visit(op.node);
    }
  }

  // How many pending operations each directory keeps.
  std::vector<size_t> keep(dirs.size());
  for (size_t i = 0; i < dirs.size(); ++i) {
    keep[i] = sim_internal::pick(rng, dirs[i]->pending.size() + 1);
  }
  // Cut a source directory's prefix before a cross-directory unlink whose link was not kept.
  // Cutting may drop the link half of another rename, so repeat until nothing changes; the
  // prefixes only shrink, so this ends.
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& d : dirs) {
      for (const DirOp& op : d->pending) {
        if (op.cross) op.cross->target_applied = false;
      }
    }
    for (size_t i = 0; i < dirs.size(); ++i) {
      for (size_t j = 0; j < keep[i]; ++j) {
        const DirOp& op = dirs[i]->pending[j];
        if (op.cross && op.kind == DirOp::Kind::link) op.cross->target_applied = true;
      }
    }
    for (size_t i = 0; i < dirs.size(); ++i) {
      for (size_t j = 0; j < keep[i]; ++j) {
        const DirOp& op = dirs[i]->pending[j];
        if (op.cross && op.kind == DirOp::Kind::unlink && !op.cross->target_durable &&
            !op.cross->target_applied) {
          keep[i] = j;
          changed = true;
          break;
        }
      }
    }
  }

  // Compute every directory's entries before changing any: they are computed from the old state.
  std::vector<sim_internal::Entries> after(dirs.size());
  for (size_t i = 0; i < dirs.size(); ++i) {
    after[i] = dirs[i]->durable;
    for (size_t j = 0; j < keep[i]; ++j) sim_internal::apply(after[i], dirs[i]->pending[j]);
  }
  for (size_t i = 0; i < dirs.size(); ++i) {
    dirs[i]->current = after[i];
    dirs[i]->durable = std::move(after[i]);
    dirs[i]->pending.clear();
  }

  // Only the files reachable now matter; the others can never be seen again.
  std::vector<std::shared_ptr<DirNode>> live_dirs;
  std::vector<std::shared_ptr<FileNode>> files;
  st.reachable(&live_dirs, &files);
  st.used = 0;
  for (const auto& f : files) {
    f->current = st.crashed_contents(*f, rng);
    f->durable = f->current;
    f->pending.clear();
    f->links = 0;
    f->open_handles = 0;
    st.used += f->current.size();
  }
  // A crash may leave a file under two names (a rename across directories half kept).
  for (const auto& d : live_dirs) {
    for (const auto& entry : d->current) {
      if (!entry.second->is_dir) ++static_cast<FileNode&>(*entry.second).links;
    }
  }

  ++st.generation;
  st.halted = false;
  st.crash_budget.reset();
}

void SimFileSystem::sync_all() {
  State& st = *state_;
  std::lock_guard lock(st.mu);
  std::vector<std::shared_ptr<DirNode>> dirs;
  std::vector<std::shared_ptr<FileNode>> files;
  st.reachable(&dirs, &files);
  for (const auto& d : dirs) st.sync_dir(*d);
  for (const auto& f : files) {
    for (const FileOp& op : f->pending) sim_internal::apply(f->durable, op);
    f->pending.clear();
  }
}

void SimFileSystem::set_crash_after(uint64_t n) {
  std::lock_guard lock(state_->mu);
  state_->crash_budget = n;
}

void SimFileSystem::clear_crash_after() {
  std::lock_guard lock(state_->mu);
  state_->crash_budget.reset();
}

bool SimFileSystem::halted() const {
  std::lock_guard lock(state_->mu);
  return state_->halted;
}

uint64_t SimFileSystem::mutation_count() const {
  std::lock_guard lock(state_->mu);
  return state_->mutations;
}

void SimFileSystem::set_space_limit(std::optional<uint64_t> bytes) {
  std::lock_guard lock(state_->mu);
  state_->space_limit = bytes;
}

void SimFileSystem::inject_failure(SimOp op, std::string path_substring, int err, int count) {
  if (err == 0 || count <= 0) return;
  std::lock_guard lock(state_->mu);
  state_->failures.push_back({op, std::move(path_substring), err, count});
}

void SimFileSystem::clear_injected_failures() {
  std::lock_guard lock(state_->mu);
  state_->failures.clear();
}

StatusOr<Bytes> SimFileSystem::contents(const std::string& path) const {
  std::lock_guard lock(state_->mu);
  std::shared_ptr<Node> node;
  if (int err = state_->lookup(path, &node)) return io_error("contents of", path, err);
  if (node->is_dir) return io_error("contents of", path, EISDIR);
  return static_cast<const FileNode&>(*node).current;
}

StatusOr<Bytes> SimFileSystem::durable_contents(const std::string& path) const {
  std::lock_guard lock(state_->mu);
  std::shared_ptr<Node> node;
  if (int err = state_->lookup(path, &node)) return io_error("durable contents of", path, err);
  if (node->is_dir) return io_error("durable contents of", path, EISDIR);
  return static_cast<const FileNode&>(*node).durable;
}

uint64_t SimFileSystem::total_bytes() const {
  std::lock_guard lock(state_->mu);
  return state_->used;
}

size_t SimFileSystem::file_count() const {
  std::lock_guard lock(state_->mu);
  std::vector<std::shared_ptr<DirNode>> dirs;
  std::vector<std::shared_ptr<FileNode>> files;
  state_->reachable(&dirs, &files);
  return files.size();
}

uint64_t SimFileSystem::sync_count() const {
  std::lock_guard lock(state_->mu);
  return state_->syncs;
}

}  // namespace gregor::storage
