"""The route table's parameter checks: what the document declares is exactly what is refused."""

from __future__ import annotations

import pytest

from handlers.routes import Body, CallerError, Field, check_body


def refused(field: Field, value, *, from_text: bool = True) -> str:
    with pytest.raises(CallerError) as caught:
        field.check(value, from_text=from_text)
    assert caught.value.status == 400
    return str(caught.value)


def test_a_date_is_yyyy_mm_dd_and_a_real_day():
    since = Field("since", {"type": "string", "format": "date"})
    assert since.check("2026-02-28", from_text=True) == "2026-02-28"
    for bad in ("", "2026-02-30", "20261101", "2026-11-01T10:00", "2026-W44-1"):
        assert "since must be a date" in refused(since, bad)


def test_an_integer_from_text_is_ascii_digits_and_json_wants_a_number():
    limit = Field("limit", {"type": "integer", "minimum": 0})
    assert limit.check("20", from_text=True) == 20 and limit.check(7, from_text=False) == 7
    for bad in ("", " 1", "+1", "1.5", "١", "ten"):
        assert "whole number" in refused(limit, bad)
    assert "at least 0" in refused(limit, "-1")
    assert "whole number" in refused(limit, True, from_text=False)  # a JSON boolean is not a number


def test_strings_enums_nulls_and_the_hint():
    lang = Field("language", {"type": "string", "enum": ["zh", "en"]})
    assert "one of zh, en" in refused(lang, "fr")
    short = Field("candidate", {"type": "string", "maxLength": 3, "nullable": True})
    assert short.check(None, from_text=False) is None
    assert "longer than 3" in refused(short, "abcd") and "must be a string" in refused(
        short, 5, from_text=False
    )
    url = Field("u", {"type": "string", "pattern": "^https?://"}, hint="u: only http and https")
    assert refused(url, "ftp://x") == "u: only http and https" == refused(url, 5, from_text=False)


def test_a_keyword_the_checker_does_not_implement_is_refused_when_declared():
    with pytest.raises(ValueError, match="does not check"):
        Field("x", {"type": "string", "multipleOf": 2})
    with pytest.raises(ValueError):
        Field("x", {"type": "string", "format": "email"})


def test_a_closed_body_refuses_an_unknown_field_and_required_ones_are_required():
    body = Body("application/json", (Field("a", {"type": "string"}, required=True),), closed=True)
    assert check_body(body, {"a": "x"}, from_text=False) == {"a": "x"}
    with pytest.raises(CallerError, match="unknown field 'b'"):
        check_body(body, {"a": "x", "b": "y"}, from_text=False)
    with pytest.raises(CallerError, match="a is required"):
        check_body(body, {}, from_text=False)
    assert body.schema()["additionalProperties"] is False
