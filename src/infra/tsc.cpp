#include "infra/tsc.hpp"

#include <ctime>

namespace vp {
namespace {
uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}
uint64_t calibrate() {
  uint64_t n0 = now_ns(), t0 = rdtsc();
  timespec d{0, 20 * 1000 * 1000};
  nanosleep(&d, nullptr);
  uint64_t n1 = now_ns(), t1 = rdtsc();
  return (t1 - t0) * 1000000000ull / (n1 - n0);
}
}  // namespace
uint64_t tsc_hz() {
  static uint64_t hz = calibrate();
  return hz;
}
}  // namespace vp
