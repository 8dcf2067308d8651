#include "control/event_loop.hpp"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "infra/error.hpp"

namespace vp {

static uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

EventLoop::EventLoop() : ep_(epoll_create1(EPOLL_CLOEXEC)) {
  if (ep_ < 0) fail("epoll_create1 failed");
}

EventLoop::~EventLoop() { close(ep_); }

void EventLoop::add_fd(int fd, std::function<void()> h) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
  fds_[fd] = std::move(h);
}

void EventLoop::del_fd(int fd) {
  epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
  fds_.erase(fd);
}

void EventLoop::pause_fd(int fd, bool paused) {
  epoll_event ev{};
  ev.events = paused ? 0u : uint32_t(EPOLLIN);
  ev.data.fd = fd;
  epoll_ctl(ep_, EPOLL_CTL_MOD, fd, &ev);
}

void EventLoop::every(uint32_t ms, std::function<void()> fn) {
  timers_.push_back({uint64_t(ms) * 1000000, mono_ns() + uint64_t(ms) * 1000000, std::move(fn)});
}

void EventLoop::run_once(uint32_t timeout_us) {
  epoll_event evs[32];
  int n;
  if (timeout_us == 0) {
    n = epoll_wait(ep_, evs, 32, 0);
  } else {
    timespec ts{time_t(timeout_us / 1000000), long(timeout_us % 1000000) * 1000};
    n = epoll_pwait2(ep_, evs, 32, &ts, nullptr);
  }
  for (int i = 0; i < n; i++) {
    auto it = fds_.find(evs[i].data.fd);
    if (it != fds_.end()) {
      auto h = it->second;  // the handler may remove itself
      h();
    }
  }
  uint64_t now = mono_ns();
  for (auto& t : timers_)
    if (now >= t.due_ns) {
      t.due_ns = now + t.period_ns;
      t.fn();
    }
}

}  // namespace vp
