"""axe-core, the accessibility checker, run inside a page of the browser tests.

axe-core comes from npm into ``tools/a11y`` (``tests/setup.sh``); it is a test tool, not part of
the package. It is evaluated through the DevTools protocol, so the pages' CSP (no inline
script) stays as strict as users get it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "tools" / "a11y" / "node_modules" / "axe-core" / \
    "axe.min.js"
#: The rules of WCAG 2.0 and 2.1, levels A and AA.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Rules switched off, each with its reason in docs/testing.md ("Accessibility").
DISABLED: dict[str, str] = {}


@cache
def axe_source() -> str:
    assert AXE.exists(), f"{AXE} is missing: run `bash tests/setup.sh` (it installs axe-core)"
    return AXE.read_text(encoding="utf-8")


def violations(page) -> list[str]:
    """Every WCAG 2.1 A/AA violation on the page as it is now, one line each (rule, impact,
    where, what to fix); an empty list when it passes."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found = page.evaluate(
        """async ([tags, off]) => {
            const rules = Object.fromEntries(off.map((id) => [id, {enabled: false}]));
            const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, rules});
            return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + ": "
                    + n.failureSummary.replace(/\\s+/g, " "))}));
        }""", [WCAG_AA, list(DISABLED)])
    return [f"{v['id']} ({v['impact']}): {v['help']} at {'; '.join(v['nodes'])}" for v in found]
