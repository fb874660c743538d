"""Multiplexed frames both ways, and the size checks upstream's read_a_msg makes."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oc_wire.errors import NEED_DATA, LimitError, ProtocolError
from oc_wire.mux import Demuxer, Frame, Msg, encode_frame


@pytest.mark.parametrize("code,payload,hexhead", [
    (Msg.DATA, b"abc", "03000007"),
    (Msg.INFO, b"hello\n", "06000009"),
    (Msg.ERROR_EXIT, b"", "0000005d"),
    (Msg.NO_SEND, b"\1\0\0\0", "0400006d"),
])
def test_frame_rows(code, payload, hexhead):
    raw = encode_frame(code, payload)
    assert raw[:4].hex() == hexhead and raw[4:] == payload
    d = Demuxer()
    d.receive_data(raw[:2])
    assert d.next_event() is NEED_DATA
    d.receive_data(raw[2:])
    assert d.next_event() == Frame(code, payload)
    assert d.next_event() is NEED_DATA


def test_unknown_codes_and_wrong_fixed_sizes_are_protocol_errors():
    d = Demuxer()
    d.receive_data(((7 + 50) << 24 | 0).to_bytes(4, "little"))
    with pytest.raises(ProtocolError):
        d.next_event()
    d = Demuxer()
    d.receive_data(encode_frame(Msg.INFO, b"x")[:0] + ((7 + 9) << 24 | 3).to_bytes(4, "little"))
    with pytest.raises(ProtocolError):
        d.next_event()


def test_log_text_is_bounded_before_it_is_buffered():
    d = Demuxer()
    d.receive_data(((7 + Msg.ERROR) << 24 | 6000).to_bytes(4, "little"))
    with pytest.raises(LimitError):
        d.next_event()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "take", "drop"]), st.binary(max_size=40),
                          st.integers(0, 50)), max_size=40))
def test_chunks_is_a_byte_fifo(ops):
    """Chunks (the demuxer's and the connection's buffers) against a bytearray: whatever
    pieces go in and whatever sizes are taken, dropped or peeked, the same bytes come
    out, and the pieces writev is given start where the data does."""
    from oc_wire.chunks import Chunks

    c, ref = Chunks(), bytearray()
    for op, data, n in ops:
        if op == "add":
            c.append(data)
            ref += data
        elif op == "take":
            assert c.peek(n) == bytes(ref[:n])
            assert c.take(n) == bytes(ref[:n])
            del ref[:n]
        else:
            c.drop(n)
            del ref[:n]
        assert len(c) == len(ref)
        assert bytes(ref).startswith(b"".join(c.views(3)))
        assert b"".join(c.views(1000)) == bytes(ref)
    assert c.take(len(c)) == bytes(ref)
