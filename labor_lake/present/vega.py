"""Vega-Lite in a page that needs no network: the vendored libraries (vendor/, pinned by
vendor/revendor.sh), the look every chart shares, and the script that draws the charts.

The page carries vega, vega-lite and vega-embed inline and each chart's specification (with its
data) as a JSON script element; the reader's browser draws them as SVG. Nothing is fetched, so
the page opens from `file://` offline and can be mailed as one file.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

VENDOR = Path(__file__).parent / "vendor"
LIBRARIES = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")  # in load order
SCHEMA_URL = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier, never fetched
# Text no smaller than 11 px, so a phone can read it; legends under the plot, where a 390 px
# screen has room for them.
CONFIG = {
    "font": "Helvetica, Arial, sans-serif",
    "axis": {"labelFontSize": 11, "titleFontSize": 12, "titleFontWeight": "normal"},
    "legend": {
        "orient": "bottom",
        "direction": "vertical",
        "labelFontSize": 11,
        "titleFontSize": 11,
        "labelLimit": 260,
        "titleLimit": 260,
        "symbolSize": 80,
    },
    "header": {"labelFontSize": 12, "titleFontSize": 12},
    "text": {"fontSize": 11},
    "title": {"fontSize": 13},
    "view": {"stroke": None},
}
# Space a facet's panels leave beside the plot for the y axis (labels and title), in pixels.
FACET_GUTTER = 110


@cache
def libraries() -> str:
    """The vendored libraries as one script's text, safe inside an inline <script>."""
    return "\n".join(
        (VENDOR / name).read_text(encoding="utf-8").replace("</script", "<\\/script")
        for name in LIBRARIES
    )


def versions() -> str:
    """`vega 6.4.0, vega-lite 6.5.0, vega-embed 7.3.0`: the vendored versions, from VERSIONS."""
    pinned = [
        line.split()[:2]
        for line in (VENDOR / "VERSIONS").read_text().splitlines()
        if line and not line.startswith("#") and "bundled" not in line
    ]
    return ", ".join(" ".join(p) for p in pinned)


def spec_json(spec: dict) -> str:
    """A specification as JSON safe inside a <script type="application/json"> element."""
    return json.dumps(spec, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")


# Draws every `.vega-chart` element from the JSON specification it names; sizes faceted charts
# to the width the page gives them (a single view sizes itself: width "container"); marks each
# drawn chart `data-rendered`, and a chart that fails says so in place of the drawing.
EMBED_SCRIPT = """
const labor_lake_views = {};
for (const element of document.querySelectorAll('.vega-chart')) {
  const spec = JSON.parse(document.getElementById(element.dataset.spec).textContent);
  const width = element.getBoundingClientRect().width;
  if (spec.facet) spec.spec.width = Math.max(160, Math.floor(width - FACET_GUTTER));
  vegaEmbed(element, spec, {
    renderer: 'svg',
    actions: {export: true, source: false, compiled: false, editor: false},
    downloadFileName: element.dataset.name,
  }).then((result) => {
    labor_lake_views[element.dataset.name] = result.view;
    element.dataset.rendered = 'true';
  }).catch((error) => {
    element.dataset.rendered = 'failed';
    element.textContent = 'This chart could not be drawn: ' + error.message;
    console.error(error);
  });
}
""".replace("FACET_GUTTER", str(FACET_GUTTER))
