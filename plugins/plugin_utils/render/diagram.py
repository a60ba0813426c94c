# -*- coding: utf-8 -*-
# Copyright: CredLink platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SVG and PNG writers for the shapes of ``topology.layout``.

Both are plain Python (Pillow for the PNG) so the picture needs nothing installed beside
the controller's requirements: no Graphviz, no browser, the same output on every machine.
"""

from __future__ import annotations

import io
from html import escape

try:
    from PIL import Image, ImageDraw, ImageFont
except ImportError:  # the SVG and the HTML report do not need it
    Image = None

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"


def svg_shape(shape: dict) -> str:
    dash = ' stroke-dasharray="6 4"' if shape.get("dashed") else ""
    if shape["shape"] == "rect":
        return (f'<rect x="{shape["x"]:g}" y="{shape["y"]:g}" width="{shape["w"]:g}" height="{shape["h"]:g}" '
                f'rx="{shape["radius"]}" fill="{shape["fill"]}" stroke="{shape["stroke"]}" stroke-width="1.5"{dash}/>')
    if shape["shape"] == "text":
        weight = ' font-weight="bold"' if shape["bold"] else ""
        return (f'<text x="{shape["x"]:g}" y="{shape["y"]:g}" font-size="{shape["size"]}" text-anchor="{shape["anchor"]}" '
                f'fill="{shape["fill"]}"{weight}>{escape(shape["text"])}</text>')
    points = " ".join(f"{x:g},{y:g}" for x, y in shape["points"])
    return f'<polyline points="{points}" fill="none" stroke="{shape["stroke"]}" stroke-width="1.5"{dash}/>'


def to_svg(picture: dict, title: str) -> str:
    body = "\n".join(svg_shape(s) for s in picture["shapes"])
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{picture["width"]:g}" height="{picture["height"]:g}" '
            f'viewBox="0 0 {picture["width"]:g} {picture["height"]:g}" font-family="{FONT}" role="img">\n'
            f"<title>{escape(title)}</title>\n{body}\n</svg>\n")


def dashes(start: tuple[float, float], end: tuple[float, float], on: float = 6, off: float = 4):
    (x1, y1), (x2, y2) = start, end
    length = max(abs(x2 - x1), abs(y2 - y1)) or 1  # layout lines are horizontal or vertical
    position = 0.0
    while position < length:
        stop = min(position + on, length)
        yield ((x1 + (x2 - x1) * position / length, y1 + (y2 - y1) * position / length),
               (x1 + (x2 - x1) * stop / length, y1 + (y2 - y1) * stop / length))
        position += on + off


def draw_rect(draw, shape: dict) -> None:
    box = (shape["x"], shape["y"], shape["x"] + shape["w"], shape["y"] + shape["h"])
    draw.rounded_rectangle(box, radius=shape["radius"], fill=shape["fill"],
                           outline=None if shape["dashed"] else shape["stroke"], width=2)
    if shape["dashed"]:
        x1, y1, x2, y2 = box
        for side in (((x1, y1), (x2, y1)), ((x2, y1), (x2, y2)), ((x2, y2), (x1, y2)), ((x1, y2), (x1, y1))):
            for segment in dashes(*side):
                draw.line(segment, fill=shape["stroke"], width=2)


def draw_line(draw, shape: dict) -> None:
    for start, end in zip(shape["points"], shape["points"][1:]):
        for segment in (dashes(start, end) if shape["dashed"] else [(start, end)]):
            draw.line(segment, fill=shape["stroke"], width=2)


def to_png(picture: dict) -> bytes:
    """PNG bytes of the picture; needs Pillow (``png_supported``)."""
    image = Image.new("RGB", (int(picture["width"]), int(picture["height"])), "white")
    draw = ImageDraw.Draw(image)
    fonts: dict[int, object] = {}
    anchors = {"start": "ls", "middle": "ms", "end": "rs"}
    for shape in picture["shapes"]:
        if shape["shape"] == "rect":
            draw_rect(draw, shape)
        elif shape["shape"] == "line":
            draw_line(draw, shape)
        else:
            font = fonts.setdefault(shape["size"], ImageFont.load_default(size=shape["size"]))
            draw.text((shape["x"], shape["y"]), shape["text"], fill=shape["fill"], font=font,
                      anchor=anchors[shape["anchor"]])
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def png_supported() -> bool:
    return Image is not None
