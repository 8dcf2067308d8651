// l2-xconnect: a frame received on a cross-connected interface leaves,
// unchanged, on its peer (set interface l2 xconnect <rx> <tx>).
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"

namespace vp {

namespace {
enum Next : uint16_t { kOutput, kDrop, kNextCount };
enum Err : uint16_t { kNotXconnected, kErrCount };

void l2_xconnect(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  NodeId next[256];
  uint32_t last_if = kNoIf, tx = kNoIf;
  for (uint32_t i = 0; i < n; i++) {
    prefetch_ahead(p, i, n);
    PktMeta& pm = meta(p[i]);
    if (pm.rx_if != last_if) {
      last_if = pm.rx_if;
      const IfFast* f = if_fast(last_if);
      tx = f && f->l2 == L2Mode::xconnect ? f->xc_tx : kNoIf;
    }
    pm.tx_if = tx;
    if (__builtin_expect(tx == kNoIf, 0)) {
      pm.error = uint16_t(self.error_base + kNotXconnected);
      next[i] = self.next[kDrop];
    } else {
      next[i] = self.next[kOutput];
    }
    if (__builtin_expect(pm.flags & kTraced, 0)) {
      const IfFast* o = if_fast(tx);
      t.trace(self, p[i], "l2-xconnect: rx sw_if_index %u -> tx %s", pm.rx_if, o ? o->name.c_str() : "none");
    }
  }
  t.enqueue_nexts(p, next, n);
}
}  // namespace

static NodeRegistration reg{{
    .name = "l2-xconnect",
    .fn = l2_xconnect,
    .next_names = names<kNextCount>({{kOutput, "interface-output"}, {kDrop, "error-drop"}}),
    .errors = names<kErrCount>({{kNotXconnected, "interface not cross-connected"}}),
}};

}  // namespace vp
