// ip6-lookup: longest-prefix match in the packet's table for the whole
// vector at once (level by level, prefetched), then load-balance by the
// symmetric flow hash to an adjacency (ip6-rewrite), a neighbour to resolve
// (ip6-nd), ourselves (ip6-local), or an ICMPv6 error / drop
// (net/ip/lookup.hpp). Packets with a link-local source or destination are
// never forwarded (RFC 4291 2.5.6), only delivered; what vplane itself
// sends may use them.
#include "net/ip/lookup.hpp"
#include "net/ip6/ip6.hpp"

namespace vp {

namespace {
void ip6_lookup(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  u128 dst[256];
  bool ll[256];
  for (uint32_t i = 0; i < n; i++) {
    prefetch_ahead(p, i, n);
    const rte_ipv6_hdr* ip = ip6_hdr(p[i]);
    dst[i] = ip6_key(ip->dst_addr);
    ll[i] = (ip6_is_ll(ip->src_addr) || ip6_is_ll(ip->dst_addr)) && !(meta(p[i]).flags & kLocalOrigin);
  }
  lookup_vector(t, self, p, n, dst, ll, LookupIcmp{1, 0, 1}, [](rte_mbuf* m) { return flow_hash6(ip6_hdr(m)); });
}
}  // namespace

static NodeRegistration reg{{
    .name = "ip6-lookup",
    .fn = ip6_lookup,
    .next_names = names<kLookupNextCount>({{kLookupRewrite, "ip6-rewrite"},
                                           {kLookupResolve, "ip6-nd"},
                                           {kLookupLocal, "ip6-local"},
                                           {kLookupIcmp, "ip6-icmp-error"},
                                           {kLookupDrop, "error-drop"}}),
    .errors = names<kLookupErrCount>({{kLookupNoTable, "no such table"},
                                      {kLookupBlackhole, "blackhole route"},
                                      {kLookupNoRoute, "no route (ICMPv6 unreachable sent)"},
                                      {kLookupProhibit, "prohibited (ICMPv6 sent)"},
                                      {kLookupNotForwarded, "link-local source or destination not forwarded"}}),
}};

}  // namespace vp
