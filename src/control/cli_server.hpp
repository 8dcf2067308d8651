#pragma once
// The CLI on a Unix stream socket. Framing (both ways): a 4-byte
// little-endian length, then one byte (request: flags, bit 0 = JSON;
// reply: status, 0 = ok, 1 = command error), then the text. Garbage closes
// the connection, never the daemon.
#include <map>
#include <string>

#include "control/event_loop.hpp"

namespace vp {

class CliServer {
 public:
  CliServer(EventLoop& loop, std::string path, uint32_t mode, const std::string& group);
  ~CliServer();
  const std::string& path() const { return path_; }

 private:
  void accept_one();
  void readable(int fd);
  void close_client(int fd);
  EventLoop& loop_;
  std::string path_;
  int fd_ = -1;
  std::map<int, std::string> bufs_;
};

inline constexpr uint32_t kCliMaxRequest = 1 << 20;

}  // namespace vp
