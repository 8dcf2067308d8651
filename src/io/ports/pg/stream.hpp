#pragma once
// A packet-generator stream: a template frame built from VPP's pg data
// syntax (or hex), field modifiers that increment or randomise addresses and
// ports, a size range, a count and a rate. Generation runs on the thread that
// polls the pg interface; checksums follow the modified fields.
#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "graph/node.hpp"
#include "infra/parse.hpp"

namespace vp {

struct FieldMod {
  uint16_t off;   // byte offset of the 32-bit (or 16-bit) field
  uint8_t width;  // 2 or 4
  bool random;
  uint32_t lo, hi;  // host order, inclusive
  uint32_t cur;
  int32_t ip_csum;  // offset of the IPv4 header checksum it feeds, -1 none
  int32_t l4_csum;  // offset of the L4 checksum it feeds, -1 none
};

struct StreamSpec {
  std::string name;
  std::string interface;  // pg interface
  std::string node;       // "" = device-input of the interface
  uint32_t size_min = 64, size_max = 64;
  uint64_t count = 0;         // 0 = unlimited
  double rate = 0;            // packets/s, 0 = as fast as possible
  std::vector<uint8_t> tmpl;  // size_max bytes
  std::vector<FieldMod> mods;
  int32_t l3_off = -1, l4_off = -1;
  bool v6 = false;
  uint8_t l4_proto = 0;
  std::vector<IpAddr> dst_list;  // destinations drawn at random ("dst-list <file>")
  std::string dst_list_file;
  std::string text;  // canonical command for running-config
};

// Parses "name x size 64 ... data { ... }" (one-line form) or the VPP
// multi-line block form; throws vp::Error naming the bad token.
StreamSpec parse_stream(const std::vector<std::string>& toks, size_t pos);

class Stream {
 public:
  explicit Stream(StreamSpec s);
  const StreamSpec& spec() const { return s_; }
  NodeId node = kNoNode;
  uint32_t sw_if = ~0u;
  std::atomic<bool> enabled{false};
  std::atomic<uint64_t> sent{0};
  void reset();  // main thread, while disabled
  // Generator thread: up to max packets, honouring count and rate.
  uint32_t generate(rte_mempool* pool, rte_mbuf** out, uint32_t max, uint64_t now_tsc);

 private:
  void fill(rte_mbuf* m, uint32_t size, const IpAddr* dst);  // dst: from dst-list, or nullptr
  StreamSpec s_;
  std::vector<FieldMod> mods_;
  uint32_t next_size_;
  uint64_t last_tsc_ = 0;
  double tokens_ = 0;
};

}  // namespace vp
