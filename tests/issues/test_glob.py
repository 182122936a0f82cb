import fnmatch
import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from issues.glob import MAX_PATTERN_LENGTH, GlobSet, compile_glob, glob_match

alphabet = st.sampled_from("ab.*?-")


@given(pattern=st.text(alphabet, max_size=12), text=st.text(st.sampled_from("ab.-"), max_size=12))
def test_matches_like_fnmatch_without_character_classes(pattern, text):
    expected = re.fullmatch(fnmatch.translate(pattern).replace("(?s:", "(?s:", 1), text) is not None
    assert glob_match(pattern, text) == expected


def test_examples():
    assert glob_match("1.2.*", "1.2.3")
    assert not glob_match("1.2.*", "1.3.0")
    assert glob_match("*health*", "/api/healthz")
    assert glob_match("shop.?iews", "shop.views")
    assert glob_match("", "") and not glob_match("", "x")
    assert glob_match("*", "") and glob_match("**", "anything")
    assert not glob_match("[ab]", "a")  # brackets are themselves


def test_a_hostile_pattern_takes_linear_time():
    pattern, text = "*a" * 100, "a" * 1000 + "b"
    started = time.perf_counter()
    assert not glob_match(pattern, text)
    assert time.perf_counter() - started < 1.0  # a backtracking regex takes exponential time here


@given(pattern=st.text(alphabet, max_size=14), text=st.text(st.sampled_from("ab.-"), max_size=14))
def test_a_compiled_glob_matches_as_glob_match(pattern, text):
    assert compile_glob(pattern)(text) == glob_match(pattern, text)


def test_a_compiled_hostile_pattern_takes_linear_time_and_long_patterns_are_refused():
    started = time.perf_counter()
    text = "a" * 10_000 + "b"
    assert not compile_glob("*a" * 100)(text)
    assert not compile_glob("*a?" * 66 + "c")(text)
    assert compile_glob("*a?" * 66)(text)
    assert time.perf_counter() - started < 1.0
    with pytest.raises(ValueError, match="at most 200"):
        compile_glob("a" * (MAX_PATTERN_LENGTH + 1))


@given(
    patterns=st.lists(st.text(alphabet, max_size=6), max_size=6),
    text=st.text(st.sampled_from("ab.-"), max_size=10),
)
def test_a_glob_set_matches_when_any_of_its_globs_does(patterns, text):
    assert GlobSet(patterns)(text) == any(glob_match(pattern, text) for pattern in patterns)
