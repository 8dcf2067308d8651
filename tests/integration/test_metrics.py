"""Prometheus metrics: scraped over HTTP, parsed, and agreeing with the CLI."""
import re
import socket
import time
import urllib.request

import pytest

from vplane_harness import free_port


LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_]+="(?:[^"\\]|\\.)*",?)*)\})? (\S+)$')


def parse(text):
    """Prometheus text format 0.0.4: {(name, frozenset(labels)): value}; every line must parse."""
    out, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#") or not line:
            continue
        m = LINE.match(line)
        assert m, f"not exposition format: {line!r}"
        labels = frozenset(re.findall(r'([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        base = re.sub(r"_(bucket|sum|count)$", "", m.group(1))  # a histogram's series
        assert m.group(1) in typed or base in typed, f"{m.group(1)} has no TYPE"
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def test_metrics_scrape_matches_the_cli(lab):
    port = free_port()
    v = lab.vplane(workers=1, extra=("--metrics", f"127.0.0.1:{port}"))
    v.cli("create loopback interface")
    v.cli("set interface state loop0 up")
    v.cli("set interface ip address loop0 192.0.2.1/24")
    v.cli("ip route add 198.51.100.0/24 via 192.0.2.2")
    v.cli("ip6 table add 5")
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    m = parse(body)
    assert m[("vplane_interface_up", frozenset({("interface", "loop0")}))] == 1
    assert m[("vplane_fib_routes", frozenset({("family", "ip4"), ("table", "0")}))] == len(v.json("show ip fib")["entries"])
    assert ("vplane_fib_routes", frozenset({("family", "ip6"), ("table", "5")})) in m
    nodes = {(dict(k[1])["thread"], dict(k[1])["node"]) for k in m if k[0] == "vplane_node_calls_total"}
    ran = {(str(t["thread"]), n["name"]) for t in v.json("show runtime")["threads"] for n in t["nodes"]}
    assert ran and ran <= nodes  # nodes that ran, per thread (the GARP went through ethernet-input)
    assert m[("vplane_buffers", frozenset({("pool", v.json("show buffers")["pool"]), ("state", "in_use")}))] >= 0
    assert any(k[0] == "vplane_interface_rx_packets_total" for k in m)
    # The worker's poll gaps: a histogram, cumulative, its +Inf bucket its count.
    buckets = sorted((float(dict(k[1])["le"]), val) for k, val in m.items()
                     if k[0] == "vplane_poll_gap_seconds_bucket" and dict(k[1])["thread"] == "1"
                     and dict(k[1])["le"] != "+Inf")
    assert len(buckets) > 10 and all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:]))
    total = m[("vplane_poll_gap_seconds_count", frozenset({("thread", "1")}))]
    assert total > 0 and m[("vplane_poll_gap_seconds_bucket", frozenset({("thread", "1"), ("le", "+Inf")}))] == total
    assert m[("vplane_poll_gap_max_seconds", frozenset({("thread", "1")}))] > 0
    # Other paths and garbage get an answer or a closed connection, never a dead daemon.
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/other", timeout=10)
    for junk in (b"\x00" * 10000, b"GET /metrics HTTP/1.1\r\n"):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(junk)
        s.close()
    time.sleep(0.2)
    assert parse(urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode())
    assert v.proc.poll() is None


def test_metrics_refuse_non_loopback_addresses(lab):
    with pytest.raises(RuntimeError) as e:
        lab.vplane(extra=("--metrics", "0.0.0.0:9999"))
    assert "not a loopback address" in str(e.value)
