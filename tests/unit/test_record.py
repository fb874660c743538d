"""oc_core.record against the stdlib's dataclasses, the behaviour it stands in for."""
import dataclasses

import pytest
from oc_core.record import _COMPILE_AFTER, FrozenRecordError, field, fields, record, replace


def _pair(**kw):
    """The same class made by both decorators."""
    def body(deco, fld):
        @deco(**kw)
        class Point:
            """A point."""
            x: int
            y: int = 3
            tags: tuple = fld(default_factory=tuple)
            note: str = fld(default="", compare=False)

            def total(self) -> int:
                return self.x + self.y
        return Point
    return body(record, field), body(dataclasses.dataclass, dataclasses.field)


@pytest.mark.parametrize("kw", [{}, {"frozen": True}, {"slots": True},
                                {"frozen": True, "slots": True}, {"eq": False},
                                {"eq": False, "slots": True}])
def test_behaves_as_dataclasses(kw):
    ours, theirs = _pair(**kw)
    for args, kwargs in [((1,), {}), ((1, 2), {"note": "n"}), ((5,), {"tags": (1, 2)})]:
        a, b = ours(*args, **kwargs), theirs(*args, **kwargs)
        assert repr(a) == repr(b)
        assert a.total() == b.total()
        assert (a == ours(*args, **kwargs)) == (b == theirs(*args, **kwargs))
        other = {**kwargs, "note": "x"}
        assert (a == ours(*args, **other)) == (b == theirs(*args, **other))
        assert hasattr(a, "__dict__") == hasattr(b, "__dict__")
        assert (type(a).__hash__ is None) == (type(b).__hash__ is None)
        if kw.get("frozen"):
            assert hash(a) == hash(ours(*args, **other))
            with pytest.raises(FrozenRecordError):
                a.x = 9
            with pytest.raises(AttributeError):
                del a.y
        else:
            a.x = 9
            assert a.x == 9
    assert [f.name for f in fields(ours)] == [f.name for f in dataclasses.fields(theirs)]
    assert ours.__doc__ == theirs.__doc__ and ours.__qualname__ == theirs.__qualname__


def test_factories_give_each_instance_its_own_value():
    @record
    class Bag:
        items: list = field(default_factory=list)
    a, b = Bag(), Bag()
    a.items.append(1)
    assert b.items == [] and Bag([7]).items == [7]


def test_replace_changes_named_fields_only():
    ours, _ = _pair(frozen=True, slots=True)
    p = ours(1, 2, (3,), "n")
    q = replace(p, y=5)
    assert (q.x, q.y, q.tags, q.note) == (1, 5, (3,), "n") and p.y == 2
    with pytest.raises(TypeError, match="no field 'z'"):
        replace(p, z=1)


def test_class_defaults_stay_readable_without_slots():
    @record(frozen=True)
    class Opts:
        level: int = 2
        names: tuple = field(default_factory=tuple)
    assert Opts.level == 2 and not hasattr(Opts, "names")


def test_a_field_without_default_after_one_with_is_refused():
    with pytest.raises(TypeError, match="non-default field 'b'"):
        @record
        class Bad:
            a: int = 0
            b: int
    with pytest.raises(ValueError):
        field(default=1, default_factory=int)


def test_a_record_of_many_fields_binds_as_a_compiled_one():
    """Over _COMPILED_UP_TO fields __init__ is generic: same defaults, factories, order
    and errors."""
    body = {f"f{k}": (int, k) for k in range(40)}
    ns = {"__annotations__": {"a": int, **{n: t for n, (t, _) in body.items()},
                              "z": list}}
    ns.update({n: v for n, (_, v) in body.items()})
    ns["z"] = field(default_factory=list)
    big = record(frozen=True)(type("Big", (), ns))
    b = big(7, 1, f39=9)
    assert (b.a, b.f0, b.f1, b.f2, b.f39, b.z) == (7, 1, 1, 2, 9, [])
    assert b.z is not big(0).z
    assert replace(b, f2=5).f2 == 5 and b == big(7, 1, f39=9)
    with pytest.raises(TypeError, match="missing required argument: 'a'"):
        big()
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        big(1, nope=2)
    with pytest.raises(TypeError, match="multiple values for argument 'a'"):
        big(1, a=2)
    with pytest.raises(TypeError, match="positional arguments"):
        big(*range(50))
    with pytest.raises(FrozenRecordError):
        b.a = 1



@pytest.mark.parametrize("slots", [False, True])
def test_init_is_compiled_after_a_few_dozen_instances(slots):
    """The first instances are filled by the generic __init__ (same defaults, same
    refusals); after _COMPILE_AFTER of them the class's own is compiled and put in place,
    and a call that fails on either leaves a working class behind."""
    @record(frozen=True, slots=slots)
    class Late:
        a: int
        b: int = 2
        c: list = field(default_factory=list)
    placeholder = Late.__init__
    with pytest.raises(TypeError):
        Late()
    made = [Late(k) for k in range(_COMPILE_AFTER - 1)]
    assert Late.__init__ is placeholder
    assert [(m.a, m.b, m.c) for m in made[:2]] == [(0, 2, []), (1, 2, [])]
    assert made[0].c is not made[1].c
    with pytest.raises(TypeError):
        Late(1, 2, [], 4)
    assert Late.__init__ is not placeholder
    assert Late.__init__.__qualname__.endswith("Late.__init__")
    assert (Late(1).a, Late(1).b, Late(1, b=3).b, Late(1).c) == (1, 2, 3, [])
    with pytest.raises(TypeError):
        Late(1, 2, [], 3)
