"""Edges: each handler turns outside events into pipeline jobs and posts results back."""
