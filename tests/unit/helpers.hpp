#pragma once
// Helpers for node tests: build frames, run the main thread's graph.
#include <rte_mbuf.h>

#include <cstring>
#include <vector>

#include "graph/meta.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "io/eal.hpp"

namespace vp::test {

inline rte_mbuf* frame(const std::vector<uint8_t>& bytes, uint32_t rx_if = kNoIf) {
  rte_mbuf* m = rte_pktmbuf_alloc(eal().pool);
  std::memcpy(rte_pktmbuf_append(m, uint16_t(bytes.size())), bytes.data(), bytes.size());
  meta_init(m, rx_if);
  return m;
}

inline std::vector<uint8_t> eth(uint16_t type, size_t len = 64) {
  std::vector<uint8_t> b(len, 0);
  uint8_t hdr[14] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, uint8_t(type >> 8), uint8_t(type)};
  std::memcpy(b.data(), hdr, 14);
  return b;
}

inline Thread& T() { return threads().main(); }

}  // namespace vp::test
