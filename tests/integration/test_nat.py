"""NAT44 end to end (docs/nat.md): vplaned between an inside namespace
(10.1.0.0/24) and an outside one (10.2.0.0/24) whose server has no route
back to the inside: a reply reaches the client only if vplane translated
the flow. Servers report the peer address they saw."""
import socket
import subprocess
import time

import pytest
from scapy.all import ICMP, IP, UDP, Ether, IPerror, UDPerror

from test_ip4 import host, ping
from vplane_harness import Capture, send, sh

# A server in a namespace: prints each peer (address port) it sees and
# answers. UDP echoes; TCP sends back "ok" and closes.
SERVER = r"""
import socket, sys
proto, port = sys.argv[1], int(sys.argv[2])
if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    print("ready", flush=True)
    while True:
        d, a = s.recvfrom(2048)
        print(a[0], a[1], flush=True)
        s.sendto(d, a)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    print("ready", flush=True)
    while True:
        c, a = s.accept()
        print(a[0], a[1], flush=True)
        c.sendall(b"ok")
        c.close()
"""

CLIENT = r"""
import socket, sys
proto, addr, port, n, base = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ok = 0
for i in range(n):
    try:
        if proto == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            if base:  # distinct flows: the kernel may hand out an ephemeral port twice
                s.bind(("0.0.0.0", base + i))
            s.settimeout(1)
            s.sendto(b"x" * 32, (addr, port))
            d, _ = s.recvfrom(2048)
            ok += d == b"x" * 32
        else:
            s = socket.create_connection((addr, port), timeout=2)
            ok += s.recv(16) == b"ok"
        s.close()
    except OSError as e:
        print("error", e, flush=True)
print("ok", ok, flush=True)
"""


class Server:
    def __init__(self, ns, proto, port):
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-u", "-c", SERVER, proto,
                                   str(port)], stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "ready"

    def peers(self, settle=0.3):
        time.sleep(settle)
        self.p.kill()
        out, _ = self.p.communicate()
        return [(a, int(p)) for a, p in (l.split() for l in out.splitlines() if l.strip())]


def client(ns, proto, addr, port, n=1, base=0):
    r = sh(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", CLIENT, proto, addr, str(port), str(n), str(base)],
           check=False)
    last = r.stdout.strip().splitlines()[-1]
    return int(last.split()[1])


def errors(v):
    return {(e["node"], e["reason"]): e["count"] for e in v.json("show errors")}


def nat_lab(lab, workers=0):
    """Inside host a (10.1.0.2), outside host b (10.2.0.2, no default route)."""
    v = lab.vplane(workers=workers)
    a = host(lab, v, 1)
    b = host(lab, v, 2)
    sh(["ip", "-n", b["ns"], "route", "del", "default"])
    return v, a, b


def test_interface_snat_udp_tcp_ping(lab):
    v, a, b = nat_lab(lab)
    # Without NAT the server cannot answer: it has no route to 10.1.0.0/24.
    assert client(a["ns"], "udp", b["ip"], 5000) == 0
    v.cli(f"nat44 add interface address {b['port']}")
    v.cli(f"set interface nat44 in {a['port']} out {b['port']}")
    for proto in ("udp", "tcp"):
        srv = Server(b["ns"], proto, 5001)
        assert client(a["ns"], proto, b["ip"], 5001, n=3) == 3
        peers = srv.peers()
        assert len(peers) == 3 and all(p[0] == "10.2.0.1" for p in peers), peers
    assert ping(a["ns"], b["ip"]).returncode == 0
    sess = v.json("show nat44 sessions")["sessions"]
    assert any(s["protocol"] == "ICMP" and s["outside_source"] == "10.2.0.1" for s in sess)
    assert any(s["protocol"] == "TCP" and s["inside_source"] == a["ip"] for s in sess)
    addrs = v.json("show nat44 addresses")["addresses"]
    assert [x["address"] for x in addrs] == ["10.2.0.1"] and addrs[0]["kind"] == "interface"
    # The firewall's view: both tuples.
    out = v.cli("show security flow session")
    assert "10.2.0.1" in out and a["ip"] in out


def test_interface_snat_follows_address_change(lab):
    v, a, b = nat_lab(lab)
    v.cli(f"nat44 add interface address {b['port']}")
    v.cli(f"set interface nat44 in {a['port']} out {b['port']}")
    v.cli(f"set interface ip address del {b['port']} 10.2.0.1/24")
    v.cli(f"set interface ip address {b['port']} 10.2.0.9/24")
    sh(["ip", "netns", "exec", b["ns"], "ip", "neigh", "flush", "all"])
    srv = Server(b["ns"], "udp", 5002)
    assert client(a["ns"], "udp", b["ip"], 5002) == 1
    assert srv.peers()[0][0] == "10.2.0.9"


@pytest.mark.parametrize("workers", [2])
def test_pool_pat_many_flows_two_workers(lab, workers):
    v, a, b = nat_lab(lab, workers=workers)
    v.cli("nat44 add address 10.2.0.100 - 10.2.0.101")
    v.cli(f"set interface nat44 in {a['port']} out {b['port']}")
    # Addresses of the pool answer ARP on the outside link.
    srv = Server(b["ns"], "udp", 5003)
    assert client(a["ns"], "udp", b["ip"], 5003, n=60, base=30000) == 60
    peers = srv.peers()
    assert len(peers) == 60
    assert {p[0] for p in peers} <= {"10.2.0.100", "10.2.0.101"}
    # One inside host keeps one outside address (paired pooling).
    assert len({p[0] for p in peers}) == 1
    assert len(set(peers)) == 60, "an outside port served two flows at once"
    # Each worker allocates from its own share of the port range.
    share = v.json("show nat44 summary")["port_share"]
    sess = [s for s in v.json("show nat44 sessions")["sessions"] if s["protocol"] == "UDP"]
    threads = sorted({s["worker"] for s in sess})
    assert len(threads) == workers, "60 flows all hashed to one worker"
    for s in sess:
        k = min((s["outside_source_port"] - 1024) // share, workers - 1)
        assert threads[k] == s["worker"], f"port {s['outside_source_port']} allocated outside worker {s['worker']}'s share"
    print(f"60 flows over workers {threads}, {share} ports each")


def test_port_forwarding_and_static(lab):
    v, a, b = nat_lab(lab)
    # The inside server has no default route either: replies must be translated back.
    sh(["ip", "-n", a["ns"], "route", "del", "default"])
    sh(["ip", "-n", a["ns"], "route", "add", "default", "via", "10.1.0.1"])
    v.cli(f"nat44 add interface address {b['port']}")
    v.cli(f"set interface nat44 in {a['port']} out {b['port']}")
    v.cli(f"nat44 add static mapping tcp local {a['ip']} 8080 external {b['port']} 80")
    srv = Server(a["ns"], "tcp", 8080)
    sh(["ip", "-n", b["ns"], "route", "add", "default", "via", "10.2.0.1"])
    assert client(b["ns"], "tcp", "10.2.0.1", 80, n=2) == 2
    assert all(p[0] == b["ip"] for p in srv.peers())
    # An address-only static mapping: 10.2.0.50 is the inside host, both ways.
    v.cli(f"nat44 add static mapping local {a['ip']} external 10.2.0.50")
    srv = Server(a["ns"], "udp", 7000)
    assert client(b["ns"], "udp", "10.2.0.50", 7000) == 1
    srv.peers()
    srv = Server(b["ns"], "udp", 7001)
    assert client(a["ns"], "udp", b["ip"], 7001) == 1
    assert srv.peers()[0][0] == "10.2.0.50"
    out = v.cli("show nat44 static mappings")
    assert "tcp local 10.1.0.2 8080 external" in out and "local 10.1.0.2 external 10.2.0.50" in out
    rc = v.cli_fail(f"nat44 add static mapping tcp local {a['ip']} 8081 external {b['port']} 80")
    assert "already mapped" in rc


def test_identity_mapping_and_router_traffic(lab):
    v, a, b = nat_lab(lab)
    v.cli("nat44 add address 10.2.0.100")
    v.cli(f"set interface nat44 in {a['port']} out {b['port']}")
    # The router's own address still answers from outside (as before NAT).
    assert ping(b["ns"], "10.2.0.1").returncode == 0
    # Identity: the inside host's flows are not translated.
    sh(["ip", "-n", b["ns"], "route", "add", "10.1.0.0/24", "via", "10.2.0.1"])
    v.cli(f"nat44 add identity mapping {a['ip']}")
    srv = Server(b["ns"], "udp", 7002)
    assert client(a["ns"], "udp", b["ip"], 7002) == 1
    assert srv.peers()[0][0] == a["ip"]
    # Outside traffic to a pool address that no session or mapping explains
    # is dropped and counted.
    assert client(b["ns"], "udp", "10.2.0.100", 9999) == 0
    assert errors(v).get(("fw-ip4-new", "NAT: no session or mapping (no translation)"), 0) >= 1


def test_twice_nat_and_hairpinning(lab):
    v, a, b = nat_lab(lab)
    c = host(lab, v, 3)  # a second inside host
    v.cli("nat44 add address 10.2.0.100")
    v.cli("nat44 add address 10.2.0.200 twice-nat")
    v.cli(f"set interface nat44 in {a['port']} in {c['port']} out {b['port']}")
    v.cli(f"nat44 add static mapping udp local {a['ip']} 7100 external 10.2.0.60 7100")
    v.cli(f"nat44 add static mapping udp local {a['ip']} 7200 external 10.2.0.60 7200 twice-nat")
    sh(["ip", "-n", b["ns"], "route", "add", "default", "via", "10.2.0.1"])
    # Hairpinning: c reaches a through a's outside address; a sees a pool address.
    srv = Server(a["ns"], "udp", 7100)
    assert client(c["ns"], "udp", "10.2.0.60", 7100) == 1
    assert srv.peers()[0][0] == "10.2.0.100"
    # Twice-NAT: from outside, a sees the twice-nat pool address as the source.
    srv = Server(a["ns"], "udp", 7200)
    assert client(b["ns"], "udp", "10.2.0.60", 7200) == 1
    assert srv.peers()[0][0] == "10.2.0.200"


def test_icmp_errors_translated(lab):
    v, a, b = nat_lab(lab)
    v.cli(f"nat44 add interface address {b['port']}")
    v.cli(f"set interface nat44 in {a['port']} out {b['port']}")
    # A closed port: the outside kernel answers port unreachable to
    # 10.2.0.1, which reaches the inside host translated (a connected UDP
    # socket reports it as ECONNREFUSED).
    r = sh(["ip", "netns", "exec", a["ns"], "/usr/bin/python3", "-c", f"""
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("{b['ip']}", 9))
s.settimeout(2)
s.send(b"x")
try:
    s.recv(10)
    print("answer")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
"""], check=False)
    assert r.stdout.strip() == "refused"
    # Time exceeded from a router beyond: forged by scapy on the outside
    # link, quoting the translated packet; the inside host gets it with the
    # quoted packet translated back.
    srv = Server(b["ns"], "udp", 7300)
    cap = Capture(a["ns"], a["if"], lfilter=lambda p: ICMP in p and p[ICMP].type == 11)
    sh(["ip", "netns", "exec", a["ns"], "/usr/bin/python3", "-c",
        f"import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 40000)); "
        f"s.sendto(b'y', ('{b['ip']}', 7300))"])
    srv.peers()
    sess = [s for s in v.json("show nat44 sessions")["sessions"] if s["inside_source_port"] == 40000][0]
    vmac = v.interface(b["port"])["mac"]
    te = (Ether(dst=vmac, src=b["mac"]) / IP(src="10.2.0.77", dst="10.2.0.1") / ICMP(type=11, code=0) /
          IPerror(src="10.2.0.1", dst=b["ip"], proto=17) / UDPerror(sport=sess["outside_source_port"], dport=7300))
    send(b["ns"], b["if"], [te])
    got = cap.stop()
    assert got, "no time exceeded reached the inside host"
    p = got[0]
    assert p[IP].dst == a["ip"] and p[IPerror].src == a["ip"] and p[UDPerror].sport == 40000
    # Checksums as a kernel would compute them.
    raw = IP(bytes(p[IP]))
    fixed = raw.copy()
    del fixed[ICMP].chksum
    del fixed[IP].chksum
    fixed = IP(bytes(fixed))
    assert raw[ICMP].chksum == fixed[ICMP].chksum and raw[IP].chksum == fixed[IP].chksum


def test_exhaustion_refused_and_counted(lab):
    v, a, b = nat_lab(lab)
    v.cli("nat44 add address 10.2.0.100")
    v.cli("set nat44 port-range 2000-2003")
    v.cli(f"set interface nat44 in {a['port']} out {b['port']}")
    srv = Server(b["ns"], "tcp", 5004)
    # Four long-lived connections hold the four ports towards 10.2.0.2:5004.
    holders = subprocess.Popen(["ip", "netns", "exec", a["ns"], "/usr/bin/python3", "-c", f"""
import socket, time, sys
socks = [socket.create_connection(("{b['ip']}", 5004), timeout=2) for _ in range(4)]
print("held", flush=True)
time.sleep(30)
"""], stdout=subprocess.PIPE, text=True)
    try:
        assert holders.stdout.readline().strip() == "held"
        assert client(a["ns"], "tcp", b["ip"], 5004) == 0
        c = errors(v)
        assert c.get(("fw-ip4-new", "NAT: out of ports"), 0) >= 1
        # Another remote endpoint still gets a port (endpoint-dependent).
        srv2 = Server(b["ns"], "udp", 5005)
        assert client(a["ns"], "udp", b["ip"], 5005) == 1
        addr, port = srv2.peers()[0]
        assert addr == "10.2.0.100" and 2000 <= port <= 2003
    finally:
        holders.kill()
        srv.peers()


def test_bad_commands_change_nothing(lab):
    v, a, b = nat_lab(lab)
    for cmd, words in [("nat44 add address 10.0.0.5 - 10.0.0.1", "backwards"),
                       ("nat44 add address 300.1.1.1", "not an IPv4"),
                       ("set interface nat44 in nosuchif", "unknown interface"),
                       ("set nat44 port-range 5000-4000", "port range"),
                       ("nat44 add static mapping tcp local 10.1.0.2 external 10.2.0.5", "port"),
                       ("nat44 add address 10.2.0.100 del", "no address range"),
                       ("set nat timeout bogus 10", "unknown timeout"),
                       ("nat44 forwarding maybe", "enable or disable")]:
        assert words in v.cli_fail(cmd), cmd
    assert v.cli("show running-config").count("nat44") == 0


def test_running_config_replays(lab):
    v, a, b = nat_lab(lab)
    cmds = ["nat44 add address 10.2.0.100 - 10.2.0.103 twice-nat",
            "nat44 add address 10.2.0.110",
            f"nat44 add interface address {b['port']}",
            "set nat44 port-range 2000-60000",
            f"nat44 add static mapping tcp local {a['ip']} 22 external {b['port']} 2222",
            "nat44 add identity mapping 10.1.0.7 udp 53",
            "nat44 forwarding enable",
            f"set interface nat44 in {a['port']}",
            f"set interface nat44 out {b['port']}"]
    for c in cmds:
        v.cli(c)
    rc = [l for l in v.cli("show running-config").splitlines() if "nat44" in l]
    assert sorted(rc) == sorted(cmds), rc


def test_with_zones_policy_order_and_logs(lab):
    """Junos' order: the policy matches the original source (source NAT
    after it) and the translated destination (static NAT before it, whose
    route picks the to-zone); the flow logs carry the translation."""
    from test_fw import parse_rt_flow
    v, a, b = nat_lab(lab)
    v.cli(f"set security zones security-zone trust interfaces {a['port']}")
    v.cli(f"set security zones security-zone untrust interfaces {b['port']}")
    v.cli(f"set security address-book global address inside-a {a['ip']}/32")
    head = "set security policies from-zone trust to-zone untrust policy out"
    v.cli(f"{head} match source-address inside-a destination-address any application any")
    v.cli(f"{head} then permit")
    v.cli(f"{head} then log session-init")
    head = "set security policies from-zone untrust to-zone trust policy in"
    v.cli(f"{head} match source-address any destination-address inside-a application junos-ssh")
    v.cli(f"{head} then permit")
    v.cli(f"nat44 add interface address {b['port']}")
    v.cli(f"set interface nat44 in {a['port']} out {b['port']}")
    v.cli(f"nat44 add static mapping tcp local {a['ip']} 22 external {b['port']} 2222")
    sh(["ip", "-n", b["ns"], "route", "add", "default", "via", "10.2.0.1"])
    while not v.json("show security policies")["rulebase"]["current"]:
        time.sleep(0.01)
    lst = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    lst.bind(("127.0.0.1", 0))
    lst.settimeout(0.2)
    try:
        v.cli(f"set security log stream s host 127.0.0.1 port {lst.getsockname()[1]}")
        srv = Server(b["ns"], "udp", 7400)
        assert client(a["ns"], "udp", b["ip"], 7400, base=41000) == 1
        assert srv.peers()[0][0] == "10.2.0.1"
        got = None
        deadline = time.time() + 3
        while not got and time.time() < deadline:
            try:
                kind, sd, msg = parse_rt_flow(lst.recv(4096).decode())
            except socket.timeout:
                continue
            if kind == "RT_FLOW_SESSION_CREATE" and sd["destination-port"] == "7400":
                got = sd
    finally:
        lst.close()
    assert got, "no session-create log"
    assert got["source-address"] == a["ip"] and got["source-port"] == "41000", got
    assert got["nat-source-address"] == "10.2.0.1" and got["nat-source-port"] != "41000", got
    assert got["nat-destination-address"] == b["ip"] and got["nat-destination-port"] == "7400", got
    # Port forwarding from outside: the policy names the inside server
    # (the translated destination) and junos-ssh (its translated port).
    srv = Server(a["ns"], "tcp", 22)
    assert client(b["ns"], "tcp", "10.2.0.1", 2222) == 1
    assert srv.peers()[0][0] == b["ip"]
    # A port no mapping forwards goes to the router, where host-inbound refuses it.
    assert client(b["ns"], "tcp", "10.2.0.1", 2223) == 0
