#pragma once
// The firewall's configuration as the operator wrote it: zones, the global
// address book, applications, policies, screens, flow settings and log
// streams. It lives on the main thread only. The typed operations
// (fw_ops.hpp) change it; after each change the runtime (fw_runtime.hpp)
// publishes what the workers read: the zone of every interface and the
// zone's host-inbound and screen settings at once, the compiled rulebase
// coalesced (policy_compile.hpp).
//
// Names are kept, not resolved: a policy names addresses and applications
// that may be defined later (Junos commits the same way); the compiler
// resolves them, and a name that resolves to nothing makes that match field
// empty, so the policy matches nothing until it is defined.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "features/fw/timeouts.hpp"
#include "infra/parse.hpp"

namespace vp::fw {

// Zone ids are one byte in every session (two per session), so a firewall
// has at most 254 zones. 0 means "no zone".
inline constexpr uint8_t kNoZone = 0;
inline constexpr uint32_t kMaxZones = 254;
// Policies (zone-pair and global together), for the per-worker hit counters.
inline constexpr uint32_t kMaxPolicies = 65536;

// host-inbound-traffic system-services (bits of Zone::services).
enum Service : uint32_t {
  kSvcPing = 1 << 0,
  kSvcSsh = 1 << 1,
  kSvcDns = 1 << 2,
  kSvcNtp = 1 << 3,
  kSvcIke = 1 << 4,
  kSvcWireguard = 1 << 5,  // the listen ports of WireGuard interfaces
  kSvcAll = (1 << 6) - 1,
};
// host-inbound-traffic protocols (bits of Zone::protocols).
enum Protocol : uint32_t {
  kProtoBgp = 1 << 0,
  kProtoOspf = 1 << 1,
  kProtoVrrp = 1 << 2,
  kProtoAll = (1 << 3) - 1,
};

struct Zone {
  uint8_t id = kNoZone;              // stable while the zone exists
  std::set<std::string> interfaces;  // interface names; each exists when set
  uint32_t services = 0;             // Service bits
  uint32_t protocols = 0;            // Protocol bits
  std::string screen;                // ids-option profile name, "" for none
};

// An address-book entry: a prefix, or an inclusive range of one family.
struct Address {
  bool is_range = false;
  Prefix prefix;  // when !is_range
  IpAddr lo, hi;  // when is_range (lo <= hi, same family)
};
// Members are names of addresses or of other address sets.
struct AddressSet {
  std::set<std::string> members;
};

// One term of an application. Ports are host order, inclusive ranges;
// the full range means "any". ICMP type/code: -1 means any.
struct AppTerm {
  uint8_t proto = 0;
  bool any_proto = false;  // the predefined "any"
  uint16_t sport_lo = 0, sport_hi = 65535;
  uint16_t dport_lo = 0, dport_hi = 65535;
  int16_t icmp_type = -1, icmp_code = -1;
  uint32_t inactivity_timeout = 0;  // seconds; 0: the session's class default
};
struct Application {
  // Ordered by term name; a termless application has one term named "".
  std::map<std::string, AppTerm> terms;
  bool predefined = false;  // junos-*: cannot be changed or deleted
};
struct ApplicationSet {
  std::set<std::string> members;  // applications or other application sets
  bool predefined = false;
};

enum class Action : uint8_t { kNone, kPermit, kDeny, kReject };

struct Policy {
  std::string name;
  // 1..kMaxPolicies-1, taken when the policy is created and reused after it
  // is deleted; 0 is the default policy. Hit counters and sessions refer to it.
  uint32_t id = 0;
  std::vector<std::string> src, dst, app;  // names or "any", in the order written
  Action action = Action::kNone;
  bool log_init = false, log_close = false, count = false;
  // As in Junos: a policy matches nothing until it has all four.
  bool active() const { return !src.empty() && !dst.empty() && !app.empty() && action != Action::kNone; }
};

struct ZonePair {
  std::string from, to;
  auto operator<=>(const ZonePair&) const = default;
};

// Screen options of one ids-option profile.
enum ScreenFlag : uint32_t {
  kScrLand = 1 << 0,
  kScrSynFin = 1 << 1,
  kScrTcpNoFlag = 1 << 2,
  kScrFinNoAck = 1 << 3,
  kScrWinnuke = 1 << 4,
  kScrPingDeath = 1 << 5,
  kScrIcmpLarge = 1 << 6,
  kScrTearDrop = 1 << 7,
  kScrSourceRoute = 1 << 8,
  kScrSpoofing = 1 << 9,
};
struct Screen {
  uint32_t icmp_flood = 0, udp_flood = 0, syn_flood = 0;  // pps to one destination; 0: off
  uint32_t flags = 0;                                     // ScreenFlag bits
};

struct EarlyAgeout {
  uint32_t seconds = 0;       // 0: off
  uint8_t high = 0, low = 0;  // percent of the session limit
};

// The words of `set security flow timeout`, by TimeoutClass.
inline constexpr const char* kTimeoutNames[kTimeoutClasses] = {
    "tcp-initial", "tcp-established", "tcp-closing", "tcp-time-wait", "udp", "icmp", "other"};

struct FlowSettings {
  Timeouts timeouts;
  uint32_t session_limit = 0;  // 0: sized from memory at start
  uint32_t per_source = 0;     // 0: no limit
  bool no_syn_check = false;
  EarlyAgeout early;
};

struct LogStream {
  IpAddr host;
  uint16_t port = 514;
};

struct Config {
  std::map<std::string, Zone> zones;
  std::map<std::string, Address> addresses;
  std::map<std::string, AddressSet> address_sets;
  std::map<std::string, Application> applications;  // the predefined ones included
  std::map<std::string, ApplicationSet> application_sets;
  std::map<ZonePair, std::vector<Policy>> policies;  // each list in evaluation order
  std::vector<Policy> global;                        // after every zone pair's own
  bool default_permit = false;                       // default-policy permit-all
  std::map<std::string, Screen> screens;
  FlowSettings flow;
  std::map<std::string, LogStream> streams;
  // Policy ids not in use below next_policy_id; a new policy takes the
  // lowest (fw_ops.cpp).
  std::set<uint32_t> free_policy_ids;
  uint32_t next_policy_id = 1;

  uint8_t zone_id(const std::string& name) const {
    auto it = zones.find(name);
    return it == zones.end() ? kNoZone : it->second.id;
  }
};

// The one configuration of this process (main thread).
Config& config();

// The predefined applications and sets (junos-http ... and any), as
// the compiler and `show` see them.
void add_predefined(Config& c);

}  // namespace vp::fw
