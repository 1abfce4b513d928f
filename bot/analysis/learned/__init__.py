"""The learned part of the analysis: the fine-tuned encoder (e5_numpy, e5_adapted)."""
