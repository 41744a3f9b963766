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
  std::vector<std::shared_ptr<Item>> queue;
  int commits = 0;
  bool held = false;

  void flush();
  void post_flush();
};

void WriteBatch::State::post_flush() {
  boost::asio::post(io, [weak = weak_from_this()] {
    if (auto state = weak.lock()) state->flush();
  });
}

// Runs every queued write in one transaction, each in its own savepoint, then wakes them.
void WriteBatch::State::flush() {
  if (held) return;  // release() flushes
  auto items = std::move(queue);
  queue.clear();
  if (items.empty()) return;
  ++commits;
  auto committed = store.in_transaction([&]() -> StoreResult<void> {
    for (auto& item : items) item->result = store.in_transaction(item->fn);
    return {};
  });
  for (auto& item : items) {
    if (!committed) item->result = committed.error();
    item->done = true;
    item->wake.cancel();
  }
}

WriteBatch::WriteBatch(boost::asio::io_context& io, storage::RunStore& store)
    : m_state(std::make_shared<State>(io, store)) {}

WriteBatch::~WriteBatch() = default;

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

boost::asio::awaitable<StoreResult<storage::RunRow>> WriteBatch::transition(
    std::int64_t id, storage::RunState to, SysMillis now, storage::RunUpdate update) {
  co_return co_await transition(id, to, now, std::move(update), nullptr);
}

boost::asio::awaitable<StoreResult<storage::RunRow>> WriteBatch::transition(
    std::int64_t id, storage::RunState to, SysMillis now, storage::RunUpdate update,
    std::function<StoreResult<void>(const storage::RunRow&)> also) {
  storage::RunRow row;
  auto& store = m_state->store;
  auto r = co_await write([&]() -> StoreResult<void> {
    auto t = store.transition(id, to, now, update);
    if (!t) return t.error();
    if (also) {
      if (auto a = also(*t); !a) return a.error();
    }
    row = std::move(*t);
    return {};
  });
  if (!r) co_return r.error();
  co_return row;
}

boost::asio::awaitable<StoreResult<void>> WriteBatch::update(std::int64_t id,
                                                             storage::RunUpdate update) {
  auto& store = m_state->store;
  co_return co_await write([&, id]() { return store.update(id, update); });
}

}  // namespace bsched::core
