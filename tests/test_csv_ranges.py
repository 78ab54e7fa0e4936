"""read_csv over byte ranges, on both twins.

The rule: a row belongs to the range that holds its first byte, so the
ranges of any cut points yield every row of one pass exactly once, in
order, also when quoted fields hold newlines, and with every dialect.
A range finds its first row with ``cyiter._csvsync``; the reference for
that search is parsing the file from its start.
"""

import csv
import io
import os
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_csv import DIALECT, NASTY, written_csv

from cyiter import _csvsync, _dialect
from cyiter._source import open_source

with_impl = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def write(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("ranges") / "data.csv"
    path.write_bytes(data)
    return path


def one_pass(impl, path, **options):
    """Rows (and csv.Error messages) of one pass, with each one's offset."""
    out = []
    # (arbitrary bytes may start like compressed data: read them as they are)
    reader = impl.read_csv(path, compression=None, **options)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return out
        except (csv.Error, ValueError) as exc:
            row = (type(exc), str(exc))
        out.append((row, reader.offset))


def by_ranges(impl, path, cuts, **options):
    bounds = [0, *sorted(cuts), None]
    out = []
    for start, stop in zip(bounds, bounds[1:]):
        out += one_pass(impl, path, start=start, stop=stop, **options)
    return out


def without_conversions(dialect):
    """*dialect* with a quoting= that converts fields read as QUOTE_MINIMAL:
    a field that does not convert drops the rest of its line, which no
    search can know without converting (see cyiter._csvsync)."""
    if dialect.get("quoting", csv.QUOTE_MINIMAL) in (csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONE):
        return dialect
    return {**dialect, "quoting": csv.QUOTE_MINIMAL}


def parsed_first_record(path, d, start):
    """The reference: the first record at *start* or after, by parsing."""
    with open(path, "rb") as f:
        data = f.read()
    lines = Lines(data)
    options = _dialect.options(d)
    reader = csv.reader(lines, **{k: options[k] for k in _dialect.OPTIONS[:6]}, quoting=options["quoting"])
    offset = lines.pos = 3 if d.bom and data.startswith(b"\xef\xbb\xbf") else 0
    while offset < start:
        try:
            next(reader)
        except StopIteration:
            return len(data)
        except csv.Error:
            pass
        offset = lines.pos
    return offset


class Lines:
    """Lines as open(newline="") gives them, with the offset after the last
    line the csv module took (latin-1: every byte is a character)."""

    LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def __iter__(self):
        return self

    def __next__(self):
        match = self.LINE.match(self.data, self.pos)
        if match is None or match.end() == self.pos:
            raise StopIteration
        self.pos = match.end()
        return match.group().decode("latin-1")


class TestFirstRecord:
    @with_impl
    @given(data=NASTY, dialect=DIALECT)
    @example(data=b'h\n"a\nb",c\n"d""\ne"\n', dialect={})
    @example(data=b'a\r\rb\r\n"x\r"\r', dialect={"strict": True})
    def test_the_search_cuts_where_parsing_cuts(self, tmp_path_factory, data, dialect):
        path = write(tmp_path_factory, data)
        try:
            d = _dialect.check(**without_conversions(dialect), encoding="latin-1", max_field_size=1 << 30)
        except (ValueError, TypeError, csv.Error):
            return
        src = open_source(path, "read_csv")
        try:
            for start in range(len(data) + 1):
                assert _csvsync.first_record(src, d, start) == parsed_first_record(path, d, start), start
        finally:
            src.close()

    def test_a_file_without_quotes_is_searched_back_to_the_last_line_end(self, tmp_path):
        path = tmp_path / "plain.csv"
        path.write_bytes(b"a,b\n" + b"1,2\r\n" * 100_000 + b"3,4\r5,6")
        d = _dialect.check()
        src = open_source(path, "read_csv")
        try:
            size = os.path.getsize(path)
            assert _csvsync.first_record(src, d, 5) == 9
            assert _csvsync.first_record(src, d, size - 4) == size - 3
            assert _csvsync.first_record(src, d, size - 3) == size - 3
            assert _csvsync.first_record(src, d, size) == size
        finally:
            src.close()


class TestRanges:
    @with_impl
    @given(written=written_csv(), cuts=st.lists(st.integers(0, 300), max_size=4))
    def test_ranges_yield_one_pass_exactly(self, impl, tmp_path_factory, written, cuts):
        data, dialect = written
        dialect = without_conversions(dialect)
        path = write(tmp_path_factory, data)
        try:
            whole = one_pass(impl, path, errors="replace", **dialect)
        except (ValueError, TypeError, csv.Error):
            return
        cuts = [min(cut, len(data)) for cut in cuts]
        assert by_ranges(impl, path, cuts, errors="replace", **dialect) == whole

    @with_impl
    @given(data=NASTY, dialect=DIALECT, cuts=st.lists(st.integers(0, 60), max_size=3))
    def test_ranges_of_any_bytes(self, impl, tmp_path_factory, data, dialect, cuts):
        dialect = without_conversions(dialect)
        path = write(tmp_path_factory, data)
        try:
            whole = one_pass(impl, path, encoding="latin-1", **dialect)
        except (ValueError, TypeError, csv.Error):
            return
        cuts = [min(cut, len(data)) for cut in cuts]
        assert by_ranges(impl, path, cuts, encoding="latin-1", **dialect) == whole

    def test_fieldnames_come_from_the_header(self, impl, tmp_path):
        path = tmp_path / "f.csv"
        path.write_bytes(b'id,text\n1,"a\nb"\n2,"c,d"\n3,e\n')
        assert list(impl.read_csv(path, start=9)) == [{"id": "2", "text": "c,d"}, {"id": "3", "text": "e"}]
        assert list(impl.read_csv(path, start=9, fieldnames=["x", "y"])) == [{"x": "2", "y": "c,d"}, {"x": "3", "y": "e"}]
        assert list(impl.read_csv(path, start=1, stop=9, fieldnames=["x", "y"])) == [{"x": "1", "y": "a\nb"}]

    def test_a_bom_and_the_header(self, impl, tmp_path):
        path = tmp_path / "f.csv"
        path.write_bytes(b"\xef\xbb\xbfa,b\n1,2\n")
        for cut in range(12):
            rows = list(impl.read_csv(path, encoding="utf-8-sig", stop=cut))
            rows += list(impl.read_csv(path, encoding="utf-8-sig", start=cut))
            assert rows == [{"a": "1", "b": "2"}], cut

    def test_offset_of_a_range_is_its_first_row(self, impl, tmp_path):
        path = tmp_path / "f.csv"
        path.write_bytes(b'h\n"x\ny"\nz\n')
        reader = impl.read_csv(path, start=3)
        assert reader.offset == 8
        assert list(reader) == [{"h": "z"}]

    def test_a_range_pickles_before_and_after_its_first_row(self, impl, tmp_path):
        import pickle

        path = tmp_path / "f.csv"
        path.write_bytes(b'h\n"x\ny"\nz\nw\n')
        reader = impl.read_csv(path, start=3)
        assert list(pickle.loads(pickle.dumps(reader))) == [{"h": "z"}, {"h": "w"}]
        assert next(reader) == {"h": "z"}
        assert list(pickle.loads(pickle.dumps(reader))) == [{"h": "w"}]

    def test_a_range_on_a_file_object(self, impl):
        data = b'h\n"x\ny"\nz\n'
        assert list(impl.read_csv(io.BytesIO(data), start=3)) == [{"h": "z"}]
