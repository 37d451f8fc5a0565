// A blocking Kafka client over a plain socket, for tests that need exact control of the bytes.
#pragma once

#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <future>
#include <optional>
#include <utility>

#include "common/endian.h"
#include "protocol/frame.h"
#include "broker/net/shard.h"
#include "protocol/generated/message/api_versions_request.h"
#include "protocol/generated/message/api_versions_response.h"
#include "protocol/generated/message/produce_request.h"

namespace gregor::broker {

// Runs fn on the shard's loop from a test's thread and returns its result.
template <typename F>
auto run_on(Shard& shard, F fn) {
  std::promise<std::invoke_result_t<F>> done;
  asio::post(shard.executor(), [&] { done.set_value(fn()); });
  return done.get_future().get();
}

class Client {
 public:
  explicit Client(int port) : socket_(io_) {
    asio::ip::tcp::resolver resolver(io_);
    asio::connect(socket_, resolver.resolve("127.0.0.1", std::to_string(port)));
  }
  void send_raw(BytesView bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }
  void send_api_versions(int16_t version, int32_t correlation_id) {
    protocol::RequestHeader header;
    header.request_api_key = 18;
    header.request_api_version = version;
    header.correlation_id = correlation_id;
    header.client_id = "network-test";
    protocol::ApiVersionsRequest request;
    request.client_software_name = "gregor-test";
    request.client_software_version = "1.0";
    Bytes out;
    if (version > protocol::ApiVersionsRequest::kValidVersions.hi) {
      // A version the codec does not know: write the header by hand, body empty.
      ByteWriter w(out);
      size_t at = w.reserve_int32();
      w.write_int16(18);
      w.write_int16(version);
      w.write_int32(correlation_id);
      w.write_nullable_string(std::string("network-test"), false);
      w.write_uvarint(0);  // tagged fields
      w.patch_int32(at, static_cast<int32_t>(w.size() - at - 4));
    } else {
      ASSERT_FALSE(protocol::write_request(header, request, out));
    }
    send_raw(out);
  }
  // The next response frame (without its size), or nullopt when the broker closed the connection.
  std::optional<Bytes> read_frame() {
    uint8_t size_bytes[4];
    std::error_code ec;
    asio::read(socket_, asio::buffer(size_bytes), ec);
    if (ec) return std::nullopt;
    Bytes frame(static_cast<size_t>(load_be<int32_t>(size_bytes)));
    asio::read(socket_, asio::buffer(frame.data(), frame.size()), ec);
    if (ec) return std::nullopt;
    return frame;
  }
  // Sends body as version `version` of its API.
  template <typename Request>
  void send(const Request& body, int16_t version, int32_t correlation_id) {
    protocol::RequestHeader header;
    header.request_api_key = Request::kApiKey;
    header.request_api_version = version;
    header.correlation_id = correlation_id;
    header.client_id = "raw-client";
    Bytes out;
    ASSERT_FALSE(protocol::write_request(header, body, out));
    send_raw(out);
  }
  // Reads the next response as Response at version; nullopt when the connection closed. Its
  // bytes fields point into the frame, kept until the next receive.
  template <typename Response>
  std::optional<std::pair<int32_t, Response>> receive(int16_t version) {
    auto frame = read_frame();
    if (!frame) return std::nullopt;
    last_frame_ = std::move(*frame);
    ByteReader r(last_frame_);
    protocol::ResponseHeader header;
    header.decode(r, protocol::response_header_version(Response::kApiKey, version));
    EXPECT_TRUE(r.ok());
    auto body = protocol::decode_message<Response>(BytesView(last_frame_).subview(r.offset(), r.remaining()), version);
    EXPECT_TRUE(body.ok()) << (body.ok() ? "" : body.error().to_string());
    if (!body.ok()) return std::nullopt;
    return std::make_pair(header.correlation_id, std::move(*body));
  }
  // Response header v0 (ApiVersions always uses it): correlation id, then the body.
  static std::pair<int32_t, protocol::ApiVersionsResponse> api_versions(const Bytes& frame, int16_t version) {
    int32_t correlation = load_be<int32_t>(frame.data());
    auto body = protocol::decode_message<protocol::ApiVersionsResponse>(BytesView(frame).subview(4, frame.size() - 4),
                                                                         version);
    EXPECT_TRUE(body.ok());
    return {correlation, body.ok() ? *body : protocol::ApiVersionsResponse{}};
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  Bytes last_frame_;
};

// One request and its response, which must carry the request's correlation id: Response{} (and a
// test failure) when none came back.
template <typename Response, typename Request>
Response round_trip(Client& client, const Request& request, int16_t version, int32_t correlation) {
  client.send(request, version, correlation);
  auto response = client.receive<Response>(version);
  EXPECT_TRUE(response) << Request::kName << " v" << version << " got no answer";
  if (!response) return Response{};
  EXPECT_EQ(response->first, correlation);
  return std::move(response->second);
}

// A Produce request (acks=all) of one batch to one partition; the batch must outlive it.
inline protocol::ProduceRequest produce_request(const std::string& topic, int32_t partition, BytesView batch) {
  protocol::ProduceRequest r;
  r.acks = -1;
  r.timeout_ms = 30000;
  auto& t = r.topic_data.emplace_back();
  t.name = topic;
  auto& p = t.partition_data.emplace_back();
  p.index = partition;
  p.records = batch;
  return r;
}

}  // namespace gregor::broker
