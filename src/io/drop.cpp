// error-drop: the one place packets are freed after a node decided to drop
// them. Counts each packet under its reason and against its rx interface.
// consumed: frees packets that did their job (the node that sent them here
// counted them under their reason): the default end of arcs such as
// arp-learned.
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/capture.hpp"
#include "io/mbuf_free.hpp"

namespace vp {

static void error_drop(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  const auto& errs = Registry::get().errors();
  for (uint32_t i = 0; i < n; i++) {
    PktMeta& m = meta(p[i]);
    t.count_error_id(m.error);
    if (m.rx_if != kNoIf) cadd(t.ifc(m.rx_if).drops, 1);
    if (__builtin_expect(m.flags & kTraced, 0))
      t.trace(self, p[i], "drop: %s: %s", Registry::get().nodes()[errs[m.error].node]->name.c_str(),
              errs[m.error].reason.c_str());
  }
  capture(t, kCapDrop, kNoIf, p, n);
  free_bulk(p, n);
}

static void consumed(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) t.trace(self, p[i], "consumed");
  free_bulk(p, n);
}

static NodeRegistration reg{{.name = "error-drop", .fn = error_drop}};
static NodeRegistration reg_consumed{{.name = "consumed", .fn = consumed}};

}  // namespace vp
