#include "graph/feature.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "graph/registry.hpp"
#include "infra/error.hpp"

namespace vp {

ArcRegistration::ArcRegistration(ArcDef d) { Arcs::get().add_arc(std::move(d)); }
FeatureRegistration::FeatureRegistration(FeatureDef f) { Arcs::get().add_feature(std::move(f)); }

Arcs& Arcs::get() {
  // device-input is built in so that it is always arc 0 (kArcDeviceInput),
  // whatever order static registrations run in.
  static Arcs a = [] {
    Arcs x;
    x.add_arc({.name = "device-input", .end_node = "ethernet-input"});
    return x;
  }();
  return a;
}

void Arcs::add_arc(ArcDef d) {
  if (arcs_.size() >= kMaxArcs) fail("too many feature arcs (max {})", kMaxArcs);
  d.index = uint8_t(arcs_.size());
  arcs_.push_back(std::move(d));
}

void Arcs::add_feature(FeatureDef f) { features_.push_back(std::move(f)); }

const ArcDef* Arcs::find(const std::string& name) const {
  for (auto& a : arcs_)
    if (a.name == name) return &a;
  return nullptr;
}

void Arcs::finalize() {
  if (finalized_) return;
  auto& reg = Registry::get();
  for (auto& a : arcs_) {
    a.end = reg.id(a.end_node);
    // Kahn's algorithm over the before/after constraints; ties keep
    // registration order so the result is deterministic.
    std::vector<const FeatureDef*> fs;
    for (auto& f : features_)
      if (f.arc == a.name) fs.push_back(&f);
    std::map<std::string, std::set<std::string>> after;  // node -> must run after these
    for (auto* f : fs) {
      after[f->node];
      for (auto& b : f->runs_after) after[f->node].insert(b);
      for (auto& b : f->runs_before) after[b].insert(f->node);
    }
    std::vector<std::string> out;
    std::set<std::string> done;
    while (out.size() < fs.size()) {
      bool progress = false;
      for (auto* f : fs) {
        if (done.count(f->node)) continue;
        bool ready = true;
        for (auto& dep : after[f->node])
          if (!done.count(dep) && std::any_of(fs.begin(), fs.end(), [&](auto* g) { return g->node == dep; }))
            ready = false;
        if (ready) {
          out.push_back(f->node);
          done.insert(f->node);
          progress = true;
        }
      }
      if (!progress) fail("feature arc '{}' has an ordering cycle", a.name);
    }
    a.order.clear();
    for (auto& n : out) a.order.push_back(reg.id(n));
    a.feature_names = out;
    a.module_only.clear();
    for (auto* f : fs)
      if (f->module_only) a.module_only.push_back(f->node);
  }
  finalized_ = true;
}

const ArcCfg* Arcs::compile(uint8_t arc, const std::vector<std::string>& enabled) const {
  const ArcDef& a = arcs_.at(arc);
  std::vector<NodeId> list;
  for (size_t i = 0; i < a.order.size(); i++)
    if (std::find(enabled.begin(), enabled.end(), a.feature_names[i]) != enabled.end()) list.push_back(a.order[i]);
  if (list.empty()) return nullptr;
  list.push_back(a.end);
  auto* c = static_cast<ArcCfg*>(std::malloc(sizeof(ArcCfg) + list.size() * sizeof(NodeId)));
  c->n = uint8_t(list.size());
  std::copy(list.begin(), list.end(), c->nodes);
  return c;
}

void Arcs::release(const ArcCfg* c) { std::free(const_cast<ArcCfg*>(c)); }

}  // namespace vp
