// inotify on directories, read on the daemon's io_context. Watching the directory rather than
// the file survives editors and tools that replace a file by renaming a new one over it
// (vim, sed -i, ansible, Kubernetes-style atomic swaps), and files that do not exist yet.
//
// The callback receives the name of the entry that changed; a filter decides which names of
// a directory matter. Events come in bursts: callers debounce (daemon/runtime/debounce.h).
// Callbacks run on the io_context and must not call stop(); an empty name means "something
// in the directory may have changed" (events were dropped, or the directory went away).
#pragma once

#include "base/result.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace bsched::runtime {

// Names of changes worth a look: written, closed after writing, created, removed, renamed
// in or out, and the directory itself going away.
inline constexpr std::uint32_t k_watch_changes = 0x00000002 /*IN_MODIFY*/ |
                                                 0x00000008 /*IN_CLOSE_WRITE*/ |
                                                 0x00000040 /*IN_MOVED_FROM*/ |
                                                 0x00000080 /*IN_MOVED_TO*/ |
                                                 0x00000100 /*IN_CREATE*/ |
                                                 0x00000200 /*IN_DELETE*/;

class FileWatcher {
 public:
  using Filter = std::function<bool(std::string_view name)>;
  using Callback = std::function<void(std::string_view name)>;

  explicit FileWatcher(boost::asio::io_context& io);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Creates the inotify instance and starts reading. Errors: inotify unavailable or out of
  // instances (fs.inotify.max_user_instances).
  Result<void> start();
  // Watches `dir` for `mask` events on entries `filter` accepts. Adding the same directory
  // again replaces its filter and callback. Errors: the directory does not exist, no access,
  // out of watches.
  Result<void> watch_directory(const std::string& dir, std::uint32_t mask, Filter filter,
                               Callback callback);
  void stop();

 private:
  struct Watch {
    std::string dir;
    Filter filter;
    Callback callback;
  };
  void read_some();
  void dispatch(const char* data, std::size_t size);

  boost::asio::posix::stream_descriptor m_fd;
  std::map<int, Watch> m_watches;  // by watch descriptor
  bool m_reading = false;
};

}  // namespace bsched::runtime
