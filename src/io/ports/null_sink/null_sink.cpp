#include "io/ports/null_sink/null_sink.hpp"

#include "infra/error.hpp"
#include "io/if_cli.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/ports/null_sink/port_null.hpp"

namespace vp {

uint32_t ops::create_null_sink(uint32_t n) {
  std::string name = "null" + std::to_string(n);
  return ifs().add(name, std::make_unique<NullPort>("create null-sink interface " + name), random_mac()).index;
}

namespace {
CliRegistration cmds[] = {
    {{"create null-sink interface", "create null-sink interface [null<n>]",
      "create a sink that frees what is sent to it (benchmarks)",
      [](Args& a, Out& o) {
        uint32_t n = 0;
        if (!a.done()) {
          auto w = a.word("name");
          if (w.rfind("null", 0) != 0) fail("null-sink names are null<n>, not '{}'", w);
          n = uint32_t(parse_uint(w.substr(4), 65535, "null-sink number"));
        } else {
          while (ifs().find("null" + std::to_string(n))) n++;
        }
        a.end();
        reply_created(o, ops::create_null_sink(n));
      }}},
    {delete_cmd("delete null-sink interface", "null")},
};
}  // namespace

}  // namespace vp
