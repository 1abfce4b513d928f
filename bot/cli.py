"""`interview-bot` command line. Exit codes: 0 ok, 2 bad input (one line on stderr), 1 internal failure."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC
from pathlib import Path

from asr_engine import AudioInputError, EngineError

from .config import ConfigError, Settings, load_settings

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


class UserError(Exception):
    """Something the user can fix; printed as one line, exit code 2."""


def _stamp(seconds: float) -> str:
    return f"{int(seconds // 60):02d}:{seconds % 60:04.1f}"


def _progress_bar(label: str) -> tuple[Callable[[str, int, int], None], Callable[[], None]]:
    """A tqdm bar on stderr for chunked work; silent when stderr is not a terminal."""
    from tqdm import tqdm

    state: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage != "transcribing" or total <= 1:
            return
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(
                total=total, desc=label, unit="chunk", file=sys.stderr, disable=None, leave=False
            )
        bar.n = done
        bar.refresh()

    def close() -> None:
        if "bar" in state:
            state["bar"].close()

    return update, close


def _engine(settings: Settings, engine: str | None):
    from asr_engine import Engine

    config = settings.engine_config()
    if engine:
        config.engine = engine
    eng = Engine(config)
    print(f"engine: {eng.name} ({eng.reason})", file=sys.stderr)
    return eng


def cmd_transcribe(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings, args.engine)
    failures = 0
    outputs = []
    for i, audio in enumerate(args.audio):
        update, close = _progress_bar(Path(audio).name)
        try:
            transcript = engine.transcribe(audio, language=args.language, progress=update)
        except AudioInputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failures += 1
            continue
        finally:
            close()
        if args.json:
            outputs.append(transcript.to_dict())
            continue
        if len(args.audio) > 1:
            print(
                f"{'' if i == 0 else chr(10)}== {audio} ({transcript.language}, "
                f"{_stamp(transcript.duration_s)}) =="
            )
        for seg in transcript.segments:
            print(f"[{_stamp(seg.start)}] {seg.text}")
    if args.json and outputs:
        payload = outputs[0] if len(args.audio) == 1 else outputs
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    return EXIT_BAD_INPUT if failures else EXIT_OK


def _profile(spec: str | None):
    from .analysis import ProfileError, load_profile

    try:
        return load_profile(spec)
    except ProfileError as exc:
        raise UserError(str(exc)) from None


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    else:
        print(text)


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from asr_engine import choose_engine

    from .pipeline import process_recording
    from .render import ReportContext, render
    from .store import Store

    profile = _profile(args.profile)
    config = settings.engine_config()
    if args.engine:
        config.engine = args.engine
    engine_name, _reason = choose_engine(config)
    path = Path(args.audio)
    update, close = _progress_bar(path.name)
    try:
        done = process_recording(
            path,
            store=Store(settings.db_path),
            engine=lambda: _engine(settings, args.engine),
            engine_name=engine_name,
            profile=profile,
            language=None if args.language in (None, "auto") else args.language,
            max_bytes=settings.max_upload_bytes,
            progress=update,
            candidate=args.candidate,
            round_=args.round,
            interviewer=args.interviewer,
        )
    finally:
        close()
    if done.reused_transcript:
        print(f"reused the stored transcript of identical audio ({engine_name})", file=sys.stderr)
    ctx = ReportContext(
        title=path.stem, audio_url=path.resolve().as_uri(), interview_id=done.interview_id, report_url=None
    )
    body = render(done.analysis, args.format, ctx)
    Store(settings.db_path).save_report(done.interview_id, args.format, body)
    _write(body, args.output)
    print(f"interview {done.interview_id} stored in {settings.db_path}", file=sys.stderr)
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace, settings: Settings) -> int:
    from .analysis import analyze, load_transcript_file
    from .render import ReportContext, render

    path = Path(args.transcript)
    if not path.is_file():
        raise UserError(f"{path} does not exist" if not path.exists() else f"{path} is not a file")
    try:
        transcript, roles = load_transcript_file(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(str(exc).splitlines()[0]) from None
    analysis = analyze(transcript, _profile(args.profile), known_roles=roles)
    fmt = "json" if args.json else args.format
    _write(render(analysis, fmt, ReportContext(title=path.stem)), args.output)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from handlers.server import serve  # the composition root: edges and core meet there

    if args.host:
        settings.http_host = args.host
    if args.port:
        settings.http_port = args.port
    if args.feishu and not (settings.feishu_app_id and settings.feishu_app_secret):
        raise UserError("serve --feishu needs FEISHU_APP_ID and FEISHU_APP_SECRET")
    if args.slack and not settings.slack_bot_token:
        raise UserError("serve --slack needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN)")
    asyncio.run(serve(settings, http=True, slack=args.slack, feishu=args.feishu))
    return EXIT_OK


def cmd_batch(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.folder import run_batch

    in_dir, out_dir = Path(args.in_dir), Path(args.out_dir)
    if not in_dir.is_dir():
        raise UserError(f"{in_dir} is not a folder")
    _profile(args.profile)  # fail fast on a bad profile
    result = run_batch(settings, in_dir, out_dir, args.profile, args.watch, args.interval)
    print(result.line(), file=sys.stderr)
    for name, reason in sorted(result.failed.items()):
        print(f"failed: {name}: {reason}", file=sys.stderr)
    return result.exit_code()


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from .retention import purge
    from .service import Service

    if (
        args.audio_days is None
        and args.text_days is None
        and settings.retention_audio_days is None
        and settings.retention_text_days is None
    ):
        raise UserError(
            "nothing to purge: give --audio-days/--text-days or set "
            "IB_RETENTION_AUDIO_DAYS/IB_RETENTION_TEXT_DAYS"
        )
    removed = purge(Service(settings), audio_days=args.audio_days, text_days=args.text_days)
    print(f"removed audio of {removed['audio']} interviews, {removed['interviews']} whole interviews")
    return EXIT_OK


def cmd_delete(args: argparse.Namespace, settings: Settings) -> int:
    from .service import Service

    if not Service(settings).delete_sync(args.id, actor="cli"):
        raise UserError(f"no interview with id {args.id}")
    print(f"deleted {args.id}: audio, transcript, analysis, reports and search entries")
    return EXIT_OK


def _language(args: argparse.Namespace, settings: Settings) -> str:
    return args.language or (settings.language if settings.language in ("zh", "en") else "zh")


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    """Render a day's digest (the calendar day in --tz), or --post every subscription's digest for the day."""
    from datetime import date, datetime, time, timedelta

    from . import digest
    from .render import render_history
    from .service import Service

    try:
        tz = digest.zone(args.tz or settings.timezone)
        day = date.fromisoformat(args.date) if args.date else datetime.now(tz).date()
    except ValueError as exc:
        raise UserError(
            str(exc)
            if isinstance(exc, digest.DigestError)
            else f"--date must be YYYY-MM-DD, got {args.date!r}"
        ) from None
    scope = None
    if args.channel:
        platform, _, channel = args.channel.partition(":")
        if not channel:
            raise UserError("--channel must be PLATFORM:CHANNEL, for example slack:C0123 or feishu:oc_abc")
        scope = {(platform, channel)}
    service = Service(settings)
    if args.post:
        return _post_digests(service, day, scope, args.force)
    start = datetime.combine(day, time(0), tzinfo=tz)
    built = digest.build(
        service.store(),
        scope,
        start,
        start + timedelta(days=1),
        language=_language(args, settings),
        tz=tz,
        tz_name=args.tz or settings.timezone,
        report_url=service.report_url,
        day=day,
    )
    print(render_history("digest", built.to_dict(), "json" if args.json else args.format))
    return EXIT_OK


def _post_digests(service, day, scope, force: bool) -> int:
    import asyncio
    from datetime import datetime

    from . import digest

    subs = [
        s for s in digest.subscriptions(service.store()) if scope is None or (s.platform, s.channel) in scope
    ]
    if not subs:
        raise UserError(
            "no digest subscriptions"
            + (" for that channel" if scope else "")
            + ": subscribe in a channel with `/interview digest subscribe` or `@bot 日报 订阅`"
        )

    async def run() -> int:
        from handlers.server import platform_apps

        apps = platform_apps(service, {s.platform for s in subs})
        failures = 0
        for sub in subs:
            outcome = await service.digests.deliver(sub, day, datetime.now(UTC), force=force)
            status = outcome.status if outcome else "already posted (use --force to post again)"
            failures += bool(outcome and outcome.status == "failed")
            print(f"{sub.platform}:{sub.channel} -> {sub.target_kind} {sub.target}: {status}")
        for app in apps:
            await app.stop()
        return EXIT_INTERNAL if failures else EXIT_OK

    try:
        return asyncio.run(run())
    except ValueError as exc:  # a platform without credentials
        raise UserError(str(exc)) from None


def cmd_candidate(args: argparse.Namespace, settings: Settings) -> int:
    from . import candidates, panorama
    from .render import render_history
    from .service import Service

    service = Service(settings)
    store = service.store()
    try:
        if args.rename:
            candidates.rename(store, args.name, args.rename)
            service.audit("cli", "candidate-rename", None, {"from": args.name, "to": args.rename})
            print(f"renamed {args.name} to {args.rename}")
            return EXIT_OK
        if args.merge_into:
            target, moved = candidates.merge(store, args.name, args.merge_into)
            service.audit(
                "cli", "candidate-merge", None, {"from": args.name, "into": args.merge_into, "moved": moved}
            )
            print(f"merged {args.name} into {target['name']} ({moved} interviews moved)")
            return EXIT_OK
        if args.decide:
            row = candidates.decide(store, args.name, args.decide, "cli")
            service.audit("cli", "decide", None, {"candidate": args.name, "decision": row["decision"]})
            print(f"{row['name']}: {row['decision']}")
            return EXIT_OK
    except candidates.CandidateError as exc:
        raise UserError(str(exc)) from None
    pano = panorama.build(
        store, None, args.name, language=_language(args, settings), report_url=service.report_url
    )
    if pano is None:
        raise UserError(f"no candidate called {args.name} with an analysed interview")
    print(render_history("panorama", pano.to_dict(), "json" if args.json else args.format))
    return EXIT_OK


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from . import queries
    from .service import Service

    service = Service(settings)
    hits = queries.search(service.store(), None, " ".join(args.words), limit=args.limit)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        **h.__dict__,
                        "link": service.report_url(h.interview_id)
                        + (f"#t={h.start}" if h.start is not None else ""),
                    }
                    for h in hits
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    for h in hits:
        where = f"[{_stamp(h.start)}]" if h.start is not None else "[summary]"
        print(f"{h.interview_id} · {h.candidate or h.source} · {h.created_at[:10]} · {where} {h.snippet}")
    if not hits:
        print("nothing matched", file=sys.stderr)
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    """Cheap readiness check (used as the container healthcheck): configuration, engine choice, storage."""
    import importlib.util
    import os

    from asr_engine import choose_engine

    problems: list[str] = []
    name, reason = choose_engine(settings.engine_config())
    print(f"engine: {name} ({reason})")
    if importlib.util.find_spec("torch") is not None:
        import torch

        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
        print(f"torch: {torch.__version__}, CUDA device: {gpu}")
        if name == "qwen3" and not torch.cuda.is_available():
            problems.append("the qwen3 engine is configured but no CUDA device is visible")
    if name == "qwen3" and not settings.qwen3_model:
        problems.append("IB_QWEN3_MODEL is not set")
    if name == "remote" and not settings.remote_asr_urls:
        problems.append("IB_REMOTE_ASR_URLS is not set")
    for label, folder in (("data", settings.data_dir), ("database", settings.db_path.parent)):
        folder.mkdir(parents=True, exist_ok=True)
        writable = os.access(folder, os.W_OK)
        print(f"{label} folder: {folder} ({'writable' if writable else 'NOT writable'})")
        if not writable:
            problems.append(f"{folder} is not writable")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return EXIT_INTERNAL if problems else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interview-bot",
        description="Interview recordings in, transcripts, scored evidence and follow-up questions out.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("transcribe", help="transcribe audio files")
    p.add_argument("audio", nargs="+", help="audio or video files (wav, mp3, m4a, ogg/opus, flac, webm, mp4)")
    p.add_argument("--engine", choices=["whisper", "qwen3", "remote"], help="override IB_ASR_ENGINE")
    p.add_argument(
        "--language", default=None, choices=["zh", "en", "auto"], help="force a language (default: detect)"
    )
    p.add_argument("--json", action="store_true", help="print the transcript as JSON")
    p.set_defaults(func=cmd_transcribe)

    p = sub.add_parser("report", help="the main job: transcribe, analyse, store and render one recording")
    p.add_argument("audio", help="the interview recording")
    p.add_argument("--format", default="md", choices=["md", "html", "json", "slack", "feishu"])
    p.add_argument(
        "--profile",
        help="job profile: backend, frontend, data, hrbp, product, or a .toml/.json/.txt (JD) file",
    )
    p.add_argument("--language", default=None, choices=["zh", "en", "auto"])
    p.add_argument("--engine", choices=["whisper", "qwen3", "remote"], help="override IB_ASR_ENGINE")
    p.add_argument("-o", "--output", help="write the report to this file instead of stdout")
    p.add_argument(
        "--candidate", help="who was interviewed (default: from the file name, e.g. 张三_二面.m4a)"
    )
    p.add_argument("--round", help="which round (1, 2, final, hr…; default: from the file name)")
    p.add_argument("--interviewer", help="who interviewed")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("analyze", help="analyse a transcript (transcribe --json output, or a .txt)")
    p.add_argument(
        "transcript",
        help="TRANSCRIPT.json or TEXT.txt (one utterance per line, optional "
        "'[mm:ss.s]' and 'interviewer:'/'candidate:' prefixes)",
    )
    p.add_argument("--profile")
    p.add_argument("--json", action="store_true", help="print the analysis JSON")
    p.add_argument("--format", default="md", choices=["md", "html", "json", "slack", "feishu"])
    p.add_argument("-o", "--output")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("serve", help="run the HTTP API, report pages and the worker")
    p.add_argument("--http", action="store_true", help="serve the HTTP API (the default)")
    p.add_argument("--slack", action="store_true")
    p.add_argument("--feishu", action="store_true")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("batch", help="process every recording in a folder (optionally keep watching it)")
    p.add_argument("in_dir")
    p.add_argument("out_dir")
    p.add_argument(
        "--watch", action="store_true", help="keep running and pick up new files once they stop growing"
    )
    p.add_argument("--interval", type=float, default=2.0, help="seconds between looks in --watch mode")
    p.add_argument("--profile")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("purge", help="apply the retention policy now")
    p.add_argument("--audio-days", type=float, help="delete recordings older than this many days")
    p.add_argument("--text-days", type=float, help="delete whole interviews older than this many days")
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser("delete", help="delete one interview and everything derived from it")
    p.add_argument("id")
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser(
        "digest", help="render a day's digest, or post every subscription's digest for the day"
    )
    p.add_argument("--date", help="YYYY-MM-DD (default: today in --tz)")
    p.add_argument("--tz", help="time zone of the day (default: IB_TIMEZONE)")
    p.add_argument("--channel", help="only this PLATFORM:CHANNEL (default: every channel)")
    p.add_argument("--post", action="store_true", help="post each subscription's digest now (once per day)")
    p.add_argument(
        "--force", action="store_true", help="with --post: post again even if the day's digest went out"
    )
    p.add_argument("--json", action="store_true", help="print the digest as JSON")
    p.add_argument("--format", default="md", choices=["md", "json", "slack", "feishu"])
    p.add_argument("--language", choices=["zh", "en"])
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser(
        "candidate", help="a candidate's panorama across rounds; rename, merge or record a decision"
    )
    p.add_argument("name")
    p.add_argument("--rename", metavar="NEW_NAME", help="give the candidate a new name")
    p.add_argument(
        "--merge-into", metavar="OTHER", help="move all of NAME's interviews to OTHER (one person, two names)"
    )
    p.add_argument("--decide", choices=["advance", "reject", "offer"], help="record the hiring decision")
    p.add_argument("--json", action="store_true")
    p.add_argument("--format", default="md", choices=["md", "json", "slack", "feishu"])
    p.add_argument("--language", choices=["zh", "en"])
    p.set_defaults(func=cmd_candidate)

    p = sub.add_parser("search", help="full-text search in transcripts and summaries")
    p.add_argument("words", nargs="+")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "doctor", help="check configuration, engine choice and storage (container healthcheck)"
    )
    p.set_defaults(func=cmd_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = load_settings()
        return args.func(args, settings)
    except (UserError, ConfigError, AudioInputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
