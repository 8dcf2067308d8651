// nat44-handoff: the flow handoff of interfaces with a NAT44 role, in place
// of ip4-flow-handoff. Both directions of a translated flow carry different
// tuples, so the owner is NAT's (nat_state.hpp, owner4): by port share for
// pool addresses, by the local endpoint for static mappings, by the
// symmetric hash for the rest.
#include "features/nat/nat_state.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "net/ip/flow_handoff.hpp"

namespace vp::nat {

namespace {
void owners_init(Thread&, NodeRt& self) { self.state = new FlowOwners(threads().forwarding()); }

void nat44_handoff(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  const NatState& ns = nat_state();
  flow_handoff(
      t, self, p, n, [](rte_mbuf* m) { return flow_hash4(ip4_hdr(m)); },
      [&ns](rte_mbuf* m, const FlowOwners& own, uint32_t hash) {
        if (ns.addrs.empty()) return own.owner(hash);
        const rte_ipv4_hdr* ip = ip4_hdr(m);
        const uint32_t frame = rte_pktmbuf_data_len(m) - meta(m).l3_off;
        const uint32_t tl = rte_be_to_cpu_16(ip->total_length);
        return owner4(ns, own, ip, tl < frame ? tl : frame, hash);
      });
}
}  // namespace

static NodeRegistration reg{{
    .name = "nat44-handoff",
    .fn = nat44_handoff,
    .init = owners_init,
    .errors = flow_handoff_errors(),
}};
static FeatureRegistration feat{
    {.arc = "ip4-unicast", .node = "nat44-handoff", .runs_before = {"fw-ip4"}, .module_only = true}};

}  // namespace vp::nat
