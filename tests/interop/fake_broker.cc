#include "fake_broker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/byte_reader.h"
#include "protocol/frame.h"
#include "protocol/generated/message/api_versions_request.h"
#include "protocol/generated/message/api_versions_response.h"
#include "protocol/generated/message/fetch_request.h"
#include "protocol/generated/message/fetch_response.h"
#include "protocol/generated/message/list_offsets_request.h"
#include "protocol/generated/message/list_offsets_response.h"
#include "protocol/generated/message/metadata_request.h"
#include "protocol/generated/message/metadata_response.h"
#include "protocol/generated/message/offset_for_leader_epoch_request.h"
#include "protocol/generated/message/offset_for_leader_epoch_response.h"
#include "protocol/generated/message/produce_request.h"
#include "protocol/generated/message/produce_response.h"

namespace gregor::testing {

namespace p = gregor::protocol;

namespace {

constexpr int32_t kNodeId = 1;
constexpr int32_t kLeaderEpoch = 0;

bool read_full(int fd, uint8_t* buf, size_t n) {
  while (n > 0) {
    const ssize_t r = recv(fd, buf, n, 0);
    if (r <= 0) return false;
    buf += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool write_full(int fd, const uint8_t* buf, size_t n) {
  while (n > 0) {
    const ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    buf += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

template <typename Req>
bool decode_body(const CapturedRequest& req, Req& out) {
  auto frame = p::read_request_header(req.frame);
  if (!frame.ok()) return false;
  auto body = p::decode_message<Req>(frame->body, req.api_version);
  if (!body.ok()) return false;
  out = std::move(body.value());
  return true;
}

}  // namespace

FakeBroker::FakeBroker(std::string topic) : topic_(std::move(topic)) {
  topic_id_ = Uuid::from_halves(0x6772e6f7200000aaull, 0x1122334455667788ull);
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listen_fd_, 16) != 0) {
    std::perror("fake broker: bind/listen");
    std::abort();
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeBroker::~FakeBroker() {
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (int fd : conn_fds_) shutdown(fd, SHUT_RDWR);
    threads.swap(conn_threads_);
  }
  for (auto& t : threads) t.join();
}

void FakeBroker::set_log(Bytes batches, int64_t end_offset) {
  std::lock_guard lock(mu_);
  log_ = std::move(batches);
  log_end_offset_ = end_offset;
}

std::vector<CapturedRequest> FakeBroker::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

bool FakeBroker::wait_for(const std::function<bool(const std::vector<CapturedRequest>&)>& pred,
                          std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return pred(requests_); });
}

void FakeBroker::accept_loop() {
  while (!stopping_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (poll(&pfd, 1, -1) <= 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    conn_fds_.push_back(fd);
    conn_threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void FakeBroker::serve(int fd) {
  for (;;) {
    uint8_t size_buf[4];
    if (!read_full(fd, size_buf, 4)) break;
    ByteReader sr(BytesView(size_buf, 4));
    const int32_t size = sr.read_int32("size");
    if (size < 4 || size > (64 << 20)) break;
    CapturedRequest req;
    req.frame.resize(static_cast<size_t>(size));
    if (!read_full(fd, req.frame.data(), req.frame.size())) break;
    ByteReader hr(req.frame);
    req.api_key = hr.read_int16("key");
    req.api_version = hr.read_int16("version");
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
      // GREGOR_CAPTURE_DIR=<dir> keeps every frame as a file: seeds for fuzz/corpus/fuzz_request.
      if (const char* dir = std::getenv("GREGOR_CAPTURE_DIR")) {
        const std::string path = std::string(dir) + "/" + std::to_string(port_) + "-" +
                                 std::to_string(requests_.size()) + ".bin";
        if (FILE* f = std::fopen(path.c_str(), "wb")) {
          std::fwrite(req.frame.data(), 1, req.frame.size(), f);
          std::fclose(f);
        }
      }
    }
    changed_.notify_all();
    Bytes out;
    if (!respond(req, out)) break;
    if (!out.empty() && !write_full(fd, out.data(), out.size())) break;
  }
  close(fd);
}

bool FakeBroker::respond(const CapturedRequest& req, Bytes& out) {
  auto frame = p::read_request_header(req.frame);
  if (!frame.ok()) return false;
  const int32_t corr = frame->header.correlation_id;
  const int16_t v = req.api_version;
  switch (req.api_key) {
    case p::ApiVersionsRequest::kApiKey: {
      p::ApiVersionsResponse resp;
      if (!p::ApiVersionsRequest::kValidVersions.contains(v)) {
        // As Kafka does: answer an unknown version with v0 and the versions it supports.
        resp.error_code = 35;  // UNSUPPORTED_VERSION
      }
      // Advertise what a broker listener advertises: clients infer features from the whole
      // list (librdkafka enables LZ4 only when FindCoordinator is there).
      for (const auto& api : p::all_apis()) {
        if (api.listeners & p::kBroker) resp.api_keys.push_back({api.key, api.versions.lo, api.versions.hi, {}});
      }
      const int16_t rv = resp.error_code ? 0 : v;
      return !p::write_response(req.api_key, rv, corr, resp, out);
    }
    case p::MetadataRequest::kApiKey: {
      p::MetadataResponse resp;
      resp.brokers.push_back({kNodeId, "127.0.0.1", port_, std::nullopt, {}});
      resp.cluster_id = "gregor-interop";
      resp.controller_id = kNodeId;
      auto& t = resp.topics.emplace_back();
      t.name = topic_;
      t.topic_id = topic_id_;
      auto& part = t.partitions.emplace_back();
      part.leader_id = kNodeId;
      part.leader_epoch = kLeaderEpoch;
      part.replica_nodes = {kNodeId};
      part.isr_nodes = {kNodeId};
      return !p::write_response(req.api_key, v, corr, resp, out);
    }
    case p::ProduceRequest::kApiKey: {
      p::ProduceRequest body;
      if (!decode_body(req, body)) return false;
      if (body.acks == 0) return true;  // no response for acks=0, as in Kafka
      p::ProduceResponse resp;
      for (const auto& topic : body.topic_data) {
        auto& tr = resp.responses.emplace_back();
        tr.name = topic.name;
        for (const auto& pd : topic.partition_data) {
          auto& pr = tr.partition_responses.emplace_back();
          pr.index = pd.index;
          std::lock_guard lock(mu_);
          pr.base_offset = produced_;
          pr.log_start_offset = 0;
          produced_ += 1;
        }
      }
      return !p::write_response(req.api_key, v, corr, resp, out);
    }
    case p::ListOffsetsRequest::kApiKey: {
      p::ListOffsetsRequest body;
      if (!decode_body(req, body)) return false;
      p::ListOffsetsResponse resp;
      std::lock_guard lock(mu_);
      for (const auto& topic : body.topics) {
        auto& tr = resp.topics.emplace_back();
        tr.name = topic.name;
        for (const auto& part : topic.partitions) {
          auto& pr = tr.partitions.emplace_back();
          pr.partition_index = part.partition_index;
          pr.timestamp = -1;
          pr.offset = part.timestamp == -2 ? 0 : log_end_offset_;
          pr.old_style_offsets = {pr.offset};
          pr.leader_epoch = kLeaderEpoch;
        }
      }
      return !p::write_response(req.api_key, v, corr, resp, out);
    }
    case p::OffsetForLeaderEpochRequest::kApiKey: {
      p::OffsetForLeaderEpochRequest body;
      if (!decode_body(req, body)) return false;
      p::OffsetForLeaderEpochResponse resp;
      std::lock_guard lock(mu_);
      for (const auto& topic : body.topics) {
        auto& tr = resp.topics.emplace_back();
        tr.topic = topic.topic;
        for (const auto& part : topic.partitions) {
          auto& pr = tr.partitions.emplace_back();
          pr.partition = part.partition;
          pr.leader_epoch = kLeaderEpoch;
          pr.end_offset = log_end_offset_;
        }
      }
      return !p::write_response(req.api_key, v, corr, resp, out);
    }
    case p::FetchRequest::kApiKey: {
      p::FetchRequest body;
      if (!decode_body(req, body)) return false;
      p::FetchResponse resp;
      bool any_data = false;
      {
        std::lock_guard lock(mu_);
        for (const auto& topic : body.topics) {
          auto& tr = resp.responses.emplace_back();
          tr.topic = topic.topic;
          tr.topic_id = topic.topic_id;
          for (const auto& part : topic.partitions) {
            auto& pr = tr.partitions.emplace_back();
            pr.partition_index = part.partition;
            pr.high_watermark = log_end_offset_;
            pr.last_stable_offset = log_end_offset_;
            pr.log_start_offset = 0;
            // Serve the whole log from offset 0; clients skip records below their position.
            if (part.fetch_offset < log_end_offset_) {
              pr.records = BytesView(log_);
              any_data = true;
            } else {
              pr.records = BytesView();
            }
          }
        }
      }
      if (!any_data) {
        // Long poll as a broker would, so an idle consumer does not spin.
        std::unique_lock lock(mu_);
        changed_.wait_for(lock, std::chrono::milliseconds(std::min(body.max_wait_ms, 100)),
                          [this] { return stopping_.load(); });
      }
      std::lock_guard lock(mu_);
      return !p::write_response(req.api_key, v, corr, resp, out);
    }
    default:
      return false;  // unknown to this fake: drop the connection
  }
}

}  // namespace gregor::testing
