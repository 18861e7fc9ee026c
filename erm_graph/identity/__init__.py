"""One identity across sources: likely duplicates (:mod:`erm_graph.query.duplicates`) merged
into one record, the dropped uids kept as aliases that later loads land on, and undone.

``merge_nodes(store, keep, drops)``, ``undo_merge(store, merge_id)``, ``list_merges(store)``;
``suggest_duplicates(store, label)`` finds candidates (docs/data-model.md, "One identity across
sources").
"""

from erm_graph.identity.merge import (
    MergeRefused,
    list_merges,
    merge_nodes,
    plan_merge,
    undo_merge,
)
from erm_graph.query.duplicates import suggest_duplicates

__all__ = ["MergeRefused", "list_merges", "merge_nodes", "plan_merge", "suggest_duplicates",
           "undo_merge"]
