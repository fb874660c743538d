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
