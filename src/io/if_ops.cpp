#include "io/if_ops.hpp"

#include <net/if.h>
#include <rte_random.h>

#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "io/interface.hpp"

namespace vp::ops {

namespace {
Interface& by_index(uint32_t sw_if) {
  Interface* i = ifs().at(sw_if);
  if (!i) fail("no interface with index {}", sw_if);
  return *i;
}
}  // namespace

void need_linux_if(const std::string& n) {
  if (n.empty() || n.size() >= IFNAMSIZ) fail("bad Linux interface name '{}'", n);
  if (!if_nametoindex(n.c_str())) fail("Linux interface '{}' does not exist (see 'ip link')", n);
}

Mac random_mac() {
  Mac m;
  uint64_t r = rte_rand();
  m.b = {0x02, 0xfe, uint8_t(r), uint8_t(r >> 8), uint8_t(r >> 16), uint8_t(r >> 24)};
  return m;
}

void delete_interface(uint32_t sw_if) {
  Interface& i = by_index(sw_if);
  ifs().check_delete(i);
  ifs().remove(sw_if);
}

void set_state(uint32_t sw_if, bool up) { ifs().set_admin(by_index(sw_if), up); }
void set_mtu(uint32_t sw_if, uint32_t mtu) { ifs().set_mtu(by_index(sw_if), mtu); }
void set_mac(uint32_t sw_if, const Mac& m) {
  Interface& i = by_index(sw_if);
  ifs().set_mac(i, m);
  i.mac_set = true;
}

void set_xconnect(uint32_t rx, uint32_t tx) {
  Interface& r = by_index(rx);
  Interface& t = by_index(tx);
  if (rx == tx) fail("cannot cross-connect {} to itself", r.name);
  ifs().set_xconnect(r, &t);
}

void set_l3(uint32_t sw_if) { ifs().set_xconnect(by_index(sw_if), nullptr); }

void set_rx_placement(uint32_t sw_if, uint16_t queue, uint32_t worker) {
  auto& th = threads();
  if (th.single()) fail("no workers: vplaned runs in single-thread mode (start it with --workers N)");
  if (worker >= th.size() - 1) fail("no worker {} (there are {})", worker, th.size() - 1);
  ifs().set_rx_placement(by_index(sw_if), queue, int(worker + 1));
}

void set_feature(uint32_t sw_if, const std::string& arc, const std::string& feature, bool enable) {
  ifs().set_feature(by_index(sw_if), arc, feature, enable);
}

}  // namespace vp::ops
