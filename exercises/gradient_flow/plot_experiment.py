"""Draw the experiment as an SVG line chart (numpy only, no matplotlib): log10 of the first/last gradient
ratio against depth, for the plain and the residual stack.

    python exercises/gradient_flow/plot_experiment.py                 # your function -> my_gradient_ratio.svg
    python exercises/gradient_flow/plot_experiment.py --out FILE.svg

The experiment itself (inputs, depths, ratios) is the one in gradient_flow.py; ``--solution FILE`` takes
layer_gradient_norms from another file (the README's gradient_ratio.svg was drawn from a correct one).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent
WIDTH, HEIGHT = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 70, 150, 40, 60  # margins around the plot area
COLOURS = {"plain": "#d62728", "residual": "#1f77b4"}


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"_gradient_flow_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def svg(ratios: dict) -> str:
    """The chart for {"plain": {depth: ratio}, "residual": {depth: ratio}}; the x axis is log2(depth)."""
    depths = sorted(ratios["plain"])
    logs = {kind: [math.log10(ratios[kind][d]) for d in depths] for kind in ratios}
    lo = math.floor(min(min(v) for v in logs.values()))
    hi = max(1, math.ceil(max(max(v) for v in logs.values())))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = math.log2(depths[-1]) - math.log2(depths[0])

    def px(depth):
        return LEFT + inner_w * (math.log2(depth) - math.log2(depths[0])) / span

    def py(value):
        return TOP + inner_h * (hi - value) / (hi - lo)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{LEFT + inner_w / 2:.1f}" y="22" text-anchor="middle" font-size="14">'
           'First/last gradient ratio ||dLoss/dx|| / ||dLoss/dh_(L-1)||</text>']
    step = 1 if hi - lo <= 12 else 2
    for k in range(lo, hi + 1, step):  # horizontal grid, one line per power of ten
        y = py(k)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + inner_w}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">1e{k}</text>')
    for d in depths:
        x = px(d)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + inner_h}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + inner_h + 18}" text-anchor="middle">{d}</text>')
    out.append(f'<text x="{LEFT + inner_w / 2:.1f}" y="{HEIGHT - 18}" text-anchor="middle">depth L (layers)</text>')
    out.append(f'<text x="18" y="{TOP + inner_h / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 18 {TOP + inner_h / 2:.1f})">ratio (log scale)</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{inner_w}" height="{inner_h}" fill="none" stroke="#444"/>')
    for row, (kind, values) in enumerate(logs.items()):
        points = " ".join(f"{px(d):.1f},{py(v):.1f}" for d, v in zip(depths, values))
        colour = COLOURS.get(kind, "black")
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        out += [f'<circle cx="{px(d):.1f}" cy="{py(v):.1f}" r="4" fill="{colour}"/>' for d, v in zip(depths, values)]
        y = TOP + 20 + 24 * row
        out.append(f'<line x1="{LEFT + inner_w + 14}" y1="{y}" x2="{LEFT + inner_w + 40}" y2="{y}" '
                   f'stroke="{colour}" stroke-width="2.5"/>')
        out.append(f'<text x="{LEFT + inner_w + 46}" y="{y + 4}">{kind}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solution", type=Path, default=HERE / "gradient_flow.py",
                        help="file defining layer_gradient_norms (default: gradient_flow.py next to this script)")
    parser.add_argument("--out", type=Path, default=Path("my_gradient_ratio.svg"))
    args = parser.parse_args(argv)
    experiment = load(HERE / "gradient_flow.py")
    ratios = experiment.experiment_ratios(load(args.solution).layer_gradient_norms)
    args.out.write_text(svg(ratios))
    for kind, row in ratios.items():
        print(kind, "  ".join(f"L={d}: {r:.3g}" for d, r in row.items()))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
