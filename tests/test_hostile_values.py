"""The two guards for values from data, as properties: CSV cells a spreadsheet cannot run, links with a safe scheme.

(Their use on real pages and downloads, over HTTP: test_hostile_pages.py.)
"""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ftm_graph.csvsafe import TRIGGERS, neutralise, write_csv
from ftm_graph.safeurl import SCHEMES, safe_href

PROPERTY = settings(max_examples=300, deadline=None, database=None)
STARTS = st.sampled_from(["", *TRIGGERS, "'", " ", "0", "javascript:", "JaVaScRiPt:", "http://", "https:",
                          "data:", "\x00", " \t", "java\nscript:", "mailto:", "/", "#", "?", "//"])


@PROPERTY
@given(start=STARTS, rest=st.text(max_size=30))
def test_a_neutralised_cell_cannot_start_a_formula(start, rest):
    value = start + rest
    safe = neutralise(value)
    number = re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", value) is not None
    if value.startswith(TRIGGERS) and not number:
        assert safe == "'" + value  # shown as the same text, never run
    else:
        assert safe == value


def test_numbers_and_other_types_are_left_alone():
    assert [neutralise(v) for v in ("-1500.50", "+3", "-1e5", 12, None, "-", "=1")] == \
        ["-1500.50", "+3", "-1e5", 12, None, "'-", "'=1"]
    assert write_csv(["a"], [["=HYPERLINK(\"x\")"], ["-2"]]) == 'a\r\n"\'=HYPERLINK(""x"")"\r\n-2\r\n'


def browser_scheme(url: str) -> str | None:
    """The scheme a browser reads: tabs and line breaks anywhere, and leading controls and spaces, ignored."""
    seen = re.sub(r"[\t\n\r]", "", url).lstrip("".join(map(chr, range(0x21))))
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", seen)
    return match.group(1).lower() if match else None


@PROPERTY
@given(start=STARTS, rest=st.text(max_size=30))
def test_a_link_keeps_its_address_only_with_a_safe_scheme(start, rest):
    url = start + rest
    href = safe_href(url)
    assert href in (url, "#")
    if href == url:
        assert browser_scheme(url) in (None, *SCHEMES), url
    scheme = browser_scheme(url)
    if scheme in SCHEMES:
        assert href == url
