"""One vplaned per instance name: a second one of the same name refuses to
start with one line naming the running PID, and touches nothing of the
first (its sockets, state directory and DPDK files stay and it keeps
answering). No instance takes a socket a live process listens on."""
import os
import subprocess

from vplane_harness import VPLANED


def start(args, tmp_path):
    return subprocess.run([VPLANED, "--hugepages", "no", "--workers", "0", *args], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)


def still_serving(v):
    rc, out, _ = v.ctl("show", "version")
    return rc == 0 and out.startswith("vplane ") and os.path.exists(v.sock) and os.path.exists(v.api_sock) \
        and v.client().ping(5) == 5


def test_a_second_instance_of_the_same_name_refuses_to_start(lab, tmp_path):
    v = lab.vplane()
    r = start(["--name", v.name, "--cli-socket", str(tmp_path / "other-cli.sock"),
               "--api-socket", str(tmp_path / "other-api.sock")], tmp_path)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert f"vplaned instance '{v.name}' is already running (pid {v.proc.pid})" in lines[0]
    assert not (tmp_path / "other-cli.sock").exists() and not (tmp_path / "other-api.sock").exists()
    assert still_serving(v)


def test_no_instance_takes_a_socket_another_process_listens_on(lab, tmp_path):
    v = lab.vplane()
    for args, what in ((["--api-socket", v.api_sock, "--cli-socket", str(tmp_path / "c.sock")], "API"),
                       (["--cli-socket", v.sock, "--api-socket", str(tmp_path / "a.sock")], "CLI")):
        r = start(["--name", f"{v.name}x", *args], tmp_path)
        assert r.returncode == 1, r.stderr
        assert f"the {what} socket" in r.stderr and "is in use by another process" in r.stderr, r.stderr
        assert still_serving(v)
        assert not os.path.exists(f"/run/vplane/{v.name}x/vplaned.lock")


def test_a_crashed_instance_leaves_nothing_that_stops_the_next(lab):
    v = lab.vplane()
    v.proc.kill()
    v.proc.wait()
    w = lab.vplane(name=v.name)
    assert still_serving(w)
