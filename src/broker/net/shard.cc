#include "broker/net/shard.h"

namespace gregor::broker {

namespace {
thread_local Shard* current_shard = nullptr;
}

void Shard::start() {
  thread_ = std::thread([this] {
    current_shard = this;
    context_.run();
    current_shard = nullptr;
  });
}

void Shard::stop() { work_.reset(); }

void Shard::join() {
  if (thread_.joinable()) thread_.join();
}

Shard* Shard::current() { return current_shard; }

}  // namespace gregor::broker
