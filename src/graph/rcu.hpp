#pragma once
// Publication of control-plane changes to workers without stopping them.
// Workers report a quiescent state once per dispatch loop (rte_rcu_qsbr) and
// go offline while they sleep; the main thread swaps a pointer, then frees the
// old object only after every online worker has passed a quiescent state.
#include <rte_rcu_qsbr.h>

#include <cstdint>
#include <deque>
#include <functional>

namespace vp {

class Rcu {
 public:
  void init(uint32_t max_readers);
  void shutdown();
  // Reader side (workers), by reader id 0..max_readers-1.
  void reader_register(uint32_t id);
  void reader_unregister(uint32_t id);
  void online(uint32_t id) { rte_rcu_qsbr_thread_online(v_, id); }
  void offline(uint32_t id) { rte_rcu_qsbr_thread_offline(v_, id); }
  void quiescent(uint32_t id) { rte_rcu_qsbr_quiescent(v_, id); }
  // Writer side (main thread only).
  void synchronize();                         // blocks the main thread, never a worker
  void defer(std::function<void()> free_fn);  // run once all readers moved on
  size_t reclaim();                           // non-blocking; returns callbacks run
  size_t pending() const { return q_.size(); }
  rte_rcu_qsbr* qsbr() const { return v_; }

 private:
  rte_rcu_qsbr* v_ = nullptr;
  uint32_t readers_ = 0;
  struct Item {
    uint64_t token;
    std::function<void()> fn;
  };
  std::deque<Item> q_;
};

Rcu& rcu();

}  // namespace vp
