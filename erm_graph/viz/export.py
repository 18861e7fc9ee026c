"""A relationship map as a PNG, SVG or PDF file, drawn by the map page's own drawing code in
headless Chromium.

Why Chromium and this way: the picture is made by ``web/static/mapdraw.js`` (ELK positions,
an SVG drawing) for the page; a second renderer in Python would draw a different map. So the
export loads that same script, with the same data the page gets (:func:`map_data`, what
``/api/maps/UID`` answers) and the vendored ELK, inlined into one page in a temporary folder,
and lets Chromium run it: ``--dump-dom`` reads the SVG the script made (and its size),
``--screenshot`` photographs it, ``--print-to-pdf`` prints it on one page of its size. No
server, no network, no Python browser driver at run time: only the ``chromium`` program
(Debian's, or ``ERM_CHROMIUM``), found when an export is asked for, with an error naming the
fix when it is missing. Playwright stays a test dependency.

>>> data = export_map(store, "proc-customer", "pdf")        # doctest: +SKIP
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
import threading
from math import ceil
from pathlib import Path
from typing import Any

from erm_graph.errors import ErmError
from erm_graph.store import GraphStore
from erm_graph.viz.html import script_json
from erm_graph.viz.relationship_map import relationship_map
from erm_graph.viz.vis import map_to_vis

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
SCRIPTS = (STATIC / "vendor" / "elkjs" / "elk.bundled.js", STATIC / "mapdraw.js")
FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
#: seconds one Chromium run may take (a map of a few hundred boxes lays out in about one)
TIMEOUT = 60
#: a PNG's longest side, in pixels: drawn at twice the map's size, smaller when that is more
#: (Chromium's and many viewers' limit is near 16 384)
PNG_MAX = 16_000
#: a PDF page's longest side, in CSS pixels: 200 inches, the format's limit
PDF_MAX = 19_200
#: one export at a time per process: each Chromium takes a core and much memory
_ONE_AT_A_TIME = threading.Lock()

class ExportUnavailable(ErmError):
    """No Chromium to draw with: the server's to fix, not the request's (503 on the web)."""

    kind = "unavailable"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>html, body {{ margin: 0; background: #ffffff; }} svg {{ display: block; }}
#svg-source {{ display: none; }}
* {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}</style>
</head><body><div id="map"></div><pre id="svg-source"></pre>
{scripts}
<script>ermMapDraw.exportPage({data}, {title_json});</script>
</body></html>
"""


def map_data(store: GraphStore, uid: str) -> dict[str, Any]:
    """What the map page draws for ``uid``: the same as ``GET /api/maps/UID``."""
    return map_to_vis(relationship_map(store, uid))


def export_page(data: dict[str, Any]) -> str:
    """One self-contained HTML page that draws ``data`` (:func:`map_data`) as the map page
    does, with its legend, on white; it opens offline in any browser too."""
    title = f"Relationship map: {data['process']['name']}"
    scripts = "\n".join(f"<script>{path.read_text(encoding='utf-8')}</script>"
                        for path in SCRIPTS)
    return _PAGE.format(title=html.escape(title), title_json=script_json(title),
                        data=script_json(data), scripts=scripts)


def find_chromium(configured: Path | None = None) -> str:
    """The Chromium program: ``configured`` (``ERM_CHROMIUM``), else the first of the usual
    names on ``PATH``; an error saying how to get one when there is none."""
    if configured is not None:
        if not (configured.is_file() and os.access(configured, os.X_OK)):
            raise ExportUnavailable(f"ERM_CHROMIUM is {configured}, which is not a program: "
                                    f"point it at Chromium or Chrome, or unset it to look on "
                                    f"PATH")
        return str(configured)
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise ExportUnavailable("exporting a map to PNG, SVG or PDF needs Chromium, and none was "
                            "found on PATH: install it (Debian/Ubuntu: `apt-get install "
                            "chromium`) or set ERM_CHROMIUM to a Chromium or Chrome program; "
                            "`-o map.html` needs none")


def _run(chromium: str, workdir: Path, *args: str, zoom: float = 1.0) -> str:
    command = [chromium, "--headless", "--disable-gpu", "--no-first-run", "--disable-sync",
               "--disable-background-networking", "--disable-component-update",
               "--disable-extensions", "--hide-scrollbars", "--mute-audio",
               f"--user-data-dir={workdir / 'profile'}", "--virtual-time-budget=20000",
               *args, (workdir / "map.html").as_uri() + (f"#zoom={zoom:.4f}" if zoom < 1 else "")]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.insert(2, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise ExportUnavailable(f"Chromium took more than {TIMEOUT} s to draw the map") from exc
    if done.returncode != 0:
        raise ExportUnavailable(f"Chromium failed to draw the map (exit {done.returncode}): "
                       f"{done.stderr.strip()[-500:]}")
    return done.stdout


def export_map(store: GraphStore, uid: str, fmt: str, *,
               chromium: Path | None = None) -> bytes:
    """The map of the process (or Map) ``uid`` as a ``fmt`` file ("png", "svg", "pdf"):
    the map page's drawing with its legend, on white, the size of the map."""
    if fmt not in FORMATS:
        raise ErmError(f"a map exports as {', '.join(FORMATS)}, not {fmt!r}")
    page = export_page(map_data(store, uid))
    program = find_chromium(chromium)
    with _ONE_AT_A_TIME, tempfile.TemporaryDirectory(prefix="erm-map-") as tmp:
        workdir = Path(tmp)
        (workdir / "map.html").write_text(page, encoding="utf-8")
        dom = _run(program, workdir, "--dump-dom")
        failed = re.search(r'data-error="([^"]*)"', dom)
        if failed:
            raise ExportUnavailable(f"the map could not be drawn: {html.unescape(failed.group(1))}")
        size = re.search(r'data-size="(\d+)x(\d+)"', dom)
        source = re.search(r'<pre id="svg-source">(.*?)</pre>', dom, re.S)
        if not size or not source:
            raise ExportUnavailable("Chromium did not finish drawing the map in time")
        if fmt == "svg":
            return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                    + html.unescape(source.group(1))).encode("utf-8")
        width, height = (int(n) for n in size.groups())
        out = workdir / f"map.{fmt}"
        if fmt == "png":
            scale = min(2.0, PNG_MAX / width, PNG_MAX / height)
            zoom = min(1.0, scale)  # below 1: the page draws the map smaller
            _run(program, workdir, f"--window-size={ceil(width * zoom)},{ceil(height * zoom)}",
                 f"--force-device-scale-factor={scale / zoom:.4f}", f"--screenshot={out}",
                 zoom=zoom)
        else:
            _run(program, workdir, "--no-pdf-header-footer", f"--print-to-pdf={out}",
                 zoom=min(1.0, PDF_MAX / width, PDF_MAX / height))
        if not out.is_file():
            raise ExportUnavailable(f"Chromium wrote no {fmt.upper()} file")
        return out.read_bytes()
