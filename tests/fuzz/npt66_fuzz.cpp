// Fuzz target: NPTv6. Two parts per input.
//
// The translation alone: a binding built from the input (prefixes of any
// length from /1 to /64) applied to an address from the input, whose
// prefix is forced into the binding's now and then. A translated address
// must keep the one's complement sum of its words (checksum neutrality),
// never hold 0xFFFF in the adjusted word, and come back to itself through
// the other direction; one with no mapping must be left as it was.
//
// The nodes: an IPv6 packet from the input (lengths and version made right
// when the first byte says so, its destination or source, or an ICMPv6
// error's quoted addresses, put in a translated prefix, with or without a
// mapping) arrives on the
// outside or the inside interface of a router with a /48 and a /56 binding
// on its outside interface, so that it crosses npt66-in or npt66-out, the
// ICMPv6 error path and the quoted-packet path. Any crash, sanitizer report,
// broken invariant (trap) or leaked buffer is a bug.
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "control/cli.hpp"
#include "features/npt66/npt66.hpp"
#include "fuzz_env.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "io/eal.hpp"
#include "io/interface.hpp"

namespace {

using namespace vp;

uint16_t sum16(const uint8_t* a) {
  uint32_t s = 0;
  for (int i = 0; i < 16; i += 2) s += uint32_t(a[i]) << 8 | a[i + 1];
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return uint16_t(s == 0xffff ? 0 : s);
}

uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return rte_be_to_cpu_64(v);
}

// Needs 1 + 8 + 8 + 16 bytes.
void translation(const uint8_t* d) {
  const unsigned len = 1 + d[0] % 64;
  const uint64_t mask = ~uint64_t(0) << (64 - len);
  const uint64_t from = load64(d + 1) & mask, to = load64(d + 9) & mask;
  const npt66::Map there = npt66::make_map(from, to, len), back = npt66::make_map(to, from, len);
  uint8_t a[16], orig[16];
  std::memcpy(a, d + 17, 16);
  if (d[0] & 0x80) {  // in the prefix
    const uint64_t hi = rte_cpu_to_be_64((load64(a) & ~mask) | from);
    std::memcpy(a, &hi, 8);
  }
  std::memcpy(orig, a, 16);
  switch (npt66::translate(there, a)) {
    case npt66::Result::kNoMatch:
    case npt66::Result::kNoMapping:
      if (std::memcmp(a, orig, 16) != 0) __builtin_trap();
      return;
    case npt66::Result::kTranslated:
      break;
  }
  if (sum16(a) != sum16(orig) || (load64(a) & mask) != to) __builtin_trap();
  if (len <= 48 && a[6] == 0xff && a[7] == 0xff) __builtin_trap();
  if (npt66::translate(back, a) != npt66::Result::kTranslated || std::memcmp(a, orig, 16) != 0) __builtin_trap();
}

// Puts `prefix` (its first `bytes` bytes) over the start of the address at
// `a`; with `ffff`, the word the binding would adjust too, so that it has
// no mapping.
void into(uint8_t* a, const char* prefix, size_t bytes, bool ffff) {
  const IpAddr p = parse_ip(prefix);
  std::memcpy(a, p.b.data(), bytes);
  if (ffff) std::memset(a + bytes, 0xff, bytes == 6 ? 2 : 8);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::init_once();
  static uint32_t rx[2] = {0, 0};
  static bool ready = [] {
    for (const char* c : {
             "create loopback interface mac 02:00:00:00:00:01",
             "create loopback interface mac 02:00:00:00:00:02",
             "set interface state loop0 up",
             "set interface state loop1 up",
             "set interface ip address loop0 fd01:203:405:1::1/64",
             "set interface ip address loop0 fd01:203:405:ffff::1/64",
             "set interface ip address loop1 2001:db8:9::1/64",
             "ip neighbor loop0 fd01:203:405:1::2 02:00:00:00:00:08",
             "ip neighbor loop1 2001:db8:9::2 02:00:00:00:00:09",
             "ip route add ::/0 via 2001:db8:9::2",
             "ip route add fd01:203:405::/48 via fd01:203:405:1::2",
             "ip route add fd02:0:0:500::/56 via fd01:203:405:1::2",
             "set interface npt66 loop1 internal fd01:203:405::/48 external 2001:db8:1::/48",
             "set interface npt66 loop1 internal fd02:0:0:500::/56 external 2001:db8:2:f00::/56",
         })
      if (!Cli::get().execute(c, false).ok) __builtin_trap();
    rx[0] = ifs().find("loop0")->index;
    rx[1] = ifs().find("loop1")->index;
    return true;
  }();
  (void)ready;
  if (size >= 33) translation(data);
  if (size < 2 || size > 2000) return 0;
  const uint8_t mode = data[0];
  data++, size--;
  const bool outside = mode & 1;
  rte_mbuf* m = rte_pktmbuf_alloc(eal().pool);
  if (!m) __builtin_trap();  // the pool ran dry: some path leaks buffers
  const uint8_t eth[14] = {0x02, 0, 0, 0, 0, uint8_t(outside ? 2 : 1), 0x02, 0, 0, 0, 0, 0x09, 0x86, 0xdd};
  std::memcpy(rte_pktmbuf_append(m, 14), eth, 14);
  auto* ip = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, uint16_t(size)));
  std::memcpy(ip, data, size);
  if ((mode & 2) && size >= 40) {
    auto* h = reinterpret_cast<rte_ipv6_hdr*>(ip);
    h->vtc_flow = (h->vtc_flow & RTE_BE32(0x0fffffff)) | RTE_BE32(0x60000000);
    h->payload_len = rte_cpu_to_be_16(uint16_t(size - 40));
    h->hop_limits = std::max<uint8_t>(h->hop_limits, 2);
    const char* ext = mode & 4 ? "2001:db8:2:f00::" : "2001:db8:1::";
    const char* in = mode & 4 ? "fd02:0:0:500::" : "fd01:203:405::";
    const size_t bytes = mode & 4 ? 7 : 6;
    // The address the arrival side's node looks at, in a prefix it translates.
    if (mode & 8) into(outside ? h->dst_addr : h->src_addr, outside ? ext : in, bytes, mode & 32);
    // An ICMPv6 error right after the header, quoting a packet whose
    // address the node translates too.
    if ((mode & 16) && size >= 40 + 8 + 40) {
      h->proto = IPPROTO_ICMPV6;
      ip[40] &= 0x7f;
      auto* q = reinterpret_cast<rte_ipv6_hdr*>(ip + 48);
      q->vtc_flow = (q->vtc_flow & RTE_BE32(0x0fffffff)) | RTE_BE32(0x60000000);
      into(outside ? q->src_addr : q->dst_addr, outside ? ext : in, bytes, mode & 64);
    }
  }
  meta_init(m, rx[outside]);
  Thread& t = threads().main();
  t.enqueue(Registry::get().id("ethernet-input"), &m, 1);
  t.run_pending();
  return 0;
}
