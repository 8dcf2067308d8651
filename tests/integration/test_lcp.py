"""Linux control plane: a mirror TAP in its own namespace carries what is
for the router (TCP to its address, ARP the kernel needs) while vplane
answers pings itself and forwards transit traffic without the mirror."""
import json
import signal
import subprocess
import time

from test_ip4 import host, ping
from vplane_harness import sh


def mirror_link(ns, name):
    return json.loads(sh(["ip", "-n", ns, "-j", "addr", "show", name]).stdout)[0]


def pair(v, port):
    return next(p for p in v.json("show lcp")["pairs"] if p["interface"] == port)


def test_mirror_carries_tcp_to_the_router_and_nothing_else(lab):
    v = lab.vplane(workers=1)
    a, b = host(lab, v, 61), host(lab, v, 62)
    m = lab.ns()
    v.cli(f"lcp create {a['port']} host-if vpp0 netns {m}")
    # The mirror: same MAC, MTU and address as the port, up, in its namespace.
    link = mirror_link(m, "vpp0")
    port = v.interface(a["port"])
    assert link["address"] == port["mac"] and link["mtu"] == port["mtu"] and "UP" in link["flags"]
    assert any(x["local"] == a["gw"] and x["prefixlen"] == 24 for x in link["addr_info"])
    assert f"{a['port']} already has a Linux mirror" in v.cli_fail(f"lcp create {a['port']} host-if vpp1")
    assert "remove it first with 'lcp delete" in v.cli_fail(f"delete host-interface name {a['port'][5:]}")

    # Transit between a and b never touches the mirror (neighbours static: no ARP either way).
    v.cli(f"ip neighbor {a['port']} {a['ip']} {a['mac']}")
    v.cli(f"ip neighbor {b['port']} {b['ip']} {b['mac']}")
    before = pair(v, a["port"])
    assert ping(a["ns"], b["ip"], count=5).returncode == 0
    after = pair(v, a["port"])
    assert after["punted"] == before["punted"] and after["injected"] == before["injected"]
    # vplane answers pings to its address itself.
    assert ping(a["ns"], a["gw"]).returncode == 0
    assert pair(v, a["port"])["punted"] == before["punted"]

    # TCP to the router's address reaches a server in the mirror namespace, both ways through vplane's port.
    srv = subprocess.Popen(["ip", "netns", "exec", m, "iperf3", "-s", "-1", "-B", a["gw"]], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        r = sh(["ip", "netns", "exec", a["ns"], "iperf3", "-c", a["gw"], "-t", "2", "-J"])
        srv.wait(20)
    finally:
        srv.kill()
    mbps = json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"] / 1e6
    print(f"iperf3 to a server behind the Linux mirror: {mbps:.0f} Mbit/s")
    assert mbps > 1
    # The other way the kernel hands vplane 32 KB TSO frames (virtio-net header); vplane segments them for the port.
    gso0 = v.json("show lcp")["mirror_ring"]["gso_rx"]
    srv = subprocess.Popen(["ip", "netns", "exec", m, "iperf3", "-s", "-1", "-B", a["gw"]], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        r = sh(["ip", "netns", "exec", a["ns"], "iperf3", "-c", a["gw"], "-t", "2", "-R", "-J"])
        srv.wait(20)
    finally:
        srv.kill()
    mbps = json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"] / 1e6
    ring = v.json("show lcp")["mirror_ring"]
    print(f"iperf3 from a server behind the Linux mirror: {mbps:.0f} Mbit/s, {ring['gso_rx'] - gso0} GSO frames")
    assert mbps > 1 and ring["gso_rx"] - gso0 > 100 and ring["mirrors"] == 1 and ring["rx_errors"] == 0
    p = pair(v, a["port"])
    assert p["punted"] > 1000 and p["injected"] > 100
    assert v.interface(a["port"])["counters"]["punts"] > 1000
    # The kernel learned the host's MAC from the ARP reply vplane passed on.
    neigh = json.loads(sh(["ip", "-n", m, "-j", "neigh", "show", "dev", "vpp0"]).stdout)
    assert any(n["dst"] == a["ip"] and n.get("lladdr") == a["mac"] for n in neigh)

    run = v.cli("show running-config")
    assert f"lcp create {a['port']} host-if vpp0 netns {m}" in run and "vpp0" not in run.replace(
        f"lcp create {a['port']} host-if vpp0", "")

    # Without the mirror, TCP to the router is refused by vplane itself again.
    v.cli(f"lcp delete {a['port']}")
    # The TAP goes in the next batch of deletions (every 20 ms).
    assert wait_for(lambda: sh(["ip", "-n", m, "link", "show", "vpp0"], check=False).returncode != 0, 2)
    r = sh(["ip", "netns", "exec", a["ns"], "iperf3", "-c", a["gw"], "-t", "1"], check=False)
    assert r.returncode != 0
    assert v.json("show lcp")["pairs"] == []
    assert ping(a["ns"], b["ip"]).returncode == 0


def test_default_namespace_and_bad_commands(lab):
    v = lab.vplane()
    a = host(lab, v, 63)
    m = lab.ns()
    v.cli(f"lcp default netns {m}")
    v.cli(f"lcp create {a['port']} host-if vpp9")
    assert mirror_link(m, "vpp9")["address"] == v.interface(a["port"])["mac"]
    mirror = pair(v, a["port"])["mirror"]
    assert "is the Linux mirror of" in v.cli_fail(f"lcp create {mirror} host-if x1")
    assert "not a Linux interface name" in v.cli_fail(f"lcp create {a['port']} host-if a/b")
    assert "has no Linux mirror" in v.cli_fail(f"lcp delete {mirror}")
    assert v.cli_fail("lcp create nosuch0 host-if x2")
    run = v.cli("show running-config")
    assert f"lcp default netns {m}\nlcp create {a['port']} host-if vpp9\n" in run
    v.cli(f"lcp delete {a['port']}")


def test_api_pairs_like_the_cli(lab):
    v = lab.vplane()
    a = host(lab, v, 64)
    m = lab.ns()
    c = v.client()
    idx = c.interface(a["port"]).sw_if_index
    c.lcp_default_netns(m)
    c.lcp_create(idx, "vpp7")
    got = c.lcp_pairs()
    assert got.default_netns == m and len(got.pairs) == 1
    p = got.pairs[0]
    assert (p.sw_if_index, p.host_if, p.netns) == (idx, "vpp7", m)
    assert mirror_link(m, "vpp7")["address"] == v.interface(a["port"])["mac"]
    assert pair(v, a["port"])["mirror_sw_if_index"] == p.mirror_sw_if_index
    import grpc
    import pytest
    for call, words in ((lambda: c.lcp_create(idx, "vpp8"), "already has a Linux mirror"),
                        (lambda: c.lcp_create(p.mirror_sw_if_index, "vpp8"), "is the Linux mirror of"),
                        (lambda: c.lcp_create(idx, "", m), "not a Linux interface name"),
                        (lambda: c.lcp_default_netns("a/b"), "not a namespace name"),
                        (lambda: c.lcp_delete(9999), "no interface with index 9999"),
                        (lambda: c.lcp_netlink(100, 10), "at least 4096 bytes"),
                        (lambda: c.lcp_netlink(1 << 20, 256, delay_us=2000000), "more than a second"),
                        (lambda: c.fpm(listen="127.0.0.1"), "is not <IPv4 address>:<port>"),
                        (lambda: c.fpm(stale_timeout=99999), "out of range")):
        with pytest.raises(grpc.RpcError) as e:
            call()
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and words in e.value.details()
    # The netlink and FPM settings, as the CLI's lcp netlink / fpm listen.
    c.lcp_netlink(1 << 20, 256, delay_us=500)
    c.fpm(listen="127.0.0.1:26201", stale_timeout=7)
    st = c.fpm_status()
    assert st.config.on and st.config.listen == "127.0.0.1:26201" and st.config.netns == m and not st.connected
    run = v.cli("show running-config")
    assert "lcp netlink buffer 1048576 batch 256 delay 500" in run and f"fpm listen 127.0.0.1:26201 netns {m} stale-timeout 7" in run
    assert v.json("show fpm")["listen"] == "127.0.0.1:26201"
    c.fpm(on=False)
    assert not c.fpm_status().config.on and "fpm listen" not in v.cli("show running-config")
    c.lcp_delete(idx)
    assert len(c.lcp_pairs().pairs) == 0


def fib_routes(v, source="netlink", family="ip"):
    """{prefix: [next hops]} of the table-0 routes whose best source is `source` (family "ip6": IPv6)."""
    return {e["prefix"]: sorted(p.get("via", "") for p in e["paths"]) for e in v.json(f"show {family} fib")["entries"]
            if e["source"] == source}


def wait_for(pred, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def test_linux_routes_addresses_and_link_state_reach_vplane(lab):
    v = lab.vplane()
    a = host(lab, v, 65)
    m = lab.ns()
    v.cli(f"lcp create {a['port']} host-if vpp0 netns {m}")
    ipm = ["ip", "-n", m]
    # Routes set in the mirror namespace (as a routing daemon would) become netlink routes in vplane's FIB.
    sh(ipm + ["route", "add", "198.51.100.0/24", "via", a["ip"]])
    sh(ipm + ["route", "add", "203.0.113.0/25", "via", a["ip"], "dev", "vpp0"])
    sh(ipm + ["route", "add", "blackhole", "192.0.2.128/25"])
    assert wait_for(lambda: {"198.51.100.0/24", "203.0.113.0/25", "192.0.2.128/25"} <= set(fib_routes(v)))
    assert fib_routes(v)["198.51.100.0/24"] == [a["ip"]]
    # ...and forward: a packet from the host to 198.51.100.7 comes back to it via vplane, not via the kernel
    # (the neighbour is static: no ARP reply to pass on either).
    v.cli(f"ip neighbor {a['port']} {a['ip']} {a['mac']}")
    before = pair(v, a["port"])
    assert ping(a["ns"], "198.51.100.7", count=1).returncode != 0  # nobody answers, but vplane forwards it back
    after = pair(v, a["port"])
    assert after["punted"] == before["punted"]
    sh(ipm + ["route", "del", "198.51.100.0/24"])
    assert wait_for(lambda: "198.51.100.0/24" not in fib_routes(v))
    # Addresses: added and removed in Linux, added and removed on the paired interface.
    sh(ipm + ["addr", "add", "10.66.0.1/24", "dev", "vpp0"])
    has = lambda: any(i["name"] == a["port"] and "10.66.0.1/24" in i["addresses"]  # noqa: E731
                      for i in v.json("show interface addr"))
    assert wait_for(has)
    sh(ipm + ["addr", "del", "10.66.0.1/24", "dev", "vpp0"])
    assert wait_for(lambda: not has())
    # Link state: down in Linux, down in vplane, and back.
    sh(ipm + ["link", "set", "vpp0", "down"])
    assert wait_for(lambda: not v.interface(a["port"])["admin_up"])
    sh(ipm + ["link", "set", "vpp0", "up"])
    assert wait_for(lambda: v.interface(a["port"])["admin_up"])
    nl = v.json("show lcp")["netlink"][0]
    assert nl["netns"] == m and nl["routes"] >= 4 and nl["overflows"] == 0
    v.cli(f"lcp delete {a['port']}")


def test_a_burst_larger_than_the_socket_buffer_ends_equal_to_the_kernel(lab, tmp_path):
    v = lab.vplane()
    a = host(lab, v, 67)
    m = lab.ns()
    v.cli("lcp netlink buffer 65536 batch 64")  # small on purpose: the burst must overflow it
    v.cli(f"lcp create {a['port']} host-if vpp0 netns {m}")
    batch = tmp_path / "routes"
    n = 20000
    # vplaned stopped while the kernel sends the burst: the socket buffer
    # must overflow whatever the machine's speed (a busy listener read fast
    # enough to keep up on a quick one, and the overflow went untested).
    v.proc.send_signal(signal.SIGSTOP)
    try:
        batch.write_text("".join(f"route add 100.{k >> 8}.{k & 255}.0/24 via {a['ip']}\n" for k in range(n)))
        sh(["ip", "-n", m, "-batch", str(batch)])
        # Delete some again in the same burst, so a resync must also remove what it had applied.
        batch.write_text("".join(f"route del 100.{k >> 8}.{k & 255}.0/24\n" for k in range(0, n, 7)))
        sh(["ip", "-n", m, "-batch", str(batch)])
    finally:
        v.proc.send_signal(signal.SIGCONT)
    want = n - len(range(0, n, 7))
    assert wait_for(lambda: len(fib_routes(v)) == want, timeout=60), len(fib_routes(v))
    kernel = {r["dst"] for r in json.loads(sh(["ip", "-n", m, "-j", "route", "show", "proto", "boot"]).stdout)}
    assert set(fib_routes(v)) == kernel
    assert v.json("show lcp")["netlink"][0]["overflows"] >= 1
    assert "lcp netlink buffer 65536 batch 64" in v.cli("show running-config")
    v.cli(f"lcp delete {a['port']}")


def test_vplane_changes_reach_the_mirror_without_loops(lab):
    v = lab.vplane()
    a = host(lab, v, 68)
    v.cli(f"set interface ip address {a['port']} 10.68.1.1/24")
    m = lab.ns(ipv6=True)
    v.cli(f"lcp create {a['port']} host-if vpp0 netns {m}")
    addrs = lambda: sorted(f"{x['local']}/{x['prefixlen']}" for x in mirror_link(m, "vpp0")["addr_info"]  # noqa
                           if not x["local"].startswith("fe80"))
    assert addrs() == ["10.68.0.1/24", "10.68.1.1/24"]  # every address, not just the first
    v.cli(f"set interface ip address {a['port']} 2001:db8:68::1/64")
    v.cli(f"set interface ip address del {a['port']} 10.68.1.1/24")
    assert wait_for(lambda: addrs() == ["10.68.0.1/24", "2001:db8:68::1/64"])
    v.cli(f"set interface mtu 1400 {a['port']}")
    assert wait_for(lambda: mirror_link(m, "vpp0")["mtu"] == 1400)
    v.cli(f"set interface state {a['port']} down")
    assert wait_for(lambda: "UP" not in mirror_link(m, "vpp0")["flags"])
    time.sleep(0.5)  # the listener sees the mirror go down: vplane must not bounce it
    assert not v.interface(a["port"])["admin_up"]
    v.cli(f"set interface state {a['port']} up")
    assert wait_for(lambda: "UP" in mirror_link(m, "vpp0")["flags"])
    time.sleep(0.5)
    assert v.interface(a["port"])["admin_up"] and v.interface(a["port"])["mtu"] == 1400
    assert [x for i in v.json("show interface addr") if i["name"] == a["port"] for x in i["addresses"]] == [
        "10.68.0.1/24", "2001:db8:68::1/64"]
    v.cli(f"lcp delete {a['port']}")


def test_many_pairs_settle_without_bouncing_link_state(lab):
    """vplane's own link changes come back from Linux as echoes; with two in flight they must not bounce
    vplane's state for ever (they did: thousands of netlink messages per pair)."""
    v = lab.vplane(workers=1)
    m = lab.ns()
    n = 30
    script = "".join("create loopback interface\n" for _ in range(n)) + "".join(
        f"lcp create loop{k} host-if m{k} netns {m}\n" for k in range(n))
    t0 = time.time()
    rc, out, err = v.ctl(stdin=script)
    took = time.time() - t0
    assert rc == 0, err
    time.sleep(1)
    nl = v.json("show lcp")["netlink"][0]
    settled = nl["messages"]
    time.sleep(1)
    assert v.json("show lcp")["netlink"][0]["messages"] == settled  # quiet: nothing bounces
    assert settled < 40 * n, settled
    assert len(v.json("show lcp")["pairs"]) == n and took < 20
    assert all(not i["admin_up"] for i in v.json("show interface") if i["name"].startswith("loop"))


def test_mirror_carrier_follows_the_ports_link(lab, tmp_path):
    """A memif port without its peer has no link: its mirror shows NO-CARRIER until the peer connects,
    and again after the peer goes."""
    va, vb = lab.vplane(workers=0), lab.vplane(workers=0)
    m = lab.ns()
    sock = str(tmp_path / "memif.sock")
    va.cli(f"create memif socket id 1 filename {sock}")
    va.cli("create interface memif id 0 socket-id 1 master")
    va.cli("set interface state memif1/0 up")
    va.cli(f"lcp create memif1/0 host-if mem0 netns {m}")
    link = lambda: mirror_link(m, "mem0")  # noqa: E731
    assert "NO-CARRIER" in link()["flags"] and link()["operstate"] == "DOWN"
    vb.cli(f"create memif socket id 1 filename {sock}")
    vb.cli("create interface memif id 0 socket-id 1 slave")
    vb.cli("set interface state memif1/0 up")
    assert wait_for(lambda: "NO-CARRIER" not in link()["flags"], 10), link()
    assert wait_for(lambda: link()["operstate"] in ("UP", "UNKNOWN"), 5), link()
    vb.cli("delete interface memif memif1/0")
    assert wait_for(lambda: "NO-CARRIER" in link()["flags"], 10), link()
