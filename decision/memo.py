"""A small bounded memo for values that depend only on something immutable (a release)."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class BoundedMemo:
    """Remembers up to `size` values; the least recently used goes first. Thread-safe."""

    def __init__(self, size: int):
        self._size = size
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], object]):
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
