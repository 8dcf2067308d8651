"""IPv4 routing end to end: vplane between namespaces, with real kernels as
hosts and scapy for the packets a kernel would not send."""
import json
import subprocess
import time

import pytest
from scapy.all import ARP, Ether, ICMP, IP, Raw, UDP

from vplane_harness import Capture, send, sh


def host(lab, v, net, idx=2, gw=1, vrf=None):
    """A namespace on subnet 10.<net>.0.0/24 behind a vplane af_packet port."""
    ns = lab.ns()
    outer, inner = lab.veth(ns)
    port = v.cli(f"create host-interface name {outer}").strip()
    if vrf is not None:
        v.cli(f"set interface ip table {port} {vrf}")
    v.cli(f"set interface ip address {port} 10.{net}.0.{gw}/24")
    v.cli(f"set interface state {port} up")
    sh(["ip", "-n", ns, "addr", "add", f"10.{net}.0.{idx}/24", "dev", inner])
    sh(["ip", "-n", ns, "route", "add", "default", "via", f"10.{net}.0.{gw}"])
    mac = sh(["ip", "-n", ns, "-j", "link", "show", inner]).stdout
    return {"ns": ns, "if": inner, "port": port, "ip": f"10.{net}.0.{idx}", "gw": f"10.{net}.0.{gw}",
            "mac": json.loads(mac)[0]["address"]}


def ping(ns, addr, count=2, extra=()):
    return sh(["ip", "netns", "exec", ns, "ping", "-c", str(count), "-i", "0.2", "-W", "1", *extra, addr], check=False)


def errors(v):
    return {(e["node"], e["reason"]): e["count"] for e in v.json("show errors")}


@pytest.fixture
def routed(lab):
    v = lab.vplane()
    a, b = host(lab, v, 1), host(lab, v, 2)
    return v, a, b


def test_ping_both_ways_and_the_router_answers(routed):
    v, a, b = routed
    assert ping(a["ns"], b["ip"]).returncode == 0
    assert ping(b["ns"], a["ip"]).returncode == 0
    assert ping(a["ns"], a["gw"]).returncode == 0
    assert ping(a["ns"], b["gw"]).returncode == 0  # the far interface's address, routed locally
    neigh = {(n["interface"], n["ip"]): n["mac"] for n in v.json("show ip neighbors")}
    assert neigh[(a["port"], a["ip"])] == a["mac"] and neigh[(b["port"], b["ip"])] == b["mac"]


def test_tcp_across_vplane_with_iperf3(routed):
    v, a, b = routed
    srv = subprocess.Popen(["ip", "netns", "exec", b["ns"], "iperf3", "-s", "-1"], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    r = sh(["ip", "netns", "exec", a["ns"], "iperf3", "-c", b["ip"], "-t", "2", "-J"])
    srv.wait(20)
    mbps = json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"] / 1e6
    print(f"iperf3 through vplane (IPv4 routed, af_packet): {mbps:.0f} Mbit/s")
    assert mbps > 10


def test_ttl_1_gets_time_exceeded_from_the_router(routed):
    v, a, b = routed
    r = ping(a["ns"], b["ip"], count=1, extra=("-t", "1"))
    assert f"From {a['gw']}" in r.stdout and "Time to live exceeded" in r.stdout


def test_no_route_gets_net_unreachable(routed):
    v, a, b = routed
    r = ping(a["ns"], "10.99.0.1", count=1)
    assert f"From {a['gw']}" in r.stdout and "Net Unreachable" in r.stdout
    v.cli("ip route add 10.98.0.0/16 prohibit")
    r = ping(a["ns"], "10.98.0.1", count=1)
    assert "Packet filtered" in r.stdout or "Communication administratively" in r.stdout or "prohibited" in r.stdout.lower()
    v.cli("ip route add 10.97.0.0/16 drop")
    r = ping(a["ns"], "10.97.0.1", count=1)
    assert "From" not in r.stdout
    assert errors(v)[("ip4-lookup", "blackhole route")] >= 1


def test_df_oversize_gets_frag_needed_with_the_mtu(routed):
    v, a, b = routed
    v.cli(f"set interface mtu 1280 {b['port']}")
    ping(a["ns"], b["ip"], count=1)  # resolve first
    cap = Capture(a["ns"], a["if"], lfilter=lambda p: ICMP in p and p[ICMP].type == 3)
    send(a["ns"], a["if"], [Ether(dst=v.interface(a["port"])["mac"], src=a["mac"]) /
                            IP(src=a["ip"], dst=b["ip"], flags="DF") / UDP(dport=9) / Raw(b"x" * 1400)])
    got = cap.stop()
    assert got and got[0][ICMP].code == 4 and got[0][ICMP].nexthopmtu == 1280
    assert got[0][IP].src == a["gw"]
    # Without DF the packet is fragmented and arrives whole at the kernel
    # (whose link now has the same MTU, so its reply fits back).
    sh(["ip", "-n", b["ns"], "link", "set", b["if"], "mtu", "1280"])
    r = ping(a["ns"], b["ip"], count=1, extra=("-s", "1400", "-M", "dont"))
    assert r.returncode == 0
    assert errors(v)[("ip4-rewrite", "fragments made")] >= 2


def test_bad_checksum_is_dropped_and_counted(routed):
    v, a, b = routed
    ping(a["ns"], b["ip"], count=1)
    pkt = Ether(dst=v.interface(a["port"])["mac"], src=a["mac"]) / IP(src=a["ip"], dst=b["ip"], chksum=0x1234) / \
        UDP(dport=9)
    send(a["ns"], a["if"], [pkt] * 3)
    time.sleep(0.3)
    assert errors(v)[("ip4-input", "bad checksum")] == 3


def test_arp_for_the_router_is_answered(routed):
    v, a, b = routed
    cap = Capture(a["ns"], a["if"], lfilter=lambda p: ARP in p and p[ARP].op == 2)
    send(a["ns"], a["if"], [Ether(dst="ff:ff:ff:ff:ff:ff", src=a["mac"]) /
                            ARP(op=1, hwsrc=a["mac"], psrc=a["ip"], pdst=a["gw"])])
    got = cap.stop()
    assert got and got[0][ARP].psrc == a["gw"] and got[0][ARP].hwsrc == v.interface(a["port"])["mac"]


def test_udp_to_the_router_gets_port_unreachable(routed):
    v, a, b = routed
    ping(a["ns"], a["gw"], count=1)
    cap = Capture(a["ns"], a["if"], lfilter=lambda p: ICMP in p and p[ICMP].type == 3)
    send(a["ns"], a["if"], [Ether(dst=v.interface(a["port"])["mac"], src=a["mac"]) /
                            IP(src=a["ip"], dst=a["gw"]) / UDP(sport=5555, dport=4444)])
    got = cap.stop()
    assert got and got[0][ICMP].code == 3


def test_trace_shows_the_routed_path(routed):
    v, a, b = routed
    ping(a["ns"], b["ip"], count=1)
    v.cli("clear trace")
    v.cli("trace add af-packet-input 5")
    ping(a["ns"], b["ip"], count=1)
    paths = [[n["node"] for n in p["nodes"]] for p in v.json("show trace")]
    assert ["af-packet-input", "ethernet-input", "ip4-input", "ip4-lookup", "ip4-rewrite", "interface-output"] in paths


def test_ecmp_spreads_flows_and_keeps_each_flow_on_one_path(lab):
    v = lab.vplane()
    a, b, c = host(lab, v, 1), host(lab, v, 2), host(lab, v, 3)
    for h in (b, c):  # both next hops answer for 10.50.0.0/16 (a loopback address each)
        sh(["ip", "-n", h["ns"], "addr", "add", "10.50.0.1/32", "dev", "lo"])
    v.cli(f"ip route add 10.50.0.0/16 via {b['ip']} {b['port']}")
    v.cli(f"ip route add 10.50.0.0/16 via {c['ip']} {c['port']}")
    ping(a["ns"], b["ip"], 1), ping(a["ns"], c["ip"], 1)
    dmac = v.interface(a["port"])["mac"]
    caps = [Capture(h["ns"], h["if"], lfilter=lambda p: UDP in p and p[UDP].dport == 7777) for h in (b, c)]
    flows = [Ether(dst=dmac, src=a["mac"]) / IP(src=a["ip"], dst="10.50.0.1") / UDP(sport=10000 + i, dport=7777)
             for i in range(64)]
    send(a["ns"], a["if"], flows + flows)  # every flow twice
    got = [c.stop() for c in caps]
    ports = [sorted(p[UDP].sport for p in g) for g in got]
    assert ports[0] and ports[1], "both next hops get a share"
    assert not set(ports[0]) & set(ports[1]), "a flow never takes two paths"
    assert len(ports[0]) + len(ports[1]) == 128


def test_vrfs_keep_the_same_prefix_apart(lab):
    v = lab.vplane()
    v.cli("ip table add 10")
    a, b = host(lab, v, 1), host(lab, v, 2)
    c, d = host(lab, v, 1, vrf=10), host(lab, v, 3, vrf=10)  # c reuses 10.1.0.0/24 in table 10
    v.cli(f"ip route add 10.60.0.0/24 via {b['ip']}")
    v.cli(f"ip route add 10.60.0.0/24 table 10 via {d['ip']}")
    for h in (b, d):
        sh(["ip", "-n", h["ns"], "addr", "add", "10.60.0.1/32", "dev", "lo"])
    ping(a["ns"], b["ip"], 1), ping(c["ns"], d["ip"], 1)
    capb = Capture(b["ns"], b["if"], lfilter=lambda p: ICMP in p and p[IP].dst == "10.60.0.1")
    capd = Capture(d["ns"], d["if"], lfilter=lambda p: ICMP in p and p[IP].dst == "10.60.0.1")
    assert ping(a["ns"], "10.60.0.1", 1).returncode == 0
    assert ping(c["ns"], "10.60.0.1", 1).returncode == 0
    gb, gd = capb.stop(), capd.stop()
    assert {p[IP].src for p in gb} == {a["ip"]} and {p[IP].src for p in gd} == {c["ip"]}
    assert ping(a["ns"], d["ip"], 1).returncode != 0  # no leaking between tables


def test_recursive_route_follows_its_parent(lab):
    v = lab.vplane()
    a, b, c = host(lab, v, 1), host(lab, v, 2), host(lab, v, 3)
    for h in (b, c):
        sh(["ip", "-n", h["ns"], "addr", "add", "10.70.0.1/32", "dev", "lo"])
        sh(["ip", "-n", h["ns"], "addr", "add", "192.0.2.1/32", "dev", "lo"])
    v.cli(f"ip route add 192.0.2.1/32 via {b['ip']}")  # the parent
    v.cli("ip route add 10.70.0.0/24 via 192.0.2.1")   # recursive through it
    ping(a["ns"], b["ip"], 1), ping(a["ns"], c["ip"], 1)

    def lands():
        caps = {n: Capture(h["ns"], h["if"], lfilter=lambda p: ICMP in p and p[IP].dst == "10.70.0.1")
                for n, h in (("b", b), ("c", c))}
        ping(a["ns"], "10.70.0.1", 1)
        return {n: len(cap.stop()) for n, cap in caps.items()}

    assert lands()["b"] >= 1
    v.cli(f"ip route del 192.0.2.1/32 via {b['ip']}")
    v.cli(f"ip route add 192.0.2.1/32 via {c['ip']}")
    r = lands()
    assert r["c"] >= 1 and r["b"] == 0
    fib = v.json("show ip fib 10.70.0.0/24")["entries"][0]
    assert "recursive" in fib["buckets"][0]["to"]
