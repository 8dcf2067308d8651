#pragma once
// Prometheus text exposition over HTTP (GET /metrics), off by default and
// loopback only: per-interface counters, per-thread per-node runtime, error
// counters, buffer pool use, and what features add (MetricsRegistration:
// the FIB's routes per table, ...). Built on the main thread from the same
// state the CLI's show commands give, so the two never disagree.
// Hand-written: Debian has no Prometheus C++ library.
#include <fmt/format.h>

#include <functional>
#include <map>
#include <string>

#include "control/event_loop.hpp"

namespace vp {

// Prometheus text lines: a metric's HELP/TYPE once, then its samples.
struct MetricsOut {
  std::string s;
  void help(const char* name, const char* type, const char* text) {
    s += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, text, name, type);
  }
  template <class V>
  void line(const char* name, const std::string& labels, V v) {
    s += fmt::format("{}{{{}}} {}\n", name, labels, v);
  }
};

// A feature's metrics, written on the main thread at every scrape.
struct MetricsRegistration {
  explicit MetricsRegistration(std::function<void(MetricsOut&)> fn);
};

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
