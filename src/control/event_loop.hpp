#pragma once
// The main thread's event loop: file descriptors (CLI clients, later API and
// netlink sockets) and periodic timers, on epoll.
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

namespace vp {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  void add_fd(int fd, std::function<void()> on_readable);
  void del_fd(int fd);
  // A paused fd stays registered but wakes nobody (its handler coalesces).
  void pause_fd(int fd, bool paused);
  void every(uint32_t ms, std::function<void()> fn);
  // Waits up to timeout_us for events (0 = poll), runs handlers and due timers.
  void run_once(uint32_t timeout_us);

 private:
  int ep_;
  std::map<int, std::function<void()>> fds_;
  struct Timer {
    uint64_t period_ns, due_ns;
    std::function<void()> fn;
  };
  std::vector<Timer> timers_;
};

}  // namespace vp
