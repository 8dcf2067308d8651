#include "io/input.hpp"

#include "graph/registry.hpp"
#include "io/capture.hpp"
#include "io/interface.hpp"
#include "io/rx_queue.hpp"

namespace vp {

void deliver_rx(Thread& t, NodeRt& self, uint32_t sw_if, rte_mbuf** pkts, uint32_t n, NodeId to) {
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < n; i++) {
    meta_init(pkts[i], sw_if);
    bytes += pkts[i]->pkt_len;
  }
  IfCounters& c = t.ifc(sw_if);
  cadd(c.rx_packets, n);
  cadd(c.rx_bytes, bytes);
  const IfFast* f = if_fast(sw_if);
  if (__builtin_expect(self.trace_budget.load(std::memory_order_relaxed) > 0, 0)) {
    t.trace_mark(self, pkts, n);
    for (uint32_t i = 0; i < n; i++)
      t.trace(self, pkts[i], "%s: rx len %u", f ? f->name.c_str() : "?", pkts[i]->pkt_len);
  }
  capture(t, kCapRx, sw_if, pkts, n);
  if (to != kNoNode) {
    t.enqueue(to, pkts, n);
    return;
  }
  const ArcDef& arc = Arcs::get().arc(kArcDeviceInput);
  if (__builtin_expect(!f || !f->arcs[kArcDeviceInput], 1)) {
    t.enqueue(arc.end, pkts, n);
    return;
  }
  for (uint32_t i = 0; i < n; i++) arc_enter(f, arc, meta(pkts[i]));
  t.enqueue(f->arcs[kArcDeviceInput]->nodes[0], pkts, n);
}

uint32_t port_input(Thread& t, NodeRt& self) {
  auto* rl = static_cast<const RxList*>(self.rx.load(std::memory_order_acquire));
  if (!rl) return 0;
  uint32_t total = 0;
  rte_mbuf* pkts[256];
  const uint16_t vs = uint16_t(t.vsize());
  for (uint32_t i = 0; i < rl->n; i++) {
    const RxQueue& rq = rl->q[i];
    uint16_t n = rq.port->rx(t, rq.q, pkts, vs);
    if (!n) continue;
    deliver_rx(t, self, rq.sw_if, pkts, n);
    total += n;
  }
  return total;
}

// One input node per port kind, so show runtime and trace add name them as VPP does.
static NodeRegistration r_afp{{.name = "af-packet-input", .input = port_input}};
static NodeRegistration r_afx{{.name = "af-xdp-input", .input = port_input}};
static NodeRegistration r_memif{{.name = "memif-input", .input = port_input}};
static NodeRegistration r_vhost{{.name = "vhost-user-input", .input = port_input}};
static NodeRegistration r_dpdk{{.name = "dpdk-input", .input = port_input}};
static NodeRegistration r_tap{{.name = "tap-input", .input = port_input}};

}  // namespace vp
