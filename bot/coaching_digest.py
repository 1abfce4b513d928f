"""The weekly coaching digest: a channel opts in, and once a week each interviewer who ran an analysed
interview there gets one private message about their own week (never posted in the channel).

A week is an ISO week, Monday 00:00 to Monday 00:00 in the channel's zone. Its digest goes out at the
channel's weekday and time in the week after (default Monday 09:00). An interviewer in several opted-in
channels of a platform gets one message covering all of them, at the first of their times. Exactly once:
the (platform, interviewer, week) row is claimed in SQLite before the message is sent; a claim whose
sender died is taken over after STALE_CLAIM, and the poster first looks for the message it may have sent
before sending it again; weeks missed while the service was down go out late, once each, oldest first (up
to LOOK_BACK_WEEKS), and say so. A private message the platform refuses is final: logged and said in the
compliance channel (the figures stay private; a notice that fails to post is owed and retried by the
platform's sweep), not retried every tick.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Protocol

from . import coaching
from .analysis.flag_rules import BY_CATEGORY
from .digest import parse_time, zone
from .liveness import supervise
from .storage import Store, now

if TYPE_CHECKING:
    from .service import Service

log = logging.getLogger(__name__)
LATE_AFTER = timedelta(minutes=10)
STALE_CLAIM = timedelta(minutes=10)
WEEK = timedelta(days=7)
# Weeks missed during an outage go out up to this far back: older coaching is stale advice (a month on,
# the interviewer has run other interviews since), and every tick looks at each of these weeks.
LOOK_BACK_WEEKS = 4
_DAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS: dict[str, int] = {
    **{name: i for i, name in enumerate(_DAYS_EN)},
    **{name[:3]: i for i, name in enumerate(_DAYS_EN)},
    **{f"{p}{d}": i for i, d in enumerate("一二三四五六日") for p in ("周", "星期", "礼拜")},
    "周天": 6,
    "星期天": 6,
    "礼拜天": 6,
}
_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.I)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_week(text: str) -> date:
    """'2026-W49' -> the Monday of that ISO week; ValueError with one sentence otherwise."""
    m = _WEEK.fullmatch(text.strip())
    try:
        if m:
            return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        pass
    raise ValueError(f"{text!r} is not an ISO week: use YYYY-Www, for example 2026-W49")


def week_name(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def schedule(words: list[str]) -> tuple[int, str, str | None]:
    """(weekday 0-6, 'HH:MM', zone or None) from words such as `friday 17:30 Europe/Berlin` or `周五 9点`;
    Monday 09:00 unless said. Raises digest.DigestError for a time or zone it cannot read."""
    weekday, at, tz = 0, "09:00", None
    for word in words:
        if word.lower() in WEEKDAYS:
            weekday = WEEKDAYS[word.lower()]
        elif word[:1].isdigit():
            at = parse_time(word)
        else:
            zone(word)
            tz = word
    return weekday, at, tz


@dataclass
class CoachingChannel:
    platform: str
    channel: str
    weekday: int  # 0 = Monday
    at_time: str
    timezone: str
    created_by: str
    created_at: str

    @property
    def tz(self) -> tzinfo:
        return zone(self.timezone)

    def window(self, monday: date) -> tuple[datetime, datetime]:
        """The week in this channel's zone, as UTC instants."""
        start = datetime.combine(monday, time(0), tzinfo=self.tz)
        return start.astimezone(UTC), (start + WEEK).astimezone(UTC)

    def send_at(self, monday: date) -> datetime:
        """When the week of `monday` goes out: this channel's weekday and time in the week after."""
        hour, minute = map(int, self.at_time.split(":"))
        day = monday + WEEK + timedelta(days=self.weekday)
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz).astimezone(UTC)

    def due(self, moment: datetime) -> date | None:
        """The newest week whose time has come, if that time came after the channel opted in."""
        weeks = self.weeks_due(moment)
        return weeks[-1] if weeks else None

    def weeks_due(self, moment: datetime) -> list[date]:
        """The weeks whose time has come after the channel opted in, oldest first: the newest and up to
        LOOK_BACK_WEEKS - 1 before it (those missed while the service was down)."""
        local = moment.astimezone(self.tz).date()
        newest = local - timedelta(days=local.weekday()) - WEEK
        if self.send_at(newest) > moment:
            newest -= WEEK
        opted_in = datetime.fromisoformat(self.created_at)
        weeks = (newest - WEEK * back for back in reversed(range(LOOK_BACK_WEEKS)))
        return [monday for monday in weeks if self.send_at(monday) >= opted_in]

    def describe(self, language: str) -> str:
        day = "一二三四五六日"[self.weekday] if language == "zh" else _DAYS_EN[self.weekday].title()
        if language == "zh":
            return f"每周{day} {self.at_time}（{self.timezone}）"
        return f"every {day} at {self.at_time} ({self.timezone})"


def opt_in(
    store: Store, *, platform: str, channel: str, weekday: int, at_time: str, timezone_name: str, user: str
) -> CoachingChannel:
    """Opting in again changes the weekday, time and zone; the channel keeps its first opt-in time."""
    zone(timezone_name)
    existing = store.coaching.channel(platform, channel)
    row = {
        "platform": platform,
        "channel": channel,
        "weekday": weekday,
        "at_time": parse_time(at_time),
        "timezone": timezone_name,
        "created_by": user,
        "created_at": existing["created_at"] if existing else now(),
    }
    store.coaching.opt_in(row)
    return CoachingChannel(**row)


def channel_of(store: Store, platform: str, channel: str) -> CoachingChannel | None:
    row = store.coaching.channel(platform, channel)
    return CoachingChannel(**row) if row else None


def opted_in(store: Store) -> list[CoachingChannel]:
    return [CoachingChannel(**r) for r in store.coaching.channels()]


# ---- what one interviewer's week holds -------------------------------------------------------------------


@dataclass
class WeekInterview:
    id: str
    title: str
    channel: str
    at: str


@dataclass
class WeekFlag:
    interview_id: str
    title: str
    category: str
    topic: str  # the category in words, in the digest's language
    quote: str
    start: float | None
    link: str  # the interview's private interviewer page


@dataclass
class WeeklyDigest:
    platform: str
    user: str
    week: str
    language: str
    channels: list[str]
    interviews: list[WeekInterview]
    you: dict[str, float | None]
    team: dict[str, float | None]  # the median of the others' averages; None below coaching.MIN_OTHERS
    last_week: dict[str, float | None] | None  # None: no interview of yours the week before
    flags: list[WeekFlag] = field(default_factory=list)
    late: bool = False
    due: str | None = None  # when it was due, local, for the late note

    @property
    def title(self) -> str:
        return coaching.week_title(self.week, self.language)

    def lines(self) -> list[str]:
        return coaching.week_lines(self)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "title": self.title, "lines": self.lines()}


def _rows(store: Store, platform: str, ch: CoachingChannel, monday: date) -> tuple[list[dict], list[dict]]:
    """The channel's analysed interviews of the week and of the week before, blocks parsed."""
    import json

    start, end = ch.window(monday)
    rows = store.coaching.analysed(platform, ch.channel, _iso(start - WEEK), _iso(end))
    for r in rows:
        r["interviewer"] = json.loads(r["interviewer"]) if r["interviewer"] else {}
        who = {"uploader": r["uploader"], "interviewer": r["named"]}
        who["interviewer_user"] = r["interviewer_user"]
        r["person"], r["recipient"] = coaching.interviewer_key(who), coaching.recipient(who)
    this = [r for r in rows if r["created_at"] >= _iso(start)]
    return this, [r for r in rows if r["created_at"] < _iso(start)]


def _language(mine: list[dict[str, Any]]) -> str:
    """The language most of the week's interviews were in (the latest wins a tie)."""
    said = ["zh" if r.get("language") == "zh" else "en" for r in mine]
    return max(
        set(said), key=lambda lang: (said.count(lang), max(i for i, x in enumerate(said) if x == lang))
    )


def _flags(mine: list[dict[str, Any]], language: str, link: Callable[[str], str]) -> list[WeekFlag]:
    out = []
    for r in mine:
        for f in r["interviewer"].get("flags") or []:
            record = BY_CATEGORY.get(f["category"])
            topic = record.topic[0 if language == "zh" else 1] if record else f["category"]
            title = r["title"] or r["id"]
            out.append(
                WeekFlag(r["id"], title, f["category"], topic, f["quote"], f.get("start"), link(r["id"]))
            )
    return out


def build_week(
    store: Store,
    platform: str,
    channels: list[CoachingChannel],
    monday: date,
    interviewer_url: Callable[[str], str],
    *,
    recipients_from: set[str] | None = None,
    skip: set[str] | frozenset[str] = frozenset(),
) -> list[WeeklyDigest]:
    """One digest per interviewer with an analysed interview of the week in `recipients_from` (None: any
    of `channels`), covering their interviews in all of `channels`; the team is the interviewers of the
    channels they interviewed in that week. `skip`: interviewers whose digest is settled."""
    this: list[dict[str, Any]] = []
    before: list[dict[str, Any]] = []
    for ch in channels:
        now_rows, prev_rows = _rows(store, platform, ch, monday)
        this, before = this + now_rows, before + prev_rows
    wanted = recipients_from if recipients_from is not None else {c.channel for c in channels}
    users = {r["recipient"] for r in this if r["recipient"] and r["channel"] in wanted} - set(skip)
    digests = []
    for user in sorted(users):
        mine = [r for r in this if r["person"] == user]
        where = {r["channel"] for r in mine}
        now_cmp = coaching.compare([r for r in this if r["channel"] in where], user)
        prev = [r for r in before if r["person"] == user and r["channel"] in where]
        language = _language(mine)
        digests.append(
            WeeklyDigest(
                platform=platform,
                user=user,
                week=week_name(monday),
                language=language,
                channels=sorted(where),
                interviews=[
                    WeekInterview(r["id"], r["title"] or r["id"], r["channel"], r["created_at"]) for r in mine
                ],
                you=now_cmp["you"],
                team=now_cmp["team"],
                last_week=coaching.compare(prev, user)["you"] if prev else None,
                flags=_flags(mine, language, interviewer_url),
            )
        )
    return digests


# ---- the scheduler -----------------------------------------------------------------------------------------


class NotYet(Exception):
    """The platform did not take the digest this time (down, an error) but may later: the claim is left
    to go stale and the digest is sent again then; nobody is told it was refused."""


class CoachingPoster(Protocol):
    async def send_coaching(self, digest: WeeklyDigest, *, again: bool = False) -> str | None:
        """The message id; None: refused for good; raises NotYet. `again`: a claim taken over, so the
        digest may be out already: the poster looks for it first where it can."""
        ...

    async def coaching_refused(self, digest: WeeklyDigest) -> None: ...


@dataclass
class Outcome:
    platform: str
    user: str
    week: str
    status: str  # posted | refused | failed
    late: bool = False
    message_id: str | None = None


class CoachingScheduler:
    """`run_due(now)` is the whole schedule; the loop only calls it with the real clock."""

    def __init__(self, service: Service, clock: Callable[[], datetime] | None = None) -> None:
        self.service = service
        self.clock = clock or (lambda: datetime.now(UTC))
        self.posters: dict[str, CoachingPoster] = {}
        self._task: asyncio.Task | None = None

    def register(self, platform: str, poster: CoachingPoster) -> None:
        self.posters[platform] = poster

    async def run_due(self, moment: datetime | None = None) -> list[Outcome]:
        moment = moment or self.clock()
        channels = await self.service.db.run(opted_in)
        due: dict[tuple[str, date], list[CoachingChannel]] = {}
        for ch in channels:
            for monday in ch.weeks_due(moment) if ch.platform in self.posters else []:
                due.setdefault((ch.platform, monday), []).append(ch)
        out: list[Outcome] = []
        held: set[tuple[str, str]] = set()  # an older week of theirs failed this tick: the newer ones wait
        for (platform, monday), due_here in sorted(due.items()):  # oldest week first
            mine = [c for c in channels if c.platform == platform]
            out += await self._week(platform, monday, due_here, mine, moment, held)
        return out

    async def _week(
        self,
        platform: str,
        monday: date,
        due_here: list[CoachingChannel],
        channels: list[CoachingChannel],
        moment: datetime,
        held: set[tuple[str, str]],
    ) -> list[Outcome]:
        week, stale = week_name(monday), _iso(moment - STALE_CLAIM)

        def build(store: Store) -> list[WeeklyDigest]:
            settled = store.coaching.settled(platform, week, stale)
            windows = [(c.channel, *map(_iso, c.window(monday))) for c in due_here]
            rows = [r for w in windows for r in store.coaching.interviewers(platform, *w)]
            if not {coaching.recipient(r) for r in rows} - {None} - settled:
                return []  # every tick of the week after comes here: no analysis bodies read for nothing
            wanted = {c.channel for c in due_here}
            url = self.service.interviewer_url
            return build_week(store, platform, channels, monday, url, recipients_from=wanted, skip=settled)

        first = min(due_here, key=lambda c: c.send_at(monday))
        late = moment - first.send_at(monday) > LATE_AFTER
        out = []
        for d in await self.service.db.run(build):
            if (d.platform, d.user) in held:
                continue  # weeks reach an interviewer in order: this one goes after the older one
            d.late, d.due = (
                late,
                first.send_at(monday).astimezone(first.tz).strftime(f"%Y-%m-%d %H:%M ({first.timezone})"),
            )
            outcome = await self.deliver(d, moment)
            if outcome:
                out.append(outcome)
                if outcome.status == "failed":
                    held.add((d.platform, d.user))
        return out

    async def deliver(self, d: WeeklyDigest, moment: datetime) -> Outcome | None:
        """Send one interviewer's week unless it went out, was refused, or is being sent."""
        db, poster = self.service.db, self.posters[d.platform]
        stale = _iso(moment - STALE_CLAIM)
        claimed = await db.coaching.claim(
            d.platform, d.user, d.week, self.service.worker_id, _iso(moment), stale
        )
        if claimed is None:
            return None
        done = {
            "channels": ",".join(d.channels),
            "interviews": len(d.interviews),
            "late": int(d.late),
            "language": d.language,
        }
        try:
            message_id = await poster.send_coaching(d, again=claimed == "again")
        except NotYet as exc:
            log.warning(
                "coaching digest %s for %s not sent (%s); retried after %s", d.week, d.user, exc, STALE_CLAIM
            )
            return Outcome(d.platform, d.user, d.week, "failed", d.late)
        except Exception:
            log.exception(
                "coaching digest %s for %s failed; it is retried after %s", d.week, d.user, STALE_CLAIM
            )
            return Outcome(d.platform, d.user, d.week, "failed", d.late)
        status = "posted" if message_id else "refused"
        covers = [i.id for i in d.interviews]
        await db.coaching.finish(
            d.platform, d.user, d.week, covers, status=status, message_id=message_id, **done
        )
        detail = {"platform": d.platform, "user": d.user, "week": d.week, "status": status, **done}
        await db.audit("scheduler", "coaching-digest", None, detail)
        if message_id is None:
            log.warning(
                "%s refused the private coaching digest %s to %s; not sent", d.platform, d.week, d.user
            )
            await poster.coaching_refused(d)
        return Outcome(d.platform, d.user, d.week, status, d.late, message_id)

    def start(self, every_s: float) -> None:
        beat = self.service.liveness.beat("coaching-digests")
        self._task = asyncio.get_running_loop().create_task(
            supervise(beat, self.run_due, every_s, first_delay_s=0)
        )

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
