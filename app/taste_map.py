"""The taste page's geometry, with no Flask and no SQL: a 2-D PCA of song vectors, SVG coordinates,
and stacked bars of a user's moods and genres by month.

PCA (numpy) rather than UMAP: it needs no new dependency (UMAP would bring umap-learn, numba and
pynndescent; not tried here), a fit on 5,000 vectors takes a fraction of a second (bench/taste.py
prints it), and it is linear: a song embedded after the fit (a new like, today's recommendations)
lands exactly where its vector says, with no approximate out-of-sample transform.
"""

from dataclasses import dataclass

import numpy as np

WIDTH, HEIGHT, PAD = 640, 400, 10  # the map's SVG viewBox, in user units
CLIP_PERCENTILE = 1.0  # the map spans the 1st to 99th percentile on each axis: outliers sit on its edge


@dataclass(frozen=True)
class Projection:
    """A fitted 2-D basis: centre, two unit axes, and the box the map shows."""

    mean: np.ndarray  # (d,)
    axes: np.ndarray  # (2, d), unit rows
    lo: np.ndarray  # (2,) lower corner of the shown box, in projected units
    hi: np.ndarray  # (2,) upper corner
    explained: tuple[float, float]  # share of the sample's variance along each axis


def fit_projection(sample: np.ndarray, clip_percentile: float = CLIP_PERCENTILE) -> Projection:
    """The first two principal axes of `sample` (n >= 3 vectors), with signs fixed so a refit of the
    same data draws the same map (an eigenvector's sign is arbitrary)."""
    x = np.asarray(sample, dtype=np.float64)
    if x.ndim != 2 or len(x) < 3 or x.shape[1] < 2:
        raise ValueError("a projection needs at least 3 vectors of at least 2 dimensions")
    mean = x.mean(axis=0)
    centred = x - mean
    # The eigenvectors of the d x d covariance are the SVD's right singular vectors, without the
    # n x d left ones: on 5,000 x 384, 0.05 s instead of 0.7 s for np.linalg.svd on one core.
    variance, vectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(variance)[::-1]
    variance = np.clip(variance[order], 0.0, None)
    axes = vectors[:, order[:2]].T
    largest = np.abs(axes).argmax(axis=1)
    axes = axes * np.where(axes[np.arange(2), largest] < 0, -1.0, 1.0)[:, None]
    coords = centred @ axes.T
    lo = np.percentile(coords, clip_percentile, axis=0)
    hi = np.percentile(coords, 100 - clip_percentile, axis=0)
    span = np.maximum(hi - lo, 1e-9)  # identical vectors: a box around the one point
    margin = span * 0.02
    total = float(variance.sum()) or 1.0
    explained = (float(variance[0] / total), float(variance[1] / total))
    return Projection(mean, axes, lo - margin, lo + span + margin, explained)


def one_blas_thread():
    """A context running numpy's BLAS on one thread. The map is fitted beside a server's request
    threads; on two busy cores a multi-threaded fit of 5,000 x 384 took 0.5-0.7 s against 0.18 s on
    one. threadpoolctl comes with scikit-learn (a sentence-transformers dependency); without it the
    fit runs as numpy is set up."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(limits=1)


def project(projection: Projection, vectors: np.ndarray) -> np.ndarray:
    """Vectors (n, d) in the projection's 2-D units, (n, 2)."""
    v = np.asarray(vectors, dtype=np.float64).reshape(-1, projection.mean.shape[0])
    return (v - projection.mean) @ projection.axes.T


def to_canvas(
    projection: Projection, coords: np.ndarray, width: int = WIDTH, height: int = HEIGHT, pad: int = PAD
) -> np.ndarray:
    """Projected points as SVG coordinates in the box (y grows downwards); points outside are clipped
    to its edge, so a song never disappears off the map."""
    coords = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    unit = (np.clip(coords, projection.lo, projection.hi) - projection.lo) / (projection.hi - projection.lo)
    x = pad + unit[:, 0] * (width - 2 * pad)
    y = height - pad - unit[:, 1] * (height - 2 * pad)
    return np.column_stack([x, y])


def canvas_points(projection: Projection, vectors: np.ndarray) -> np.ndarray:
    """Vectors straight to SVG coordinates."""
    return to_canvas(projection, project(projection, vectors))


def dot_path(points: np.ndarray) -> str:
    """An SVG path of one dot per point: zero-length segments drawn with a round line cap.

    One <path> per mood instead of 2,000 <circle> elements: about 13 bytes a dot instead of 40,
    and the browser lays out six elements.
    """
    return "".join(f"M{x:.1f} {y:.1f}h0" for x, y in np.asarray(points).reshape(-1, 2))


def sample_indices(n: int, k: int, seed: int) -> np.ndarray:
    """k distinct indices of range(n) (all of them when n <= k), drawn with a fixed seed, in random order."""
    rng = np.random.default_rng(seed)
    return rng.permutation(n) if n <= k else rng.choice(n, size=k, replace=False)


@dataclass(frozen=True)
class Segment:
    key: str
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    month: str  # "YYYY-MM"
    label: str  # "Mar" or "Mar 2026" (the first bar and every January carry the year)
    total: int
    x: float
    width: float
    segments: tuple[Segment, ...]


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_label(month: str, with_year: bool) -> str:
    """'2026-03' as 'Mar', or 'Mar 2026'."""
    year, number = month.split("-")
    name = MONTHS[int(number) - 1]
    return f"{name} {year}" if with_year else name


def stacked_bars(
    counts: dict[str, dict[str, int]],
    order: list[str],
    height: float = 150,
    bar_width: float = 40,
    gap: float = 12,
    left: float = 24,
    max_bars: int = 12,
) -> list[Bar]:
    """100%-stacked bars, one per month (the last `max_bars` months with activity), segments in `order`.

    `counts` maps "YYYY-MM" to {category: count}; categories not in `order` are left out. Each bar
    shows the month's mix, whatever its volume: its total is printed under it instead. Bars start
    `left` units in, so the first month's label (with its year) fits.
    """
    months = sorted(m for m, row in counts.items() if any(row.get(key, 0) for key in order))[-max_bars:]
    bars = []
    for i, month in enumerate(months):
        row = counts[month]
        total = sum(row.get(key, 0) for key in order)
        y, segments = 0.0, []
        for key in order:
            count = row.get(key, 0)
            if count:
                h = height * count / total
                segments.append(Segment(key, count, round(y, 2), round(h, 2)))
                y += h
        label = month_label(month, with_year=i == 0 or month.endswith("-01"))
        bars.append(
            Bar(month, label, total, round(left + i * (bar_width + gap), 2), bar_width, tuple(segments))
        )
    return bars


def bars_width(bars: list[Bar], left: float = 24) -> float:
    """The width the bars need, with the same margin on the right as on the left."""
    return bars[-1].x + bars[-1].width + left if bars else 0.0


def top_keys(counts: dict[str, dict[str, int]], n: int) -> list[str]:
    """The n categories with the most counts over all months, most first (ties by name)."""
    totals: dict[str, int] = {}
    for row in counts.values():
        for key, count in row.items():
            totals[key] = totals.get(key, 0) + count
    return [key for key, _ in sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:n]]


def fold_others(
    counts: dict[str, dict[str, int]], keep: list[str], other: str = "other"
) -> dict[str, dict[str, int]]:
    """The same counts with every category outside `keep` added up under `other`."""
    folded = {}
    for month, row in counts.items():
        out = {key: row[key] for key in keep if row.get(key)}
        rest = sum(count for key, count in row.items() if key not in keep)
        if rest:
            out[other] = rest
        folded[month] = out
    return folded
