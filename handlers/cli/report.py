"""`report` (the main job), `analyze` (text in) and `transcribe` (audio in, transcript out)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from asr_engine import AudioInputError, engine_names
from bot.config import Settings
from bot.formats import format_names

from .common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Command,
    UserError,
    check_storage,
    profile_spec,
    progress_bar,
    stamp,
    write,
)
from .common import profile as load_profile_arg


def _engine_choice(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", metavar="NAME", help="override IB_ASR_ENGINE (whisper, qwen3, remote, ...)")


def _use_engine(settings: Settings, name: str | None) -> None:
    """--engine checked against the registered backends before any work is done."""
    if name:
        if name not in engine_names():
            raise UserError(f"unknown engine {name!r}: choose one of {', '.join(engine_names())}")
        settings.engine.engine = name


def _report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("audio", help="the interview recording")
    p.add_argument("--format", default="md", choices=format_names())
    p.add_argument(
        "--profile", help="job profile: backend, frontend, data, hrbp, product, or a .toml/.json/.txt"
    )
    p.add_argument("--language", default=None, choices=["zh", "en", "auto"])
    _engine_choice(p)
    p.add_argument("-o", "--output", help="write the report to this file instead of stdout")
    p.add_argument(
        "--candidate", help="who was interviewed (default: from the file name, e.g. 张三_二面.m4a)"
    )
    p.add_argument("--round", help="which round (1, 2, final, hr…; default: from the file name)")
    p.add_argument("--interviewer", help="who interviewed")


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """Through the same intake, queue, worker and pipeline as an upload to the service."""
    import asyncio

    path = Path(args.audio)
    load_profile_arg(args.profile)  # a bad profile or input fails before any work
    from asr_engine.audio import check_readable

    check_readable(path, settings.max_upload_bytes)
    _use_engine(settings, args.engine)
    check_storage(settings)  # a read-only database fails here, not after the transcription
    interview_id, analysis, reused = asyncio.run(_report(args, settings, path))
    if reused:
        print("reused the stored transcript of identical audio", file=sys.stderr)
    from bot.render import ReportContext, render_stored

    ctx = ReportContext(title=path.stem, audio_url=path.resolve().as_uri(), interview_id=interview_id)
    body = render_stored(analysis, args.format, ctx)
    from bot.storage import Store

    Store(settings.db_path).interviews.save_report(interview_id, args.format, body)
    write(body, args.output)
    print(f"interview {interview_id} stored in {settings.db_path}", file=sys.stderr)
    return EXIT_OK


async def _report(args: argparse.Namespace, settings: Settings, path: Path) -> tuple[str, dict, bool]:
    import asyncio

    from bot.service import Service, Submission

    service = Service(settings)
    service.intake.validate_audio(path, path.name)  # before any progress bar: a bad file fails at once
    update, close = progress_bar(path.name)
    service.bus.bind(asyncio.get_running_loop())
    service.bus.subscribe(lambda event: _show(update, event))
    language = None if args.language in (None, "auto") else args.language

    def describe(tmp: Path, sha: str, size: int) -> Submission:
        return Submission(
            path=tmp,
            filename=path.name,
            key=f"cli:{sha}",
            sha256=sha,
            size_bytes=size,
            platform="cli",
            candidate=args.candidate,
            round=args.round,
            interviewer=args.interviewer,
            profile=profile_spec(args.profile),
            local_profile=True,
            language=language,
        )

    try:
        accepted = await service.intake.accept(service.intake.local_file(path), describe)
        assert accepted is not None  # describe never declines
        interview_id, created = accepted
        if not created:  # the same audio again: the same interview, analysed again as asked now
            changes = {"profile": profile_spec(args.profile) or "general", "language": language}
            await service.db.jobs.requeue(interview_id, **changes)
        final = await service.worker.finish([interview_id])
    finally:
        close()
        service.worker.close()
    status = await service.status(interview_id)
    if final.get(interview_id) == "held":
        who = args.candidate or "the candidate"
        raise UserError(
            f"held, not transcribed: IB_REQUIRE_CONSENT is on and {who} has no recorded consent; "
            f"record it with `interview-bot consent NAME grant` and the recording is processed"
        )
    if final.get(interview_id) != "done" or status is None or status["analysis"] is None:
        raise AudioInputError((status or {}).get("error") or "the recording could not be processed")
    transcript = await service.db.interviews.transcript(interview_id)
    return interview_id, status["analysis"], bool((transcript or {}).get("timings", {}).get("reused"))


async def _show(update, event) -> None:
    update(event.stage, event.done, event.total)


def cmd_analyze(args: argparse.Namespace, settings: Settings) -> int:
    from bot.analysis import analyze, load_transcript_file
    from bot.render import ReportContext, render

    path = Path(args.transcript)
    if not path.is_file():
        raise UserError(f"{path} does not exist" if not path.exists() else f"{path} is not a file")
    profile = load_profile_arg(args.profile)
    try:
        transcript, roles = load_transcript_file(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(str(exc).splitlines()[0]) from None
    analysis = analyze(
        transcript, profile, known_roles=roles, analyst=settings.analyst, jurisdictions=settings.jurisdictions
    )
    fmt = "json" if args.json else args.format
    write(render(analysis, fmt, ReportContext(title=path.stem)), args.output)
    return EXIT_OK


def _analyze_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "transcript",
        help="TRANSCRIPT.json or TEXT.txt (one utterance per line, optional "
        "'[mm:ss.s]' and 'interviewer:'/'candidate:' prefixes)",
    )
    p.add_argument("--profile")
    p.add_argument("--json", action="store_true", help="print the analysis JSON")
    p.add_argument("--format", default="md", choices=format_names())
    p.add_argument("-o", "--output")


def cmd_transcribe(args: argparse.Namespace, settings: Settings) -> int:
    """Bad files are refused before an engine is loaded; the rest are transcribed."""
    from asr_engine import Engine
    from asr_engine.audio import probe

    good, failures = [], 0
    for audio in args.audio:
        try:
            probe(Path(audio), max_duration_s=settings.max_audio_seconds, max_bytes=settings.max_upload_bytes)
            good.append(audio)
        except AudioInputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failures += 1
    _use_engine(settings, args.engine)
    engine = Engine(settings.engine) if good else None
    if engine and args.verbose:
        print(f"engine: {engine.name} ({engine.reason})", file=sys.stderr)
    outputs = [_transcribe_one(engine, audio, args, len(args.audio) > 1) for audio in good]
    if args.json and outputs:
        print(json.dumps(outputs[0] if len(args.audio) == 1 else outputs, ensure_ascii=False, indent=2))
    return EXIT_BAD_INPUT if failures else EXIT_OK


def _transcribe_one(engine, audio: str, args: argparse.Namespace, several: bool) -> dict:
    update, close = progress_bar(Path(audio).name)
    try:
        transcript = engine.transcribe(audio, language=args.language, progress=update)
    finally:
        close()
    if not args.json:
        if several:
            print(f"== {audio} ({transcript.language}, {stamp(transcript.duration_s)}) ==")
        for seg in transcript.segments:
            print(f"[{stamp(seg.start)}] {seg.text}")
    return transcript.to_dict()


def _transcribe_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("audio", nargs="+", help="audio or video files (wav, mp3, m4a, ogg/opus, flac, webm, mp4)")
    _engine_choice(p)
    p.add_argument("--language", default=None, choices=["zh", "en", "auto"], help="force a language")
    p.add_argument("--json", action="store_true", help="print the transcript as JSON")


COMMANDS = [
    Command("transcribe", "transcribe audio files", _transcribe_args, cmd_transcribe),
    Command(
        "report",
        "the main job: transcribe, analyse, store and render one recording",
        _report_args,
        cmd_report,
    ),
    Command(
        "analyze", "analyse a transcript (transcribe --json output, or a .txt)", _analyze_args, cmd_analyze
    ),
]
