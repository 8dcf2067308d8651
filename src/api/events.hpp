#pragma once
// The API's event stream. The main thread publishes interface and
// neighbour changes (from the same watchers the features use); each
// Events.Watch call holds a bounded queue. A watcher that reads too slowly
// loses the oldest events and is told how many (lost_before), never blocks
// the main thread.
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "vplane/v1/events.pb.h"

namespace vp::api {

class EventHub {
 public:
  struct Sub {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<::vplane::v1::Event> q;
    uint64_t lost = 0;
  };
  static constexpr size_t kQueue = 65536;

  // Main thread, once: hooks the interface and neighbour watchers.
  void start();
  std::shared_ptr<Sub> subscribe();
  void unsubscribe(const std::shared_ptr<Sub>& s);
  void publish(::vplane::v1::Event e);  // main thread
  size_t subscribers();

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<Sub>> subs_;
  uint64_t seq_ = 0;
};

EventHub& event_hub();

}  // namespace vp::api
