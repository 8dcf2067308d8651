"""IPv6 routing end to end: vplane between namespaces with real kernels as
hosts (ping6, iperf3) and scapy for what a kernel would not send."""
import ipaddress
import json
import subprocess
import time

import pytest
from scapy.all import (Ether, ICMPv6DestUnreach, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                       ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, ICMPv6PacketTooBig, ICMPv6ParamProblem, IPv6,
                       Raw, UDP)

from vplane_harness import Capture, send, sh


def host6(lab, v, net, idx=2, gw=1, vrf=None):
    """A namespace on 2001:db8:<net>::/64 behind a vplane af_packet port."""
    ns = lab.ns(ipv6=True)
    outer, inner = lab.veth(ns)
    port = v.cli(f"create host-interface name {outer}").strip()
    if vrf is not None:
        v.cli(f"set interface ip6 table {port} {vrf}")
    v.cli(f"set interface ip address {port} 2001:db8:{net:x}::{gw}/64")
    v.cli(f"set interface state {port} up")
    sh(["ip", "-n", ns, "addr", "add", f"2001:db8:{net:x}::{idx}/64", "dev", inner, "nodad"])
    sh(["ip", "-n", ns, "-6", "route", "add", "default", "via", f"2001:db8:{net:x}::{gw}"])
    link = json.loads(sh(["ip", "-n", ns, "-j", "link", "show", inner]).stdout)[0]
    addrs = json.loads(sh(["ip", "-n", ns, "-j", "-6", "addr", "show", inner]).stdout)[0]["addr_info"]
    ll = next(a["local"] for a in addrs if a["scope"] == "link")
    return {"ns": ns, "if": inner, "port": port, "ip": f"2001:db8:{net:x}::{idx}", "gw": f"2001:db8:{net:x}::{gw}",
            "mac": link["address"], "ll": ll}


def ping6(ns, addr, count=2, extra=()):
    return sh(["ip", "netns", "exec", ns, "ping", "-6", "-c", str(count), "-i", "0.2", "-W", "1", *extra, addr],
              check=False)


def errors(v):
    return {(e["node"], e["reason"]): e["count"] for e in v.json("show errors")}


def router_ll(v, port):
    return next(i["link_local"] for i in v.json(f"show ip6 interface {port}"))


@pytest.fixture
def routed(lab):
    v = lab.vplane()
    a, b = host6(lab, v, 1), host6(lab, v, 2)
    return v, a, b


def test_ping6_both_ways_and_the_router_answers(routed):
    v, a, b = routed
    assert ping6(a["ns"], b["ip"]).returncode == 0
    assert ping6(b["ns"], a["ip"]).returncode == 0
    assert ping6(a["ns"], a["gw"]).returncode == 0
    assert ping6(a["ns"], b["gw"]).returncode == 0
    # The router's link-local address, generated from its MAC (EUI-64).
    ll = router_ll(v, a["port"])
    m = bytes.fromhex(v.interface(a["port"])["mac"].replace(":", ""))
    eui = bytes([0xfe, 0x80] + [0] * 6 + [m[0] ^ 2, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]])
    assert ipaddress.ip_address(ll) == ipaddress.IPv6Address(eui)
    assert ping6(a["ns"], f"{ll}%{a['if']}").returncode == 0
    neigh = {(n["interface"], n["ip"]): n["mac"] for n in v.json("show ip6 neighbors")}
    assert neigh[(a["port"], a["ip"])] == a["mac"] and neigh[(b["port"], b["ip"])] == b["mac"]


def test_tcp_across_vplane_with_iperf3(routed):
    v, a, b = routed
    ping6(a["ns"], b["ip"], 1)
    srv = subprocess.Popen(["ip", "netns", "exec", b["ns"], "iperf3", "-s", "-1"], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    r = sh(["ip", "netns", "exec", a["ns"], "iperf3", "-6", "-c", b["ip"], "-t", "2", "-J"])
    srv.wait(20)
    mbps = json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"] / 1e6
    print(f"iperf3 through vplane (IPv6 routed, af_packet): {mbps:.0f} Mbit/s")
    assert mbps > 10


def test_hop_limit_1_gets_time_exceeded_from_the_router(routed):
    v, a, b = routed
    r = ping6(a["ns"], b["ip"], count=1, extra=("-t", "1"))
    assert f"From {a['gw']}" in r.stdout and "Time exceeded" in r.stdout


def test_no_route_gets_unreachable(routed):
    v, a, b = routed
    r = ping6(a["ns"], "2001:db8:99::1", count=1)
    assert f"From {a['gw']}" in r.stdout and "No route" in r.stdout
    v.cli("ip route add 2001:db8:98::/48 prohibit")
    r = ping6(a["ns"], "2001:db8:98::1", count=1)
    assert "Administratively prohibited" in r.stdout
    v.cli("ip route add 2001:db8:97::/48 drop")
    r = ping6(a["ns"], "2001:db8:97::1", count=1)
    assert "From" not in r.stdout
    assert errors(v)[("ip6-lookup", "blackhole route")] >= 1


def test_oversize_gets_packet_too_big_with_the_mtu(routed):
    v, a, b = routed
    v.cli(f"set interface mtu 1280 {b['port']}")
    ping6(a["ns"], b["ip"], count=1)  # resolve first
    cap = Capture(a["ns"], a["if"], lfilter=lambda p: ICMPv6PacketTooBig in p)
    send(a["ns"], a["if"], [Ether(dst=v.interface(a["port"])["mac"], src=a["mac"]) /
                            IPv6(src=a["ip"], dst=b["ip"]) / UDP(dport=9) / Raw(b"x" * 1400)])
    got = cap.stop()
    assert got and got[0][ICMPv6PacketTooBig].mtu == 1280 and got[0][IPv6].src == a["gw"]
    # The kernel learns the path MTU from it: a big ping goes through, fragmented by the host
    # (b's link gets the same MTU so that its reply fits back).
    sh(["ip", "-n", b["ns"], "link", "set", b["if"], "mtu", "1280"])
    assert ping6(a["ns"], b["ip"], count=2, extra=("-s", "1400")).returncode == 0


def test_neighbor_solicitation_for_the_router_is_answered(routed):
    v, a, b = routed
    rmac = v.interface(a["port"])["mac"]
    cap = Capture(a["ns"], a["if"], lfilter=lambda p: ICMPv6ND_NA in p)
    send(a["ns"], a["if"], [Ether(dst="33:33:ff:00:00:01", src=a["mac"]) /
                            IPv6(src=a["ip"], dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt=a["gw"]) /
                            ICMPv6NDOptSrcLLAddr(lladdr=a["mac"])])
    got = cap.stop()
    assert got and got[0][ICMPv6ND_NA].tgt == a["gw"] and got[0][ICMPv6NDOptDstLLAddr].lladdr == rmac
    assert got[0][ICMPv6ND_NA].S == 1 and got[0][ICMPv6ND_NA].R == 1 and got[0][IPv6].dst == a["ip"]
    # Duplicate address detection (unspecified source): answered to all-nodes.
    cap = Capture(a["ns"], a["if"], lfilter=lambda p: ICMPv6ND_NA in p)
    send(a["ns"], a["if"], [Ether(dst="33:33:ff:00:00:01", src=a["mac"]) /
                            IPv6(src="::", dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt=a["gw"])])
    got = cap.stop()
    assert got and got[0][IPv6].dst == "ff02::1" and got[0][ICMPv6ND_NA].S == 0
    # Hop limit other than 255: not ND (RFC 4861 7.1.1), dropped and counted.
    send(a["ns"], a["if"], [Ether(dst="33:33:ff:00:00:01", src=a["mac"]) /
                            IPv6(src=a["ip"], dst="ff02::1:ff00:1", hlim=64) / ICMPv6ND_NS(tgt=a["gw"])])
    time.sleep(0.3)
    assert errors(v)[("ip6-nd-input", "invalid ND packet")] >= 1


def test_udp_and_unknown_protocols_to_the_router(routed):
    v, a, b = routed
    ping6(a["ns"], a["gw"], count=1)
    dmac = v.interface(a["port"])["mac"]
    cap = Capture(a["ns"], a["if"], lfilter=lambda p: ICMPv6DestUnreach in p or ICMPv6ParamProblem in p)
    send(a["ns"], a["if"], [Ether(dst=dmac, src=a["mac"]) / IPv6(src=a["ip"], dst=a["gw"]) / UDP(dport=4444),
                            Ether(dst=dmac, src=a["mac"]) / IPv6(src=a["ip"], dst=a["gw"], nh=253) / Raw(b"x" * 8)])
    got = cap.stop()
    unreach = [p for p in got if ICMPv6DestUnreach in p]
    param = [p for p in got if ICMPv6ParamProblem in p]
    assert unreach and unreach[0][ICMPv6DestUnreach].code == 4
    assert param and param[0][ICMPv6ParamProblem].code == 1 and param[0][ICMPv6ParamProblem].ptr == 6


def test_link_local_is_never_forwarded(routed):
    v, a, b = routed
    ping6(a["ns"], b["ip"], count=1)
    dmac = v.interface(a["port"])["mac"]
    cap = Capture(b["ns"], b["if"], lfilter=lambda p: UDP in p and p[UDP].dport == 7777)
    send(a["ns"], a["if"], [Ether(dst=dmac, src=a["mac"]) / IPv6(src=a["ll"], dst=b["ip"]) / UDP(dport=7777),
                            Ether(dst=dmac, src=a["mac"]) / IPv6(src=a["ip"], dst=b["ll"]) / UDP(dport=7777)])
    assert not cap.stop()
    assert errors(v)[("ip6-lookup", "link-local source or destination not forwarded")] == 2


def test_trace_shows_the_routed_path(routed):
    v, a, b = routed
    ping6(a["ns"], b["ip"], count=1)
    v.cli("clear trace")
    v.cli("trace add af-packet-input 5")
    ping6(a["ns"], b["ip"], count=1)
    paths = [[n["node"] for n in p["nodes"]] for p in v.json("show trace")]
    assert ["af-packet-input", "ethernet-input", "ip6-input", "ip6-lookup", "ip6-rewrite", "interface-output"] in paths


def test_ecmp_spreads_flows_and_keeps_each_flow_on_one_path(lab):
    v = lab.vplane()
    a, b, c = host6(lab, v, 1), host6(lab, v, 2), host6(lab, v, 3)
    v.cli(f"ip route add 2001:db8:50::/48 via {b['ip']} {b['port']}")
    v.cli(f"ip route add 2001:db8:50::/48 via {c['ip']} {c['port']}")
    ping6(a["ns"], b["ip"], 1), ping6(a["ns"], c["ip"], 1)
    dmac = v.interface(a["port"])["mac"]
    caps = [Capture(h["ns"], h["if"], lfilter=lambda p: UDP in p and p[UDP].dport == 7777) for h in (b, c)]
    flows = [Ether(dst=dmac, src=a["mac"]) / IPv6(src=a["ip"], dst="2001:db8:50::1") / UDP(sport=10000 + i, dport=7777)
             for i in range(64)]
    send(a["ns"], a["if"], flows + flows)
    got = [c.stop() for c in caps]
    ports = [sorted(p[UDP].sport for p in g) for g in got]
    assert ports[0] and ports[1], "both next hops get a share"
    assert not set(ports[0]) & set(ports[1]), "a flow never takes two paths"
    assert len(ports[0]) + len(ports[1]) == 128


def test_vrfs_and_a_link_local_next_hop(lab):
    v = lab.vplane()
    v.cli("ip6 table add 10")
    a, b = host6(lab, v, 1), host6(lab, v, 2)
    c, d = host6(lab, v, 1, vrf=10), host6(lab, v, 3, vrf=10)  # c reuses 2001:db8:1::/64 in table 10
    for h in (b, d):
        sh(["ip", "-n", h["ns"], "addr", "add", "2001:db8:60::1/128", "dev", "lo"])
    v.cli(f"ip route add 2001:db8:60::/48 via {b['ll']} {b['port']}")  # link-local next hop: needs the interface
    v.cli(f"ip route add 2001:db8:60::/48 table 10 via {d['ip']}")
    assert "needs an interface" in v.cli_fail(f"ip route add 2001:db8:61::/48 via {b['ll']}")
    capb = Capture(b["ns"], b["if"], lfilter=lambda p: ICMPv6EchoRequest in p and p[IPv6].dst == "2001:db8:60::1")
    capd = Capture(d["ns"], d["if"], lfilter=lambda p: ICMPv6EchoRequest in p and p[IPv6].dst == "2001:db8:60::1")
    assert ping6(a["ns"], "2001:db8:60::1", 1).returncode == 0
    assert ping6(c["ns"], "2001:db8:60::1", 1).returncode == 0
    gb, gd = capb.stop(), capd.stop()
    assert {p[IPv6].src for p in gb} == {a["ip"]} and {p[IPv6].src for p in gd} == {c["ip"]}
    assert ping6(a["ns"], d["ip"], 1).returncode != 0  # no leaking between tables


def test_recursive_route_follows_its_parent(lab):
    v = lab.vplane()
    a, b, c = host6(lab, v, 1), host6(lab, v, 2), host6(lab, v, 3)
    for h in (b, c):
        sh(["ip", "-n", h["ns"], "addr", "add", "2001:db8:70::1/128", "dev", "lo"])
    v.cli(f"ip route add 2001:db8:ff::1/128 via {b['ip']}")  # the parent
    v.cli("ip route add 2001:db8:70::/48 via 2001:db8:ff::1")  # recursive through it
    ping6(a["ns"], b["ip"], 1), ping6(a["ns"], c["ip"], 1)

    def lands():
        caps = {n: Capture(h["ns"], h["if"],
                           lfilter=lambda p: ICMPv6EchoRequest in p and p[IPv6].dst == "2001:db8:70::1")
                for n, h in (("b", b), ("c", c))}
        ping6(a["ns"], "2001:db8:70::1", 1)
        return {n: len(cap.stop()) for n, cap in caps.items()}

    assert lands()["b"] >= 1
    v.cli(f"ip route del 2001:db8:ff::1/128 via {b['ip']}")
    v.cli(f"ip route add 2001:db8:ff::1/128 via {c['ip']}")
    r = lands()
    assert r["c"] >= 1 and r["b"] == 0


def test_ipv6_configuration_survives_in_running_config(lab):
    v = lab.vplane()
    v.cli("ip6 table add 7")
    a = host6(lab, v, 1)
    v.cli(f"ip route add 2001:db8:80::/48 via {a['ip']}")
    v.cli(f"ip neighbor {a['port']} 2001:db8:1::9 02:00:00:00:00:09")
    rc = v.cli("show running-config")
    for line in ("ip6 table add 7", f"set interface ip address {a['port']} 2001:db8:1::1/64",
                 f"ip route add 2001:db8:80::/48 via {a['ip']}",
                 f"ip neighbor {a['port']} 2001:db8:1::9 02:00:00:00:00:09"):
        assert line in rc
    # Bad commands name what is wrong and change nothing.
    assert "link-local" in v.cli_fail(f"set interface ip address {a['port']} fe80::5/64")
    assert "no IPv6 table 99" in v.cli_fail(f"set interface ip6 table {a['port']} 99")
    assert "different families" in v.cli_fail("ip route add 2001:db8:81::/48 via 10.0.0.1")
    assert v.cli("show running-config") == rc
