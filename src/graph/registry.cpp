#include "graph/registry.hpp"

#include "infra/error.hpp"

namespace vp {

NodeRegistration::NodeRegistration(NodeDef d) { Registry::get().add(std::move(d)); }

Registry& Registry::get() {
  static Registry r;
  return r;
}

void Registry::add(NodeDef d) {
  if (finalized_) fail("node '{}' registered after the graph was built", d.name);
  if (find(d.name)) fail("node '{}' registered twice", d.name);
  d.id = NodeId(nodes_.size());
  nodes_.push_back(std::make_unique<NodeDef>(std::move(d)));
}

const NodeDef* Registry::find(std::string_view name) const {
  for (auto& n : nodes_)
    if (n->name == name) return n.get();
  return nullptr;
}

NodeId Registry::id(std::string_view name) const {
  auto* n = find(name);
  if (!n) fail("unknown node '{}'", name);
  return n->id;
}

void Registry::finalize() {
  if (finalized_) return;
  errors_.clear();
  for (auto& n : nodes_) {
    if (!n->next_names.problem.empty()) fail("node '{}' next arcs: {}", n->name, n->next_names.problem);
    if (!n->errors.problem.empty()) fail("node '{}' error reasons: {}", n->name, n->errors.problem);
    n->next.clear();
    for (auto& nn : n->next_names) {
      auto* t = find(nn);
      if (!t) fail("node '{}' has next '{}' which is not registered", n->name, nn);
      n->next.push_back(t->id);
    }
    n->error_base = uint16_t(errors_.size());
    for (auto& e : n->errors) errors_.push_back({n->id, e});
  }
  finalized_ = true;
}

}  // namespace vp

namespace vp {
namespace {
std::vector<std::function<void()>>& inits() {
  static std::vector<std::function<void()>> v;
  return v;
}
std::vector<std::function<void()>>& periodics() {
  static std::vector<std::function<void()>> v;
  return v;
}
}  // namespace
InitRegistration::InitRegistration(std::function<void()> fn) { inits().push_back(std::move(fn)); }
PeriodicRegistration::PeriodicRegistration(std::function<void()> fn) { periodics().push_back(std::move(fn)); }
void run_inits() {
  for (auto& f : inits()) f();
}
void run_periodic() {
  for (auto& f : periodics()) f();
}
}  // namespace vp
