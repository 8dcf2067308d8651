#include "io/ports/tap/tap_tx.hpp"

#include "graph/thread.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "io/ports/tap/vnet_hdr.hpp"

namespace vp {

namespace {
constexpr uint32_t kRing = 256;
}

TapTx::TapTx() : rings_(threads().size()) {
  for (size_t i = 0; i < rings_.size(); i++)
    if (io_uring_queue_init(kRing, &rings_[i], 0) != 0) {
      while (i--) io_uring_queue_exit(&rings_[i]);
      fail("cannot set up io_uring for TAP transmit (kernel too old or memlock limit)");
    }
}

TapTx::~TapTx() {
  for (auto& r : rings_) {
    reap(r);
    io_uring_queue_exit(&r);
  }
}

void TapTx::reap(io_uring& r) {
  io_uring_cqe* cqes[kRing];
  unsigned got = io_uring_peek_batch_cqe(&r, cqes, kRing);
  if (!got) return;
  rte_mbuf* m[kRing];
  for (unsigned i = 0; i < got; i++) m[i] = reinterpret_cast<rte_mbuf*>(cqes[i]->user_data);
  io_uring_cq_advance(&r, got);
  rte_pktmbuf_free_bulk(m, got);
}

uint16_t TapTx::send(Thread& t, int fd, rte_mbuf** p, uint16_t n) {
  io_uring& r = rings_[t.index() % rings_.size()];
  reap(r);
  uint16_t k = 0;
  uint64_t gsos = 0;
  for (; k < n; k++) {
    rte_mbuf* m = p[k];
    if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) break;
    if (rte_pktmbuf_headroom(m) < kVnetHdr) break;  // never with our pools
    io_uring_sqe* sqe = io_uring_get_sqe(&r);
    if (!sqe) break;
    bool gso;
    VnetHdr* vh = vnet_tx(m, &gso);
    gsos += gso;
    io_uring_prep_write(sqe, fd, vh, m->pkt_len, 0);
    io_uring_sqe_set_data64(sqe, reinterpret_cast<uint64_t>(m));
  }
  if (k) io_uring_submit(&r);
  if (gsos) gso_tx_.fetch_add(gsos, std::memory_order_relaxed);
  return k;
}

}  // namespace vp
