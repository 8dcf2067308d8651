#include "io/ports/vhost_user/vhost_user.hpp"

#include "graph/registry.hpp"
#include "infra/error.hpp"
#include "io/if_cli.hpp"
#include "io/interface.hpp"
#include "io/port_dpdk.hpp"

namespace vp {

uint32_t ops::create_vhost_user(const std::string& path, bool server) {
  if (path.empty() || path[0] != '/') fail("vhost-user socket must be an absolute path");
  uint32_t n = 0;
  while (ifs().find("VirtualEthernet0/0/" + std::to_string(n))) n++;
  std::string cmd = "create vhost-user socket " + path + (server ? " server" : "");
  return add_dpdk_interface("VirtualEthernet0/0/" + std::to_string(n),
                            std::make_unique<DpdkPort>("vhost-user", cmd, dpdk_vdev_name("net_vhost"),
                                                       "iface=" + path + ",queues=1,client=" + (server ? "0" : "1"),
                                                       true, Registry::get().id("vhost-user-input"), 1));
}

namespace {
CliRegistration cmds[] = {
    {{"create vhost-user", "create vhost-user socket <path> [server]",
      "create a vhost-user interface (VirtualEthernet0/0/<n>)",
      [](Args& a, Out& o) {
        if (!a.accept("socket")) fail("missing socket <path>");
        auto path = a.word("socket path");
        bool server = a.accept("server");
        a.end();
        reply_created(o, ops::create_vhost_user(path, server));
      }}},
    {delete_cmd("delete vhost-user", "vhost-user")},
};
}  // namespace

}  // namespace vp
