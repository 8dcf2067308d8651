#pragma once
// Runs work on the main thread for other threads (the API server's): the
// main thread owns all configuration state, so an API call is queued,
// picked up by the main event loop (an eventfd wakes it) and waited for.
// Workers never take part: they keep forwarding while the main thread
// applies a change and publishes it with RCU.
#include <deque>
#include <functional>
#include <future>
#include <mutex>

#include "control/event_loop.hpp"

namespace vp {

class MainExec {
 public:
  explicit MainExec(EventLoop& loop);
  ~MainExec();
  // From any thread but the main one: runs fn there and waits; an
  // exception fn throws is rethrown here. After close(), throws at once.
  void run(std::function<void()> fn);
  // The same without waiting: tasks run in the order submitted, and the
  // future carries fn's exception. Lets a caller prepare the next piece of
  // work while the main thread does this one.
  std::future<void> submit(std::function<void()> fn);
  // Main thread, at shutdown: refuse new work; drain() still runs what was
  // queued before.
  void close();
  void drain();

 private:
  struct Task;
  EventLoop& loop_;
  int efd_;
  std::mutex mu_;
  std::deque<Task*> q_;
  bool closed_ = false;
};

}  // namespace vp
