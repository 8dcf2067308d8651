#pragma once
// Frees a burst of packets. The common packet (one segment, direct, one
// reference, from the first packet's pool) goes back to its pool in one
// bulk put reading only the mbuf's first cache line; anything else takes
// rte_pktmbuf_free. rte_pktmbuf_free_bulk reads every mbuf's second line
// (`next`) and is a call into a shared library whose pool access pays a
// TLS lookup: about half of what a null sink cost per packet. A single
// segment's `next` is NULL by the mbuf contract, so it need not be read.
#include <rte_mbuf.h>

#include <cstdint>

namespace vp {

inline void free_bulk(rte_mbuf** m, uint32_t n) {
  constexpr uint32_t kMax = 256;
  while (n) {
    uint32_t chunk = n < kMax ? n : kMax, k = 0;
    void* put[kMax];
    rte_mempool* pool = m[0]->pool;
    for (uint32_t i = 0; i < chunk; i++) {
      rte_mbuf* x = m[i];
      if (__builtin_expect(x->pool == pool && x->nb_segs == 1 && RTE_MBUF_DIRECT(x) && rte_mbuf_refcnt_read(x) == 1, 1))
        put[k++] = x;
      else
        rte_pktmbuf_free(x);
    }
    if (k) rte_mempool_put_bulk(pool, put, k);
    m += chunk;
    n -= chunk;
  }
}

}  // namespace vp
