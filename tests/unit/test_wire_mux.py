"""Multiplexed frames both ways, and the size checks upstream's read_a_msg makes."""
import pytest
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
