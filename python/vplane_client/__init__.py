"""Python client for vplane's gRPC API (proto/vplane/v1/*.proto, one file per feature).

    from vplane_client import Client
    c = Client("unix:/run/vplane/api.sock")
    lo = c.create_loopback()
    c.set_address(lo, "192.0.2.1/24")
    c.apply([c.route("198.51.100.0/24", via="192.0.2.2")])

Addresses and prefixes are given as text here and sent as bytes. The
generated stubs come from the build (build/python, made by CMake with
Debian's protoc and grpc_python_plugin); VPLANE_PYTHON_STUBS points
elsewhere. `pb` holds every message and enum of every file, `rpc` every
stub: all share the package vplane.v1, so a feature's new file needs no
change here.
"""
import glob
import importlib
import ipaddress
import json
import os
import sys
import types

_STUBS = os.environ.get("VPLANE_PYTHON_STUBS",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "python"))
if _STUBS not in sys.path:
    sys.path.insert(0, os.path.abspath(_STUBS))

import grpc  # noqa: E402


def _load_stubs():
    pb, rpc = types.SimpleNamespace(), types.SimpleNamespace()
    files = sorted(glob.glob(os.path.join(os.path.abspath(_STUBS), "vplane", "v1", "*_pb2.py")))
    if not files:
        raise ImportError(f"no generated stubs in {_STUBS}/vplane/v1: build vplane first (scripts/setup.sh)")
    for path in files:
        stem = os.path.basename(path)[:-len("_pb2.py")]
        for ns, mod in ((pb, f"vplane.v1.{stem}_pb2"), (rpc, f"vplane.v1.{stem}_pb2_grpc")):
            for k, v in vars(importlib.import_module(mod)).items():
                if not k.startswith("_"):
                    setattr(ns, k, v)
    return pb, rpc


pb, rpc = _load_stubs()

__all__ = ["Client", "pb", "ip_bytes", "prefix", "ApiError"]

ApiError = grpc.RpcError


def ip_bytes(addr):
    return ipaddress.ip_address(addr).packed


def prefix(text):
    net = ipaddress.ip_network(text, strict=False)
    return pb.IpPrefix(address=ipaddress.ip_interface(text).ip.packed if "/" in text else net.network_address.packed,
                       length=net.prefixlen)


def ip_text(b):
    return str(ipaddress.ip_address(b)) if b else ""


class Client:
    def __init__(self, target="unix:/run/vplane/api.sock", timeout=60):
        self.channel = grpc.insecure_channel(target, options=[("grpc.max_receive_message_length", 64 << 20),
                                                              ("grpc.max_send_message_length", 64 << 20)])
        self.timeout = timeout
        self.system = rpc.SystemStub(self.channel)
        self.interfaces_ = rpc.InterfacesStub(self.channel)
        self.tables = rpc.TablesStub(self.channel)
        self.routes = rpc.RoutesStub(self.channel)
        self.neighbors_ = rpc.NeighborsStub(self.channel)
        self.config = rpc.ConfigStub(self.channel)
        self.events = rpc.EventsStub(self.channel)
        self.tools = rpc.ToolsStub(self.channel)
        self.lcp = rpc.LcpStub(self.channel)

    def close(self):
        self.channel.close()

    # System
    def version(self):
        return self.system.Version(pb.VersionRequest(), timeout=self.timeout)

    def ping(self, cookie=1):
        return self.system.Ping(pb.PingRequest(cookie=cookie), timeout=self.timeout).cookie

    # Interfaces
    def interfaces(self):
        return list(self.interfaces_.List(pb.ListInterfacesRequest(), timeout=self.timeout).interfaces)

    def interface(self, name):
        for i in self.interfaces():
            if i.name == name:
                return i
        raise KeyError(name)

    def _create(self, **kind):
        return self.interfaces_.Create(pb.CreateInterfaceRequest(**kind), timeout=self.timeout).sw_if_index

    def create_loopback(self, mac=None):
        return self._create(loopback=pb.CreateInterfaceRequest.Loopback(mac=bytes.fromhex(mac.replace(":", ""))
                                                                        if mac else b""))

    def create_af_packet(self, host_if):
        return self._create(af_packet=pb.CreateInterfaceRequest.AfPacket(host_if=host_if))

    def create_af_xdp(self, host_if, name=""):
        return self._create(af_xdp=pb.CreateInterfaceRequest.AfXdp(host_if=host_if, name=name))

    def create_null_sink(self, instance=0):
        return self._create(null_sink=pb.CreateInterfaceRequest.NullSink(instance=instance))

    def delete_interface(self, idx):
        self.interfaces_.Delete(pb.InterfaceRequest(sw_if_index=idx), timeout=self.timeout)

    def set_state(self, idx, up=True):
        self.interfaces_.SetAdminState(pb.SetAdminStateRequest(sw_if_index=idx, up=up), timeout=self.timeout)

    def set_mtu(self, idx, mtu):
        self.interfaces_.SetMtu(pb.SetMtuRequest(sw_if_index=idx, mtu=mtu), timeout=self.timeout)

    def set_address(self, idx, pfx, delete=False):
        self.interfaces_.SetAddress(pb.InterfaceAddressRequest(sw_if_index=idx, prefix=prefix(pfx), **{"del": delete}),
                                    timeout=self.timeout)

    def set_table(self, idx, table, ip6=False):
        self.interfaces_.SetTable(pb.SetInterfaceTableRequest(sw_if_index=idx, table=table, ip6=ip6),
                                  timeout=self.timeout)

    def set_ip6(self, idx, enable=True):
        self.interfaces_.SetIp6(pb.SetIp6Request(sw_if_index=idx, enable=enable), timeout=self.timeout)

    def set_xconnect(self, idx, peer=None):
        """Frames from idx leave on peer; peer None puts idx back to L3."""
        q = pb.SetXconnectRequest(sw_if_index=idx)
        if peer is not None:
            q.peer_sw_if_index = peer
        self.interfaces_.SetXconnect(q, timeout=self.timeout)

    def set_proxy_arp(self, idx, enable=True):
        self.interfaces_.SetProxyArp(pb.SetProxyArpRequest(sw_if_index=idx, enable=enable), timeout=self.timeout)

    def set_rx_placement(self, idx, worker, queue=0):
        self.interfaces_.SetRxPlacement(pb.SetRxPlacementRequest(sw_if_index=idx, queue=queue, worker=worker),
                                        timeout=self.timeout)

    def set_feature(self, idx, arc, feature, enable=True):
        self.interfaces_.SetFeature(pb.SetFeatureRequest(sw_if_index=idx, arc=arc, feature=feature, enable=enable),
                                    timeout=self.timeout)

    def add_memif_socket(self, sid, filename):
        self.interfaces_.AddMemifSocket(pb.MemifSocket(id=sid, filename=filename), timeout=self.timeout)

    def del_memif_socket(self, sid):
        self.interfaces_.DelMemifSocket(pb.MemifSocket(id=sid), timeout=self.timeout)

    def memif_sockets(self):
        return {s.id: s.filename for s in self.interfaces_.ListMemifSockets(pb.Empty(), timeout=self.timeout).sockets}

    # System
    def set_vector_size(self, size):
        self.system.SetVectorSize(pb.SetVectorSizeRequest(size=size), timeout=self.timeout)

    def set_idle_sleep(self, max_us):
        self.system.SetIdleSleep(pb.SetIdleSleepRequest(max_us=max_us), timeout=self.timeout)

    def set_icmp_rate_limit(self, per_second):
        self.system.SetIcmpRateLimit(pb.SetIcmpRateLimitRequest(per_second=per_second), timeout=self.timeout)

    def show(self, command):
        """A read-only "show ..." command's JSON answer, decoded."""
        return json.loads(self.system.Show(pb.ShowRequest(command=command), timeout=self.timeout).json)

    def clear_counters(self, interfaces=True, runtime=True, errors=True):
        self.system.ClearCounters(pb.ClearCountersRequest(interfaces=interfaces, runtime=runtime, errors=errors),
                                  timeout=self.timeout)

    # Linux control plane
    def lcp_create(self, idx, host_if, netns=""):
        self.lcp.Create(pb.LcpPair(sw_if_index=idx, host_if=host_if, netns=netns), timeout=self.timeout)

    def lcp_delete(self, idx):
        self.lcp.Delete(pb.InterfaceRequest(sw_if_index=idx), timeout=self.timeout)

    def lcp_default_netns(self, netns):
        self.lcp.SetDefaultNetns(pb.LcpNetns(netns=netns), timeout=self.timeout)

    def lcp_pairs(self):
        return self.lcp.List(pb.Empty(), timeout=self.timeout)

    def lcp_netlink(self, buffer, batch, delay_us=None):
        """delay_us: gather messages this long after the first (0: none; None: unchanged)."""
        q = pb.LcpNetlinkConfig(buffer=buffer, batch=batch)
        if delay_us is not None:
            q.delay_us = delay_us
        self.lcp.SetNetlink(q, timeout=self.timeout)

    def fpm(self, on=True, listen="", netns="", stale_timeout=0):
        self.lcp.SetFpm(pb.FpmConfig(on=on, listen=listen, netns=netns, stale_timeout=stale_timeout),
                        timeout=self.timeout)

    def fpm_status(self):
        return self.lcp.GetFpm(pb.Empty(), timeout=self.timeout)

    # Tools: packet generator, trace, pcap
    def pg_add(self, definition):
        """A stream in the packet generator's language: "name s size 64 data { IP4: ... }"."""
        self.tools.PgAdd(pb.PgStreamRequest(definition=definition), timeout=self.timeout)

    def pg_enable(self, name="", enable=True):
        self.tools.PgEnable(pb.PgEnableRequest(name=name, enable=enable), timeout=self.timeout)

    def pg_delete(self, name):
        self.tools.PgDelete(pb.PgStreamName(name=name), timeout=self.timeout)

    def trace_add(self, input_node, count):
        self.tools.TraceAdd(pb.TraceRequest(input_node=input_node, count=count), timeout=self.timeout)

    def trace_clear(self):
        self.tools.TraceClear(pb.Empty(), timeout=self.timeout)

    def pcap(self, arguments):
        """The arguments of "pcap trace": "rx tx max 100 file /tmp/x.pcapng", "off"."""
        self.tools.Pcap(pb.PcapRequest(arguments=arguments), timeout=self.timeout)

    # Tables
    def add_table(self, table, ip6=False):
        self.tables.Add(pb.TableRequest(table=table, ip6=ip6), timeout=self.timeout)

    def del_table(self, table, ip6=False):
        self.tables.Del(pb.TableRequest(table=table, ip6=ip6), timeout=self.timeout)

    # Routes
    @staticmethod
    def route(pfx, via=None, interface=None, table=0, weight=0, kind=pb.ROUTE_PATHS, source=pb.SOURCE_API,
              paths=None):
        """A Route message; via/interface make one path, paths=[(via, interface, weight), ...] several."""
        r = pb.Route(table=table, prefix=prefix(pfx), kind=kind, source=source)
        for v, i, w in (paths if paths is not None else ([(via, interface, weight)] if via or interface is not None
                                                          else [])):
            p = r.paths.add(next_hop=ip_bytes(v) if v else b"", weight=w)
            if i is not None:
                p.sw_if_index = i
        return r

    def apply(self, routes, op=pb.ROUTE_ADD, atomic=False, batch_id=0):
        """One batch; routes: Route messages, or (op, Route) pairs. Returns the BatchReply."""
        b = pb.RouteBatch(atomic=atomic, batch_id=batch_id)
        for r in routes:
            o, r = r if isinstance(r, tuple) else (op, r)
            b.updates.add(op=o, route=r)
        return self.routes.Apply(b, timeout=self.timeout)

    def stream(self, batches):
        """batches: an iterable of RouteBatch; yields a BatchReply per batch, in order."""
        return self.routes.Stream(iter(batches), timeout=None)

    def dump(self, table=0, ip6=False, page_size=1000):
        token = b""
        while True:
            r = self.routes.Dump(pb.RouteDumpRequest(table=table, ip6=ip6, page_size=page_size, page_token=token),
                                 timeout=self.timeout)
            yield from r.routes
            token = r.next_page_token
            if not token:
                return

    def lookup(self, addr, table=0):
        return self.routes.Lookup(pb.RouteLookupRequest(table=table, address=ip_bytes(addr)), timeout=self.timeout)

    # Neighbours
    def set_neighbor(self, idx, ip, mac=None, delete=False):
        n = pb.Neighbor(sw_if_index=idx, ip=ip_bytes(ip), mac=bytes.fromhex(mac.replace(":", "")) if mac else b"")
        self.neighbors_.Set(pb.NeighborRequest(neighbor=n, **{"del": delete}), timeout=self.timeout)

    def neighbors(self):
        return list(self.neighbors_.List(pb.ListNeighborsRequest(), timeout=self.timeout).neighbors)

    # Configuration and events
    def running_config(self):
        return list(self.config.Running(pb.RunningConfigRequest(), timeout=self.timeout).commands)

    def watch(self):
        """Yields Event messages until the call is cancelled (.cancel() on the returned iterator)."""
        return self.events.Watch(pb.WatchRequest())
