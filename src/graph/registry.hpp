#pragma once
// The node registry: every node, error reason and feature arc known to the
// process. Filled by static registrations, frozen by finalize() before any
// thread starts; after that it is read-only and shared by all threads.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "graph/node.hpp"

namespace vp {

struct ErrorDef {
  NodeId node;
  std::string reason;
};

class Registry {
 public:
  static Registry& get();
  void add(NodeDef d);
  // Resolves next names to ids and lays out error ids; throws vp::Error on a
  // dangling next name. Idempotent.
  void finalize();
  bool finalized() const { return finalized_; }

  const std::vector<std::unique_ptr<NodeDef>>& nodes() const { return nodes_; }
  const NodeDef* find(std::string_view name) const;
  NodeId id(std::string_view name) const;  // throws vp::Error if unknown
  const std::vector<ErrorDef>& errors() const { return errors_; }
  // Error id reserved for drops nobody classified.
  uint16_t error_id(NodeId node, uint16_t code) const { return nodes_[node]->error_base + code; }

 private:
  std::vector<std::unique_ptr<NodeDef>> nodes_;
  std::vector<ErrorDef> errors_;
  bool finalized_ = false;
};

// Main-thread hooks: `init` once the EAL and threads are up, `periodic`
// from the main loop's 10 ms timer.
struct InitRegistration {
  explicit InitRegistration(std::function<void()> fn);
};
struct PeriodicRegistration {
  explicit PeriodicRegistration(std::function<void()> fn);
};
void run_inits();
void run_periodic();

}  // namespace vp
