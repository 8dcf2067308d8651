#pragma once
// Typed operations on the firewall's configuration (fw_config.hpp). The CLI
// (fw_cli.cpp) parses its lines into these; the Security API calls them.
// Each one validates against the current Config and throws vp::Error (one
// line naming what is wrong) having changed nothing, or applies completely
// and then tells the runtime (fw_runtime.hpp) what changed.
//
// An object is set whole: the caller reads the current one, changes what it
// was told to, and sets it back. So one validation covers the CLI's
// attribute-at-a-time lines and the API's whole objects alike.
//
// Names resolve late, as fw_config.hpp says: a policy may name zones,
// addresses and applications that do not exist (yet); that part of it
// matches nothing until they do. Set members must exist, so that sets never
// form a cycle.
#include <optional>
#include <string>

#include "features/fw/fw_config.hpp"

namespace vp::fw {

// Creates the zone (with the lowest free id) or replaces its settings.
// Every interface must exist and be in no other zone. Zone::id is ignored.
void set_zone(const std::string& name, const Zone& z);
// Policies naming the zone stay, and match nothing while it does not exist.
void delete_zone(const std::string& name);

void set_address(const std::string& name, const Address& a);
// Refused while an address set holds it; policies may still name it.
void delete_address(const std::string& name);
void set_address_set(const std::string& name, const AddressSet& s);
void delete_address_set(const std::string& name);

// The predefined applications (junos-*, any) cannot be set or deleted.
void set_application(const std::string& name, const Application& a);
void delete_application(const std::string& name);
void set_application_set(const std::string& name, const ApplicationSet& s);
void delete_application_set(const std::string& name);

// A zone pair's policies, or the global policies (nullopt).
using PolicyScope = std::optional<ZonePair>;
// The policy of that name in the scope, or null.
const Policy* find_policy(const PolicyScope& scope, const std::string& name);
// "from-zone <a> to-zone <b>" or "global", as messages name a scope.
std::string scope_text(const PolicyScope& scope);
// Replaces the policy of p.name in its place, or appends it with a new id.
// Policy::id is ignored.
void set_policy(const PolicyScope& scope, const Policy& p);
void delete_policy(const PolicyScope& scope, const std::string& name);
// Moves policy `name` just before (or after) policy `ref` of the same scope.
void move_policy(const PolicyScope& scope, const std::string& name, const std::string& ref, bool after);
void set_default_policy(bool permit);

// Everything replace_rulebase swaps in at once. The predefined applications
// are not part of it and stay. A policy keeps the id of the policy of the
// same scope and name it replaces; the others get new ids.
struct RulebaseSpec {
  std::map<std::string, Address> addresses;
  std::map<std::string, AddressSet> address_sets;
  std::map<std::string, Application> applications;
  std::map<std::string, ApplicationSet> application_sets;
  std::map<ZonePair, std::vector<Policy>> policies;
  std::vector<Policy> global;
  bool default_permit = false;
};
// Validates all of it, then replaces the address book, the applications and
// every policy in one change: the workers never see a mix of old and new.
void replace_rulebase(const RulebaseSpec& r);

void set_flow(const FlowSettings& f);

// Zones naming a deleted profile keep the name; it then screens nothing.
void set_screen(const std::string& name, const Screen& s);
void delete_screen(const std::string& name);

void set_log_stream(const std::string& name, const LogStream& s);
void delete_log_stream(const std::string& name);

}  // namespace vp::fw
