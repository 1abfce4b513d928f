"""How the interviewer ran the interview (issue 26): talk share, longest monologue, questions (open,
leading), interruptions, time to the first question, speech rate, the candidate's share of the last third,
and flags on questions that touch a protected topic.

Private to the interviewer: stored with the analysis (`"interviewer"` in the analysis JSON) and returned by
the API and `--format json`, never shown on the hiring thread's report and never part of the candidate's
scores, which are computed before and without it. Every time-based figure is None when the transcript has
no real times (a .txt transcript without `[mm:ss]` stamps) or no roles (one speaker only).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..jurisdictions import Jurisdictions
from .flags import Flag, FlagModel, classify, make_flag
from .results import CANDIDATE, INTERVIEWER, Utterance
from .spans import sentences
from .speech import strip_fillers, units

INTERRUPT_TOLERANCE_S = 0.3  # a start this close to the other's end is a quick hand-over, not a cut-in

_OPEN = re.compile(
    r"为什么|怎么|如何|什么样|哪些|说说|讲讲|谈谈|聊聊|介绍|举个例子|描述|展开|思路|看法|理解"
    r"|^\s*(how|why|what|which|tell me|walk me|talk me|describe|explain|give me an example)\b",
    re.I,
)
_QUESTION = re.compile(
    r"[吗呢么][\s。！!]*$|什么|为什么|怎么|如何|哪(个|些|里|儿|一|位|种|年|家)|多少|是否|有没有|能不能|可不可以|会不会|是不是|要不要"
    r"|说说|讲讲|谈谈|聊聊|介绍一下|举个例子|描述一下"
    r"|^\s*(can|could|would|will|do|does|did|are|is|was|were|have|has|how|what|why|when|where|which|who"
    r"|tell me|walk me|describe|explain|give me)\b",
    re.I,
)
_LEADING = re.compile(
    r"对吧|是吧|不是吗|难道|你肯定|你不觉得|没错吧|你应该.{0,20}吧"
    r"|don't you think|wouldn't you (say|agree)|isn't (it|that)|aren't you|\bsurely\b|\bi assume\b"
    r"|you must have|,\s*(right|correct)\s*\?\s*$|you'd agree",
    re.I,
)
_SELF = re.compile(r"^\s*(我|咱们|let me\b|let's\b|i\b|we\b)", re.I)
# an acknowledgement while the other speaks is listening, not taking the turn
_BACKCHANNEL = re.compile(
    r"^[\s,，.。!！]*(嗯+|对+|好+|哦+|是的?|明白|ok(ay)?|right|yeah|yes|mm+|uh-huh|sure)[\s,，.。!！]*$", re.I
)


@dataclass
class InterviewerReport:
    talk_share: float | None = None
    longest_monologue_s: float | None = None
    questions: int = 0
    open_questions: int = 0
    leading_questions: int = 0
    interruptions: int | None = None
    first_question_s: float | None = None
    speech_rate: float | None = None  # per minute: Chinese characters or English words
    candidate_share_last_third: float | None = None
    flags: list[Flag] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["flags"] = [asdict(f) for f in self.flags]
        return out


@dataclass
class Asked:
    """One sentence the interviewer said, with the time it started (None without real times)."""

    text: str
    start: float | None


def is_question(text: str) -> bool:
    """A question mark, else a question word or prompt, unless the interviewer speaks of themselves
    ("我先介绍一下", "let me describe")."""
    if text.rstrip().endswith(("?", "？")):
        return True
    return not _SELF.match(text) and bool(_QUESTION.search(text))


def is_open(text: str) -> bool:
    return bool(_OPEN.search(text))


def is_leading(text: str) -> bool:
    return bool(_LEADING.search(text))


def _sentence_start(u: Utterance, offset: int) -> float:
    """When the character at `offset` was said: the first word found in the text that ends past it, else
    interpolated (a word not found, e.g. after term correction, is skipped)."""
    cursor = 0
    for w in u.words:
        token = str(w["text"]).strip()
        at = u.text.find(token, cursor) if token else -1
        if at < 0:
            continue
        if at + len(token) > offset:
            return round(float(w["start"]), 2)
        cursor = at + len(token)
    return round(u.start + (offset / max(len(u.text), 1)) * (u.end - u.start), 2)


def interviewer_sentences(utterances: list[Utterance], timed: bool) -> list[Asked]:
    return [
        Asked(s.text.strip(), _sentence_start(u, s.start) if timed else None)
        for u in utterances
        if u.speaker == INTERVIEWER
        for s in sentences(u.text)
        if s.text.strip()
    ]


def _talk(
    utterances: list[Utterance], who: str, lo: float = float("-inf"), hi: float = float("inf")
) -> float:
    return sum(max(0.0, min(u.end, hi) - max(u.start, lo)) for u in utterances if u.speaker == who)


def _share(part: float, other: float) -> float | None:
    return round(part / (part + other), 3) if part + other > 0 else None


def longest_monologue(utterances: list[Utterance]) -> float:
    """The longest stretch the interviewer held the floor: consecutive interviewer utterances, through
    the candidate's acknowledgements ("嗯", "ok")."""
    best, start, end = 0.0, None, None
    for u in sorted(utterances, key=lambda u: u.start):
        if u.speaker == INTERVIEWER:
            start = u.start if start is None else start
            end = u.end if end is None else max(end, u.end)
            best = max(best, end - start)
        elif not _BACKCHANNEL.match(u.text):
            start = end = None
    return round(best, 2)


def interruptions(utterances: list[Utterance]) -> int:
    """Interviewer utterances that start while a candidate utterance is still going (on a stereo recording
    the two sides overlap as they did in the room)."""
    cand = [u for u in utterances if u.speaker == CANDIDATE]
    return sum(
        1
        for u in utterances
        if u.speaker == INTERVIEWER
        and not _BACKCHANNEL.match(u.text)
        and any(c.start < u.start < c.end - INTERRUPT_TOLERANCE_S for c in cand)
    )


def _timed_figures(report: InterviewerReport, utterances: list[Utterance], asked: list[Asked]) -> None:
    mine, theirs = _talk(utterances, INTERVIEWER), _talk(utterances, CANDIDATE)
    report.talk_share = _share(mine, theirs)
    report.longest_monologue_s = longest_monologue(utterances)
    report.interruptions = interruptions(utterances)
    first = next((a.start for a in asked if is_question(a.text)), None)
    report.first_question_s = first
    said = sum(units(u.text) for u in utterances if u.speaker == INTERVIEWER)
    report.speech_rate = round(60.0 * said / mine, 1) if mine > 0 else None
    t0, t1 = min(u.start for u in utterances), max(u.end for u in utterances)
    cut = t0 + 2.0 * (t1 - t0) / 3.0
    report.candidate_share_last_third = _share(
        _talk(utterances, CANDIDATE, cut, t1), _talk(utterances, INTERVIEWER, cut, t1)
    )


def interviewer_report(
    utterances: list[Utterance],
    language: str,
    *,
    timed: bool,
    jurisdictions: Jurisdictions,
    flag_model: Callable[[], FlagModel | None],
) -> InterviewerReport:
    """`timed`: the utterances carry real times. `flag_model` is called only when there is something to
    judge, so a transcript without interviewer turns never loads the head."""
    report = InterviewerReport()
    asked = interviewer_sentences(utterances, timed)
    questions = [a for a in asked if is_question(a.text)]
    report.questions = len(questions)
    report.open_questions = sum(is_open(a.text) for a in questions)
    report.leading_questions = sum(is_leading(a.text) for a in questions)
    roles = {u.speaker for u in utterances}
    if timed and {INTERVIEWER, CANDIDATE} <= roles:
        _timed_figures(report, utterances, asked)
    if asked and jurisdictions:
        lang = "zh" if language == "zh" else "en"
        judged = classify([a.text for a in asked], flag_model())
        flags = (
            make_flag(c, strip_fillers(a.text), a.start, jurisdictions, lang)
            for a, c in zip(asked, judged)
            if c
        )
        report.flags = [f for f in flags if f is not None]  # None: no chosen jurisdiction has a rule for it
    return report
