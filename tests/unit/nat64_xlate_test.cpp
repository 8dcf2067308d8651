// NAT64 header translation (RFC 7915) and RFC 6052 addresses: reference
// packets built with scapy 2.5 (which computes every checksum from scratch)
// checked byte for byte, both ways where the translation is reversible;
// every ICMP type, code and parameter-problem pointer of RFC 7915's tables;
// the refusals, which must leave the packet as it was; round trips; and
// every translated packet's checksums recomputed in full by the RFC 1071
// sum written out here, not the library's helpers.
#include "features/nat/nat64_xlate.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "graph/meta.hpp"
#include "io/eal.hpp"

namespace vp::nat {
namespace {

using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------------------
// Reference packets (scapy). Addresses: IPv6 host 2001:db8::1, IPv4 server
// 192.0.2.33 = 64:ff9b::c000:221, NAT pool address 198.51.100.1, IPv4
// router 203.0.113.1 = 64:ff9b::cb00:7101.

// IPv6(src=host6, dst=server6, tc=0x28, hlim=64)/TCP(sport=40000, dport=80, flags="S", seq=1000,
//   window=65535)/b"hello"
const std::vector<uint8_t> kTcp6 = {0x62, 0x80, 0x00, 0x00, 0x00, 0x19, 0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x64,
                                    0xff, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02,
                                    0x21, 0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00,
                                    0x50, 0x02, 0xff, 0xff, 0xdb, 0xb7, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f};
// IP(src=pool4, dst=server4, tos=0x28, ttl=64, id=0x1234, flags=0)/TCP(sport=1024, dport=80, flags="S", seq=1000,
//   window=65535)/b"hello"
const std::vector<uint8_t> kTcp4 = {0x45, 0x28, 0x00, 0x2d, 0x12, 0x34, 0x00, 0x00, 0x40, 0x06, 0x7c, 0x19,
                                    0xc6, 0x33, 0x64, 0x01, 0xc0, 0x00, 0x02, 0x21, 0x04, 0x00, 0x00, 0x50,
                                    0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0xff, 0xff,
                                    0x77, 0x7d, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f};
// IP(src=server4, dst=pool4, ttl=50, id=7, flags="DF")/UDP(sport=53, dport=1024, chksum=0)/b"\x12\x34answer!"
const std::vector<uint8_t> kUdpZero4 = {0x45, 0x00, 0x00, 0x25, 0x00, 0x07, 0x40, 0x00, 0x32, 0x11, 0x5c, 0x6b, 0xc0,
                                        0x00, 0x02, 0x21, 0xc6, 0x33, 0x64, 0x01, 0x00, 0x35, 0x04, 0x00, 0x00, 0x11,
                                        0x00, 0x00, 0x12, 0x34, 0x61, 0x6e, 0x73, 0x77, 0x65, 0x72, 0x21};
// IPv6(src=server6, dst=host6, hlim=50)/UDP(sport=53, dport=40000)/b"\x12\x34answer!"
const std::vector<uint8_t> kUdpZero6 = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x11, 0x11, 0x32, 0x00, 0x64, 0xff, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xc0, 0x00, 0x02, 0x21, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x35, 0x9c, 0x40, 0x00, 0x11, 0x05, 0xef, 0x12, 0x34, 0x61, 0x6e, 0x73, 0x77, 0x65, 0x72, 0x21};
// IPv6(src=host6, dst=server6, hlim=64)/ICMPv6EchoRequest(id=0x77, seq=3, data=b"ping!")
const std::vector<uint8_t> kEchoReq6 = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x64, 0xff, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xc0, 0x00, 0x02, 0x21, 0x80, 0x00, 0x8f, 0x91, 0x00, 0x77, 0x00, 0x03, 0x70, 0x69, 0x6e, 0x67, 0x21};
// IP(src=pool4, dst=server4, ttl=64, id=0x1234)/ICMP(type=8, id=0x400, seq=3)/b"ping!"
const std::vector<uint8_t> kEchoReq4 = {0x45, 0x00, 0x00, 0x21, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x7c,
                                        0x52, 0xc6, 0x33, 0x64, 0x01, 0xc0, 0x00, 0x02, 0x21, 0x08, 0x00,
                                        0xf4, 0x2b, 0x04, 0x00, 0x00, 0x03, 0x70, 0x69, 0x6e, 0x67, 0x21};
// IP(src=server4, dst=pool4, ttl=60, id=99)/ICMP(type=0, id=0x400, seq=3)/b"ping!"
const std::vector<uint8_t> kEchoRep4 = {0x45, 0x00, 0x00, 0x21, 0x00, 0x63, 0x00, 0x00, 0x3c, 0x01, 0x92,
                                        0x23, 0xc0, 0x00, 0x02, 0x21, 0xc6, 0x33, 0x64, 0x01, 0x00, 0x00,
                                        0xfc, 0x2b, 0x04, 0x00, 0x00, 0x03, 0x70, 0x69, 0x6e, 0x67, 0x21};
// IPv6(src=server6, dst=host6, hlim=60)/ICMPv6EchoReply(id=0x77, seq=3, data=b"ping!")
const std::vector<uint8_t> kEchoRep6 = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x3a, 0x3c, 0x00, 0x64, 0xff, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xc0, 0x00, 0x02, 0x21, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x81, 0x00, 0x8e, 0x91, 0x00, 0x77, 0x00, 0x03, 0x70, 0x69, 0x6e, 0x67, 0x21};
// IPv6(src=host6, dst=server6, hlim=64)/ICMPv6DestUnreach(code=4)/IPv6(src=server6, dst=host6, hlim=63)/UDP(sport=53,
//   dport=40000)/b"query-answer"
const std::vector<uint8_t> kPortUnreach6 = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x44, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x64, 0xff, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xc0, 0x00, 0x02, 0x21, 0x01, 0x04, 0x9d, 0x73, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00, 0x14,
    0x11, 0x3f, 0x00, 0x64, 0xff, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x21,
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x35,
    0x9c, 0x40, 0x00, 0x14, 0xe9, 0x07, 0x71, 0x75, 0x65, 0x72, 0x79, 0x2d, 0x61, 0x6e, 0x73, 0x77, 0x65, 0x72};
// IP(src=pool4, dst=server4, ttl=64, id=0x1111, flags=0)/ICMP(type=3, code=3)/IP(src=server4, dst=pool4, ttl=63,
//   id=0x2222, flags=0)/UDP(sport=53, dport=1024)/b"query-answer"
const std::vector<uint8_t> kPortUnreach4 = {
    0x45, 0x00, 0x00, 0x44, 0x11, 0x11, 0x00, 0x00, 0x40, 0x01, 0x7d, 0x52, 0xc6, 0x33, 0x64, 0x01, 0xc0,
    0x00, 0x02, 0x21, 0x03, 0x03, 0xe9, 0x78, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x28, 0x22, 0x22,
    0x00, 0x00, 0x3f, 0x11, 0x6d, 0x4d, 0xc0, 0x00, 0x02, 0x21, 0xc6, 0x33, 0x64, 0x01, 0x00, 0x35, 0x04,
    0x00, 0x00, 0x14, 0x84, 0xcd, 0x71, 0x75, 0x65, 0x72, 0x79, 0x2d, 0x61, 0x6e, 0x73, 0x77, 0x65, 0x72};
// IP(src=router4, dst=pool4, ttl=250, id=1)/ICMP(type=3, code=4, nexthopmtu=1400)/IP(src=pool4, dst=server4, ttl=62,
//   id=0x3333, flags=0)/TCP(sport=1024, dport=80, flags="A", seq=5, ack=9)/(b"x"*30)
const std::vector<uint8_t> kFragNeeded4 = {
    0x45, 0x00, 0x00, 0x62, 0x00, 0x01, 0x00, 0x00, 0xfa, 0x01, 0x5a, 0x63, 0xcb, 0x00, 0x71, 0x01, 0xc6,
    0x33, 0x64, 0x01, 0x03, 0x04, 0xe4, 0x12, 0x00, 0x00, 0x05, 0x78, 0x45, 0x00, 0x00, 0x46, 0x33, 0x33,
    0x00, 0x00, 0x3e, 0x06, 0x5d, 0x29, 0xc6, 0x33, 0x64, 0x01, 0xc0, 0x00, 0x02, 0x21, 0x04, 0x00, 0x00,
    0x50, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x09, 0x50, 0x10, 0x20, 0x00, 0x8f, 0xf3, 0x00, 0x00,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78};
// IPv6(src=router6, dst=host6, hlim=250)/ICMPv6PacketTooBig(mtu=1420)/IPv6(src=host6, dst=server6,
//   hlim=62)/TCP(sport=40000, dport=80, flags="A", seq=5, ack=9)/(b"x"*30)
const std::vector<uint8_t> kPacketTooBig6 = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x62, 0x3a, 0xfa, 0x00, 0x64, 0xff, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xcb, 0x00, 0x71, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x27, 0xe3, 0x00, 0x00, 0x05, 0x8c, 0x60, 0x00, 0x00, 0x00, 0x00, 0x32,
    0x06, 0x3e, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x64, 0xff, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x21, 0x9c, 0x40,
    0x00, 0x50, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x09, 0x50, 0x10, 0x20, 0x00, 0xf4, 0x2d, 0x00, 0x00,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
    0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78};
// IP(src=router4, dst=pool4, ttl=254, id=2)/ICMP(type=11, code=0)/IP(src=pool4, dst=server4, ttl=1,
//   id=0x4444)/ICMP(type=8, id=0x400, seq=9)/b"abcdefgh"
const std::vector<uint8_t> kTimeExceeded4 = {
    0x45, 0x00, 0x00, 0x40, 0x00, 0x02, 0x00, 0x00, 0xfe, 0x01, 0x56, 0x84, 0xcb, 0x00, 0x71, 0x01,
    0xc6, 0x33, 0x64, 0x01, 0x0b, 0x00, 0xf4, 0xff, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x24,
    0x44, 0x44, 0x00, 0x00, 0x01, 0x01, 0x89, 0x3f, 0xc6, 0x33, 0x64, 0x01, 0xc0, 0x00, 0x02, 0x21,
    0x08, 0x00, 0x62, 0x61, 0x04, 0x00, 0x00, 0x09, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68};
// IPv6(src=router6, dst=host6, hlim=254)/ICMPv6TimeExceeded(code=0)/IPv6(src=host6, dst=server6,
//   hlim=1)/ICMPv6EchoRequest(id=0x77, seq=9, data=b"abcdefgh")
const std::vector<uint8_t> kTimeExceeded6 = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x40, 0x3a, 0xfe, 0x00, 0x64, 0xff, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xcb, 0x00, 0x71, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0xf9, 0x01, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00, 0x10,
    0x3a, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x64, 0xff, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x21, 0x80, 0x00,
    0xfd, 0xc3, 0x00, 0x77, 0x00, 0x09, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68};
// IP(src=server4, dst=pool4, ttl=40, id=0xabcd, flags="MF", frag=0, proto=17)/(the first 24 bytes of
//   UDP(sport=53, dport=1024)/bytes(range(40)) with its checksum over IPv4)
const std::vector<uint8_t> kFrag4First = {0x45, 0x00, 0x00, 0x2c, 0xab, 0xcd, 0x20, 0x00, 0x28, 0x11, 0xda,
                                          0x9d, 0xc0, 0x00, 0x02, 0x21, 0xc6, 0x33, 0x64, 0x01, 0x00, 0x35,
                                          0x04, 0x00, 0x00, 0x30, 0x91, 0x71, 0x00, 0x01, 0x02, 0x03, 0x04,
                                          0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
// IPv6(src=server6, dst=host6, hlim=40)/IPv6ExtHdrFragment(nh=17, id=0xabcd, m=1, offset=0)/(the first 24
//   bytes of UDP(sport=53, dport=40000)/bytes(range(40)) with its checksum over IPv6)
const std::vector<uint8_t> kFrag6First = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x2c, 0x28, 0x00, 0x64, 0xff, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xc0, 0x00, 0x02, 0x21, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x11, 0x00, 0x00, 0x01, 0x00, 0x00, 0xab, 0xcd, 0x00, 0x35, 0x9c, 0x40, 0x00, 0x30,
    0xf5, 0xab, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
// IPv6(src=host6, dst=server6, hlim=30, tc=0x10)/IPv6ExtHdrFragment(nh=17, id=0x12345678, m=0,
//   offset=3)/bytes(range(16))
const std::vector<uint8_t> kFrag6Later = {0x61, 0x00, 0x00, 0x00, 0x00, 0x18, 0x2c, 0x1e, 0x20, 0x01, 0x0d, 0xb8, 0x00,
                                          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x64,
                                          0xff, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02,
                                          0x21, 0x11, 0x00, 0x00, 0x18, 0x12, 0x34, 0x56, 0x78, 0x00, 0x01, 0x02, 0x03,
                                          0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
// IP(src=pool4, dst=server4, ttl=30, tos=0x10, id=0x5678, flags=0, frag=3, proto=17)/bytes(range(16))
const std::vector<uint8_t> kFrag4Later = {0x45, 0x10, 0x00, 0x24, 0x56, 0x78, 0x00, 0x03, 0x1e, 0x11, 0x59, 0xe8,
                                          0xc6, 0x33, 0x64, 0x01, 0xc0, 0x00, 0x02, 0x21, 0x00, 0x01, 0x02, 0x03,
                                          0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
// IPv6(src=host6, dst=server6, hlim=64)/ICMPv6PacketTooBig(mtu=1300)/IPv6(src=server6, dst=host6,
//   hlim=61)/TCP(sport=80, dport=40000, flags="PA", seq=77, ack=88)/(b"y"*24)
const std::vector<uint8_t> kPacketTooBigIn6 = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x5c, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x64, 0xff, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00,
    0x02, 0x21, 0x02, 0x00, 0xa2, 0x42, 0x00, 0x00, 0x05, 0x14, 0x60, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x06, 0x3d, 0x00,
    0x64, 0xff, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x21, 0x20, 0x01, 0x0d, 0xb8,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x50, 0x9c, 0x40, 0x00, 0x00, 0x00,
    0x4d, 0x00, 0x00, 0x00, 0x58, 0x50, 0x18, 0x20, 0x00, 0x50, 0xf2, 0x00, 0x00, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79,
    0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79};
// IP(src=pool4, dst=server4, ttl=64, id=0x1111, flags=0)/ICMP(type=3, code=4, nexthopmtu=1280)/IP(src=server4,
//   dst=pool4, ttl=61, id=0x5555, flags=0)/TCP(sport=80, dport=1024, flags="PA", seq=77, ack=88)/(b"y"*24)
const std::vector<uint8_t> kFragNeededOut4 = {
    0x45, 0x00, 0x00, 0x5c, 0x11, 0x11, 0x00, 0x00, 0x40, 0x01, 0x7d, 0x3a, 0xc6, 0x33, 0x64, 0x01, 0xc0, 0x00, 0x02,
    0x21, 0x03, 0x04, 0xe4, 0x84, 0x00, 0x00, 0x05, 0x00, 0x45, 0x00, 0x00, 0x40, 0x55, 0x55, 0x00, 0x00, 0x3d, 0x06,
    0x3c, 0x0d, 0xc0, 0x00, 0x02, 0x21, 0xc6, 0x33, 0x64, 0x01, 0x00, 0x50, 0x04, 0x00, 0x00, 0x00, 0x00, 0x4d, 0x00,
    0x00, 0x00, 0x58, 0x50, 0x18, 0x20, 0x00, 0xec, 0xb7, 0x00, 0x00, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79,
    0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79};

// ---------------------------------------------------------------------------
// Addresses and tuples.

uint32_t a4(const char* s) {
  uint32_t v;
  EXPECT_EQ(inet_pton(AF_INET, s, &v), 1) << s;
  return v;
}
void a6(const char* s, uint8_t* out) { EXPECT_EQ(inet_pton(AF_INET6, s, out), 1) << s; }
uint16_t port(uint16_t p) { return htons(p); }

Xlate6to4 t64(const char* src, const char* dst, uint16_t sport = 0, uint16_t dport = 0, uint16_t id = 0) {
  return {a4(src), a4(dst), port(sport), port(dport), htons(id)};
}
Xlate4to6 t46(const char* src, const char* dst, uint16_t sport = 0, uint16_t dport = 0) {
  Xlate4to6 t{};
  a6(src, t.src);
  a6(dst, t.dst);
  t.sport = port(sport);
  t.dport = port(dport);
  return t;
}

constexpr const char* kH6 = "2001:db8::1";
constexpr const char* kS6 = "64:ff9b::c000:221";
constexpr const char* kR6 = "64:ff9b::cb00:7101";
constexpr const char* kS4 = "192.0.2.33";
constexpr const char* kP4 = "198.51.100.1";
constexpr const char* kR4 = "203.0.113.1";

// ---------------------------------------------------------------------------
// Mbufs.

struct Mbuf {
  rte_mbuf* m;
  // `ip` behind `l3` bytes of an Ethernet-like header, as on the unicast
  // arcs; a new segment starts at each offset of `cuts` (into `ip`).
  explicit Mbuf(const Bytes& ip, uint16_t l3 = 14, std::vector<size_t> cuts = {}) : m(rte_pktmbuf_alloc(eal().pool)) {
    cuts.push_back(ip.size());
    uint8_t* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, uint16_t(l3 + cuts[0])));
    std::memset(d, 0xee, l3);
    std::memcpy(d + l3, ip.data(), cuts[0]);
    for (size_t k = 1; k < cuts.size(); k++) {
      rte_mbuf* s = rte_pktmbuf_alloc(eal().pool);
      const size_t n = cuts[k] - cuts[k - 1];
      std::memcpy(rte_pktmbuf_append(s, uint16_t(n)), ip.data() + cuts[k - 1], n);
      EXPECT_EQ(rte_pktmbuf_chain(m, s), 0);
    }
    meta_init(m, 0);
    meta(m).l3_off = l3;
  }
  ~Mbuf() { rte_pktmbuf_free(m); }
  Mbuf(const Mbuf&) = delete;
  Mbuf& operator=(const Mbuf&) = delete;
  // Every segment's bytes from the data start.
  Bytes bytes() const {
    Bytes b;
    for (const rte_mbuf* s = m; s; s = s->next) {
      const uint8_t* d = rte_pktmbuf_mtod(s, const uint8_t*);
      b.insert(b.end(), d, d + s->data_len);
    }
    return b;
  }
  // What a refusal must leave alone.
  struct Snapshot {
    Bytes data;
    uint16_t data_off, l3_off, l4_off;
    uint32_t pkt_len;
    uint64_t ol_flags;
    bool operator==(const Snapshot&) const = default;
  };
  Snapshot snap() const { return {bytes(), m->data_off, meta(m).l3_off, meta(m).l4_off, m->pkt_len, m->ol_flags}; }
};

// ---------------------------------------------------------------------------
// RFC 1071 sums, written out independently of the library.

uint32_t sum_be(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(p[i]) << 8 | p[i + 1];
  if (n & 1) s += uint32_t(p[n - 1]) << 8;
  return s;
}
uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return uint16_t(s);
}
uint16_t rd(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
void wr(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
uint32_t rd32(const uint8_t* p) { return uint32_t(rd(p)) << 16 | rd(p + 2); }

uint32_t phdr4(const uint8_t* ip, uint32_t len, uint8_t proto) { return sum_be(ip + 12, 8) + len + proto; }
uint32_t phdr6(const uint8_t* ip, uint32_t len, uint8_t proto) {
  return sum_be(ip + 8, 32) + (len >> 16) + (len & 0xffff) + proto;
}

// Where the L4 header of an IPv6 packet starts (after a Fragment header,
// the only extension header a translated packet carries), its protocol and
// whether this packet carries it with the whole datagram.
struct L6 {
  uint32_t off;
  uint8_t proto;
  bool whole;
};
L6 l6(const uint8_t* ip) {
  if (ip[6] == 44) return {48, ip[40], false};
  return {40, ip[6], true};
}

// Checks a translated packet: lengths against `size` (the bytes it has),
// the IPv4 header checksum, and the L4 checksum recomputed over the whole
// L4 part when this packet holds all of it (`quote`: an ICMP error's inner
// packet, whose length fields are the original datagram's; checked only if
// it is quoted whole). An ICMP error's inner packet is checked the same way.
void verify(const uint8_t* ip, size_t size, bool quote = false) {
  SCOPED_TRACE(quote ? "inner packet" : "packet");
  ASSERT_GE(size, 20u);
  const uint8_t ver = ip[0] >> 4;
  uint32_t l4, total;
  uint8_t proto;
  bool whole;
  if (ver == 4) {
    ASSERT_EQ(ip[0], 0x45) << "translated IPv4 headers carry no options";
    total = rd(ip + 2);
    EXPECT_EQ(fold(sum_be(ip, 20)), 0xffff) << "IPv4 header checksum";
    l4 = 20;
    proto = ip[9];
    whole = (rd(ip + 6) & 0x3fff) == 0;
  } else {
    ASSERT_EQ(ver, 6);
    ASSERT_GE(size, 40u);
    total = 40 + rd(ip + 4);
    const L6 x = l6(ip);
    l4 = x.off;
    proto = x.proto;
    whole = x.whole;
  }
  if (!quote)
    ASSERT_EQ(total, size) << "length field against the packet";
  else
    ASSERT_LE(l4, size);
  if (!whole || total != size) return;  // a fragment or a cut quote: no full L4 checksum to check
  const uint8_t* p = ip + l4;
  const uint32_t n = total - l4;
  const uint32_t ph = ver == 4 ? phdr4(ip, n, proto) : phdr6(ip, n, proto);
  if (proto == 6) {
    ASSERT_GE(n, 20u);
    EXPECT_EQ(fold(sum_be(p, n, ph)), 0xffff) << "TCP checksum";
  } else if (proto == 17) {
    ASSERT_GE(n, 8u);
    if (ver == 6) {
      EXPECT_NE(rd(p + 6), 0) << "UDP over IPv6 needs a checksum";
    }
    if (rd(p + 6)) {
      EXPECT_EQ(fold(sum_be(p, n, ph)), 0xffff) << "UDP checksum";
    }
  } else if (proto == 1 || proto == 58) {
    ASSERT_GE(n, 8u);
    EXPECT_EQ(proto, ver == 4 ? 1 : 58);
    EXPECT_EQ(fold(sum_be(p, n, ver == 4 ? 0 : ph)), 0xffff) << "ICMP checksum";
    const bool error = ver == 4 ? (p[0] == 3 || p[0] == 11 || p[0] == 12) : p[0] < 128;
    if (error && !quote) verify(p + 8, n - 8, true);
  }
}
void verify(const Bytes& b) { verify(b.data(), b.size()); }

// ---------------------------------------------------------------------------
// Packet builders: checksums filled by the same independent sums.

Bytes ip4(uint8_t proto, const char* src, const char* dst, const Bytes& l4, uint16_t id = 1, uint16_t ff = 0,
          uint8_t ttl = 64, const Bytes& opts = {}) {
  Bytes b(20 + opts.size());
  b[0] = uint8_t(0x40 | (b.size() / 4));
  wr(&b[2], uint32_t(b.size() + l4.size()));
  wr(&b[4], id);
  wr(&b[6], ff);
  b[8] = ttl;
  b[9] = proto;
  uint32_t s = a4(src), d = a4(dst);
  std::memcpy(&b[12], &s, 4);
  std::memcpy(&b[16], &d, 4);
  std::copy(opts.begin(), opts.end(), b.begin() + 20);
  wr(&b[10], uint16_t(~fold(sum_be(b.data(), b.size()))));
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

// The L4 checksum of a whole IPv4/IPv6 packet built here (UDP left at 0
// when `udp_zero`).
void fill_l4(Bytes& b, bool udp_zero = false) {
  uint8_t* ip = b.data();
  const bool v4 = (ip[0] >> 4) == 4;
  const uint32_t l4 = v4 ? (ip[0] & 0xf) * 4u : l6(ip).off;
  const uint8_t proto = v4 ? ip[9] : l6(ip).proto;
  const uint32_t n = uint32_t(b.size()) - l4;
  uint8_t* p = ip + l4;
  const uint32_t at = proto == 6 ? 16 : proto == 17 ? 6 : 2;
  if (n < at + 2) return;
  wr(p + at, 0);
  if (proto == 17 && udp_zero) return;
  uint32_t ph = 0;
  if (proto != 1) ph = v4 ? phdr4(ip, n, proto) : phdr6(ip, n, proto);
  uint16_t c = uint16_t(~fold(sum_be(p, n, ph)));
  if (proto == 17 && c == 0) c = 0xffff;
  wr(p + at, c);
}

Bytes ip6(uint8_t nh, const char* src, const char* dst, const Bytes& l4, uint8_t hlim = 64, uint8_t tc = 0) {
  Bytes b(40);
  b[0] = uint8_t(0x60 | tc >> 4);
  b[1] = uint8_t(tc << 4);
  wr(&b[4], uint32_t(l4.size()));
  b[6] = nh;
  b[7] = hlim;
  a6(src, &b[8]);
  a6(dst, &b[24]);
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

Bytes tcp(uint16_t sport, uint16_t dport, size_t payload = 0, uint8_t fill = 'x') {
  Bytes b(20 + payload, fill);
  wr(&b[0], sport);
  wr(&b[2], dport);
  for (int i = 4; i < 20; i++) b[i] = uint8_t(i * 7);
  b[12] = 0x50;
  return b;
}
Bytes udp(uint16_t sport, uint16_t dport, size_t payload = 0, uint8_t fill = 'u') {
  Bytes b(8 + payload, fill);
  wr(&b[0], sport);
  wr(&b[2], dport);
  wr(&b[4], uint32_t(b.size()));
  wr(&b[6], 0);
  return b;
}
Bytes icmp(uint8_t type, uint8_t code, uint32_t rest = 0, const Bytes& body = {}) {
  Bytes b(8);
  b[0] = type;
  b[1] = code;
  wr(&b[4], rest >> 16);
  wr(&b[6], rest);
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

// Whole packets with their checksums.
Bytes v4_udp(uint16_t sport = 1024, uint16_t dport = 53, size_t payload = 12) {
  Bytes b = ip4(17, kP4, kS4, udp(sport, dport, payload));
  fill_l4(b);
  return b;
}
Bytes v6_udp(uint16_t sport = 40000, uint16_t dport = 53, size_t payload = 12) {
  Bytes b = ip6(17, kH6, kS6, udp(sport, dport, payload));
  fill_l4(b);
  return b;
}
// An ICMPv4 error from the IPv4 router to the pool address, quoting `inner`.
Bytes v4_error(uint8_t type, uint8_t code, uint32_t rest, const Bytes& inner) {
  Bytes b = ip4(1, kR4, kP4, icmp(type, code, rest, inner));
  fill_l4(b);
  return b;
}
// An ICMPv6 error from the IPv6 host to the server, quoting `inner`.
Bytes v6_error(uint8_t type, uint8_t code, uint32_t rest, const Bytes& inner) {
  Bytes b = ip6(58, kH6, kS6, icmp(type, code, rest, inner));
  fill_l4(b);
  return b;
}
// The quoted packets: the reverse direction of the flow that got the error.
Bytes quoted4(size_t payload = 12) { return v4_udp(1024, 53, payload); }
Bytes quoted6(size_t payload = 12) {
  Bytes b = ip6(17, kS6, kH6, udp(53, 40000, payload));
  fill_l4(b);
  return b;
}
const Xlate4to6 kOut46 = t46(kR6, kH6);
const Xlate4to6 kIn46 = t46(kH6, kS6, 40000, 53);
const Xlate6to4 kOut64 = t64(kP4, kS4, 0, 0, 0x1111);
const Xlate6to4 kIn64 = t64(kS4, kP4, 53, 1024, 0x2222);

struct Out {
  XlateResult r;
  Bytes b;
};
Out run46(const Bytes& in, const Xlate4to6& o = kOut46, const Xlate4to6* inner = &kIn46) {
  Mbuf m(in);
  const XlateResult r = xlate_4to6(m.m, o, inner);
  return {r, m.bytes()};
}
Out run64(const Bytes& in, const Xlate6to4& o = kOut64, const Xlate6to4* inner = &kIn64) {
  Mbuf m(in);
  const XlateResult r = xlate_6to4(m.m, o, inner);
  return {r, m.bytes()};
}

// ---------------------------------------------------------------------------
// RFC 6052

TEST(Nat64Xlate, Rfc6052Section24Examples) {
  // RFC 6052 2.4: 192.0.2.33 under a prefix of every length.
  const struct {
    const char* prefix;
    uint8_t len;
    const char* addr;
  } cases[] = {
      {"2001:db8::", 32, "2001:db8:c000:221::"},
      {"2001:db8:100::", 40, "2001:db8:1c0:2:21::"},
      {"2001:db8:122::", 48, "2001:db8:122:c000:2:2100::"},
      {"2001:db8:122:300::", 56, "2001:db8:122:3c0:0:221::"},
      {"2001:db8:122:344::", 64, "2001:db8:122:344:c0:2:2100:0"},
      {"2001:db8:122:344::", 96, "2001:db8:122:344::192.0.2.33"},
      {"64:ff9b::", 96, "64:ff9b::192.0.2.33"},
  };
  const uint32_t v4 = a4("192.0.2.33");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.addr);
    uint8_t prefix[16], want[16], got[16];
    a6(c.prefix, prefix);
    a6(c.addr, want);
    ASSERT_TRUE(rfc6052_len_ok(c.len));
    rfc6052_embed(prefix, c.len, v4, got);
    EXPECT_EQ(0, std::memcmp(got, want, 16));
    EXPECT_EQ(rfc6052_extract(c.len, want), v4);
    EXPECT_TRUE(rfc6052_match(prefix, c.len, want));
    EXPECT_EQ(want[8], 0) << "u octet";
  }
  uint8_t other[16];
  a6("2001:db9::", other);
  uint8_t prefix[16];
  a6("2001:db8::", prefix);
  EXPECT_FALSE(rfc6052_match(prefix, 32, other));
}

TEST(Nat64Xlate, Rfc6052PrefixLengths) {
  std::set<int> ok;
  for (int l = 0; l <= 128; l++)
    if (rfc6052_len_ok(uint8_t(l))) ok.insert(l);
  EXPECT_EQ(ok, (std::set<int>{32, 40, 48, 56, 64, 96}));
  // Prefix bits past the length are not copied; the IPv4 address is all
  // that lands after the prefix, never in the u octet.
  uint8_t prefix[16];
  std::memset(prefix, 0xaa, 16);
  for (int l : ok) {
    const uint32_t v4 = a4("255.255.255.255");
    uint8_t out[16];
    rfc6052_embed(prefix, uint8_t(l), v4, out);
    EXPECT_EQ(rfc6052_extract(uint8_t(l), out), v4) << l;
    EXPECT_EQ(0, std::memcmp(out, prefix, l / 8)) << l;
    if (l != 96) {
      EXPECT_EQ(out[8], 0) << l;
    }
    int ones = 0;
    for (int i = l / 8; i < 16; i++) {
      EXPECT_TRUE(out[i] == 0 || out[i] == 0xff) << l << " byte " << i;
      ones += out[i] == 0xff;
    }
    EXPECT_EQ(ones, 4) << l;
  }
}

// ---------------------------------------------------------------------------
// Reference packets.

struct Ref {
  const char* name;
  const Bytes& v6;
  const Bytes& v4;
  bool to6;      // v4 -> v6 (else v6 -> v4)
  bool reverse;  // the other way gives the first back
  Xlate4to6 o46;
  std::optional<Xlate4to6> i46;
  Xlate6to4 o64;
  std::optional<Xlate6to4> i64;
};

std::vector<Ref> refs() {
  return {
      {"TCP", kTcp6, kTcp4, false, true, t46(kH6, kS6, 40000, 80), {}, t64(kP4, kS4, 1024, 80, 0x1234), {}},
      {"UDP without checksum", kUdpZero6, kUdpZero4, true, false, t46(kS6, kH6, 53, 40000), {}, {}, {}},
      {"echo request",
       kEchoReq6,
       kEchoReq4,
       false,
       true,
       t46(kH6, kS6, 0x77, 0),
       {},
       t64(kP4, kS4, 0x400, 0, 0x1234),
       {}},
      {"echo reply", kEchoRep6, kEchoRep4, true, true, t46(kS6, kH6, 0, 0x77), {}, t64(kS4, kP4, 0, 0x400, 99), {}},
      {"port unreachable", kPortUnreach6, kPortUnreach4, false, true, t46(kH6, kS6), t46(kS6, kH6, 53, 40000),
       t64(kP4, kS4, 0, 0, 0x1111), t64(kS4, kP4, 53, 1024, 0x2222)},
      {"fragmentation needed", kPacketTooBig6, kFragNeeded4, true, true, t46(kR6, kH6), t46(kH6, kS6, 40000, 80),
       t64(kR4, kP4, 0, 0, 1), t64(kP4, kS4, 1024, 80, 0x3333)},
      {"time exceeded", kTimeExceeded6, kTimeExceeded4, true, true, t46(kR6, kH6), t46(kH6, kS6, 0x77, 0),
       t64(kR4, kP4, 0, 0, 2), t64(kP4, kS4, 0x400, 0, 0x4444)},
      {"first fragment",
       kFrag6First,
       kFrag4First,
       true,
       true,
       t46(kS6, kH6, 53, 40000),
       {},
       t64(kS4, kP4, 53, 1024),
       {}},
      {"later fragment", kFrag6Later, kFrag4Later, false, false, {}, {}, t64(kP4, kS4), {}},
      {"packet too big", kPacketTooBigIn6, kFragNeededOut4, false, true, t46(kH6, kS6), t46(kS6, kH6, 80, 40000),
       t64(kP4, kS4, 0, 0, 0x1111), t64(kS4, kP4, 80, 1024, 0x5555)},
  };
}

void check_ref(const Ref& c, bool to6) {
  SCOPED_TRACE(std::string(c.name) + (to6 ? " 4->6" : " 6->4"));
  const Bytes& in = to6 ? c.v4 : c.v6;
  const Bytes& want = to6 ? c.v6 : c.v4;
  Out o = to6 ? run46(in, c.o46, c.i46 ? &*c.i46 : nullptr) : run64(in, c.o64, c.i64 ? &*c.i64 : nullptr);
  ASSERT_EQ(o.r, XlateResult::kOk) << xlate_result_name(o.r);
  EXPECT_EQ(o.b, want);
  verify(o.b);
}

TEST(Nat64Xlate, ReferencePackets) {
  for (const Ref& c : refs()) {
    verify(c.v6);
    verify(c.v4);
    check_ref(c, c.to6);
  }
}

TEST(Nat64Xlate, ReferencePacketsTheOtherWay) {
  for (const Ref& c : refs())
    if (c.reverse) check_ref(c, !c.to6);
}

// ---------------------------------------------------------------------------
// The mbuf after translation.

TEST(Nat64Xlate, MbufStartsAtTheTranslatedHeader) {
  for (uint16_t l3 : {0, 14, 18}) {
    SCOPED_TRACE(l3);
    {
      Mbuf m(kTcp6, l3);
      const uint16_t ip_at = uint16_t(m.m->data_off + l3);
      ASSERT_EQ(xlate_6to4(m.m, t64(kP4, kS4, 1024, 80, 0x1234), nullptr), XlateResult::kOk);
      EXPECT_EQ(meta(m.m).l3_off, 0);
      EXPECT_EQ(meta(m.m).l4_off, 20);
      EXPECT_EQ(m.m->data_off, ip_at + 20) << "the IPv4 header ends where the IPv6 one ended";
      EXPECT_EQ(m.m->pkt_len, kTcp4.size());
      EXPECT_EQ(m.m->data_len, kTcp4.size());
      EXPECT_EQ(m.bytes(), kTcp4);
    }
    {
      Mbuf m(kTcp4, l3);
      const uint16_t ip_at = uint16_t(m.m->data_off + l3);
      ASSERT_EQ(xlate_4to6(m.m, t46(kH6, kS6, 40000, 80), nullptr), XlateResult::kOk);
      EXPECT_EQ(meta(m.m).l3_off, 0);
      EXPECT_EQ(meta(m.m).l4_off, 40);
      EXPECT_EQ(m.m->data_off, ip_at - 20);
      EXPECT_GE(m.m->data_off, kXlateL2Room);
      EXPECT_EQ(m.bytes(), kTcp6);
    }
  }
}

TEST(Nat64Xlate, EthernetPaddingIsCut) {
  Bytes padded = kEchoRep4;
  padded.resize(padded.size() + 9, 0);
  Mbuf m(padded);
  ASSERT_EQ(xlate_4to6(m.m, t46(kS6, kH6, 0, 0x77), nullptr), XlateResult::kOk);
  EXPECT_EQ(m.bytes(), kEchoRep6);
}

TEST(Nat64Xlate, HeadroomFor4to6) {
  // A fragment needs 28 more bytes in front, plus the room left for Ethernet.
  const Bytes frag = kFrag4First;
  for (int room = 0; room <= 60; room++) {
    SCOPED_TRACE(room);
    Mbuf m(frag, 0);
    // Move the packet so that `room` bytes are in front of its IP header.
    uint8_t* d = rte_pktmbuf_mtod(m.m, uint8_t*);
    std::memmove(static_cast<uint8_t*>(m.m->buf_addr) + room, d, frag.size());
    m.m->data_off = uint16_t(room);
    const auto before = m.snap();
    const XlateResult r = xlate_4to6(m.m, t46(kS6, kH6, 53, 40000), nullptr);
    if (room < int(kXlateL2Room + 28)) {
      EXPECT_EQ(r, XlateResult::kNoHeadroom);
      EXPECT_TRUE(m.snap() == before);
    } else {
      EXPECT_EQ(r, XlateResult::kOk);
      EXPECT_EQ(m.bytes(), kFrag6First);
    }
  }
}

// ---------------------------------------------------------------------------
// RFC 7915 4.1 / 5.1 header fields.

TEST(Nat64Xlate, Ipv4FragmentFieldsToFragmentHeader) {
  Bytes b = ip4(6, kP4, kS4, Bytes(64, 'f'), 0xbeef, 0x2000 | 185, 33);
  Out o = run46(b, t46(kH6, kS6, 1, 2), nullptr);
  ASSERT_EQ(o.r, XlateResult::kOk);
  ASSERT_EQ(o.b.size(), 40u + 8 + 64);
  EXPECT_EQ(o.b[6], 44);
  EXPECT_EQ(o.b[7], 33);
  EXPECT_EQ(rd(&o.b[4]), 8 + 64);
  EXPECT_EQ(o.b[40], 6) << "next header";
  EXPECT_EQ(rd(&o.b[42]), 185 << 3 | 1) << "offset and M";
  EXPECT_EQ(rd32(&o.b[44]), 0xbeefu) << "identification";
  EXPECT_EQ(Bytes(o.b.begin() + 48, o.b.end()), Bytes(64, 'f')) << "a later fragment's bytes are not touched";
  verify(o.b);
  // The last fragment: M clear.
  b = ip4(6, kP4, kS4, Bytes(8, 'f'), 0xbeef, 300, 33);
  o = run46(b, t46(kH6, kS6, 1, 2), nullptr);
  ASSERT_EQ(o.r, XlateResult::kOk);
  EXPECT_EQ(rd(&o.b[42]), 300 << 3);
}

TEST(Nat64Xlate, NoFragmentHeaderForWholePackets) {
  // RFC 7915 4.1: whatever DF says, an unfragmented packet gets no Fragment header.
  for (uint16_t ff : {0x0000, 0x4000}) {
    Bytes b = ip4(17, kP4, kS4, udp(1024, 53, 20), 5, ff);
    fill_l4(b);
    Out o = run46(b, t46(kH6, kS6, 40000, 53), nullptr);
    ASSERT_EQ(o.r, XlateResult::kOk);
    EXPECT_EQ(o.b[6], 17);
    EXPECT_EQ(o.b.size(), b.size() + 20);
    verify(o.b);
  }
}

TEST(Nat64Xlate, DontFragmentAbove1260Bytes) {
  // RFC 7915 5: DF clear up to 1260 bytes of IPv4, set above.
  for (size_t size : {28, 1259, 1260, 1261, 1500}) {
    Bytes b = ip6(17, kH6, kS6, udp(40000, 53, size - 28));
    fill_l4(b);
    Out o = run64(b, t64(kP4, kS4, 1024, 53, 0xabc), nullptr);
    ASSERT_EQ(o.r, XlateResult::kOk);
    ASSERT_EQ(o.b.size(), size);
    EXPECT_EQ(rd(&o.b[6]), size > 1260 ? 0x4000 : 0) << size;
    EXPECT_EQ(rd(&o.b[4]), 0xabc) << "the caller's identification";
    verify(o.b);
  }
}

TEST(Nat64Xlate, TrafficClassAndHopLimitCopied) {
  for (uint8_t tc : {0x00, 0x2e << 2, 0xff}) {
    Bytes b = ip6(17, kH6, kS6, udp(40000, 53, 4), 1, tc);
    b[1] |= 0x0a;  // a flow label: not carried
    b[2] = 0xbc;
    fill_l4(b);
    Out o = run64(b, t64(kP4, kS4, 1024, 53), nullptr);
    ASSERT_EQ(o.r, XlateResult::kOk);
    EXPECT_EQ(o.b[1], tc);
    EXPECT_EQ(o.b[8], 1) << "not decremented";
    Out back = run46(o.b, t46(kH6, kS6, 40000, 53), nullptr);
    ASSERT_EQ(back.r, XlateResult::kOk);
    EXPECT_EQ(back.b[0], 0x60 | tc >> 4);
    EXPECT_EQ(back.b[1], uint8_t(tc << 4)) << "flow label 0";
    EXPECT_EQ(back.b[2], 0);
    EXPECT_EQ(back.b[7], 1);
  }
}

TEST(Nat64Xlate, Ipv4OptionsDropped) {
  // Record route, then an expired loose source route, then a no-op.
  const Bytes opts = {7, 7, 4, 0, 0, 0, 0, 131, 7, 8, 1, 2, 3, 4, 1, 0};
  Bytes b = ip4(17, kP4, kS4, udp(1024, 53, 10), 9, 0, 64, opts);
  fill_l4(b);
  Out o = run46(b, t46(kH6, kS6, 40000, 53), nullptr);
  ASSERT_EQ(o.r, XlateResult::kOk);
  EXPECT_EQ(o.b.size(), b.size() - 16 + 20);
  verify(o.b);
}

TEST(Nat64Xlate, UnexpiredSourceRouteRefused) {
  for (uint8_t type : {131, 137}) {
    const Bytes opts = {1, type, 11, 4, 1, 2, 3, 4, 5, 6, 7, 8};
    Bytes b = ip4(17, kP4, kS4, udp(1024, 53, 10), 9, 0, 64, opts);
    fill_l4(b);
    Mbuf m(b);
    const auto before = m.snap();
    const XlateResult r = xlate_4to6(m.m, t46(kH6, kS6, 40000, 53), nullptr);
    EXPECT_EQ(r, XlateResult::kSourceRoute);
    EXPECT_TRUE(m.snap() == before);
    IcmpReq req{};
    ASSERT_TRUE(xlate_refusal_icmp(r, m.m, req));
    EXPECT_EQ(req.type, 3);
    EXPECT_EQ(req.code, 5);
  }
}

TEST(Nat64Xlate, ExtensionHeadersSkipped) {
  // Hop-by-hop (8 bytes), a routing header with no segments left (16),
  // destination options (24), then UDP.
  Bytes ext = {43, 0, 1, 4, 0, 0, 0, 0};
  Bytes rh = {60, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  Bytes dst = {17, 2, 1, 4, 0, 0, 0, 0};
  dst.resize(24, 0);
  Bytes l4 = udp(40000, 53, 10);
  Bytes pay = ext;
  pay.insert(pay.end(), rh.begin(), rh.end());
  pay.insert(pay.end(), dst.begin(), dst.end());
  pay.insert(pay.end(), l4.begin(), l4.end());
  Bytes b = ip6(0, kH6, kS6, pay);
  // The UDP checksum, over the UDP part only.
  Bytes plain = ip6(17, kH6, kS6, l4);
  fill_l4(plain);
  std::copy(plain.begin() + 40, plain.end(), b.end() - long(l4.size()));
  Out o = run64(b, t64(kP4, kS4, 1024, 53), nullptr);
  ASSERT_EQ(o.r, XlateResult::kOk);
  EXPECT_EQ(o.b[9], 17);
  EXPECT_EQ(o.b.size(), 20 + l4.size());
  verify(o.b);
}

TEST(Nat64Xlate, RoutingHeaderWithSegmentsLeftRefused) {
  Bytes rh = {17, 2, 0, 1, 0, 0, 0, 0};
  rh.resize(24, 0);
  Bytes hbh = {43, 0, 1, 4, 0, 0, 0, 0};
  Bytes pay = hbh;
  pay.insert(pay.end(), rh.begin(), rh.end());
  Bytes l4 = udp(40000, 53, 4);
  pay.insert(pay.end(), l4.begin(), l4.end());
  Mbuf m(ip6(0, kH6, kS6, pay));
  const auto before = m.snap();
  const XlateResult r = xlate_6to4(m.m, t64(kP4, kS4, 1024, 53), nullptr);
  EXPECT_EQ(r, XlateResult::kSegmentsLeft);
  EXPECT_TRUE(m.snap() == before);
  IcmpReq req{};
  ASSERT_TRUE(xlate_refusal_icmp(r, m.m, req));
  EXPECT_EQ(req.type, 4);
  EXPECT_EQ(req.code, 0);
  EXPECT_EQ(req.param, 40u + 8 + 3) << "the Segments Left field";
  EXPECT_FALSE(xlate_refusal_icmp(XlateResult::kIcmpDropped, m.m, req));
}

TEST(Nat64Xlate, QuotedRoutingHeaderIsOnlyReportedAbout) {
  // Segments left in a quoted packet refuse nothing: that packet is not routed here.
  Bytes rh = {17, 0, 0, 1, 0, 0, 0, 0};
  Bytes l4 = udp(53, 40000, 4);
  Bytes pay = rh;
  pay.insert(pay.end(), l4.begin(), l4.end());
  Out o = run64(v6_error(1, 4, 0, ip6(43, kS6, kH6, pay)));
  ASSERT_EQ(o.r, XlateResult::kOk);
  EXPECT_EQ(o.b.size(), 48u + 12);
  EXPECT_EQ(rd(&o.b[48]), 53);
  EXPECT_EQ(rd(&o.b[50]), 1024);
  verify(o.b);
}

TEST(Nat64Xlate, ExtensionHeaderAfterFragmentHeaderRefused) {
  for (uint8_t after : {0, 43, 44, 51, 60}) {
    Bytes frag = {after, 0, 0, 1, 0, 0, 0, 9};
    Bytes opt = {17, 0, 1, 4, 0, 0, 0, 0};
    Bytes pay = frag;
    pay.insert(pay.end(), opt.begin(), opt.end());
    Bytes l4 = udp(40000, 53, 4);
    pay.insert(pay.end(), l4.begin(), l4.end());
    Out o = run64(ip6(44, kH6, kS6, pay), t64(kP4, kS4), nullptr);
    EXPECT_EQ(o.r, XlateResult::kBadExtHeader) << int(after);
  }
  // ESP may follow: it is the payload.
  Bytes pay = {50, 0, 0, 1, 0, 0, 0, 9};
  pay.resize(40, 0x55);
  Out o = run64(ip6(44, kH6, kS6, pay), t64(kP4, kS4), nullptr);
  EXPECT_EQ(o.r, XlateResult::kOk);
  EXPECT_EQ(o.b[9], 50);
}

TEST(Nat64Xlate, TooManyExtensionHeadersRefused) {
  Bytes pay;
  for (int i = 0; i < 9; i++) {
    Bytes h = {uint8_t(i < 8 ? 60 : 17), 0, 1, 4, 0, 0, 0, 0};
    pay.insert(pay.end(), h.begin(), h.end());
  }
  Bytes l4 = udp(40000, 53, 4);
  pay.insert(pay.end(), l4.begin(), l4.end());
  EXPECT_EQ(run64(ip6(60, kH6, kS6, pay), t64(kP4, kS4), nullptr).r, XlateResult::kBadExtHeader);
}

TEST(Nat64Xlate, Ipv6FragmentToIpv4Fragment) {
  // First fragment of a TCP segment: ports and checksum (whole datagram's) rewritten.
  Bytes seg = tcp(40000, 80, 100);
  Bytes whole6 = ip6(6, kH6, kS6, seg);
  fill_l4(whole6);
  Bytes first = {6, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef};
  first.insert(first.end(), whole6.begin() + 40, whole6.begin() + 40 + 64);
  Out o = run64(ip6(44, kH6, kS6, first, 9), t64(kP4, kS4, 1024, 80, 7), nullptr);
  ASSERT_EQ(o.r, XlateResult::kOk);
  ASSERT_EQ(o.b.size(), 20u + 64);
  EXPECT_EQ(rd(&o.b[4]), 0xbeef);
  EXPECT_EQ(rd(&o.b[6]), 0x2000) << "MF, offset 0, DF clear";
  Bytes whole4 = ip4(6, kP4, kS4, tcp(1024, 80, 100));
  fill_l4(whole4);
  EXPECT_EQ(Bytes(o.b.begin() + 20, o.b.end()), Bytes(whole4.begin() + 20, whole4.begin() + 84))
      << "the first fragment carries the whole datagram's checksum";
  verify(o.b);
}

// ---------------------------------------------------------------------------
// L4.

TEST(Nat64Xlate, UdpZeroChecksumGetsOne) {
  for (size_t n : {0, 1, 2, 3, 100, 1001}) {
    Bytes b = ip4(17, kS4, kP4, udp(53, 1024, n, uint8_t(n)));
    Out o = run46(b, t46(kS6, kH6, 53, 40000), nullptr);
    ASSERT_EQ(o.r, XlateResult::kOk);
    EXPECT_NE(rd(&o.b[46]), 0);
    verify(o.b);
  }
}

TEST(Nat64Xlate, UdpZeroChecksumFragmentRefused) {
  Bytes b = ip4(17, kS4, kP4, udp(53, 1024, 16), 3, 0x2000);
  Mbuf m(b);
  const auto before = m.snap();
  EXPECT_EQ(xlate_4to6(m.m, t46(kS6, kH6, 53, 40000), nullptr), XlateResult::kUdpZeroCsumFragment);
  EXPECT_TRUE(m.snap() == before);
  // A later fragment has no UDP header: translated.
  b = ip4(17, kS4, kP4, Bytes(16, 0), 3, 3);
  EXPECT_EQ(run46(b, t46(kS6, kH6, 53, 40000), nullptr).r, XlateResult::kOk);
}

TEST(Nat64Xlate, UdpZeroChecksumStaysZeroOverIpv4) {
  Bytes b = ip6(17, kH6, kS6, udp(40000, 53, 8));
  Out o = run64(b, t64(kP4, kS4, 1024, 53), nullptr);
  ASSERT_EQ(o.r, XlateResult::kOk);
  EXPECT_EQ(rd(&o.b[26]), 0);
}

TEST(Nat64Xlate, OtherProtocolsCopied) {
  for (uint8_t proto : {47, 50, 59, 132, 253}) {
    Bytes b = ip4(proto, kP4, kS4, Bytes(30, 0x42));
    Out o = run46(b, t46(kH6, kS6, 1, 2), nullptr);
    ASSERT_EQ(o.r, XlateResult::kOk);
    EXPECT_EQ(o.b[6], proto);
    EXPECT_EQ(Bytes(o.b.begin() + 40, o.b.end()), Bytes(30, 0x42));
    Out back = run64(o.b, t64(kP4, kS4, 1, 2, 1), nullptr);
    ASSERT_EQ(back.r, XlateResult::kOk);
    EXPECT_EQ(back.b, b);
  }
}

TEST(Nat64Xlate, RoundTrips) {
  std::mt19937 rng(5);
  for (int i = 0; i < 300; i++) {
    const uint8_t proto = std::array<uint8_t, 3>{6, 17, 1}[i % 3];
    const size_t n = rng() % 1400;
    Bytes l4 = proto == 6    ? tcp(uint16_t(rng()), uint16_t(rng()), n, uint8_t(rng()))
               : proto == 17 ? udp(uint16_t(rng()), uint16_t(rng()), n, uint8_t(rng()))
                             : icmp(8, 0, rng(), Bytes(n, uint8_t(rng())));
    for (size_t k = 8; k < l4.size(); k++) l4[k] = uint8_t(rng());
    if (proto == 6) l4[12] = 0x50;
    if (proto == 17) wr(&l4[4], uint32_t(l4.size()));
    // DF as the way back sets it (RFC 7915 5: above 1260 bytes).
    const uint16_t df = 20 + l4.size() > 1260 ? 0x4000 : 0;
    Bytes v4 = ip4(proto, kP4, kS4, l4, uint16_t(rng()), df, uint8_t(rng()));
    fill_l4(v4);
    const uint16_t sp = rd(&v4[20]), dp = proto == 1 ? 0 : rd(&v4[22]);
    const uint16_t id_or_sp = proto == 1 ? rd(&v4[24]) : sp;
    Out o6 = run46(v4, t46(kH6, kS6, uint16_t(rng()), uint16_t(rng())), nullptr);
    ASSERT_EQ(o6.r, XlateResult::kOk);
    verify(o6.b);
    Out back = run64(o6.b, t64(kP4, kS4, id_or_sp, dp, rd(&v4[4])), nullptr);
    ASSERT_EQ(back.r, XlateResult::kOk);
    verify(back.b);
    EXPECT_EQ(back.b, v4) << "proto " << int(proto) << " size " << v4.size();
  }
}

TEST(Nat64Xlate, MultiSegmentPayload) {
  // Headers in the first segment, payload in three more of odd sizes.
  Bytes b = ip6(6, kH6, kS6, tcp(40000, 80, 301, 0));
  for (size_t k = 60; k < b.size(); k++) b[k] = uint8_t(k * 13);
  fill_l4(b);
  Mbuf m(b, 14, {63, 64, 201});
  ASSERT_EQ(xlate_6to4(m.m, t64(kP4, kS4, 1024, 80, 1), nullptr), XlateResult::kOk);
  verify(m.bytes());
  // UDP without checksum: the full checksum is summed over every segment.
  Bytes u = ip4(17, kS4, kP4, udp(53, 1024, 300, 0));
  for (size_t k = 28; k < u.size(); k++) u[k] = uint8_t(k * 29);
  Mbuf mu(u, 14, {31, 32, 107});
  ASSERT_EQ(xlate_4to6(mu.m, t46(kS6, kH6, 53, 40000), nullptr), XlateResult::kOk);
  verify(mu.bytes());
}

TEST(Nat64Xlate, PaddingInTheLastSegmentIsCut) {
  Bytes b = v6_udp(40000, 53, 100);
  Bytes padded = b;
  padded.resize(b.size() + 6, 0);
  {
    Mbuf m(padded, 14, {60});
    ASSERT_EQ(xlate_6to4(m.m, t64(kP4, kS4, 1024, 53), nullptr), XlateResult::kOk);
    EXPECT_EQ(m.m->pkt_len, b.size() - 20);
    verify(m.bytes());
  }
  // More padding than the last segment holds: nothing to trim it from.
  Mbuf m(padded, 14, {b.size() - 2, b.size() + 1});
  const auto before = m.snap();
  EXPECT_EQ(xlate_6to4(m.m, t64(kP4, kS4, 1024, 53), nullptr), XlateResult::kMalformed);
  EXPECT_TRUE(m.snap() == before);
}

TEST(Nat64Xlate, HeadersBeyondTheFirstSegmentRefused) {
  Mbuf m(v6_udp(), 14, {44});
  const auto before = m.snap();
  EXPECT_EQ(xlate_6to4(m.m, t64(kP4, kS4, 1, 2), nullptr), XlateResult::kTruncated);
  EXPECT_TRUE(m.snap() == before);
}

TEST(Nat64Xlate, OffloadedChecksumStaysPartial) {
  // A GSO frame: the TCP field holds the pseudo-header sum for whoever
  // completes it; the translation keeps it so, for the new pseudo-header.
  Bytes b = ip6(6, kH6, kS6, tcp(40000, 80, 1400));
  const uint32_t n = uint32_t(b.size() - 40);
  wr(&b[40 + 16], uint16_t(fold(phdr6(b.data(), n, 6))));
  Mbuf m(b);
  m.m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV6;
  m.m->l2_len = 14;
  m.m->l3_len = 40;
  ASSERT_EQ(xlate_6to4(m.m, t64(kP4, kS4, 1024, 80, 1), nullptr), XlateResult::kOk);
  Bytes o = m.bytes();
  EXPECT_EQ(rd(&o[20 + 16]), fold(phdr4(o.data(), n, 6)));
  EXPECT_EQ(rd(&o[6]), 0x4000);
  EXPECT_EQ(m.m->ol_flags, RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4);
  EXPECT_EQ(m.m->l3_len, 20);
  // And back.
  ASSERT_EQ(xlate_4to6(m.m, t46(kH6, kS6, 40000, 80), nullptr), XlateResult::kOk);
  EXPECT_EQ(m.bytes(), b);
  EXPECT_EQ(m.m->ol_flags, RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV6);
  EXPECT_EQ(m.m->l3_len, 40);
}

// ---------------------------------------------------------------------------
// ICMP: RFC 7915 4.2 and 5.2, every type and code.

struct Map {
  uint8_t type, code;    // in
  int to_type, to_code;  // out, -1: dropped
};

TEST(Nat64Xlate, Icmp4ToIcmp6Types) {
  const Map table[] = {
      {0, 0, 129, 0}, {8, 0, 128, 0}, {3, 0, 1, 0},   {3, 1, 1, 0},   {3, 2, 4, 1},   {3, 3, 1, 4},  {3, 4, 2, 0},
      {3, 5, 1, 0},   {3, 6, 1, 0},   {3, 7, 1, 0},   {3, 8, 1, 0},   {3, 9, 1, 1},   {3, 10, 1, 1}, {3, 11, 1, 0},
      {3, 12, 1, 0},  {3, 13, 1, 1},  {3, 14, -1, 0}, {3, 15, 1, 1},  {3, 16, -1, 0}, {11, 0, 3, 0}, {11, 1, 3, 1},
      {12, 0, 4, 0},  {12, 1, -1, 0}, {12, 2, 4, 0},  {12, 3, -1, 0},
  };
  auto check = [](const Map& c) {
    SCOPED_TRACE(std::to_string(c.type) + "/" + std::to_string(c.code));
    const bool error = c.type == 3 || c.type == 11 || c.type == 12;
    Bytes b = error ? v4_error(c.type, c.code, 0, quoted4()) : ip4(1, kS4, kP4, icmp(c.type, c.code, 0x04000001));
    fill_l4(b);
    Mbuf m(b);
    const auto before = m.snap();
    const Xlate4to6 o = error ? kOut46 : t46(kS6, kH6, 0x77, 0x77);
    const XlateResult r = xlate_4to6(m.m, o, &kIn46);
    if (c.to_type < 0) {
      EXPECT_EQ(r, XlateResult::kIcmpDropped);
      EXPECT_TRUE(m.snap() == before);
      return;
    }
    ASSERT_EQ(r, XlateResult::kOk) << xlate_result_name(r);
    const Bytes out = m.bytes();
    EXPECT_EQ(out[40], c.to_type);
    EXPECT_EQ(out[41], c.to_code);
    verify(out);
  };
  std::set<int> listed;
  for (const Map& c : table) {
    check(c);
    listed.insert(c.type);
  }
  for (int t = 0; t < 256; t++)
    if (!listed.count(t)) check({uint8_t(t), 0, -1, 0});
}

TEST(Nat64Xlate, Icmp6ToIcmp4Types) {
  const Map table[] = {
      {128, 0, 8, 0}, {129, 0, 0, 0}, {1, 0, 3, 1},  {1, 1, 3, 10}, {1, 2, 3, 1},  {1, 3, 3, 1},
      {1, 4, 3, 3},   {1, 5, -1, 0},  {1, 6, -1, 0}, {1, 7, -1, 0}, {2, 0, 3, 4},  {3, 0, 11, 0},
      {3, 1, 11, 1},  {4, 0, 12, 0},  {4, 1, 3, 2},  {4, 2, -1, 0}, {4, 3, -1, 0},
  };
  auto check = [](const Map& c) {
    SCOPED_TRACE(std::to_string(c.type) + "/" + std::to_string(c.code));
    const bool error = c.type < 128;
    Bytes b = error ? v6_error(c.type, c.code, c.type == 2 ? 1500 : 0, quoted6())
                    : ip6(58, kH6, kS6, icmp(c.type, c.code, 0x00770001));
    fill_l4(b);
    Mbuf m(b);
    const auto before = m.snap();
    const XlateResult r = xlate_6to4(m.m, error ? kOut64 : t64(kP4, kS4, 0x400, 0x400), &kIn64);
    if (c.to_type < 0) {
      EXPECT_EQ(r, XlateResult::kIcmpDropped);
      EXPECT_TRUE(m.snap() == before);
      return;
    }
    ASSERT_EQ(r, XlateResult::kOk) << xlate_result_name(r);
    const Bytes out = m.bytes();
    EXPECT_EQ(out[20], c.to_type);
    EXPECT_EQ(out[21], c.to_code);
    verify(out);
  };
  std::set<int> listed;
  for (const Map& c : table) {
    check(c);
    listed.insert(c.type);
  }
  for (int t = 0; t < 256; t++)
    if (!listed.count(t)) check({uint8_t(t), 0, -1, 0});
}

TEST(Nat64Xlate, ParameterProblemPointers) {
  // RFC 7915 Figure 3 (IPv4 -> IPv6) and Figure 6 (IPv6 -> IPv4); -1: dropped.
  auto want6 = [](int p) -> int {
    if (p <= 1) return p;
    if (p <= 3) return 4;
    if (p == 8) return 7;
    if (p == 9) return 6;
    if (p >= 12 && p <= 15) return 8;
    if (p >= 16 && p <= 19) return 24;
    return -1;
  };
  for (int p = 0; p < 256; p++) {
    for (uint8_t code : {0, 2}) {
      Out o = run46(v4_error(12, code, uint32_t(p) << 24, quoted4()));
      if (want6(p) < 0) {
        EXPECT_EQ(o.r, XlateResult::kIcmpDropped) << p;
        continue;
      }
      ASSERT_EQ(o.r, XlateResult::kOk) << p;
      EXPECT_EQ(rd32(&o.b[44]), uint32_t(want6(p))) << p;
    }
  }
  auto want4 = [](uint32_t p) -> int {
    if (p <= 1) return int(p);
    if (p == 4 || p == 5) return 2;
    if (p == 6) return 9;
    if (p == 7) return 8;
    if (p >= 8 && p <= 23) return 12;
    if (p >= 24 && p <= 39) return 16;
    return -1;
  };
  for (uint32_t p : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 15u, 23u, 24u, 39u, 40u, 41u, 255u, 256u, 0x1000000u}) {
    Out o = run64(v6_error(4, 0, p, quoted6()));
    if (want4(p) < 0) {
      EXPECT_EQ(o.r, XlateResult::kIcmpDropped) << p;
      continue;
    }
    ASSERT_EQ(o.r, XlateResult::kOk) << p;
    EXPECT_EQ(o.b[24], want4(p)) << p;
    EXPECT_EQ(o.b[25], 0);
  }
  // Protocol unreachable <-> unrecognised next header, pointing at it.
  Out o = run46(v4_error(3, 2, 0, quoted4()));
  ASSERT_EQ(o.r, XlateResult::kOk);
  EXPECT_EQ(rd32(&o.b[44]), 6u);
}

TEST(Nat64Xlate, PacketTooBigMtu) {
  // IPv4 -> IPv6: 20 more, at least 1280; MTU 0 takes the RFC 1191 plateau
  // below the quoted packet's total length (its header's, not the quote's).
  const struct {
    uint16_t mtu, quoted_total;
    uint32_t want;
  } to6[] = {{1400, 1500, 1420}, {1500, 1500, 1520},   {576, 600, 1280}, {1260, 1500, 1280},
             {1261, 1500, 1281}, {65535, 1500, 65555}, {0, 1500, 1512},  {0, 1492, 1280},
             {0, 9000, 8186},    {0, 65535, 32020},    {0, 40, 1280}};
  for (const auto& c : to6) {
    Bytes q = quoted4(100);
    wr(&q[2], c.quoted_total);
    wr(&q[10], 0);
    wr(&q[10], uint16_t(~fold(sum_be(q.data(), 20))));
    Out o = run46(v4_error(3, 4, c.mtu, q));
    ASSERT_EQ(o.r, XlateResult::kOk);
    EXPECT_EQ(o.b[40], 2);
    EXPECT_EQ(rd32(&o.b[44]), c.want) << c.mtu << " " << c.quoted_total;
    EXPECT_EQ(rd(&o.b[48 + 4]), c.quoted_total - 20) << "inner payload length: the original datagram's";
    verify(o.b);
  }
  // IPv6 -> IPv4: 20 less, at least 68, at most what 16 bits hold.
  const struct {
    uint32_t mtu;
    uint16_t want;
  } to4[] = {{1280, 1260}, {1500, 1480}, {1300, 1280}, {88, 68}, {87, 68}, {0, 68}, {65555, 65535}, {100000, 65535}};
  for (const auto& c : to4) {
    Out o = run64(v6_error(2, 0, c.mtu, quoted6()));
    ASSERT_EQ(o.r, XlateResult::kOk);
    EXPECT_EQ(o.b[20], 3);
    EXPECT_EQ(o.b[21], 4);
    EXPECT_EQ(rd(&o.b[24]), 0);
    EXPECT_EQ(rd(&o.b[26]), c.want) << c.mtu;
  }
}

TEST(Nat64Xlate, IcmpErrorInnerTuple) {
  // The quoted packet gets the caller's inner tuple, its length fields
  // those of the original datagram, its checksum valid when quoted whole.
  Out o = run46(v4_error(3, 3, 0, quoted4(40)));
  ASSERT_EQ(o.r, XlateResult::kOk);
  const uint8_t* in = &o.b[48];
  uint8_t h6[16], s6[16];
  a6(kH6, h6);
  a6(kS6, s6);
  EXPECT_EQ(0, std::memcmp(in + 8, h6, 16));
  EXPECT_EQ(0, std::memcmp(in + 24, s6, 16));
  EXPECT_EQ(rd(in + 40), 40000);
  EXPECT_EQ(rd(in + 42), 53);
  EXPECT_EQ(in[7], 64) << "inner hop limit not decremented";
  verify(o.b);
  // 6 -> 4: the inner identification is the caller's.
  o = run64(v6_error(1, 4, 0, quoted6(40)));
  ASSERT_EQ(o.r, XlateResult::kOk);
  EXPECT_EQ(rd(&o.b[28 + 4]), 0x2222);
  EXPECT_EQ(rd(&o.b[28 + 20]), 53);
  EXPECT_EQ(rd(&o.b[28 + 22]), 1024);
  verify(o.b);
}

TEST(Nat64Xlate, IcmpErrorQuotingAFragment) {
  // The quoted IPv4 packet was a first fragment: the inner IPv6 packet gets a Fragment header.
  Bytes q = ip4(17, kP4, kS4, udp(1024, 53, 24), 0x4321, 0x2000);
  fill_l4(q);
  Out o = run46(v4_error(11, 1, 0, q));
  ASSERT_EQ(o.r, XlateResult::kOk);
  const uint8_t* in = &o.b[48];
  EXPECT_EQ(in[6], 44);
  EXPECT_EQ(in[40], 17);
  EXPECT_EQ(rd(in + 42), 1);
  EXPECT_EQ(rd32(in + 44), 0x4321u);
  EXPECT_EQ(rd(in + 48), 40000) << "ports after the Fragment header";
  EXPECT_EQ(o.b.size(), 48u + 48 + 32);
  verify(o.b);
  // And back: the inner IPv4 packet takes the fragment fields.
  Out back = run64(o.b, t64(kR4, kP4, 0, 0, 1), &kIn64);
  ASSERT_EQ(back.r, XlateResult::kOk);
  EXPECT_EQ(rd(&back.b[28 + 4]), 0x4321);
  EXPECT_EQ(rd(&back.b[28 + 6]), 0x2000);
  verify(back.b);
}

TEST(Nat64Xlate, TruncatedInnerPacket) {
  // A router that quotes the IP header and 8 bytes: ports rewritten, the
  // UDP checksum (in those 8 bytes) updated as it would be on the whole
  // datagram, lengths those of the original datagram.
  Bytes whole = quoted4(200);
  Bytes cut(whole.begin(), whole.begin() + 28);
  Out o = run46(v4_error(3, 3, 0, cut));
  ASSERT_EQ(o.r, XlateResult::kOk);
  ASSERT_EQ(o.b.size(), 40u + 8 + 40 + 8);
  Out full = run46(whole, t46(kH6, kS6, 40000, 53), nullptr);
  ASSERT_EQ(full.r, XlateResult::kOk);
  EXPECT_EQ(Bytes(o.b.begin() + 48, o.b.end()), Bytes(full.b.begin(), full.b.begin() + 48));
  verify(o.b);
  // TCP with 8 bytes quoted: ports only, the checksum is not in the quote.
  Bytes t = ip4(6, kP4, kS4, tcp(1024, 80, 10));
  fill_l4(t);
  o = run46(v4_error(11, 0, 0, Bytes(t.begin(), t.begin() + 28)), kOut46, &kIn46);
  ASSERT_EQ(o.r, XlateResult::kOk);
  EXPECT_EQ(rd(&o.b[88]), 40000);
  EXPECT_EQ(rd(&o.b[90]), 53);
  verify(o.b);
  // An echo request cut after its identifier: type, identifier and
  // checksum as in the translation of the whole message.
  Bytes echo = ip4(1, kP4, kS4, icmp(8, 0, 0x04000009, Bytes(20, 'e')));
  fill_l4(echo);
  o = run46(v4_error(11, 0, 0, Bytes(echo.begin(), echo.begin() + 26)), kOut46, &kIn46);
  ASSERT_EQ(o.r, XlateResult::kOk);
  full = run46(echo, t46(kH6, kS6, 40000, 0), nullptr);
  ASSERT_EQ(full.r, XlateResult::kOk);
  EXPECT_EQ(Bytes(o.b.begin() + 88, o.b.end()), Bytes(full.b.begin() + 40, full.b.begin() + 46));
  verify(o.b);
  // Only the IPv6 header quoted.
  Bytes q6 = quoted6(30);
  o = run64(v6_error(3, 0, 0, Bytes(q6.begin(), q6.begin() + 40)));
  ASSERT_EQ(o.r, XlateResult::kOk);
  EXPECT_EQ(o.b.size(), 48u);
  EXPECT_EQ(rd(&o.b[30]), 20 + 8 + 30);
  verify(o.b);
}

TEST(Nat64Xlate, IcmpErrorsCutToSize) {
  // An ICMPv4 error quoting 1472 bytes becomes a 1280-byte ICMPv6 one.
  Out o = run46(v4_error(3, 3, 0, quoted4(1444)));
  ASSERT_EQ(o.r, XlateResult::kOk);
  EXPECT_EQ(o.b.size(), kIcmp6ErrorMax);
  verify(o.b);
  // A 1280-byte ICMPv6 error becomes a 576-byte ICMPv4 one.
  o = run64(v6_error(1, 4, 0, quoted6(1184)));
  ASSERT_EQ(o.r, XlateResult::kOk);
  EXPECT_EQ(o.b.size(), kIcmp4ErrorMax);
  EXPECT_EQ(rd(&o.b[2]), kIcmp4ErrorMax);
  verify(o.b);
}

TEST(Nat64Xlate, Rfc4884ExtensionDropped) {
  // A 128-byte original datagram field (length 32 words), then an extension.
  Bytes q = quoted4(100);  // 128 bytes
  Bytes body = q;
  Bytes ext = {0x20, 0, 0, 0, 0, 8, 1, 1, 1, 2, 3, 4};
  body.insert(body.end(), ext.begin(), ext.end());
  Bytes b = ip4(1, kR4, kP4, icmp(11, 0, 32 << 16, body));
  fill_l4(b);
  Out o = run46(b);
  ASSERT_EQ(o.r, XlateResult::kOk);
  EXPECT_EQ(o.b.size(), 48u + 128 + 20);
  EXPECT_EQ(rd32(&o.b[44]), 0u) << "length attribute cleared";
  verify(o.b);
  // ICMPv6: length in 64-bit words.
  Bytes q6 = quoted6(88);  // 136 bytes = 17 words
  Bytes body6 = q6;
  body6.insert(body6.end(), ext.begin(), ext.end());
  Bytes b6 = ip6(58, kH6, kS6, icmp(1, 4, 17 << 24, body6));
  fill_l4(b6);
  o = run64(b6);
  ASSERT_EQ(o.r, XlateResult::kOk);
  EXPECT_EQ(o.b.size(), 28u + 136 - 20);
  verify(o.b);
}

// ---------------------------------------------------------------------------
// Refusals: named, and the packet left as it was.

TEST(Nat64Xlate, Refusals) {
  Bytes bad4 = v4_error(3, 3, 0, quoted4());
  bad4[22] ^= 1;  // checksum
  Bytes bad6 = v6_error(1, 4, 0, quoted6());
  bad6[42] ^= 1;
  Bytes frag_icmp4 = ip4(1, kP4, kS4, icmp(8, 0, 1, Bytes(16, 1)), 1, 0x2000);
  fill_l4(frag_icmp4);
  Bytes frag_icmp6 = ip6(44, kH6, kS6, Bytes{58, 0, 0, 1, 0, 0, 0, 1, 128, 0, 0, 0, 0, 1, 0, 1});
  Bytes nested4 = v4_error(3, 3, 0, v4_error(3, 1, 0, quoted4()));
  Bytes nested6 = v6_error(1, 4, 0, v6_error(1, 0, 0, quoted6()));
  Bytes inner6_in_4 = v4_error(3, 3, 0, quoted6());
  Bytes inner4_in_6 = v6_error(1, 4, 0, quoted4());
  const Bytes q4 = quoted4();
  Bytes short_inner4 = v4_error(3, 3, 0, Bytes(q4.begin(), q4.begin() + 19));
  Bytes inner_ts = v4_error(3, 3, 0, ip4(1, kP4, kS4, icmp(13, 0)));
  Bytes inner_mld = v6_error(1, 4, 0, ip6(58, kS6, kH6, icmp(130, 0)));
  Bytes short_tcp4 = ip4(6, kP4, kS4, Bytes(19, 0));
  Bytes short_udp6 = ip6(17, kH6, kS6, Bytes(7, 0));
  Bytes short_icmp6 = ip6(58, kH6, kS6, Bytes(7, 0x80));
  Bytes long4 = v4_udp();
  wr(&long4[2], uint32_t(long4.size() + 1));
  Bytes long6 = v6_udp();
  wr(&long6[4], uint32_t(long6.size() - 40 + 1));
  Bytes v6_as_4 = v6_udp();
  Bytes opts_past_len = v4_udp();
  opts_past_len[0] = 0x4f;
  Bytes big6 = ip6(59, kH6, kS6, Bytes(65535, 0));
  Bytes tiny_frag6 = ip6(44, kH6, kS6, Bytes{6, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});

  const struct {
    const char* name;
    Bytes b;
    bool to6;
    XlateResult want;
    bool with_inner;
  } cases[] = {
      {"ICMPv4 error, bad checksum", bad4, true, XlateResult::kIcmpBadChecksum, true},
      {"ICMPv6 error, bad checksum", bad6, false, XlateResult::kIcmpBadChecksum, true},
      {"ICMPv4 error, no inner tuple", v4_error(3, 3, 0, quoted4()), true, XlateResult::kIcmpNoInner, false},
      {"ICMPv6 error, no inner tuple", v6_error(1, 4, 0, quoted6()), false, XlateResult::kIcmpNoInner, false},
      {"fragmented ICMP", frag_icmp4, true, XlateResult::kIcmpFragment, true},
      {"fragmented ICMPv6", frag_icmp6, false, XlateResult::kIcmpFragment, true},
      {"ICMP error in an ICMP error", nested4, true, XlateResult::kIcmpNested, true},
      {"ICMPv6 error in an ICMPv6 error", nested6, false, XlateResult::kIcmpNested, true},
      {"IPv6 inside an ICMPv4 error", inner6_in_4, true, XlateResult::kIcmpBadInner, true},
      {"IPv4 inside an ICMPv6 error", inner4_in_6, false, XlateResult::kIcmpBadInner, true},
      {"inner header cut", short_inner4, true, XlateResult::kIcmpBadInner, true},
      {"error quoting a timestamp", inner_ts, true, XlateResult::kIcmpDropped, true},
      {"error quoting MLD", inner_mld, false, XlateResult::kIcmpDropped, true},
      {"IGMP", ip4(2, kP4, kS4, Bytes(8, 0)), true, XlateResult::kIgmp, true},
      {"ICMPv6 over IPv4", ip4(58, kP4, kS4, Bytes(8, 0)), true, XlateResult::kOtherFamilyProto, true},
      {"hop-by-hop over IPv4", ip4(0, kP4, kS4, Bytes(8, 0)), true, XlateResult::kOtherFamilyProto, true},
      {"routing header over IPv4", ip4(43, kP4, kS4, Bytes(8, 0)), true, XlateResult::kOtherFamilyProto, true},
      {"fragment header over IPv4", ip4(44, kP4, kS4, Bytes(8, 0)), true, XlateResult::kOtherFamilyProto, true},
      {"destination options over IPv4", ip4(60, kP4, kS4, Bytes(8, 0)), true, XlateResult::kOtherFamilyProto, true},
      {"ICMP over IPv6", ip6(1, kH6, kS6, Bytes(8, 0)), false, XlateResult::kOtherFamilyProto, true},
      {"IGMP over IPv6", ip6(2, kH6, kS6, Bytes(8, 0)), false, XlateResult::kOtherFamilyProto, true},
      {"TCP header cut", short_tcp4, true, XlateResult::kTruncated, true},
      {"UDP header cut", short_udp6, false, XlateResult::kTruncated, true},
      {"ICMPv6 header cut", short_icmp6, false, XlateResult::kTruncated, true},
      {"TCP first fragment too short", tiny_frag6, false, XlateResult::kTruncated, true},
      {"IPv4 longer than the buffer", long4, true, XlateResult::kTruncated, true},
      {"IPv6 longer than the buffer", long6, false, XlateResult::kTruncated, true},
      {"IPv6 given as IPv4", v6_as_4, true, XlateResult::kMalformed, true},
      {"IPv4 given as IPv6", v4_udp(), false, XlateResult::kMalformed, true},
      {"IPv4 options past the packet", opts_past_len, true, XlateResult::kTruncated, true},
      {"IPv4 header cut", Bytes(19, 0x45), true, XlateResult::kTruncated, true},
      {"IPv6 header cut", Bytes(39, 0x60), false, XlateResult::kTruncated, true},
      {"too big for IPv4", big6, false, XlateResult::kTooBig, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<size_t> cuts;
    for (size_t at = 1500; at < c.b.size(); at += 1500) cuts.push_back(at);
    Mbuf m(c.b, 14, cuts);
    const auto before = m.snap();
    const XlateResult r = c.to6 ? xlate_4to6(m.m, kOut46, c.with_inner ? &kIn46 : nullptr)
                                : xlate_6to4(m.m, kOut64, c.with_inner ? &kIn64 : nullptr);
    EXPECT_EQ(r, c.want) << xlate_result_name(r);
    EXPECT_TRUE(m.snap() == before);
  }
}

TEST(Nat64Xlate, ResultNames) {
  std::set<std::string> seen;
  for (auto [r, name] : kXlateResultNames) {
    EXPECT_STRNE(name, "");
    EXPECT_TRUE(seen.insert(name).second) << name;
    EXPECT_STREQ(xlate_result_name(r), name);
  }
}

}  // namespace
}  // namespace vp::nat
