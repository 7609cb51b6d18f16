"""Static images of the report's charts, on request only (the build draws none):

    uv run python -m labor_lake.present.images [data_lake/reports/index.html]

opens the report in headless Chromium (Debian's `chromium`), lets vega draw every chart as the
page does, and writes each as SVG and PNG (twice the screen's pixels) into an `images/` folder
beside the page. The images are the page's own drawings, with the same vendored libraries.
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path

from labor_lake.present.browser import BrowserError, browser

DEFAULT_REPORT = Path("data_lake") / "reports" / "index.html"
WIDTH = 1000  # the window the charts are drawn in, in pixels


def write_images(report: Path, width: int = WIDTH) -> list[Path]:
    """Every drawn chart of `report` as `images/<chart>.svg` and `.png` beside it."""
    folder = report.parent / "images"
    folder.mkdir(exist_ok=True)
    written = []
    with browser() as page:
        page.open(report.resolve().as_uri(), width, 900)
        page.wait_for_charts()
        names = page.evaluate("Object.keys(labor_lake_views)")
        for name in names:
            svg = page.evaluate(f"labor_lake_views[{name!r}].toSVG()")
            png = page.evaluate(f"labor_lake_views[{name!r}].toImageURL('png', 2)")
            (folder / f"{name}.svg").write_text(svg, encoding="utf-8")
            (folder / f"{name}.png").write_bytes(base64.b64decode(png.split(",", 1)[1]))
            written += [folder / f"{name}.svg", folder / f"{name}.png"]
        if page.errors:
            raise BrowserError("the page reported errors: " + "; ".join(page.errors))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", nargs="?", type=Path, default=DEFAULT_REPORT)
    arguments = parser.parse_args(argv)
    if not arguments.report.is_file():
        print(f"{arguments.report}: no report here; build it first (uv run dg launch --assets '*')")
        return 1
    try:
        written = write_images(arguments.report)
    except BrowserError as error:
        print(f"{arguments.report}: {error}")
        return 1
    print(f"{len(written)} images written to {arguments.report.parent / 'images'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
