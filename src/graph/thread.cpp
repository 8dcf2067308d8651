#include "graph/thread.hpp"

#include <emmintrin.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "graph/registry.hpp"
#include "infra/error.hpp"
#include "infra/tsc.hpp"

namespace vp {

static NodeRegistration handoff_reg{{
    .name = "handoff",
    .fn = [](Thread&, NodeRt&, rte_mbuf**, uint32_t) {},
    .errors = {"handoff queue full"},
}};

NodeRt::~NodeRt() {
  std::free(buf);
  std::free(spare);
}

Thread::Thread(uint32_t index, uint32_t n_threads, uint32_t vsize)
    : index_(index), n_threads_(n_threads), vsize_(vsize) {
  auto& reg = Registry::get();
  if (!reg.finalized()) fail("graph not finalized before creating threads");
  n_nodes_ = reg.nodes().size();
  nodes_.reset(new NodeRt[n_nodes_]);
  uint32_t pcap = 1;
  while (pcap < n_nodes_ + 1) pcap <<= 1;
  pending_.reset(new NodeId[pcap]);
  pend_mask_ = pcap - 1;
  errors_.reset(new uint64_t[reg.errors().size() + 1]());
  drop_node_ = reg.id("error-drop");
  handoff_err_ = reg.error_id(reg.id("handoff"), 0);
  in_rings_.assign(n_threads, nullptr);
  out_rings_.assign(n_threads, nullptr);
  for (auto& d : reg.nodes()) {
    NodeRt& r = nodes_[d->id];
    r.def = d.get();
    r.id = d->id;
    r.next = d->next.data();
    r.error_base = d->error_base;
    // Sized for several full vectors from several producers; grows (rarely,
    // once) if a topology ever needs more.
    r.cap = r.spare_cap = 1024;
    r.buf = static_cast<rte_mbuf**>(std::malloc(r.cap * sizeof(rte_mbuf*)));
    r.spare = static_cast<rte_mbuf**>(std::malloc(r.cap * sizeof(rte_mbuf*)));
    if (d->input) inputs_.push_back(&r);
  }
  for (auto& d : reg.nodes())
    if (d->init) d->init(*this, nodes_[d->id]);
}

Thread::~Thread() = default;

void Thread::grow(NodeRt& r, uint32_t need) {
  uint32_t cap = r.cap;
  while (cap < need) cap *= 2;
  r.buf = static_cast<rte_mbuf**>(std::realloc(r.buf, cap * sizeof(rte_mbuf*)));
  r.cap = cap;
}

namespace {
// The end of the run of `cur` starting at to[i]: eight next-node ids per
// compare. Most vectors are one run, and an element-by-element scan was
// most of enqueue_nexts, about a clock per packet in every node.
uint32_t run_end(const NodeId* to, uint32_t i, uint32_t n, NodeId cur) {
  static_assert(sizeof(NodeId) == 2);
  const __m128i c = _mm_set1_epi16(static_cast<short>(cur));
  for (; i + 8 <= n; i += 8) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(to + i));
    uint32_t differ = ~uint32_t(_mm_movemask_epi8(_mm_cmpeq_epi16(v, c))) & 0xffff;
    if (differ) return i + (uint32_t(__builtin_ctz(differ)) >> 1);
  }
  while (i < n && to[i] == cur) i++;
  return i;
}
}  // namespace

void Thread::enqueue_nexts(rte_mbuf** p, const NodeId* to, uint32_t n) {
  uint32_t i = 0;
  while (i < n) {
    NodeId cur = to[i];
    uint32_t j = run_end(to, i + 1, n, cur);
    if (__builtin_expect(cur != kNoNode, 1)) enqueue(cur, p + i, j - i);
    i = j;
  }
}

void Thread::run_pending_from(uint64_t t) {
  const uint32_t vs = vsize();
  while (pend_head_ != pend_tail_) {
    NodeRt& r = nodes_[pending_[pend_head_++ & pend_mask_]];
    r.pending = false;
    // Swap buffers so the node may enqueue to itself while we walk its input.
    std::swap(r.buf, r.spare);
    std::swap(r.cap, r.spare_cap);
    uint32_t n = r.n;
    r.n = 0;
    rte_mbuf** b = r.spare;
    for (uint32_t off = 0; off < n; off += vs) {
      uint32_t k = n - off < vs ? n - off : vs;
      r.def->fn(*this, r, b + off, k);
      uint64_t end = rdtsc();
      cadd(r.calls, 1);
      cadd(r.vectors, k);
      cadd(r.clocks, end - t);
      t = end;
    }
  }
}

uint32_t Thread::drain_handoff() {
  uint32_t total = 0;
  rte_mbuf* pkts[256];
  NodeId nexts[256];
  for (rte_ring* ring : in_rings_) {
    if (!ring) continue;
    uint32_t n = rte_ring_sc_dequeue_burst(ring, reinterpret_cast<void**>(pkts), vsize(), nullptr);
    if (!n) continue;
    for (uint32_t i = 0; i < n; i++) nexts[i] = meta(pkts[i]).next;
    enqueue_nexts(pkts, nexts, n);
    total += n;
  }
  return total;
}

void Thread::handoff(uint32_t dst, rte_mbuf** p, uint32_t n) {
  rte_ring* ring = dst < out_rings_.size() ? out_rings_[dst] : nullptr;
  uint32_t done = ring ? rte_ring_sp_enqueue_burst(ring, reinterpret_cast<void**>(p), n, nullptr) : 0;
  for (uint32_t i = done; i < n; i++) {
    meta(p[i]).error = handoff_err_;
    enqueue1(drop_node_, p[i]);
  }
}

uint32_t Thread::loop_once(uint64_t now) {
  uint32_t got = 0;
  for (NodeRt* in : inputs_) {
    uint32_t k = in->def->input(*this, *in);
    if (k) {
      uint64_t end = rdtsc();
      cadd(in->calls, 1);
      cadd(in->vectors, k);
      cadd(in->clocks, end - now);
      now = end;
      got += k;
    }
  }
  got += drain_handoff();
  run_pending_from(now);
  cadd(loops_, 1);
  return got;
}

void Thread::trace_mark_slow(NodeRt& self, rte_mbuf** p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    int32_t b = self.trace_budget.load(std::memory_order_relaxed);
    if (b <= 0) break;
    self.trace_budget.store(b - 1, std::memory_order_relaxed);
    PktMeta& m = meta(p[i]);
    m.flags |= kTraced;
    m.trace_id = index_ << 24 | (++trace_.next_id & 0xffffff);
  }
}

void Thread::trace(const NodeRt& self, rte_mbuf* p, const char* fmt, ...) {
  PktMeta& m = meta(p);
  if (!(m.flags & kTraced)) return;
  TraceRec* r = trace_.reserve();
  if (!r) return;
  r->id = m.trace_id;
  r->node = self.id;
  r->tsc = rdtsc();
  va_list ap;
  va_start(ap, fmt);
  int len = std::vsnprintf(r->text, sizeof r->text, fmt, ap);
  va_end(ap);
  r->len = uint16_t(len < 0 ? 0 : len >= int(sizeof r->text) ? sizeof r->text - 1 : len);
  trace_.commit();
}

}  // namespace vp
