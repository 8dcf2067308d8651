#pragma once
// A thread's replica of the graph: one NodeRt per registered node, a FIFO of
// nodes with pending packets, per-thread counters, trace buffer and handoff
// rings. Only its owner thread touches the packet-path state; the main thread
// reads counters and publishes configuration through atomics.
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "graph/counter.hpp"
#include "graph/loop_time.hpp"
#include "graph/meta.hpp"
#include "graph/node.hpp"
#include "graph/trace.hpp"
#include "infra/tsc.hpp"

namespace vp {

struct NodeRt {
  const NodeDef* def = nullptr;
  NodeId id = kNoNode;
  const NodeId* next = nullptr;  // resolved next arcs (def->next)
  uint16_t error_base = 0;
  bool pending = false;
  uint32_t n = 0, cap = 0;  // packets waiting in buf
  rte_mbuf** buf = nullptr;
  rte_mbuf** spare = nullptr;
  uint32_t spare_cap = 0;
  // Runtime counters (owner writes, main reads).
  uint64_t calls = 0, vectors = 0, clocks = 0;
  // Input nodes: packets still to mark as traced, and this thread's rx queues.
  std::atomic<int32_t> trace_budget{0};
  std::atomic<const void*> rx{nullptr};
  void* state = nullptr;
  ~NodeRt();
};

class Thread {
 public:
  Thread(uint32_t index, uint32_t n_threads, uint32_t vsize);
  ~Thread();
  Thread(const Thread&) = delete;

  uint32_t index() const { return index_; }
  uint32_t vsize() const { return vsize_.load(std::memory_order_relaxed); }
  void set_vsize(uint32_t v) { vsize_.store(v, std::memory_order_relaxed); }
  NodeRt& node(NodeId id) { return nodes_[id]; }
  size_t n_nodes() const { return n_nodes_; }

  void enqueue(NodeId to, rte_mbuf** p, uint32_t n) {
    NodeRt& r = nodes_[to];
    if (__builtin_expect(r.n + n > r.cap, 0)) grow(r, r.n + n);
    std::memcpy(r.buf + r.n, p, n * sizeof(*p));
    r.n += n;
    if (!r.pending) mark_pending(r);
  }
  void enqueue1(NodeId to, rte_mbuf* p) { enqueue(to, &p, 1); }
  // Enqueue pkts[i] to to[i], in runs of equal destination; kNoNode marks a
  // packet the node consumed itself (freed, or re-enqueued elsewhere).
  void enqueue_nexts(rte_mbuf** p, const NodeId* to, uint32_t n);
  // Drop with a node-local reason code: counted per reason and per rx interface.
  void drop(const NodeRt& self, rte_mbuf* p, uint16_t code) {
    meta(p).error = uint16_t(self.error_base + code);
    enqueue1(drop_node_, p);
  }
  // A packet that did its job here (an ARP reply or ND advertisement
  // learned from): counted under the reason and freed, not a drop.
  void consume(const NodeRt& self, rte_mbuf* p, uint16_t code) {
    count_error(self, code);
    rte_pktmbuf_free(p);
  }
  void count_error(const NodeRt& self, uint16_t code, uint64_t n = 1) { cadd(errors_[self.error_base + code], n); }
  void count_error_id(uint16_t id, uint64_t n = 1) { cadd(errors_[id], n); }
  uint64_t error_count(uint16_t id) const { return cread(errors_[id]); }

  // Trace one line for a traced packet (checks the flag itself).
  void trace(const NodeRt& self, rte_mbuf* p, const char* fmt, ...) __attribute__((format(printf, 4, 5)));
  // Input nodes: mark up to the node's budget of packets as traced.
  void trace_mark(NodeRt& self, rte_mbuf** p, uint32_t n) {
    if (__builtin_expect(self.trace_budget.load(std::memory_order_relaxed) > 0, 0)) trace_mark_slow(self, p, n);
  }
  TraceBuf& trace_buf() { return trace_; }

  IfCounters& ifc(uint32_t sw_if) { return ifc_.at(sw_if); }
  IfCounterTable& if_counters() { return ifc_; }

  // Worker handoff: packets continue at meta(p).next on thread `dst`.
  void handoff(uint32_t dst, rte_mbuf** p, uint32_t n);
  void set_handoff_ring(uint32_t src, rte_ring* r) { in_rings_[src] = r; }
  rte_ring* handoff_ring(uint32_t src) const { return in_rings_[src]; }
  void set_out_ring(uint32_t dst, rte_ring* r) { out_rings_[dst] = r; }

  // One dispatch-loop iteration: poll inputs, drain handoffs, run pending
  // frames until none is left. Returns packets brought in. `now`: the
  // loop's time stamp, when the caller has one.
  //
  // A node's clocks run from the previous node's end stamp to its own: one
  // rdtsc per node call, as VPP does, not a pair. rdtsc costs about 26
  // cycles on the machines we measure, and a pair per node plus one per
  // input polled was about 20 per vector: 8 clocks per packet of 64.
  // Inputs that bring nothing take no stamp (their empty poll counts
  // towards the next input that brings packets).
  uint32_t loop_once(uint64_t now = rdtsc());
  void run_pending() { run_pending_from(rdtsc()); }
  uint64_t loops() const { return cread(loops_); }
  LoopTime& loop_time() { return loop_time_; }

 private:
  void grow(NodeRt& r, uint32_t need);
  void mark_pending(NodeRt& r) {
    r.pending = true;
    pending_[pend_tail_++ & pend_mask_] = r.id;
  }
  void trace_mark_slow(NodeRt& self, rte_mbuf** p, uint32_t n);
  uint32_t drain_handoff();
  void run_pending_from(uint64_t t);

  uint32_t index_;
  uint32_t n_threads_;
  std::atomic<uint32_t> vsize_;
  size_t n_nodes_;
  std::unique_ptr<NodeRt[]> nodes_;
  std::vector<NodeRt*> inputs_;
  std::unique_ptr<NodeId[]> pending_;
  uint32_t pend_head_ = 0, pend_tail_ = 0, pend_mask_ = 0;
  NodeId drop_node_;
  std::unique_ptr<uint64_t[]> errors_;
  IfCounterTable ifc_;
  TraceBuf trace_;
  std::vector<rte_ring*> in_rings_, out_rings_;
  uint16_t handoff_err_ = 0;
  uint64_t loops_ = 0;
  LoopTime loop_time_;
};

}  // namespace vp
