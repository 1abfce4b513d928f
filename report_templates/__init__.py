"""Jinja2 templates for every message and page (package data)."""
