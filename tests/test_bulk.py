"""The bulk helpers: one-pass field extraction and the paused collector."""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest

from junheng.bulk import RecordColumns, float_columns, gc_paused, pluck


@pytest.mark.parametrize("enabled", [True, False])
def test_gc_paused_restores_the_previous_state_even_on_error(enabled):
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.raises(RuntimeError), gc_paused():
            assert not gc.isenabled()
            with gc_paused():  # nested: the inner exit must not re-enable
                pass
            assert not gc.isenabled()
            raise RuntimeError
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_pluck_gives_one_tuple_per_key_with_the_default_for_absent_keys():
    records = [{"a": 1, "b": None}, {"a": 2}]
    marker = object()
    assert pluck(records, ["a", "b"], marker) == [(1, 2), (None, marker)]
    assert pluck([], ["a", "b"]) == [(), ()]
    assert pluck(records, []) == []


def test_float_columns_fast_path_and_per_value_fallback():
    records = [
        {"x": 1, "y": 2.5, "flag": True},
        {"x": None, "y": "oops", "flag": False},  # a string: y falls back, reads as NaN
        {"y": [1, 2]},  # a list and an absent key
    ]
    cols = float_columns(records, ["x", "y", "flag"])
    np.testing.assert_array_equal(cols["x"], [1.0, math.nan, math.nan])
    np.testing.assert_array_equal(cols["y"], [2.5, math.nan, math.nan])
    np.testing.assert_array_equal(cols["flag"], [1.0, 0.0, math.nan])
    assert float_columns(records, []) == {}
    assert float_columns([], ["x"])["x"].shape == (0,)


def test_float_columns_where_visits_only_the_masked_records():
    blocks = [{"students": 10}, None, {"students": 5, "classes": 1}]
    cols = float_columns(blocks, ["students", "classes"], where=np.array([True, False, True]))
    np.testing.assert_array_equal(cols["students"], [10.0, math.nan, 5.0])
    np.testing.assert_array_equal(cols["classes"], [math.nan, math.nan, 1.0])


class _CountingDict(dict):
    gets = 0

    def get(self, key, default=None):
        type(self).gets += 1
        return super().get(key, default)


def test_record_columns_pull_each_field_once():
    records = [_CountingDict(a=1, b=2.5, primary=_CountingDict(students=10)), _CountingDict(a=3)]
    columns = RecordColumns(records)
    assert columns.values(["a"]) == {"a": (1, 3)}
    _CountingDict.gets = 0
    assert columns.values(["a", "b"]) == {"a": (1, 3), "b": (2.5, None)}
    assert _CountingDict.gets == 2  # only b, once per record
    np.testing.assert_array_equal(columns.floats(["b"])["b"], [2.5, math.nan])
    students = columns.stage_floats("primary", ["students"])["students"]
    np.testing.assert_array_equal(students, [10.0, math.nan])
    _CountingDict.gets = 0
    columns.values(["a", "b"])
    columns.floats(["b"])
    columns.stage_floats("primary", ["students"])
    assert _CountingDict.gets == 0
