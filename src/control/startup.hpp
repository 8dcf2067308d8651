#pragma once
// The startup configuration: a TOML file (vplaned -c) overridden by flags.
#include <string>
#include <vector>

#include "graph/threads.hpp"
#include "io/eal.hpp"

namespace vp {

struct StartupConfig {
  std::string instance = "vplane";
  ThreadConfig threads;
  EalConfig eal;
  std::string cli_socket;  // default: /run/vplane/cli.sock, or /run/vplane/<instance>/cli.sock
  uint32_t cli_mode = 0660;
  std::string cli_group;
  std::string api_socket;  // default: /run/vplane/api.sock, or /run/vplane/<instance>/api.sock
  uint32_t api_mode = 0660;
  std::string api_group;
  std::string api_tcp;  // loopback "127.0.0.1:<port>"; empty: no TCP
  // TCP needs mutual TLS: vplaned's certificate and key, and the CA that
  // signs the clients' certificates (PEM files).
  std::string api_tls_cert, api_tls_key, api_tls_ca;
  std::string metrics;  // Prometheus endpoint, loopback "127.0.0.1:<port>"; empty: off
  std::string log_level = "info";
  std::string log_target = "stderr";
  std::string exec_file;
  std::vector<std::string> commands;
  std::string state_dir;  // default: /run/vplane/<instance>
};

// Throws vp::Error naming the file, key and problem.
StartupConfig load_startup(const std::string& path);
void finish_defaults(StartupConfig& c);

}  // namespace vp
