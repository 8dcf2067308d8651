#pragma once
// One vplaned per instance name, and no socket taken from a live process.
// The lock is an flock on <state dir>/vplaned.lock, held for the process's
// life (the kernel lets go of it if vplaned dies), with the holder's PID in
// the file so the refusal can name it. It is taken before anything of the
// instance is touched: DPDK's runtime directory, the state directory's
// crash records, the sockets.
#include <string>

namespace vp {

// Throws vp::Error naming the running instance's PID when another process
// holds the lock.
void instance_lock(const std::string& state_dir, const std::string& name);
// At exit: removes the lock file (the state directory may then go).
void instance_unlock();

// Before listening on a Unix socket path: a process that answers there is
// alive and keeps it (vp::Error says which socket and what to do); a file
// nobody answers on is what a dead process left, and is removed.
void claim_socket(const std::string& path, const char* what);

}  // namespace vp
