// MssClamp: TCP MSS clamping's gRPC service (proto/vplane/v1/mss_clamp.proto),
// the same typed operations as `set interface tcp-mss-clamp`.
#include "api/services.hpp"
#include "features/mss_clamp/mss_clamp_ops.hpp"
#include "io/interface.hpp"
#include "vplane/v1/mss_clamp.grpc.pb.h"

namespace vp::api {

namespace {
using grpc::ServerContext;
using grpc::Status;

mss::Family family_from(const pb::MssClampFamily& q, const char* fam) {
  const int d = q.direction();
  if (d < pb::MSS_CLAMP_DIRECTION_DISABLED || d > pb::MSS_CLAMP_DIRECTION_BOTH)
    fail("{}: unknown direction {}", fam, d);
  if (q.mss() > 65535) fail("{}: mss {} is out of range (max 65535)", fam, q.mss());
  return {.dir = uint8_t(d), .mss = uint16_t(q.mss())};
}

void family_to(const mss::Family& f, uint16_t in_effect, pb::MssClampFamily* x) {
  x->set_direction(pb::MssClampDirection(f.dir));
  x->set_mss(f.mss);
  x->set_effective_mss(in_effect);
}

void config_to(const mss::IfClamp& c, pb::MssClampConfig* x) {
  x->set_sw_if_index(c.sw_if_index);
  family_to(c.v4, c.mss4, x->mutable_ip4());
  family_to(c.v6, c.mss6, x->mutable_ip6());
  if (const Interface* i = ifs().at(c.sw_if_index)) x->set_interface(i->name);
}

class MssClampSvc final : public pb::MssClamp::Service {
 public:
  explicit MssClampSvc(Ctx& c) : c_(c) {}
  Status Set(ServerContext*, const pb::MssClampConfig* q, pb::Empty*) override {
    return c_.on_main([&] {
      std::optional<mss::Family> v4, v6;
      if (q->has_ip4()) v4 = family_from(q->ip4(), "ip4");
      if (q->has_ip6()) v6 = family_from(q->ip6(), "ip6");
      if (!v4 && !v6) fail("neither ip4 nor ip6 given: nothing to set");
      mss::set(q->sw_if_index(), v4, v6);
    });
  }
  Status Get(ServerContext*, const pb::InterfaceRequest* q, pb::MssClampConfig* r) override {
    return c_.on_main([&] { config_to(mss::get(q->sw_if_index()), r); });
  }
  Status List(ServerContext*, const pb::Empty*, pb::ListMssClampReply* r) override {
    return c_.on_main([&] {
      for (const mss::IfClamp& c : mss::list()) config_to(c, r->add_interfaces());
    });
  }

 private:
  Ctx& c_;
};
ServiceRegistration reg{[](Ctx& c) -> std::unique_ptr<grpc::Service> { return std::make_unique<MssClampSvc>(c); }};
}  // namespace

}  // namespace vp::api
