"""The built-in technical lexicon: canonical terms the corrector may restore and the keyword finder bolds.

The terms live in bot/data/tech_lexicon.tsv (term, pinyin, kind), one per line, so that teams can read
and extend the list without touching code. Kinds:
- zh: a Mandarin technical / HR term, matched by pinyin (homophone ASR errors are found by sound, not by
  a list of known misspellings);
- context: a term that is also an everyday word (订单, 日志): restored only when the speech is already
  technical;
- clause: an everyday verb the competency rules hinge on (主导, 上线): restored only when a technical
  term stands in the same clause;
- en: a Latin term, matched by case-insensitive spelling; its pinyin column, when filled, is how a
  Mandarin speaker (and so a Mandarin ASR) writes it in characters (瑞迪斯 -> Redis), "|" between
  variants;
- mixed: a term with both scripts (SQL注入), matched by spelling.
Teams add their own hotwords on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Term:
    text: str
    pinyin: tuple[tuple[str, ...], ...]  # zh: one reading; en: the ways it is said in characters
    kind: str


@lru_cache(maxsize=1)
def load() -> tuple[Term, ...]:
    raw = resources.files("bot").joinpath("data/tech_lexicon.tsv").read_text(encoding="utf-8")
    terms = []
    for line in raw.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, pinyin, kind = line.split("\t")
        readings = tuple(tuple(v.split()) for v in pinyin.split("|") if v.strip())
        terms.append(Term(text, readings, kind))
    return tuple(terms)


def _of(*kinds: str) -> tuple[str, ...]:
    return tuple(t.text for t in load() if t.kind in kinds)


ZH_TERMS: tuple[str, ...] = _of("zh", "context", "clause")
EN_TERMS: tuple[str, ...] = _of("en", "mixed")
# Terms that are also everyday words: corrected towards only when the sentence is already technical.
NEEDS_CONTEXT: frozenset[str] = frozenset(_of("context", "clause"))
# Everyday verbs restored only when a technical term stands in the same clause ("我住到了订单系统的重构"
# -> 主导; "我住到了公司附近" stays).
SAME_CLAUSE: frozenset[str] = frozenset(_of("clause"))
# Latin terms as Mandarin speakers say them: term -> syllable sequences (Redis -> (rui, di, si), ...).
EN_SOUNDS: dict[str, tuple[tuple[str, ...], ...]] = {
    t.text: t.pinyin for t in load() if t.kind == "en" and t.pinyin
}
