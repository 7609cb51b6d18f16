"""Counts the colours of a screenshot by letting headless Chromium decode it (no imaging
package needed): a blank page has a handful, a drawn one many."""

from __future__ import annotations

import base64
from pathlib import Path

from labor_lake.present.browser import browser

_COUNT = """
new Promise((resolve) => {
  const image = new Image();
  image.onload = () => {
    const canvas = document.createElement('canvas');
    canvas.width = image.width; canvas.height = image.height;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    const data = context.getImageData(0, 0, image.width, image.height).data;
    const seen = new Set();
    for (let i = 0; i < data.length; i += 4 * EVERY) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    resolve(seen.size);
  };
  image.onerror = () => resolve(-1);
  image.src = 'data:image/png;base64,DATA';
})
"""


def distinct_colours(paths: list[Path], every: int = 7) -> dict[Path, int]:
    """How many colours every `every`-th pixel of each PNG shows (-1: not a readable PNG)."""
    counts = {}
    with browser() as page:
        page.open("about:blank", 800, 600)
        for path in paths:
            data = base64.b64encode(path.read_bytes()).decode()
            counts[path] = page.evaluate(_COUNT.replace("EVERY", str(every)).replace("DATA", data))
    return counts
