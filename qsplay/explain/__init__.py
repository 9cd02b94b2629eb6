"""Explanations people act on: audit, preview, why-not and lint, all built on the engine."""
