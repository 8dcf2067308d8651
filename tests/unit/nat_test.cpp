// NAT44: incremental checksum updates against full recomputation over
// random packets (TCP, UDP with and without a checksum, ICMP echo, ICMP
// errors with their quoted packet), the session table's second index entry
// for the translated tuple, endpoint-dependent port allocation from a
// worker's share (no reuse while a session holds a port, exhaustion per
// remote endpoint), and the owner of a packet under NAT.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <rte_icmp.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <random>
#include <set>
#include <vector>

#include "features/nat/checksum.hpp"
#include "features/nat/nat_new.hpp"
#include "features/nat/nat_rewrite.hpp"

namespace vp::nat {
namespace {

uint32_t a4(const char* s) {
  uint32_t a;
  inet_pton(AF_INET, s, &a);
  return a;
}

// One's complement sum of the L4 bytes plus the IPv4 pseudo-header.
uint16_t l4_sum(const rte_ipv4_hdr* ip, uint32_t l4_len) {
  const auto* l4 = reinterpret_cast<const uint8_t*>(ip) + 20;
  uint32_t s = csum_add_bytes(0, &ip->src_addr, 8);
  s += rte_cpu_to_be_16(uint16_t(ip->next_proto_id));
  s += rte_cpu_to_be_16(uint16_t(l4_len));
  s = csum_add_bytes(s, l4, l4_len);
  return csum_fold(s);
}

// A packet with correct checksums: IPv4 header, then `l4_len` bytes of L4.
std::vector<uint8_t> make(std::mt19937& rng, uint8_t proto, uint32_t l4_len, bool udp_zero = false) {
  std::vector<uint8_t> b(20 + l4_len);
  for (auto& x : b) x = uint8_t(rng());
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(b.data());
  ip->version_ihl = 0x45;
  ip->fragment_offset = 0;
  ip->next_proto_id = proto;
  ip->total_length = rte_cpu_to_be_16(uint16_t(b.size()));
  ip->hdr_checksum = 0;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  uint8_t* l4 = b.data() + 20;
  if (proto == IPPROTO_TCP) {
    l4[16] = l4[17] = 0;
    const uint16_t c = uint16_t(~l4_sum(ip, l4_len));
    std::memcpy(l4 + 16, &c, 2);
  } else if (proto == IPPROTO_UDP) {
    const uint16_t len = rte_cpu_to_be_16(uint16_t(l4_len));
    std::memcpy(l4 + 4, &len, 2);
    l4[6] = l4[7] = 0;
    uint16_t c = uint16_t(~l4_sum(ip, l4_len));
    if (c == 0) c = 0xffff;
    if (udp_zero) c = 0;
    std::memcpy(l4 + 6, &c, 2);
  } else if (proto == IPPROTO_ICMP) {
    l4[0] = rng() & 1 ? 8 : 0;
    l4[1] = 0;
    l4[2] = l4[3] = 0;
    const uint16_t c = uint16_t(~csum_fold(csum_add_bytes(0, l4, l4_len)));
    std::memcpy(l4 + 2, &c, 2);
  }
  return b;
}

void expect_valid(const std::vector<uint8_t>& b, uint8_t proto, bool udp_zero = false) {
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(b.data());
  EXPECT_EQ(csum_fold(csum_add_bytes(0, ip, 20)), 0xffff) << "IPv4 header checksum";
  const uint32_t l4_len = uint32_t(b.size() - 20);
  const uint8_t* l4 = b.data() + 20;
  if (proto == IPPROTO_TCP) {
    EXPECT_EQ(l4_sum(ip, l4_len), 0xffff) << "TCP checksum";
  }
  if (proto == IPPROTO_UDP) {
    uint16_t c;
    std::memcpy(&c, l4 + 6, 2);
    if (udp_zero) {
      EXPECT_EQ(c, 0) << "a UDP checksum of 0 (none) stays 0";
    } else {
      EXPECT_EQ(l4_sum(ip, l4_len), 0xffff) << "UDP checksum";
    }
  }
  if (proto == IPPROTO_ICMP) {
    EXPECT_EQ(csum_fold(csum_add_bytes(0, l4, l4_len)), 0xffff) << "ICMP checksum";
  }
}

TEST(NatChecksum, IncrementalMatchesFullOverRandomPackets) {
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; i++) {
    const uint8_t proto = (uint8_t[]){IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP}[i % 3];
    const bool zero = proto == IPPROTO_UDP && (i % 7 == 0);
    auto b = make(rng, proto, 20 + uint32_t(rng() % 200) + (i & 1), zero);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(b.data());
    const Endpoint src{uint32_t(rng()), uint16_t(rng())}, dst{uint32_t(rng()), uint16_t(rng())};
    rewrite4(ip, uint32_t(b.size()), src, dst);
    EXPECT_EQ(ip->src_addr, src.addr);
    EXPECT_EQ(ip->dst_addr, dst.addr);
    if (proto != IPPROTO_ICMP) {
      uint16_t p[2];
      std::memcpy(p, b.data() + 20, 4);
      EXPECT_EQ(p[0], src.port);
      EXPECT_EQ(p[1], dst.port);
    }
    expect_valid(b, proto, zero);
    if (HasFailure()) break;
  }
}

// A translated UDP session: inside 10.1.0.2:40000 -> 10.2.0.2:7300, its
// source translated to 10.2.0.1:1024.
struct Fixture {
  fw::SessionTable tab{64, 1, true};
  uint32_t idx = 0;
  fw::Xlate x{};
  Fixture() {
    fw::KeyBuild kb;
    std::vector<uint8_t> p(28, 0);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p.data());
    ip->version_ihl = 0x45;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = a4("10.1.0.2");
    ip->dst_addr = a4("10.2.0.2");
    const uint16_t ports[2] = {rte_cpu_to_be_16(40000), rte_cpu_to_be_16(7300)};
    std::memcpy(p.data() + 20, ports, 4);
    EXPECT_EQ(fw::session_key4(ip, 28, 0, kb), fw::KeyStatus::kOk);
    idx = tab.insert(kb.key, fw::session_hash(kb.key), kb.src_side, fw::kUdp, 1).idx;
    x = {{a4("10.2.0.1"), a4("10.2.0.2")}, {rte_cpu_to_be_16(1024), rte_cpu_to_be_16(7300)}, 0, 0, 0};
  }
};

TEST(NatChecksum, IcmpErrorQuotingATranslatedPacket) {
  Fixture f;
  ASSERT_TRUE(f.tab.set_xlate(f.idx, f.x));
  std::mt19937 rng(3);
  for (uint32_t payload : {0u, 4u, 12u, 100u}) {
    // Time exceeded from 10.2.0.77 to 10.2.0.1, quoting 10.2.0.1:1024 -> 10.2.0.2:7300.
    auto inner = make(rng, IPPROTO_UDP, 8 + payload);
    auto* iip = reinterpret_cast<rte_ipv4_hdr*>(inner.data());
    iip->src_addr = f.x.addr[0];
    iip->dst_addr = f.x.addr[1];
    iip->hdr_checksum = 0;
    iip->hdr_checksum = rte_ipv4_cksum(iip);
    std::memcpy(inner.data() + 20, f.x.port, 4);
    uint8_t* il4 = inner.data() + 20;
    il4[6] = il4[7] = 0;
    const uint16_t uc = uint16_t(~l4_sum(iip, 8 + payload));
    std::memcpy(il4 + 6, &uc, 2);
    std::vector<uint8_t> b(20 + 8);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(b.data());
    ip->version_ihl = 0x45;
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_ICMP;
    ip->src_addr = a4("10.2.0.77");
    ip->dst_addr = f.x.addr[0];
    b[20] = 11;
    b.insert(b.end(), inner.begin(), inner.end());
    ip = reinterpret_cast<rte_ipv4_hdr*>(b.data());
    ip->total_length = rte_cpu_to_be_16(uint16_t(b.size()));
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    const uint16_t ic = uint16_t(~csum_fold(csum_add_bytes(0, b.data() + 20, uint32_t(b.size() - 20))));
    std::memcpy(b.data() + 22, &ic, 2);

    translate_icmp_error4(f.tab.at(f.idx), f.tab.xlate(f.idx), true, 0, ip, uint32_t(b.size()));
    EXPECT_EQ(ip->dst_addr, a4("10.1.0.2"));
    EXPECT_EQ(ip->src_addr, a4("10.2.0.77")) << "a router on the way stays itself";
    EXPECT_EQ(csum_fold(csum_add_bytes(0, ip, 20)), 0xffff);
    EXPECT_EQ(csum_fold(csum_add_bytes(0, b.data() + 20, uint32_t(b.size() - 20))), 0xffff);
    iip = reinterpret_cast<rte_ipv4_hdr*>(b.data() + 28);
    EXPECT_EQ(iip->src_addr, a4("10.1.0.2"));
    EXPECT_EQ(csum_fold(csum_add_bytes(0, iip, 20)), 0xffff);
    uint16_t sport;
    std::memcpy(&sport, b.data() + 48, 2);
    EXPECT_EQ(sport, rte_cpu_to_be_16(40000));
    EXPECT_EQ(l4_sum(iip, 8 + payload), 0xffff) << "the quoted UDP checksum follows";
  }
}

TEST(NatSessionTable, BothTuplesFindTheSessionAndEraseRemovesBoth) {
  Fixture f;
  ASSERT_TRUE(f.tab.set_xlate(f.idx, f.x));
  const fw::SessionKey xk = f.tab.xkey(f.idx);
  const uint32_t e = f.tab.lookup_entry(xk, fw::session_hash(xk));
  EXPECT_EQ(e, f.idx | fw::SessionTable::kViaXlate);
  EXPECT_EQ(f.tab.lookup(f.tab.at(f.idx).key, fw::session_hash(f.tab.at(f.idx).key)), f.idx);
  EXPECT_FALSE(f.tab.free_key(xk));
  // A second session may not take the same translated tuple.
  fw::SessionKey other = f.tab.at(f.idx).key;
  other.port[0] ^= 0x100;
  const uint32_t j = f.tab.insert(other, fw::session_hash(other), 0, fw::kUdp, 1).idx;
  EXPECT_FALSE(f.tab.set_xlate(j, f.x));
  EXPECT_FALSE(f.tab.at(j).flags & fw::Session::kNat);
  f.tab.erase(f.idx);
  EXPECT_TRUE(f.tab.free_key(xk));
  EXPECT_TRUE(f.tab.set_xlate(j, f.x)) << "the tuple is free again once its session ends";
}

TEST(NatSessionTable, MemoryPerTranslatedSession) {
  const double per = double(fw::SessionTable::memory_bytes_for(1 << 20, true)) / (1 << 20);
  const double plain = double(fw::SessionTable::memory_bytes_for(1 << 20, false)) / (1 << 20);
  std::printf("memory per session: %.1f B plain, %.1f B in a table built for NAT\n", plain, per);
  EXPECT_LT(per, 160.0);
}

NatState two_workers(uint16_t lo, uint16_t hi) {
  NatState ns;
  ns.port_lo = lo;
  ns.port_hi = hi;
  ns.workers = {1, 2};
  ns.port_share = (uint32_t(hi) - lo + 1) / 2;
  ns.snat.push_back({a4("10.2.0.100"), ~0u, kPoolAddr});
  ns.addrs.assign(16, OutsideAddr{});
  ns.addrs[_mm_crc32_u32(0, a4("10.2.0.100")) & 15] = {a4("10.2.0.100"), ~0u, kPoolAddr};
  return ns;
}

// Opens a session from 10.1.0.<host>:<sport> to dst:dport and allocates its source.
bool open_one(fw::SessionTable& tab, const NatState& ns, uint32_t share, uint32_t& cursor, uint16_t sport, uint32_t dst,
              uint16_t dport, uint16_t& got) {
  std::vector<uint8_t> p(28, 0);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p.data());
  ip->version_ihl = 0x45;
  ip->next_proto_id = IPPROTO_UDP;
  ip->src_addr = a4("10.1.0.2");
  ip->dst_addr = dst;
  const uint16_t ports[2] = {rte_cpu_to_be_16(sport), rte_cpu_to_be_16(dport)};
  std::memcpy(p.data() + 20, ports, 4);
  fw::KeyBuild kb;
  fw::session_key4(ip, 28, 0, kb);
  const uint32_t idx = tab.insert(kb.key, fw::session_hash(kb.key), kb.src_side, fw::kUdp, 1).idx;
  Pre pre = pre_route(ns, kIn, ip, 28);
  Plan r = plan(ns, pre, kOut, IPPROTO_UDP);
  EXPECT_TRUE(r.translate);
  if (!allocate(ns, share, tab, kb.key, 0, cursor, r)) {
    tab.erase(idx);
    return false;
  }
  EXPECT_TRUE(tab.set_xlate(idx, r.x));
  got = rte_be_to_cpu_16(r.x.port[0]);
  return true;
}

TEST(NatPorts, WorkerShareNoReuseAndExhaustionPerRemote) {
  const NatState ns = two_workers(1000, 1007);
  fw::SessionTable tab(64, 1, true);
  uint32_t cursor = 0;
  std::set<uint16_t> used;
  for (uint16_t i = 0; i < 4; i++) {
    uint16_t port;
    ASSERT_TRUE(open_one(tab, ns, 1, cursor, uint16_t(5000 + i), a4("10.2.0.2"), 80, port));
    EXPECT_GE(port, 1004);
    EXPECT_LE(port, 1007) << "worker 1's share is 1004-1007";
    EXPECT_TRUE(used.insert(port).second) << "port " << port << " handed out twice towards one remote";
    EXPECT_EQ(ns.share_of(port), 1);
  }
  uint16_t port;
  EXPECT_FALSE(open_one(tab, ns, 1, cursor, 6000, a4("10.2.0.2"), 80, port)) << "the share is used up";
  EXPECT_EQ(tab.size(), 4u) << "the refused session is gone";
  // Endpoint-dependent: another remote endpoint may reuse the same ports.
  EXPECT_TRUE(open_one(tab, ns, 1, cursor, 6001, a4("10.2.0.2"), 81, port));
  EXPECT_TRUE(open_one(tab, ns, 1, cursor, 6002, a4("10.2.0.3"), 80, port));
  // Worker 0 has its own share.
  uint32_t c0 = 0;
  EXPECT_TRUE(open_one(tab, ns, 0, c0, 6003, a4("10.2.0.2"), 80, port));
  EXPECT_LE(port, 1003);
}

TEST(NatOwner, RepliesToPoolPortsGoToTheAllocatingWorker) {
  NatState ns = two_workers(1024, 65535);
  FlowOwners own({1, 2});
  std::vector<uint8_t> p(28, 0);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p.data());
  ip->version_ihl = 0x45;
  ip->next_proto_id = IPPROTO_UDP;
  ip->src_addr = a4("10.2.0.2");
  ip->dst_addr = a4("10.2.0.100");
  for (uint16_t port : {uint16_t(1024), uint16_t(33279), uint16_t(33280), uint16_t(65535)}) {
    const uint16_t ports[2] = {rte_cpu_to_be_16(80), rte_cpu_to_be_16(port)};
    std::memcpy(p.data() + 20, ports, 4);
    EXPECT_EQ(owner4(ns, own, ip, 28), port < 1024 + ns.port_share ? 1u : 2u) << port;
  }
}

}  // namespace
}  // namespace vp::nat
