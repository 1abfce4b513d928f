"""Who spoke: interviewer or candidate.

Evidence, strongest first: the stereo side a segment came from (one speaker per channel is common in
call exports); what was said (questions and prompts vs first-person accounts); how it sounded (two voice
clusters from pitch and brightness); and turn-taking (a short gap after a statement continues the same
speaker). A pluggable diarizer may replace all of this; the default works offline on any transcript.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from .results import CANDIDATE, INTERVIEWER

_ZH_QUESTION_END = re.compile(r"(吗|呢|吧|么|没有)[\s,，。.!！]*$")
_ZH_PROMPTS = re.compile(
    r"(能不能|能否|能说说|能讲讲|能介绍|介绍一下|讲一讲|讲讲|说说|谈谈|聊聊|为什么|怎么|如何|是什么|哪些|"
    r"多少|有没有|是否|请问|举个例子|具体说|展开说|今天就到这|还有什么问题)"
)
_EN_PROMPTS = re.compile(
    r"^\s*(can you|could you|would you|how (do|did|would|does)|what|why|tell me|walk me|describe|"
    r"have you|did you|do you|give me an example|let's|thanks for your time)\b",
    re.I,
)
_FIRST_PERSON = re.compile(
    r"^[\s嗯呃啊那个就是然后,，]*(我|我们|当时|之前|其实)|^\s*(i|we|my|our|in my|at my)\b", re.I
)


def text_cue(text: str) -> float:
    """Positive: sounds like the interviewer; negative: like the candidate; 0: no idea."""
    t = text.strip()
    if not t:
        return 0.0
    score = 0.0
    if t.endswith(("？", "?")):
        score += 1.0
    if _ZH_QUESTION_END.search(t):
        score += 0.6
    if _ZH_PROMPTS.search(t) or _EN_PROMPTS.search(t):
        score += 0.7
    if _FIRST_PERSON.search(t):
        score -= 0.8
    length = len(t) if re.search(r"[\u4e00-\u9fff]", t) else len(t.split()) * 2
    if length > 30:
        score -= 0.5 + min(1.0, (length - 30) / 60)
    return max(-2.0, min(2.0, score))


def _two_clusters(features: np.ndarray) -> tuple[np.ndarray, float]:
    """2-means on standardised log features; returns labels and a separation score (0 = none)."""
    x = np.log(np.maximum(features, 1e-3))
    x = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-6)
    order = np.argsort(x[:, 0])
    centers = np.stack([x[order[: len(x) // 2]].mean(axis=0), x[order[len(x) // 2 :]].mean(axis=0)])
    labels = np.zeros(len(x), dtype=int)
    for _ in range(20):
        d = ((x[:, None, :] - centers[None]) ** 2).sum(axis=2)
        new = d.argmin(axis=1)
        if np.array_equal(new, labels) and _ > 0:
            break
        labels = new
        for k in (0, 1):
            if np.any(labels == k):
                centers[k] = x[labels == k].mean(axis=0)
    if len(set(labels)) < 2:
        return labels, 0.0
    within = np.mean([np.linalg.norm(x[labels == k] - centers[k], axis=1).mean() for k in (0, 1)])
    between = float(np.linalg.norm(centers[0] - centers[1]))
    return labels, between / max(within, 1e-6)


def assign_roles(
    texts: Sequence[str],
    starts: Sequence[float],
    ends: Sequence[float],
    channels: Sequence[int | None] = (),
    voices: Sequence[Sequence[float] | None] = (),
) -> list[str]:
    n = len(texts)
    if n == 0:
        return []
    cues = [text_cue(t) for t in texts]

    # 1. One speaker per stereo side.
    chans = list(channels) + [None] * (n - len(channels))
    known = [c for c in chans if c is not None]
    if len(known) >= 0.7 * n and len(set(known)) == 2:
        side_score = {c: np.mean([cues[i] for i in range(n) if chans[i] == c]) for c in set(known)}
        interviewer_side = max(side_score, key=side_score.get)
        roles = [INTERVIEWER if c == interviewer_side else CANDIDATE if c is not None else "" for c in chans]
        return _fill_gaps(roles, cues)

    # 2. Voice clusters, weighed by how clearly the voices separate.
    vote = [0.0] * n
    vs = list(voices) + [None] * (n - len(voices))
    idx = [i for i, v in enumerate(vs) if v and len(v) >= 2 and v[0] > 0 and v[1] > 0]
    if len(idx) >= 4:
        labels, separation = _two_clusters(np.array([vs[i][:2] for i in idx], dtype=float))
        if separation > 1.0:
            means = [np.mean([cues[i] for i, lab in zip(idx, labels) if lab == k] or [0.0]) for k in (0, 1)]
            interviewer_label = int(np.argmax(means))
            strength = min(1.2, 0.4 * separation)
            for i, lab in zip(idx, labels):
                vote[i] = strength if lab == interviewer_label else -strength

    # 3. Text cues plus turn-taking: a question is followed by an answer; a quick continuation after a
    #    statement is the same speaker.
    roles: list[str] = []
    for i in range(n):
        score = 1.5 * cues[i] + vote[i]
        if i > 0 and cues[i - 1] >= 0.6 and roles[-1] == INTERVIEWER and cues[i] < 0.6:
            score -= 1.2
        elif i > 0 and starts[i] - ends[i - 1] < 0.5 and abs(cues[i]) < 0.5:
            score += 0.9 if roles[-1] == INTERVIEWER else -0.9
        if math.isclose(score, 0.0, abs_tol=1e-9):  # nothing tells: the same speaker goes on
            score = 0.1 if roles and roles[-1] == INTERVIEWER else -0.1
        roles.append(INTERVIEWER if score > 0 else CANDIDATE)
    return roles


def _fill_gaps(roles: list[str], cues: list[float]) -> list[str]:
    out = []
    for role, cue in zip(roles, cues):
        out.append(role or (INTERVIEWER if cue > 0 else out[-1] if out else CANDIDATE))
    return out


def parse_speaker_prefix(line: str) -> tuple[str | None, str]:
    """'interviewer: ...' / 'candidate: ...' (also 面试官/候选人, Q/A) prefixes on text transcripts."""
    m = re.match(r"^\s*(interviewer|candidate|面试官|候选人|q|a)\s*[:：]\s*(.*)$", line, re.I)
    if not m:
        return None, line
    who = m.group(1).lower()
    role = INTERVIEWER if who in ("interviewer", "面试官", "q") else CANDIDATE
    return role, m.group(2)
