#pragma once
#include <x86intrin.h>

#include <cstdint>

namespace vp {
inline uint64_t rdtsc() { return __rdtsc(); }
// Measured once at start (calibrated against CLOCK_MONOTONIC).
uint64_t tsc_hz();
}  // namespace vp
