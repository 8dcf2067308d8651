#pragma once
// What an instance attaches to Linux (XDP programs on host interfaces) is
// recorded in its state directory, so the next start of an instance with the
// same name can remove what a crashed one left behind.
#include <string>

namespace vp {

void stale_init(const std::string& state_dir);  // cleans up, then starts a fresh record
void stale_record(const std::string& kind, const std::string& ifname);
void stale_forget(const std::string& kind, const std::string& ifname);
// Clean exit: with nothing left attached, the record and the state
// directory go too (when nothing else is in it).
void stale_exit();

}  // namespace vp
