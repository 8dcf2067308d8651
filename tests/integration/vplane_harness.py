"""Running vplaned for real against network namespaces the test creates.

Everything a test creates (namespaces, veths, vplaned processes) is
registered with a Lab and removed by its fixture's finalizer, whether the
test passed or not.
"""
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("VPLANE_BUILD", os.path.join(ROOT, "build"))
VPLANED = os.path.join(BUILD, "src", "vplaned")
VPLANECTL = os.path.join(BUILD, "src", "vplanectl")

_libc = ctypes.CDLL("libc.so.6", use_errno=True)
CLONE_NEWNET = 0x40000000


def sh(cmd, check=True, **kw):
    r = subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd}: rc={r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def free_port():
    """A loopback TCP port nobody listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@contextmanager
def netns(name):
    """Run the block (this thread only) inside namespace `name`; sockets
    opened there stay bound to it afterwards."""
    orig = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    fd = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {name}")
        yield
    finally:
        _libc.setns(orig, CLONE_NEWNET)
        os.close(fd)
        os.close(orig)


class CliError(Exception):
    pass


class Vplane:
    def __init__(self, lab, name, workers=0, exec_file=None, extra=()):
        self.lab = lab
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"vplane-{name}-")
        self.sock = os.path.join(self.dir, "cli.sock")
        self.api_sock = os.path.join(self.dir, "api.sock")
        self.log = os.path.join(self.dir, "vplaned.log")
        args = [VPLANED, "--name", name, "--cli-socket", self.sock, "--api-socket", self.api_sock, "--hugepages", "no",
                "--workers", str(workers), *extra]
        if exec_file:
            args += ["--exec", exec_file]
        self.proc = subprocess.Popen(args, stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.refused(f"vplaned {name} exited: {self.logtext()}")
            if os.path.exists(self.sock) and self.ctl("show version")[0] == 0:
                return
            time.sleep(0.1)
        self.proc.kill()  # not registered with the lab yet: never leave it running
        self.proc.wait()
        self.refused(f"vplaned {name} did not come up: {self.logtext()}")

    def refused(self, msg):
        """Not registered with the lab: its directory goes here."""
        shutil.rmtree(self.dir, ignore_errors=True)
        raise RuntimeError(msg)

    def logtext(self):
        try:
            return open(self.log).read()
        except OSError:
            return ""

    def ctl(self, *words, json_out=False, stdin=None):
        args = [VPLANECTL, "-s", self.sock] + (["--json"] if json_out else []) + list(words)
        r = subprocess.run(args, capture_output=True, text=True, input=stdin, timeout=60)
        return r.returncode, r.stdout, r.stderr

    def cli(self, cmd):
        rc, out, err = self.ctl(cmd)
        if rc != 0:
            raise CliError(f"{cmd!r}: rc={rc} {err.strip()}")
        return out

    def cli_fail(self, cmd):
        """A command that must be refused: returns its one-line error."""
        rc, out, err = self.ctl(cmd)
        assert rc != 0, f"{cmd!r} was accepted: {out}"
        return err

    def json(self, cmd):
        rc, out, err = self.ctl(cmd, json_out=True)
        if rc != 0:
            raise CliError(f"{cmd!r}: rc={rc} {err.strip()}")
        return json.loads(out)

    def client(self):
        """A Python API client (python/vplane_client) on this instance's socket."""
        import sys
        sys.path.insert(0, os.path.join(ROOT, "python"))
        os.environ.setdefault("VPLANE_PYTHON_STUBS", os.path.join(BUILD, "python"))
        from vplane_client import Client
        return Client("unix:" + self.api_sock)

    def interface(self, name):
        for i in self.json("show interface"):
            if i["name"] == name:
                return i
        raise KeyError(name)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Lab:
    """Namespaces, veth pairs and vplaned instances, all cleaned up."""

    def __init__(self):
        self.tag = f"{os.getpid() % 10000}{int(time.time() * 1000) % 1000:03d}"
        self.namespaces = []
        self.links = []
        self.vplanes = []
        self.n = 0

    def ns(self, ipv6=False):
        self.n += 1
        name = f"vpt{self.tag}n{self.n}"
        sh(["ip", "netns", "add", name])
        self.namespaces.append(name)
        if ipv6:  # IPv6 hosts, but no autoconf, DAD delay or router solicitations
            sh(["ip", "netns", "exec", name, "sysctl", "-q", "-w", "net.ipv6.conf.default.accept_dad=0",
                "net.ipv6.conf.default.accept_ra=0", "net.ipv6.conf.default.router_solicitations=0"])
        else:  # quiet hosts: no IPv6 autoconf/ND/MLD noise in packet counts
            sh(["ip", "netns", "exec", name, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1"])
        sh(["ip", "-n", name, "link", "set", "lo", "up"])
        return name

    def ifname(self, what):
        self.n += 1
        return f"v{self.tag}{what}{self.n}"[:15]

    def veth(self, ns):
        """A veth pair: one end in the root namespace (for vplane), the other in ns."""
        outer = self.ifname("o")
        inner = self.ifname("i")
        sh(["ip", "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", ns])
        self.links.append(outer)
        sh(["sysctl", "-q", "-w", f"net.ipv6.conf.{outer}.disable_ipv6=1"])
        sh(["ip", "link", "set", outer, "up"])
        sh(["ip", "-n", ns, "link", "set", inner, "up"])
        # AF_XDP/AF_PACKET and checksum/VLAN offloads do not mix: turn them off.
        for dev, pre in ((outer, []), (inner, ["ip", "netns", "exec", ns])):
            sh(pre + ["ethtool", "-K", dev, "rx", "off", "tx", "off", "tso", "off", "gso", "off", "gro", "off",
                      "rxvlan", "off", "txvlan", "off"], check=False)
        return outer, inner

    def vplane(self, name=None, **kw):
        self.n += 1
        v = Vplane(self, name or f"t{self.tag}-{self.n}", **kw)
        self.vplanes.append(v)
        return v

    def cleanup(self):
        for v in self.vplanes:
            v.stop()
            shutil.rmtree(v.dir, ignore_errors=True)
        for l in self.links:
            sh(["ip", "link", "del", l], check=False)
        for n in self.namespaces:
            sh(["ip", "netns", "pids", n], check=False)
            for pid in sh(["ip", "netns", "pids", n], check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
            sh(["ip", "netns", "del", n], check=False)


class Capture:
    """Sniff on an interface inside a namespace, in the background."""

    def __init__(self, ns, iface, lfilter=None):
        from scapy.all import AsyncSniffer, conf
        with netns(ns):
            self.sock = conf.L2listen(iface=iface)
        self.sniffer = AsyncSniffer(opened_socket=self.sock, lfilter=lfilter, store=True)
        self.sniffer.start()
        time.sleep(0.3)

    def stop(self, settle=0.5):
        time.sleep(settle)
        pkts = self.sniffer.stop()
        self.sock.close()
        return list(pkts) if pkts else []


def send(ns, iface, pkts):
    from scapy.all import conf
    with netns(ns):
        s = conf.L2socket(iface=iface)
    try:
        for p in pkts:
            s.send(p)
    finally:
        s.close()
