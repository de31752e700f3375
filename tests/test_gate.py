import threading

from app.gate import GatedModel, ModelGate
from tests.fakes import ScriptedGenerator


def test_gate_is_fifo_and_bounded():
    gate = ModelGate(max_waiting=1)
    a, b = gate.join(), gate.join()
    assert a is not None and b is not None and gate.join() is None  # line full
    assert gate.wait_turn(a, 0.01) and not gate.wait_turn(b, 0.01)
    done = threading.Event()

    def second():
        assert gate.wait_turn(b, 5)
        done.set()

    t = threading.Thread(target=second)
    t.start()
    gate.leave(a)
    assert done.wait(5) and gate.max_inside == 1
    gate.leave(b)
    t.join()
    assert not gate.busy


def test_stream_if_free_never_waits_behind_another_user():
    gate = ModelGate(4)
    model = GatedModel(ScriptedGenerator("好的"), gate)
    held = gate.enter()
    assert model.stream_if_free([{"role": "user", "content": "x"}], 10, 5.0) is None
    gate.leave(held)
    pieces = model.stream_if_free([{"role": "user", "content": "x"}], 10, 5.0)
    assert pieces is not None and gate.busy
    assert "".join(pieces) == "好的" and not gate.busy


def test_a_lease_never_iterated_still_frees_the_gate():
    gate = ModelGate(4)
    model = GatedModel(ScriptedGenerator("好的"), gate)
    pieces = model.stream_if_free([{"role": "user", "content": "x"}], 10, 5.0)
    assert pieces is not None and gate.busy
    pieces.close()
    assert not gate.busy


def test_long_jobs_wait_in_line_and_get_nothing_when_it_is_full():
    gate = ModelGate(0)
    model = GatedModel(ScriptedGenerator("要点"), gate)
    held = gate.enter()
    assert list(model.stream([{"role": "user", "content": "x"}], 10, 5.0)) == []  # line full: no model
    gate.leave(held)
    assert "".join(model.stream([{"role": "user", "content": "x"}], 10, 5.0)) == "要点"
