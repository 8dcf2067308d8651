// Tools: the packet generator, packet trace and pcap capture. Their inputs
// are languages of their own (VPP's pg stream syntax, pcap's options), so
// the API hands them to the same command handlers the CLI uses.
#include <string>

#include "api/services.hpp"
#include "control/cli.hpp"
#include "vplane/v1/tools.grpc.pb.h"

namespace vp::api {

namespace pb = ::vplane::v1;

std::string run_cli(const std::string& line, bool json) {
  CliResult r = Cli::get().execute(line, json);
  if (!r.ok) fail("{}", r.text.substr(0, r.text.find('\n')));
  return r.text;
}

namespace {
using grpc::ServerContext;
using grpc::Status;

// One line, no command separators: an argument can never become a second command.
const std::string& one_line(const std::string& s, const char* what) {
  if (s.find_first_of("\n\r;") != std::string::npos) fail("{} must be one line", what);
  return s;
}

class ToolsSvc final : public pb::Tools::Service {
 public:
  explicit ToolsSvc(Ctx& c) : c_(c) {}
  Status PgAdd(ServerContext*, const pb::PgStreamRequest* q, pb::Empty*) override {
    return c_.on_main([&] {
      if (q->definition().empty()) fail("a stream needs a definition (name ... size ... data {{ ... }})");
      run_cli("packet-generator new " + one_line(q->definition(), "definition"), false);
    });
  }
  Status PgEnable(ServerContext*, const pb::PgEnableRequest* q, pb::Empty*) override {
    return c_.on_main([&] {
      run_cli(std::string("packet-generator ") + (q->enable() ? "enable-stream " : "disable-stream ") +
                  one_line(q->name(), "name"),
              false);
    });
  }
  Status PgDelete(ServerContext*, const pb::PgStreamName* q, pb::Empty*) override {
    return c_.on_main([&] {
      if (q->name().empty()) fail("say which stream to delete");
      run_cli("packet-generator delete " + one_line(q->name(), "name"), false);
    });
  }
  Status TraceAdd(ServerContext*, const pb::TraceRequest* q, pb::Empty*) override {
    return c_.on_main([&] {
      if (!q->count()) fail("trace at least one packet");
      run_cli(fmt::format("trace add {} {}", one_line(q->input_node(), "input_node"), q->count()), false);
    });
  }
  Status TraceClear(ServerContext*, const pb::Empty*, pb::Empty*) override {
    return c_.on_main([&] { run_cli("clear trace", false); });
  }
  Status Pcap(ServerContext*, const pb::PcapRequest* q, pb::Empty*) override {
    return c_.on_main([&] { run_cli("pcap trace " + one_line(q->arguments(), "arguments"), false); });
  }

 private:
  Ctx& c_;
};
ServiceRegistration reg{[](Ctx& c) -> std::unique_ptr<grpc::Service> { return std::make_unique<ToolsSvc>(c); }};
}  // namespace

}  // namespace vp::api
