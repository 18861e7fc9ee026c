"""Show an export inside Jupyter: the same self-contained HTML, in a sandboxed iframe."""

from __future__ import annotations

import html


class NotebookView:
    """Displays as the page in an iframe (Jupyter calls ``_repr_html_``); needs no file, no
    server and no internet, since the page carries vis-network inline."""

    def __init__(self, page: str, height: int = 600):
        self.page = page
        self.height = int(height)

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.page, quote=True)}" '
                f'style="width:100%;height:{self.height}px;border:1px solid #ddd" '
                f'sandbox="allow-scripts"></iframe>')
