#include "api/services.hpp"

namespace vp::api {

namespace {
std::vector<ServiceFactory>& factories() {
  static std::vector<ServiceFactory> v;
  return v;
}
}  // namespace

ServiceRegistration::ServiceRegistration(ServiceFactory f) { factories().push_back(f); }

Services::Services(MainExec& e) : ctx_{e} {
  for (ServiceFactory f : factories()) list_.push_back(f(ctx_));
}

}  // namespace vp::api
