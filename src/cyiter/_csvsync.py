"""Where does the first CSV record at or after a byte offset start?

``read_csv(start=a)`` must yield exactly the rows whose first byte is at
``a`` or after, as one pass over the whole file would cut them, also when
``a`` falls inside a quoted field that holds newlines.  Both twins ask
:func:`first_record`, which finds it without parsing the file up to ``a``:

1. If no quote (or escape) byte comes before ``a``, every line end before
   it ends a record: the state at ``a`` follows from the last line end
   (found by scanning back at memory speed).
2. Otherwise the csv module's state machine is run from every state it can
   be in at once (a set of states, as a subset construction does) over a
   window of bytes before ``a``.  Real CSV makes the set shrink to one
   state within a few fields (a quote followed by a delimiter can only be
   a closing quote); the window grows until it does, or reaches the start
   of the file, where the state is known.
3. From the one state at ``a``, the machine runs forward to the first
   record boundary.

The machine is the parser's own (``_byte`` and ``_eol`` of read_csv) with
the fields left out, so it cuts records where the parser does.  Two things
the parser does cannot be known from bytes alone, and make a range start
where a full pass would have resumed after an error: a field longer than
``max_field_size``, and a field that does not decode or convert; a file
read with ``errors="ignore"`` and undecodable bytes is therefore searched
by parsing from the start instead (see docs/internals.md, "CSV ranges").
"""

from __future__ import annotations

import os
import re
from typing import Any

(
    START_RECORD,
    START_FIELD,
    ESCAPED_CHAR,
    IN_FIELD,
    IN_QUOTED_FIELD,
    ESCAPE_IN_QUOTED_FIELD,
    QUOTE_IN_QUOTED_FIELD,
    EAT_CRNL,
    AFTER_ESCAPED_CRNL,
    SKIP_LINE,  # after a strict-mode error: the rest of the line is dropped
) = range(10)
_NL, _CR, _SPACE = 10, 13, 32
_STATES = 10
_WINDOW = 1 << 16
_BLOCK = 1 << 20


def _eol(state: int) -> int:
    """The parser's ``_eol``: the state after a line end."""
    if state in (START_FIELD, IN_FIELD, QUOTE_IN_QUOTED_FIELD, EAT_CRNL):
        return START_RECORD
    if state == ESCAPED_CHAR:
        return IN_FIELD
    if state == ESCAPE_IN_QUOTED_FIELD:
        return IN_QUOTED_FIELD
    return state  # START_RECORD, IN_QUOTED_FIELD, AFTER_ESCAPED_CRNL


def _byte(d: Any, state: int, c: int) -> int:
    """The parser's ``_byte``, fields left out; SKIP_LINE for a strict error."""
    newline = c == _NL or c == _CR
    if state == START_RECORD:
        if newline:
            return EAT_CRNL
        state = START_FIELD
    if state == START_FIELD:
        if newline:
            return EAT_CRNL
        if c == d.quote_byte:
            return IN_QUOTED_FIELD
        if c == d.escape_byte:
            return ESCAPED_CHAR
        if c == _SPACE and d.skipinitialspace:
            return START_FIELD
        if c == d.delimiter_byte:
            return START_FIELD
        return IN_FIELD
    if state == ESCAPED_CHAR:
        return AFTER_ESCAPED_CRNL if newline else IN_FIELD
    if state == IN_FIELD or state == AFTER_ESCAPED_CRNL:
        if newline:
            return EAT_CRNL
        if c == d.escape_byte:
            return ESCAPED_CHAR
        if c == d.delimiter_byte:
            return START_FIELD
        return state
    if state == IN_QUOTED_FIELD:
        if c == d.escape_byte:
            return ESCAPE_IN_QUOTED_FIELD
        if c == d.quote_byte:
            return QUOTE_IN_QUOTED_FIELD if d.doublequote else IN_FIELD
        return IN_QUOTED_FIELD
    if state == ESCAPE_IN_QUOTED_FIELD:
        return IN_QUOTED_FIELD
    if state == QUOTE_IN_QUOTED_FIELD:
        if c == d.quote_byte:
            return IN_QUOTED_FIELD
        if c == d.delimiter_byte:
            return START_FIELD
        if newline:
            return EAT_CRNL
        return SKIP_LINE if d.strict else IN_FIELD
    if state == SKIP_LINE:
        return EAT_CRNL if newline else SKIP_LINE
    return EAT_CRNL  # EAT_CRNL only ever sees \r or \n


def _step(d: Any, config: int, c: int) -> tuple[int, int]:
    """One byte, as ``_record`` takes it: a configuration is ``state * 2 +
    cr`` (cr: the last byte was a \\r that may end the line).  Returns the
    next configuration and where a record ended: 0 nowhere, 1 just before
    *c* (a record starts at *c*), 2 just after it."""
    state, cr = divmod(config, 2)
    ended = 0
    if cr and c != _NL:
        state = _eol(state)
        if state == START_RECORD:
            ended = 1
    state = _byte(d, state, c)
    cr = 0
    if c == _NL:
        state = _eol(state)
        if state == START_RECORD:
            ended = 2
    elif c == _CR:
        cr = 1
    return state * 2 + cr, ended


class Machine:
    """The state machine of one dialect, over classes of bytes that it
    treats alike, with its steps on sets of configurations (bit masks)."""

    def __init__(self, d: Any) -> None:
        self.d = d
        special = {_NL, _CR, d.delimiter_byte, d.quote_byte, d.escape_byte}
        if d.skipinitialspace:
            special.add(_SPACE)
        special.discard(-1)
        self.special = sorted(special)
        self.other = next(b for b in range(256) if b not in special)
        self.specials = re.compile(b"[" + b"".join(re.escape(bytes((b,))) for b in self.special) + b"]")
        self.quoting = bytes(b for b in (d.quote_byte, d.escape_byte) if b >= 0)
        self._sets: dict[tuple[int, int], int] = {}

    def step_set(self, configs: int, c: int) -> int:
        """The configurations the set *configs* can be in after byte *c*."""
        key = (configs, c)
        after = self._sets.get(key)
        if after is None:
            after = 0
            for config in range(2 * _STATES):
                if configs >> config & 1:
                    after |= 1 << _step(self.d, config, c)[0]
            self._sets[key] = after
        return after

    def run_set(self, configs: int, data: bytes) -> int:
        """*configs* after all of *data*.  A run of ordinary bytes acts as
        one: after one, another changes no configuration."""
        pos = 0
        other = self.other
        for match in self.specials.finditer(data):
            if match.start() > pos:
                configs = self.step_set(configs, other)
            configs = self.step_set(configs, data[match.start()])
            pos = match.end()
        if len(data) > pos:
            configs = self.step_set(configs, other)
        return configs


ALL = (1 << 2 * _STATES) - 1
INITIAL = 1 << START_RECORD * 2


def first_record(src: Any, d: Any, start: int) -> int:
    """The offset of the first record that starts at *start* or after in
    the file of *src* (a cyiter Source, seekable), the file's size if none
    does."""
    read = _reader(src)
    size = _size(src)
    first = 3 if d.bom and read(0, 3) == b"\xef\xbb\xbf" else 0  # (after a BOM)
    if start <= first:
        return first
    if start >= size:
        return size
    machine = Machine(d)
    config = _config_at(machine, read, start, first)
    return _boundary(machine, read, config, start, size)


def _config_at(machine: Machine, read: Any, pos: int, first: int) -> int:
    """The configuration after the bytes ``[first, pos)`` (one bit)."""
    q = _rfind(read, machine.quoting, first, pos) if machine.quoting else -1
    if q < 0:
        # no quote or escape before pos: every line end ends a record
        e = _rfind(read, b"\r\n", first, pos)
        configs = INITIAL if e < 0 else (INITIAL if read(e, 1) == b"\n" else 1 << EAT_CRNL * 2 + 1)
        return machine.run_set(configs, read(max(e + 1, first), pos - max(e + 1, first)))
    window = _WINDOW
    while True:
        low = max(first, pos - window)
        configs = INITIAL if low == first else ALL
        for at in range(low, pos, _BLOCK):
            configs = machine.run_set(configs, read(at, min(_BLOCK, pos - at)))
        if configs & (configs - 1) == 0:
            return configs
        window *= 8


def _boundary(machine: Machine, read: Any, configs: int, pos: int, size: int) -> int:
    """From the one configuration *configs* at *pos*, the first offset at
    or after *pos* where a record starts (*size* if none does)."""
    config = configs.bit_length() - 1
    if config == START_RECORD * 2:
        return pos
    d = machine.d
    while pos < size:
        data = read(pos, min(_BLOCK, size - pos))
        for i, c in enumerate(data):
            config, ended = _step(d, config, c)
            if ended:
                return pos + i + (ended == 2)
        pos += len(data)
    return size


def _rfind(read: Any, needles: bytes, low: int, high: int) -> int:
    """The offset of the last byte of *needles* in ``[low, high)``, or -1
    (scanning back a block at a time, at memory speed)."""
    while high > low:
        at = max(low, high - _BLOCK)
        data: bytes = read(at, high - at)
        found = max(data.rfind(bytes((b,))) for b in needles)
        if found >= 0:
            return at + found
        high = at
    return -1


def _reader(src: Any) -> Any:
    """``read(offset, n) -> bytes`` at any offset of *src*'s file."""
    file = src.file
    fileno = getattr(file, "fileno", None)
    if src.path is not None and fileno is not None and hasattr(os, "pread"):
        fd = fileno()
        return lambda offset, n: os.pread(fd, n, offset)

    def read(offset: int, n: int) -> bytes:
        file.seek(offset)
        data = bytearray()
        while len(data) < n:
            more = file.read(n - len(data))
            if not more:
                break
            data += more
        return bytes(data)

    return read


def _size(src: Any) -> int:
    file = src.file
    if src.path is not None:
        return os.fstat(file.fileno()).st_size
    end: int = file.seek(0, os.SEEK_END)
    return end
