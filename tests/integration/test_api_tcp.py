"""The API over TCP is served only with mutual TLS: any local user can
connect to a port, so a client must show a certificate the operator's CA
signed. Without the TLS files vplaned refuses TCP with one line; a client
without a certificate, with one from another CA, or in plain text is
refused; one with a signed certificate works."""
import os
import subprocess
import sys

import grpc
import pytest

from vplane_harness import ROOT, VPLANED, free_port, sh

sys.path.insert(0, os.path.join(ROOT, "python"))


def make_ca(d, name):
    sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
        "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.pem"])


def make_cert(d, ca, name, san=None):
    sh(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{d}/{name}.key",
        "-out", f"{d}/{name}.csr"])
    ext = f"{d}/{name}.ext"
    with open(ext, "w") as f:
        f.write(f"subjectAltName={san}\n" if san else "basicConstraints=CA:FALSE\n")
    sh(["openssl", "x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/{ca}.pem", "-CAkey", f"{d}/{ca}.key",
        "-CAcreateserial", "-days", "1", "-extfile", ext, "-out", f"{d}/{name}.pem"])


@pytest.fixture
def pki(tmp_path):
    d = str(tmp_path)
    make_ca(d, "ca")
    make_ca(d, "rogue-ca")
    make_cert(d, "ca", "server", san="IP:127.0.0.1")
    make_cert(d, "ca", "client")
    make_cert(d, "rogue-ca", "intruder")
    return d


def read(path):
    with open(path, "rb") as f:
        return f.read()


def test_tcp_without_tls_files_is_refused(tmp_path):
    r = subprocess.run([VPLANED, "--name", f"tcpno{os.getpid()}", "--hugepages", "no", "--workers", "0",
                        "--cli-socket", str(tmp_path / "c.sock"), "--api-socket", str(tmp_path / "a.sock"),
                        "--api-tcp", f"127.0.0.1:{free_port()}"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "needs mutual TLS" in r.stderr and r.stderr.strip().count("\n") == 0, r.stderr


def test_only_clients_with_a_signed_certificate_get_in(lab, pki):
    port = free_port()
    v = lab.vplane(extra=("--api-tcp", f"127.0.0.1:{port}", "--api-tls-cert", f"{pki}/server.pem",
                          "--api-tls-key", f"{pki}/server.key", "--api-tls-ca", f"{pki}/ca.pem"))
    from vplane_client import pb, rpc
    target = f"127.0.0.1:{port}"

    def ping(channel):
        return rpc.SystemStub(channel).Ping(pb.PingRequest(cookie=11), timeout=5).cookie

    ca = read(f"{pki}/ca.pem")
    good = grpc.secure_channel(target, grpc.ssl_channel_credentials(ca, read(f"{pki}/client.key"),
                                                                    read(f"{pki}/client.pem")))
    assert ping(good) == 11
    refused = {
        "no certificate": grpc.secure_channel(target, grpc.ssl_channel_credentials(ca)),
        "another CA's certificate": grpc.secure_channel(
            target, grpc.ssl_channel_credentials(ca, read(f"{pki}/intruder.key"), read(f"{pki}/intruder.pem"))),
        "plain text": grpc.insecure_channel(target),
    }
    for what, ch in refused.items():
        with pytest.raises(grpc.RpcError) as e:
            ping(ch)
        assert e.value.code() == grpc.StatusCode.UNAVAILABLE, what
    # The Unix socket is unchanged.
    assert v.client().ping(3) == 3
