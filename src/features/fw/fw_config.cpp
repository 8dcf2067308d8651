#include "features/fw/fw_config.hpp"

namespace vp::fw {

namespace {

constexpr uint8_t kIcmp = 1, kTcp = 6, kUdp = 17, kGre = 47, kIcmp6 = 58, kOspf = 89;

struct Predefined {
  const char* name;
  uint8_t proto;
  uint16_t dport;     // 0: any port
  int16_t icmp_type;  // -1: any type
};

// Junos' names and values for the services a firewall administrator expects
// to find defined. Applications that need an ALG (FTP, TFTP, SIP) are left
// out: without one their data connections would not pass.
constexpr Predefined kPredefined[] = {
    {"junos-http", kTcp, 80, -1},      {"junos-https", kTcp, 443, -1},    {"junos-ssh", kTcp, 22, -1},
    {"junos-telnet", kTcp, 23, -1},    {"junos-smtp", kTcp, 25, -1},      {"junos-dns-udp", kUdp, 53, -1},
    {"junos-dns-tcp", kTcp, 53, -1},   {"junos-ntp", kUdp, 123, -1},      {"junos-bgp", kTcp, 179, -1},
    {"junos-ike", kUdp, 500, -1},      {"junos-ike-nat", kUdp, 4500, -1}, {"junos-pop3", kTcp, 110, -1},
    {"junos-imap", kTcp, 143, -1},     {"junos-imaps", kTcp, 993, -1},    {"junos-ldap", kTcp, 389, -1},
    {"junos-snmp-get", kUdp, 161, -1}, {"junos-syslog", kUdp, 514, -1},   {"junos-radius", kUdp, 1812, -1},
    {"junos-gre", kGre, 0, -1},        {"junos-ospf", kOspf, 0, -1},      {"junos-ping", kIcmp, 0, 8},
    {"junos-pingv6", kIcmp6, 0, 128},  {"junos-icmp-all", kIcmp, 0, -1},  {"junos-icmp6-all", kIcmp6, 0, -1},
};

}  // namespace

Config& config() {
  static Config c = [] {
    Config n;
    add_predefined(n);
    return n;
  }();
  return c;
}

void add_predefined(Config& c) {
  for (const Predefined& p : kPredefined) {
    AppTerm t;
    t.proto = p.proto;
    if (p.dport) t.dport_lo = t.dport_hi = p.dport;
    t.icmp_type = p.icmp_type;
    Application& a = c.applications[p.name];
    a.terms = {{"", t}};
    a.predefined = true;
  }
  AppTerm any;
  any.any_proto = true;
  c.applications["any"] = Application{{{"", any}}, true};
}

}  // namespace vp::fw
