// The pcapng writer: blocks are well formed and carry interface names,
// packets and direction flags.
#include "io/pcapng.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace vp {
namespace {

struct Block {
  uint32_t type;
  std::vector<uint8_t> body;
};

std::vector<Block> read_blocks(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> d{std::istreambuf_iterator<char>(f), {}};
  std::vector<Block> out;
  size_t off = 0;
  while (off + 12 <= d.size()) {
    uint32_t type, len, len2;
    std::memcpy(&type, &d[off], 4);
    std::memcpy(&len, &d[off + 4], 4);
    EXPECT_EQ(len % 4, 0u);
    EXPECT_LE(off + len, d.size());
    std::memcpy(&len2, &d[off + len - 4], 4);
    EXPECT_EQ(len, len2);
    out.push_back({type, std::vector<uint8_t>(d.begin() + off + 8, d.begin() + off + len - 4)});
    off += len;
  }
  EXPECT_EQ(off, d.size());
  return out;
}

TEST(Pcapng, WritesSectionInterfacesAndPackets) {
  std::string path = "/tmp/vplane-unit-" + std::to_string(getpid()) + ".pcapng";
  {
    PcapngWriter w;
    w.open(path);
    uint32_t a = w.interface("host-veth0");
    uint32_t b = w.interface("tap3");
    EXPECT_EQ(w.interface("host-veth0"), a);
    uint8_t pkt[61];
    for (int i = 0; i < 61; i++) pkt[i] = uint8_t(i);
    w.packet(a, 1000, pkt, 61, 61, PcapngWriter::inbound);
    w.packet(b, 2000, pkt, 40, 61, PcapngWriter::outbound, "drop");
    EXPECT_EQ(w.packets(), 2u);
  }
  auto blocks = read_blocks(path);
  ASSERT_EQ(blocks.size(), 5u);
  EXPECT_EQ(blocks[0].type, 0x0A0D0D0Au);
  uint32_t magic;
  std::memcpy(&magic, blocks[0].body.data(), 4);
  EXPECT_EQ(magic, 0x1A2B3C4Du);
  EXPECT_EQ(blocks[1].type, 1u);
  std::string idb(blocks[1].body.begin(), blocks[1].body.end());
  EXPECT_NE(idb.find("host-veth0"), std::string::npos);
  EXPECT_EQ(blocks[3].type, 6u);
  uint32_t ifid, caplen, origlen;
  std::memcpy(&ifid, &blocks[4].body[0], 4);
  std::memcpy(&caplen, &blocks[4].body[12], 4);
  std::memcpy(&origlen, &blocks[4].body[16], 4);
  EXPECT_EQ(ifid, 1u);
  EXPECT_EQ(caplen, 40u);
  EXPECT_EQ(origlen, 61u);
  EXPECT_EQ(std::memcmp(&blocks[3].body[20], "\x00\x01\x02\x03", 4), 0);
  std::remove(path.c_str());
}

TEST(Pcapng, OpenFailureIsAnErrorNamingTheFile) {
  PcapngWriter w;
  try {
    w.open("/nonexistent-dir/x.pcapng");
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.pcapng"), std::string::npos);
  }
}

}  // namespace
}  // namespace vp
