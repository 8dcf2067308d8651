#include "io/capture.hpp"

#include <fmt/format.h>
#include <rte_ring.h>
#include <time.h>

#include <memory>
#include <vector>

#include "graph/meta.hpp"
#include "graph/rcu.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "io/eal.hpp"
#include "io/interface.hpp"
#include "io/pcapng.hpp"

namespace vp {

std::atomic<uint8_t> g_capture_points{0};

namespace {
struct State {
  std::atomic<uint32_t> filter{kNoIf};
  std::atomic<int64_t> budget{0};
  std::vector<rte_ring*> rings;
  PcapngWriter w;
  std::string file;
  uint8_t points = 0;
  uint64_t max = 0;
};
State& st() {
  static State s;
  return s;
}
uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}
}  // namespace

void capture_slow(Thread& t, CapturePoint p, uint32_t sw_if, rte_mbuf** pkts, uint32_t n) {
  State& s = st();
  uint32_t f = s.filter.load(std::memory_order_relaxed);
  if (t.index() >= s.rings.size()) return;
  rte_ring* ring = s.rings[t.index()];
  for (uint32_t i = 0; i < n; i++) {
    uint32_t ifx = sw_if != kNoIf ? sw_if : (p == kCapTx ? meta(pkts[i]).tx_if : meta(pkts[i]).rx_if);
    if (f != kNoIf && ifx != f) continue;
    if (s.budget.fetch_sub(1, std::memory_order_relaxed) <= 0) {
      g_capture_points.fetch_and(uint8_t(~(kCapRx | kCapTx | kCapDrop)));
      return;
    }
    rte_mbuf* c = rte_pktmbuf_copy(pkts[i], eal().pool, 0, UINT32_MAX);
    if (!c) continue;
    PktMeta& m = meta(c);
    m.rx_if = ifx;
    m.flags = p;
    m.error = meta(pkts[i]).error;
    *reinterpret_cast<uint64_t*>(m.opaque) = now_ns();
    if (rte_ring_sp_enqueue(ring, c) != 0) rte_pktmbuf_free(c);
  }
}

void capture_start(uint8_t points, uint32_t sw_if, uint64_t max, const std::string& file) {
  State& s = st();
  if (g_capture_points.load()) fail("a pcap trace is already running: stop it with 'pcap trace off'");
  if (!points) fail("say what to capture: rx, tx and/or drop");
  if (max == 0) fail("max must be at least 1");
  s.w.open(file);  // throws before anything is armed
  auto& th = threads();
  if (s.rings.empty())
    for (uint32_t i = 0; i < th.size(); i++) {
      auto name = fmt::format("vp-cap-{}", i);
      rte_ring* r = rte_ring_create(name.c_str(), 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (!r) fail("cannot create capture ring");
      s.rings.push_back(r);
    }
  s.file = file;
  s.points = points;
  s.max = max;
  s.filter = sw_if;
  s.budget = int64_t(max);
  g_capture_points.store(points, std::memory_order_release);
}

void capture_poll() {
  State& s = st();
  if (!s.w.is_open()) return;
  rte_mbuf* b[64];
  for (rte_ring* r : s.rings) {
    unsigned n;
    while ((n = rte_ring_sc_dequeue_burst(r, reinterpret_cast<void**>(b), 64, nullptr)) > 0) {
      for (unsigned i = 0; i < n; i++) {
        PktMeta& m = meta(b[i]);
        const IfFast* f = if_fast(m.rx_if);
        std::string ifname = f ? f->name : fmt::format("if{}", m.rx_if);
        uint32_t id = s.w.interface(ifname);
        auto dir = m.flags == kCapTx ? PcapngWriter::outbound : PcapngWriter::inbound;
        std::string comment = m.flags == kCapDrop ? "drop" : "";
        uint8_t tmp[16384];
        uint32_t len = std::min<uint32_t>(b[i]->pkt_len, sizeof tmp);
        const uint8_t* d = static_cast<const uint8_t*>(rte_pktmbuf_read(b[i], 0, len, tmp));
        s.w.packet(id, *reinterpret_cast<uint64_t*>(m.opaque), d, len, b[i]->pkt_len, dir, comment);
      }
      rte_pktmbuf_free_bulk(b, n);
    }
  }
}

uint64_t capture_stop() {
  State& s = st();
  if (!s.w.is_open()) fail("no pcap trace is running");
  g_capture_points.store(0, std::memory_order_release);
  rcu().synchronize();  // no worker is still copying into a ring
  capture_poll();
  uint64_t n = s.w.packets();
  s.w.close();
  return n;
}

CaptureStatus capture_status() {
  State& s = st();
  return {s.w.is_open(), s.file, s.points, s.w.packets(), s.max};
}

}  // namespace vp
