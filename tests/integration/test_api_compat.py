"""A client built against the API as it was one file (vplane.proto, kept in
data/ as it was before the split into one file per feature) still works
against today's server: package, services, methods and field numbers are
unchanged. Its stubs are generated here and run in a process of their own
(both sets of stubs define the same message names)."""
import os
import shutil
import subprocess
import sys
import textwrap

from vplane_harness import sh

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

CLIENT = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    import grpc
    from vplane.v1 import vplane_pb2 as pb, vplane_pb2_grpc as rpc
    ch = grpc.insecure_channel("unix:" + sys.argv[2])
    assert rpc.SystemStub(ch).Ping(pb.PingRequest(cookie=7)).cookie == 7
    ifs = rpc.InterfacesStub(ch)
    idx = ifs.Create(pb.CreateInterfaceRequest(loopback=pb.CreateInterfaceRequest.Loopback())).sw_if_index
    ifs.SetAdminState(pb.SetAdminStateRequest(sw_if_index=idx, up=True))
    ifs.SetAddress(pb.InterfaceAddressRequest(sw_if_index=idx, prefix=pb.IpPrefix(address=bytes([192, 0, 2, 1]),
                                                                                   length=24)))
    names = {i.sw_if_index: i.name for i in ifs.List(pb.ListInterfacesRequest()).interfaces}
    assert names[idx] == "loop0", names
    batch = pb.RouteBatch(updates=[pb.RouteUpdate(op=pb.ROUTE_ADD, route=pb.Route(
        prefix=pb.IpPrefix(address=bytes([198, 51, 100, 0]), length=24),
        paths=[pb.Path(next_hop=bytes([192, 0, 2, 2]))]))])
    routes = rpc.RoutesStub(ch)
    assert routes.Apply(batch).applied == 1
    got = routes.Lookup(pb.RouteLookupRequest(address=bytes([198, 51, 100, 9])))
    assert got.prefix.length == 24 and got.paths[0].next_hop == bytes([192, 0, 2, 2])
    assert list(rpc.TablesStub(ch).List(pb.ListTablesRequest()).ip4) == [0]
    assert len(rpc.LcpStub(ch).List(pb.Empty()).pairs) == 0
    running = rpc.ConfigStub(ch).Running(pb.RunningConfigRequest()).commands
    assert "create loopback interface" in running, running
    try:
        ifs.SetMtu(pb.SetMtuRequest(sw_if_index=idx, mtu=5))
        raise SystemExit("a bad MTU was accepted")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and "MTU" in e.details(), e.details()
    print("old client ok")
""")


def test_client_built_against_the_single_file_api_still_works(lab, tmp_path):
    proto_root = tmp_path / "proto"
    (proto_root / "vplane" / "v1").mkdir(parents=True)
    shutil.copy(os.path.join(DATA, "vplane_v1_before_split.proto"), proto_root / "vplane" / "v1" / "vplane.proto")
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    plugin = shutil.which("grpc_python_plugin")
    sh(["protoc", "-I", str(proto_root), f"--python_out={stubs}", f"--grpc_python_out={stubs}",
        f"--plugin=protoc-gen-grpc_python={plugin}", "vplane/v1/vplane.proto"])
    v = lab.vplane()
    r = subprocess.run([sys.executable, "-c", CLIENT, str(stubs), v.api_sock], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and "old client ok" in r.stdout, r.stdout + r.stderr
