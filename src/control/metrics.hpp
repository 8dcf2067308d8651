#pragma once
// Prometheus text exposition over HTTP (GET /metrics), off by default and
// loopback only: per-interface counters, per-thread per-node runtime, error
// counters, FIB sizes per table, buffer pool use. Built on the main thread
// from the same JSON the CLI's show commands give, so the two never
// disagree. Hand-written: Debian has no Prometheus C++ library.
#include <map>
#include <string>

#include "control/event_loop.hpp"

namespace vp {

// The exposition text (also what tests parse).
std::string metrics_text();

class MetricsServer {
 public:
  // listen: "127.0.0.1:<port>" (or "[::1]:<port>"); other addresses are refused.
  MetricsServer(EventLoop& loop, const std::string& listen);
  ~MetricsServer();

 private:
  void accept_one();
  void readable(int fd);
  void close_client(int fd);
  EventLoop& loop_;
  int fd_ = -1;
  std::map<int, std::string> bufs_;
};

}  // namespace vp
