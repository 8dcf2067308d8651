"""The CLI socket never makes vplaned wait for a client: one that sends
requests and reads no reply neither freezes the main thread (the CLI, the
API, the metrics and, with --workers 0, forwarding) nor holds more than one
reply; it is disconnected once it has taken nothing for a while. A client
that reads late still gets every reply, in order."""
import socket
import struct
import time

HELP = struct.pack("<I", 5) + b"\0help"


def connect(v):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(v.sock)
    return s


def test_a_client_that_never_reads_does_not_freeze_vplaned(lab):
    v = lab.vplane(workers=0)
    s = connect(v)
    s.setblocking(False)
    sent = 0
    for _ in range(200):
        try:
            s.send(HELP)
            sent += 1
        except BlockingIOError:
            break
    assert sent > 10
    t0 = time.time()
    rc, out, err = v.ctl("show", "version")
    assert rc == 0 and out.startswith("vplane "), err
    assert time.time() - t0 < 5, "the main thread waited for a client that does not read"
    # The API is served by the same main thread.
    assert v.client().ping(7) == 7
    # Taking nothing for the stall limit (5 s) ends the connection, with a log line.
    deadline = time.time() + 15
    while time.time() < deadline and "took no reply bytes" not in v.logtext():
        time.sleep(0.2)
    assert "took no reply bytes" in v.logtext()
    s.setblocking(True)
    s.settimeout(5)
    got = b""
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            got += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    assert v.ctl("show", "version")[0] == 0


def test_a_client_that_reads_late_gets_every_reply_in_order(lab):
    v = lab.vplane(workers=0)
    s = connect(v)
    cmds = [b"show version", b"help", b"show interface", b"nosuch command"] * 25
    for c in cmds:
        s.sendall(struct.pack("<I", len(c) + 1) + b"\0" + c)
    time.sleep(1)  # replies wait in vplaned while the client does nothing
    s.settimeout(10)
    buf = b""
    replies = []
    while len(replies) < len(cmds):
        while len(buf) < 4 or len(buf) < 4 + struct.unpack("<I", buf[:4])[0]:
            chunk = s.recv(1 << 16)
            assert chunk, f"connection closed after {len(replies)} replies"
            buf += chunk
        n = struct.unpack("<I", buf[:4])[0]
        replies.append((buf[4], buf[5:4 + n]))
        buf = buf[4 + n:]
    s.close()
    for i, (status, text) in enumerate(replies):
        if cmds[i] == b"nosuch command":
            assert status == 1 and b"unknown command" in text
        else:
            assert status == 0, text
    assert replies[0][1].startswith(b"vplane ")


def test_replies_much_larger_than_the_socket_buffer_arrive_whole(lab):
    v = lab.vplane(workers=0)
    v.cli("create loopback interface")
    v.cli("set interface ip address loop0 10.0.0.1/24")
    v.cli("ip route add count 20000 100.0.0.0/24 via 10.0.0.2")
    for _ in range(5):  # several MB each, written out over many timer ticks
        assert len(v.json("show ip fib")["entries"]) > 20000
