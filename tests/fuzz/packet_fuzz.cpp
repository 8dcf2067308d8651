// Fuzz target: arbitrary bytes arrive as a frame on an L3 interface with
// IPv4 and IPv6 addresses and routes, and walk the graph (ethernet-input,
// ip4-input, arp-input, ip4-lookup, ip4-local, ip6-input, ip6-local, ND,
// ICMP and ICMPv6 errors...). Any crash, hang or
// sanitizer report is a bug; every frame must end freed or transmitted.
#include <rte_mbuf.h>

#include <cstring>

#include "control/cli.hpp"
#include "fuzz_env.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "io/eal.hpp"
#include "io/interface.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vp;
  fuzz::init_once();
  static uint32_t rx = [] {
    for (const char* c :
         {"create loopback interface mac 02:00:00:00:00:01", "create null-sink interface null0",
          "set interface state loop0 up", "set interface state null0 up", "set interface ip address loop0 10.0.0.1/24",
          "set interface ip address null0 10.9.0.1/24", "ip neighbor null0 10.9.0.2 02:00:00:00:00:09",
          "ip route add 0.0.0.0/0 via 10.9.0.2", "set interface ip address loop0 2001:db8::1/64",
          "set interface ip address null0 2001:db8:9::1/64", "ip neighbor null0 2001:db8:9::2 02:00:00:00:00:09",
          "ip route add ::/0 via 2001:db8:9::2"})
      Cli::get().execute(c, false);
    return ifs().find("loop0")->index;
  }();
  if (size > 2000) return 0;
  rte_mbuf* m = rte_pktmbuf_alloc(eal().pool);
  if (!m) __builtin_trap();  // the pool ran dry: some path leaks buffers
  std::memcpy(rte_pktmbuf_append(m, uint16_t(size)), data, size);
  meta_init(m, rx);
  Thread& t = threads().main();
  t.enqueue(Registry::get().id("ethernet-input"), &m, 1);
  t.run_pending();
  // Held packets (address resolution) must not leak either: let them time out.
  return 0;
}
