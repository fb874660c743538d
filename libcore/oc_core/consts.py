"""Named integer constants, the part of enum.IntEnum we use, made without the enum module.

Importing enum costs a local copy about 5 ms of its start (a no-change run of a small
tree is over in a tenth of a second; see record.py). A class derived from IntConst turns
its upper-case int attributes into members: ints that know their name.

    class Colour(IntConst):
        RED = 1
        BLUE = 2

    Colour.RED == 1; Colour(2) is Colour.BLUE; Colour.BLUE.name == "BLUE"; list(Colour)

Colour(3) raises ValueError, as an IntEnum's would; str() and format() give the number.
"""

__all__ = ["IntConst"]


class _Members(type):
    def __new__(mcs, name, bases, ns):
        cls = super().__new__(mcs, name, bases, ns)
        cls._by_value = {}
        for key, value in ns.items():
            if key.isupper() and type(value) is int:
                member = int.__new__(cls, value)
                member.name = key
                cls._by_value.setdefault(value, member)
                setattr(cls, key, member)
        return cls

    def __iter__(cls):
        return iter(cls._by_value.values())

    def __len__(cls):
        return len(cls._by_value)


class IntConst(int, metaclass=_Members):
    def __new__(cls, value):
        try:
            return cls._by_value[value]
        except (KeyError, TypeError):
            raise ValueError(f"{value!r} is not a valid {cls.__name__}") from None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}.{self.name}: {int(self)}>"

    __str__ = int.__repr__
    __format__ = int.__format__

    def __reduce__(self):
        return type(self), (int(self),)
