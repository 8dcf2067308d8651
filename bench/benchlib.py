"""Shared by the benchmark scripts (bench/run, bench/route-load): where the
binaries are, a vplaned instance driven over its CLI socket, the machine's
description, and the DFZ-like route table."""
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("VPLANE_BUILD", os.path.join(ROOT, "build"))
VPLANED = os.path.join(BUILD, "src", "vplaned")
VPLANECTL = os.path.join(BUILD, "src", "vplanectl")


def cleanup_on_sigterm():
    """SIGTERM (a CI timeout, kill) unwinds like Ctrl-C, so the scripts' finally blocks remove the
    namespaces, daemons and directories they made."""
    import signal
    import sys
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def log(msg):
    print(msg, flush=True)


def machine():
    model, mhz = "?", 0.0
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name") and model == "?":
            model = line.split(":", 1)[1].strip()
        if line.startswith("cpu MHz") and not mhz:
            mhz = float(line.split(":", 1)[1])
    return {"cpu": model, "mhz": mhz, "cores": os.cpu_count(), "kernel": platform.release()}


def hugepages_free_mb():
    free = size = 0
    for line in open("/proc/meminfo"):
        if line.startswith("HugePages_Free:"):
            free = int(line.split()[1])
        if line.startswith("Hugepagesize:"):
            size = int(line.split()[1])
    return free * size // 1024


class Daemon:
    """vplaned with a packet-generator interface pg0 and the given startup
    commands. busy: workers never sleep (in-memory clocks/packet); api: also
    serve the gRPC API on <dir>/api.sock."""

    def __init__(self, name, huge, cmds, table=None, workers=1, busy=True, api=False):
        self.dir = tempfile.mkdtemp(prefix="vplane-bench-")
        self.sock = os.path.join(self.dir, "cli.sock")
        self.api_sock = os.path.join(self.dir, "api.sock")
        script = os.path.join(self.dir, "startup.cli")
        with open(script, "w") as f:
            if busy:
                f.write("set polling idle-sleep 0\n")
            f.write("create packet-generator interface pg0\nset interface state pg0 up\n")
            f.write("\n".join(cmds) + "\n")
            if table:
                f.write(open(table).read())
        self.p = subprocess.Popen([VPLANED, "--name", name, "--cli-socket", self.sock, "--workers", str(workers),
                                   "--hugepages", "yes" if huge else "no", "--exec", script]
                                  + (["--api-socket", self.api_sock] if api else []),
                                  stdout=open(os.path.join(self.dir, "log"), "w"), stderr=subprocess.STDOUT)
        for _ in range(1200):
            if self.p.poll() is not None:
                raise RuntimeError("vplaned failed: " + open(os.path.join(self.dir, "log")).read())
            if os.path.exists(self.sock) and self.ctl("show version", check=False) is not None:
                return
            time.sleep(0.1)
        raise RuntimeError("vplaned did not start")

    def ctl(self, cmd, check=True, js=False):
        r = subprocess.run([VPLANECTL, "-s", self.sock] + (["--json"] if js else []) + [cmd],
                           capture_output=True, text=True)
        if r.returncode != 0:
            if check:
                raise RuntimeError(f"{cmd}: {r.stderr}")
            return None
        return json.loads(r.stdout) if js else r.stdout

    def script(self, text):
        """Runs CLI commands, one per line, in one vplanectl session."""
        r = subprocess.run([VPLANECTL, "-s", self.sock], input=text, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(r.stderr.strip())
        return r.stdout

    def stop(self):
        self.p.terminate()
        self.p.wait(120)
        shutil.rmtree(self.dir, ignore_errors=True)


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def dfz_table(path, n):
    """n IPv4 prefixes with the public table's length mix (60% /24, 10% /23,
    10% /22, 7% /21, 5% /20, the rest /8-/19), distinct, in 1.0.0.0-223.255.255.255,
    plus a default route so that every uniformly drawn destination forwards."""
    import random
    rng = random.Random(2026)
    mix = [(24, 60), (23, 10), (22, 10), (21, 7), (20, 5)] + [(l, 8 / 12) for l in range(8, 20)]
    lens = [l for l, _ in mix]
    weights = [w for _, w in mix]
    seen = set()
    with open(path, "w") as f:
        f.write("ip route add 0.0.0.0/0 via 10.9.0.2\n")
        while len(seen) < n:
            l = rng.choices(lens, weights)[0]
            a = rng.randrange(1 << 24, 224 << 24) & ((0xffffffff << (32 - l)) & 0xffffffff)
            if (a, l) in seen:
                continue
            seen.add((a, l))
            f.write(f"ip route add {a >> 24}.{a >> 16 & 255}.{a >> 8 & 255}.{a & 255}/{l} via 10.9.0.2\n")


def v6_table(path, n, dsts=None):
    """n IPv6 prefixes shaped like the public table: RIR allocations (/29-/32)
    in 2000::/4, most prefixes /48 (customer blocks inside allocations, and
    provider-independent ones in 2a00::/12), the rest /33-/44 inside
    allocations; plus a default route. Destinations (to dsts, 256k) pick a
    prefix uniformly and a random address in it, so most lookups go as deep
    as /48 into a table far larger than the caches."""
    import ipaddress
    import random
    rng = random.Random(2048)
    seen, allocs = {}, []
    def add(a, l):
        a &= ((1 << 128) - 1) ^ ((1 << (128 - l)) - 1)
        if (a, l) not in seen:
            seen[(a, l)] = True
            return True
        return False
    while len(allocs) < n // 10:
        l = rng.choices([29, 30, 31, 32], [30, 5, 5, 60])[0]
        a = (0x2 << 124) | (rng.getrandbits(28) << 96)
        if add(a, l):
            allocs.append((a, l))
    while len(seen) < n:
        r = rng.random()
        if r < 0.5:  # a /48 inside an allocation
            a, l = rng.choice(allocs)
            add(a | (rng.getrandbits(48 - l) << 80), 48)
        elif r < 0.7:  # a provider-independent /48
            add((0x2a0 << 116) | (rng.getrandbits(36) << 80), 48)
        else:  # /33-/44 inside an allocation
            a, pl = rng.choice(allocs)
            l = rng.randint(33, 44)
            add(a | (rng.getrandbits(l - pl) << (128 - l)), l)
    prefixes = list(seen)
    with open(path, "w") as f:
        f.write("ip route add ::/0 via 2001:db8:9::2\n")
        for a, l in prefixes:
            f.write(f"ip route add {ipaddress.IPv6Address(a)}/{l} via 2001:db8:9::2\n")
    if not dsts:
        return
    with open(dsts, "w") as f:
        for _ in range(1 << 18):
            a, l = rng.choice(prefixes)
            f.write(f"{ipaddress.IPv6Address(a | rng.getrandbits(128 - l))}\n")
