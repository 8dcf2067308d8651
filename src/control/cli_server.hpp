#pragma once
// The CLI on a Unix stream socket. Framing (both ways): a 4-byte
// little-endian length, then one byte (request: flags, bit 0 = JSON;
// reply: status, 0 = ok, 1 = command error), then the text. Garbage closes
// the connection, never the daemon.
//
// The main thread never waits for a client: a reply the socket cannot take
// at once waits in the client's output buffer, and the client's further
// requests are not read (its socket is paused) until the reply has gone, so
// a client that sends without reading holds one reply's worth of memory at
// most. One that takes nothing for kCliStallMs is disconnected, with a log
// line.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "control/event_loop.hpp"

namespace vp {

class CliServer {
 public:
  CliServer(EventLoop& loop, std::string path, uint32_t mode, const std::string& group);
  ~CliServer();
  const std::string& path() const { return path_; }

 private:
  struct Client {
    std::string in, out;   // requests not yet run; reply bytes not yet written
    uint64_t progress_ms;  // when the client last took reply bytes (or had none pending)
  };
  void accept_one();
  void readable(int fd);
  // Runs the complete requests in c.in while no reply is pending.
  void serve(int fd, Client& c);
  // Writes what the socket takes; false when the client is gone.
  bool flush(int fd, Client& c);
  void flush_pending();  // every 10 ms
  void close_client(int fd);
  EventLoop& loop_;
  std::string path_;
  int fd_ = -1;
  std::map<int, Client> clients_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // the timer outlives us
};

inline constexpr uint32_t kCliMaxRequest = 1 << 20;
inline constexpr uint64_t kCliStallMs = 5000;

}  // namespace vp
