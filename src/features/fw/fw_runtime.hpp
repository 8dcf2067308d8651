#pragma once
// What the workers read of the firewall, built from the Config on the main
// thread and published with one atomic store each (freed after an RCU grace
// period): the zone of every interface with its zone's host-inbound and
// screen settings and the flow settings (at once, on every change), and the
// compiled rulebase (coalesced: a script of many policy lines builds one).
#include <cstddef>
#include <cstdint>

namespace vp::fw {

enum class Change : uint8_t {
  kZones,    // zones, their interfaces, host-inbound, screen binding
  kRules,    // policies, address book, applications, default policy
  kFlow,     // timeouts, limits, syn check, early ageout
  kScreens,  // ids-option profiles
  kLog,      // log streams
  kNat,      // NAT44 roles and addresses (features/nat): tables with room for translations, nodes
};
// Called by the typed operations after every applied change.
void changed(Change c);

struct RulebaseStatus {
  bool current = true;             // the published rulebase is the Config's latest
  uint64_t config_generation = 0;  // bumped by every kRules change
  uint64_t published_generation = 0;
  size_t rules = 0;  // compiled rules of the published one
};
RulebaseStatus rulebase_status();
// Compiles and publishes a pending rulebase change now instead of on the
// coalescing timer (tests; vplaned without a main loop).
void publish_now();

// Hits of a policy with `then count`, summed over the workers, since the
// policy was created.
uint64_t policy_hits(uint32_t policy_id);
// A new policy starts from zero (its id may have been another's).
void reset_policy_hits(uint32_t policy_id);

}  // namespace vp::fw
