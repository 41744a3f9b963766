// The real AlertSender: a webhook is a JSON POST over the platform's HTTP transport (TLS
// verified, a deadline on every step, no redirect followed: a 3xx is a failed send); a
// command is run without a shell with the JSON on its standard input and killed when it
// outlives the sink's timeout (exit status 0 = delivered).
#pragma once

#include "daemon/alerts/alert_sender.h"
#include "daemon/platform/http_transport.h"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <map>
#include <memory>

namespace bsched::alerts {

class SinkSender final : public AlertSender {
 public:
  // A sink's transport; the default is a BeastTransport with the sink's timeout on every
  // step, the system's CA store, a 64 KiB answer limit and at most 4 connections.
  using TransportFactory =
      std::function<std::unique_ptr<platform::HttpTransport>(const config::AlertSink&)>;
  explicit SinkSender(boost::asio::io_context& io, TransportFactory transports = {});
  ~SinkSender() override;
  boost::asio::awaitable<SendOutcome> send(const config::AlertSink& sink,
                                           std::string json) override;

 private:
  boost::asio::awaitable<SendOutcome> post(const config::AlertSink& sink, std::string json);
  boost::asio::awaitable<SendOutcome> run_command(const config::AlertSink& sink,
                                                  std::string json);

  platform::HttpTransport& transport_for(const config::AlertSink& sink);

  boost::asio::io_context& m_io;
  TransportFactory m_make_transport;
  // By sink name and timeout; kept for the daemon's life (a handful of sinks).
  std::map<std::string, std::unique_ptr<platform::HttpTransport>> m_transports;
};

// A transport error or status as one line without the webhook's path (tests use it).
std::string webhook_error(const config::AlertSink& sink, std::string message);

}  // namespace bsched::alerts
