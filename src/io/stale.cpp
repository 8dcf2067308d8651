#include "io/stale.hpp"

#include <bpf/libbpf.h>
#include <net/if.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "infra/log.hpp"

namespace vp {

namespace {
std::string g_file;
std::set<std::pair<std::string, std::string>> g_items;

void save() {
  if (g_file.empty()) return;
  std::ofstream f(g_file, std::ios::trunc);
  for (auto& [k, n] : g_items) f << k << ' ' << n << '\n';
}
}  // namespace

void stale_init(const std::string& state_dir) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  g_file = state_dir + "/attached";
  std::ifstream f(g_file);
  std::string kind, name;
  while (f >> kind >> name) {
    if (kind == "xdp") {
      unsigned idx = if_nametoindex(name.c_str());
      if (idx && bpf_xdp_detach(int(idx), 0, nullptr) == 0)
        log::info("removed the XDP program a previous instance left on {}", name);
    }
  }
  g_items.clear();
  save();
}

void stale_record(const std::string& kind, const std::string& ifname) {
  g_items.insert({kind, ifname});
  save();
}

void stale_forget(const std::string& kind, const std::string& ifname) {
  g_items.erase({kind, ifname});
  save();
}

void stale_exit() {
  if (g_file.empty() || !g_items.empty()) return;
  std::error_code ec;
  std::filesystem::remove(g_file, ec);
  std::filesystem::remove(std::filesystem::path(g_file).parent_path(), ec);  // only when empty
}

}  // namespace vp
