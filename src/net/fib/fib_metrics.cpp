// The FIB's contribution to /metrics: routes per table and family.
#include "control/metrics.hpp"
#include "net/fib/fib.hpp"

namespace vp {
namespace {

MetricsRegistration routes{[](MetricsOut& o) {
  o.help("vplane_fib_routes", "gauge", "routes per table");
  for (uint32_t id : fib4().table_ids())
    o.line("vplane_fib_routes", fmt::format("family=\"ip4\",table=\"{}\"", id), fib4().size(fib4().index_of(id)));
  for (uint32_t id : fib6().table_ids())
    o.line("vplane_fib_routes", fmt::format("family=\"ip6\",table=\"{}\"", id), fib6().size(fib6().index_of(id)));
}};

}  // namespace
}  // namespace vp
