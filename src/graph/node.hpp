#pragma once
// Node registration. A node is a function over a vector of packets; it is
// registered once by name with its named next arcs and its error reasons, and
// every thread gets its own runtime copy (NodeRt) of it.
#include <rte_mbuf.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
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

// A node's next arcs or error reasons. Node code indexes them with its own
// enumerators, so each name is written beside the enumerator that indexes
// it, and the list must end at the enum's count:
//
//   enum Next : uint16_t { kOutput, kDrop, kNextCount };
//   .next_names = names<kNextCount>({{kOutput, "interface-output"}, {kDrop, "error-drop"}}),
//
// A name at the wrong position or a missing one is recorded here and
// refused when the graph is built (Registry::finalize), so vplaned does not
// start with counters or arcs that mean something else than their names.
// A single name needs no enum (its index is 0).
struct Names {
  std::vector<std::string> list;
  std::string problem;  // empty when the names match their enumerators

  Names() = default;
  Names(const char* only) : list{only} {}  // NOLINT: one arc or reason, index 0
  size_t size() const { return list.size(); }
  bool empty() const { return list.empty(); }
  const std::string& operator[](size_t i) const { return list[i]; }
  auto begin() const { return list.begin(); }
  auto end() const { return list.end(); }
};

template <auto Count>
Names names(std::initializer_list<std::pair<decltype(Count), const char*>> l) {
  Names n;
  for (auto& [id, name] : l) {
    if (size_t(id) != n.list.size() && n.problem.empty())
      n.problem = "'" + std::string(name) + "' is listed at position " + std::to_string(n.list.size()) +
                  " but its enumerator is " + std::to_string(size_t(id));
    n.list.emplace_back(name);
  }
  if (n.list.size() != size_t(Count) && n.problem.empty())
    n.problem = std::to_string(n.list.size()) + " names for " + std::to_string(size_t(Count)) + " enumerators";
  return n;
}

struct NodeDef {
  std::string name;
  NodeFn fn = nullptr;
  InputFn input = nullptr;
  NodeInitFn init = nullptr;
  Names next_names;
  Names errors;  // reason strings, index = node-local error code
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
