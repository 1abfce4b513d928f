"""The weekly coaching digest's calendar: which ISO week is due when, in the channel's zone, across a year
end and a change to summer time; how `coaching on` reads its weekday, time and zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot import coaching_digest as weekly
from bot.digest import DigestError


def channel(weekday: int = 0, at: str = "09:00", tz: str = "Asia/Shanghai") -> weekly.CoachingChannel:
    return weekly.CoachingChannel("slack", "C1", weekday, at, tz, "U1", "2026-01-01T00:00:00+00:00")


def test_a_week_goes_out_at_the_channels_time_in_the_week_after():
    shanghai = channel()
    monday = date(2026, 11, 30)  # 2026-W49
    start, end = shanghai.window(monday)
    assert start == datetime(2026, 11, 29, 16, tzinfo=UTC) and (end - start).days == 7
    assert shanghai.send_at(monday) == datetime(2026, 12, 7, 1, tzinfo=UTC)  # Monday 09:00 in Beijing
    assert shanghai.due(datetime(2026, 12, 7, 0, 59, tzinfo=UTC)) == date(2026, 11, 23)  # W48 still
    assert shanghai.due(datetime(2026, 12, 7, 1, 0, tzinfo=UTC)) == monday
    assert shanghai.due(datetime(2026, 12, 13, 23, tzinfo=UTC)) == monday  # late, until the next one
    friday = channel(4, "17:30", "Europe/Berlin")
    assert friday.send_at(date(2026, 3, 23)) == datetime(2026, 4, 3, 15, 30, tzinfo=UTC)  # summer time
    assert friday.due(datetime(2026, 4, 3, 15, 29, tzinfo=UTC)) == date(2026, 3, 16)
    # a channel that opted in after a week's time never gets that week
    late_comer = channel()
    late_comer.created_at = "2026-12-07T02:00:00+00:00"
    assert late_comer.due(datetime(2026, 12, 8, tzinfo=UTC)) is None


def test_weeks_missed_in_an_outage_are_due_oldest_first_back_to_a_bound_and_the_opt_in():
    shanghai = channel()  # opted in 2026-01-01
    back_on = datetime(2026, 12, 7, 2, tzinfo=UTC)  # W49's time (Monday 01:00 UTC) has passed
    newest = date(2026, 11, 30)
    assert shanghai.weeks_due(back_on) == [
        date(2026, 11, 9),
        date(2026, 11, 16),
        date(2026, 11, 23),
        newest,
    ]  # LOOK_BACK_WEEKS of them, however long it was down
    assert len(shanghai.weeks_due(back_on)) == weekly.LOOK_BACK_WEEKS
    assert shanghai.due(back_on) == newest
    late_comer = channel()
    late_comer.created_at = "2026-11-24T00:00:00+00:00"  # after W47's time, before W48's
    assert late_comer.weeks_due(back_on) == [date(2026, 11, 23), newest]


def test_iso_weeks_across_a_year_end():
    assert weekly.parse_week("2026-W53") == date(2026, 12, 28)  # 2026 has 53 weeks
    assert weekly.week_name(date(2027, 1, 1)) == "2026-W53" and weekly.parse_week("2027w01") == date(
        2027, 1, 4
    )
    for bad in ("2025-W53", "2026-W00", "2026-49", "W49"):
        with pytest.raises(ValueError, match="is not an ISO week"):
            weekly.parse_week(bad)


def test_coaching_on_reads_a_weekday_a_time_and_a_zone_in_either_language():
    assert weekly.schedule([]) == (0, "09:00", None)
    assert weekly.schedule(["周五", "17点"]) == (4, "17:00", None)
    assert weekly.schedule(["friday", "5:30pm", "UTC+8"]) == (4, "17:30", "UTC+8")
    assert weekly.schedule(["星期天", "08:15", "Europe/Berlin"]) == (6, "08:15", "Europe/Berlin")
    with pytest.raises(DigestError):
        weekly.schedule(["someday"])
    with pytest.raises(DigestError):
        weekly.schedule(["25:00"])
    assert channel(4, "17:00").describe("zh") == "每周五 17:00（Asia/Shanghai）"
    assert channel(4, "17:00", "UTC").describe("en") == "every Friday at 17:00 (UTC)"
