#!/usr/bin/env python3
"""Recognition accuracy on the Mandarin dev set (bench/devset) and the shipped clips, per engine.

    python bench/accuracy.py [--engine whisper|qwen3|remote] [--split tune|heldout|all]
    python bench/accuracy.py --sweep [--settings base,beam5,...] [--split tune]
    python bench/accuracy.py --split tune --hyps DUMP/base.json -v   # the corrector alone, no decoding

The default run prints, per split: CER per clip class (clean Mandarin, mixed English, noisy, telephone, long answers of 30-90 s)
before and after term correction, term accuracy (share of lexicon terms in the references that the
transcript has right) before and after correction, x-real-time; then the false-correction rate on correct
text (the references themselves), the English WER on tests/fixtures/en_two_cities.ogg, and CER and
x-real-time on the long shipped interviews. References and transcripts are both normalised
(asr_engine.textnorm) before scoring, so 百分之三十 and 30% count as the same.

--sweep prints CER and x-real-time per decoding setting; the engine's defaults are chosen from it on the
tune split only. x-real-time counts decoding, VAD and recognition (wall clock / audio length); short
clips cost Whisper a full 30 s window each, so the dev set's x-real-time is far below a long recording's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from audiotools import _edit_distance, _strip, wer  # noqa: E402

from asr_engine import Engine, EngineConfig  # noqa: E402
from asr_engine.textnorm import normalize_zh  # noqa: E402
from bot.analysis.terms import TermCorrector  # noqa: E402

FIX = ROOT / "tests" / "fixtures"
CORPUS = ROOT / "corpus" / "analysis"
MISHEARD = ROOT / "bench" / "corpus_misheard.tsv"
HAN = re.compile(r"[\u4e00-\u9fff]")
DEVSET = ROOT / "bench" / "devset"
CLASSES = ("clean", "mixed", "noisy", "telephone", "long")
LONG = ("interview_zh", "interview_zh_round2", "interview_zh_round3")


@dataclass
class Clip:
    id: str
    path: Path
    split: str
    cls: str
    duration_s: float
    text: str


@dataclass
class Scored:
    clip: Clip
    hyp: str
    fixed: str
    wall_s: float
    cpu_s: float = 0.0
    ref_chars: int = 0
    edits_raw: int = 0
    edits_fixed: int = 0
    terms: list[str] = field(default_factory=list)
    right_raw: int = 0
    right_fixed: int = 0


def load_devset(split: str = "all", classes: tuple[str, ...] = CLASSES) -> list[Clip]:
    manifest = json.loads((DEVSET / "manifest.json").read_text())
    clips = []
    for m in manifest:
        if split != "all" and m["split"] != split:
            continue
        cls = m["condition"] if m["condition"] != "clean" else ("mixed" if m["english"] else "clean")
        if cls in classes:
            clips.append(Clip(m["id"], DEVSET / m["file"], m["split"], cls, m["duration_s"], m["text"]))
    return clips


def _chars(text: str) -> list[str]:
    return list(_strip(normalize_zh(text)))


def _has(term: str, text: str) -> bool:
    return _strip(term) in _strip(text)


def score(clip: Clip, hyp: str, wall_s: float, corrector: TermCorrector) -> Scored:
    fixed, _ = corrector.correct(hyp)
    ref = _chars(clip.text)
    s = Scored(clip, hyp, fixed, wall_s, ref_chars=len(ref))
    s.edits_raw = _edit_distance(ref, _chars(hyp))
    s.edits_fixed = _edit_distance(ref, _chars(fixed))
    s.terms = sorted(corrector.terms_in(normalize_zh(clip.text)))
    s.right_raw = sum(_has(t, hyp) for t in s.terms)
    s.right_fixed = sum(_has(t, fixed) for t in s.terms)
    return s


def run_clips(engine: Engine, clips: list[Clip], corrector: TermCorrector, hotwords=()) -> list[Scored]:
    out = []
    for clip in clips:
        t0, c0 = time.perf_counter(), time.process_time()
        transcript = engine.transcribe(clip.path, language="zh", hotwords=list(hotwords))
        out.append(score(clip, transcript.text, time.perf_counter() - t0, corrector))
        out[-1].cpu_s = time.process_time() - c0
    return out


@dataclass
class Summary:
    cer_raw: dict[str, float]
    cer_fixed: dict[str, float]
    terms: int
    term_acc_raw: float
    term_acc_fixed: float
    x_real_time: float
    x_real_time_cpu: float  # audio seconds per CPU second x 2 cores: what an idle 2-core machine would do


def summarise(results: list[Scored]) -> Summary:
    by: dict[str, list[Scored]] = defaultdict(list)
    for r in results:
        by[r.clip.cls].append(r)
        by["all"].append(r)

    def cer(rs: list[Scored], attr: str) -> float:
        return sum(getattr(r, attr) for r in rs) / max(1, sum(r.ref_chars for r in rs))

    terms = sum(len(r.terms) for r in results)
    return Summary(
        cer_raw={k: cer(v, "edits_raw") for k, v in by.items()},
        cer_fixed={k: cer(v, "edits_fixed") for k, v in by.items()},
        terms=terms,
        term_acc_raw=sum(r.right_raw for r in results) / max(1, terms),
        term_acc_fixed=sum(r.right_fixed for r in results) / max(1, terms),
        x_real_time=sum(r.clip.duration_s for r in results) / max(1e-9, sum(r.wall_s for r in results)),
        x_real_time_cpu=2
        * sum(r.clip.duration_s for r in results)
        / max(1e-9, sum(r.cpu_s for r in results)),
    )


def print_summary(title: str, s: Summary, n: int) -> None:
    print(f"\n{title} ({n} clips)")
    print(f"  {'class':<10} {'CER raw':>8} {'CER fixed':>10}")
    for cls in (*CLASSES, "all"):
        if cls in s.cer_raw:
            print(f"  {cls:<10} {s.cer_raw[cls]:>8.3f} {s.cer_fixed[cls]:>10.3f}")
    print(f"  term accuracy ({s.terms} terms): {s.term_acc_raw:.3f} raw, {s.term_acc_fixed:.3f} corrected")
    if s.x_real_time < 1e6:  # rescored transcripts (--hyps) took no decoding time
        print(
            f"  x-real-time (decode+VAD+ASR): {s.x_real_time:.1f} wall clock, "
            f"{s.x_real_time_cpu:.1f} from CPU time on 2 cores"
        )


def false_corrections(corrector: TermCorrector, sentences: list[str]) -> tuple[float, list[str]]:
    """Share of correct sentences the corrector changes, and what it did to them."""
    changed = []
    for text in sentences:
        fixed, fixes = corrector.correct(text)
        if fixes or fixed != text:
            changed.append(f"{text} -> {fixed}")
    return len(changed) / max(1, len(sentences)), changed


def corpus_sentences(split: str = "all") -> list[str]:
    """The Mandarin sentences of the analysis corpus (interview answers and questions written by people,
    some with a deliberate ASR error: bench/corpus_misheard.tsv)."""
    out: set[str] = set()
    for name in ("train", "heldout") if split == "all" else (split,):
        for line in (CORPUS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            snippet = json.loads(line)
            if snippet["lang"] != "zh":
                continue
            for turn in snippet["turns"]:
                out |= {
                    normalize_zh(x.strip()) for x in re.split(r"(?<=[。？！])", turn["text"]) if HAN.search(x)
                }
    return sorted(out)


def misheard() -> dict[str, str]:
    rows = MISHEARD.read_text(encoding="utf-8").splitlines()
    return dict(r.split("\t") for r in rows if r.strip() and not r.startswith("#"))


def correct_sentences() -> list[str]:
    """Correct text: every dev-set reference, every line of the shipped interviews' scripts and every
    sentence of the analysis corpus without a deliberate ASR error."""
    texts = {normalize_zh(c.text) for c in load_devset()}
    for name in LONG:
        texts |= {normalize_zh(u["text"]) for u in json.loads((FIX / f"{name}.script.json").read_text())}
    wrong = misheard()
    texts |= {t for t in corpus_sentences() if not any(m in t for m in wrong)}
    return sorted(texts)


def restored(corrector: TermCorrector, split: str) -> tuple[int, int]:
    """(restored, total) deliberate ASR errors in the analysis corpus's sentences of one split."""
    wrong, done, total = misheard(), 0, 0
    for text in corpus_sentences(split):
        for bad, meant in wrong.items():
            if bad in text and not any(bad != o and bad in o and o in text for o in wrong):
                fixed, _ = corrector.correct(text)
                total += 1
                done += meant in fixed and bad not in fixed
    return done, total


def long_files(engine: Engine) -> None:
    print("\nshipped recordings (long files: the x-real-time a real interview gets)")
    for name in LONG:
        ref = "".join(u["text"] for u in json.loads((FIX / f"{name}.script.json").read_text()))
        t0, c0 = time.perf_counter(), time.process_time()
        t = engine.transcribe(ROOT / "samples" / f"{name}.m4a", language="zh")
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        edits = _edit_distance(_chars(ref), _chars(t.text))
        print(
            f"  {name:<22} CER {edits / len(_chars(ref)):.3f}  x-real-time {t.duration_s / wall:.1f} wall, "
            f"{2 * t.duration_s / cpu:.1f} from CPU time on 2 cores"
        )
    t0 = time.perf_counter()
    t = engine.transcribe(FIX / "en_two_cities.ogg")
    wall = time.perf_counter() - t0
    ref = (FIX / "en_two_cities.txt").read_text()
    print(
        f"  {'en_two_cities (English)':<22} WER {wer(ref, t.text):.3f}  x-real-time {t.duration_s / wall:.1f}"
    )


def rescore(clips: list[Clip], hyps: dict[str, str], corrector: TermCorrector) -> list[Scored]:
    """Score transcripts written by `--sweep --dump` again: the corrector is tuned without decoding."""
    missing = [c.id for c in clips if c.id not in hyps]
    if missing:
        raise SystemExit(f"error: the dump has no transcript of {', '.join(missing[:5])}")
    return [score(c, hyps[c.id], 0.0, corrector) for c in clips]


def report(config: EngineConfig, split: str, verbose: bool, hyps: dict[str, str] | None = None) -> None:
    engine = Engine(config) if hyps is None else None
    corrector = TermCorrector()
    for name in ("tune", "heldout") if split == "all" else (split,):
        clips = load_devset(name)
        results = run_clips(engine, clips, corrector) if engine else rescore(clips, hyps or {}, corrector)
        print_summary(f"dev set, {name} split", summarise(results), len(results))
        if verbose:
            for r in results:
                print(f"    {r.clip.id:<12} {r.edits_raw:>2}/{r.ref_chars:<3} {r.hyp}  ||  {r.fixed}")
    sentences = correct_sentences()
    rate, changed = false_corrections(corrector, sentences)
    print(f"\nfalse-correction rate on {len(sentences)} correct sentences: {rate:.4f}")
    for line in changed:
        print("  " + line)
    for name in ("train", "heldout"):
        done, total = restored(corrector, name)
        print(f"deliberate ASR errors in the analysis corpus ({name}): {done} of {total} restored")
    if engine:
        long_files(engine)


def lexicon_prompt(n: int = 40) -> str:
    """The most common spoken tech terms of the lexicon, as a Whisper prompt (Simplified, comma-joined)."""
    from asr_engine.backends.whisper import MANDARIN_PROMPT_TERMS

    return "、".join(MANDARIN_PROMPT_TERMS[:n])


# name -> EngineConfig overrides of the defaults. "LEXICON" is the Mandarin term prompt; "hotwords" passes
# it as per-call hotwords instead.
SETTINGS: dict[str, dict] = {
    "base": {},  # the defaults (no prompt)
    "beam5": {"whisper_beam_size": 5},
    "beam3": {"whisper_beam_size": 3},
    "temp0": {"whisper_temperatures": (0.0,)},
    "temp_full": {"whisper_temperatures": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)},
    "prev_text": {"whisper_condition_on_previous_text": True},
    "prompt_lexicon": {"whisper_prompt": "LEXICON"},
    "hotwords_lexicon": {"hotwords": "LEXICON"},
    "prompt_simplified": {"whisper_prompt": "以下是普通话的句子，这是一段技术面试。"},
    "rep_penalty": {"whisper_repetition_penalty": 1.1},
    "vad_pad400": {"vad_pad_ms": 400},
    "vad_thr035": {"vad_threshold": 0.35},
    "vad_sil300": {"vad_min_silence_ms": 300},
    "chunk20": {"max_chunk_s": 20.0},
    "beam5_prompt": {"whisper_beam_size": 5, "whisper_prompt": "LEXICON"},
}


def configured(base: EngineConfig, overrides: dict) -> tuple[EngineConfig, list[str]]:
    overrides = dict(overrides)
    hotwords = lexicon_prompt().split("、") if overrides.pop("hotwords", None) else []
    if overrides.get("whisper_prompt") == "LEXICON":
        overrides["whisper_prompt"] = lexicon_prompt()
    return replace(base, **overrides), hotwords


def sweep(
    base: EngineConfig,
    names: list[str],
    split: str,
    long: bool,
    every: int,
    dump: Path | None,
    classes: tuple[str, ...] = CLASSES,
) -> None:
    corrector = TermCorrector()
    clips = load_devset(split, classes)[::every]
    print(f"sweep on the {split} split ({len(clips)} clips); CER raw (before term correction)")
    head = " ".join(f"{c:>9}" for c in (*CLASSES, "all"))
    print(
        f"{'setting':<18} {head} {'terms':>6} {'xRT':>5} {'xRTcpu':>6}"
        + (f" {'long CER':>8} {'long xRT':>8}" if long else "")
    )
    for name in names:
        config, hotwords = configured(base, SETTINGS[name])
        engine = Engine(config)
        results = run_clips(engine, clips, corrector, hotwords)
        s = summarise(results)
        if dump:
            rows = {r.clip.id: r.hyp for r in results}
            (dump / f"{name}.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1))
        row = " ".join(f"{s.cer_raw.get(c, float('nan')):>9.3f}" for c in (*CLASSES, "all"))
        extra = ""
        if long:
            cer_long, xrt_long = long_cer(engine, hotwords)
            extra = f" {cer_long:>8.3f} {xrt_long:>8.1f}"
        xrt = f"{s.x_real_time:>5.1f} {s.x_real_time_cpu:>6.1f}"
        print(f"{name:<18} {row} {s.term_acc_raw:>6.3f} {xrt}{extra}", flush=True)


def long_cer(engine: Engine, hotwords: list[str]) -> tuple[float, float]:
    edits = chars = 0
    audio = wall = 0.0
    for name in LONG:
        ref = _chars("".join(u["text"] for u in json.loads((FIX / f"{name}.script.json").read_text())))
        t0 = time.perf_counter()
        t = engine.transcribe(ROOT / "samples" / f"{name}.m4a", language="zh", hotwords=hotwords)
        wall += time.perf_counter() - t0
        audio += t.duration_s
        edits += _edit_distance(ref, _chars(t.text))
        chars += len(ref)
    return edits / chars, audio / wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", default="whisper")
    ap.add_argument("--split", default="all", choices=("tune", "heldout", "all"))
    ap.add_argument("--sweep", action="store_true", help="CER and x-real-time per decoding setting")
    ap.add_argument("--settings", default=",".join(SETTINGS), help="comma list of sweep settings")
    ap.add_argument("--long", action="store_true", help="sweep: also CER / x-real-time on the long samples")
    ap.add_argument("--every", type=int, default=1, help="sweep: every n-th clip only (a quicker sweep)")
    ap.add_argument("--classes", default=",".join(CLASSES), help="sweep: only these clip classes")
    ap.add_argument("--dump", type=Path, help="sweep: write each setting's transcripts into this folder")
    ap.add_argument("--hyps", type=Path, help="score this --dump file's transcripts instead of decoding")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every clip's transcript")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # the bundled weights are joined once into IB_DATA_DIR (or a throw-away folder)
        data_dir = Path(os.environ.get("IB_DATA_DIR") or tmp)
        base = EngineConfig(engine=args.engine, data_dir=data_dir)
        if args.sweep:
            unknown = [n for n in args.settings.split(",") if n not in SETTINGS]
            if unknown:
                ap.error(f"unknown settings: {', '.join(unknown)} (known: {', '.join(SETTINGS)})")
            split = args.split if args.split != "all" else "tune"
            classes = tuple(args.classes.split(","))
            sweep(base, args.settings.split(","), split, args.long, args.every, args.dump, classes)
        else:
            hyps = json.loads(args.hyps.read_text(encoding="utf-8")) if args.hyps else None
            report(base, args.split, args.verbose, hyps)


if __name__ == "__main__":
    main()
