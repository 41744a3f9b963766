// A store lane: where a store call runs when it must not hold the event loop (PostgreSQL: a
// thread of its own), resuming the caller on the loop once the call has ended. The engine's
// lane is its WriteBatch (WriteBatch::call); the alert dispatcher has one of its own.
#pragma once

#include "storage/run_store.h"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>

namespace bsched::storage {

// Runs `call` elsewhere (or here at once) and resumes the caller on the loop with its result.
using StoreLane =
    std::function<boost::asio::awaitable<StoreResult<void>>(std::function<StoreResult<void>()> call)>;

// `fn(store)` through `lane`, its value carried back (a lane carries only success or an
// error). `fn` owns what it uses: it may run on another thread.
template <class T>
boost::asio::awaitable<StoreResult<T>> call_on_lane(const StoreLane& lane, RunStore& store,
                                                    std::function<StoreResult<T>(RunStore&)> fn) {
  auto out = std::make_shared<std::optional<StoreResult<T>>>();
  std::function<StoreResult<void>()> run = [&store, fn = std::move(fn),
                                            out]() -> StoreResult<void> {
    *out = fn(store);
    if (!**out) return (*out)->error();
    return {};
  };
  auto r = co_await lane(std::move(run));
  if (!r) co_return r.error();
  co_return std::move(**out);
}

}  // namespace bsched::storage
