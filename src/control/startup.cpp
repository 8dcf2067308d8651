#include "control/startup.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <map>

#include "infra/error.hpp"

namespace vp {

namespace {
template <typename T>
T get(const toml::table& t, const char* sect, const char* key, T def, const std::string& file) {
  auto node = sect ? t[sect][key] : t[key];
  if (!node) return def;
  auto v = node.template value<T>();
  if (!v) fail("{}: [{}] {} has the wrong type", file, sect ? sect : "", key);
  return *v;
}

void check_keys(const toml::table& t, const std::string& file) {
  static const std::map<std::string, std::vector<std::string>> known = {
      {"", {"instance", "cpu", "buffers", "graph", "dpdk", "cli", "api", "metrics", "log", "startup"}},
      {"cpu", {"workers", "main-core", "worker-cores"}},
      {"buffers", {"count", "cache", "hugepages", "memory-mb"}},
      {"graph", {"vector-size", "idle-sleep-max-us"}},
      {"dpdk", {"pci-allow", "log-level"}},
      {"cli", {"socket", "mode", "group"}},
      {"api", {"socket", "mode", "group", "tcp", "tls-cert", "tls-key", "tls-ca"}},
      {"metrics", {"listen"}},
      {"log", {"level", "target"}},
      {"startup", {"exec", "commands", "state-dir"}},
  };
  for (auto& [k, v] : t) {
    std::string key(k.str());
    auto& top = known.at("");
    if (std::find(top.begin(), top.end(), key) == top.end()) fail("{}: unknown key '{}'", file, key);
    if (auto* sub = v.as_table())
      for (auto& [k2, v2] : *sub) {
        auto& allowed = known.at(key);
        if (std::find(allowed.begin(), allowed.end(), std::string(k2.str())) == allowed.end())
          fail("{}: unknown key '{}' in [{}]", file, k2.str(), key);
      }
  }
}
}  // namespace

StartupConfig load_startup(const std::string& path) {
  StartupConfig c;
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    fail("{}:{}: {}", path, e.source().begin.line, e.description());
  }
  check_keys(t, path);
  c.instance = get<std::string>(t, nullptr, "instance", c.instance, path);
  c.threads.workers = uint32_t(get<int64_t>(t, "cpu", "workers", 0, path));
  c.threads.main_core = int(get<int64_t>(t, "cpu", "main-core", -1, path));
  if (auto* a = t["cpu"]["worker-cores"].as_array())
    for (auto& e : *a) c.threads.worker_cores.push_back(int(e.value<int64_t>().value_or(-1)));
  c.eal.buffers = uint32_t(get<int64_t>(t, "buffers", "count", c.eal.buffers, path));
  c.eal.buffer_cache = uint32_t(get<int64_t>(t, "buffers", "cache", c.eal.buffer_cache, path));
  c.eal.memory_mb = uint32_t(get<int64_t>(t, "buffers", "memory-mb", c.eal.memory_mb, path));
  auto huge = get<std::string>(t, "buffers", "hugepages", "auto", path);
  if (huge == "auto")
    c.eal.huge = HugeMode::automatic;
  else if (huge == "yes")
    c.eal.huge = HugeMode::yes;
  else if (huge == "no")
    c.eal.huge = HugeMode::no;
  else
    fail("{}: [buffers] hugepages must be auto, yes or no", path);
  c.threads.vector_size = uint32_t(get<int64_t>(t, "graph", "vector-size", kDefaultVectorSize, path));
  c.threads.idle_sleep_max_us = uint32_t(get<int64_t>(t, "graph", "idle-sleep-max-us", 1000, path));
  if (auto* a = t["dpdk"]["pci-allow"].as_array())
    for (auto& e : *a) c.eal.pci_allow.push_back(e.value<std::string>().value_or(""));
  c.eal.log_level = get<std::string>(t, "dpdk", "log-level", c.eal.log_level, path);
  c.cli_socket = get<std::string>(t, "cli", "socket", "", path);
  c.cli_mode = uint32_t(std::stoul(get<std::string>(t, "cli", "mode", "0660", path), nullptr, 8));
  c.cli_group = get<std::string>(t, "cli", "group", "", path);
  c.api_socket = get<std::string>(t, "api", "socket", "", path);
  c.api_mode = uint32_t(std::stoul(get<std::string>(t, "api", "mode", "0660", path), nullptr, 8));
  c.api_group = get<std::string>(t, "api", "group", "", path);
  c.api_tcp = get<std::string>(t, "api", "tcp", "", path);
  c.api_tls_cert = get<std::string>(t, "api", "tls-cert", "", path);
  c.api_tls_key = get<std::string>(t, "api", "tls-key", "", path);
  c.api_tls_ca = get<std::string>(t, "api", "tls-ca", "", path);
  c.metrics = get<std::string>(t, "metrics", "listen", "", path);
  c.log_level = get<std::string>(t, "log", "level", c.log_level, path);
  c.log_target = get<std::string>(t, "log", "target", c.log_target, path);
  c.exec_file = get<std::string>(t, "startup", "exec", "", path);
  c.state_dir = get<std::string>(t, "startup", "state-dir", "", path);
  if (auto* a = t["startup"]["commands"].as_array())
    for (auto& e : *a) {
      auto s = e.value<std::string>();
      if (!s) fail("{}: [startup] commands must be strings", path);
      c.commands.push_back(*s);
    }
  return c;
}

void finish_defaults(StartupConfig& c) {
  if (c.instance.empty() || c.instance.find('/') != std::string::npos) fail("bad instance name '{}'", c.instance);
  if (c.state_dir.empty()) c.state_dir = "/run/vplane/" + c.instance;
  if (c.cli_socket.empty()) c.cli_socket = c.instance == "vplane" ? "/run/vplane/cli.sock" : c.state_dir + "/cli.sock";
  if (c.api_socket.empty()) c.api_socket = c.instance == "vplane" ? "/run/vplane/api.sock" : c.state_dir + "/api.sock";
  c.eal.instance = c.instance;
}

}  // namespace vp
