"""Daily digests for hiring managers: subscriptions, what one digest holds, and the scheduler that posts each
subscription once per day at its local time.

Exactly once: before posting, the scheduler claims the (subscription, date) row in SQLite; the primary key
lets one process win, also across restarts and several replicas. A digest that could not go out at its time
(the service was down) goes out late, once, says so, and covers everything since the last one. A claim
whose poster died mid-way is taken over after STALE_CLAIM_S; that is the one window (post done, record
not written) where a platform without idempotent posting could see a second copy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import panorama
from .analysis.profiles import ProfileError, load_profile
from .analysis.summary import competency_name, summary_items
from .liveness import supervise
from .storage import Store, Visible, now
from .texts import DIGEST, localize
from .verdicts import tally_line

if TYPE_CHECKING:
    from .service import Service

log = logging.getLogger(__name__)
LATE_AFTER = timedelta(minutes=10)
STALE_CLAIM = timedelta(minutes=10)
MAX_WINDOW = timedelta(days=7)


class DigestError(ValueError):
    """A subscription setting the user got wrong: one sentence, in English and in Chinese."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh

    def say(self, language: str) -> str:
        return localize((self.zh, str(self)), language)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def zone(name: str) -> tzinfo:
    """An IANA zone (Asia/Shanghai) or a fixed offset (UTC+8, GMT-5, +05:30)."""
    m = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", name.strip(), re.I)
    if m:
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes >= 60:
            raise DigestError(f"{name} is not a valid UTC offset", f"{name} 不是有效的 UTC 时差")
        sign = 1 if m.group(1) == "+" else -1
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    if name.strip().upper() in ("UTC", "GMT", "Z"):
        return UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise DigestError(
            f"unknown time zone {name!r}: use a name such as Asia/Shanghai or an offset such as UTC+8",
            f"不认识的时区 {name}：请用 Asia/Shanghai 这样的名字或 UTC+8 这样的时差",
        ) from None


def parse_time(text: str) -> str:
    """'9:30', '09:00', '18点', '9am' -> 'HH:MM'."""
    m = re.fullmatch(r"(\d{1,2})(?:[:：](\d{2}))?\s*(点|时|am|pm)?(?:(\d{1,2})分?)?", text.strip(), re.I)
    bad = DigestError(
        f"{text!r} is not a time of day: use HH:MM, for example 09:00",
        f"{text} 不是有效的时间：请用 HH:MM，例如 09:00",
    )
    if not m:
        raise bad
    hour, minute = int(m.group(1)), int(m.group(2) or m.group(4) or 0)
    if (m.group(3) or "").lower() == "pm" and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        raise bad
    return f"{hour:02d}:{minute:02d}"


@dataclass
class Subscription:
    id: str
    platform: str
    channel: str  # whose interviews: the channel/chat the subscription was made in
    target: str  # where the digest goes: that channel, or a user (DM)
    target_kind: str  # channel | dm
    at_time: str
    timezone: str
    language: str
    skip_empty: int
    created_by: str
    created_at: str

    @property
    def tz(self) -> tzinfo:
        return zone(self.timezone)

    def scheduled_at(self, day: date) -> datetime:
        hour, minute = map(int, self.at_time.split(":"))
        local = datetime.combine(day, time(hour, minute), tzinfo=self.tz)
        return local.astimezone(UTC)

    def due(self, moment: datetime) -> date | None:
        """The newest day whose scheduled time has passed, if it came after the subscription was made."""
        local = moment.astimezone(self.tz)
        day = local.date()
        if self.scheduled_at(day) > moment:
            day -= timedelta(days=1)
        created = datetime.fromisoformat(self.created_at)
        return day if self.scheduled_at(day) >= created else None


def subscribe(
    store: Store,
    *,
    platform: str,
    channel: str,
    target: str,
    target_kind: str,
    at_time: str,
    timezone_name: str,
    language: str,
    skip_empty: bool,
    user: str,
) -> Subscription:
    """One subscription per (channel, target): subscribing again changes its time, zone and language."""
    zone(timezone_name)
    existing = store.digests.subscription_of(platform, channel, target)
    row = {
        "id": existing["id"] if existing else uuid.uuid4().hex[:8],
        "platform": platform,
        "channel": channel,
        "target": target,
        "target_kind": target_kind,
        "at_time": parse_time(at_time),
        "timezone": timezone_name,
        "language": language,
        "skip_empty": int(skip_empty),
        "created_by": user,
        "created_at": existing["created_at"] if existing else now(),
    }
    store.digests.save_subscription(row)
    return Subscription(**row)


def unsubscribe(store: Store, platform: str, channel: str, target: str) -> bool:
    return store.digests.unsubscribe(platform, channel, target)


def subscriptions(
    store: Store, platform: str | None = None, channel: str | None = None
) -> list[Subscription]:
    return [Subscription(**r) for r in store.digests.subscriptions(platform, channel)]


# ---- what a digest holds ---------------------------------------------------------------------------------


@dataclass
class Item:
    interview_id: str
    candidate: str
    round_label: str
    profile: str
    score: float | None
    recommendation: str
    strength: str | None
    to_verify: str | None
    report_url: str


@dataclass
class Waiting:
    candidate: str
    rounds: int
    last_round: str
    score: float | None
    recommendation: str
    waiting_days: int
    report_url: str


@dataclass
class OpenQuestion:
    candidate: str
    question: str
    round_label: str
    link: str


@dataclass
class Digest:
    date: str
    language: str
    timezone: str
    window_start: str  # local, "YYYY-MM-DD HH:MM"
    window_end: str
    items: list[Item] = field(default_factory=list)
    processing: int = 0
    failed: list[str] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)
    open_questions: list[OpenQuestion] = field(default_factory=list)
    late: bool = False
    scheduled: str | None = None  # local HH:MM it was due, for the late note
    agreement: str | None = None  # how often interviewers agreed with the scores this week (verdicts)

    @property
    def empty(self) -> bool:
        return not self.items and not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "empty": self.empty}


def _profile_title(name: str | None) -> str:
    try:
        profile = load_profile(name)
    except ProfileError:
        return name or "general"
    return profile.title or profile.name


def _first(items: list[dict[str, Any]], *kinds: str) -> str | None:
    """The first item of the first kind that has one: a doubt about something said beats a note that a
    competency had no evidence."""
    return next((i["text"] for kind in kinds for i in items if i["kind"] == kind), None)


def build(
    store: Store,
    visible: Visible,
    start: datetime,
    end: datetime,
    *,
    language: str,
    tz: tzinfo,
    tz_name: str,
    report_url: Callable[[str], str],
    day: date | None = None,
) -> Digest:
    """Interviews analysed in [start, end) among the channels in `visible` (None: all), and the state of
    every candidate those channels are waiting on."""
    fmt = "%Y-%m-%d %H:%M"
    digest = Digest(
        date=(day or end.astimezone(tz).date()).isoformat(),
        language=language,
        timezone=tz_name,
        window_start=start.astimezone(tz).strftime(fmt),
        window_end=end.astimezone(tz).strftime(fmt),
    )
    for idx, r in enumerate(store.digests.analysed_between(visible, _iso(start), _iso(end))):
        digest.items.append(_item(r, idx, language, report_url))
    digest.processing = store.digests.processing(visible)
    digest.failed = store.digests.failed_between(visible, _iso(start), _iso(end))
    _add_waiting(digest, store, visible, end, language, report_url)
    counts = store.verdicts.counts_between(visible, _iso(end - timedelta(days=7)), _iso(end))
    digest.agreement = agreement_line(counts, language)
    return digest


def agreement_line(counts: dict[str, dict[str, int]], language: str) -> str | None:
    """'Interviewers agreed with 78% of 41 scores in the last 7 days; most disputed: leadership (3 too
    high)'; None without verdicts on a score. A missed competency is no verdict on a score but counts as
    a dispute."""
    scored = sum(n for c in counts.values() for v, n in c.items() if v != "missed")
    if not scored:
        return None
    agreed = sum(c.get("agree", 0) for c in counts.values())
    line = localize(DIGEST["agreement"], language, f"{agreed / scored:.0%}", scored)
    disputes = {k: {v: n for v, n in c.items() if v != "agree"} for k, c in counts.items()}
    worst = max(sorted(disputes), key=lambda k: sum(disputes[k].values()))
    if disputes[worst]:
        name = competency_name(worst, language)
        line += localize(DIGEST["disputed"], language, name, tally_line(disputes[worst], language))
    return line


def _item(r: dict[str, Any], idx: int, language: str, report_url: Callable[[str], str]) -> Item:
    a = json.loads(r["body"])
    items = summary_items(a)
    return Item(
        interview_id=r["id"],
        candidate=r["candidate"] or r["source"],
        round_label=panorama.round_label(r["round"], idx, language) if r["round"] else "",
        profile=_profile_title(r["profile"]),
        score=a["overall"]["score"],
        recommendation=a["overall"]["recommendation"],
        strength=_first(items, "strength"),
        to_verify=_first(items, "to_verify", "no_evidence"),
        report_url=report_url(r["id"]),
    )


def _add_waiting(
    digest: Digest, store: Store, visible: Visible, end: datetime, language: str, report_url: Callable
) -> None:
    """Candidates waiting for a decision, and the follow-ups no later round asked them."""
    for w in store.digests.waiting(visible, _iso(end)):
        pano = panorama.build(store, visible, w["name"], language=language, report_url=report_url)
        if pano is None:
            continue
        last = pano.rounds[-1]
        days = (end - datetime.fromisoformat(w["last_at"])).days
        digest.waiting.append(
            Waiting(
                candidate=pano.candidate,
                rounds=len(pano.rounds),
                last_round=last.label,
                score=last.score,
                recommendation=last.recommendation,
                waiting_days=max(days, 0),
                report_url=last.report_url,
            )
        )
        for p in pano.pending_followups[:2]:
            digest.open_questions.append(OpenQuestion(pano.candidate, p.text, p.round_label, p.link))
    digest.open_questions = digest.open_questions[:8]


# ---- the scheduler -----------------------------------------------------------------------------------------


class Poster(Protocol):
    async def post_digest(self, sub: Subscription, digest: Digest) -> str | None: ...
    async def may_receive(self, sub: Subscription) -> bool: ...


@dataclass
class Outcome:
    subscription: str
    date: str
    status: str  # posted | skipped | failed | refused
    late: bool = False
    message_id: str | None = None


class DigestScheduler:
    """`run_due(now)` is the whole schedule; the loop only calls it with the real clock."""

    def __init__(self, service: Service, clock: Callable[[], datetime] | None = None) -> None:
        self.service = service
        self.clock = clock or (lambda: datetime.now(UTC))
        self.posters: dict[str, Poster] = {}
        self._task: asyncio.Task | None = None

    def register(self, platform: str, poster: Poster) -> None:
        self.posters[platform] = poster

    async def run_due(self, moment: datetime | None = None) -> list[Outcome]:
        moment = moment or self.clock()
        subs = await self.service.db.run(subscriptions)
        out = []
        for sub in subs:
            if sub.platform not in self.posters:
                continue
            day = sub.due(moment)
            if day is None:
                continue
            result = await self.deliver(sub, day, moment)
            if result:
                out.append(result)
        return out

    async def deliver(
        self, sub: Subscription, day: date, moment: datetime, *, force: bool = False
    ) -> Outcome | None:
        """Post `sub`'s digest for `day` unless it went out already (force: post again, e.g. by hand)."""
        db, the_day = self.service.db, day.isoformat()
        stale = None if force else _iso(moment - STALE_CLAIM)
        if not await db.digests.claim(sub.id, the_day, self.service.worker_id, _iso(moment), stale):
            return None
        late = moment - sub.scheduled_at(day) > LATE_AFTER
        try:
            start, end = await db.run(lambda s: self._window(s, sub, day))
            done = {"window_start": _iso(start), "window_end": _iso(end), "late": int(late)}
            if sub.target_kind == "dm" and not await self.posters[sub.platform].may_receive(sub):
                await db.digests.finish(sub.id, the_day, status="refused", interviews=0, **done)
                log.warning("digest %s: %s is no longer in %s; not sent", sub.id, sub.target, sub.channel)
                return Outcome(sub.id, the_day, "refused", late)
            digest = await db.run(lambda s: self._build(s, sub, start, end, day))
            digest.late, digest.scheduled = late, sub.at_time
            if digest.empty and sub.skip_empty:
                await db.digests.finish(sub.id, the_day, status="skipped", interviews=0, **done)
                return Outcome(sub.id, the_day, "skipped", late)
            message_id = await self.posters[sub.platform].post_digest(sub, digest)
        except Exception:
            log.exception("digest %s for %s failed; it is retried after %s", sub.id, day, STALE_CLAIM)
            return Outcome(sub.id, the_day, "failed", late)
        if message_id is None:
            return Outcome(sub.id, the_day, "failed", late)  # the claim goes stale and is retried
        count = len(digest.items)
        await db.digests.finish(
            sub.id, the_day, status="posted", message_id=message_id, interviews=count, **done
        )
        detail = {"subscription": sub.id, "date": the_day, "late": late, "interviews": count}
        await db.audit("scheduler", "digest", None, detail)
        return Outcome(sub.id, the_day, "posted", late, message_id)

    def _build(self, store: Store, sub: Subscription, start: datetime, end: datetime, day: date) -> Digest:
        return build(
            store,
            {(sub.platform, sub.channel)},
            start,
            end,
            language=sub.language,
            tz=sub.tz,
            tz_name=sub.timezone,
            report_url=self.service.report_url,
            day=day,
        )

    @staticmethod
    def _window(store: Store, sub: Subscription, day: date) -> tuple[datetime, datetime]:
        """From the end of the last digest that went out (so a late one also covers the missed days) or the
        previous day's scheduled time, to this day's; never more than a week."""
        end = sub.scheduled_at(day)
        prev = store.digests.last_window_end(sub.id, day.isoformat())
        start = datetime.fromisoformat(prev) if prev else sub.scheduled_at(day - timedelta(days=1))
        return max(start, end - MAX_WINDOW), end

    def start(self, every_s: float) -> None:
        beat = self.service.liveness.beat("digests")
        self._task = asyncio.get_running_loop().create_task(
            supervise(beat, self.run_due, every_s, first_delay_s=0)
        )

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
