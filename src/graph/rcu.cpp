#include "graph/rcu.hpp"

#include <rte_malloc.h>

#include "infra/error.hpp"

namespace vp {

Rcu& rcu() {
  static Rcu r;
  return r;
}

void Rcu::init(uint32_t max_readers) {
  if (v_) return;
  uint32_t n = max_readers ? max_readers : 1;
  size_t sz = rte_rcu_qsbr_get_memsize(n);
  v_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("vp-rcu", sz, RTE_CACHE_LINE_SIZE));
  if (!v_ || rte_rcu_qsbr_init(v_, n) != 0) fail("cannot allocate the RCU state");
}

void Rcu::shutdown() {
  while (!q_.empty()) {
    q_.front().fn();
    q_.pop_front();
  }
  rte_free(v_);
  v_ = nullptr;
}

void Rcu::reader_register(uint32_t id) {
  rte_rcu_qsbr_thread_register(v_, id);
  readers_++;
}

void Rcu::reader_unregister(uint32_t id) {
  rte_rcu_qsbr_thread_offline(v_, id);
  rte_rcu_qsbr_thread_unregister(v_, id);
  readers_--;
}

void Rcu::synchronize() {
  if (v_ && readers_) rte_rcu_qsbr_synchronize(v_, RTE_QSBR_THRID_INVALID);
}

void Rcu::defer(std::function<void()> free_fn) {
  if (!v_ || !readers_) {
    // No worker reads published state: the main thread is the only reader
    // and is not inside a dispatch loop while it runs control code.
    free_fn();
    return;
  }
  q_.push_back({rte_rcu_qsbr_start(v_), std::move(free_fn)});
}

size_t Rcu::reclaim() {
  size_t n = 0;
  while (!q_.empty() && (!readers_ || rte_rcu_qsbr_check(v_, q_.front().token, false) == 1)) {
    q_.front().fn();
    q_.pop_front();
    n++;
  }
  return n;
}

}  // namespace vp
