// Events: interface and neighbour changes as a stream (events.proto).
#include <chrono>

#include "api/events.hpp"
#include "api/services.hpp"
#include "vplane/v1/events.grpc.pb.h"

namespace vp::api {

namespace {
using grpc::ServerContext;
using grpc::Status;

class EventsSvc final : public pb::Events::Service {
 public:
  explicit EventsSvc(Ctx& c) : c_(c) {}
  Status Watch(ServerContext* ctx, const pb::WatchRequest*, grpc::ServerWriter<pb::Event>* w) override {
    auto sub = event_hub().subscribe();
    while (!c_.stopping && !ctx->IsCancelled()) {
      pb::Event e;
      {
        std::unique_lock g(sub->mu);
        if (!sub->cv.wait_for(g, std::chrono::milliseconds(100), [&] { return !sub->q.empty(); })) continue;
        e = std::move(sub->q.front());
        sub->q.pop_front();
        e.set_lost_before(sub->lost);
        sub->lost = 0;
      }
      if (!w->Write(e)) break;
    }
    event_hub().unsubscribe(sub);
    return Status::OK;
  }

 private:
  Ctx& c_;
};

ServiceRegistration reg{[](Ctx& c) -> std::unique_ptr<grpc::Service> { return std::make_unique<EventsSvc>(c); }};
}  // namespace

}  // namespace vp::api
