#include "io/pcapng.hpp"

#include <cstring>

#include "infra/error.hpp"

namespace vp {

namespace {
void put32(std::string& s, uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }
void put16(std::string& s, uint16_t v) { s.append(reinterpret_cast<const char*>(&v), 2); }
void pad4(std::string& s) {
  while (s.size() % 4) s.push_back('\0');
}
void option(std::string& s, uint16_t code, const void* data, uint16_t len) {
  put16(s, code);
  put16(s, len);
  s.append(static_cast<const char*>(data), len);
  pad4(s);
}
void end_options(std::string& s) { put32(s, 0); }
}  // namespace

void PcapngWriter::block(uint32_t type, const std::string& body) {
  uint32_t total = uint32_t(12 + body.size());
  std::fwrite(&type, 4, 1, f_);
  std::fwrite(&total, 4, 1, f_);
  std::fwrite(body.data(), 1, body.size(), f_);
  std::fwrite(&total, 4, 1, f_);
}

void PcapngWriter::open(const std::string& path) {
  close();
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) fail("cannot write capture file '{}': {}", path, std::strerror(errno));
  std::string b;
  put32(b, 0x1A2B3C4D);  // byte-order magic
  put16(b, 1);
  put16(b, 0);
  put32(b, 0xffffffff);  // section length unknown
  put32(b, 0xffffffff);
  const char app[] = "vplane";
  option(b, 4, app, sizeof app - 1);  // shb_userappl
  end_options(b);
  block(0x0A0D0D0A, b);
  ifs_.clear();
  packets_ = 0;
}

void PcapngWriter::close() {
  if (f_) std::fclose(f_);
  f_ = nullptr;
}

uint32_t PcapngWriter::interface(const std::string& name) {
  auto it = ifs_.find(name);
  if (it != ifs_.end()) return it->second;
  uint32_t id = uint32_t(ifs_.size());
  std::string b;
  put16(b, 1);  // LINKTYPE_ETHERNET
  put16(b, 0);
  put32(b, 0);                                       // snaplen: unlimited
  option(b, 2, name.data(), uint16_t(name.size()));  // if_name
  uint8_t tsres = 9;                                 // nanoseconds
  option(b, 9, &tsres, 1);
  end_options(b);
  block(1, b);
  ifs_[name] = id;
  return id;
}

void PcapngWriter::packet(uint32_t if_id, uint64_t ts_ns, const uint8_t* data, uint32_t caplen, uint32_t origlen,
                          Dir dir, const std::string& comment) {
  std::string b;
  put32(b, if_id);
  put32(b, uint32_t(ts_ns >> 32));
  put32(b, uint32_t(ts_ns));
  put32(b, caplen);
  put32(b, origlen);
  b.append(reinterpret_cast<const char*>(data), caplen);
  pad4(b);
  if (!comment.empty()) option(b, 1, comment.data(), uint16_t(comment.size()));
  if (dir != none) {
    uint32_t flags = dir;
    option(b, 2, &flags, 4);  // epb_flags: inbound/outbound
  }
  end_options(b);
  block(6, b);
  packets_++;
}

}  // namespace vp
