#pragma once
// The words of the firewall's configuration (Junos'), shared by the
// commands, the Security API and the show commands: host-inbound services
// and protocols, IP protocol names, policy actions, screen options.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "features/fw/fw_config.hpp"

namespace vp::fw {

template <class T>
struct Named {
  const char* name;
  T value;
};

inline constexpr Named<uint32_t> kServices[] = {{"ping", kSvcPing}, {"ssh", kSvcSsh}, {"dns", kSvcDns},
                                                {"ntp", kSvcNtp},   {"ike", kSvcIke}, {"wireguard", kSvcWireguard},
                                                {"all", kSvcAll}};
inline constexpr Named<uint32_t> kProtocols[] = {
    {"bgp", kProtoBgp}, {"ospf", kProtoOspf}, {"vrrp", kProtoVrrp}, {"all", kProtoAll}};
inline constexpr Named<uint8_t> kIpProtos[] = {{"tcp", 6},  {"udp", 17}, {"icmp", 1},  {"icmp6", 58}, {"gre", 47},
                                               {"esp", 50}, {"ah", 51},  {"ospf", 89}, {"sctp", 132}, {"udplite", 136}};
inline constexpr Named<Action> kActions[] = {
    {"permit", Action::kPermit}, {"deny", Action::kDeny}, {"reject", Action::kReject}};

// "tcp", "udp", ... for the protocols named above, the number otherwise.
std::string ip_proto_name(uint8_t p);
// The protocol a name or number stands for, nullopt when it is neither.
std::optional<uint8_t> ip_proto_of(std::string_view w);

// Screen options: a flood threshold (pps set) or a flag.
struct ScreenOpt {
  const char* group;
  const char* word;
  uint32_t flag = 0;
  uint32_t Screen::*pps = nullptr;
  const char* threshold = nullptr;
  uint32_t default_pps = 0;  // Junos' default when the threshold is not given
};
inline const ScreenOpt kScreenOpts[] = {
    {"icmp", "flood", 0, &Screen::icmp_flood, "threshold", 1000},
    {"udp", "flood", 0, &Screen::udp_flood, "threshold", 1000},
    {"tcp", "syn-flood", 0, &Screen::syn_flood, "attack-threshold", 200},
    {"tcp", "land", kScrLand},
    {"tcp", "syn-fin", kScrSynFin},
    {"tcp", "tcp-no-flag", kScrTcpNoFlag},
    {"tcp", "fin-no-ack", kScrFinNoAck},
    {"tcp", "winnuke", kScrWinnuke},
    {"icmp", "ping-death", kScrPingDeath},
    {"icmp", "large", kScrIcmpLarge},
    {"ip", "tear-drop", kScrTearDrop},
    {"ip", "source-route-option", kScrSourceRoute},
    {"ip", "spoofing", kScrSpoofing},
};

}  // namespace vp::fw
