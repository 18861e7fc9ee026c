"""Conformance of the engines to openCypher, measured with the TCK (see docs/conformance.md)."""
