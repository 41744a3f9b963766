#include "daemon/runtime/file_watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <fmt/core.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace bsched::runtime {

namespace asio = boost::asio;

static_assert(k_watch_changes == (IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO |
                                  IN_CREATE | IN_DELETE));

FileWatcher::FileWatcher(asio::io_context& io) : m_fd(io) {}

FileWatcher::~FileWatcher() { stop(); }

Result<void> FileWatcher::start() {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    return make_error(fmt::format("cannot watch files (inotify_init1: {}); check "
                                  "fs.inotify.max_user_instances",
                                  std::strerror(errno)));
  }
  m_fd.assign(fd);
  read_some();
  return {};
}

Result<void> FileWatcher::watch_directory(const std::string& dir, std::uint32_t mask,
                                          Filter filter, Callback callback) {
  if (!m_fd.is_open()) return make_error("the file watcher is not started");
  int wd = ::inotify_add_watch(m_fd.native_handle(), dir.c_str(), mask | IN_ONLYDIR);
  if (wd < 0) {
    return make_error(fmt::format("cannot watch {}: {}", dir, std::strerror(errno)));
  }
  m_watches[wd] = Watch{dir, std::move(filter), std::move(callback)};
  return {};
}

void FileWatcher::stop() {
  boost::system::error_code ignored;
  m_fd.close(ignored);
  m_watches.clear();
}

void FileWatcher::read_some() {
  m_fd.async_wait(asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
    if (ec) return;  // closed
    alignas(inotify_event) std::array<char, 16384> buffer;
    for (;;) {
      ssize_t n = ::read(m_fd.native_handle(), buffer.data(), buffer.size());
      if (n <= 0) break;  // EAGAIN: drained
      dispatch(buffer.data(), static_cast<std::size_t>(n));
      if (!m_fd.is_open()) return;  // a callback stopped the watcher
    }
    read_some();
  });
}

void FileWatcher::dispatch(const char* data, std::size_t size) {
  for (std::size_t at = 0; at + sizeof(inotify_event) <= size;) {
    const auto* ev = reinterpret_cast<const inotify_event*>(data + at);
    at += sizeof(inotify_event) + ev->len;
    if (ev->mask & IN_Q_OVERFLOW) {
      // Events were dropped: tell every watch something may have changed.
      for (auto& [wd, w] : m_watches) w.callback("");
      continue;
    }
    auto it = m_watches.find(ev->wd);
    if (it == m_watches.end()) continue;
    if (ev->mask & IN_IGNORED) {  // the directory went away; the owner re-adds it if needed
      auto cb = it->second.callback;
      m_watches.erase(it);
      cb("");
      continue;
    }
    std::string_view name = ev->len ? std::string_view(ev->name) : std::string_view();
    if (!it->second.filter || it->second.filter(name)) it->second.callback(name);
  }
}

}  // namespace bsched::runtime
