#pragma once
// What the port kinds' commands share (io/ports/<kind>/): the reply to a
// create, and "delete <kind> [<keyword>] <if>".
#include <cstdint>
#include <string>

#include "control/cli.hpp"

namespace vp {

// Names the interface made (JSON: name and sw_if_index).
void reply_created(Out& o, uint32_t sw_if);
// A delete command for interfaces of one kind (Port::kind()).
CliCmd delete_cmd(std::string path, const char* kind, const char* keyword = nullptr);

}  // namespace vp
