#include "io/ports/af_packet/af_packet.hpp"

#include "graph/registry.hpp"
#include "infra/error.hpp"
#include "io/if_cli.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/port_dpdk.hpp"

namespace vp {

uint32_t ops::create_af_packet(const std::string& linux_if) {
  need_linux_if(linux_if);
  std::string name = "host-" + linux_if;
  if (ifs().find(name)) fail("interface '{}' already exists", name);
  return add_dpdk_interface(name, std::make_unique<DpdkPort>("af_packet", "create host-interface name " + linux_if,
                                                             dpdk_vdev_name("net_af_packet"),
                                                             "iface=" + linux_if + ",qpairs=1,qdisc_bypass=1", true,
                                                             Registry::get().id("af-packet-input"), 1));
}

namespace {
CliRegistration cmds[] = {
    {{"create host-interface name", "create host-interface name <linux-if>",
      "attach a Linux interface with AF_PACKET (host-<linux-if>)",
      [](Args& a, Out& o) {
        auto n = a.word("Linux interface name");
        a.end();
        reply_created(o, ops::create_af_packet(n));
      }}},
    {{"delete host-interface name", "delete host-interface name <linux-if>", "remove an AF_PACKET interface",
      [](Args& a, Out&) {
        auto n = a.word("Linux interface name");
        a.end();
        Interface& i = ifs().get("host-" + n);
        ops::delete_interface(i.index);
      }}},
};
}  // namespace

}  // namespace vp
