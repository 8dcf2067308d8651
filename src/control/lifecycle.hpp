#pragma once
// Start-up and shutdown hooks for features, run by vplaned's main:
//   InitRegistration (graph/registry.hpp)  EAL and threads are up
//   StartRegistration                      the main loop, CLI and API exist; before the startup commands
//   ShutdownRegistration                   workers stopped; before interfaces are deleted
// A feature that watches sockets or timers takes the loop in its start hook
// and lets go of it in its shutdown hook. Without vplaned (unit tests) none
// of them runs.
#include <functional>

namespace vp {

class EventLoop;

struct StartRegistration {
  explicit StartRegistration(std::function<void(EventLoop&)> fn);
};
struct ShutdownRegistration {
  explicit ShutdownRegistration(std::function<void()> fn);
};

void run_start(EventLoop& loop);
// In the reverse order of registration, as destructors run.
void run_shutdown();

}  // namespace vp
