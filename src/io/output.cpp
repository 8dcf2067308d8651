// interface-output: transmits each run of packets bound to the same tx
// interface with one port call, counts them, and drops (with a reason) what
// cannot leave.
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/capture.hpp"
#include "io/eal.hpp"
#include "io/interface.hpp"
#include "io/mbuf_free.hpp"
#include "io/offload.hpp"

namespace vp {

namespace {
enum Err : uint16_t { kNoSuchIf, kIfDown, kTxFull, kOffload, kErrCount };

void drop_run(Thread& t, const NodeRt& self, rte_mbuf** p, uint32_t n, uint16_t code) {
  for (uint32_t i = 0; i < n; i++) t.drop(self, p[i], code);
}

void transmit(Thread& t, NodeRt& self, const IfFast* f, rte_mbuf** p, uint32_t n) {
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < n; i++) bytes += p[i]->pkt_len;
  capture(t, kCapTx, f->sw_if_index, p, n);
  uint16_t sent = f->port->tx(t, p, uint16_t(n));
  IfCounters& c = t.ifc(f->sw_if_index);
  if (__builtin_expect(sent < n, 0)) {
    for (uint32_t i = sent; i < n; i++) bytes -= p[i]->pkt_len;
    cadd(c.tx_errors, n - sent);
    t.count_error(self, kTxFull, n - sent);
    free_bulk(p + sent, n - sent);
  }
  cadd(c.tx_packets, sent);
  cadd(c.tx_bytes, bytes);
}

// Some frames carry offload requests (GSO, partial checksum) the port cannot
// honour: finish them in software, segmenting as needed, then transmit.
void transmit_sw_offload(Thread& t, NodeRt& self, const IfFast* f, rte_mbuf** p, uint32_t n) {
  rte_mbuf* out[512];
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (!(p[i]->ol_flags & kSwOffloadFlags)) {
      out[k++] = p[i];
    } else {
      if (k > 512 - 64) {
        transmit(t, self, f, out, k);
        k = 0;
      }
      uint16_t got = sw_offload(p[i], eal().pool, out + k, uint16_t(512 - k));
      if (!got) t.count_error(self, kOffload);
      k += got;
    }
    if (k == 512) {
      transmit(t, self, f, out, k);
      k = 0;
    }
  }
  if (k) transmit(t, self, f, out, k);
}

void send_run(Thread& t, NodeRt& self, uint32_t tx, rte_mbuf** p, uint32_t n) {
  const IfFast* f = if_fast(tx);
  if (__builtin_expect(!f, 0)) return drop_run(t, self, p, n, kNoSuchIf);
  if (__builtin_expect(!f->admin_up, 0)) return drop_run(t, self, p, n, kIfDown);
  uint64_t ol = 0;
  for (uint32_t i = 0; i < n; i++) {
    ol |= p[i]->ol_flags;
    if (__builtin_expect(meta(p[i]).flags & kTraced, 0))
      t.trace(self, p[i], "%s: tx len %u", f->name.c_str(), p[i]->pkt_len);
  }
  if (__builtin_expect((ol & kSwOffloadFlags) && !f->port->tx_offload(), 0))
    return transmit_sw_offload(t, self, f, p, n);
  transmit(t, self, f, p, n);
}

void interface_output(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  uint32_t i = 0;
  while (i < n) {
    uint32_t tx = meta(p[i]).tx_if;
    uint32_t j = i + 1;
    while (j < n && meta(p[j]).tx_if == tx) {
      prefetch_ahead(p, j, n);
      j++;
    }
    send_run(t, self, tx, p + i, j - i);
    i = j;
  }
}
}  // namespace

static NodeRegistration reg{{
    .name = "interface-output",
    .fn = interface_output,
    .errors = names<kErrCount>({{kNoSuchIf, "no such interface"},
                                {kIfDown, "interface down"},
                                {kTxFull, "tx queue full"},
                                {kOffload, "software offload failed (segment too large or no buffers)"}}),
}};

}  // namespace vp
