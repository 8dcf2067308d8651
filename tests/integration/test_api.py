"""The gRPC API end to end: the Python client configures a routed lab from
scratch, events arrive, batches and streams keep their promises, bad
input is answered with errors, and the CLI and the API agree."""
import os
import socket
import subprocess
import threading
import time

import grpc
import pytest

from vplane_harness import BUILD, ROOT, sh


def ping(ns, addr, count=2):
    return sh(["ip", "netns", "exec", ns, "ping", "-c", str(count), "-i", "0.2", "-W", "1", addr], check=False)


def test_client_configures_a_routed_lab_and_traffic_flows(lab):
    v = lab.vplane()
    c = v.client()
    assert c.ping(99) == 99 and c.version().api_version == 1
    hosts = []
    for n in (1, 2):
        ns = lab.ns()
        outer, inner = lab.veth(ns)
        idx = c.create_af_packet(outer)
        c.set_address(idx, f"10.8{n}.0.1/24")
        c.set_state(idx, True)
        sh(["ip", "-n", ns, "addr", "add", f"10.8{n}.0.2/24", "dev", inner])
        sh(["ip", "-n", ns, "route", "add", "default", "via", f"10.8{n}.0.1"])
        hosts.append((ns, idx))
    sh(["ip", "-n", hosts[1][0], "addr", "add", "198.51.100.1/32", "dev", "lo"])
    r = c.apply([c.route("198.51.100.0/24", via="10.82.0.2")])
    assert r.applied == 1 and not r.rejected
    assert ping(hosts[0][0], "10.82.0.2").returncode == 0
    assert ping(hosts[0][0], "198.51.100.1").returncode == 0
    got = c.lookup("198.51.100.1")
    assert got.prefix.length == 24 and bytes(got.paths[0].next_hop) == bytes([10, 82, 0, 2])
    names = {i.sw_if_index: i for i in c.interfaces()}
    assert names[hosts[0][1]].counters.rx_packets > 0 and names[hosts[0][1]].admin_up
    # The CLI sees what the API did, and the two running configurations agree.
    assert v.cli("show running-config").splitlines() == c.running_config()
    assert any(e["prefix"] == "198.51.100.0/24" for e in v.json("show ip fib")["entries"])


def test_events_for_interface_and_neighbour_changes(lab):
    v = lab.vplane()
    c = v.client()
    events = []
    stream = c.watch()

    def reader():
        try:
            for e in stream:
                events.append(e)
        except grpc.RpcError:
            pass

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    time.sleep(0.3)
    lo = c.create_loopback()
    c.set_address(lo, "192.0.2.1/24")
    c.set_state(lo, True)
    c.set_neighbor(lo, "192.0.2.7", "02:00:00:00:00:07")
    c.set_neighbor(lo, "192.0.2.7", delete=True)
    c.delete_interface(lo)
    deadline = time.time() + 5
    while time.time() < deadline and not any(e.HasField("interface") and e.interface.deleted for e in events):
        time.sleep(0.05)
    stream.cancel()
    kinds = [("if", e.interface.admin_up, e.interface.deleted) if e.HasField("interface")
             else ("nbr", e.neighbor.deleted) for e in events]
    assert ("if", True, False) in kinds, kinds          # came up
    assert ("nbr", False) in kinds and ("nbr", True) in kinds, kinds
    assert kinds[-1] == ("if", False, True) or ("if", True, True) in kinds, kinds
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_stream_acknowledges_batches_and_keeps_them_after_a_disconnect(lab):
    v = lab.vplane()
    c = v.client()
    lo = c.create_loopback()
    c.set_address(lo, "192.0.2.1/24")
    from vplane_client import pb
    acked = []

    def batches():
        for b in range(20):
            batch = pb.RouteBatch(batch_id=b)
            for k in range(500):
                n = b * 500 + k
                batch.updates.add(op=pb.ROUTE_ADD, route=c.route(f"10.{n >> 8}.{n & 255}.0/24", via="192.0.2.2"))
            yield batch
            if b == 9:
                while len(acked) < 10:  # wait for the acknowledgements, then go away mid-stream
                    time.sleep(0.01)
                return

    call = c.stream(batches())
    for r in call:
        acked.append(r)
        if len(acked) == 10:
            call.cancel()
            break
    assert [r.batch_id for r in acked] == list(range(10)) and all(r.applied == 500 for r in acked)
    time.sleep(0.3)
    dumped = list(c.dump(page_size=1000))
    prefixes = {f"{'.'.join(map(str, r.prefix.address))}/{r.prefix.length}" for r in dumped}
    assert all(f"10.{n >> 8}.{n & 255}.0/24" in prefixes for n in range(5000))
    assert v.json("show ip fib 10.19.135.0/24")["entries"]  # the last route of the last batch sent
    assert "no route" in v.cli_fail("show ip fib 10.19.136.1")  # the first one never sent


def test_malformed_calls_get_errors_and_vplaned_stays_up(lab):
    v = lab.vplane()
    c = v.client()
    from vplane_client import pb
    with pytest.raises(grpc.RpcError) as e:
        c.interfaces_.SetAddress(pb.InterfaceAddressRequest(sw_if_index=0, prefix=pb.IpPrefix(address=b"\1\2\3",
                                                                                               length=8)))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "4 (IPv4) or 16 (IPv6) bytes" in e.value.details()
    with pytest.raises(grpc.RpcError) as e:
        c.interfaces_.Create(pb.CreateInterfaceRequest())
    assert "which kind" in e.value.details()
    with pytest.raises(grpc.RpcError) as e:
        c.lookup("203.0.113.1", table=55)
    assert "no IPv4 table 55" in e.value.details()
    # Garbage and a truncated HTTP/2 preface on the socket itself.
    for junk in (b"\x00" * 64, b"GET / HTTP/1.1\r\n\r\n", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04", os.urandom(4096)):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(v.api_sock)
        s.sendall(junk)
        s.close()
    # A raw gRPC call with a body that is not the message it claims to be.
    raw = grpc.insecure_channel("unix:" + v.api_sock).unary_unary("/vplane.v1.Routes/Apply")
    with pytest.raises(grpc.RpcError):
        raw(b"\xff\xff\xff\xff\x0f garbage", timeout=5)
    assert c.ping(5) == 5 and v.proc.poll() is None


def test_example_scripts_run(lab, tmp_path):
    v = lab.vplane()
    ex = os.path.join(ROOT, "python", "examples")
    env = dict(os.environ, VPLANE_PYTHON_STUBS=os.path.join(BUILD, "python"))
    ns = lab.ns()
    outer, _ = lab.veth(ns)
    r = subprocess.run(["/usr/bin/python3", os.path.join(ex, "configure_lab.py"), "--api", "unix:" + v.api_sock,
                        outer, "10.90.0.1/24", "--route", "203.0.113.0/24=10.90.0.2"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    routes = tmp_path / "routes.txt"
    routes.write_text("".join(f"10.{k >> 8}.{k & 255}.0/24 via 10.90.0.2\n" for k in range(3000)) +
                      "ip route add 10.255.0.0/16 via 10.90.0.3\n")
    r = subprocess.run(["/usr/bin/python3", os.path.join(ex, "load_routes.py"), "--api", "unix:" + v.api_sock,
                        "--batch", "512", str(routes)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "3001 routes applied, 0 rejected" in r.stdout
    for ex_name in ("configure_lab.py", "load_routes.py", "watch_events.py"):
        h = subprocess.run(["/usr/bin/python3", os.path.join(ex, ex_name), "--help"], capture_output=True, text=True,
                           env=env, timeout=30)
        assert h.returncode == 0 and "usage" in h.stdout


def test_cpp_route_loader_adds_replaces_and_deletes(lab):
    v = lab.vplane()
    c = v.client()
    lo = c.create_loopback()
    c.set_address(lo, "192.0.2.1/24")
    tool = os.path.join(BUILD, "src", "vplane-route-load")
    base = [tool, "--api", "unix:" + v.api_sock, "--count", "20000", "--first", "20.0.0.0/24", "--batch", "1000"]
    for op, via in (("add", "192.0.2.2"), ("replace", "192.0.2.3"), ("del", None)):
        r = subprocess.run(base + ["--op", op] + (["--via", via] if via else []), capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0 and "20000 applied, 0 rejected" in r.stdout, r.stdout + r.stderr
        if op == "replace":
            got = c.lookup("20.0.78.1")
            assert bytes(got.paths[0].next_hop) == bytes([192, 0, 2, 3]) and len(got.paths) == 1
    assert "no route" in v.cli_fail("show ip fib 20.0.78.1")
    r = subprocess.run([tool, "--api", "unix:" + v.api_sock], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "give --file" in r.stderr


def test_everything_the_cli_configures_the_api_configures_too(lab, tmp_path):
    """The calls beyond interfaces/routes/neighbours: cross-connect, IPv6
    enable, proxy ARP, features, rx placement, memif sockets, vector size,
    idle sleep, ICMP rate, the packet generator, trace and pcap; each lands
    in running-config as the CLI would write it, and bad input changes nothing."""
    v = lab.vplane(workers=1)
    c = v.client()
    from vplane_client import pb
    v.cli("create packet-generator interface pg0")
    pg = c.interface("pg0").sw_if_index
    sink = c.create_null_sink()
    for i in (pg, sink):
        c.set_state(i)
    # L2 cross-connect pg0 -> null0 and a stream through it, all over the API.
    c.set_xconnect(pg, sink)
    c.pg_add("name s size 64 count 500 data { IP4: 02:00:00:00:00:01 -> 02:00:00:00:00:02 "
             "UDP: 10.0.0.1 -> 10.0.0.2 UDP: 1 -> 2 }")
    c.trace_add("pg-input", 3)
    pcap = str(tmp_path / "x.pcapng")
    c.pcap(f"tx max 10 file {pcap}")
    c.pg_enable("s")
    deadline = time.time() + 10
    while time.time() < deadline and c.show("show packet-generator")[0]["sent"] < 500:
        time.sleep(0.1)
    time.sleep(0.3)
    assert c.show("show packet-generator")[0]["sent"] == 500
    assert c.interface("null0").counters.tx_packets == 500
    assert any(n["node"] == "l2-xconnect" for p in c.show("show trace") for n in p["nodes"])
    c.pcap("off")
    assert os.path.getsize(pcap) > 0
    c.trace_clear()
    c.pg_delete("s")
    assert c.show("show packet-generator") == []
    c.set_xconnect(pg)  # back to L3
    # Interface and system settings.
    lo = c.create_loopback()
    c.set_ip6(lo)
    assert c.show("show ip6 interface")  # has the loopback now
    c.set_proxy_arp(lo)
    c.set_rx_placement(pg, worker=0)
    c.add_memif_socket(7, str(tmp_path / "m.sock"))
    assert c.memif_sockets()[7] == str(tmp_path / "m.sock")
    c.set_vector_size(256)
    c.set_idle_sleep(200)
    c.set_icmp_rate_limit(500)
    run = v.cli("show running-config")
    for line in ("set vector-size 256", "set polling idle-sleep 200", "set ip icmp rate-limit 500", f"create memif socket id 7 filename {tmp_path / 'm.sock'}",
                 "set interface proxy-arp loop0 enable", "enable ip6 interface loop0"):
        assert line in run, (line, run)
    assert "xconnect" not in run
    c.clear_counters()
    assert c.interface("null0").counters.tx_packets == 0
    # Bad input: a one-line reason, nothing changed.
    for call, words in ((lambda: c.set_vector_size(0), "out of range"),
                        (lambda: c.set_feature(lo, "ip4-unicast", "no-such-node"), "no-such-node"),
                        (lambda: c.pg_add("name t size 64 data { IP4: nonsense }"), ""),
                        (lambda: c.pg_add("name t size 64 data {} \n clear interfaces"), "one line"),
                        (lambda: c.show("clear runtime"), "not a show command"),
                        (lambda: c.set_xconnect(pg, 9999), "no interface"),
                        (lambda: c.del_memif_socket(8), "no memif socket id 8"),
                        (lambda: c.trace_add("ip4-lookup", 5), "not an input node")):
        with pytest.raises(grpc.RpcError) as e:
            call()
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, e.value.details()
        assert words in e.value.details() and "\n" not in e.value.details()
    assert v.cli("show running-config") == run
    assert c.ping(3) == 3
    del pb


def test_go_example_programs_routes(lab, tmp_path):
    """examples/go builds offline with Debian's Go gRPC/protobuf packages
    and programs routes through the Unix socket."""
    binary = str(tmp_path / "vplane-routes")
    b = subprocess.run([os.path.join(ROOT, "examples", "go", "build.sh"), binary], capture_output=True, text=True,
                       timeout=600, env=dict(os.environ, GOCACHE=os.environ.get("GOCACHE", "/root/.cache/go-build")))
    assert b.returncode == 0, b.stdout + b.stderr
    v = lab.vplane()
    c = v.client()
    lo = c.create_loopback()
    c.set_state(lo)
    c.set_address(lo, "192.0.2.1/24")
    r = subprocess.run([binary, "-api", "unix:" + v.api_sock, "-via", "192.0.2.2", "-first", "198.18.0.0",
                        "-count", "50", "-keep"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "added 50 routes, 0 rejected" in r.stdout and "lookup 198.18.0.0: 198.18.0.0/24 via 192.0.2.2" in r.stdout
    assert sum(1 for e in c.dump() if e.prefix.length == 24 and e.prefix.address[:2] == bytes([198, 18])) == 50
    r = subprocess.run([binary, "-api", "unix:" + v.api_sock, "-via", "192.0.2.2", "-first", "198.18.0.0",
                        "-count", "50"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "deleted 50 routes" in r.stdout, r.stderr
    bad = subprocess.run([binary, "-api", "unix:" + v.api_sock], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "give -via" in bad.stderr
