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
