#pragma once
// Anonymous memory for the FIB's lookup tables: zero pages until written
// (an empty table costs no memory), reserved without a commit charge (a
// table's arena is sized for its largest use, touched as it grows), and 2 MB
// aligned so that transparent huge pages can back it: lookups into a table
// far larger than the caches would otherwise also miss the TLB at every level.
#include <cstddef>

namespace vp {

void* huge_map(size_t bytes);  // throws, naming the size, when the mapping fails
void huge_unmap(void* p, size_t bytes);

}  // namespace vp
