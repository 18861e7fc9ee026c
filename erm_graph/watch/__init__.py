"""Alerts that open work: watch rules (files), passes that fire them once per condition, an
inbox per user, mail and webhooks. See docs/alerts.md."""

from erm_graph.watch.rules import Rule, RuleError, load_rules
from erm_graph.watch.runner import RuleOutcome, run_rules

__all__ = ["Rule", "RuleError", "RuleOutcome", "load_rules", "run_rules"]
