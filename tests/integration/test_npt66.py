"""NPTv6 (RFC 6296) end to end (docs/nat.md): vplaned routes between an
inside namespace numbered from a ULA prefix and an outside namespace, with
a binding on its outside port. The outside kernel sees the external
address and answers it (ping6, UDP, TCP, its checksums checked as kernels
check them), connects to an external address and reaches the inside host,
and its ICMPv6 errors reach the inside socket they are about."""
import socket

import grpc
import pytest
from scapy.all import ICMPv6EchoRequest, IPv6

from vplane_harness import Capture, netns, sh

INTERNAL, EXTERNAL = "fd01:203:405::/48", "2001:db8:1::/48"
# RFC 6296's example: fd01:203:405:1::/64 leaves as 2001:db8:1:d550::/64.
INSIDE, INSIDE_EXT = "fd01:203:405:1::2", "2001:db8:1:d550::2"
OUTSIDE = "2001:db8:2::2"


def host(lab, v, addr, gw, routes=("default",)):
    """A namespace behind a vplane af_packet port: `addr`/64 on its side,
    `gw`/64 on vplane's."""
    ns = lab.ns(ipv6=True)
    outer, inner = lab.veth(ns)
    port = v.cli(f"create host-interface name {outer}").strip()
    v.cli(f"set interface ip address {port} {gw}/64")
    v.cli(f"set interface state {port} up")
    sh(["ip", "-n", ns, "addr", "add", f"{addr}/64", "dev", inner, "nodad"])
    for r in routes:
        sh(["ip", "-n", ns, "-6", "route", "add", r, "via", gw])
    return {"ns": ns, "if": inner, "port": port, "ip": addr, "gw": gw}


@pytest.fixture
def npt(lab):
    v = lab.vplane()
    a = host(lab, v, INSIDE, "fd01:203:405:1::1")
    # The upstream routes the external prefix to vplane: nothing is asked
    # by Neighbor Discovery for the external addresses.
    b = host(lab, v, OUTSIDE, "2001:db8:2::1", routes=(EXTERNAL,))
    v.cli(f"set interface npt66 {b['port']} internal {INTERNAL} external {EXTERNAL}")
    return v, a, b


def ping6(ns, addr, count=2):
    return sh(["ip", "netns", "exec", ns, "ping", "-6", "-c", str(count), "-i", "0.2", "-W", "1", addr], check=False)


def sock(ns, kind, bind=None):
    with netns(ns):
        s = socket.socket(socket.AF_INET6, kind)
    s.settimeout(3)
    if bind:
        s.bind(bind)
    return s


def csum_errors(ns):
    """The kernel's counts of segments and datagrams dropped for a bad checksum."""
    snmp6 = dict(line.split() for line in sh(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp6"]).stdout.splitlines()
                 if line.strip())
    tcp = [line.split()[1:] for line in sh(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"]).stdout.splitlines()
           if line.startswith("Tcp:")]
    return {"Udp6InCsumErrors": int(snmp6["Udp6InCsumErrors"]), "Icmp6InCsumErrors": int(snmp6["Icmp6InCsumErrors"]),
            "TcpInCsumErrors": int(dict(zip(*tcp))["InCsumErrors"])}


def binding(v):
    (b,) = v.json("show npt66")
    return b


def test_ping6_leaves_from_the_external_address_and_comes_back(npt):
    v, a, b = npt
    cap = Capture(b["ns"], b["if"], lfilter=lambda p: ICMPv6EchoRequest in p)
    r = ping6(a["ns"], OUTSIDE, count=3)
    got = cap.stop()
    assert r.returncode == 0, r.stdout + r.stderr
    assert got and {p[IPv6].src for p in got} == {INSIDE_EXT}
    bd = binding(v)
    assert bd["translated_out"] >= 3 and bd["translated_in"] >= 3
    assert bd["adjustment"] == 0xd54f and bd["interface"] == b["port"]


def test_udp_and_tcp_exchanges_see_the_external_peer(npt):
    v, a, b = npt
    ping6(a["ns"], OUTSIDE, 1)  # neighbours resolved
    srv = sock(b["ns"], socket.SOCK_DGRAM, ("::", 5353))
    cli = sock(a["ns"], socket.SOCK_DGRAM)
    cli.sendto(b"question", (OUTSIDE, 5353))
    data, peer = srv.recvfrom(100)
    assert data == b"question" and peer[0] == INSIDE_EXT
    srv.sendto(b"answer", peer)
    data, peer = cli.recvfrom(100)
    assert data == b"answer" and peer[0] == OUTSIDE
    # TCP: the kernels check every segment's checksum, none of which vplane rewrote.
    lst = sock(b["ns"], socket.SOCK_STREAM, ("::", 8080))
    lst.listen(1)
    c = sock(a["ns"], socket.SOCK_STREAM)
    c.connect((OUTSIDE, 8080))
    conn, peer = lst.accept()
    assert peer[0] == INSIDE_EXT
    c.sendall(b"x" * 100000)
    got = b""
    conn.settimeout(3)
    while len(got) < 100000:
        got += conn.recv(65536)
    conn.sendall(b"done")
    assert c.recv(10) == b"done"
    for s in (c, conn, lst, cli, srv):
        s.close()
    # Kernels count a bad checksum as an error: none on either side.
    for h in (a, b):
        assert csum_errors(h["ns"]) == {"Udp6InCsumErrors": 0, "Icmp6InCsumErrors": 0, "TcpInCsumErrors": 0}


def test_an_outside_connection_to_an_external_address_reaches_the_inside_host(npt):
    v, a, b = npt
    lst = sock(a["ns"], socket.SOCK_STREAM, ("::", 2222))
    lst.listen(1)
    c = sock(b["ns"], socket.SOCK_STREAM)
    c.connect((INSIDE_EXT, 2222))
    conn, peer = lst.accept()
    assert peer[0] == OUTSIDE and conn.getsockname()[0] == INSIDE
    assert c.getpeername()[0] == INSIDE_EXT
    conn.sendall(b"hello")
    assert c.recv(10) == b"hello"
    for s in (c, conn, lst):
        s.close()
    assert ping6(b["ns"], INSIDE_EXT).returncode == 0


def test_an_icmpv6_error_from_outside_reaches_the_inside_socket(npt):
    """Port unreachable from the outside kernel quotes the datagram as it
    left (external source): translated back, the inside kernel finds the
    socket and reports the refusal."""
    v, a, b = npt
    ping6(a["ns"], OUTSIDE, 1)
    c = sock(a["ns"], socket.SOCK_DGRAM)
    c.connect((OUTSIDE, 9))  # nobody listens
    c.send(b"anyone?")
    with pytest.raises(ConnectionRefusedError):
        c.recv(10)
    c.close()
    errs = {(e["node"], e["reason"]): e["count"] for e in v.json("show errors")}
    assert errs[("npt66-in", "address quoted in an ICMPv6 error translated")] >= 1


def test_ffff_subnet_is_refused_with_an_unreachable(npt):
    v, a, b = npt
    r = sh(["ip", "netns", "exec", b["ns"], "ping", "-6", "-c", "1", "-W", "1", "2001:db8:1:ffff::2"], check=False)
    assert "Address unreachable" in r.stdout, r.stdout


def test_config_replays_goes_with_the_interface_and_bad_input_is_refused(npt):
    v, a, b = npt
    line = f"set interface npt66 {b['port']} internal {INTERNAL} external {EXTERNAL}"
    assert line in v.cli("show running-config").splitlines()
    err = v.cli_fail(f"set interface npt66 {b['port']} internal fd00::/48 external 2001:db8:5::/80")
    assert err.strip().endswith("external prefix 2001:db8:5::/80 is longer than /64: RFC 6296 adjusts a word of "
                                "the interface identifier, which it would overlap") and "\n" not in err.strip()
    assert "has bits set past /48" in v.cli_fail(f"set interface npt66 {b['port']} internal fd00::1/48 external "
                                                 "2001:db8:5::/48")
    assert len(v.json("show npt66")) == 1
    v.cli(f"delete host-interface name {b['port'][len('host-'):]}")
    assert v.json("show npt66") == []
    assert "npt66" not in v.cli("show running-config")


def test_the_api_adds_lists_and_deletes(npt):
    v, a, b = npt
    c = v.client()
    from vplane_client import pb, prefix, rpc
    api = rpc.Npt66Stub(c.channel)
    idx = v.interface(a["port"])["sw_if_index"]
    api.Add(pb.Npt66Binding(sw_if_index=idx, internal=prefix("fd09::/32"), external=prefix("2001:db8:9900::/40")))
    got = {(x.sw_if_index, x.length) for x in api.List(pb.Empty()).bindings}
    assert got == {(v.interface(b["port"])["sw_if_index"], 48), (idx, 40)}
    assert f"set interface npt66 {a['port']} internal fd09::/32 external 2001:db8:9900::/40" in \
        v.cli("show running-config")
    with pytest.raises(grpc.RpcError) as e:
        api.Add(pb.Npt66Binding(sw_if_index=idx, internal=prefix("10.0.0.0/8"), external=prefix("2001:db8::/48")))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "not IPv6" in e.value.details()
    api.Delete(pb.Npt66Binding(sw_if_index=idx, internal=prefix("fd09::/32"), external=prefix("2001:db8:9900::/40")))
    assert len(api.List(pb.Empty()).bindings) == 1
