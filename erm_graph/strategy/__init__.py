"""Relationship strategy: the CRM capability-maturity assessment (docs/strategy.md)."""

from erm_graph.strategy.maturity import Assessment, assess, load_maturity_model

__all__ = ["Assessment", "assess", "load_maturity_model"]
