// Group commit for the run trackers: the state writes asked for in one turn of the event loop
// share one durable transaction (one fsync) instead of one each.
//
// A tracker co_awaits transition() or update(); the first request of a turn posts one flush,
// which runs every queued write inside one RunStore::in_transaction, each write in its own
// nested in_transaction (a SAVEPOINT: a refused write rolls back only itself), commits, and
// resumes every waiter with its own result. A failed commit gives every write that error. A
// waiter resumes only after the commit, so a state is durable before the caller acts on it.
//
// Threads: every member is called on the io_context's one thread. Without `own_thread` the
// commit runs there too (SQLite: a local file). With it the commit runs on a thread of the
// batch's own (or wherever an Elsewhere puts it) and the waiters resume on the io_context once
// it ended (PostgreSQL: a database that stalls holds only the writes waiting for it, not the
// event loop). transact() and call() take the same way for the engine's other store calls. One commit at a
// time: writes asked for meanwhile join the next one. The store must then accept calls from
// another thread (PgRunStore serializes them), and a write's fn must own what it uses.
#pragma once

#include "storage/run_store.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <memory>
#include <vector>

namespace bsched::core {

class WriteBatch {
 public:
  // Where commits run when not on the loop: calls work() later, one work at a time in the
  // order given (a thread of the batch's own; the simulation: later turns of the loop, at
  // simulated instants). The waiters resume on the loop either way.
  using Elsewhere = std::function<void(std::function<void()> work)>;

  WriteBatch(boost::asio::io_context& io, storage::RunStore& store, bool own_thread = false);
  WriteBatch(boost::asio::io_context& io, storage::RunStore& store, Elsewhere elsewhere);
  // Waits for a commit in progress on the batch's thread; its waiters still resume on the
  // io_context. Nothing more is committed.
  ~WriteBatch();
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;

  // RunStore::transition / update, committed with the other writes of this turn.
  boost::asio::awaitable<storage::StoreResult<storage::RunRow>> transition(
      std::int64_t id, storage::RunState to, SysMillis now, storage::RunUpdate update);
  // The same, with `also` run on the row reached inside the same savepoint: what it writes
  // (an alert event, a pause) commits with the transition or not at all.
  boost::asio::awaitable<storage::StoreResult<storage::RunRow>> transition(
      std::int64_t id, storage::RunState to, SysMillis now, storage::RunUpdate update,
      std::function<storage::StoreResult<void>(const storage::RunRow&)> also);
  boost::asio::awaitable<storage::StoreResult<void>> update(std::int64_t id,
                                                            storage::RunUpdate update);
  // Any write on the store, run in its own savepoint of the next flush (on the batch's thread
  // when it has one: `fn` owns what it uses).
  boost::asio::awaitable<storage::StoreResult<void>> write(
      std::function<storage::StoreResult<void>()> fn);
  // `fn` in a transaction of its own, neither grouped nor held: on the batch's thread when it
  // has one (after the commit in progress; `fn` owns what it uses), else here at once, without
  // suspending the caller. The fire loop's slot batches take this way.
  boost::asio::awaitable<storage::StoreResult<void>> transact(
      std::function<storage::StoreResult<void>()> fn);
  // The same without a transaction around `fn` (one store call is one already).
  boost::asio::awaitable<storage::StoreResult<void>> call(
      std::function<storage::StoreResult<void>()> fn);

  // While held, queued writes wait (the fire loop holds them while a burst of triggers is
  // still being planned and sent, so the answers' writes do not delay the later triggers);
  // release() commits them. Holding is not counted: one release ends any number of holds.
  void hold();
  void release();

  int commits() const;  // flushes run so far (each one outer transaction)
  // Whether transact() and call() run elsewhere (and so suspend their caller).
  bool off_loop() const;

 private:
  struct State;
  std::shared_ptr<State> m_state;
  std::unique_ptr<boost::asio::thread_pool> m_thread;  // the commits' thread (own_thread)
};

}  // namespace bsched::core
