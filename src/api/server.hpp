#pragma once
// The gRPC API server (proto/vplane/v1/*.proto): a Unix socket under
// the state directory (mode and group as configured) and, optionally, a
// loopback TCP port. gRPC's own threads decode requests; every change runs
// on the main thread (MainExec), so the API and the CLI share one state
// and one set of typed operations.
#include <memory>
#include <string>

#include "control/main_exec.hpp"

namespace vp::api {

struct ServerConfig {
  std::string socket;  // unix socket path
  uint32_t mode = 0660;
  std::string group;
  std::string tcp;                        // "127.0.0.1:<port>" or empty
  std::string tls_cert, tls_key, tls_ca;  // PEM files; all three, or no TCP
};

class Server {
 public:
  Server(EventLoop& loop, const ServerConfig& c);
  ~Server();
  const std::string& socket() const { return cfg_.socket; }

 private:
  struct Impl;
  ServerConfig cfg_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vp::api
