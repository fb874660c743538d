"""Record classes (named, typed fields; frozen or not) made without the dataclasses module.

Every oc-rsync run starts an interpreter, two for a transfer over a remote shell, and a
local copy of a small tree is over in a tenth of a second. Building our record classes
with dataclasses cost about 55 ms of each start (it compiles five or six methods a class)
and importing it about 20 ms more (it pulls in inspect, ast, dis and tokenize). Here a
class gets one compiled function, its __init__ (so making an instance costs what it cost
before), compiled only once the class has made a few dozen instances (a run uses few of
the classes it imports, most of them only a handful; a generic __init__ fills those), and
shared __repr__, __eq__ and __hash__ built on its field names.

    @record(frozen=True, slots=True)
    class Point:
        x: int
        y: int = 0
        tags: list = field(default_factory=list)

The parts of dataclasses we use, with the same meaning: `frozen`, `slots`, `eq` (True:
instances compare by their fields, in order, and frozen ones hash by them; False: by
identity), defaults, `field(default=..., default_factory=..., compare=...)`, `fields()`
and `replace()`. No inheritance between records, no InitVar/ClassVar/kw_only.
"""
from operator import attrgetter

__all__ = ["record", "field", "fields", "replace", "Field", "FrozenRecordError"]

_MISSING = object()
_FACTORY = object()  # an __init__ default: "call the field's default_factory"


class FrozenRecordError(AttributeError):
    """An attribute of a frozen record was set or deleted."""


class Field:
    __slots__ = ("name", "default", "default_factory", "compare")

    def __init__(self, default=_MISSING, default_factory=_MISSING, compare=True):
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("a field takes a default or a default_factory, not both")
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.compare = compare

    def __repr__(self) -> str:
        return f"Field(name={self.name!r})"


def field(*, default=_MISSING, default_factory=_MISSING, compare: bool = True):
    return Field(default, default_factory, compare)


def fields(cls_or_instance) -> tuple[Field, ...]:
    return cls_or_instance.__record_fields__


def replace(obj, **changes):
    """A copy of obj with some fields changed (through __init__, as dataclasses does)."""
    for name in changes:
        if name not in obj.__record_names__:
            raise TypeError(f"{type(obj).__name__} has no field {name!r}")
    values = {name: getattr(obj, name) for name in obj.__record_names__}
    values.update(changes)
    return type(obj)(**values)


def record(cls=None, /, *, frozen: bool = False, slots: bool = False, eq: bool = True):
    def wrap(c):
        return _make(c, frozen, slots, eq)
    return wrap if cls is None else wrap(cls)


def _collect(cls) -> list[Field]:
    out = []
    for name in cls.__dict__.get("__annotations__", {}):
        value = cls.__dict__.get(name, _MISSING)
        f = value if isinstance(value, Field) else Field(default=value)
        f.name = name
        out.append(f)
    seen_default = False
    for f in out:
        has = f.default is not _MISSING or f.default_factory is not _MISSING
        if seen_default and not has:
            raise TypeError(f"non-default field {f.name!r} follows a default field")
        seen_default |= has
    return out


_COMPILED_UP_TO = 32  # fields; a bigger record (Options: made a few times a run) gets
# a generic __init__, as compiling one with ~100 parameters costs ~3 ms of every start


def _generic_init(flds: list[Field]):
    names = tuple(f.name for f in flds)
    where = {n: k for k, n in enumerate(names)}
    defaults = [(f.default, f.default_factory) for f in flds]

    def __init__(self, *args, **kwargs):
        if len(args) > len(names):
            raise TypeError(f"__init__() takes {len(names) + 1} positional arguments but "
                            f"{len(args) + 1} were given")
        values = [*args, *[_MISSING] * (len(names) - len(args))]
        for name, value in kwargs.items():
            k = where.get(name)
            if k is None:
                raise TypeError(f"__init__() got an unexpected keyword argument {name!r}")
            if k < len(args):
                raise TypeError(f"__init__() got multiple values for argument {name!r}")
            values[k] = value
        for k, value in enumerate(values):
            if value is _MISSING:
                default, factory = defaults[k]
                if factory is not _MISSING:
                    value = factory()
                elif default is not _MISSING:
                    value = default
                else:
                    raise TypeError(f"__init__() missing required argument: {names[k]!r}")
            object.__setattr__(self, names[k], value)
    return __init__


def _init(cls_name: str, flds: list[Field], frozen: bool):
    if len(flds) > _COMPILED_UP_TO:
        return _generic_init(flds)
    env = {"_FACTORY": _FACTORY, "_set": object.__setattr__}
    params, body = [], []
    for k, f in enumerate(flds):
        n = f.name
        if f.default_factory is not _MISSING:
            env[f"_f{k}"] = f.default_factory
            params.append(f"{n}=_FACTORY")
            value = f"_f{k}() if {n} is _FACTORY else {n}"
        else:
            if f.default is not _MISSING:
                env[f"_d{k}"] = f.default
                params.append(f"{n}=_d{k}")
            else:
                params.append(n)
            value = n
        body.append(f"    _set(self, {n!r}, {value})" if frozen else f"    self.{n} = {value}")
    src = f"def __init__({', '.join(['self', *params])}):\n" + ("\n".join(body) or "    pass")
    code = compile(src, f"<record {cls_name}>", "exec")
    exec(code, env)  # noqa: S102 - our own source text, built from annotation names
    return env["__init__"]


def _make(cls, frozen: bool, slots: bool, eq: bool):
    flds = _collect(cls)
    names = tuple(f.name for f in flds)
    made = []  # the class made here, once it is
    ns = {"__record_fields__": tuple(flds), "__record_names__": names,
          "__match_args__": names, "__init__": _first_init(made, flds, frozen)}
    if "__repr__" not in cls.__dict__:
        ns["__repr__"] = _repr
    if eq:
        key = _key([f.name for f in flds if f.compare])
        ns["__eq__"] = _eq(key)
        ns["__hash__"] = _hash(key) if frozen else None
    if frozen:
        ns["__setattr__"] = _frozen_set
        ns["__delattr__"] = _frozen_del
    if not slots:  # the class keeps plain defaults as attributes, as dataclasses does
        for f in flds:
            if f.default is _MISSING:
                if f.name in cls.__dict__:
                    delattr(cls, f.name)
            else:
                setattr(cls, f.name, f.default)
        for k, v in ns.items():
            setattr(cls, k, v)
        made.append(cls)
        return cls
    body = {k: v for k, v in cls.__dict__.items()
            if k not in names and k not in ("__dict__", "__weakref__")}
    body.update(ns, __slots__=names)
    new = type(cls)(cls.__name__, cls.__bases__, body)
    new.__qualname__ = cls.__qualname__
    made.append(new)
    return new


_COMPILE_AFTER = 64  # instances made through the generic __init__ before the compiled one


def _first_init(made: list, flds: list[Field], frozen: bool):
    """An __init__ that fills the fields generically for a class's first instances and
    then compiles the class's own and puts it in its place: a run makes instances of
    few of the record classes it imports, most of them only a handful (compiling costs
    ~0.3 ms a class, which is worth it only for the classes made by the thousand)."""
    generic = _generic_init(flds)
    made_so_far = [0]

    def __init__(self, *args, **kwargs):
        made_so_far[0] += 1
        if made_so_far[0] > _COMPILE_AFTER:
            cls = made[0]
            init = _init(cls.__name__, flds, frozen)
            init.__qualname__ = f"{cls.__qualname__}.__init__"
            cls.__init__ = init
            init(self, *args, **kwargs)
        else:
            generic(self, *args, **kwargs)
    return __init__


def _key(names: list[str]):
    if not names:
        return lambda obj: ()
    get = attrgetter(*names)
    return get if len(names) > 1 else lambda obj: (get(obj),)


def _repr(self) -> str:
    inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__record_names__)
    return f"{type(self).__qualname__}({inner})"


def _eq(key):
    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented
    return __eq__


def _hash(key):
    def __hash__(self):
        return hash(key(self))
    return __hash__


def _frozen_set(self, name, value):
    raise FrozenRecordError(f"cannot assign to field {name!r}")


def _frozen_del(self, name):
    raise FrozenRecordError(f"cannot delete field {name!r}")
