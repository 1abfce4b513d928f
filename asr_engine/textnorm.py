"""Mandarin transcript text the way readers expect it: numbers in digits, full-width punctuation.

Applied by the engine to every Mandarin segment, so the transcript, the report's quotes and search all
see the same text. Spoken numbers become digits only where a reader would write digits:
- percentages: 百分之三十 -> 30%, 百分之八点五 -> 8.5%;
- numbers with a place value or a decimal point: 一百二十 -> 120, 一点二秒 -> 1.2 秒, 两百多 -> 200 多;
  万 and 亿 stay as words after the digits (每秒两万 -> 每秒 2 万, 一万五千 -> 1.5 万);
- a single digit only before a unit of measurement (三秒 -> 3 秒, 五倍 -> 5 倍); counted things and
  idioms keep their characters (三年, 五个人, 一主三从, 一致性, 十分重要, 千万不要, 万一).
Digits and Latin words are set off from Chinese characters by one space (我们用 Redis 做缓存), and
ASCII punctuation that follows Chinese text becomes full-width. Word-level texts are not rewritten:
their timings belong to the spoken form.
"""

from __future__ import annotations

import re

DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
NUM_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS)
# Units after which even a one-digit number is written in digits.
MEASURE = (
    "毫秒",
    "微秒",
    "纳秒",
    "秒钟",
    "秒",
    "分钟",
    "小时",
    "倍",
    "核",
    "毫米",
    "厘米",
    "公里",
    "米",
    "GB",
    "MB",
    "KB",
    "TB",
    "G",
    "M",
    "K",
    "T",
)
HAN = "\u4e00-\u9fff"

_NUMBER = re.compile(rf"[{NUM_CHARS}]+(?:点[{''.join(DIGITS)}]+)?")
_PERCENT = re.compile(rf"百分之([{NUM_CHARS}]+(?:点[{''.join(DIGITS)}]+)?|\d+(?:\.\d+)?)")
_FULL_WIDTH = {",": "，", "?": "？", "!": "！", ":": "：", ";": "；", "(": "（", ")": "）"}


def parse_int(chars: str) -> int | None:
    """Value of a Chinese integer (三万二千五百, 十六, 两百); None when it is no well-formed number."""
    total, section, digit = 0, 0, None
    for ch in chars:
        if ch in DIGITS:
            if digit is not None:  # two digits in a row (一二): a list or an idiom, not a number
                return None
            digit = DIGITS[ch]
        elif ch in SMALL_UNITS:
            section += (1 if digit is None else digit) * SMALL_UNITS[ch]
            digit = None
        else:
            big = BIG_UNITS[ch]
            if section + (digit or 0) == 0 and total == 0:
                return None
            total = (
                (total + section + (digit or 0)) * big
                if big > 10_000
                else total + (section + (digit or 0)) * big
            )
            section, digit = 0, None
    return total + section + (digit or 0)


def _fmt(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def _decimal(chars: str) -> str | None:
    whole, _, frac = chars.partition("点")
    value = parse_int(whole)
    if value is None:
        return None
    if frac:
        return f"{value}." + "".join(str(DIGITS[c]) for c in frac)
    return str(value)


def _with_big_unit(chars: str) -> str | None:
    """两万 -> "2 万", 一万五千 -> "1.5 万", 三亿 -> "3 亿": large numbers read as the speaker said them."""
    value = parse_int(chars)
    if value is None:
        return None
    unit, size = ("亿", 100_000_000) if "亿" in chars else ("万", 10_000)
    return f"{_fmt(value / size)} {unit}"


def _number(match: re.Match[str]) -> str:
    chars, text, end = match.group(), match.string, match.end()
    before = text[match.start() - 1] if match.start() else ""
    after = text[end:]
    has_place = any(c in SMALL_UNITS or c in BIG_UNITS for c in chars) or "点" in chars
    if chars[0] not in DIGITS and not (chars[0] == "十" and len(chars) > 1 or chars == "十"):
        return chars  # 万一, 千万, 百万: idioms, or a number no one says that way
    if chars[0] == "十" and (
        after.startswith("分")
        and not after.startswith("分钟")
        or len(chars) == 1
        and not after.startswith(MEASURE)
    ):
        return chars  # 十分重要
    if before and before in "第星周礼" and not has_place:
        return chars  # 第一, 星期三
    if not has_place and not after.startswith(MEASURE):
        return chars  # 三年, 一主三从, 一致性: counts and idioms read better in characters
    if any(c in BIG_UNITS for c in chars) and "点" not in chars:
        out = _with_big_unit(chars)
    elif "点" in chars:
        out = _decimal(chars)
    else:
        value = parse_int(chars)
        out = None if value is None else str(value)
    return chars if out is None else out


def _percent(match: re.Match[str]) -> str:
    body = match.group(1)
    value = body if body[0].isdigit() else _decimal(body)
    return match.group() if value is None else f"{value}%"


def _spacing(text: str) -> str:
    text = re.sub(rf"([{HAN}])([A-Za-z0-9])", r"\1 \2", text)
    text = re.sub(rf"([A-Za-z0-9%])([{HAN}])", r"\1 \2", text)
    return re.sub(r"(?<=\d) (?=%)", "", text)


def _punctuation(text: str) -> str:
    # ASCII marks right after Chinese text (Whisper mixes both), then the spaces Whisper leaves between two
    # Chinese phrases: a reader sees a pause there, so it becomes a comma.
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 1,000 -> 1000, as 一千 is written
    text = re.sub(rf"(?<=[{HAN}]) ?([,?!:;]) ?", lambda m: _FULL_WIDTH[m.group(1)], text)
    text = re.sub(rf"(?<=[0-9%]) ?([,?!:;]) ?(?=[{HAN}])", lambda m: _FULL_WIDTH[m.group(1)], text)
    text = re.sub(rf"(?<=[{HAN}]) ?\.(?=\s|$|[{HAN}]) ?", "。", text)
    text = re.sub(rf"(?<=[{HAN}])\s+(?=[{HAN}])", "，", text)
    return re.sub(r"\s*([，。？！：；、])\s*", r"\1", text)


def normalize_zh(text: str) -> str:
    """Digits, full-width punctuation and spacing for one Mandarin segment (idempotent)."""
    text = _PERCENT.sub(_percent, text)
    text = _NUMBER.sub(_number, text)
    text = _punctuation(text)
    text = _spacing(text)
    return re.sub(r" {2,}", " ", text).strip()
