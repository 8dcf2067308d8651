#include "infra/huge_map.hpp"

#include <sys/mman.h>

#include <cstdint>

#include "infra/error.hpp"

namespace vp {

void* huge_map(size_t bytes) {
  constexpr size_t kHuge = size_t(2) << 20;
  void* p = mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) fail("cannot map {} MB of memory for a table", bytes >> 20);
  auto a = reinterpret_cast<uintptr_t>(p), aligned = (a + kHuge - 1) & ~(kHuge - 1);
  if (aligned > a) munmap(p, aligned - a);
  munmap(reinterpret_cast<void*>(aligned + bytes), a + kHuge - aligned);
  madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(aligned);
}

void huge_unmap(void* p, size_t bytes) { munmap(p, bytes); }

}  // namespace vp
