"""A small bounded memo for rendered fragments that depend only on an immutable release."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class BoundedMemo:
    """Remembers up to `size` values; the oldest goes first. Safe across threads."""

    def __init__(self, size: int):
        self._size = size
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], object]):
        try:
            return self._values[key]
        except KeyError:
            pass
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
