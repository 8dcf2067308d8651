// IPv4 header helpers: the fast checksum test agrees with DPDK's on valid,
// corrupted and carry-heavy headers; the TTL decrement keeps it right; the
// symmetric flow hash.
#include "net/ip4/ip4.hpp"

#include <gtest/gtest.h>

#include <random>

namespace vp {
namespace {

// A 20-byte header of random bytes (all ones when `ones`: carries
// everywhere) with a correct checksum.
void random_header(std::mt19937_64& rng, uint8_t (&b)[20], bool ones, uint8_t ttl) {
  for (auto& x : b) x = ones ? 0xff : uint8_t(rng());
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(b);
  ip->version_ihl = 0x45;
  if (ttl) ip->time_to_live = ttl;
  ip->hdr_checksum = 0;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
}

TEST(Ip4, ChecksumTestAgreesWithDpdkOnEveryKindOfHeader) {
  std::mt19937_64 rng(20);
  alignas(8) uint8_t b[20];
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(b);
  for (int i = 0; i < 200000; i++) {
    random_header(rng, b, i % 4 == 0, 0);
    ASSERT_TRUE(ip4_csum_ok(ip)) << i;
    // Any single flipped bit (outside the version byte) is caught.
    int bit = 8 + int(rng() % (20 * 8 - 8));
    b[bit / 8] ^= uint8_t(1 << (bit % 8));
    ASSERT_FALSE(ip4_csum_ok(ip)) << i << " bit " << bit;
    // Random checksums: the same verdict as DPDK's.
    ip->hdr_checksum = uint16_t(rng());
    ASSERT_EQ(ip4_csum_ok(ip), rte_ipv4_cksum(ip) == 0) << i;
  }
}

TEST(Ip4, TtlDecrementKeepsTheChecksumRight) {
  std::mt19937_64 rng(21);
  alignas(8) uint8_t b[20];
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(b);
  for (int i = 0; i < 200000; i++) {
    random_header(rng, b, false, uint8_t(2 + rng() % 254));
    uint8_t ttl = ip->time_to_live;
    ip4_ttl_dec(ip);
    ASSERT_EQ(ip->time_to_live, ttl - 1);
    ASSERT_TRUE(ip4_csum_ok(ip)) << i;
  }
}

TEST(Ip4, FlowHashIsSymmetric) {
  alignas(8) uint8_t f[24] = {}, r[24] = {};
  auto mk = [](uint8_t* b, uint32_t s, uint32_t d, uint16_t sp, uint16_t dp) {
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(b);
    h->version_ihl = 0x45;
    h->next_proto_id = IPPROTO_TCP;
    h->src_addr = s;
    h->dst_addr = d;
    uint16_t p[2] = {rte_cpu_to_be_16(sp), rte_cpu_to_be_16(dp)};
    std::memcpy(b + 20, p, 4);
    return h;
  };
  EXPECT_EQ(flow_hash4(mk(f, 0x0a000001, 0xc0a80102, 40000, 443)),
            flow_hash4(mk(r, 0xc0a80102, 0x0a000001, 443, 40000)));
  EXPECT_NE(flow_hash4(mk(f, 0x0a000001, 0xc0a80102, 40000, 443)),
            flow_hash4(mk(r, 0xc0a80102, 0x0a000001, 443, 40001)));
}

}  // namespace
}  // namespace vp
