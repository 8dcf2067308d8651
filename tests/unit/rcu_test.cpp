// Publication under concurrency: a reader thread dereferences published
// snapshots in a loop while the main thread replaces them thousands of
// times; a freed snapshot must never be seen (poisoned on free).
#include "graph/rcu.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace vp {
namespace {

struct Snap {
  uint64_t magic;
  uint64_t value;
};

TEST(Rcu, ReadersNeverSeeFreedSnapshots) {
  Rcu r;
  r.init(2);
  std::atomic<Snap*> cur{new Snap{0x5a5a, 0}};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, reads{0};
  r.reader_register(1);
  std::thread reader([&] {
    r.online(1);
    while (!stop.load(std::memory_order_relaxed)) {
      for (int k = 0; k < 64; k++) {
        Snap* s = cur.load(std::memory_order_acquire);
        if (s->magic != 0x5a5a) bad++;
        reads++;
      }
      r.quiescent(1);
    }
    r.offline(1);
  });
  while (reads.load() == 0) std::this_thread::yield();
  for (uint64_t i = 1; i <= 20000 || reads.load() < 200000; i++) {
    Snap* old = cur.exchange(new Snap{0x5a5a, i}, std::memory_order_acq_rel);
    r.defer([old] {
      old->magic = 0xdead;  // poison: a reader still holding it would notice
      delete old;
    });
    if (i % 64 == 0) r.reclaim();
  }
  stop = true;
  reader.join();
  r.reader_unregister(1);
  r.synchronize();
  r.reclaim();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(r.pending(), 0u);
  delete cur.load();
  r.shutdown();
}

}  // namespace
}  // namespace vp
