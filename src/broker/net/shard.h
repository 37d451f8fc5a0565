// Thread-per-core: one shard per core, each a thread running its own Asio event loop. A shard
// owns the partitions that hash to it and the connections it accepted; other shards reach its
// state only by posting work to its loop (invoke_on), never by locking it.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

namespace gregor::broker {

class Shard {
 public:
  explicit Shard(unsigned id) : id_(id), work_(asio::make_work_guard(context_)) {}
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;
  ~Shard() { join(); }

  unsigned id() const { return id_; }
  asio::io_context& context() { return context_; }
  asio::io_context::executor_type executor() { return context_.get_executor(); }

  // Runs the loop on a thread of its own, until stop().
  void start();
  // Lets the loop end once its work is done; join() waits for that.
  void stop();
  void join();
  // The shard whose loop runs on the calling thread, if any.
  static Shard* current();

 private:
  unsigned id_;
  asio::io_context context_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

// Runs fn on the target shard and resumes the caller on its own executor with the result:
// message passing between cores. fn must not touch the caller's state.
//
// GCC 12 can destroy a lambda temporary written inside a co_await expression twice: in a
// coroutine, name a lambda whose captures have destructors (a shared_ptr, a std::function, a
// request) before passing it to invoke_on or anything else awaited.
template <typename F, typename R = std::invoke_result_t<F>>
  requires(!std::is_void_v<R>)
asio::awaitable<R> invoke_on(Shard& target, F fn) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
      [&target, fn = std::move(fn)](auto handler) mutable {
        auto back = asio::get_associated_executor(handler);
        asio::post(target.executor(), [fn = std::move(fn), handler = std::move(handler), back]() mutable {
          R result = fn();
          asio::post(back, [handler = std::move(handler), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
          });
        });
      },
      asio::use_awaitable);
}

// As invoke_on, for work that finishes later on the target shard: fn gets a reply callback
// to call (once, on the target shard) with the result.
template <typename R, typename F>
asio::awaitable<R> invoke_on_async(Shard& target, F fn) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
      [&target, fn = std::move(fn)](auto handler) mutable {
        auto back = asio::get_associated_executor(handler);
        asio::post(target.executor(), [fn = std::move(fn), handler = std::move(handler), back]() mutable {
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          fn([shared, back](R result) {
            asio::post(back, [shared, result = std::move(result)]() mutable { std::move (*shared)(std::move(result)); });
          });
        });
      },
      asio::use_awaitable);
}

// Runs the tasks concurrently on the calling shard and returns their results in order. The
// tasks must not throw.
template <typename T>
asio::awaitable<std::vector<T>> when_all(std::vector<asio::awaitable<T>> tasks) {
  auto executor = co_await asio::this_coro::executor;
  struct State {
    std::vector<std::optional<T>> results;
    size_t remaining;
    asio::steady_timer done;
  };
  auto state = std::make_shared<State>(State{std::vector<std::optional<T>>(tasks.size()), tasks.size(),
                                             asio::steady_timer(executor, asio::steady_timer::time_point::max())});
  for (size_t i = 0; i < tasks.size(); ++i) {
    asio::co_spawn(
        executor,
        [state, i, task = std::move(tasks[i])]() mutable -> asio::awaitable<void> {
          state->results[i].emplace(co_await std::move(task));
          if (--state->remaining == 0) state->done.cancel();
        },
        asio::detached);
  }
  if (state->remaining > 0) {
    std::error_code ignored;
    co_await state->done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  std::vector<T> out;
  out.reserve(state->results.size());
  for (auto& r : state->results) out.push_back(std::move(*r));
  co_return out;
}

}  // namespace gregor::broker
