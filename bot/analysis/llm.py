"""The optional LLM analyst: any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, Ollama...).

The model is asked for structured JSON (json_schema response format) naming competencies, qualifiers and
vague claims, each with a quote. Every quote is checked verbatim against the candidate's own turns and
dropped when it is not there, so a report never shows words nobody said. Long transcripts go in chunks
of whole answers. Any failure (timeout, HTTP error, invalid output) raises AnalystError; analyze() then
falls back to the local model and says so in the report.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from . import records
from .results import CANDIDATE, QUALIFIER_TYPES, VAGUE_TYPES, Evidence, Qualifier, Utterance, VagueClaim

MISSING = VAGUE_TYPES


class AnalystError(RuntimeError):
    """The analyst could not produce findings (the message is short and safe to show in a report)."""


class Analyst(Protocol):
    name: str

    def analyse(self, utterances: list[Utterance], language: str) -> Any: ...  # -> local.Findings


@dataclass(frozen=True)
class LLMSettings:
    url: str  # base URL of the OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1
    model: str
    key: str = ""
    timeout_s: float = 60.0
    chunk_chars: int = 6000


def analyst_from_env(env: Mapping[str, str]) -> LLMAnalyst | None:
    """IB_ANALYST=local (default) -> None; IB_ANALYST=llm -> an LLMAnalyst from IB_LLM_URL, IB_LLM_MODEL,
    IB_LLM_KEY, IB_LLM_TIMEOUT_S. Raises ValueError naming the variable that is wrong."""
    kind = env.get("IB_ANALYST", "local").strip().lower() or "local"
    if kind == "local":
        return None
    if kind != "llm":
        raise ValueError(f"IB_ANALYST must be local or llm, not {kind!r}")
    url, model = env.get("IB_LLM_URL", "").strip(), env.get("IB_LLM_MODEL", "").strip()
    if not url.startswith(("http://", "https://")):
        raise ValueError("IB_ANALYST=llm needs IB_LLM_URL, the http(s) base URL of an OpenAI-compatible API")
    if not model:
        raise ValueError("IB_ANALYST=llm needs IB_LLM_MODEL, the model name the server serves")
    try:
        timeout = float(env.get("IB_LLM_TIMEOUT_S", "60"))
    except ValueError:
        raise ValueError("IB_LLM_TIMEOUT_S must be a number of seconds") from None
    if timeout <= 0:
        raise ValueError("IB_LLM_TIMEOUT_S must be positive")
    return LLMAnalyst(LLMSettings(url.rstrip("/"), model, env.get("IB_LLM_KEY", ""), timeout))


def schema() -> dict[str, Any]:
    quote = {"type": "string", "description": "verbatim words of the candidate, at most 90 characters"}

    def array(props: dict[str, Any]) -> dict[str, Any]:
        item = {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}
        return {"type": "array", "items": item}

    return {
        "type": "object",
        "properties": {
            "claims": array(
                {
                    "competency": {"type": "string", "enum": list(records.competency_keys())},
                    "quote": quote,
                    "strength": {"type": "number", "minimum": 0, "maximum": 1},
                }
            ),
            "qualifiers": array({"type": {"type": "string", "enum": list(QUALIFIER_TYPES)}, "quote": quote}),
            "vague": array({"missing": {"type": "string", "enum": list(MISSING)}, "quote": quote}),
        },
        "required": ["claims", "qualifiers", "vague"],
        "additionalProperties": False,
    }


def system_prompt() -> str:
    comps = "\n".join(f"- {r.key}: {r.description}" for r in records.RECORDS.values())
    return (
        "You assess job interview transcripts fairly. Credit a competency only from the candidate's own "
        "words, never the interviewer's; a technology named in passing, a denial, someone else's work, "
        "a hypothetical or an evasive answer earns nothing. Competencies:\n"
        f"{comps}\n"
        "Qualifiers weaken a claim: hearsay (only read or heard), team_not_me (others did it), not_shipped, "
        "test_env_only, unconfirmed_cause, acting_role (informal or temporary role), hedge (uncertainty "
        "about the claim itself). Vague claims need a follow-up: an outcome without a number (number), a "
        "buzzword without how (mechanism), no concrete example (specifics). Every quote must be copied "
        "character for character from one candidate line, at most 90 characters. Answer with JSON only."
    )


def _chunks(utterances: list[Utterance], limit: int) -> list[list[int]]:
    """Indexes of utterances in chunks of about `limit` characters, cut only before an interviewer turn."""
    chunks: list[list[int]] = [[]]
    size = 0
    for i, u in enumerate(utterances):
        if size >= limit and u.speaker != CANDIDATE and chunks[-1]:
            chunks.append([])
            size = 0
        chunks[-1].append(i)
        size += len(u.text)
    return [c for c in chunks if c]


class LLMAnalyst:
    name = "llm"

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings

    @property
    def version(self) -> str:
        from .learned import RULES_VERSION

        return f"llm:{self.settings.model}+{RULES_VERSION}"

    def complete(self, lines: str) -> dict[str, Any]:
        """One chat completion -> the parsed JSON object (AnalystError on any failure)."""
        schema_format = {
            "type": "json_schema",
            "json_schema": {"name": "interview_analysis", "schema": schema(), "strict": True},
        }
        content = self._chat(system_prompt(), f"Transcript, one line per turn:\n{lines}", schema_format)
        try:
            data = json.loads(content)
        except ValueError:
            raise AnalystError("the server's answer was not the JSON asked for") from None
        return _validated(data)

    def chat(self, system: str, user: str) -> str:
        """A plain chat completion's text (AnalystError on any failure): e.g. the synthesis above the
        quotes of an `ask` answer."""
        return self._chat(system, user, None)

    def _chat(self, system: str, user: str, response_format: dict[str, Any] | None) -> str:
        s = self.settings
        body: dict[str, Any] = {
            "model": s.model,
            "temperature": 0,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        }
        if response_format is not None:
            body["response_format"] = response_format
        headers = {"Content-Type": "application/json"}
        if s.key:
            headers["Authorization"] = f"Bearer {s.key}"
        req = urllib.request.Request(
            f"{s.url}/chat/completions", json.dumps(body).encode(), headers, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=s.timeout_s) as resp:
                payload = json.loads(resp.read().decode("utf-8"))
            content = payload["choices"][0]["message"]["content"]
            if not isinstance(content, str):
                raise TypeError
            return content
        except TimeoutError:
            raise AnalystError(f"no answer within {s.timeout_s:g} s") from None
        except urllib.error.HTTPError as exc:
            raise AnalystError(f"the server answered HTTP {exc.code}") from None
        except urllib.error.URLError as exc:
            reason = "timed out" if isinstance(exc.reason, TimeoutError) else "unreachable"
            raise AnalystError(f"the server is {reason}") from None
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            raise AnalystError("the server's answer was not the JSON asked for") from None

    def analyse(self, utterances: list[Utterance], language: str) -> Any:
        from .local import Findings

        zh = language == "zh"
        found: dict[str, list[Evidence]] = {}
        quals: list[Qualifier] = []
        vague: list[VagueClaim] = []
        dropped = 0
        for chunk in _chunks(utterances, self.settings.chunk_chars):
            lines = "\n".join(f"[{i}] {utterances[i].speaker}: {utterances[i].text}" for i in chunk)
            data = self.complete(lines)
            part = _ground(data, [utterances[i] for i in chunk], zh)
            dropped += part.dropped
            quals += part.qualifiers
            vague += part.vague
            for key, ev in part.evidence:
                found.setdefault(key, []).append(ev)
        notes = []
        if dropped:
            notes.append(
                f"LLM 给出的 {dropped} 条引用在转写中找不到，已丢弃"
                if zh
                else f"{dropped} quotes from the LLM were not in the transcript and were dropped"
            )
        from .local import competency_results

        return Findings(
            competency_results(found, [], zh, records.competency_keys()), quals, vague, self.version, notes
        )


def _validated(data: Any) -> dict[str, list[dict[str, Any]]]:
    """The answer's shape checked; items naming an unknown competency or type are left out."""
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), list) for k in ("claims", "qualifiers", "vague")
    ):
        raise AnalystError("the server's answer did not follow the schema")
    allowed = {
        "claims": ("competency", set(records.competency_keys())),
        "qualifiers": ("type", set(QUALIFIER_TYPES)),
        "vague": ("missing", set(MISSING)),
    }
    out: dict[str, list[dict[str, Any]]] = {}
    for field, (enum_key, values) in allowed.items():
        items = data[field]
        if not all(isinstance(x, dict) and isinstance(x.get("quote"), str) for x in items):
            raise AnalystError("the server's answer did not follow the schema")
        out[field] = [x for x in items if x.get(enum_key) in values]
    return out


@dataclass
class _Grounded:
    evidence: list[tuple[str, Evidence]]
    qualifiers: list[Qualifier]
    vague: list[VagueClaim]
    dropped: int


def _find(quote_text: str, utterances: list[Utterance]) -> tuple[int, int] | None:
    """(utterance index, offset) of a verbatim candidate quote."""
    needle = quote_text.strip().strip("“”\"'")
    if len(needle) < 2:
        return None
    for i, u in enumerate(utterances):
        if u.speaker == CANDIDATE and (pos := u.text.find(needle)) >= 0:
            return i, pos
    return None


def _ground(data: dict[str, list[dict[str, Any]]], utterances: list[Utterance], zh: bool) -> _Grounded:
    from .detectors import NUMBER, PERFORMANCE
    from .followups import vague_notes
    from .local import QUALIFIER_EFFECT, QUESTIONS, quote, time_at

    answer_of, n = [], 0
    for u in utterances:
        n += u.speaker != CANDIDATE
        answer_of.append(n)
    g = _Grounded([], [], [], 0)
    located = []
    for field in ("qualifiers", "vague", "claims"):
        for item in data[field]:
            where = _find(item["quote"], utterances)
            if where is None:
                g.dropped += 1
                continue
            located.append((field, item, *where))
    qualifier_answer: list[int] = []
    for field, item, i, pos in located:
        u, text = utterances[i], quote(item["quote"])
        if field == "qualifiers":
            note = QUALIFIER_EFFECT[item["type"]][1 if zh else 2]
            g.qualifiers.append(Qualifier(item["type"], time_at(u, pos), text, note))
            qualifier_answer.append(answer_of[i])
        elif field == "vague" and not (item["missing"] == "number" and NUMBER.search(text)):
            perf = item["missing"] in ("number", "mechanism") and PERFORMANCE.search(text)
            template = "perf" if perf else item["missing"]
            question = QUESTIONS[template][0 if zh else 1].format(q=text.rstrip("，,。. "))
            g.vague.append(VagueClaim(time_at(u, pos), text, item["missing"], question))
    for field, item, i, pos in located:
        if field != "claims":
            continue
        strength = min(max(float(item.get("strength", 0.5) or 0.5), 0.0), 1.0)
        ev = Evidence(time_at(utterances[i], pos), quote(item["quote"]), 0.6 + 0.4 * strength)
        ev.weight += 0.4 if NUMBER.search(ev.text) else 0.0
        told_vaguely = [v for v in g.vague if v.start == ev.start or v.text in ev.text]
        if notes := vague_notes(ev.text, told_vaguely, zh):
            ev.weight *= 0.6
            ev.caveats.extend(notes)
        for q, answer in zip(g.qualifiers, qualifier_answer):
            if answer == answer_of[i]:
                ev.weight *= QUALIFIER_EFFECT[q.type][0]
                ev.caveats.append(q.caveat)
                ev.qualifiers.append(q.type)
        ev.weight = round(ev.weight, 2)
        g.evidence.append((item["competency"], ev))
    return g
