#pragma once
// The main thread and the pinned workers. Thread 0 is always the main thread;
// with no workers it also forwards (single-thread mode).
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "graph/thread.hpp"

namespace vp {

// Packets per vector unless configured. Measured with bench/run: 128 costs the
// same as 64 per packet where everything is cached (L2, IPv4 and IPv6 with
// one route, ECMP) and less where lookups miss the caches (1M /32s 67 ->
// 57, the IPv6 200k table 82 -> 77 in-graph, DFZ 40 -> 37): more misses
// overlap per level. 256 costs more everywhere but on 1M /32s (grout found
// L1 misses past 64; for us they start past 128). See docs/performance.md.
inline constexpr uint32_t kDefaultVectorSize = 128;

struct ThreadConfig {
  uint32_t workers = 0;
  std::vector<int> worker_cores;  // empty: round-robin over the allowed cpus (main's excluded when possible)
  int main_core = -1;             // -1: do not pin
  uint32_t vector_size = kDefaultVectorSize;
  // Adaptive polling: after this many empty loops a thread sleeps, doubling
  // from 1 us up to idle_sleep_max_us. 0 disables sleeping (benchmarks).
  uint32_t idle_sleep_max_us = 1000;
  uint32_t idle_loops_before_sleep = 1024;
};

struct ThreadInfo {
  uint32_t index;
  std::string name;
  int core;
  int tid;
};

class Threads {
 public:
  // Creates Thread replicas, handoff rings, and starts the workers.
  void start(const ThreadConfig& c);
  void stop();
  bool single() const { return cfg_.workers == 0; }
  uint32_t size() const { return uint32_t(threads_.size()); }
  Thread& at(uint32_t i) { return *threads_[i]; }
  Thread& main() { return *threads_[0]; }
  // The threads that poll rx queues: the workers, or the main thread alone.
  std::vector<uint32_t> forwarding() const;
  const ThreadConfig& config() const { return cfg_; }
  void set_vector_size(uint32_t v);
  void set_idle_sleep(uint32_t max_us) { idle_max_us_.store(max_us); }
  uint32_t idle_sleep() const { return idle_max_us_.load(); }
  uint32_t idle_sleep_configured() const { return cfg_.idle_sleep_max_us; }  // from the startup file
  std::vector<ThreadInfo> info() const;
  // Main thread in single-thread mode: one loop with adaptive idle.
  // Returns the microseconds the caller may block waiting for control events.
  uint32_t main_poll();

 private:
  void worker_main(uint32_t idx);
  ThreadConfig cfg_;
  std::vector<std::unique_ptr<Thread>> threads_;
  std::vector<std::thread> workers_;
  std::vector<int> cores_;
  std::vector<std::atomic<int>> tids_;
  std::atomic<bool> stop_{false};
  std::atomic<uint32_t> idle_max_us_{1000};
  uint32_t main_idle_ = 0, main_sleep_ = 0;
};

Threads& threads();

}  // namespace vp
