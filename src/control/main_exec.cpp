#include "control/main_exec.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <future>

#include "infra/error.hpp"

namespace vp {

struct MainExec::Task {
  std::function<void()> fn;
  std::promise<void> done;
};

MainExec::MainExec(EventLoop& loop) : loop_(loop), efd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (efd_ < 0) fail("eventfd: {}", strerror(errno));
  loop_.add_fd(efd_, [this] { drain(); });
}

MainExec::~MainExec() {
  loop_.del_fd(efd_);
  drain();
  ::close(efd_);
}

void MainExec::run(std::function<void()> fn) { submit(std::move(fn)).get(); }

std::future<void> MainExec::submit(std::function<void()> fn) {
  auto* t = new Task{std::move(fn), {}};
  auto f = t->done.get_future();
  {
    std::lock_guard g(mu_);
    if (closed_) {
      delete t;
      fail("vplaned is shutting down");
    }
    q_.push_back(t);
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t w = write(efd_, &one, sizeof one);  // cannot fail short of overflow
  return f;
}

void MainExec::close() {
  std::lock_guard g(mu_);
  closed_ = true;
}

void MainExec::drain() {
  uint64_t n;
  [[maybe_unused]] ssize_t r = read(efd_, &n, sizeof n);  // EAGAIN: tasks already taken
  for (;;) {
    Task* t;
    {
      std::lock_guard g(mu_);
      if (q_.empty()) return;
      t = q_.front();
      q_.pop_front();
    }
    try {
      t->fn();
      t->done.set_value();
    } catch (...) {
      t->done.set_exception(std::current_exception());
    }
    delete t;
  }
}

}  // namespace vp
