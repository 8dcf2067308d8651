// PCI NICs: only those allow-listed in the startup file ([dpdk] pci-allow)
// are probed, and each becomes an interface pci-<address> at start. They
// come from the startup file, so no command recreates them.
#include "graph/registry.hpp"
#include "infra/error.hpp"
#include "infra/log.hpp"
#include "io/eal.hpp"
#include "io/interface.hpp"
#include "io/port_dpdk.hpp"

namespace vp {

namespace {
void create_pci(const std::string& pci) {
  std::string name = "pci-" + pci;
  if (ifs().find(name)) fail("interface '{}' already exists", name);
  add_dpdk_interface(name,
                     std::make_unique<DpdkPort>("dpdk", "", name, pci, false, Registry::get().id("dpdk-input"), 1));
}

InitRegistration probe{[] {
  for (auto& pci : eal().pci_allow) {
    try {
      create_pci(pci);
    } catch (const Error& e) {
      log::error("PCI device {}: {}", pci, e.what());
    }
  }
}};
}  // namespace

}  // namespace vp
