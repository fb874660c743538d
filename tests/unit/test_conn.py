"""oc_rsync.conn.Conn over real pipes."""
import os
import threading
import time

import pytest
from oc_rsync.conn import Conn, Stopped


def test_abort_ends_our_output_and_stops_a_thread_waiting_for_input():
    """A generator that fails calls abort(): the peer sees the end of our output, and the
    receiver's thread, waiting for data the peer will now never send (a remote shell may
    hold the connection open), raises Stopped instead of waiting forever."""
    peer_r, our_w = os.pipe()
    our_r, peer_w = os.pipe()  # (the peer never writes, nor closes its end)
    conn = Conn(our_r, our_w)
    caught = []

    def reader():
        try:
            conn.read(1)
        except Stopped as exc:
            caught.append(exc)

    t = threading.Thread(target=reader)
    t.start()
    time.sleep(0.3)
    assert t.is_alive()  # really waiting
    conn.abort()
    t.join(5)
    assert not t.is_alive() and len(caught) == 1 and caught[0].exit_code == 12
    assert os.read(peer_r, 10) == b""  # the end of our output
    with pytest.raises(Stopped):  # and so does any later wait
        conn.read(1)
    for fd in (peer_r, our_w, our_r, peer_w):
        os.close(fd)


def test_pipes_are_widened_and_a_socket_is_left_alone():
    """Both pipes of a connection hold 1 MiB (a 64 KiB pipe stalls the sender every 64
    KiB until the receiver has read); a socket, which has no pipe size, still works."""
    import fcntl
    import socket
    peer_r, our_w = os.pipe()
    our_r, peer_w = os.pipe()
    assert fcntl.fcntl(our_r, fcntl.F_GETPIPE_SZ) == 1 << 16  # (the default)
    conn = Conn(our_r, our_w)
    assert fcntl.fcntl(our_r, fcntl.F_GETPIPE_SZ) == 1 << 20
    assert fcntl.fcntl(our_w, fcntl.F_GETPIPE_SZ) == 1 << 20
    conn.write(b"x" * 500_000)
    conn.flush()  # (500,000 bytes fit: no reader needed)
    assert len(os.read(peer_r, 1 << 20)) == 500_000
    os.write(peer_w, b"abc")
    assert conn.read(3) == b"abc"
    for fd in (peer_r, our_w, our_r, peer_w):
        os.close(fd)
    a, b = socket.socketpair()
    conn = Conn(a.fileno(), a.fileno())
    b.sendall(b"hello")
    assert conn.reader.read_bytes(5) == b"hello"
    a.close()
    b.close()
