"""Routing daemons from Debian as peers, for the tests and bench/lcp-routes:
FRR daemons in a namespace, and ExaBGP announcing many prefixes."""
import os
import pathlib
import subprocess
import tempfile
import time


def sh(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")


def start_frr(ns, d, daemons=("zebra", "bgpd"), zebra_args=()):
    common = ["-d", "-z", str(d / "zserv.api"), "--vty_socket", str(d)]
    for daemon in daemons:
        sh(["ip", "netns", "exec", ns, f"/usr/lib/frr/{daemon}", *common, "-i", str(d / f"{daemon}.pid"),
            "-f", str(d / f"{daemon}.conf"), *(zebra_args if daemon == "zebra" else ())])
        time.sleep(0.5 if daemon == "zebra" else 0)


def frr_dir():
    """FRR drops privileges to its own user (the package's frr/frrvty): it needs a directory it can reach
    and write, which pytest's (under a 0700 parent) is not."""
    d = pathlib.Path(tempfile.mkdtemp(prefix="vplane-frr-"))
    d.chmod(0o777)
    return d


# Announces n /24s from <first>.<second>.0.0 on; writing a number k to <d>/keep withdraws all but the first k.
EXABGP_FEED = """import os, sys, threading, time
# ExaBGP answers every command on our stdin; unread, the pipe fills and it stops.
# Its end of the pipe closing means ExaBGP is gone: so are we (else we outlive it).
def drain():
    for _ in sys.stdin:
        pass
    os._exit(0)
threading.Thread(target=drain, daemon=True).start()
d, n, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
pfx = lambda k: f"{a + (b + k // 256) // 256}.{(b + k // 256) % 256}.{k % 256}.0/24"
for k in range(n):
    sys.stdout.write(f"announce route {pfx(k)} next-hop self\\n")
sys.stdout.flush()
keep = os.path.join(d, "keep")
while not os.path.exists(keep):
    time.sleep(0.1)
time.sleep(0.1)
for k in range(int(open(keep).read()), n):
    sys.stdout.write(f"withdraw route {pfx(k)}\\n")
sys.stdout.flush()
while True:
    time.sleep(60)
"""


def start_exabgp(ns, d, local, peer, n, first="172.16"):
    """ExaBGP (AS 65002) at `local` announcing n /24s from <first>.0.0 on to FRR (AS 65001) at `peer`."""
    a, b = (int(x) for x in first.split("."))
    (d / "feed.py").write_text(EXABGP_FEED)
    (d / "exabgp.conf").write_text(f"""process feed {{
    run /usr/bin/python3 {d}/feed.py {d} {n} {a} {b};
    encoder text;
}}
neighbor {peer} {{
    router-id {local};
    local-address {local};
    local-as 65002;
    peer-as 65001;
    api {{ processes [feed]; }}
}}
""")
    env = dict(os.environ, **{"exabgp.daemon.user": "root", "exabgp.api.ack": "false", "exabgp.api.cli": "false",
                              "exabgp.log.destination": str(d / "exabgp.log")})
    return subprocess.Popen(["ip", "netns", "exec", ns, "exabgp", str(d / "exabgp.conf")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
