// The PostgreSQL store's database thread and its shared helpers (see pg_worker.h).
#include "storage/pg/pg_worker.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <fmt/core.h>

namespace bsched::storage::pg {

namespace asio = boost::asio;

PgWorker::PgWorker(std::string conninfo, std::string target, Millis deadline)
    : m_conninfo(std::move(conninfo)),
      m_target(std::move(target)),
      m_deadline(deadline),
      m_guard(asio::make_work_guard(m_io)) {
  m_thread = std::thread([this] { m_io.run(); });
}

PgWorker::~PgWorker() {
  // After every job queued before it (each ends by its own deadline), so no statement is
  // cut off in the middle; then the loop runs out of work and the thread ends.
  post(
      [this](PgSession&) -> awaitable<void> {
        m_conn.reset();
        co_return;
      },
      Steady::now());
  asio::post(m_io, [this] { m_guard.reset(); });
  m_thread.join();
}

void PgWorker::post(Job job, Steady::time_point until) {
  asio::post(m_io, [this, job = std::move(job), until]() mutable {
    m_queue.push_back({std::move(job), until});
    if (m_pumping) return;
    m_pumping = true;
    asio::co_spawn(m_io, pump(), [](std::exception_ptr) {});
  });
}

awaitable<void> PgWorker::pump() {
  while (!m_queue.empty()) {
    auto item = std::move(m_queue.front());
    m_queue.pop_front();
    PgSession session(*this, item.until);
    co_await item.job(session);
  }
  m_pumping = false;
}

bool PgSession::in_transaction() const { return m_worker.m_in_tx; }

bool PgSession::connected() const { return m_worker.m_conn && m_worker.m_conn->connected(); }

awaitable<StoreResult<PgRows>> PgSession::query(std::string_view sql, PgParams params) {
  auto& w = m_worker;
  auto left = [&] { return std::chrono::duration_cast<Millis>(m_until - Steady::now()); };
  if (left() <= Millis(0)) co_return no_answer(w.m_target, w.m_deadline);
  if (!connected()) {
    if (w.m_in_tx) {
      // Reconnecting would run the rest of the transaction's work outside it.
      w.m_tx_failed = true;
      co_return StoreError{StoreErrorKind::io,
                           fmt::format("PostgreSQL ({}): the connection was lost inside a "
                                       "transaction; its work was rolled back",
                                       w.m_target)};
    }
    w.m_conn.reset();
    auto c = co_await PgConnection::connect(w.m_io.get_executor(), w.m_conninfo, left());
    if (!c) {
      if (left() <= Millis(0)) co_return no_answer(w.m_target, w.m_deadline);
      co_return StoreError{StoreErrorKind::io, c.error().message};
    }
    w.m_conn = std::move(*c);
    if (left() <= Millis(0)) co_return no_answer(w.m_target, w.m_deadline);
    // The server gives up where the store does: no statement or open transaction of a call
    // that failed holds its locks on (other nodes wait on them).
    auto bounded = co_await w.m_conn->bound_server_waits(w.m_deadline, 2 * w.m_deadline, left());
    if (!bounded) {
      w.m_conn.reset();
      co_return StoreError{StoreErrorKind::io, bounded.error().message};
    }
  }
  auto r = co_await w.m_conn->query(sql, std::move(params), left());
  if (r) co_return std::move(*r);
  auto e = to_store_error(r.error());
  // The statement's own time-out names what was left of the call; say the call's deadline.
  if (!connected() && left() <= Millis(0)) {
    e = no_answer(w.m_target, w.m_deadline);
    e.message += "; the connection was closed";
  }
  if (w.m_in_tx && !w.m_tx_failed) {
    w.m_tx_failed = true;
    w.m_tx_error = e.message;
  }
  co_return e;
}

namespace {

// "PostgreSQL error 23505: …" (PgConnection's form of a server error): the SQLSTATE.
std::string_view sqlstate(std::string_view message) {
  constexpr std::string_view k_prefix = "PostgreSQL error ";
  auto at = message.find(k_prefix);
  if (at == std::string_view::npos || message.size() < at + k_prefix.size() + 5) return {};
  return message.substr(at + k_prefix.size(), 5);
}

}  // namespace

StoreError to_store_error(const Error& e) {
  auto state = sqlstate(e.message);
  auto kind = StoreErrorKind::io;
  if (state == "23505" && e.message.find("runs_slot_once") != std::string::npos)
    kind = StoreErrorKind::duplicate_slot;
  else if (state == "40001" || state == "40P01" || state == "55P03")
    kind = StoreErrorKind::busy;
  else if (state == "53100")
    kind = StoreErrorKind::full;
  return StoreError{kind, e.message};
}

StoreError no_answer(const std::string& target, Millis deadline) {
  return StoreError{StoreErrorKind::io, fmt::format("PostgreSQL ({}): no answer within {}",
                                                    target, format_duration(deadline))};
}

std::string id_array(const std::vector<std::int64_t>& ids) {
  std::string out = "{";
  for (auto id : ids) {
    if (out.size() > 1) out += ',';
    out += std::to_string(id);
  }
  return out + "}";
}

RunRow read_run(const PgRows& q, std::size_t i) {
  RunRow r;
  r.id = i64(q, i, 0);
  r.run_id = text(q, i, 1);
  r.job = text(q, i, 2);
  r.trigger = trigger_from_string(text(q, i, 3)).value_or(Trigger::schedule);
  r.slot = secs(q, i, 4);
  // An unknown name (a newer writer) reads as a terminal state so nothing acts on it.
  r.state = run_state_from_string(text(q, i, 5)).value_or(RunState::unknown);
  r.attempts = static_cast<int>(i64(q, i, 6));
  r.request_id = text(q, i, 7);
  r.execution_id = text(q, i, 8);
  r.remote_status = text(q, i, 9);
  r.message = text(q, i, 10);
  r.last_error = text(q, i, 11);
  r.properties_json = text(q, i, 12);
  r.created_at = millis(q, i, 13);
  r.submitting_at = opt_millis(q, i, 14);
  r.submitted_at = opt_millis(q, i, 15);
  r.running_at = opt_millis(q, i, 16);
  r.finished_at = opt_millis(q, i, 17);
  r.last_sent_at = opt_millis(q, i, 18);
  r.next_action_at = opt_millis(q, i, 19);
  r.execution_time = opt_seconds(q, i, 20);
  r.duration_ms = opt_i64(q, i, 21);
  r.inbound_documents = opt_i64(q, i, 22);
  r.outbound_documents = opt_i64(q, i, 23);
  r.inbound_error_documents = opt_i64(q, i, 24);
  r.maybe_accepted = boolean(q, i, 25);
  r.matched_by = text(q, i, 26);
  return r;
}

SlotGap read_gap(const PgRows& q, std::size_t i) {
  SlotGap g;
  g.id = i64(q, i, 0);
  g.job = text(q, i, 1);
  g.kind = text(q, i, 2) == "skipped" ? RunState::skipped : RunState::missed;
  g.first = secs(q, i, 3);
  g.last = secs(q, i, 4);
  g.count = i64(q, i, 5);
  g.reason = text(q, i, 6);
  g.recorded_at = millis(q, i, 7);
  return g;
}

}  // namespace bsched::storage::pg
