#include "io/ports/memif/memif.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "graph/registry.hpp"
#include "infra/error.hpp"
#include "infra/paths.hpp"
#include "io/if_cli.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/port_dpdk.hpp"

namespace vp {

namespace {
std::map<uint32_t, std::string> g_memif_sockets;
}  // namespace

void ops::create_memif_socket(uint32_t id, const std::string& path) {
  if (path.empty() || path[0] != '/') fail("memif socket filename must be an absolute path");
  auto it = g_memif_sockets.find(id);
  if (it != g_memif_sockets.end() && it->second != path)
    fail("memif socket id {} already exists with filename {}", id, it->second);
  g_memif_sockets[id] = path;
}

void ops::delete_memif_socket(uint32_t id) {
  if (!g_memif_sockets.count(id)) fail("no memif socket id {}", id);
  for (auto* i : ifs().all())
    if (std::string_view(i->port->kind()) == "memif" && i->name.rfind("memif" + std::to_string(id) + "/", 0) == 0)
      fail("memif socket id {} is in use by {}", id, i->name);
  g_memif_sockets.erase(id);
}

const std::map<uint32_t, std::string>& ops::memif_sockets() { return g_memif_sockets; }

uint32_t ops::create_memif(const MemifArgs& a) {
  std::string path;
  if (auto it = g_memif_sockets.find(a.socket_id); it != g_memif_sockets.end())
    path = it->second;
  else if (a.socket_id == 0)
    path = state_dir() + "/memif.sock";
  else
    fail("no memif socket id {} (create it with 'create memif socket id {} filename <path>')", a.socket_id,
         a.socket_id);
  if (a.ring_size < 512 || a.ring_size > 16384 || (a.ring_size & (a.ring_size - 1)))
    fail("memif ring-size {} must be a power of two from 512 to 16384", a.ring_size);
  if (a.rx_queues < 1 || a.rx_queues > 64) fail("memif rx-queues {} out of range (1-64)", a.rx_queues);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::string name = "memif" + std::to_string(a.socket_id) + "/" + std::to_string(a.id);
  std::string cmd = "create interface memif id " + std::to_string(a.id) + " socket-id " + std::to_string(a.socket_id) +
                    (a.master ? " master" : " slave");
  if (a.rx_queues != 1) cmd += " rx-queues " + std::to_string(a.rx_queues);
  if (a.ring_size != 1024) cmd += " ring-size " + std::to_string(a.ring_size);
  if (ifs().find(name)) fail("interface '{}' already exists", name);
  return add_dpdk_interface(
      name, std::make_unique<DpdkPort>(
                "memif", cmd, dpdk_vdev_name("net_memif"),
                std::string("role=") + (a.master ? "server" : "client") + ",id=" + std::to_string(a.id) + ",socket=" +
                    path + ",socket-abstract=no,zero-copy=no,rsize=" + std::to_string(__builtin_ctz(a.ring_size)),
                true, Registry::get().id("memif-input"), a.rx_queues));
}

namespace {
CliRegistration cmds[] = {
    {{"create memif socket", "create memif socket id <s> filename <path>", "declare a memif socket",
      [](Args& a, Out&) {
        if (!a.accept("id")) fail("missing id <s>");
        uint32_t id = uint32_t(a.num("socket id", UINT32_MAX - 1));
        if (!a.accept("filename")) fail("missing filename <path>");
        auto path = a.word("filename");
        a.end();
        ops::create_memif_socket(id, path);
      }}},
    {{"delete memif socket", "delete memif socket id <s>", "remove an unused memif socket",
      [](Args& a, Out&) {
        if (!a.accept("id")) fail("missing id <s>");
        uint32_t id = uint32_t(a.num("socket id", UINT32_MAX - 1));
        a.end();
        ops::delete_memif_socket(id);
      }}},
    {{"create interface memif",
      "create interface memif id <n> socket-id <s> master|slave [rx-queues <n>] [ring-size <n>]",
      "create a memif interface (memif<s>/<n>)",
      [](Args& a, Out& o) {
        ops::MemifArgs m;
        bool role = false;
        while (!a.done()) {
          if (a.accept("id"))
            m.id = uint32_t(a.num("id", 65535));
          else if (a.accept("socket-id"))
            m.socket_id = uint32_t(a.num("socket-id", UINT32_MAX - 1));
          else if (a.accept("master"))
            m.master = role = true;
          else if (a.accept("slave")) {
            m.master = false;
            role = true;
          } else if (a.accept("rx-queues"))
            m.rx_queues = uint16_t(a.num("rx-queues", 64));
          else if (a.accept("ring-size"))
            m.ring_size = uint32_t(a.num("ring-size", 16384));
          else
            a.end();
        }
        if (!role) fail("say master or slave");
        reply_created(o, ops::create_memif(m));
      }}},
    {delete_cmd("delete interface memif", "memif")},
};

// Sockets before the interfaces that use them (order 10).
RunningConfigRegistration rc{5, [](std::vector<std::string>& out) {
                               for (auto& [id, path] : ops::memif_sockets())
                                 out.push_back(fmt::format("create memif socket id {} filename {}", id, path));
                             }};
}  // namespace

}  // namespace vp
