#pragma once
// The gRPC services of proto/vplane/v1/vplane.proto, one object each.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <vector>

#include "control/main_exec.hpp"
#include "infra/error.hpp"

namespace vp::api {

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

std::unique_ptr<grpc::Service> make_system(Ctx& c);
std::unique_ptr<grpc::Service> make_interfaces(Ctx& c);
std::unique_ptr<grpc::Service> make_tables(Ctx& c);
std::unique_ptr<grpc::Service> make_neighbors(Ctx& c);
std::unique_ptr<grpc::Service> make_config(Ctx& c);
std::unique_ptr<grpc::Service> make_routes(Ctx& c);
std::unique_ptr<grpc::Service> make_events(Ctx& c);
std::unique_ptr<grpc::Service> make_tools(Ctx& c);
std::unique_ptr<grpc::Service> make_lcp(Ctx& c);
std::unique_ptr<grpc::Service> make_lcp(Ctx& c);

class Services {
 public:
  explicit Services(MainExec& e) : ctx_{e} {
    for (auto* f : {make_system, make_interfaces, make_tables, make_neighbors, make_config, make_routes, make_events,
                    make_tools, make_lcp})
      list_.push_back(f(ctx_));
  }
  void register_all(grpc::ServerBuilder& b) {
    for (auto& s : list_) b.RegisterService(s.get());
  }
  void stopping() { ctx_.stopping = true; }

 private:
  Ctx ctx_;
  std::vector<std::unique_ptr<grpc::Service>> list_;
};

}  // namespace vp::api
