"""The optional LLM analyst against a fake OpenAI-compatible server: good answers, garbage, timeouts and
quotes the candidate never said. The report is always produced; a failure falls back to the local model."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.analysis import analyze, transcript_from_text
from bot.analysis.llm import LLMAnalyst, LLMSettings, analyst_from_env

TEXT = """\
interviewer: 你带过团队吗？
candidate: 带过，我带了四个人做订单系统重构，每周排期分工，不过是代理组长，没有正式任命。
interviewer: 效果怎么样？
candidate: 上线以后性能提升了很多，大家都挺满意的。
"""


class FakeLLM:
    """A chat-completions endpoint whose answer the test chooses; 'hang' blocks until released."""

    def __init__(self) -> None:
        self.answer: Callable[[dict[str, Any]], tuple[int, str]] = lambda body: (200, "{}")
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
                status, text = fake.answer(body)
                if status == 0:  # hang until the test is over: the client must time out
                    fake.release.wait()
                    return
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    try:
        yield fake
    finally:
        fake.close()


def completion(content: Any) -> tuple[int, str]:
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    return 200, json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]})


GOOD = {
    "claims": [
        {"competency": "leadership", "quote": "我带了四个人做订单系统重构，每周排期分工", "strength": 0.9}
    ],
    "qualifiers": [{"type": "acting_role", "quote": "不过是代理组长，没有正式任命"}],
    "vague": [{"missing": "number", "quote": "上线以后性能提升了很多"}],
}


def run(analyst: LLMAnalyst | None) -> dict[str, Any]:
    transcript, roles = transcript_from_text(TEXT)
    return analyze(transcript, known_roles=roles, analyst=analyst).to_dict()


def analyst(fake: FakeLLM, timeout: float = 5.0, chunk_chars: int = 6000) -> LLMAnalyst:
    return LLMAnalyst(LLMSettings(fake.url, "fake-model", "sk-test", timeout, chunk_chars))


def test_a_good_answer_becomes_grounded_evidence_with_caveats(llm):
    llm.answer = lambda body: completion(GOOD)
    d = run(analyst(llm))
    assert d["analyst"] == "llm" and d["analysis_version"].startswith("llm:fake-model")
    (ev,) = d["competencies"]["leadership"]["evidence"]
    assert ev["text"] == "我带了四个人做订单系统重构，每周排期分工" and ev["start"] > 0
    assert "acting_role" in ev["qualifiers"] and ev["weight"] < 1.4
    assert d["vague_claims"][0]["text"] == "上线以后性能提升了很多"
    assert "上线以后性能提升了很多" in d["followups"][0]["question"]
    request = llm.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test"
    assert request["response_format"]["type"] == "json_schema"
    assert "learning" in json.dumps(request["response_format"]["json_schema"]["schema"])


def test_hallucinated_quotes_are_dropped_and_noted(llm):
    made_up = {
        **GOOD,
        "claims": [{"competency": "system_design", "quote": "我设计了全球多活架构", "strength": 1}],
    }
    llm.answer = lambda body: completion(made_up)
    d = run(analyst(llm))
    assert d["competencies"]["system_design"]["score"] is None
    assert d["analyst"] == "llm" and any("dropped" in n or "丢弃" in n for n in d["notes"])


def test_the_interviewers_words_are_never_evidence(llm):
    llm.answer = lambda body: completion(
        {
            "claims": [{"competency": "leadership", "quote": "你带过团队吗", "strength": 1}],
            "qualifiers": [],
            "vague": [],
        }
    )
    assert run(analyst(llm))["competencies"]["leadership"]["score"] is None


@pytest.mark.parametrize(
    "reply",
    [
        completion("this is not json"),
        completion({"claims": "none"}),
        (200, "<html>gateway</html>"),
        (500, '{"error": "overloaded"}'),
    ],
    ids=["garbage-content", "wrong-shape", "not-json", "http-500"],
)
def test_garbage_falls_back_to_the_local_model_with_a_note(llm, reply):
    llm.answer = lambda body: reply
    d = run(analyst(llm))
    assert d["analyst"] == "local" and not d["analysis_version"].startswith("llm")
    assert "本地模型" in d["notes"][0]  # the report says, in its language, who wrote it
    assert d["competencies"]["leadership"]["score"] is not None  # the local model still credits it


def test_a_slow_server_times_out_and_the_report_is_still_produced(llm):
    llm.answer = lambda body: (0, "")
    d = run(analyst(llm, timeout=0.3))
    assert d["analyst"] == "local" and "本地模型" in d["notes"][0]


def test_a_server_that_is_down_falls_back(llm):
    url = llm.url
    llm.close()
    d = run(LLMAnalyst(LLMSettings(url, "m", timeout_s=2)))
    assert d["analyst"] == "local" and d["notes"]


def test_long_transcripts_go_in_chunks_of_whole_answers(llm):
    seen: list[str] = []

    def answer(body: dict[str, Any]) -> tuple[int, str]:
        seen.append(body["messages"][1]["content"])
        return completion({"claims": [], "qualifiers": [], "vague": []})

    llm.answer = answer
    run(analyst(llm, chunk_chars=40))
    assert len(seen) == 2
    assert "你带过团队吗" in seen[0] and "效果怎么样" in seen[1]


def test_configuration_from_the_environment():
    assert analyst_from_env({}) is None and analyst_from_env({"IB_ANALYST": "local"}) is None
    a = analyst_from_env(
        {
            "IB_ANALYST": "llm",
            "IB_LLM_URL": "http://127.0.0.1:9/v1/",
            "IB_LLM_MODEL": "qwen",
            "IB_LLM_TIMEOUT_S": "7",
        }
    )
    assert a.settings.url == "http://127.0.0.1:9/v1" and a.settings.timeout_s == 7.0
    with pytest.raises(ValueError, match="IB_LLM_URL"):
        analyst_from_env({"IB_ANALYST": "llm", "IB_LLM_MODEL": "qwen"})
    with pytest.raises(ValueError, match="IB_LLM_MODEL"):
        analyst_from_env({"IB_ANALYST": "llm", "IB_LLM_URL": "http://x"})
    with pytest.raises(ValueError, match="IB_ANALYST"):
        analyst_from_env({"IB_ANALYST": "gpt"})
