"""What every page test checks in Chromium: axe-core, no horizontal overflow, a screenshot.

axe-core comes from npm (package.json; `make test` installs it into node_modules/) and is
injected into the page under test. Screenshots go to var/screenshots/, which CI keeps as
artifacts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"

# The two widths every page is tested at.
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}

BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; return its serious and critical violations."""
    if not AXE.exists():
        raise AssertionError(f"axe-core is missing at {AXE}: run `npm ci` (make test does)")
    # Evaluated rather than added as a <script> tag: the Content-Security-Policy forbids
    # inline scripts, and a refused tag would be logged as a violation.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return int(
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - window.innerWidth"
        )
    )


def check_page(page: Any, name: str) -> Path:
    """Assert the page has no serious or critical axe violation and does not overflow
    horizontally; save a full-page screenshot named after the page and the viewport width."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    path = SCREENSHOTS / f"{slug}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    violations = axe_violations(page)
    assert not violations, f"{name} at {width}px: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in violations
    )
    overflow = horizontal_overflow(page)
    assert overflow <= 0, f"{name} at {width}px overflows horizontally by {overflow}px"
    return path
