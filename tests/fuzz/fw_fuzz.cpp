// Fuzz target: the firewall's packet paths, and NAT44's on them. Two zones
// with a permit policy (logging), a reject and a deny policy, every screen
// on the inside zone; source NAT to the outside interface and a pool, a
// twice-NAT port forward, a 1:1 mapping and an identity mapping;
// arbitrary bytes arrive on either side, as a whole frame or (first byte
// odd) as an IPv4 or IPv6 packet behind a valid Ethernet header, so that
// most inputs reach the screens, the session key, related ICMP, the TCP
// tracker, the fragment table and the slow path. Every 64 inputs the
// thread's housekeeping (fw-timer) runs too. Any crash, hang, sanitizer
// report or leaked buffer is a bug.
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "control/cli.hpp"
#include "features/fw/fw_runtime.hpp"
#include "fuzz_env.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "io/eal.hpp"
#include "io/interface.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vp;
  fuzz::init_once();
  static uint32_t rx[2] = {0, 0};
  static bool ready = [] {
    for (const char* c : {
             "create loopback interface mac 02:00:00:00:00:01",
             "create loopback interface mac 02:00:00:00:00:02",
             "set interface state loop0 up",
             "set interface state loop1 up",
             "set interface ip address loop0 10.0.0.1/24",
             "set interface ip address loop1 10.9.0.1/24",
             "set interface ip address loop0 2001:db8::1/64",
             "set interface ip address loop1 2001:db8:9::1/64",
             "ip neighbor loop1 10.9.0.2 02:00:00:00:00:09",
             "ip neighbor loop1 2001:db8:9::2 02:00:00:00:00:09",
             "ip route add 0.0.0.0/0 via 10.9.0.2",
             "ip route add ::/0 via 2001:db8:9::2",
             "set security zones security-zone in interfaces loop0",
             "set security zones security-zone in host-inbound-traffic system-services ping",
             "set security zones security-zone out interfaces loop1",
             "set security screen ids-option all tcp land",
             "set security screen ids-option all tcp syn-fin",
             "set security screen ids-option all tcp tcp-no-flag",
             "set security screen ids-option all tcp fin-no-ack",
             "set security screen ids-option all tcp winnuke",
             "set security screen ids-option all icmp ping-death",
             "set security screen ids-option all icmp large",
             "set security screen ids-option all ip tear-drop",
             "set security screen ids-option all ip source-route-option",
             "set security screen ids-option all ip spoofing",
             "set security screen ids-option all udp flood threshold 100000",
             "set security screen ids-option all tcp syn-flood attack-threshold 100000",
             "set security zones security-zone in screen all",
             "set security policies from-zone out to-zone in policy web match source-address any",
             "set security policies from-zone out to-zone in policy web match destination-address any",
             "set security policies from-zone out to-zone in policy web match application junos-http",
             "set security policies from-zone out to-zone in policy web then reject",
             "set security policies from-zone in to-zone out policy all match source-address any",
             "set security policies from-zone in to-zone out policy all match destination-address any",
             "set security policies from-zone in to-zone out policy all match application any",
             "set security policies from-zone in to-zone out policy all then permit",
             "set security policies from-zone in to-zone out policy all then log session-init",
             "set security policies from-zone in to-zone out policy all then log session-close",
             "set security policies from-zone in to-zone out policy all then count",
             "nat44 add interface address loop1",
             "nat44 add address 10.9.0.100 - 10.9.0.101",
             "nat44 add address 10.9.0.200 twice-nat",
             "nat44 add static mapping tcp local 10.0.0.5 80 external 10.9.0.50 8080 twice-nat",
             "nat44 add static mapping local 10.0.0.6 external 10.9.0.60",
             "nat44 add identity mapping 10.0.0.7",
             "set interface nat44 in loop0 out loop1",
         })
      if (!Cli::get().execute(c, false).ok) __builtin_trap();
    fw::publish_now();
    rx[0] = ifs().find("loop0")->index;
    rx[1] = ifs().find("loop1")->index;
    return true;
  }();
  (void)ready;
  if (size < 1 || size > 2000) return 0;
  rte_mbuf* m = rte_pktmbuf_alloc(eal().pool);
  if (!m) __builtin_trap();  // the pool ran dry: some path leaks buffers
  const uint8_t mode = data[0];
  data++, size--;
  const bool side = mode & 2;
  if (mode & 1) {
    // A packet behind a valid header for the arrival interface.
    uint8_t eth[14] = {0x02, 0, 0, 0, 0, uint8_t(side ? 2 : 1), 0x02, 0, 0, 0, 0, 0x09, 0x08, 0x00};
    if (mode & 4) eth[12] = 0x86, eth[13] = 0xdd;
    std::memcpy(rte_pktmbuf_append(m, 14), eth, 14);
  }
  if (size) std::memcpy(rte_pktmbuf_append(m, uint16_t(size)), data, size);
  if ((mode & 1) && (mode & 8)) {
    // Lengths, version and checksum made right, so that the bytes after
    // them get past ip4-input/ip6-input to the firewall.
    uint8_t* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, 14);
    if (!(mode & 4) && size >= 20) {
      auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
      h->version_ihl = uint8_t(0x40 | std::max<uint8_t>(5, h->version_ihl & 0xf));
      if (rte_ipv4_hdr_len(h) > size) h->version_ihl = 0x45;
      h->total_length = rte_cpu_to_be_16(uint16_t(size));
      h->time_to_live = std::max<uint8_t>(h->time_to_live, 2);
      h->hdr_checksum = 0;
      h->hdr_checksum = rte_ipv4_cksum(h);
    } else if ((mode & 4) && size >= 40) {
      auto* h = reinterpret_cast<rte_ipv6_hdr*>(ip);
      h->vtc_flow = (h->vtc_flow & RTE_BE32(0x0fffffff)) | RTE_BE32(0x60000000);
      h->payload_len = rte_cpu_to_be_16(uint16_t(size - 40));
      h->hop_limits = std::max<uint8_t>(h->hop_limits, 2);
    }
  }
  meta_init(m, rx[side]);
  Thread& t = threads().main();
  t.enqueue(Registry::get().id("ethernet-input"), &m, 1);
  t.run_pending();
  static uint32_t n = 0;
  if (++n % 64 == 0) t.loop_once();
  return 0;
}
