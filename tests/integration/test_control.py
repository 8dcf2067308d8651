"""vplanectl exit codes and errors, JSON, running-config replay, workers,
and cleanup after a crash."""
import json
import os
import signal
import subprocess

from test_xconnect import MARK, attach, frames
from test_pcap_memif import xc_pair
from vplane_harness import VPLANECTL, Capture, send, sh


def test_vplanectl_exit_codes_and_messages(lab):
    v = lab.vplane()
    rc, out, err = v.ctl("show", "version")
    assert rc == 0 and out.startswith("vplane ")
    rc, out, err = v.ctl("show", "interface", "nosuch0")
    assert rc == 1 and out == ""
    assert err.strip() == "vplanectl: unknown interface 'nosuch0' (see 'show interface')"
    rc, out, err = v.ctl("frobnicate")
    assert rc == 1 and "unknown command" in err and err.count("\n") == 1
    r = subprocess.run([VPLANECTL, "-s", "/nonexistent/cli.sock", "show", "version"], capture_output=True, text=True)
    assert r.returncode == 2 and "cannot reach vplaned" in r.stderr
    rc, out, err = v.ctl("show", "threads", json_out=True)
    assert rc == 0 and json.loads(out)[0]["name"] == "vplane_main"
    r = subprocess.run([VPLANECTL, "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "interactive" in r.stdout.lower()


def test_vplanectl_interactive_reads_commands_and_blocks(lab):
    v = lab.vplane()
    v.cli("create packet-generator interface pg0")
    script = ("show version\n"
              "packet-generator new {\n name s1\n size 64\n count 1\n"
              " data { IP4: 02:00:00:00:00:01 -> 02:00:00:00:00:02 }\n}\n"
              "show packet-generator\nquit\n")
    rc, out, err = v.ctl(stdin=script)
    assert rc == 0, err
    assert "vplane" in out and "s1" in out


def test_garbage_on_the_cli_socket_does_not_kill_vplaned(lab):
    import socket
    v = lab.vplane()
    for payload in (b"\xff\xff\xff\xff\x00garbage", b"\x00\x00\x00\x00", b"\x05\x00\x00\x00\x00sh", os.urandom(64)):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(v.sock)
        s.sendall(payload)
        s.settimeout(0.5)
        try:
            s.recv(100)
        except OSError:
            pass
        s.close()
    assert v.ctl("show", "version")[0] == 0


def test_running_config_replays_into_a_fresh_instance(lab, tmp_path):
    ns1, ns2 = lab.ns(), lab.ns()
    v = lab.vplane()
    a, _ = attach(v, "af_packet", lab, ns1)
    b, _ = attach(v, "af_xdp", lab, ns2)
    xc_pair(v, a, b)
    v.cli("create loopback interface mac 02:00:00:00:00:42")
    v.cli("set interface mtu 9000 loop0")
    v.cli("create tap id 7 host-if-name " + lab.ifname("r") + f" host-ns {ns1} host-ip4-addr 192.0.2.1/24")
    v.cli(f"create memif socket id 3 filename {tmp_path}/m.sock")
    v.cli("create interface memif id 2 socket-id 3 master")
    v.cli("create packet-generator interface pg1")
    v.cli("packet-generator new name s size 64-100 count 10 data { IP4: 02:00:00:00:00:01 -> 02:00:00:00:00:02 "
          "UDP: 10.0.0.1 -> 10.0.0.2 - 10.0.0.20 UDP: 1 -> 2 }")
    rc1 = v.cli("show running-config")
    assert "set interface l2 xconnect" in rc1 and "create memif socket id 3" in rc1
    v.stop()
    script = tmp_path / "replay.cli"
    script.write_text(rc1)
    w = lab.vplane(exec_file=str(script))
    assert w.cli("show running-config") == rc1


def test_failing_startup_command_stops_vplaned_naming_the_line(lab, tmp_path):
    script = tmp_path / "bad.cli"
    script.write_text("show version\ncreate loopback interface mac nonsense\n")
    try:
        lab.vplane(exec_file=str(script))
        assert False, "vplaned should have refused to start"
    except RuntimeError as e:
        assert "bad.cli line 2" in str(e) and "bad MAC" in str(e)


def test_worker_thread_forwards_and_placement_moves(lab):
    ns1, ns2 = lab.ns(), lab.ns()
    v = lab.vplane(workers=1)
    threads = v.json("show threads")
    assert [t["type"] for t in threads] == ["main", "worker"]
    a, if1 = attach(v, "af_packet", lab, ns1)
    b, if2 = attach(v, "af_packet", lab, ns2)
    xc_pair(v, a, b)
    v.cli(f"set interface rx-placement {a} queue 0 worker 0")
    placement = v.json("show interface rx-placement")
    assert {p["interface"] for p in placement} == {a, b} and all(p["thread"] == 1 for p in placement)
    sent = frames() * 3
    cap = Capture(ns2, if2, lfilter=lambda p: p.src == MARK)
    send(ns1, if1, sent)
    assert [bytes(p) for p in cap.stop()] == [bytes(p) for p in sent]
    rt = v.json("show runtime")
    worker_nodes = {n["name"] for n in rt["threads"][1]["nodes"]}
    assert {"af-packet-input", "ethernet-input", "l2-xconnect", "interface-output"} <= worker_nodes
    # A change published while the worker runs: back to L3, the frame no
    # longer crosses and is dropped (for another MAC) with a reason.
    v.cli(f"set interface l3 {a}")
    cap = Capture(ns2, if2, lfilter=lambda p: p.src == MARK)
    send(ns1, if1, frames()[1:2])
    assert cap.stop() == []
    assert any(e["node"] == "ethernet-input" and e["reason"] == "not for us" for e in v.json("show errors"))


def test_restart_after_crash_removes_what_the_dead_instance_left(lab):
    ns1 = lab.ns()
    outer, inner = lab.veth(ns1)
    v = lab.vplane()
    v.cli(f"create interface af_xdp host-if {outer}")
    assert "xdp" in sh(["ip", "link", "show", "dev", outer]).stdout
    v.stop(signal.SIGKILL)
    assert "xdp" in sh(["ip", "link", "show", "dev", outer]).stdout  # left behind
    # Same instance name again: it finds and removes the stale program.
    from vplane_harness import Vplane
    w = Vplane(lab, v.name)
    lab.vplanes.append(w)
    assert "xdp" not in sh(["ip", "link", "show", "dev", outer]).stdout
    assert w.cli(f"create interface af_xdp host-if {outer}").strip() == f"{outer}/0"


def test_vhost_user_and_loopback_interfaces_come_and_go(lab, tmp_path):
    v = lab.vplane()
    sock = str(tmp_path / "vhost.sock")
    name = v.cli(f"create vhost-user socket {sock} server").strip()
    assert name == "VirtualEthernet0/0/0"
    hw = {h["name"]: h for h in v.json("show hardware-interfaces")}
    assert hw[name]["driver"] == "net_vhost"
    assert os.path.exists(sock)  # server mode: vplane listens for the guest
    v.cli(f"set interface state {name} up")
    assert v.cli("create loopback interface").strip() == "loop0"
    v.cli(f"delete vhost-user {name}")
    v.cli("delete loopback interface intfc loop0")
    assert v.json("show interface") == []
    rc, _, err = v.ctl("delete", "tap", "loop0")
    assert rc == 1 and "unknown interface" in err
