"""The ``{uid:uid}`` path parameter: a uid is the rest of the path, ``/`` included.

Loaders make uids such as ``camunda-order/Process_Order``, and ``/map/camunda-order/
Process_Order`` is that map's shared URL. A uid may not end in a segment that names a sub-
resource (``/neighbors``, ``/neighborhood``, ``/owner``, a map's ``/history``,
``/restore``, ``/export`` and ``/edit``, an account's ``/interactions``, ``/cases`` and
``/opportunities``): those
addresses belong to the sub-resource's routes alone, so ``PATCH /api/nodes/x/neighbors`` is a
405 naming ``GET``, not an edit of a node called ``x/neighbors``.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

#: the last segments that name a sub-resource of a node or map, never part of a uid
SUB_RESOURCES = ("neighbors", "neighborhood", "owner", "history", "restore", "export",
                 "interactions", "cases", "opportunities", "edit", "links", "suggestions",
                 "dispatch")


class UidConvertor(Convertor[str]):
    # any characters, as long as what is left is not exactly "/<sub-resource>"
    regex = "(?:(?!/(?:" + "|".join(SUB_RESOURCES) + ")$).)+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("uid", UidConvertor())
