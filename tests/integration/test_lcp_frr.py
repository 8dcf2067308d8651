"""FRR on vplane's Linux mirror: bgpd in the mirrors' namespace peers with
ExaBGP in a host namespace across vplane's port (BGP's TCP is punted to the
mirror and injected back), learns 10k prefixes, zebra installs them in the
kernel, the netlink listener copies them into vplane's FIB, and vplane, not
the kernel, forwards traffic to them. Withdrawing them removes them, and a
zebra restart ends with vplane equal to the kernel. OSPF with BIRD, and
zebra programming vplane over FPM."""
import json
import os
import shutil
import signal
import time

from routing_peers import frr_dir, start_exabgp, start_frr
from test_ip4 import host, ping
from test_lcp import fib_routes, pair, wait_for
from vplane_harness import sh

N = 10000


def bird_conf(n):
    routes = "".join(f"  route 172.{16 + k // 256}.{k % 256}.0/24 blackhole;\n" for k in range(n))
    return f"""router id 10.70.0.2;
protocol device {{}}
protocol static s1 {{
  ipv4;
{routes}}}
protocol bgp up {{
  local 10.70.0.2 as 65002;
  neighbor 10.70.0.1 as 65001;
  ipv4 {{ import none; export all; }};
}}
"""


def test_frr_bgp_on_the_mirror_learns_from_exabgp_and_vplane_forwards(lab):
    v = lab.vplane(workers=1)
    peer, client = host(lab, v, 70), host(lab, v, 71)
    m = lab.ns()
    v.cli(f"lcp create {peer['port']} host-if vpp0 netns {m}")
    d = frr_dir()
    try:
        run_frr_and_exabgp(lab, v, peer, client, m, d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def run_frr_and_exabgp(lab, v, peer, client, m, d):
    (d / "zebra.conf").write_text("hostname mirror\n")
    (d / "bgpd.conf").write_text("""router bgp 65001
 bgp router-id 10.70.0.1
 no bgp ebgp-requires-policy
 neighbor 10.70.0.2 remote-as 65002
 address-family ipv4 unicast
  neighbor 10.70.0.2 activate
 exit-address-family
""")
    start_frr(m, d)
    # The peer's side: ExaBGP announcing N /24s; one of them is answered by the peer itself.
    sh(["ip", "-n", peer["ns"], "addr", "add", "172.16.5.1/32", "dev", "lo"])
    t0 = time.time()
    exa = start_exabgp(peer["ns"], d, peer["ip"], peer["gw"], N)
    try:
        converge(v, peer, client, m, d, t0)
    finally:
        exa.kill()
        exa.wait()


def converge(v, peer, client, m, d, t0):
    ok = wait_for(lambda: len(fib_routes(v)) >= N, timeout=120)
    vtysh = ["ip", "netns", "exec", m, "vtysh", "--vty_socket", str(d), "-c"]
    assert ok, (len(fib_routes(v)), sh(vtysh + ["show bgp summary"], check=False).stdout)
    print(f"{N} BGP prefixes from ExaBGP -> FRR -> kernel -> vplane in {time.time() - t0:.1f} s")
    routes = fib_routes(v)
    assert routes["172.16.5.0/24"] == [peer["ip"]] and routes[f"172.{16 + (N - 1) // 256}.{(N - 1) % 256}.0/24"]
    # vplane forwards to them; the mirror sees none of it.
    assert ping(client["ns"], "172.16.5.1", count=1).returncode == 0  # warm-up: ARP
    before = pair(v, peer["port"])
    assert ping(client["ns"], "172.16.5.1", count=5).returncode == 0
    after = pair(v, peer["port"])
    assert after["injected"] - before["injected"] < 5 and after["punted"] - before["punted"] < 5  # BGP keepalives only
    # Withdraw all but 100: vplane follows.
    (d / "keep").write_text("100")
    assert wait_for(lambda: len(fib_routes(v)) == 100, timeout=60), len(fib_routes(v))
    assert ping(client["ns"], "172.16.5.1", count=1).returncode == 0
    kernel = json.loads(sh(["ip", "-n", m, "-j", "route", "show", "proto", "bgp"]).stdout)
    assert {r["dst"] for r in kernel} == set(fib_routes(v))
    # zebra and bgpd restart: their routes leave the kernel and come back; vplane ends equal, nothing stale.
    for daemon in ("bgpd", "zebra"):
        pid = int((d / f"{daemon}.pid").read_text())
        os.kill(pid, signal.SIGTERM)
        assert wait_for(lambda: not os.path.exists(f"/proc/{pid}"), timeout=20), daemon
    assert wait_for(lambda: not fib_routes(v), timeout=30), len(fib_routes(v))
    start_frr(m, d)
    assert wait_for(lambda: len(fib_routes(v)) == 100, timeout=90), len(fib_routes(v))
    kernel = json.loads(sh(["ip", "-n", m, "-j", "route", "show", "proto", "bgp"]).stdout)
    assert {r["dst"] for r in kernel} == set(fib_routes(v))


def test_frr_ospf_on_the_mirror_forms_an_adjacency_with_bird(lab):
    """OSPF hellos are multicast (224.0.0.5): punted to the mirror like unicast; ospfd's route to BIRD's
    stub network reaches vplane's FIB and vplane forwards to it."""
    v = lab.vplane()
    peer, client = host(lab, v, 72), host(lab, v, 73)
    m = lab.ns()
    v.cli(f"lcp create {peer['port']} host-if vpp0 netns {m}")
    d = frr_dir()
    try:
        (d / "zebra.conf").write_text("hostname mirror\n")
        (d / "ospfd.conf").write_text("""interface vpp0
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 4
router ospf
 ospf router-id 10.72.0.1
 network 10.72.0.0/24 area 0
""")
        start_frr(m, d, ("zebra", "ospfd"))
        sh(["ip", "-n", peer["ns"], "addr", "add", "172.30.0.1/32", "dev", "lo"])
        (d / "bird.conf").write_text(f"""router id 10.72.0.2;
protocol device {{}}
protocol ospf v2 o1 {{
  ipv4 {{ import none; export none; }};
  area 0 {{
    interface "{peer['if']}" {{ type pointopoint; hello 1; dead 4; }};
    interface "lo" {{ stub yes; }};
  }};
}}
""")
        sh(["ip", "netns", "exec", peer["ns"], "bird", "-c", str(d / "bird.conf"), "-s", str(d / "bird.ctl"),
            "-P", str(d / "bird.pid")])
        vtysh = ["ip", "netns", "exec", m, "vtysh", "--vty_socket", str(d), "-c"]
        ok = wait_for(lambda: "172.30.0.1/32" in fib_routes(v), timeout=60)
        assert ok, sh(vtysh + ["show ip ospf neighbor"], check=False).stdout
        assert "Full" in sh(vtysh + ["show ip ospf neighbor"]).stdout
        assert fib_routes(v)["172.30.0.1/32"] == [peer["ip"]]
        assert ping(client["ns"], "172.30.0.1", count=2).returncode == 0
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_frr_over_fpm_and_a_hard_zebra_restart_sweeps_what_it_no_longer_has(lab):
    """zebra programs vplane directly over FPM (dplane_fpm_nl, next-hop objects on); a zebra killed without
    goodbye comes back and replays fewer routes with no end marker: the rest is swept after the stale timeout."""
    import socket
    v = lab.vplane()
    peer, client = host(lab, v, 74), host(lab, v, 75)
    m = lab.ns(ipv6=True)
    # IPv6 too: a second BGP session over IPv6 carries IPv6 prefixes.
    v.cli(f"set interface ip address {peer['port']} 2001:db8:74::1/64")
    sh(["ip", "netns", "exec", peer["ns"], "sysctl", "-qw", f"net.ipv6.conf.{peer['if']}.disable_ipv6=0"])
    sh(["ip", "-n", peer["ns"], "addr", "add", "2001:db8:74::2/64", "dev", peer["if"], "nodad"])
    v.cli(f"lcp create {peer['port']} host-if vpp0 netns {m}")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    v.cli(f"fpm listen 127.0.0.1:{port} netns {m} stale-timeout 3")
    assert f"fpm listen 127.0.0.1:{port} netns {m} stale-timeout 3" in v.cli("show running-config")
    d = frr_dir()
    try:
        (d / "zebra.conf").write_text(f"hostname mirror\nfpm address 127.0.0.1 port {port}\n")
        (d / "bgpd.conf").write_text("""router bgp 65001
 bgp router-id 10.74.0.1
 no bgp ebgp-requires-policy
 neighbor 10.74.0.2 remote-as 65002
 neighbor 2001:db8:74::2 remote-as 65002
 address-family ipv4 unicast
  neighbor 10.74.0.2 activate
  no neighbor 2001:db8:74::2 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8:74::2 activate
 exit-address-family
""")
        start_frr(m, d, ("zebra", "bgpd"), zebra_args=("-M", "dplane_fpm_nl"))
        sh(["ip", "-n", peer["ns"], "addr", "add", "172.16.5.1/32", "dev", "lo"])
        v6 = """protocol static s6 {
  ipv6;
  route 2001:db8:7400::/48 blackhole;
  route 2001:db8:7401::/48 blackhole;
  route 2001:db8:7402::/48 blackhole;
}
protocol bgp up6 {
  local 2001:db8:74::2 as 65002;
  neighbor 2001:db8:74::1 as 65001;
  ipv6 { import none; export all; };
}
"""
        conf = lambda n: bird_conf(n).replace("10.70.0.2", "10.74.0.2").replace("10.70.0.1", "10.74.0.1") + v6  # noqa
        (d / "bird.conf").write_text(conf(1000))
        sh(["ip", "netns", "exec", peer["ns"], "bird", "-c", str(d / "bird.conf"), "-s", str(d / "bird.ctl"),
            "-P", str(d / "bird.pid")])
        ok = wait_for(lambda: len(fib_routes(v, "fpm")) == 1000, timeout=90)
        assert ok, (len(fib_routes(v, "fpm")), v.cli("show fpm"))
        ok = wait_for(lambda: len(fib_routes(v, "fpm", "ip6")) == 3, timeout=60)
        vtysh = ["ip", "netns", "exec", m, "vtysh", "--vty_socket", str(d), "-c"]
        assert ok, (fib_routes(v, "fpm", "ip6"), v.cli("show fpm"), sh(vtysh + ["show bgp summary"]).stdout,
                    sh(vtysh + ["show ipv6 route"]).stdout)
        # zebra installs the peer's global address or its link-local one (both are in BGP's next hop).
        addrs = json.loads(sh(["ip", "-n", peer["ns"], "-j", "-6", "addr", "show", peer["if"]]).stdout)[0]["addr_info"]
        peer_ll = next(a["local"] for a in addrs if a.get("scope") == "link")
        assert fib_routes(v, "fpm", "ip6")["2001:db8:7401::/48"][0] in ("2001:db8:74::2", peer_ll)
        fpm = v.json("show fpm")
        assert fpm["connected"] and fpm["nexthops"] >= 1 and fpm["routes"] == 1003
        assert ping(client["ns"], "172.16.5.1", count=2).returncode == 0
        # Withdrawals while zebra is up arrive as deletes (zebra leaves their route type unset).
        (d / "bird.conf").write_text(conf(900))
        sh(["ip", "netns", "exec", peer["ns"], "birdc", "-s", str(d / "bird.ctl"), "configure"])
        assert wait_for(lambda: len(fib_routes(v, "fpm")) == 900, timeout=60), len(fib_routes(v, "fpm"))
        assert v.json("show fpm")["routes"] == 903
        (d / "bird.conf").write_text(conf(1000))
        sh(["ip", "netns", "exec", peer["ns"], "birdc", "-s", str(d / "bird.ctl"), "configure"])
        assert wait_for(lambda: len(fib_routes(v, "fpm")) == 1000, timeout=60), len(fib_routes(v, "fpm"))
        # zebra and bgpd die without a word; the peer now announces fewer routes.
        for daemon in ("bgpd", "zebra"):
            os.kill(int((d / f"{daemon}.pid").read_text()), signal.SIGKILL)
        (d / "bird.conf").write_text(conf(600))
        sh(["ip", "netns", "exec", peer["ns"], "birdc", "-s", str(d / "bird.ctl"), "configure"])
        time.sleep(1)
        assert len(fib_routes(v, "fpm")) == 1000  # nothing is lost while zebra is away
        start_frr(m, d, ("zebra", "bgpd"), zebra_args=("-M", "dplane_fpm_nl"))
        assert wait_for(lambda: v.json("show fpm")["connections"] == 2, timeout=30)
        assert wait_for(lambda: len(fib_routes(v, "fpm")) == 600, timeout=90), len(fib_routes(v, "fpm"))
        assert v.json("show fpm")["stale_removed"] == 400
        assert ping(client["ns"], "172.16.5.1", count=1).returncode == 0
    finally:
        shutil.rmtree(d, ignore_errors=True)
