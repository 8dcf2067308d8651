// System (version, liveness, engine settings, show commands) and Config
// (the running configuration): system.proto and config.proto.
#include "api/convert.hpp"
#include "api/services.hpp"
#include "control/cli.hpp"
#include "graph/threads.hpp"
#include "io/interface.hpp"
#include "net/ip/icmp_req.hpp"
#include "vplane/v1/config.grpc.pb.h"
#include "vplane/v1/system.grpc.pb.h"

namespace vp::api {

namespace {
using grpc::ServerContext;
using grpc::Status;

class SystemSvc final : public pb::System::Service {
 public:
  explicit SystemSvc(Ctx& c) : c_(c) {}
  Status Version(ServerContext*, const pb::VersionRequest*, pb::VersionReply* r) override {
    r->set_version(VPLANE_VERSION);
    r->set_api_version(1);
    return c_.on_main([&] { r->set_workers(uint32_t(threads().size() - 1)); });
  }
  Status Ping(ServerContext*, const pb::PingRequest* q, pb::PingReply* r) override {
    return c_.on_main([&] { r->set_cookie(q->cookie()); });
  }
  Status SetVectorSize(ServerContext*, const pb::SetVectorSizeRequest* q, pb::Empty*) override {
    return c_.on_main([&] { threads().set_vector_size(q->size()); });
  }
  Status SetIdleSleep(ServerContext*, const pb::SetIdleSleepRequest* q, pb::Empty*) override {
    return c_.on_main([&] {
      if (q->max_us() > 1000000) fail("idle sleep {} us is out of range (0-1000000)", q->max_us());
      threads().set_idle_sleep(q->max_us());
    });
  }
  Status SetIcmpRateLimit(ServerContext*, const pb::SetIcmpRateLimitRequest* q, pb::Empty*) override {
    return c_.on_main([&] {
      if (q->per_second() > 10000000) fail("ICMP rate {} is out of range (0-10000000)", q->per_second());
      g_icmp_rate.store(q->per_second());
    });
  }
  Status Show(ServerContext*, const pb::ShowRequest* q, pb::ShowReply* r) override {
    return c_.on_main([&] {
      const std::string& c = q->command();
      if (c.rfind("show ", 0) != 0 || c.find_first_of("\n\r") != std::string::npos)
        fail("'{}' is not a show command (Show runs read-only 'show ...' commands)", c);
      r->set_json(run_cli(c, true));
    });
  }
  Status ClearCounters(ServerContext*, const pb::ClearCountersRequest* q, pb::Empty*) override {
    return c_.on_main([&] {
      if (q->interfaces()) ifs().clear_counters();
      if (q->runtime()) run_cli("clear runtime", false);
      if (q->errors()) run_cli("clear errors", false);
    });
  }

 private:
  Ctx& c_;
};

class ConfigSvc final : public pb::Config::Service {
 public:
  explicit ConfigSvc(Ctx& c) : c_(c) {}
  Status Running(ServerContext*, const pb::RunningConfigRequest*, pb::RunningConfigReply* r) override {
    return c_.on_main([&] {
      for (auto& l : running_config()) r->add_commands(l);
    });
  }

 private:
  Ctx& c_;
};
ServiceRegistration reg_system{[](Ctx& c) -> std::unique_ptr<grpc::Service> { return std::make_unique<SystemSvc>(c); }};
ServiceRegistration reg_config{[](Ctx& c) -> std::unique_ptr<grpc::Service> { return std::make_unique<ConfigSvc>(c); }};
}  // namespace

}  // namespace vp::api
