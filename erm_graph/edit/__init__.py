"""Writing records by hand: one record at a time, validated by the model and audited.

:mod:`erm_graph.edit.records` holds the verbs (add, set, link, unlink, remove) and the one write
they share; :mod:`erm_graph.edit.actions` the quick actions on interactions, cases and
opportunities; :mod:`erm_graph.edit.sharing` sharing records with partners and a partner's
own edits; :mod:`erm_graph.edit.values` types text (the CLI's ``key=value``, a form's
fields) by the model.
"""

from erm_graph.edit.actions import (
    advance_opportunity,
    assign_case,
    assign_opportunity,
    escalate_case,
    log_interaction,
    open_case,
    open_opportunity,
    resolve_case,
)
from erm_graph.edit.records import (
    Change,
    Tie,
    Untie,
    add_node,
    link,
    remove_node,
    set_properties,
    unlink,
)
from erm_graph.edit.sharing import partner_update, share, unshare

__all__ = ["Change", "Tie", "Untie", "add_node", "advance_opportunity", "assign_case",
           "assign_opportunity", "escalate_case", "link", "log_interaction", "open_case",
           "open_opportunity", "partner_update", "remove_node", "resolve_case", "set_properties",
           "share", "unlink", "unshare"]
