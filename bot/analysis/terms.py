"""Homophone repair for technical terms by pinyin similarity (秘等性 -> 幂等性, 现成齿 -> 线程池).

A window of Chinese characters is replaced by a lexicon term when it sounds the same (toneless pinyin,
with the usual fuzzy pairs zh/z, ch/c, sh/s, n/l, -ng/-n) or, for terms of three syllables or more, differs
in one syllable by a close initial or by ü heard as i (点击力 -> 点击率), and the context allows it:
- text that already is a lexicon term is never touched;
- a window that is itself a word of jieba's dictionary is never changed: "现成的线程池" and "多台机器" must
  stay as spoken, at the price of missing 学风 -> 削峰; nor is one that cuts into a word, starts or ends
  on a function word, or keeps nothing of the term while holding a common word (直接拿 is not 字节码);
- two-syllable terms, everyday-word terms and one-initial-off matches need a technical term nearby.
Latin terms a Mandarin ASR spells out in characters (瑞迪斯 -> Redis, 卡夫卡 -> Kafka) are found the same
way, by the syllables the lexicon records for them, and always need a technical term nearby (卡夫卡 is
also a writer). A Latin word one letter off a term (Fling -> Flink) is changed unless it is written in
lower case (flash, window: ordinary English) or is the term's stem (cgroup, keepAlive).
The false-correction rate is measured on ~2,300 correct sentences (bench/accuracy.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from .lexicon import EN_SOUNDS, EN_TERMS, NEEDS_CONTEXT, SAME_CLAUSE, ZH_TERMS

HAN = re.compile(r"[\u4e00-\u9fff]+")
HAN_OR_LATIN = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z][A-Za-z0-9+#]*")
COMMON_WORD_FREQ = 100
# A window jieba's dictionary knows as a word at all (多台, 几份, 单店, 流式) is what was said; misheard terms
# are non-words (秘等, 美描, 环存). A window may not cut into a dictionary word, nor into a part of a long
# one (压到可用内存 -> 压 Docker 用内存, 设计规范 -> 设机柜范); words rarer than CUT_WORD_FREQ are often
# jieba's guesses at misheard text (描到 in 美描到) and do not count.
KNOWN_WORD_FREQ = 3
CUT_WORD_FREQ = 5
# A window that keeps no character of the term and holds a common word (直接拿 -> 字节码, 印象里 -> 影响力,
# 总监讲 -> 中间件) is a coincidence of sounds; 分布是事物 -> 分布式事务 keeps 分布 and goes on.
FREQUENT_WORD_FREQ = 500
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FUZZY_FINALS = (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in"))
# Initials an ASR model (or an accent) confuses; anything further apart is a different word.
_CLOSE_INITIALS = {
    frozenset(p)
    for p in (
        ("m", "n"),
        ("n", "l"),
        ("b", "p"),
        ("d", "t"),
        ("g", "k"),
        ("z", "c"),
        ("zh", "ch"),
        ("j", "q"),
        ("f", "h"),
        ("r", "l"),
        ("m", "b"),
    )
}
_INITIALS = (
    "zh",
    "ch",
    "sh",
    "b",
    "p",
    "m",
    "f",
    "d",
    "t",
    "n",
    "l",
    "g",
    "k",
    "h",
    "j",
    "q",
    "x",
    "r",
    "z",
    "c",
    "s",
    "y",
    "w",
)


@cache
def _split(syl: str) -> tuple[str, str]:
    for ini in _INITIALS:
        if syl.startswith(ini) and len(syl) > len(ini):
            return ini, syl[len(ini) :]
    return "", syl


def _nl(syl: str) -> str:
    return "l" + syl[1:] if syl.startswith("n") and not syl.startswith("ng") else syl


@cache
def fuzzy(syl: str) -> str:
    ini, fin = _split(syl)
    for a, b in _FUZZY_INITIALS:
        if ini == a:
            ini = b
    for a, b in _FUZZY_FINALS:
        if fin.endswith(a):
            fin = fin[: -len(a)] + b
            break
    return ini + fin


@cache
def _fuzzy_set(options: frozenset[str]) -> frozenset[str]:
    return frozenset(fuzzy(o) for o in options)


@cache
def _finals(options: frozenset[str]) -> frozenset[tuple[str, str]]:
    return frozenset(_split(o) for o in options)


@lru_cache(maxsize=8192)
def _readings(term: str) -> tuple[frozenset[str], ...]:
    """The term's reading in context, one syllable per character. Not every heteronym: 度 can be read
    zhai, and 会在 would sound like 灰度."""
    return tuple(frozenset([s]) for s in syllables(term))


def syllables(text: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(text, style=Style.NORMAL)


@lru_cache(maxsize=1)
def jieba_tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.dt


def word_freq(word: str) -> int:
    return int(jieba_tokenizer().FREQ.get(word) or 0)


def common_word_spans(run: str, min_freq: int = COMMON_WORD_FREQ) -> list[tuple[int, int]]:
    """(start, end) of the dictionary words (two characters or more, at least `min_freq` in jieba's
    dictionary) in a run of Han text, the parts of a long word included (可用内存 -> 可用, 内存)."""
    return [
        (start, end)
        for word, start, end in jieba_tokenizer().tokenize(run, mode="search", HMM=False)
        if len(word) >= 2 and word_freq(word) >= min_freq
    ]


def _one_edit(a: str, b: str) -> bool:
    """Exactly one substitution, insertion or deletion apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[i + 1 :] == b[i + 1 :] or a[i + 1 :] == b[i:] or a[i:] == b[i + 1 :]


# Copula, particles, conjunctions, prepositions, pronouns, directional verbs and the like (只, 几, 之: 里只
# -> 离职, 点几 -> 点击, 分之 -> 分支): a window that starts or ends on one of them is a term's sound by
# coincidence. (Not 不 or 到: ASR writes 不属 for 部署 and 住到 for 主导.)
FUNCTION_WORDS = frozenset("是的了在和也就都与及或跟被把让给对从向只会几一里之着过掉我他去来")


def _changes_function_word(window: str, term: str) -> bool:
    """A function word at either end of the window is changed (架构是 -> 架构师): a coincidence of sounds.
    Inside the window it bridges two parts of one term and is the error (分布是事务 -> 分布式事务)."""
    ends = [(window[0], term[0]), (window[-1], term[-1])]
    return any(a != b and a in FUNCTION_WORDS for a, b in ends)


def _swallows_a_frequent_word(window: str, term: str) -> bool:
    """The window shares no character with the term and holds a common word (two characters or more)."""
    if any(a == b for a, b in zip(window, term)):
        return False
    return any(
        word_freq(window[a:b]) >= FREQUENT_WORD_FREQ and window[a:b] != term[a:b]
        for a in range(len(window))
        for b in range(a + 2, len(window) + (a > 0))
    )


@dataclass(frozen=True)
class Fix:
    original: str
    corrected: str
    offset: int  # character offset in the corrected text
    at: int = 0  # character offset in the original text (where the ASR's word timings point)


@cache
def _unround(syl: str) -> str:
    """The syllable with ü read as i (点击力 for 点击率, 转化力 for 转化率): a confusion of Mandarin ASR and
    southern accents. pypinyin writes ü as v after n/l and as u after j/q/x/y. (Terms are indexed by their
    first syllable's final, so a term whose first syllable is misheard this way is not found: 系列化.)"""
    ini, fin = _split(syl)
    if ini in ("j", "q", "x", "y") and fin.startswith("u"):
        fin = "v" + fin[1:]
    return ini + ("i" + fin[1:] if fin.startswith("v") else fin)


@cache
def _loose_finals(syl: str) -> frozenset[str]:
    """Every final `syl` can be matched by in _match (exact, fuzzy, ü as i): two syllables whose sets do not
    meet cannot match, which rules out most candidate terms at their second syllable cheaply."""
    return frozenset(_split(x)[1] for x in (syl, fuzzy(syl), _unround(syl), _unround(fuzzy(syl))))


@cache
def _second_finals(term: str) -> frozenset[str]:
    readings = _readings(term)
    return frozenset().union(*(_loose_finals(o) for o in readings[1])) if len(readings) > 1 else frozenset()


def _match(window_syls: list[str], readings: tuple[frozenset[str], ...]) -> int | None:
    """Number of syllables that differ only in their initial, or in ü against i; None when the window
    does not sound alike."""
    near = 0
    for syl, options in zip(window_syls, readings):
        if syl in options or fuzzy(syl) in _fuzzy_set(options):
            continue
        if any(_unround(syl) == _unround(o) for o in options):
            near += 1
            continue
        ini, fin = _split(syl)
        if any(
            fin == o_fin and frozenset((ini, o_ini)) in _CLOSE_INITIALS for o_ini, o_fin in _finals(options)
        ):
            near += 1
            continue
        return None
    return near


class TermCorrector:
    def __init__(self, extra_terms: Iterable[str] = ()) -> None:
        extra = [t.strip() for t in extra_terms if t.strip()]
        self.zh_terms = sorted({*ZH_TERMS, *(t for t in extra if HAN.fullmatch(t))}, key=len, reverse=True)
        self.en_terms = {t.lower(): t for t in (*EN_TERMS, *(t for t in extra if not HAN.search(t)))}
        # Index by the final of each term's first syllable: exact, fuzzy and one-initial-off windows all
        # share it, so each position looks at a handful of terms instead of the whole lexicon.
        self.by_final: dict[str, list[str]] = {}
        for t in self.zh_terms:
            for reading in _readings(t)[0]:
                fin = fuzzy(reading)[len(_split(fuzzy(reading))[0]) :]
                bucket = self.by_final.setdefault(fin, [])
                if t not in bucket:
                    bucket.append(t)
        self.term_set = set(self.zh_terms)
        self.by_first_char: dict[str, list[str]] = {}  # finding terms in text: a few per character, not 2,000
        for t in self.zh_terms:
            self.by_first_char.setdefault(t[0], []).append(t)
        # Latin terms by how they sound in Mandarin, keyed by their fuzzy syllables (exact match only:
        # a transliteration is already a guess, one more guess on top would be noise).
        self.en_sounds: dict[tuple[str, ...], str] = {
            tuple(fuzzy(s) for s in reading): term
            for term, readings in EN_SOUNDS.items()
            for reading in readings
        }
        self.en_sound_lengths = sorted({len(k) for k in self.en_sounds}, reverse=True)
        self.en_re = re.compile(
            r"(?<![a-z0-9])("
            + "|".join(re.escape(t) for t in sorted(self.en_terms, key=len, reverse=True))
            + r")(?![a-z0-9])"
        )

    def keywords(self, text: str, language: str) -> list[str]:
        """Terms to bold, in order of appearance: lexicon terms, plus any Latin word in Chinese speech
        (code-switched words are nearly always technical: "我们上了 Istio")."""
        found = self.terms_in(text)
        if language == "zh":
            found |= {w for w in re.findall(r"[A-Za-z][A-Za-z0-9+#./-]*[A-Za-z0-9+#]", text) if len(w) >= 3}
        # drop terms inside a longer found term (队列 inside 消息队列)
        found = {t for t in found if not any(t != o and t in o for o in found)}
        return sorted(found, key=lambda k: text.lower().find(k.lower()))

    def _zh_terms_at(self, text: str) -> Iterable[tuple[int, str]]:
        """(offset, term) for every occurrence of a Chinese term in `text`, overlapping ones too."""
        for i, ch in enumerate(text):
            for term in self.by_first_char.get(ch, ()):
                if text.startswith(term, i):
                    yield i, term

    def terms_in(self, text: str) -> set[str]:
        found = {t for _, t in self._zh_terms_at(text)}
        found |= {self.en_terms[m.group(1)] for m in self.en_re.finditer(text.lower())}
        return found

    def correct(self, text: str, context: str = "") -> tuple[str, list[Fix]]:
        """Return the corrected text and each fix made. `context` is nearby speech (same speaker)."""
        fixes: list[Fix] = []
        out = []
        last = 0
        context_terms = self.terms_in(text + " " + context)
        self._local_terms = self.terms_in(text)  # Latin sound-alikes need a term in the same utterance
        mandarin = bool(HAN.search(text))
        for run in HAN_OR_LATIN.finditer(text):
            out.append(text[last : run.start()])
            if HAN.match(run.group()):
                fixed_run, run_fixes = self._correct_run(run.group(), context_terms)
            elif mandarin:
                fixed_run, run_fixes = self._correct_latin(run.group())
            else:  # English speech: Latin words are spelled by the ASR, not guessed by us
                fixed_run, run_fixes = run.group(), []
            base = sum(len(p) for p in out)
            fixes += [Fix(f.original, f.corrected, base + f.offset, run.start() + f.at) for f in run_fixes]
            out.append(fixed_run)
            last = run.end()
        out.append(text[last:])
        return "".join(out), fixes

    def _correct_latin(self, word: str) -> tuple[str, list[Fix]]:
        """A Latin word in Mandarin speech one letter off a lexicon term (Fling -> Flink)."""
        if len(word) < 5 or word.lower() in self.en_terms or not self._local_terms:
            return word, []
        if word.islower():  # an ordinary English word as written (flash, window, action), not a name
            return word, []
        close = {
            term
            for low, term in self.en_terms.items()
            if len(low) >= 5
            and low[0] == word[0].lower()
            and _one_edit(word.lower(), low)
            and not (low.startswith(word.lower()) or word.lower().startswith(low))  # keepAlive, cgroup
        }
        if len(close) != 1:
            return word, []
        term = close.pop()
        return term, [Fix(word, term, 0)]

    def _correct_run(self, run: str, context_terms: set[str]) -> tuple[str, list[Fix]]:
        syls = syllables(run)
        if len(syls) != len(run):  # pypinyin keeps one syllable per Han character; be safe otherwise
            return run, []
        protected = [False] * len(run)
        for at, term in self._zh_terms_at(run):  # text that already is a term stays exactly as spoken
            protected[at : at + len(term)] = [True] * len(term)
        self._words = common_word_spans(run, CUT_WORD_FREQ)
        result, fixes, i = [], [], 0
        while i < len(run):
            hit = self._latin_at(run, syls, i, protected, context_terms) or self._best_at(
                run, syls, i, protected, context_terms
            )
            if hit is None:
                result.append(run[i])
                i += 1
                continue
            term, length = hit
            latin = not HAN.match(term)
            if latin and i > 0:
                result.append(" ")  # a Latin word in Chinese text stands apart: 我们用 Redis 做缓存
            fixes.append(Fix(run[i : i + length], term, len("".join(result)), i))
            result.append(term + (" " if latin and i + length < len(run) else ""))
            context_terms.add(term)
            i += length
        return "".join(result), fixes

    def _cuts_a_word(self, i: int, length: int) -> bool:
        """A window that starts or ends inside a common word of jieba's segmentation (喜欢读 -> 欢读) is
        a coincidence of sounds, not a misheard term."""
        end = i + length
        return any(a < i < b or a < end < b for a, b in self._words)

    def _latin_at(self, run: str, syls: list[str], i: int, protected: list[bool], context_terms: set[str]):
        if not self._local_terms:
            return None
        for length in self.en_sound_lengths:
            if i + length > len(run) or any(protected[i : i + length]) or self._cuts_a_word(i, length):
                continue
            term = self.en_sounds.get(tuple(fuzzy(s) for s in syls[i : i + length]))
            if term is not None:
                return term, length
        return None

    def _best_at(self, run: str, syls: list[str], i: int, protected: list[bool], context_terms: set[str]):
        key = fuzzy(syls[i])
        candidates = self.by_final.get(key[len(_split(key)[0]) :], ())
        for term in candidates:  # longest first: zh_terms is sorted by length
            length = len(term)
            if length < 2 or i + length > len(run) or run[i : i + length] == term:
                continue
            if not _loose_finals(syls[i + 1]) & _second_finals(term):
                continue
            near = _match(syls[i : i + length], _readings(term))  # the cheap, selective test first
            if near is None or near and (length < 3 or near > 1):
                continue
            if length == 2 and not all(
                _nl(x) in {_nl(o) for o in r} for x, r in zip(syls[i : i + 2], _readings(term))
            ):
                continue  # two syllables sound alike but for n/l (不浓 -> 布隆): 早平 is not 招聘 (z/zh, in/ing)
            if self._allowed(run, i, term, near, protected, context_terms):
                return term, length
        return None

    def _allowed(
        self, run: str, i: int, term: str, near: int, protected: list[bool], context_terms: set[str]
    ) -> bool:
        """Whether the sound-alike window run[i:i+len(term)] may become `term` here."""
        length = len(term)
        window = run[i : i + length]
        if window in self.term_set or word_freq(window) >= KNOWN_WORD_FREQ or self._cuts_a_word(i, length):
            return False
        if _swallows_a_frequent_word(window, term):
            return False
        # a fix may span a correct term ("回度网关" -> "灰度网关") but must leave it as it is
        if any(protected[i + k] and window[k] != term[k] for k in range(length)):
            return False
        if _changes_function_word(window, term):
            return False  # 架构是 is 架构 + 是, not a misheard 架构师; 和规度 is not 合规度
        needs_context = bool(near) or length == 2 or term in NEEDS_CONTEXT
        if needs_context and not (context_terms - {term}):
            return False
        if term not in SAME_CLAUSE:
            return True
        return bool(self.terms_in(run[:i] + " " + run[i + length :]) - SAME_CLAUSE)
