// Group commit: see write_batch.h.
#include "daemon/core/write_batch.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bsched::core {

using storage::StoreResult;

namespace {

// One queued write; its waiter sleeps on `wake` (never expiring) until the flush cancels it.
struct Item {
  explicit Item(boost::asio::io_context& io) : wake(io, boost::asio::steady_timer::time_point::max()) {}
  std::function<StoreResult<void>()> fn;
  StoreResult<void> result;
  bool done = false;
  boost::asio::steady_timer wake;
};

}  // namespace

struct WriteBatch::State : std::enable_shared_from_this<WriteBatch::State> {
  State(boost::asio::io_context& io, storage::RunStore& store) : io(io), store(store) {}
  boost::asio::io_context& io;
  storage::RunStore& store;
  Elsewhere elsewhere;  // where commits run; empty: on io, at once
  std::vector<std::shared_ptr<Item>> queue;
  int commits = 0;
  bool held = false;
  bool committing = false;  // a commit runs on `thread`
  bool closed = false;      // the WriteBatch is gone: commit nothing more

  void flush();
  void post_flush();
  // Every write of `items` in one transaction, each in its own savepoint (any thread).
  static StoreResult<void> commit(storage::RunStore& store,
                                  const std::vector<std::shared_ptr<Item>>& items);
  void wake(const std::vector<std::shared_ptr<Item>>& items, const StoreResult<void>& committed);
};

void WriteBatch::State::post_flush() {
  boost::asio::post(io, [weak = weak_from_this()] {
    if (auto state = weak.lock()) state->flush();
  });
}

namespace {

// fn(), with an exception (a driver's) as an io error.
StoreResult<void> guarded(const std::function<StoreResult<void>()>& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return storage::StoreError{storage::StoreErrorKind::io,
                               std::string("the commit failed: ") + e.what()};
  }
}

}  // namespace

StoreResult<void> WriteBatch::State::commit(storage::RunStore& store,
                                            const std::vector<std::shared_ptr<Item>>& items) {
  return guarded([&] {
    return store.in_transaction([&]() -> StoreResult<void> {
      for (auto& item : items) item->result = store.in_transaction(item->fn);
      return {};
    });
  });
}

void WriteBatch::State::wake(const std::vector<std::shared_ptr<Item>>& items,
                             const StoreResult<void>& committed) {
  for (auto& item : items) {
    if (!committed) item->result = committed.error();
    item->done = true;
    item->wake.cancel();
  }
}

// Commits the queued writes (here, or on the batch's thread), then wakes their waiters.
void WriteBatch::State::flush() {
  if (held || committing || closed) return;  // release() or the running commit's end flushes
  auto items = std::move(queue);
  queue.clear();
  if (items.empty()) return;
  ++commits;
  if (!elsewhere) {
    wake(items, commit(store, items));
    return;
  }
  committing = true;
  elsewhere([self = shared_from_this(), items = std::move(items)]() mutable {
    auto committed = commit(self->store, items);
    auto& io = self->io;
    boost::asio::post(io, [self = std::move(self), items = std::move(items),
                           committed = std::move(committed)] {
      self->committing = false;
      self->wake(items, committed);
      if (!self->queue.empty()) self->flush();
    });
  });
}

WriteBatch::WriteBatch(boost::asio::io_context& io, storage::RunStore& store, bool own_thread)
    : m_state(std::make_shared<State>(io, store)) {
  if (own_thread) {
    m_thread = std::make_unique<boost::asio::thread_pool>(1);
    m_state->elsewhere = [thread = m_thread.get()](std::function<void()> work) {
      boost::asio::post(*thread, std::move(work));
    };
  }
}

WriteBatch::WriteBatch(boost::asio::io_context& io, storage::RunStore& store, Elsewhere elsewhere)
    : m_state(std::make_shared<State>(io, store)) {
  m_state->elsewhere = std::move(elsewhere);
}

WriteBatch::~WriteBatch() {
  m_state->closed = true;
  if (m_thread) m_thread->join();  // the commit in progress ends; its wake is queued on io
  m_state->elsewhere = nullptr;
}

bool WriteBatch::off_loop() const { return static_cast<bool>(m_state->elsewhere); }

int WriteBatch::commits() const { return m_state->commits; }

void WriteBatch::hold() { m_state->held = true; }

void WriteBatch::release() {
  if (!m_state->held) return;
  m_state->held = false;
  if (!m_state->queue.empty()) m_state->post_flush();
}

boost::asio::awaitable<StoreResult<void>> WriteBatch::write(
    std::function<StoreResult<void>()> fn) {
  auto item = std::make_shared<Item>(m_state->io);
  item->fn = std::move(fn);
  // The first write of this turn: flush once the turn's other writes have joined.
  if (m_state->queue.empty()) m_state->post_flush();
  m_state->queue.push_back(item);
  while (!item->done) {
    boost::system::error_code ec;
    co_await item->wake.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
  co_return item->result;
}

boost::asio::awaitable<StoreResult<void>> WriteBatch::transact(
    std::function<StoreResult<void>()> fn) {
  std::function<StoreResult<void>()> whole = [&store = m_state->store, fn = std::move(fn)] {
    return store.in_transaction(fn);
  };
  co_return co_await call(std::move(whole));
}

boost::asio::awaitable<StoreResult<void>> WriteBatch::call(std::function<StoreResult<void>()> fn) {
  auto& state = *m_state;
  if (!state.elsewhere) co_return guarded(fn);
  auto item = std::make_shared<Item>(state.io);
  item->fn = std::move(fn);
  // One work at a time, in order: this follows the commit in progress. Both references move
  // on to the loop: the timer is destroyed there, never on the thread.
  state.elsewhere([self = m_state, item]() mutable {
    auto result = guarded(item->fn);
    auto& io = self->io;
    boost::asio::post(io, [self = std::move(self), item = std::move(item),
                           result = std::move(result)] {
      item->result = result;
      item->done = true;
      item->wake.cancel();
    });
  });
  while (!item->done) {
    boost::system::error_code ec;
    co_await item->wake.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
  co_return item->result;
}

boost::asio::awaitable<StoreResult<storage::RunRow>> WriteBatch::transition(
    std::int64_t id, storage::RunState to, SysMillis now, storage::RunUpdate update) {
  co_return co_await transition(id, to, now, std::move(update), nullptr);
}

boost::asio::awaitable<StoreResult<storage::RunRow>> WriteBatch::transition(
    std::int64_t id, storage::RunState to, SysMillis now, storage::RunUpdate update,
    std::function<StoreResult<void>(const storage::RunRow&)> also) {
  auto row = std::make_shared<storage::RunRow>();
  // A named function, not a temporary in the co_await: g++ 12 destroys a lambda temporary's
  // init-captures twice there.
  std::function<StoreResult<void>()> fn = [&store = m_state->store, row, id, to, now,
                                           update = std::move(update),
                                           also = std::move(also)]() -> StoreResult<void> {
    auto t = store.transition(id, to, now, update);
    if (!t) return t.error();
    if (also) {
      if (auto a = also(*t); !a) return a.error();
    }
    *row = std::move(*t);
    return {};
  };
  auto r = co_await write(std::move(fn));
  if (!r) co_return r.error();
  co_return std::move(*row);
}

boost::asio::awaitable<StoreResult<void>> WriteBatch::update(std::int64_t id,
                                                             storage::RunUpdate update) {
  std::function<StoreResult<void>()> fn = [&store = m_state->store, id,
                                           update = std::move(update)]() {
    return store.update(id, update);
  };
  co_return co_await write(std::move(fn));
}

}  // namespace bsched::core
