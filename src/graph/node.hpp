#pragma once
// Node registration. A node is a function over a vector of packets; it is
// registered once by name with its named next arcs and its error reasons, and
// every thread gets its own runtime copy (NodeRt) of it.
#include <rte_mbuf.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vp {

class Thread;
struct NodeRt;

using NodeId = uint16_t;
inline constexpr NodeId kNoNode = 0xffff;

// Internal node: process pkts[0..n) and enqueue every one of them somewhere.
using NodeFn = void (*)(Thread& t, NodeRt& self, rte_mbuf** pkts, uint32_t n);
// Input node: poll whatever this thread owns; return packets produced.
using InputFn = uint32_t (*)(Thread& t, NodeRt& self);
// Optional per-thread set-up (allocates NodeRt::state).
using NodeInitFn = void (*)(Thread& t, NodeRt& self);

struct NodeDef {
  std::string name;
  NodeFn fn = nullptr;
  InputFn input = nullptr;
  NodeInitFn init = nullptr;
  std::vector<std::string> next_names;
  std::vector<std::string> errors;  // reason strings, index = node-local error code
  // Filled in by Registry::finalize():
  NodeId id = kNoNode;
  std::vector<NodeId> next;
  uint16_t error_base = 0;
};

// Static registration helper: `static vp::NodeRegistration r{{...}};`
struct NodeRegistration {
  explicit NodeRegistration(NodeDef d);
};

}  // namespace vp
