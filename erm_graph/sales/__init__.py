"""Sales operations: territories, quotas, commissions declared in a rules file, and the
pipeline and campaign views (docs/sales.md)."""

from erm_graph.sales.commissions import CommissionReport, CommissionRulesError, read_rules
from erm_graph.sales.periods import Period, current_quarter, period
from erm_graph.sales.report import commissions, overview, pipeline, visible_reps

__all__ = ["CommissionReport", "CommissionRulesError", "Period", "commissions",
           "current_quarter", "overview", "period", "pipeline", "read_rules", "visible_reps"]
