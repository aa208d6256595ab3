"""The executors' one windowed map: any picklable function over tasks, on every executor."""

from __future__ import annotations

import pytest
from sweep_util import slow_square

from ecosim.sweep.executors import Window, make_executor


@pytest.mark.parametrize("kind", ["sequential", "processes", "dask"])
def test_map_gives_every_result_once_in_task_order_when_asked(kind):
    with make_executor(kind, workers=2) as ex:
        got = list(ex.map(slow_square, range(10), on_error=lambda x, exc: f"{x}: {exc}", ordered=True))
        assert got == [x * x if x != 5 else "5: five" for x in range(10)]
        unordered = list(ex.map(slow_square, [0, 1, 2, 3, 4, 6, 7]))
        assert sorted(unordered) == [0, 1, 4, 9, 16, 36, 49]
        if kind != "sequential":
            assert unordered[0] != 0  # results come as they finish: the other worker's before the slow first task
        with pytest.raises(ValueError, match="five"):  # by default a task's error is raised
            list(ex.map(slow_square, range(10)))


def test_the_window_keeps_a_bounded_number_of_calls_in_flight():
    from concurrent.futures import ThreadPoolExecutor

    pulled = []

    def items():
        for i in range(50):
            pulled.append(i)
            yield i

    with ThreadPoolExecutor(4) as pool:
        window = Window(pool, slow_square, items(), 6)
        most = 0
        for done, (_, future) in enumerate(window, start=1):
            most = max(most, len(pulled) - done + 1)
            assert future.done()
        assert most <= 6 and len(pulled) == 50
