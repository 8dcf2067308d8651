#include "io/ports/af_xdp/af_xdp.hpp"

#include "graph/registry.hpp"
#include "infra/error.hpp"
#include "io/if_cli.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/port_dpdk.hpp"
#include "io/stale.hpp"

namespace vp {

namespace {
std::string af_xdp_command(const ops::AfXdpArgs& a) {
  std::string cmd = "create interface af_xdp host-if " + a.host_if;
  if (!a.name.empty()) cmd += " name " + a.name;
  if (a.rx_queues != 1) cmd += " num-rx-queues " + std::to_string(a.rx_queues);
  return cmd;
}

// Forgets the Linux interface's stale record once its port is closed.
class AfXdpPort : public DpdkPort {
 public:
  explicit AfXdpPort(const ops::AfXdpArgs& a)
      : DpdkPort("af_xdp", af_xdp_command(a), dpdk_vdev_name("net_af_xdp"),
                 "iface=" + a.host_if + ",start_queue=0,queue_count=" + std::to_string(a.rx_queues), true,
                 Registry::get().id("af-xdp-input"), a.rx_queues),
        host_if_(a.host_if) {}
  ~AfXdpPort() override { stale_forget("xdp", host_if_); }

 private:
  std::string host_if_;
};
}  // namespace

uint32_t ops::create_af_xdp(const AfXdpArgs& a) {
  need_linux_if(a.host_if);
  if (a.rx_queues < 1 || a.rx_queues > 64) fail("num-rx-queues {} out of range (1-64)", a.rx_queues);
  std::string name = a.name.empty() ? a.host_if + "/0" : a.name;
  if (ifs().find(name)) fail("interface '{}' already exists", name);
  stale_record("xdp", a.host_if);
  std::unique_ptr<AfXdpPort> p;
  try {
    p = std::make_unique<AfXdpPort>(a);
  } catch (...) {
    stale_forget("xdp", a.host_if);
    throw;
  }
  return add_dpdk_interface(name, std::move(p));
}

namespace {
CliRegistration cmds[] = {
    {{"create interface af_xdp", "create interface af_xdp host-if <linux-if> [name <n>] [num-rx-queues <n>]",
      "attach a Linux interface with AF_XDP",
      [](Args& a, Out& o) {
        ops::AfXdpArgs x;
        while (!a.done()) {
          if (a.accept("host-if"))
            x.host_if = a.word("host-if");
          else if (a.accept("name"))
            x.name = a.word("name");
          else if (a.accept("num-rx-queues"))
            x.rx_queues = uint16_t(a.num("num-rx-queues", 64));
          else
            a.end();
        }
        if (x.host_if.empty()) fail("missing host-if <linux-if>");
        reply_created(o, ops::create_af_xdp(x));
      }}},
    {delete_cmd("delete interface af_xdp", "af_xdp")},
};
}  // namespace

}  // namespace vp
