#pragma once
// The gRPC services (proto/vplane/v1/*.proto), one object each, and what
// they share: the main-thread executor and error mapping.
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>

#include <atomic>
#include <memory>
#include <vector>

#include "control/main_exec.hpp"
#include "infra/error.hpp"

namespace vplane::v1 {}
namespace vp::api {
namespace pb = ::vplane::v1;

struct Ctx {
  MainExec& exec;
  std::atomic<bool> stopping{false};
  // Runs f on the main thread; vp::Error becomes INVALID_ARGUMENT with its
  // one-line message.
  template <class F>
  grpc::Status on_main(F&& f) {
    try {
      exec.run(std::forward<F>(f));
      return grpc::Status::OK;
    } catch (const Error& e) {
      return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
    } catch (const std::exception& e) {
      return {grpc::StatusCode::INTERNAL, e.what()};
    }
  }
};

// Main thread: runs one CLI command (the handlers of the textual tools: the
// packet generator's stream language, trace, pcap, show) and returns its
// reply; a command error becomes vp::Error with the CLI's message.
std::string run_cli(const std::string& line, bool json);

// A gRPC service, registered from the file that implements it (like CLI
// commands): `static ServiceRegistration reg{[](Ctx& c) { return std::make_unique<FooSvc>(c); }};`
// Every file named *_api.cpp, and every file in src/api, is built into
// vplaned's API library (src/CMakeLists.txt).
using ServiceFactory = std::unique_ptr<grpc::Service> (*)(Ctx& c);
struct ServiceRegistration {
  explicit ServiceRegistration(ServiceFactory f);
};

class Services {
 public:
  explicit Services(MainExec& e);
  void register_all(grpc::ServerBuilder& b) {
    for (auto& s : list_) b.RegisterService(s.get());
  }
  void stopping() { ctx_.stopping = true; }

 private:
  Ctx ctx_;
  std::vector<std::unique_ptr<grpc::Service>> list_;
};

}  // namespace vp::api
