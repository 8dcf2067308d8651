#include "io/ports/loopback/loopback.hpp"

#include "infra/error.hpp"
#include "io/if_cli.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/ports/loopback/port_loopback.hpp"

namespace vp {

uint32_t ops::create_loopback(std::optional<Mac> mac) {
  if (mac && mac->is_multicast()) fail("MAC {} is a multicast address", mac->str());
  uint32_t n = 0;
  while (ifs().find("loop" + std::to_string(n))) n++;
  auto p = std::make_unique<LoopbackPort>("create loopback interface" + (mac ? " mac " + mac->str() : ""));
  auto* lp = p.get();
  Interface& i = ifs().add("loop" + std::to_string(n), std::move(p), mac ? *mac : random_mac());
  lp->bind(i.index);
  return i.index;
}

namespace {
CliRegistration cmds[] = {
    {{"create loopback interface", "create loopback interface [mac <mac>]", "create a loopback (loop<n>)",
      [](Args& a, Out& o) {
        std::optional<Mac> mac;
        if (a.accept("mac")) mac = parse_mac(a.word("mac"));
        a.end();
        reply_created(o, ops::create_loopback(mac));
      }}},
    {delete_cmd("delete loopback interface", "loopback", "intfc")},
};
}  // namespace

}  // namespace vp
