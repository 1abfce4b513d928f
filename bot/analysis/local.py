"""The local analyst: the semantic model's scores turned into evidence, caveats and vague claims.

An answer (the candidate's turns after one question) is credited with a competency when its head says
so; the quote is the candidate's own sentence that scored highest, at most 90 characters, fillers out,
with its time. Qualifiers found in the answer weaken every claim of that answer and show as caveats;
a vague clause becomes a claim to probe with a question that quotes it and asks for what is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import records
from .competencies import find_claims, score
from .cues import DEFAULT_RULES, metric_moved, qualifier_cues, qualifier_hit, theirs, vague_missing, would_do
from .detectors import CLOSING, COMPETENCY_CUES, NUMBER, PERFORMANCE, SMALL_TALK
from .followups import vague_notes
from .learned import LocalModel, Unit, UnitScores, get_model
from .results import (
    CANDIDATE,
    INTERVIEWER,
    QUALIFIER_TYPES,
    CompetencyResult,
    Evidence,
    Qualifier,
    Utterance,
    VagueClaim,
)
from .spans import Span
from .speech import strip_fillers

QUOTE_LIMIT = 90
# type -> (weight factor, zh caveat, en caveat)
QUALIFIER_EFFECT: dict[str, tuple[float, str, str]] = {
    "hearsay": (0.4, "只是看过或听说，缺少亲身经历", "read or heard about it, not hands-on"),
    "team_not_me": (0.6, "个人贡献不明确", "individual contribution unclear"),
    "not_shipped": (0.5, "项目未上线，实际影响待核实", "did not ship: real impact unverified"),
    "test_env_only": (0.5, "需要生产环境证据", "needs production evidence"),
    "unconfirmed_cause": (0.7, "原因未经确认", "cause never confirmed"),
    "acting_role": (0.8, "临时或非正式角色", "acting or informal role"),
    "hedge": (0.8, "表述不确定", "stated with uncertainty"),
}
QUESTIONS = {
    "perf": (
        "你提到“{q}”，能给出优化前后的具体数据吗（QPS、P99 延迟、资源占用）？瓶颈是怎么定位到的？",
        'You said "{q}". What were the numbers before and after (QPS, p99 latency, resources), and how '
        "did you find the bottleneck?",
    ),
    "number": (
        "你提到“{q}”，具体数字是多少？前后各是多少，怎么衡量的？",
        'You said "{q}". What was the number, before and after, and how was it measured?',
    ),
    "mechanism": (
        "你提到“{q}”，具体是怎么做的？用了什么机制，为什么这样设计？",
        'You said "{q}". How exactly did it work, and why that design?',
    ),
    "specifics": (
        "你提到“{q}”，能举一个具体的例子吗？是什么情况，你具体做了什么？",
        'You said "{q}". Can you give one concrete example: what happened and what you did?',
    ),
}


@dataclass
class Answer:
    unit: Unit
    utterances: list[Utterance]


@dataclass
class Findings:
    competencies: dict[str, CompetencyResult]
    qualifiers: list[Qualifier]
    vague: list[VagueClaim]
    version: str
    notes: list[str] = field(default_factory=list)


def pleasantry(text: str) -> bool:
    body = strip_fillers(text)
    return len(body) < 4 or bool(SMALL_TALK.fullmatch(body)) or (bool(CLOSING.match(body)) and len(body) < 24)


def answers_of(utterances: list[Utterance]) -> list[Answer]:
    """The candidate's turns after each question; greetings and closing thanks are left out."""
    out: list[Answer] = []
    question, current = "", []
    for u in [*utterances, None]:
        if u is None or u.speaker == INTERVIEWER:
            if current:
                out.append(Answer(Unit(question, [x.text for x in current]), current))
            current = []
            if u is not None:
                question = u.text
        elif u.speaker == CANDIDATE and not pleasantry(u.text):
            current.append(u)
    return out


def time_at(u: Utterance, offset: int) -> float:
    """Start time of the word at character `offset`, else interpolated over the utterance."""
    pos = 0
    for w in u.words:
        pos += len(str(w["text"]).strip())
        if pos > offset:
            return round(float(w["start"]), 2)
    share = offset / max(len(u.text), 1)
    return round(u.start + share * (u.end - u.start), 2)


def quote(text: str, key: str | None = None) -> str:
    """The candidate's words, fillers out, at most QUOTE_LIMIT characters around what earned them."""
    body = strip_fillers(text).strip(" ,，、")
    if len(body) <= QUOTE_LIMIT:
        return body
    cue = COMPETENCY_CUES[key].search(body) if key in COMPETENCY_CUES else None
    hit = cue.start() if cue else 0
    start = max(0, min(hit - 20, len(body) - QUOTE_LIMIT + 1))
    piece = body[start : start + QUOTE_LIMIT - 1].strip()
    return piece + "…"


def _sentence_quote(answer: Answer, scores: UnitScores, key: str) -> tuple[Utterance, Span]:
    col = scores.keys.index(key)
    ranked = sorted(range(len(answer.unit.sentences)), key=lambda i: -scores.sentence_logits[i, col])
    for i in ranked:
        turn, span = answer.unit.sentences[i]
        if not pleasantry(span.text):
            return answer.utterances[turn], span
    turn, span = answer.unit.sentences[ranked[0]]
    return answer.utterances[turn], span


_SENTENCE_END = re.compile(r"[。！？!?；;\n]|\.(?!\d)")


def _with_sentence_start(answer: Answer, span: Span) -> str:
    """The span from the start of its sentence: a long sentence is scored in pieces, and "I would set up
    one-on-ones, pair every new hire…" is a hypothetical in its second piece too."""
    turn = next((t for t, s in answer.unit.sentences if s is span), None)
    if turn is None:
        return span.text
    head = answer.unit.turns[turn][: span.start]
    cut = max((m.end() for m in _SENTENCE_END.finditer(head)), default=0)
    return head[cut:] + span.text


def _clause_findings(
    answer: Answer, scores: UnitScores, zh: bool, rules: dict | None = None
) -> tuple[list[Qualifier], list[VagueClaim]]:
    """Qualifiers and vague claims per clause: the clause heads combined with the exact cues as the
    artefact's rules say (chosen by cross-validation). A type may show in several clauses of an answer;
    its weight is applied once per answer (see _claims)."""
    rules = rules if rules is not None else DEFAULT_RULES
    quals: list[Qualifier] = []
    vague: list[VagueClaim] = []
    nq = len(QUALIFIER_TYPES)
    for row, (turn, c) in enumerate(answer.unit.clauses):
        if pleasantry(c.text):
            continue
        u, probs, text = answer.utterances[turn], scores.clause_probs[row], quote(c.text)
        cues = qualifier_cues(c.text)
        for j, kind in enumerate(QUALIFIER_TYPES):
            if qualifier_hit(kind, float(probs[j]), cues, rules) and (kind, text) not in {
                (q.type, q.text) for q in quals
            }:
                note = QUALIFIER_EFFECT[kind][1 if zh else 2]
                quals.append(Qualifier(kind, time_at(u, c.start), text, note))
        missing = vague_missing(c.text, [float(x) for x in probs[nq:]], rules)
        if missing is None:
            continue
        # a vague performance claim, whatever piece the model says it misses, is best probed by numbers
        # before and after and how the bottleneck was found
        template = "perf" if PERFORMANCE.search(text) else missing
        question = QUESTIONS[template][0 if zh else 1].format(q=text.rstrip("，,。. "))
        vague.append(VagueClaim(time_at(u, c.start), text, missing, question))
    return quals, vague


def _claims(
    answer: Answer,
    scores: UnitScores,
    quals: list[Qualifier],
    vague: list[VagueClaim],
    negated: dict[str, list[str]],
    zh: bool,
) -> list[tuple[str, Evidence]]:
    """(key, Evidence) for each competency the answer is credited with."""
    out = []
    for key, p in scores.competencies.items():
        if p < 0.5:
            continue
        u, span = _sentence_quote(answer, scores, key)
        text = quote(span.text, key)
        if any(n in span.text for n in negated.get(key, ())):
            continue  # the best sentence is a denial ("我没有带过团队"): not evidence
        told = _with_sentence_start(answer, span)
        if (key != DESIGN and would_do(told)) or (key == RESULT and theirs(told)):
            continue  # ... or what they would do ("如果让我做…"; a design question asks for just that),
            # or an outcome others got ("他们组后来…")
        ev = Evidence(start=time_at(u, span.start), text=text, weight=round(0.6 + 0.4 * min(p, 1.0), 2))
        if NUMBER.search(span.text):
            ev.weight += 0.4
        told_vaguely = [v for v in vague if v.text in text or text in v.text or v.start == ev.start]
        if notes := vague_notes(text, told_vaguely, zh):
            ev.weight *= 0.6
            ev.caveats.extend(notes)
        for q in {q.type: q for q in quals}.values():  # once per type and answer
            ev.weight *= QUALIFIER_EFFECT[q.type][0]
            ev.caveats.append(q.caveat)
            ev.qualifiers.append(q.type)
        ev.weight = round(ev.weight, 2)
        out.append((key, ev))
    return out


RESULT, DESIGN = "result_orientation", "system_design"


def _credit_moved_metrics(answer: Answer, scores: UnitScores) -> None:
    """A metric the candidate moved, with its figures, is result orientation even where the heads are
    unsure (they read "从 800 毫秒降到 120 毫秒" as technical detail): credited at the threshold's margin,
    quoted from the sentence that carries it."""
    if RESULT not in scores.competencies or scores.competencies[RESULT] >= 0.5:
        return
    col = scores.keys.index(RESULT)
    for i, (_, span) in enumerate(answer.unit.sentences):
        if metric_moved(span.text, answer.unit.text):
            scores.competencies[RESULT] = 0.6
            scores.sentence_logits[i, col] = scores.sentence_logits[:, col].max() + 1.0
            return


def analyse_local(utterances: list[Utterance], language: str, model: LocalModel | None = None) -> Findings:
    model = model or get_model()
    zh = language == "zh"
    rule_claims, denied = find_claims(utterances, language)
    del rule_claims  # the rules' own claims are the bench's baseline; their denials are exact
    negated: dict[str, list[str]] = {}
    for n in denied:
        negated.setdefault(n.competency, []).append(n.text)
    answers = answers_of(utterances)
    found: dict[str, list[Evidence]] = {}
    quals_all: list[Qualifier] = []
    vague_all: list[VagueClaim] = []
    for answer, scores in zip(answers, model.score([a.unit for a in answers])):
        _credit_moved_metrics(answer, scores)
        quals, vague = _clause_findings(answer, scores, zh, model.rules)
        quals_all += quals
        vague_all += vague
        for key, ev in _claims(answer, scores, quals, vague, negated, zh):
            found.setdefault(key, []).append(ev)
    results = competency_results(found, denied, zh, records.competency_keys())
    return Findings(results, quals_all, vague_all, model.analysis_version)


def competency_results(
    found: dict[str, list[Evidence]], denied: list, zh: bool, keys: tuple[str, ...]
) -> dict[str, CompetencyResult]:
    """Each competency's score from its evidence (best first, three kept), the caveats of that evidence and
    the candidate's own denials (shared by the local and the LLM analyst)."""
    out: dict[str, CompetencyResult] = {}
    for key in keys:
        mine = sorted(found.get(key, []), key=lambda e: -e.weight)
        caveats: list[str] = []
        for note in (n for e in mine for n in e.caveats):
            if note not in caveats:
                caveats.append(note)
        for n in (c for c in denied if c.competency == key):
            caveats.append(
                f"候选人表示没有相关经历：“{n.text}”" if zh else f'candidate says they have not: "{n.text}"'
            )
        out[key] = CompetencyResult(score([e.weight for e in mine]), mine[:3], caveats)
    return out
