#pragma once
// A small pcapng writer (SHB, one IDB per interface, EPB per packet with
// direction flags). rte_pcapng only knows DPDK ports; ours records every
// interface kind by vplane's own name.
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

namespace vp {

class PcapngWriter {
 public:
  enum Dir : uint32_t { none = 0, inbound = 1, outbound = 2 };
  ~PcapngWriter() { close(); }
  void open(const std::string& path);  // throws vp::Error
  void close();
  bool is_open() const { return f_ != nullptr; }
  // Interface ids are allocated on first use of a name.
  uint32_t interface(const std::string& name);
  void packet(uint32_t if_id, uint64_t ts_ns, const uint8_t* data, uint32_t caplen, uint32_t origlen, Dir dir,
              const std::string& comment = {});
  uint64_t packets() const { return packets_; }

 private:
  void block(uint32_t type, const std::string& body);
  FILE* f_ = nullptr;
  std::map<std::string, uint32_t> ifs_;
  uint64_t packets_ = 0;
};

}  // namespace vp
