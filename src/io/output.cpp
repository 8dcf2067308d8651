// interface-output: transmits each run of packets bound to the same tx
// interface with one port call, counts them, and drops (with a reason) what
// cannot leave.
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/capture.hpp"
#include "io/interface.hpp"

namespace vp {

namespace {
enum Err : uint16_t { kNoSuchIf, kIfDown, kTxFull, kMtu };

void drop_run(Thread& t, const NodeRt& self, rte_mbuf** p, uint32_t n, uint16_t code) {
  for (uint32_t i = 0; i < n; i++) t.drop(self, p[i], code);
}

void send_run(Thread& t, NodeRt& self, uint32_t tx, rte_mbuf** p, uint32_t n) {
  const IfFast* f = if_fast(tx);
  if (__builtin_expect(!f, 0)) return drop_run(t, self, p, n, kNoSuchIf);
  if (__builtin_expect(!f->admin_up, 0)) return drop_run(t, self, p, n, kIfDown);
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < n; i++) {
    bytes += p[i]->pkt_len;
    if (__builtin_expect(meta(p[i]).flags & kTraced, 0))
      t.trace(self, p[i], "%s: tx len %u", f->name.c_str(), p[i]->pkt_len);
  }
  capture(t, kCapTx, tx, p, n);
  uint16_t sent = f->port->tx(t, p, uint16_t(n));
  IfCounters& c = t.ifc(tx);
  if (__builtin_expect(sent < n, 0)) {
    for (uint32_t i = sent; i < n; i++) bytes -= p[i]->pkt_len;
    cadd(c.tx_errors, n - sent);
    t.count_error(self, kTxFull, n - sent);
    rte_pktmbuf_free_bulk(p + sent, n - sent);
  }
  cadd(c.tx_packets, sent);
  cadd(c.tx_bytes, bytes);
}

void interface_output(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  uint32_t i = 0;
  while (i < n) {
    uint32_t tx = meta(p[i]).tx_if;
    uint32_t j = i + 1;
    while (j < n && meta(p[j]).tx_if == tx) j++;
    send_run(t, self, tx, p + i, j - i);
    i = j;
  }
}
}  // namespace

static NodeRegistration reg{{
    .name = "interface-output",
    .fn = interface_output,
    .errors = {"no such interface", "interface down", "tx queue full", "mtu exceeded"},
}};

}  // namespace vp
