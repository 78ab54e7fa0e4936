"""Helpers shared by the test modules (imported as ``from support import ...``)."""

import pickle


def run(iterator, limit=None):
    """Drain *iterator*: (items, None) or (items so far, (type, message))."""
    items = []
    try:
        for item in iterator:
            items.append(item)
            if limit is not None and len(items) >= limit:
                break
    except Exception as exc:  # the outcome under comparison
        return items, (type(exc), str(exc))
    return items, None


def outcome(factory):
    """Like :func:`run`, but creation errors count too."""
    try:
        iterator = factory()
    except Exception as exc:
        return "at creation", (type(exc), str(exc))
    return run(iterator)


def roundtrip(obj):
    return pickle.loads(pickle.dumps(obj))


class Source:
    """A hostile iterator: raises *exc* at its *fail_at*-th next() (1-based),
    counts how often it is pulled, and can run a *hook* on every next()."""

    def __init__(self, items, fail_at=None, exc=None, hook=None):
        self.items = list(items)
        self.fail_at = fail_at
        self.exc = exc or ZeroDivisionError("source failed")
        self.hook = hook
        self.pulls = 0

    def __iter__(self):
        return self

    def __next__(self):
        self.pulls += 1
        if self.hook is not None:
            self.hook()
        if self.pulls == self.fail_at:
            raise self.exc
        if not self.items:
            raise StopIteration
        return self.items.pop(0)


class NoIter:
    """Has __next__ but no __iter__: not iterable."""

    def __next__(self):
        return 1


class NoNext:
    """__iter__ returns something that is not an iterator."""

    def __iter__(self):
        return self
