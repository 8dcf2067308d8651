// npt66-in and npt66-out: NPTv6 on the interface a binding is set on (the
// outside one). npt66-in, on its ip6-unicast arc before the flow handoff and
// the firewall, rewrites destinations from the external prefix to the
// internal one; npt66-out, on its ip6-output arc, rewrites sources from the
// internal prefix to the external one. Routing, the flow hash and the
// firewall therefore only ever see internal addresses.
//
// Per packet: a prefix compare per binding of the interface (one for the
// usual single binding), and for a match a prefix copy and a 16-bit
// adjustment (npt66.hpp). Nothing else in the packet changes: the
// translation is checksum-neutral. Packets outside the prefix pass
// untouched. An address the RFC gives no mapping (0xFFFF) is dropped with
// an ICMPv6 destination unreachable to its sender.
//
// ICMPv6 errors: the packet an error quotes went the other way through the
// translator, so its other address is translated too (the quoted source
// coming in, the quoted destination going out), with the same map: the
// error then names the addresses its receiver knows. That change is
// checksum-neutral as well, for the quoted packet's checksum and for the
// error's own (its addresses sit at even offsets of the ICMPv6 message).
#include <arpa/inet.h>

#include "features/npt66/npt66.hpp"
#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"
#include "net/ip6/ip6.hpp"

namespace vp::npt66 {

namespace {
enum Next : uint16_t { kIcmp, kNextCount };
enum Err : uint16_t { kTranslated, kUntouched, kNoMapping, kQuoted, kErrCount };

// Per thread and node: packets translated per binding id.
void counters_init(Thread&, NodeRt& self) { self.state = new uint64_t[kMaxBindings](); }

// When the packet is an ICMPv6 error quoting a whole IPv6 header,
// translates the quoted packet's source (`src`) or destination with the
// first of the interface's maps that matches it; whether one did. Out of
// line: the node's loop keeps its registers for the common packet.
__attribute__((noinline)) bool translate_quoted(rte_mbuf* m, rte_ipv6_hdr* ip, bool src, const Map* map, uint32_t n) {
  const uint32_t frame = rte_pktmbuf_data_len(m) - meta(m).l3_off;
  const uint32_t avail = std::min<uint32_t>(frame, rte_be_to_cpu_16(ip->payload_len) + sizeof(rte_ipv6_hdr));
  uint8_t proto;
  uint32_t l4_off, nh_off;
  if (!ip6_upper(ip, avail, proto, l4_off, nh_off) || proto != IPPROTO_ICMPV6 ||
      l4_off + 8 + sizeof(rte_ipv6_hdr) > avail)
    return false;
  uint8_t* icmp = reinterpret_cast<uint8_t*>(ip) + l4_off;
  auto* in = reinterpret_cast<rte_ipv6_hdr*>(icmp + 8);
  if (icmp[0] >= 128 || (in->vtc_flow & RTE_BE32(0xf0000000)) != RTE_BE32(0x60000000)) return false;
  uint8_t* q = src ? in->src_addr : in->dst_addr;
  for (uint32_t k = 0; k < n; k++)
    if (const Result r = translate(map[k], q); r != Result::kNoMatch) return r == Result::kTranslated;
  return false;
}

// kIn: npt66-in (destinations, the rx interface's bindings); else npt66-out
// (sources, the tx interface's).
template <bool kIn>
void npt66(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  const ArcDef& arc = Arcs::get().arc(meta(p[0]).arc);
  uint64_t* hits = static_cast<uint64_t*>(self.state);
  NodeId next[256];
  // Few values live across the loop, so that the compiler keeps the hot
  // ones in registers: a counter spilled to the stack and incremented per
  // packet made each packet wait for the last one's store. Packets left
  // untouched are what remains at the end.
  uint32_t last_if = kNoIf, translated = 0, no_mapping = 0;
  const IfMaps* maps = nullptr;
  // Packets translated per binding of the interface at hand, added to
  // `hits` when the interface changes. Only bindings after the first count
  // per packet: the first's is the run's total less theirs.
  uint32_t by_binding[kMaxPerInterface] = {}, run_start = 0;
  auto flush = [&] {
    if (!maps) return;
    uint32_t first = translated - run_start;
    for (uint32_t k = 1; k < maps->n; k++) {
      first -= by_binding[k];
      if (by_binding[k]) cadd(hits[maps->id[k]], by_binding[k]);
      by_binding[k] = 0;
    }
    if (first) cadd(hits[maps->id[0]], first);
    run_start = translated;
  };
  // The next node on the arc is the same for a run of packets of one
  // interface at one arc position: looked up once per run, it no longer
  // waits on the interface snapshot's chain of loads per packet (a third of
  // the node's samples).
  uint8_t run_pos = 0, next_pos = 0;
  NodeId run_next = kNoNode;
  // No prefetch: the nodes before this one on either arc have just read
  // every packet's header and metadata.
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    const uint32_t sw = kIn ? pm.rx_if : pm.tx_if;
    if (__builtin_expect(sw != last_if || pm.arc_pos != run_pos, 0)) {
      if (sw != last_if) {
        flush();
        last_if = sw;
        maps = sw < kMaxInterfaces ? g_if_maps[sw].load(std::memory_order_acquire) : nullptr;
      }
      run_pos = pm.arc_pos;
      run_next = feature_next(arc, pm);
      next_pos = pm.arc_pos;
    } else {
      pm.arc_pos = next_pos;
    }
    next[i] = run_next;
    if (__builtin_expect(!maps, 0)) continue;  // the binding went while the packet was on its way
    auto* ip = ip6_hdr(m);
    uint8_t* addr = kIn ? ip->dst_addr : ip->src_addr;
    const Map* map = kIn ? maps->in : maps->out;
    // Published maps hold at least one binding: the usual single one is
    // tried without a loop.
    Result r = translate(map[0], addr);
    uint32_t k = 0;
    if (__builtin_expect(r == Result::kNoMatch, 0))
      for (k = 1; k < maps->n; k++)
        if ((r = translate(map[k], addr)) != Result::kNoMatch) break;
    if (__builtin_expect(r == Result::kNoMapping, 0)) {
      // Address unreachable for a destination; for a source, that it
      // failed the egress policy (RFC 4443 codes 3 and 5).
      want_icmp(m, 1, kIn ? 3 : 5);
      no_mapping++;
      next[i] = self.next[kIcmp];
      t.trace(self, m, "NPTv6: no mapping for %s 0xffff: dropped", kIn ? "destination" : "source");
      continue;
    }
    if (r == Result::kTranslated) {
      translated++;
      if (k) by_binding[k]++;
    }
    if (__builtin_expect(ip->proto != IPPROTO_TCP && ip->proto != IPPROTO_UDP, 0))
      if (translate_quoted(m, ip, kIn, map, maps->n)) t.count_error(self, kQuoted);
    if (__builtin_expect(pm.flags & kTraced, 0)) {
      char a[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, addr, a, sizeof a);
      t.trace(self, m, "NPTv6: %s %s %s", kIn ? "destination" : "source",
              r == Result::kTranslated ? "translated to" : "not in a prefix:", a);
    }
  }
  flush();
  t.count_error(self, kTranslated, translated);
  if (const uint32_t untouched = n - translated - no_mapping) t.count_error(self, kUntouched, untouched);
  if (no_mapping) t.count_error(self, kNoMapping, no_mapping);
  t.enqueue_nexts(p, next, n);
}

// Counters, not drops: a packet with no mapping turns into the ICMPv6
// error, which ip6-icmp-error sends or drops and counts.
Names errors() {
  return names<kErrCount>({{kTranslated, "translated"},
                           {kUntouched, "not in a translated prefix (passed untouched)"},
                           {kNoMapping, "no mapping for a 0xffff word (dropped, ICMPv6 sent)"},
                           {kQuoted, "address quoted in an ICMPv6 error translated"}});
}
}  // namespace

static NodeRegistration reg_in{{
    .name = "npt66-in",
    .fn = npt66<true>,
    .init = counters_init,
    .next_names = names<kNextCount>({{kIcmp, "ip6-icmp-error"}}),
    .errors = errors(),
}};
static NodeRegistration reg_out{{
    .name = "npt66-out",
    .fn = npt66<false>,
    .init = counters_init,
    .next_names = names<kNextCount>({{kIcmp, "ip6-icmp-error"}}),
    .errors = errors(),
}};
static FeatureRegistration f_in{
    {.arc = "ip6-unicast", .node = "npt66-in", .runs_before = {"ip6-flow-handoff", "fw-ip6"}, .module_only = true}};
static FeatureRegistration f_out{{.arc = "ip6-output", .node = "npt66-out", .module_only = true}};

}  // namespace vp::npt66
