#include "io/ports/tap/tap.hpp"

#include "infra/error.hpp"
#include "io/if_cli.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"

namespace vp {

uint32_t ops::create_tap(const TapArgs& in) {
  TapArgs a = in;
  if (a.id == UINT32_MAX) {
    a.id = 0;
    while (ifs().find("tap" + std::to_string(a.id))) a.id++;
  }
  std::string name = "tap" + std::to_string(a.id);
  if (ifs().find(name)) fail("interface '{}' already exists", name);
  if (a.host_ip4 && a.host_ip4->addr.v6) fail("host-ip4-addr must be an IPv4 prefix");
  if (a.host_ip6 && !a.host_ip6->addr.v6) fail("host-ip6-addr must be an IPv6 prefix");
  std::string cmd = "create tap id " + std::to_string(a.id);
  if (!a.host_if.empty()) cmd += " host-if-name " + a.host_if;
  if (!a.host_ns.empty()) cmd += " host-ns " + a.host_ns;
  if (a.host_ip4) cmd += " host-ip4-addr " + a.host_ip4->str();
  if (a.host_ip6) cmd += " host-ip6-addr " + a.host_ip6->str();
  if (a.host_mtu) cmd += " host-mtu-size " + std::to_string(a.host_mtu);
  if (a.gso) cmd += " gso";
  return ifs().add(name, std::make_unique<TapPort>(a, cmd), random_mac()).index;
}

namespace {
CliRegistration cmds[] = {
    {{"create tap",
      "create tap [id <n>] [host-if-name <name>] [host-ns <netns>] [host-ip4-addr <a/n>] [host-ip6-addr <a/n>] "
      "[host-mtu-size <n>] [host-mac-addr <mac>] [gso]",
      "create a TAP interface (tap<id>), kernel side in any namespace; gso: TSO both ways",
      [](Args& a, Out& o) {
        TapArgs t;
        t.id = UINT32_MAX;
        while (!a.done()) {
          if (a.accept("id"))
            t.id = uint32_t(a.num("id", 65535));
          else if (a.accept("host-if-name"))
            t.host_if = a.word("host-if-name");
          else if (a.accept("host-ns"))
            t.host_ns = a.word("host-ns");
          else if (a.accept("host-ip4-addr"))
            t.host_ip4 = parse_prefix(a.word("host-ip4-addr"));
          else if (a.accept("host-ip6-addr"))
            t.host_ip6 = parse_prefix(a.word("host-ip6-addr"));
          else if (a.accept("host-mtu-size"))
            t.host_mtu = uint32_t(a.num("host-mtu-size", 65535));
          else if (a.accept("host-mac-addr"))
            t.host_mac = parse_mac(a.word("host-mac-addr"));
          else if (a.accept("gso"))
            t.gso = true;
          else
            a.end();
        }
        reply_created(o, ops::create_tap(t));
      }}},
    {delete_cmd("delete tap", "tap")},
};
}  // namespace

}  // namespace vp
