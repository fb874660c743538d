"""oc_core.overlap.ordered_map (the generator's block sums of a big basis on every core):
results in order whatever order the threads finish in, no more than `ahead` items taken
before their results, an exception where its result would be, and threads that end
when the caller stops early."""
import threading
import time

import pytest
from oc_core.overlap import ordered_map


def _threads() -> int:
    return sum(t.name == "oc-ordered-map" for t in threading.enumerate())


def test_results_come_in_order():
    def slow_first(i):
        time.sleep(0.02 if i % 3 == 0 else 0)
        return i * i
    assert list(ordered_map(slow_first, range(20), 3)) == [i * i for i in range(20)]
    assert _threads() == 0


def test_items_are_taken_at_most_ahead_of_the_results():
    taken = []

    def items():
        for i in range(10):
            taken.append(i)
            yield i
    got = ordered_map(lambda i: i, items(), 2, ahead=3)
    assert next(got) == 0 and len(taken) == 4  # three ahead, and the next handed out
    assert list(got) == list(range(1, 10))


def test_an_exception_comes_where_its_result_would():
    def fails_at_five(i):
        if i == 5:
            raise ValueError("five")
        return i
    got = []
    with pytest.raises(ValueError, match="five"):
        for r in ordered_map(fails_at_five, range(10), 2):
            got.append(r)
    assert got == [0, 1, 2, 3, 4] and _threads() == 0


def test_stopping_early_ends_the_threads():
    got = ordered_map(lambda i: i, range(1000), 2)
    assert next(got) == 0
    got.close()
    assert _threads() == 0
