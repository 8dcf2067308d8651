#include "graph/threads.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <rte_lcore.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "graph/rcu.hpp"
#include "graph/registry.hpp"
#include "infra/error.hpp"
#include "infra/log.hpp"
#include "infra/tsc.hpp"

namespace vp {

Threads& threads() {
  static Threads t;
  return t;
}

static void pin(int core) {
  if (core < 0) return;
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(core, &s);
  pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static std::vector<int> allowed_cpus() {
  cpu_set_t s;
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof s, &s) == 0)
    for (int i = 0; i < CPU_SETSIZE; i++)
      if (CPU_ISSET(i, &s)) out.push_back(i);
  return out;
}

void Threads::start(const ThreadConfig& c) {
  cfg_ = c;
  tsc_hz();  // calibrate (a 20 ms sleep) now, never on a worker's first use
  if (c.vector_size < 1 || c.vector_size > 256) fail("vector size {} out of range (1-256)", c.vector_size);
  idle_max_us_ = c.idle_sleep_max_us;
  uint32_t n = c.workers + 1;
  for (uint32_t i = 0; i < n; i++) threads_.push_back(std::make_unique<Thread>(i, n, c.vector_size));
  // One SP/SC ring per (src, dst) pair: lock-free and CAS-free handoff.
  for (uint32_t s = 0; s < n; s++)
    for (uint32_t d = 0; d < n; d++) {
      if (s == d) continue;
      auto name = fmt::format("vp-ho-{}-{}", s, d);
      rte_ring* r = rte_ring_create(name.c_str(), 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (!r) fail("cannot create handoff ring {}", name);
      threads_[s]->set_out_ring(d, r);
      threads_[d]->set_handoff_ring(s, r);
    }
  rcu().init(n);
  tids_ = std::vector<std::atomic<int>>(n);
  tids_[0] = int(syscall(SYS_gettid));
  auto cpus = allowed_cpus();
  cores_.assign(n, -1);
  cores_[0] = c.main_core;
  pin(c.main_core);
  for (uint32_t w = 1; w < n; w++) {
    if (w - 1 < c.worker_cores.size())
      cores_[w] = c.worker_cores[w - 1];
    else if (!cpus.empty()) {
      // Round-robin, skipping the main core when there is more than one cpu.
      std::vector<int> pool;
      for (int cpu : cpus)
        if (cpu != c.main_core || cpus.size() == 1) pool.push_back(cpu);
      cores_[w] = pool[(w - 1 + (pool.size() > 1 && c.main_core < 0 ? 1 : 0)) % pool.size()];
    }
  }
  for (uint32_t w = 1; w < n; w++) workers_.emplace_back([this, w] { worker_main(w); });
}

void Threads::stop() {
  stop_ = true;
  for (auto& t : workers_) t.join();
  workers_.clear();
}

std::vector<uint32_t> Threads::forwarding() const {
  std::vector<uint32_t> out;
  if (cfg_.workers == 0) out.push_back(0);
  for (uint32_t i = 1; i <= cfg_.workers; i++) out.push_back(i);
  return out;
}

void Threads::set_vector_size(uint32_t v) {
  if (v < 1 || v > 256) fail("vector size {} out of range (1-256)", v);
  for (auto& t : threads_) t->set_vsize(v);
}

std::vector<ThreadInfo> Threads::info() const {
  std::vector<ThreadInfo> out;
  for (uint32_t i = 0; i < threads_.size(); i++)
    out.push_back(
        {i, i == 0 ? std::string("vplane_main") : fmt::format("vplane_wk_{}", i - 1), cores_[i], tids_[i].load()});
  return out;
}

void Threads::worker_main(uint32_t idx) {
  pthread_setname_np(pthread_self(), fmt::format("vplane_wk_{}", idx - 1).c_str());
  // An EAL lcore id gives this thread a mempool cache.
  if (rte_thread_register() != 0) log::warn("worker {}: no free lcore id, mempool cache disabled", idx - 1);
  pin(cores_[idx]);
  tids_[idx] = int(syscall(SYS_gettid));
  Thread& t = *threads_[idx];
  Rcu& r = rcu();
  r.reader_register(idx);
  r.online(idx);
  uint32_t idle = 0, sleep_us = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    r.quiescent(idx);
    uint64_t now = rdtsc();
    t.loop_time().poll(now);
    if (t.loop_once(now)) {
      idle = 0;
      sleep_us = 0;
      continue;
    }
    uint32_t max_us = idle_max_us_.load(std::memory_order_relaxed);
    if (!max_us || ++idle < cfg_.idle_loops_before_sleep) continue;
    sleep_us = std::min(max_us, sleep_us ? sleep_us * 2 : 1);
    t.loop_time().pause();
    r.offline(idx);
    usleep(sleep_us);
    r.online(idx);
  }
  r.reader_unregister(idx);
  rte_thread_unregister();
}

uint32_t Threads::main_poll() {
  uint64_t now = rdtsc();
  threads_[0]->loop_time().poll(now);
  if (threads_[0]->loop_once(now)) {
    main_idle_ = 0;
    main_sleep_ = 0;
    return 0;
  }
  uint32_t max_us = idle_max_us_.load(std::memory_order_relaxed);
  if (!max_us || ++main_idle_ < cfg_.idle_loops_before_sleep) return 0;
  main_sleep_ = std::min(max_us, main_sleep_ ? main_sleep_ * 2 : 1);
  threads_[0]->loop_time().pause();
  return main_sleep_;
}

}  // namespace vp
