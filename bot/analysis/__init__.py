"""Transcript -> Analysis: roles, speech features, term correction, keywords, competencies, summary,
follow-ups."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from asr_engine import Segment, Transcript

from ..jurisdictions import DEFAULT_JURISDICTIONS, Jurisdictions
from .flags import get_flag_model
from .followups import suggest
from .interviewer import interviewer_report
from .learned import ModelUnavailable
from .llm import Analyst, AnalystError
from .local import Findings, analyse_local
from .profiles import BUILT_IN, Profile, ProfileError, load_profile, profile_from_jd
from .results import CANDIDATE, Analysis, Correction, Utterance
from .roles import assign_roles, parse_speaker_prefix
from .speech import annotate
from .summary import build_summary, overall, recommend
from .terms import TermCorrector

__all__ = [
    "analyze",
    "transcript_from_text",
    "load_profile",
    "profile_from_jd",
    "Profile",
    "ProfileError",
    "BUILT_IN",
    "ModelUnavailable",
]

_TIME = re.compile(r"^\s*\[(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)\]\s*")


def _language_of(text: str) -> str:
    han = len(re.findall(r"[\u4e00-\u9fff]", text))
    latin = len(re.findall(r"[A-Za-z]+", text))
    return "zh" if han >= latin else "en"


def transcript_from_text(text: str, source: str | None = None) -> tuple[Transcript, list[str | None]]:
    """A .txt transcript: one utterance per line, optional `[mm:ss.s]` time and `interviewer:`/`candidate:`
    prefix. Lines without times are spaced by their length so pauses are not invented."""
    segments: list[Segment] = []
    roles: list[str | None] = []
    t, stamped = 0.0, False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        m = _TIME.match(line)
        if m:
            t = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
            stamped = True
            line = line[m.end() :]
        role, body = parse_speaker_prefix(line)
        if not body.strip():
            continue
        duration = max(1.0, len(body) / (4.5 if _language_of(body) == "zh" else 14.0))
        segments.append(Segment(start=round(t, 2), end=round(t + duration, 2), text=body.strip()))
        roles.append(role)
        t += duration + 0.5
    if not segments:
        raise ValueError("the transcript text has no utterances")
    language = _language_of(" ".join(s.text for s in segments))
    transcript = Transcript(
        language=language, duration_s=segments[-1].end, segments=segments, engine="text", source=source
    )
    if not stamped:  # times spaced by length are no measure of talk time (interviewer metrics say None)
        transcript.timings["estimated_times"] = 1.0
    return transcript, roles


def _correction_time(u: Utterance, offset: int) -> float:
    """Start time of the word at character `offset` of the utterance as heard (before correction), else
    interpolated."""
    pos = 0
    for w in u.words:
        pos += len(w["text"].strip())
        if pos > offset:
            return round(float(w["start"]), 2)
    share = offset / max(len(u.text), 1)
    return round(u.start + share * (u.end - u.start), 2)


def utterances_of(transcript: Transcript, known_roles: list[str | None] | None) -> list[Utterance]:
    """The transcript's non-empty segments as utterances, each with its role (known roles win)."""
    segs = [s for s in transcript.segments if s.text.strip()]
    detected = assign_roles(
        [s.text for s in segs],
        [s.start for s in segs],
        [s.end for s in segs],
        [s.channel for s in segs],
        [s.voice for s in segs],
    )
    if known_roles:
        detected = [k or d for k, d in zip(known_roles, detected)]
    return [
        Utterance(
            start=s.start,
            end=s.end,
            speaker=role,
            text=s.text.strip(),
            confidence=s.confidence,
            words=[
                {"start": w.start, "end": w.end, "text": w.text, "probability": w.probability}
                for w in s.words
            ],
            voice=s.voice,
            channel=s.channel,
        )
        for s, role in zip(segs, detected)
    ]


def _correct_terms(utterances: list[Utterance], corrector: TermCorrector, language: str) -> list[Correction]:
    corrections: list[Correction] = []
    for i, u in enumerate(utterances):
        context = " ".join(x.text for x in utterances[max(0, i - 2) : i + 3] if x is not u)
        fixed, fixes = corrector.correct(u.text, context)
        if fixes:
            for f in fixes:
                corrections.append(
                    Correction(original=f.original, corrected=f.corrected, start=_correction_time(u, f.at))
                )
            u.original_text, u.text = u.text, fixed
            u.flags.append("corrected")
        if u.speaker == CANDIDATE:
            u.keywords = corrector.keywords(u.text, language)
    return corrections


def analyze(
    transcript: Transcript,
    profile: Profile | None = None,
    *,
    hotwords: Iterable[str] = (),
    known_roles: list[str | None] | None = None,
    analyst: Analyst | None = None,
    jurisdictions: Jurisdictions = DEFAULT_JURISDICTIONS,
) -> Analysis:
    """Transcript -> Analysis. `analyst` (see bot.analysis.llm) replaces the local model where it can;
    when it fails the local model answers and the analysis says so in `notes`. `jurisdictions` (cn, us)
    decide which interviewer questions are flagged and which rule a flag names."""
    profile = profile or BUILT_IN["general"]
    language = transcript.language if transcript.language in ("zh", "en") else _language_of(transcript.text)
    utterances = utterances_of(transcript, known_roles)
    corrections = _correct_terms(utterances, TermCorrector([*profile.hotwords, *hotwords]), language)
    speech = annotate(utterances)
    findings, used, notes = _findings(utterances, language, analyst)
    competencies = findings.competencies
    score, coverage, missing = overall(competencies, profile)
    recommendation = recommend(score, coverage)
    summary = build_summary(
        competencies, score, coverage, missing, recommendation, language, profile, findings.vague
    )
    return Analysis(
        language=language,
        duration_s=transcript.duration_s,
        utterances=utterances,
        competencies=competencies,
        overall_score=score,
        recommendation=recommendation,
        summary=summary,
        followups=suggest(utterances, language, findings.vague),
        corrections=corrections,
        profile=profile.name,
        speech=speech,
        qualifiers=findings.qualifiers,
        vague_claims=findings.vague,
        analysis_version=findings.version,
        analyst=used,
        notes=notes,
        interviewer=interviewer_report(
            utterances,
            language,
            timed=_timed(transcript),
            jurisdictions=jurisdictions,
            flag_model=get_flag_model,
        ).to_dict(),
    )


def _timed(transcript: Transcript) -> bool:
    """Real times: not estimated from text length, and not all zero."""
    return not transcript.timings.get("estimated_times") and any(s.end > 0 for s in transcript.segments)


def _findings(
    utterances: list[Utterance], language: str, analyst: Analyst | None
) -> tuple[Findings, str, list[str]]:
    if analyst is None:
        return analyse_local(utterances, language), "local", []
    try:
        findings = analyst.analyse(utterances, language)
        return findings, "llm", list(findings.notes)
    except AnalystError as exc:
        note = (
            f"LLM 分析不可用（{exc}），本报告由本地模型生成"
            if language == "zh"
            else f"the LLM analyst was unavailable ({exc}); this report comes from the local model"
        )
        return analyse_local(utterances, language), "local", [note]


def load_transcript_file(path: Path) -> tuple[Transcript, list[str | None] | None]:
    """A `transcribe --json` file or a .txt transcript."""
    import json

    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path.name} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
            raise ValueError(f'{path.name} is not a transcript: it has no "segments" list')
        try:
            return Transcript.from_dict(data), None
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path.name} has a malformed segment ({exc})") from None
    transcript, roles = transcript_from_text(text, source=path.name)
    return transcript, roles
