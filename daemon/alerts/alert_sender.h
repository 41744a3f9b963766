// Where the alert dispatcher's messages go: one send of one JSON message to one configured
// sink. SinkSender (sink_sender.h) posts webhooks and runs commands; tests script a fake.
// Runs on the daemon's io_context; never throws out of send().
#pragma once

#include "config/config.h"

#include <boost/asio/awaitable.hpp>

#include <string>

namespace bsched::alerts {

struct SendOutcome {
  bool delivered = false;
  std::string error;  // when not delivered: one line, never the webhook's path or a token
};

class AlertSender {
 public:
  virtual ~AlertSender() = default;
  virtual boost::asio::awaitable<SendOutcome> send(const config::AlertSink& sink,
                                                   std::string json) = 0;
};

}  // namespace bsched::alerts
