// ip4-lookup: longest-prefix match in the packet's VRF for the whole vector
// at once (prefetched), then load-balance by the symmetric flow hash to an
// adjacency (ip4-rewrite), a neighbour to resolve (ip4-arp), ourselves
// (ip4-local), or an ICMP error / drop (net/ip/lookup.hpp).
#include "net/ip/lookup.hpp"
#include "net/ip4/ip4.hpp"

namespace vp {

namespace {
void ip4_lookup(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  uint32_t dst[256];
  for (uint32_t i = 0; i < n; i++) {
    prefetch_ahead(p, i, n);
    dst[i] = rte_be_to_cpu_32(ip4_hdr(p[i])->dst_addr);
  }
  lookup_vector(t, self, p, n, dst, nullptr, LookupIcmp{3, 0, 13}, [](rte_mbuf* m) { return flow_hash4(ip4_hdr(m)); });
}
}  // namespace

static NodeRegistration reg{{
    .name = "ip4-lookup",
    .fn = ip4_lookup,
    .next_names = names<kLookupNextCount>({{kLookupRewrite, "ip4-rewrite"},
                                           {kLookupResolve, "ip4-arp"},
                                           {kLookupLocal, "ip4-local"},
                                           {kLookupIcmp, "ip4-icmp-error"},
                                           {kLookupDrop, "error-drop"}}),
    .errors = names<kLookupErrCount>({{kLookupNoTable, "no such table"},
                                      {kLookupBlackhole, "blackhole route"},
                                      {kLookupNoRoute, "no route (ICMP unreachable sent)"},
                                      {kLookupProhibit, "prohibited (ICMP sent)"},
                                      {kLookupNotForwarded, "link-local scope not forwarded (IPv6 only)"}}),
}};

}  // namespace vp
