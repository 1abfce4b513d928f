"""Speech features, reported and never scored: thinking pauses, fillers, speech rate, low-confidence spans.

A slow, accented or hesitant speaker is not a weak candidate; these flags help the reader judge the
transcript, and fillers are kept out of quoted evidence.
"""

from __future__ import annotations

import re
import statistics

from .results import CANDIDATE, Utterance

THINKING_PAUSE_S = 2.0  # silence before an answer
INNER_PAUSE_S = 1.5  # silence between two words of one utterance
SLOW, FAST = 0.65, 1.5  # relative to the speaker's own median rate
LOW_CONFIDENCE = 0.5
LOW_WORD_PROB = 0.4

_HAN = re.compile(r"[\u4e00-\u9fff]")
_SEP = r"(?:^|(?<=[\s,，。.!！?？、;；]))"
_END = r"(?=$|[\s,，。.!！?？、;；])"
# Single-syllable hesitations count anywhere they stand alone; 那个/就是/然后/这个 only when set off by
# pauses or punctuation, because inside a sentence they are ordinary words.
ZH_FILLERS = re.compile(rf"{_SEP}(嗯+|呃+|额+|啊+|哈+|那个|就是|然后|这个)(?:[\s,，、]|{_END})")
EN_FILLERS = re.compile(r"\b(um+|uh+|erm|er|hmm+|you know|i mean|like,|sort of|kind of)\b[,]?\s*", re.I)


def count_fillers(text: str) -> int:
    return len(ZH_FILLERS.findall(text)) + len(EN_FILLERS.findall(text))


def strip_fillers(text: str) -> str:
    """The quote a report shows: hesitations removed, meaning kept."""
    out = ZH_FILLERS.sub("", text)
    out = EN_FILLERS.sub("", out)
    out = re.sub(r"^[\s,，、.。]+", "", out)
    out = re.sub(r"[,，、]\s*([,，、。.])", r"\1", out)
    return re.sub(r"\s{2,}", " ", out).strip()


def units(text: str) -> int:
    """Characters for Chinese, words for everything else."""
    han = len(_HAN.findall(text))
    latin = len(re.findall(r"[A-Za-z0-9']+", text))
    return han + latin


def annotate(utterances: list[Utterance]) -> dict[str, object]:
    """Set flags, pauses and rates on the utterances; return per-speaker statistics."""
    prev_end, prev_speaker = None, None
    for u in utterances:
        if prev_end is not None:
            u.pause_before_s = round(max(0.0, u.start - prev_end), 2)
        if (
            u.speaker == CANDIDATE
            and prev_speaker is not None
            and prev_speaker != CANDIDATE
            and u.pause_before_s >= THINKING_PAUSE_S
        ) or any(b["start"] - a["end"] >= INNER_PAUSE_S for a, b in zip(u.words, u.words[1:])):
            u.flags.append("thinking_pause")
        if count_fillers(u.text):
            u.flags.append("filler")
        duration = u.end - u.start
        u.rate = round(units(u.text) / duration, 2) if duration > 0.3 else None
        low_words = [w for w in u.words if (w.get("probability") or 1.0) < LOW_WORD_PROB]
        if (u.confidence is not None and u.confidence < LOW_CONFIDENCE) or (
            u.words and len(low_words) >= 0.3 * len(u.words)
        ):
            u.flags.append("low_confidence")
        prev_end, prev_speaker = u.end, u.speaker

    stats: dict[str, object] = {}
    for speaker in sorted({u.speaker for u in utterances}):
        mine = [u for u in utterances if u.speaker == speaker]
        rates = [u.rate for u in mine if u.rate]
        median = statistics.median(rates) if rates else None
        if median and len(rates) >= 3:
            for u in mine:
                if u.rate and u.rate < SLOW * median:
                    u.flags.append("slow")
                elif u.rate and u.rate > FAST * median:
                    u.flags.append("fast")
        stats[speaker] = {
            "utterances": len(mine),
            "talk_s": round(sum(u.end - u.start for u in mine), 1),
            "median_rate": round(median, 2) if median else None,
            "fillers": sum(count_fillers(u.text) for u in mine),
            "thinking_pauses": sum("thinking_pause" in u.flags for u in mine),
        }
    return stats
