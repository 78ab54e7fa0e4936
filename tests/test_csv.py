"""read_csv against csv.DictReader, on both twins (the ``impl`` fixture).

The reference for rows and errors is ``csv.DictReader`` over the file opened
with ``newline=""``.  The reference for ``.offset`` is the same DictReader
fed by :class:`Lines`, which splits the bytes into lines as
``open(newline="")`` does and counts the bytes of the lines the csv module
has taken: the offset of the next row is where its csv.reader stopped.
"""

import codecs
import csv
import doctest
import gc
import io
import os
import pickle
import re
import sys
import threading

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cyiter import _select

# the ``impl`` fixture is the same for every example of a test
with_impl = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

# -- references ---------------------------------------------------------------


class Lines:
    """The lines of *data* as ``open(newline="")`` gives them, decoded; ``pos``
    is the byte offset after the last line taken."""

    LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")

    def __init__(self, data, encoding="utf-8", errors="strict"):
        self.data = data
        self.encoding = encoding
        self.errors = errors
        self.pos = 3 if encoding == "utf-8-sig" and data.startswith(codecs.BOM_UTF8) else 0

    def __iter__(self):
        return self

    def __next__(self):
        match = self.LINE.match(self.data, self.pos)
        if match is None or match.end() == self.pos:
            raise StopIteration
        self.pos = match.end()
        codec = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        return match.group().decode(codec, self.errors)


def drain(reader, offsets=None, max_errors=50):
    """Everything *reader* gives: rows, and (type, message) for csv errors
    and for the ValueError of a field that quoting= could not make a float,
    which the csv module lets reading go on after; it stops at any other
    error.  *offsets* gets the offset after each row or such error when it
    is a list."""
    out = []
    while True:
        try:
            out.append(next(reader))
        except StopIteration:
            return out
        except (csv.Error, ValueError) as exc:
            if isinstance(exc, UnicodeDecodeError):
                out.append((type(exc), None))
                return out
            out.append((type(exc), str(exc)))
            max_errors -= 1
            if max_errors == 0:
                return out
        except Exception as exc:  # where reading stopped is not specified
            out.append((type(exc), None if isinstance(exc, UnicodeDecodeError) else str(exc)))
            return out
        if offsets is not None:
            offsets.append(offset_of(reader))


def offset_of(reader):
    if isinstance(reader, csv.DictReader):
        return reader.reader.line_source.pos
    return reader.offset


class _Reader:
    """csv.reader that keeps its line source, for offsets."""

    def __init__(self, lines, **dialect):
        self.line_source = lines
        self._reader = csv.reader(lines, **dialect)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._reader)

    @property
    def line_num(self):
        return self._reader.line_num


def reference(path, fieldnames=None, restkey=None, restval=None, encoding="utf-8", errors="strict",
              max_field_size=131072, **dialect):
    """Outcomes of csv.DictReader over the file opened with newline=""."""
    saved = csv.field_size_limit(max_field_size)
    try:
        with open(path, newline="", encoding=encoding, errors=errors) as f:
            return drain(csv.DictReader(f, fieldnames, restkey, restval, **dialect))
    finally:
        csv.field_size_limit(saved)


def reference_offsets(data, fieldnames=None, restkey=None, restval=None, encoding="utf-8",
                      errors="strict", max_field_size=131072, **dialect):
    """(outcomes, offsets) of csv.DictReader fed line by line from *data*."""
    saved = csv.field_size_limit(max_field_size)
    try:
        reader = csv.DictReader([], fieldnames, restkey, restval)
        reader.reader = _Reader(Lines(data, encoding, errors), **dialect)
        offsets = []
        return drain(reader, offsets), offsets
    finally:
        csv.field_size_limit(saved)


def ours(impl, path, **kwargs):
    offsets = []
    # (arbitrary bytes may start like compressed data: read them as they are)
    return drain(impl.read_csv(path, compression=None, **kwargs), offsets), offsets


# -- generated CSV --------------------------------------------------------------

TEXT = st.text(
    alphabet=st.sampled_from(list('ab ,;|\t"\'\\^\r\nxé€\x00😀')), max_size=12
)
def _csv_accepts(dialect):
    """Parsing tests need a dialect the running csv module takes (3.13+
    refuses more of them); refusals are tested at creation elsewhere."""
    try:
        csv.reader([], **dialect)
    except (csv.Error, TypeError, ValueError):
        return False
    return True


#: the running csv module's quoting values (3.12 added QUOTE_STRINGS, QUOTE_NOTNULL)
QUOTINGS = [
    getattr(csv, name)
    for name in ("QUOTE_MINIMAL", "QUOTE_ALL", "QUOTE_NONNUMERIC", "QUOTE_NONE",
                 "QUOTE_STRINGS", "QUOTE_NOTNULL")
    if hasattr(csv, name)
]

DIALECT = st.fixed_dictionaries(
    {},
    optional={
        "delimiter": st.sampled_from([",", ";", "\t", "|", " ", "a", "\"", "\r", "\n", "\\"]),
        "quotechar": st.sampled_from(['"', "'", "|"]),
        "escapechar": st.sampled_from([None, "\\", "^", '"', ",", "a"]),
        "doublequote": st.booleans(),
        "skipinitialspace": st.booleans(),
        "strict": st.booleans(),
        "quoting": st.sampled_from(QUOTINGS),
    },
).filter(_csv_accepts)

def refused_like_csv(impl, path, dialect):
    """True when the running csv module refuses *dialect* (3.13+ refuses
    more, explicit examples included), after checking that read_csv refuses
    it with the same error."""
    try:
        csv.reader([], **dialect)
    except (csv.Error, TypeError, ValueError) as exc:
        with pytest.raises(type(exc)) as ours:
            impl.read_csv(path, **dialect)
        assert str(ours.value) == str(exc)
        return True
    return False



@st.composite
def written_csv(draw):
    """CSV bytes written by csv.writer under a random dialect, with blank
    lines, ragged rows and line endings mixed in; and reader options."""
    dialect = draw(DIALECT)
    lineterminator = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONE]))
    rows = draw(st.lists(st.lists(TEXT, max_size=5), max_size=8))
    out = io.StringIO(newline="")
    writer_options = {k: v for k, v in dialect.items() if k not in ("strict", "quoting")}
    try:
        writer = csv.writer(out, lineterminator=lineterminator, quoting=quoting, **writer_options)
        for row in rows:
            writer.writerow(row)
            if draw(st.booleans()) and draw(st.booleans()):
                out.write(draw(st.sampled_from(["\n", "\r\n", "\r"])))
    except (csv.Error, TypeError, ValueError):  # 3.13+ refuses more dialects with ValueError
        assume(False)
    data = out.getvalue().encode("utf-8")
    if draw(st.booleans()):
        data = data.rstrip(b"\r\n")
    return data, dialect


NASTY = st.binary().map(bytes) | st.lists(
    st.sampled_from([b"a", b"b", b",", b'"', b'""', b"\\", b"\r", b"\n", b"\r\n", b" ", b";",
                     b"\xc3\xa9", b"'"]),
    max_size=40,
).map(b"".join)


class Trickle(io.RawIOBase):
    """A raw binary file that gives at most *chunk* bytes per read."""

    def __init__(self, data, chunk):
        self.data = io.BytesIO(data)
        self.chunk = chunk

    def readable(self):
        return True

    def readinto(self, buffer):
        return self.data.readinto(memoryview(buffer)[: self.chunk])


def clashes_with_backslashreplace(dialect):
    """The csv module would parse the "\\xff" that replaced a byte: refused."""
    special = {dialect.get("delimiter", ","), dialect.get("quotechar", '"'),
               dialect.get("escapechar")}
    return bool(special & set("\\x0123456789abcdef"))


def write(tmp_path, data, name="data.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- conformance ----------------------------------------------------------------


class TestAgainstDictReader:
    @with_impl
    @given(case=written_csv(), header=st.booleans(), rest=st.booleans())
    @example(case=(b'a,b\r\n1,"x,\r\ny"\r\n\r\n2\r\n3,4,5', {}), header=True, rest=True)
    @example(case=(b"\\\r;\r\nx\\\n;\nz", {"escapechar": "\\"}), header=False, rest=True)
    @example(case=(b"\\\r;", {"escapechar": "\\", "strict": True}), header=False, rest=False)
    def test_written(self, impl, tmp_path_factory, case, header, rest):
        data, dialect = case
        path = write(tmp_path_factory.mktemp("csv"), data)
        options = dict(dialect)
        if not header:
            options["fieldnames"] = ["k1", "k2", "k3"]
        if rest:
            options.update(restkey="REST", restval="-")
        expected = reference(path, **options)
        got, offsets = ours(impl, path, **options)
        assert got == expected
        assert (got, offsets) == reference_offsets(data, **options)

    @with_impl
    @given(data=NASTY, dialect=DIALECT)
    @example(data=b'a\n"\xc3"\xa9,x\\\xc3\\\xa9\n', dialect={"escapechar": "\\"})
    @example(data=b'h\n"ab"c,"d\r"\r\n"', dialect={"strict": True})
    @example(data=b"h\nab\\", dialect={"escapechar": "\\"})
    @example(data=b"h,i\nab,c,d\n", dialect={"escapechar": ","})
    @example(data=b'h\n"ab\\', dialect={"escapechar": "\\"})
    @example(data=b"h\nab\\\r\n", dialect={"escapechar": "\\"})
    def test_nasty_bytes(self, impl, tmp_path_factory, data, dialect):
        path = write(tmp_path_factory.mktemp("csv"), data)
        if refused_like_csv(impl, path, dialect):
            return
        for errors in ("replace", "surrogateescape", "backslashreplace", "ignore"):
            if errors == "backslashreplace" and clashes_with_backslashreplace(dialect):
                with pytest.raises(ValueError, match="backslashreplace"):
                    impl.read_csv(path, errors=errors, **dialect)
                continue
            expected = reference(path, errors=errors, **dialect)
            got, offsets = ours(impl, path, errors=errors, **dialect)
            assert got == expected
            assert (got, offsets) == reference_offsets(data, errors=errors, **dialect)

    @with_impl
    @given(data=NASTY, dialect=DIALECT)
    @example(data=b"\x00\n\x80", dialect={"quoting": csv.QUOTE_NONNUMERIC})
    def test_strict_decoding_fails_at_the_row_holding_bad_bytes(
        self, impl, tmp_path_factory, data, dialect
    ):
        # the csv module over a text file fails when the text layer decodes a
        # chunk, possibly rows earlier; cyiter fails at the row holding the
        # bad bytes, so the reference is the line-by-line DictReader
        path = write(tmp_path_factory.mktemp("csv"), data)
        dialect["strict"] = False  # decoding errors only
        if refused_like_csv(impl, path, dialect):
            return
        expected, _ = reference_offsets(data, **dialect)
        got, _ = ours(impl, path, **dialect)
        assert got == expected
        if expected and expected[-1] == (UnicodeDecodeError, None):
            # the rest of the line is dropped and reading goes on after it
            reader = impl.read_csv(path, compression=None, **dialect)
            with pytest.raises(UnicodeDecodeError):
                while True:  # past the csv and conversion errors of earlier rows
                    try:
                        next(reader)
                    except (csv.Error, ValueError) as exc:
                        if isinstance(exc, UnicodeDecodeError):
                            raise
            at = reader.offset
            assert not repr(reader).endswith("(closed)>")
            assert at > 0 and data[at - 1 : at] in (b"\n", b"\r") or at == len(data)
            while True:  # every later call makes progress, to the end
                try:
                    next(reader)
                except StopIteration:
                    break
                except (UnicodeDecodeError, csv.Error, ValueError):
                    assert reader.offset > at
                at = reader.offset

    @with_impl
    @given(text=TEXT, limit=st.integers(0, 6),
           dialect=DIALECT)
    @example(text='"abcdefg"\nab\n', limit=3, dialect={})
    @example(text='ab\n"é€😀x\r\nyz"\nq', limit=4, dialect={})
    def test_max_field_size(self, impl, tmp_path_factory, text, limit, dialect):
        data = ("h\n" + text).encode("utf-8")
        path = write(tmp_path_factory.mktemp("csv"), data)
        if refused_like_csv(impl, path, dialect):
            return
        expected = reference(path, max_field_size=limit, **dialect)
        got, offsets = ours(impl, path, max_field_size=limit, **dialect)
        assert got == expected
        assert (got, offsets) == reference_offsets(data, max_field_size=limit, **dialect)

    @with_impl
    @given(case=written_csv() | NASTY.map(lambda data: (data, {})), chunk=st.integers(1, 7),
           errors=st.sampled_from(["strict", "replace", "ignore"]),
           bom=st.booleans())
    @example(case=(b"a\r\n1\r\n", {}), chunk=2, errors="strict", bom=False)
    @example(case=(b'a,b\r\n"x""y",\xe2\x82\xac\r\n', {}), chunk=1, errors="ignore", bom=True)
    def test_source_giving_a_few_bytes_at_a_time(self, impl, case, chunk, errors, bom):
        # every buffer boundary falls somewhere: after a \r, inside a quoted
        # field, a UTF-8 character or the byte order mark
        data, dialect = case
        data = codecs.BOM_UTF8 + data if bom else data
        encoding = "utf-8-sig"
        expected, offsets = reference_offsets(data, encoding=encoding, errors=errors, **dialect)
        reader = impl.read_csv(Trickle(data, chunk), encoding=encoding, errors=errors, **dialect)
        got_offsets = []
        assert drain(reader, got_offsets) == expected
        assert got_offsets == offsets

    @pytest.mark.parametrize(
        "data, options",
        [
            # a character cut short before a quote counts, as the csv module
            # counts the U+FFFD it decodes to, before the strict quote error
            (b'\\\xe2\x82\\;;,\r\n\ra\\\x00"\xff\xc3\xa9',
             dict(quotechar="\\", strict=True, errors="replace", max_field_size=0,
                  fieldnames=["x", "y"])),
            # ... and so does one cut short by the end of the file
            (b'"\t,\xffa,\xe2\x82', dict(strict=True, errors="surrogateescape", max_field_size=5)),
            # errors="ignore": what is dropped after a \r belongs to the next line
            (b"b,,|\r; \nb\r\xff\xc3\xa9\x00|\xe2\x82\x00 ba|\xe2\x82'\xc3\xa9\xff\x00\r\r\r\n\r\na",
             dict(delimiter="\t", quotechar=",", escapechar="^", skipinitialspace=True,
                  errors="ignore", max_field_size=3, fieldnames=["x", "y"])),
            # ... and a dropped byte is no character of a field growing too long
            (b"\r\n\xe2\x82;a\xff\"\r;\"'\x00\xff\x00\n;;\t\x00\xc3\xa9b\t",
             dict(delimiter='"', quotechar="'", escapechar="a", doublequote=False,
                  skipinitialspace=True, errors="ignore", max_field_size=2)),
            # after an escaped \r, é is one character, not a dropped byte
            (b"\\\r\xc3\xa9\r\n,\r\n", dict(escapechar="\\", errors="ignore")),
        ],
    )
    def test_found_by_fuzzing(self, impl, tmp_path, data, options):
        path = write(tmp_path, data)
        assert ours(impl, path, **options) == reference_offsets(data, **options)

    @with_impl
    @given(data=NASTY, dialect=DIALECT, limit=st.sampled_from([0, 1, 2, 3, 5, 131072]),
           errors=st.sampled_from(["strict", "replace", "ignore", "backslashreplace"]))
    def test_twins_agree_on_everything(self, impl, other_impl, data, dialect, limit, errors):
        # where the csv module itself is no reference (a decoding error and a
        # csv.Error on one line), the twins still give the same errors, with
        # the same messages, and the same offsets
        def everything(twin):
            try:
                reader = twin.read_csv(
                    io.BytesIO(data), errors=errors, max_field_size=limit, compression=None, **dialect
                )
            except ValueError as exc:
                return str(exc)
            out = []
            for _ in range(60):
                try:
                    out.append((next(reader), reader.offset))
                except StopIteration:
                    break
                except (csv.Error, ValueError) as exc:  # decoding, or quoting= converting
                    out.append((type(exc), str(exc), reader.offset))
            return out

        assert everything(impl) == everything(other_impl)

    def test_max_field_size_message(self, impl, tmp_path):
        path = write(tmp_path, b"h\n" + b"x" * 20 + b"\nok\n")
        rows = impl.read_csv(path, max_field_size=10)
        with pytest.raises(csv.Error, match=r"^field larger than field limit \(10\)$"):
            next(rows)
        assert next(rows) == {"h": "ok"}

    @pytest.mark.parametrize("errors", ["backslashreplace", "replace", "ignore", "surrogateescape"])
    @pytest.mark.parametrize("limit", [1, 2, 5, 8, 9])
    def test_max_field_size_counts_decoded_characters(self, impl, tmp_path, errors, limit):
        data = b'h,i\n\xff\xff,x\n"\xe2\x82\xac\xe2\x82",y\n\xc3\xa9\xc3\xa9\xc3,z\nok,ok\n'
        path = write(tmp_path, data)
        options = dict(errors=errors, max_field_size=limit)
        assert ours(impl, path, **options) == reference_offsets(data, **options)
        assert ours(impl, path, **options)[0] == reference(path, **options)

    def test_default_limit_is_the_csv_modules(self, impl, tmp_path):
        path = write(tmp_path, b"h\n" + b"x" * 131072 + b"\n" + b"y" * 131073 + b"\n")
        rows = impl.read_csv(path)
        assert next(rows) == {"h": "x" * 131072}
        with pytest.raises(csv.Error, match=r"\(131072\)"):
            next(rows)

    def test_long_field_across_buffers(self, impl, tmp_path):
        field = ("é" * 70000) + ('""' * 30000) + "\r\n" * 5000
        data = ('h,i\n"' + field + '",2\n').encode("utf-8")
        path = write(tmp_path, data)
        assert ours(impl, path, max_field_size=10**6) == reference_offsets(data, max_field_size=10**6)


class TestDictRows:
    def test_restkey_restval(self, impl, tmp_path):
        path = write(tmp_path, b"a,b,c\n1\n1,2,3,4,5\n\n1,2\n")
        got = list(impl.read_csv(path, restkey="more", restval="?"))
        assert got == [
            {"a": "1", "b": "?", "c": "?"},
            {"a": "1", "b": "2", "c": "3", "more": ["4", "5"]},
            {"a": "1", "b": "2", "c": "?"},
        ]

    @pytest.mark.parametrize(
        "fieldnames",
        [["x", "y"], ("x", "y", "x"), "xy", [], ["a", "a", "a", "a"], iter(["p", "q"])],
    )
    def test_fieldnames(self, impl, tmp_path, fieldnames):
        path = write(tmp_path, b"1,2\n3\n4,5,6\n")
        names = list(fieldnames)
        expected = reference(path, names, "R", "V")
        got = list(impl.read_csv(path, fieldnames=iter(names), restkey="R", restval="V"))
        assert got == expected
        assert [list(row) for row in got] == [list(row) for row in expected]

    @with_impl
    @given(case=written_csv())
    def test_fieldnames_attribute(self, impl, tmp_path_factory, case):
        data, dialect = case
        path = write(tmp_path_factory.mktemp("csv"), data)
        with open(path, newline="", encoding="utf-8") as f:
            reference_reader = csv.DictReader(f, **dialect)
            try:
                expected = reference_reader.fieldnames
            except (csv.Error, ValueError) as exc:  # ValueError: quoting= converting
                expected = (type(exc), str(exc))
            expected_rows = drain(reference_reader)
        reader = impl.read_csv(path, **dialect)
        try:
            got = reader.fieldnames
        except (csv.Error, ValueError) as exc:
            got = (type(exc), str(exc))
        assert got == expected
        assert drain(reader) == expected_rows

    def test_fieldnames_read_the_header_and_can_be_set(self, impl, tmp_path):
        path = write(tmp_path, b"a,b\n1,2\n3,4,5\n6\n")
        rows = impl.read_csv(path, restkey="more")
        assert rows.offset == 0
        names = rows.fieldnames
        assert names == ["a", "b"]
        assert rows.offset == 4
        names.append("c")  # a copy
        assert next(rows) == {"a": "1", "b": "2"}
        rows.fieldnames = ("x", "y", "z")
        assert rows.fieldnames == ["x", "y", "z"]
        assert list(rows) == [{"x": "3", "y": "4", "z": "5"}, {"x": "6", "y": None, "z": None}]
        with pytest.raises(TypeError, match="unhashable"):
            rows.fieldnames = [[]]

    def test_fieldnames_of_an_empty_file(self, impl, tmp_path):
        path = write(tmp_path, b"\r\n")
        rows = impl.read_csv(path)
        assert rows.fieldnames == []
        rows = impl.read_csv(write(tmp_path, b"", "empty.csv"))
        assert rows.fieldnames is None
        assert repr(rows).endswith("(closed)>")
        assert list(rows) == []
        rows = impl.read_csv(write(tmp_path, b"", "empty.csv"), fieldnames="ab")
        assert rows.fieldnames == ["a", "b"]
        assert list(rows) == []

    def test_blank_first_line_is_an_empty_header(self, impl, tmp_path):
        path = write(tmp_path, b"\n1,2\n")
        assert list(impl.read_csv(path)) == reference(path) == [{None: ["1", "2"]}]

    def test_unhashable_names_fail_at_creation(self, impl, tmp_path):
        path = write(tmp_path, b"1,2\n")
        with pytest.raises(TypeError, match="unhashable"):
            impl.read_csv(path, fieldnames=[["x"]])
        with pytest.raises(TypeError, match="unhashable"):
            impl.read_csv(path, restkey=[])

    @pytest.mark.parametrize("data", [b"", b"\n\n", b"a,b\n", b"a,b\n\r\n\n"])
    def test_nothing_but_a_header(self, impl, tmp_path, data):
        path = write(tmp_path, data)
        rows = impl.read_csv(path)
        assert list(rows) == []
        assert rows.offset == len(data)
        assert list(rows) == []


# -- options ----------------------------------------------------------------------

BAD_DIALECTS = [
    {"delimiter": ",,"},
    {"delimiter": ""},
    {"delimiter": 4},
    {"delimiter": None},
    {"quotechar": "ab"},
    {"quotechar": 1},
    {"escapechar": "xy"},
    {"escapechar": 5},
    {"delimiter": '"'},
    {"quotechar": None, "escapechar": None},
    {"doublequote": None},
    {"quoting": 99},
    {"quoting": "1"},
    {"quoting": None},
    {"quotechar": None, "quoting": csv.QUOTE_MINIMAL},
    {"quotechar": None, "quoting": csv.QUOTE_NONE},  # allowed: nothing is quoted
]


@pytest.mark.parametrize("dialect", BAD_DIALECTS)
def test_dialect_errors_are_the_csv_modules(impl, tmp_path, dialect):
    path = write(tmp_path, b'a,b\n1,"2"\n')
    try:
        expected = ("rows", reference(path, **dialect))
    except Exception as exc:  # the csv module's own error
        expected = (type(exc), str(exc))
    try:
        got = ("rows", list(impl.read_csv(path, **dialect)))
    except Exception as exc:
        got = (type(exc), str(exc))
    assert got == expected


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"encoding": "utf-16"}, ValueError),
        ({"encoding": "shift_jis"}, ValueError),
        ({"encoding": "no-such-codec"}, LookupError),
        ({"encoding": None}, TypeError),
        ({"errors": "no-such-handler"}, LookupError),
        ({"errors": 3}, TypeError),
        ({"delimiter": "§"}, ValueError),
        ({"escapechar": "é"}, ValueError),
        ({"max_field_size": -1}, ValueError),
        ({"max_field_size": 1.5}, TypeError),
    ],
)
def test_option_errors_at_creation(impl, tmp_path, kwargs, error):
    path = write(tmp_path, b"a\n1\n")
    with pytest.raises(error):
        impl.read_csv(path, **kwargs)


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "koi8-r", "ascii"])
def test_single_byte_encodings(impl, tmp_path, encoding):
    data = bytes(range(256)).replace(b"\x00", b"").replace(b'"', b"")
    data = b"a;b\n" + data + b';"x\n"\n'
    path = write(tmp_path, data)
    for errors in ("strict", "replace", "backslashreplace"):
        options = dict(encoding=encoding, errors=errors, delimiter=";")
        expected = reference_offsets(data, **options)
        assert ours(impl, path, **options) == expected
        if errors != "strict":
            assert expected[0] == reference(path, **options)


def test_non_ascii_delimiter_in_a_single_byte_encoding(impl, tmp_path):
    path = write(tmp_path, "a§b\nà§\"§\"\n".encode("latin-1"))
    expected = reference(path, encoding="latin-1", delimiter="§")
    assert list(impl.read_csv(path, encoding="latin-1", delimiter="§")) == expected
    assert expected == [{"a": "à", "b": "§"}]


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_byte_order_mark(impl, tmp_path, bom, encoding):
    path = write(tmp_path, bom + b"a,b\n1,2\n")
    rows = impl.read_csv(path, encoding=encoding)
    assert list(rows) == reference(path, encoding=encoding)


# -- quoting ----------------------------------------------------------------------

QUOTING_CASES = [
    # floats, a quoted field kept, empty fields, a header that is not a number
    b'a,b,c\r\n1, 2 ,"3"\r\n,x,\r\n"",4e3,-inf\n\n7,"8"9,1_0\n',
    # fields that begin with the escape character (3.10/3.11 do not convert them)
    b"\\1,\\,,2\\,3\n\\\n,4\n",
    # skipped spaces, a quote in an unquoted field, no newline at the end
    b' 1,  "2", 3\r x"y,5\n  , , \n6',
    # an error in a field that ends the line, then in a quoted multi-line record
    b'1,2\n3,x\r\n"a\nb",y,4\n5\n',
    # the rows of CPython's test_read_quoting and test_read_skipinitialspace
    b',3,"5",7.3, 9\n,,"",\n"a\nb", 7\nabc,3\n1\\.5,\\.5,.5\n1\\.5,\\.5,"\\.5"\n , , \n',
]


@pytest.mark.parametrize("quoting", QUOTINGS)
@pytest.mark.parametrize("data", QUOTING_CASES)
@pytest.mark.parametrize("header", [True, False])
def test_quoting_as_dictreader(impl, tmp_path, quoting, data, header):
    options = dict(quoting=quoting, escapechar="\\", skipinitialspace=b" , " in data)
    if not header:
        options["fieldnames"] = ["k1", "k2", "k3"]
    path = write(tmp_path, data)
    got = ours(impl, path, **options)
    assert got[0] == reference(path, **options)
    assert got == reference_offsets(data, **options)


def test_quoting_error_in_the_header(impl, tmp_path):
    # the header row converts too: its ValueError comes from .fieldnames,
    # and the next look takes the next line, as DictReader does
    path = write(tmp_path, b"a,b\n1,2\n3,4\n")
    rows = impl.read_csv(path, quoting=csv.QUOTE_NONNUMERIC)
    with open(path, newline="") as f:
        expected = csv.DictReader(f, quoting=csv.QUOTE_NONNUMERIC)
        with pytest.raises(ValueError) as theirs:
            expected.fieldnames
        with pytest.raises(ValueError) as ours_:
            rows.fieldnames
        assert (type(ours_.value), str(ours_.value)) == (type(theirs.value), str(theirs.value))
        assert rows.offset == 4
        assert rows.fieldnames == expected.fieldnames == [1.0, 2.0]
        assert list(rows) == list(expected) == [{1.0: 3.0, 2.0: 4.0}]


def test_quoting_none_reads_quotes_as_text(impl, tmp_path):
    path = write(tmp_path, b'a,b\n"x,y"\n')
    for options in ({"quoting": csv.QUOTE_NONE}, {"quoting": csv.QUOTE_NONE, "quotechar": None}):
        rows = list(impl.read_csv(path, **options))
        assert rows == reference(path, **options) == [{"a": '"x', "b": 'y"'}]


# -- offsets and pickles ----------------------------------------------------------


@with_impl
@given(case=written_csv(), k=st.integers(1, 4))
def test_pickle_resumes_at_every_kth_row(impl, other_impl, monkeypatch, tmp_path_factory, case, k):
    data, dialect = case
    path = write(tmp_path_factory.mktemp("csv"), data)
    expected = drain(impl.read_csv(path, **dialect))
    assume(all(isinstance(item, dict) for item in expected))
    for restorer in (impl, other_impl):
        reader = impl.read_csv(path, **dialect)
        got = []
        while True:
            blob = pickle.dumps(reader)
            reader.close()
            monkeypatch.setattr(_select, "CLASSES", restorer.classes)
            reader = pickle.loads(blob)
            monkeypatch.setattr(_select, "CLASSES", impl.classes)
            rows = [row for _, row in zip(range(k), reader)]
            got.extend(rows)
            if len(rows) < k:
                break
        reader.close()
        assert got == expected


def test_pickle_before_and_after_the_header(impl, tmp_path):
    path = write(tmp_path, b"a,b\n1,2\n3,4\n")
    fresh = pickle.loads(pickle.dumps(impl.read_csv(path)))
    assert list(fresh) == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]
    rows = impl.read_csv(path)
    next(rows)
    clone = pickle.loads(pickle.dumps(rows))
    assert clone.offset == rows.offset == 8
    # the header was read once and is kept, even if the file changes
    path.write_bytes(b"x,y\n1,2\n3,4\n")
    assert list(clone) == [{"a": "3", "b": "4"}]
    rows.close()


def test_pickled_options(impl, tmp_path):
    path = write(tmp_path, "h;i\n'x;y';é\nz\n".encode("latin-1"))
    options = dict(delimiter=";", quotechar="'", encoding="latin-1", restval="?",
                   skipinitialspace=True)
    rows = impl.read_csv(path, **options)
    assert next(rows) == {"h": "x;y", "i": "é"}
    assert list(pickle.loads(pickle.dumps(rows))) == [{"h": "z", "i": "?"}]
    rows.close()
    path = write(tmp_path, b'1,"2"\n3,4\n', "numbers.csv")
    rows = impl.read_csv(path, fieldnames=["h", "i"], quoting=csv.QUOTE_NONNUMERIC)
    assert next(rows) == {"h": 1.0, "i": "2"}
    assert list(pickle.loads(pickle.dumps(rows))) == [{"h": 3.0, "i": 4.0}]
    rows.close()


def test_exhausted_and_closed_pickle_as_exhausted(impl, tmp_path):
    path = write(tmp_path, b"a\n1\n")
    rows = impl.read_csv(path)
    assert list(rows) == [{"a": "1"}]
    assert list(pickle.loads(pickle.dumps(rows))) == []
    rows = impl.read_csv(path)
    rows.close()
    clone = pickle.loads(pickle.dumps(rows))
    assert list(clone) == []
    assert clone.offset == 0


def test_pickles_taken_while_another_thread_reads_resume_exactly(impl, tmp_path):
    # the file is read while the other thread pickles: every snapshot must be
    # taken between two rows, so it resumes with exactly the rows not yet read
    data = b"id,x\n" + b"".join(b'%d,"a\r\n%d"\n' % (i, i) for i in range(20000))
    path = write(tmp_path, data)
    expected = list(impl.read_csv(path))
    reader = impl.read_csv(path)
    snapshots = []
    done = threading.Event()

    def snapshot():
        while not done.is_set():
            snapshots.append(pickle.dumps(reader))

    taker = threading.Thread(target=snapshot)
    taker.start()
    try:
        got = list(reader)
    finally:
        done.set()
        taker.join()
    assert got == expected
    assert snapshots
    for blob in snapshots[:: max(1, len(snapshots) // 50)]:
        with pickle.loads(blob) as rest:
            rest = list(rest)
        assert rest == expected[len(expected) - len(rest) :]


def test_file_object_does_not_pickle(impl):
    rows = impl.read_csv(io.BytesIO(b"a\n1\n"))
    with pytest.raises(TypeError, match="file object"):
        pickle.dumps(rows)
    assert list(rows) == [{"a": "1"}]


def test_offset_with_lone_cr_and_trailing_blank_lines(impl, tmp_path):
    data = b"a\r1\r\r\n2\r\n\n\n"
    path = write(tmp_path, data)
    rows = impl.read_csv(path)
    assert rows.offset == 0
    assert next(rows) == {"a": "1"}
    assert rows.offset == 4
    assert next(rows) == {"a": "2"}
    assert rows.offset == 9
    assert next(rows, None) is None
    assert rows.offset == len(data)


# -- sources, closing -----------------------------------------------------------------


def open_fds():
    return len(os.listdir("/proc/self/fd"))


needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")


@needs_proc
def test_close_gc_and_with_release_the_file(impl, tmp_path):
    path = write(tmp_path, b"a\n1\n2\n")
    before = open_fds()
    rows = impl.read_csv(path)
    assert open_fds() == before + 1
    next(rows)
    rows.close()
    assert open_fds() == before
    assert list(rows) == []
    assert repr(rows) == f"<cyiter.read_csv {str(path)!r} (closed)>"
    rows = impl.read_csv(path)
    next(rows)
    del rows
    gc.collect()
    assert open_fds() == before
    with impl.read_csv(path) as rows:
        assert next(rows) == {"a": "1"}
        assert repr(rows) == f"<cyiter.read_csv {str(path)!r}>"
    assert open_fds() == before
    cycle = [impl.read_csv(path)]
    cycle.append(cycle)
    next(cycle[0])
    del cycle
    gc.collect()
    assert open_fds() == before


def test_file_objects_are_not_closed(impl):
    f = io.BytesIO(b"a,b\n1,2\n")
    f.read(3)
    rows = impl.read_csv(f)
    assert iter(rows) is rows
    assert list(rows) == [{"a": "1", "b": "2"}]
    assert not f.closed
    assert rows.offset == 8


@pytest.mark.skipif(sys.platform == "win32", reason="os.pipe semantics")
def test_pipe(impl):
    read_end, write_end = os.pipe()
    data = b'a,b\n1,"x\ny"\n\n2,3'
    os.write(write_end, data)
    os.close(write_end)
    with open(read_end, "rb", buffering=0) as f:
        rows = impl.read_csv(f)
        assert list(rows) == [{"a": "1", "b": "x\ny"}, {"a": "2", "b": "3"}]
        assert rows.offset == len(data)


@pytest.mark.parametrize(
    "source, error",
    [
        ("/no/such/file.csv", FileNotFoundError),
        (".", IsADirectoryError),
        (io.StringIO("a\n"), TypeError),
        (b"a,b\n", TypeError),
        (42, TypeError),
    ],
)
def test_bad_sources(impl, source, error):
    with pytest.raises(error):
        impl.read_csv(source)


def test_reentrant_next_raises(impl):
    class Evil(io.RawIOBase):
        def __init__(self):
            self.data = io.BytesIO(b"a\n1\n2\n")
            self.reader = None
            self.caught = None

        def readable(self):
            return True

        def readinto(self, buffer):
            try:
                next(self.reader)
            except RuntimeError as exc:
                self.caught = exc
            return self.data.readinto(buffer)

    source = Evil()
    source.reader = impl.read_csv(source)
    assert list(source.reader) == [{"a": "1"}, {"a": "2"}]
    assert "re-enter" in str(source.caught)


def test_read_errors_propagate_and_lose_nothing(impl):
    class Broken(io.RawIOBase):
        """Fails at every other read, after giving part of a row."""

        def __init__(self, data):
            self.data = data
            self.reads = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            self.reads += 1
            if self.reads % 2 == 0:
                raise OSError("disk on fire")
            n = min(len(buffer), 3, len(self.data))
            buffer[:n] = self.data[:n]
            self.data = self.data[n:]
            return n

    data = b'a,b\r\n1,"x\ny"\r\n2,3\n'
    rows = impl.read_csv(Broken(data))
    got = []
    while True:
        try:
            got.append(next(rows))
        except OSError as exc:
            assert str(exc) == "disk on fire"
        except StopIteration:
            break
    assert got == list(csv.DictReader(io.StringIO(data.decode(), newline="")))


@pytest.mark.parametrize("length", [-1, 1 << 30])
def test_readinto_claiming_an_impossible_length(impl, length):
    class Liar(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[:4] = b"a,b\n"
            return length

    rows = impl.read_csv(Liar())
    for _ in range(2):  # nothing is taken from a length that cannot be
        with pytest.raises(OSError, match="invalid length"):
            next(rows)
    assert rows.offset == 0


def test_docstring_examples(impl):
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(impl.read_csv, "read_csv", globs={}):
        runner.run(test)
    assert runner.summarize(verbose=False) == (0, 6)


def test_twins_agree_on_repr_of_a_bare_object(impl):
    rows = impl.read_csv.__new__(impl.read_csv)
    assert repr(rows) == "<cyiter.read_csv nothing (closed)>"
    assert list(rows) == []
    assert rows.offset == 0
