// tcp-mss-clamping-ip4-in/-out and tcp-mss-clamping-ip6-in/-out (VPP's
// names): lower the MSS option of TCP SYN and SYN-ACK segments to the
// interface's clamp. The -in nodes are features on the ip4-unicast and
// ip6-unicast arcs of the interface a segment arrives on, the -out nodes
// on the ip4-output and ip6-output arcs of the one it leaves by, each
// enabled by "set interface tcp-mss-clamp" for its direction only.
//
// Almost every packet is not a SYN: the loop reads the protocol, the IP
// length and the TCP flags, and only a SYN (or a TCP header the length
// cuts short) goes to the out-of-line slow path. Fragments, IPv6 packets
// with a fragment header and non-TCP packets pass untouched. A segment
// whose IP length leaves less than a TCP header is dropped (no endpoint
// takes it); malformed options are counted and the segment passes as it
// came.
#include <rte_ip.h>

#include <algorithm>

#include "features/mss_clamp/mss_clamp_ops.hpp"
#include "features/mss_clamp/mss_clamp_tcp.hpp"
#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"
#include "net/ip6/ip6.hpp"

namespace vp::mss {

namespace {
enum Err : uint16_t { kClamped, kMalformed, kTruncated, kErrCount };

inline uint16_t be16(const uint8_t* b) { return uint16_t(b[0] << 8 | b[1]); }

// Whether the slow path must look at this IPv4 packet: TCP with its SYN
// flag set, with IP options, or with an IP length too short for a TCP
// header (a fragment's, or a truncated segment). The bytes are read
// without a branch between them and tested at once: one predictable branch
// per packet. The flags byte of a short packet is read past its end but
// inside its buffer, and ignored.
inline bool look4(const uint8_t* l3) {
  const bool tcp = l3[9] == IPPROTO_TCP;
  const bool odd = (l3[0] != 0x45) | (be16(l3 + 2) < 20 + kTcpHdr) | bool(l3[20 + 13] & kSyn);
  return tcp & odd;
}

// IPv6: TCP right after the fixed header, as for IPv4; hop-by-hop, routing
// and destination-options headers are walked in the slow path.
inline bool look6(const uint8_t* l3) {
  const uint8_t nh = l3[6];
  const bool tcp = nh == IPPROTO_TCP, ext = (nh == 0) | (nh == 43) | (nh == 60);
  return (tcp & ((be16(l3 + 4) < kTcpHdr) | bool(l3[40 + 13] & kSyn))) | ext;
}

// The TCP header of a packet look4/look6 picked and how many of its bytes
// the packet holds; len 0 for a packet to leave alone (a fragment, not TCP
// after its extension headers).
struct Seg {
  uint8_t* th = nullptr;
  uint32_t len = 0;
  bool truncated = false;
};

Seg seg4(uint8_t* l3, uint32_t avail) {
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(l3);
  const uint32_t hl = rte_ipv4_hdr_len(ip), tl = std::min<uint32_t>(rte_be_to_cpu_16(ip->total_length), avail);
  if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG) || hl < 20 || tl < hl) return {};
  if (tl - hl < kTcpHdr) return {.truncated = true};
  return {l3 + hl, tl - hl};
}

Seg seg6(uint8_t* l3, uint32_t avail) {
  const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(l3);
  uint8_t proto = ip->proto;
  uint32_t l4 = sizeof(rte_ipv6_hdr), nh_off = 0;
  const uint32_t tl = std::min<uint32_t>(rte_be_to_cpu_16(ip->payload_len) + sizeof(rte_ipv6_hdr), avail);
  if (proto != IPPROTO_TCP && (!ip6_upper(ip, tl, proto, l4, nh_off) || proto != IPPROTO_TCP)) return {};
  if (tl < l4 + kTcpHdr) return {.truncated = true};
  return {l3 + l4, tl - l4};
}

// A SYN's clamp, or a truncated segment's drop (true). Out of line: a
// vector of established traffic never comes here.
template <bool kV6, bool kTx>
__attribute__((noinline)) bool slow(Thread& t, NodeRt& self, rte_mbuf* m, PktMeta& pm, uint8_t* l3) {
  const uint32_t avail = m->data_len > pm.l3_off ? m->data_len - pm.l3_off : 0;
  const Seg s = kV6 ? seg6(l3, avail) : seg4(l3, avail);
  if (s.truncated) {
    pm.error = uint16_t(self.error_base + kTruncated);
    t.trace(self, m, "TCP header truncated: dropped");
    return true;
  }
  if (!s.len || !(s.th[13] & kSyn)) return false;
  const uint32_t sw_if = kTx ? pm.tx_if : pm.rx_if;
  const uint32_t both = sw_if < kMaxInterfaces ? g_mss[sw_if].load(std::memory_order_relaxed) : 0;
  const uint16_t clamp = uint16_t(kV6 ? both >> 16 : both);
  if (!clamp) return false;  // turned off since this packet entered the arc
  uint16_t was = 0;
  switch (clamp_mss(s.th, s.len, clamp, m->ol_flags & RTE_MBUF_F_TX_L4_MASK, &was)) {
    case Clamp::kClamped:
      t.count_error(self, kClamped);
      t.trace(self, m, "TCP SYN: MSS %u clamped to %u", was, clamp);
      break;
    case Clamp::kMalformed:
      t.count_error(self, kMalformed);
      t.trace(self, m, "TCP SYN: malformed options, left alone");
      break;
    case Clamp::kUnchanged:
      if (was)
        t.trace(self, m, "TCP SYN: MSS %u, clamp %u", was, clamp);
      else
        t.trace(self, m, "TCP SYN: no MSS option");
      break;
  }
  return false;
}

// feature_next over a vector. Its packets come in runs from one interface
// at one position on the arc, so the interface's list is looked up once per
// run: per packet, feature_next's chain of loads (snapshot, list, length,
// entry) was most of what these nodes cost.
template <bool kTx>
struct ArcRun {
  const ArcDef& arc;
  uint32_t sw_if = kNoIf;
  uint8_t from = 0xff, to_pos = 0;  // 0xff: no position (ArcCfg::n < 256), so the first packet looks up
  NodeId to = kNoNode;

  NodeId next(PktMeta& m) {
    const uint32_t i = kTx ? m.tx_if : m.rx_if;
    if (__builtin_expect(i != sw_if || m.arc_pos != from, 0)) {
      sw_if = i;
      from = m.arc_pos;
      to = feature_next(arc, m);
      to_pos = m.arc_pos;
      return to;
    }
    m.arc_pos = to_pos;
    return to;
  }
};

template <bool kV6, bool kTx>
void clamp_node(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  ArcRun<kTx> run{Arcs::get().arc(meta(p[0]).arc)};
  NodeId next[256];
  for (uint32_t i = 0; i < n; i++) {
    prefetch_ahead(p, i, n);
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    uint8_t* l3 = rte_pktmbuf_mtod(m, uint8_t*) + pm.l3_off;
    next[i] = run.next(pm);
    if (__builtin_expect(kV6 ? look6(l3) : look4(l3), 0) && slow<kV6, kTx>(t, self, m, pm, l3)) next[i] = self.next[0];
  }
  t.enqueue_nexts(p, next, n);
}

Names errors() {
  return names<kErrCount>({{kClamped, "MSS clamped"},
                           {kMalformed, "malformed TCP options (passed unchanged)"},
                           {kTruncated, "TCP header truncated"}});
}
}  // namespace

static NodeRegistration r4i{{.name = "tcp-mss-clamping-ip4-in",
                             .fn = clamp_node<false, false>,
                             .next_names = "error-drop",
                             .errors = errors()}};
static NodeRegistration r4o{{.name = "tcp-mss-clamping-ip4-out",
                             .fn = clamp_node<false, true>,
                             .next_names = "error-drop",
                             .errors = errors()}};
static NodeRegistration r6i{
    {.name = "tcp-mss-clamping-ip6-in", .fn = clamp_node<true, false>, .next_names = "error-drop", .errors = errors()}};
static NodeRegistration r6o{
    {.name = "tcp-mss-clamping-ip6-out", .fn = clamp_node<true, true>, .next_names = "error-drop", .errors = errors()}};
// After the firewall: what it drops is not rewritten first.
static FeatureRegistration f4i{
    {.arc = "ip4-unicast", .node = "tcp-mss-clamping-ip4-in", .runs_after = {"fw-ip4"}, .module_only = true}};
static FeatureRegistration f4o{
    {.arc = "ip4-output", .node = "tcp-mss-clamping-ip4-out", .runs_after = {"fw-ip4-out"}, .module_only = true}};
static FeatureRegistration f6i{
    {.arc = "ip6-unicast", .node = "tcp-mss-clamping-ip6-in", .runs_after = {"fw-ip6"}, .module_only = true}};
static FeatureRegistration f6o{
    {.arc = "ip6-output", .node = "tcp-mss-clamping-ip6-out", .runs_after = {"fw-ip6-out"}, .module_only = true}};

}  // namespace vp::mss
