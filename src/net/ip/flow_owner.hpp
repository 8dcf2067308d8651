#pragma once
// Which forwarding thread owns a flow. Stateful features (firewall sessions,
// NAT bindings) keep a flow's state on one worker, so both directions of the
// flow must be processed there: the owner is a function of the flow's
// symmetric hash (flow_hash4/flow_hash6), the same for both directions.
#include <cstdint>
#include <utility>
#include <vector>

namespace vp {

// The slot in [0, n) for a 32-bit hash: multiply-shift range reduction, no
// division. It takes the hash's high bits, while ECMP (lb_pick) takes the low
// bits, so a worker's flows still spread over every ECMP path.
inline uint32_t flow_owner_slot(uint32_t hash, uint32_t n) { return uint32_t((uint64_t(hash) * n) >> 32); }

// The forwarding threads' indices, copied once per thread when its graph is
// made (the set of workers is fixed for the process' life): picking an owner
// is one multiply and one load, with no allocation, lock or call.
struct FlowOwners {
  explicit FlowOwners(std::vector<uint32_t> t) : threads(std::move(t)) {}
  uint32_t owner(uint32_t hash) const { return threads[flow_owner_slot(hash, uint32_t(threads.size()))]; }
  std::vector<uint32_t> threads;
};

}  // namespace vp
