#pragma once
// Feature arcs: ordered lists of feature nodes a packet walks on its way to
// the arc's end node, enabled per interface. A feature registers once
// (arc, node, ordering constraints) and is switched on per interface; core
// nodes are never edited to add one.
#include <cstdint>
#include <string>
#include <vector>

#include "graph/node.hpp"

namespace vp {

inline constexpr uint8_t kMaxArcs = 16;

struct ArcDef {
  std::string name;
  std::string end_node;  // where a packet goes when no (more) feature applies
  bool on_tx = false;    // per-interface config taken from tx_if instead of rx_if
  // Resolved by finalize:
  uint8_t index = 0;
  NodeId end = kNoNode;
  std::vector<NodeId> order;  // every registered feature node, sorted
  std::vector<std::string> feature_names;
  std::vector<std::string> module_only;  // features `set interface feature` may not enable
};

struct FeatureDef {
  std::string arc, node;
  std::vector<std::string> runs_before, runs_after;
  // Enabled only by its module, with the state it needs (the firewall's
  // nodes need its session tables): not by `set interface feature`.
  bool module_only = false;
};

struct ArcRegistration {
  explicit ArcRegistration(ArcDef d);
};
struct FeatureRegistration {
  explicit FeatureRegistration(FeatureDef d);
};

// Compiled per-interface list: enabled features in arc order, then the end node.
struct ArcCfg {
  uint8_t n;
  NodeId nodes[1];  // n entries (allocated to size)
};

class Arcs {
 public:
  static Arcs& get();
  void add_arc(ArcDef d);
  void add_feature(FeatureDef f);
  // After Registry::finalize(): resolves nodes and orders features
  // (before/after constraints, a cycle is an error). Idempotent.
  void finalize();
  const ArcDef* find(const std::string& name) const;
  const ArcDef& arc(uint8_t i) const { return arcs_[i]; }
  size_t size() const { return arcs_.size(); }
  // nullptr when no feature is enabled: the packet goes straight to the end node.
  const ArcCfg* compile(uint8_t arc, const std::vector<std::string>& enabled) const;
  static void release(const ArcCfg* c);

 private:
  std::vector<ArcDef> arcs_;
  std::vector<FeatureDef> features_;
  bool finalized_ = false;
};

}  // namespace vp
