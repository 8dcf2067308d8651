#pragma once
// The policy classifier: the zone-pair policies, the global policies and the
// default policy of a Config compiled into one immutable Rulebase that
// workers read without locks (published by fw_runtime.cpp, freed after an
// RCU grace period). Only session misses are classified, so it is on the
// slow path, but its cost must not grow with the number of rules.
//
// Evaluation order, as Junos: the from-zone/to-zone pair's active policies
// in order, then the global policies in order, then the default policy.
// A policy's match fields are expanded (address sets to their addresses,
// ranges kept as ranges, application sets to their applications' terms);
// a name that resolves to nothing leaves that field empty and the policy
// matches nothing. Keys without a zone (kNoZone) get the default policy.
#include <cstdint>
#include <memory>
#include <vector>

#include "features/fw/fw_config.hpp"

namespace vp::fw {

// What a session miss is classified on. Addresses in network order:
// IPv4 in the first 4 bytes (the rest zero). Ports host order; for ICMP
// and ICMPv6, sport is the type and dport the code.
struct ClassifyKey {
  uint8_t from = kNoZone, to = kNoZone;
  uint8_t proto = 0;
  uint8_t v6 = 0;
  uint16_t sport = 0, dport = 0;
  uint8_t src[16] = {}, dst[16] = {};
};

struct RuleResult {
  uint32_t policy = 0;  // Policy::id; 0 for the default policy
  Action action = Action::kDeny;
  bool log_init = false, log_close = false, count = false;
  uint32_t timeout = 0;  // the matching application term's inactivity-timeout, 0: none
};

class Rulebase {
 public:
  ~Rulebase();
  // The Config's policies as of now, tagged with `generation`. Throws Error
  // when they exceed the classifier's limits (docs/firewall.md); the caller
  // keeps the rulebase it has.
  static std::unique_ptr<const Rulebase> compile(const Config& c, uint64_t generation);

  // out[i] indexes results(): the first rule keys[i] matches, or the
  // default policy's result. Keys of both families may be mixed.
  void classify(const ClassifyKey* const* keys, uint32_t n, uint32_t* out) const;
  const RuleResult& result(uint32_t i) const { return results_[i]; }
  uint64_t generation() const { return generation_; }
  // Compiled rules (one per active policy and application term), for
  // `show security policies`.
  size_t rules() const;
  // The compiled structures' memory.
  size_t memory_bytes() const;

 private:
  Rulebase() = default;
  struct Impl;  // the compiled structures (policy_compile.cpp)
  std::unique_ptr<Impl> impl_;
  std::vector<RuleResult> results_;
  uint64_t generation_ = 0;
};

// The definition the compiler is tested against: walks the Config's
// policies in order, one comparison at a time.
RuleResult reference_match(const Config& c, const ClassifyKey& k);

}  // namespace vp::fw
