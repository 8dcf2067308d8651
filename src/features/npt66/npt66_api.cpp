// Npt66: the NPTv6 gRPC service (proto/vplane/v1/npt66.proto), the same
// operations as `set interface npt66` and `show npt66`.
#include "api/convert.hpp"
#include "api/services.hpp"
#include "features/npt66/npt66_ops.hpp"
#include "vplane/v1/npt66.grpc.pb.h"

namespace vp::api {

namespace pb = ::vplane::v1;

namespace {
using grpc::ServerContext;
using grpc::Status;

npt66::BindingSpec spec_from(const pb::Npt66Binding& q) {
  if (!q.has_internal()) fail("internal prefix missing");
  if (!q.has_external()) fail("external prefix missing");
  return {q.sw_if_index(), prefix_from(q.internal()), prefix_from(q.external())};
}

class Npt66Svc final : public pb::Npt66::Service {
 public:
  explicit Npt66Svc(Ctx& c) : c_(c) {}
  Status Add(ServerContext*, const pb::Npt66Binding* q, pb::Empty*) override {
    return c_.on_main([&] { npt66::add_binding(spec_from(*q)); });
  }
  Status Delete(ServerContext*, const pb::Npt66Binding* q, pb::Empty*) override {
    return c_.on_main([&] { npt66::delete_binding(spec_from(*q)); });
  }
  Status List(ServerContext*, const pb::Empty*, pb::ListNpt66Reply* r) override {
    return c_.on_main([&] {
      for (const npt66::BindingInfo& b : npt66::bindings()) {
        auto* x = r->add_bindings();
        x->set_sw_if_index(b.sw_if);
        prefix_to(b.internal, x->mutable_internal());
        prefix_to(b.external, x->mutable_external());
        x->set_id(b.id);
        x->set_length(b.length);
        x->set_adjustment(b.adjustment);
        x->set_translated_out(b.translated_out);
        x->set_translated_in(b.translated_in);
      }
    });
  }

 private:
  Ctx& c_;
};
ServiceRegistration reg{[](Ctx& c) -> std::unique_ptr<grpc::Service> { return std::make_unique<Npt66Svc>(c); }};
}  // namespace

}  // namespace vp::api
