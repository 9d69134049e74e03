"""One function per analysis notebook: the notebook's whole computation, once, for every front end.

A notebook, an interactive explorer (:mod:`portfolio_lib.ui.widgets`) and the Voilà app need the
same numbers from the same parameters. Each ``*_study`` function takes the aggregated portfolio
(:class:`~portfolio_lib.engine.aggregate.Aggregates`, the expensive step, done once), the cost table
where needed and the notebook's parameters as keywords (defaults from
:data:`portfolio_lib.config.DEFAULTS`), calls the analysis functions of the library and returns a
frozen dataclass of their DataFrames, Series and fitted models. Nothing is drawn, printed or
written: front ends show the fields.

Parts that are legitimately unavailable (no cost table, no ``potential`` or ``sales_rep``
column, too few repeat customers for the predictive models, a history too short for a yearly
figure) do not raise: the field is ``None`` and ``notes`` says why, with bilingual texts
(``note.text(lang)``; :func:`portfolio_lib.ui.present.show_message` shows them). Bad parameters and
unusable data still raise.

The annual churn rate behind the simple and retention CLV and the LTV is the churn of the
**last 12 months** (:func:`portfolio_lib.metrics.movements.annual_churn`): customers active 12 months
before the last month of the data who are no longer active at its end, over the customers
active then; it needs 13 months of history. Per group (segment, acquisition channel...) the
same rule applies within the group; a group nobody was active in 12 months ago takes the
portfolio's rate.

The CLV study is split so that an explorer fits the predictive models once
(:func:`fit_clv_models`) and redoes only the discounted values when the discount rate or the
horizon changes (:func:`clv_study` with ``models=``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics.alerts import alerts_by_rep, customer_alerts
from portfolio_lib.metrics.balance import (
    _check_abc_cuts,
    _concentration,
    _descending_order,
    _descending_sort,
    _pmg_thresholds,
    abc_classes,
    class_summary,
    dependence_alerts,
    lifecycle_phases,
    lifecycle_summary,
    pmg_classes,
    potential_matrix,
    potential_matrix_summary,
)
from portfolio_lib.metrics.rfm import _buyers as _rfm_buyers
from portfolio_lib.metrics.rfm import _codes as _rfm_codes
from portfolio_lib.metrics.rfm import _rfm_scores, _rfm_table, rfm_segments, rfm_summary
from portfolio_lib.runtime import later, parallel_map, second_thread
from portfolio_lib.studies.base import (
    Note,
    StudyNote,
    StudyResult,
    attempt,
    customer_totals,
)
from portfolio_lib.studies.clv import (
    PURCHASES_GRID_DAYS,
    ClvModels,
    ClvStudy,
    clv_study,
    fit_clv_models,
)
from portfolio_lib.studies.costs import CostsStudy, costs_study
from portfolio_lib.studies.movements import MovementsStudy, movements_study
from portfolio_lib.studies.overview import OverviewStudy, overview_study
from portfolio_lib.studies.weight import WEIGHT_GROUPS, WeightStudy, weight_study

_T = TypeVar("_T")

__all__ = [
    "PURCHASES_GRID_DAYS",
    "WEIGHT_GROUPS",
    "AlertsStudy",
    "BalanceStudy",
    "ClvModels",
    "ClvStudy",
    "CostsStudy",
    "MovementsStudy",
    "Note",
    "OverviewStudy",
    "RfmStudy",
    "StudyNote",
    "WeightStudy",
    "alerts_study",
    "balance_study",
    "clv_study",
    "costs_study",
    "customer_totals",
    "fit_clv_models",
    "movements_study",
    "overview_study",
    "rfm_study",
    "weight_study",
]


# --------------------------------------------------------------------------------------------
# 04 balance


@dataclass(frozen=True, eq=False, repr=False)
class BalanceStudy(StudyResult):
    """Balance of the portfolio (notebook 04), over the last ``activity_window`` months.

    Attributes
    ----------
    buyers : pandas.DataFrame
        :func:`customer_totals` of the active customers (revenue > 0 in the window).
    abc, abc_mix : pandas.DataFrame
        :func:`portfolio_lib.metrics.balance.abc_classes` of the buyers and its
        :func:`class_summary`.
    pmg, pmg_mix : pandas.DataFrame
        :func:`portfolio_lib.metrics.balance.pmg_classes` and its summary.
    pmg_thresholds : tuple of float
        ``(medium_from, large_from)`` in € used (given, or the quantiles).
    concentration : pandas.Series
        :func:`portfolio_lib.metrics.balance.concentration`.
    dependent : pandas.DataFrame
        :func:`portfolio_lib.metrics.balance.dependence_alerts` (empty when none).
    phases, lifecycle : pandas.DataFrame
        :func:`portfolio_lib.metrics.balance.lifecycle_phases` and :func:`lifecycle_summary`.
    matrix, matrix_cells : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.balance.potential_matrix` and its 3 x 3 summary; None (and a
        note) without a ``potential`` column.
    notes : tuple
    """

    buyers: pd.DataFrame
    abc: pd.DataFrame
    abc_mix: pd.DataFrame
    pmg: pd.DataFrame
    pmg_mix: pd.DataFrame
    pmg_thresholds: tuple[float, float]
    concentration: pd.Series
    dependent: pd.DataFrame
    phases: pd.DataFrame
    lifecycle: pd.DataFrame
    matrix: pd.DataFrame | None
    matrix_cells: pd.DataFrame | None
    notes: tuple[StudyNote, ...] = ()

    @property
    def vivier(self) -> pd.DataFrame | None:
        """Customers of the pool to develop (high potential, low penetration), largest gap first."""
        if self.matrix is None:
            return None
        return (
            self.matrix[self.matrix["vivier"]]
            .drop(columns=["potential_class", "penetration_class", "vivier"])
            .sort_values("gap", ascending=False)
            .reset_index(drop=True)
        )


def balance_study(
    agg: Aggregates,
    *,
    activity_window: int = DEFAULTS["activity_window"],
    a_cut: float = DEFAULTS["a_cut"],
    b_cut: float = DEFAULTS["b_cut"],
    pmg_thresholds: Sequence[float] | None = None,
    pmg_quantiles: Sequence[float] = DEFAULTS["pmg_quantiles"],
    dependence_alert: float = DEFAULTS["dependence_alert"],
    top_n: Sequence[int] = DEFAULTS["top_n"],
    lifecycle_growth: float = DEFAULTS["lifecycle_growth"],
    lifecycle_childhood_months: int = DEFAULTS["lifecycle_childhood_months"],
    lifecycle_window_months: int = DEFAULTS["lifecycle_window_months"],
    potential_quantiles: Sequence[float] = DEFAULTS["potential_quantiles"],
    penetration_cuts: Sequence[float] = DEFAULTS["penetration_cuts"],
    totals: pd.DataFrame | None = None,
) -> BalanceStudy:
    """Pareto/ABC, PMG, concentration and dependence, lifecycle and potential matrix.

    Parameters
    ----------
    agg : Aggregates
    activity_window : int, default 12
        Months of revenue ranked; customers with revenue > 0 in them are the buyers.
    a_cut, b_cut : float, default 0.80 and 0.95
        ABC cuts of cumulative revenue.
    pmg_thresholds : (float, float), optional
        PMG ``(medium_from, large_from)`` in €; None or empty for the quantiles.
    pmg_quantiles : (float, float), default (0.50, 0.80)
    dependence_alert : float, default 0.15
    top_n : sequence of int, default (1, 5, 10)
    lifecycle_growth : float, default 0.10
    lifecycle_childhood_months, lifecycle_window_months : int, default 12
    potential_quantiles : (float, float), default (1/3, 2/3)
    penetration_cuts : (float, float), default (0.25, 0.60)
    totals : pandas.DataFrame, optional
        ``customer_totals(agg, window=activity_window)`` computed beforehand (explorers keep
        it between changes); computed here when missing.

    Returns
    -------
    BalanceStudy
    """
    customers = customer_totals(agg, window=activity_window) if totals is None else totals
    with second_thread(len(customers)) as background:
        # Two lines of work on a large table: the lifecycle (it reads the monthly table, not
        # the customer totals) starts on the second thread, the summaries are queued after it
        # as their tables come, while this thread makes the potential matrix (first: its
        # summary is the longest) and ranks and classes the buyers. The main line's errors
        # are raised first (the ABC cuts before all), as when all is computed in line.
        lifecycle = later(
            background,
            lambda: _lifecycle_parts(
                agg,
                growth=lifecycle_growth,
                childhood_months=lifecycle_childhood_months,
                window_months=lifecycle_window_months,
            ),
        )
        _check_abc_cuts(a_cut, b_cut)
        notes: list[StudyNote] = []
        matrix = attempt(
            notes,
            lambda: potential_matrix(
                customers,
                potential_quantiles=tuple(potential_quantiles),
                penetration_cuts=tuple(penetration_cuts),
            ),
        )
        cells = (
            (lambda: None)
            if matrix is None
            else later(background, lambda: potential_matrix_summary(matrix))
        )
        parts, summaries = _balance_parts(
            customers,
            background=background,
            a_cut=a_cut,
            b_cut=b_cut,
            pmg_thresholds=pmg_thresholds,
            pmg_quantiles=pmg_quantiles,
            dependence_alert=dependence_alert,
            top_n=top_n,
        )
        phases, lifecycle_mix = lifecycle()
        return BalanceStudy(
            **parts,
            **{name: summary() for name, summary in summaries.items()},
            phases=phases,
            lifecycle=lifecycle_mix,
            matrix=matrix,
            matrix_cells=cells(),
            notes=tuple(notes),
        )


def _lifecycle_parts(
    agg: Aggregates, *, growth: float, childhood_months: int, window_months: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`portfolio_lib.metrics.balance.lifecycle_phases` of ``agg`` and its summary."""
    phases = lifecycle_phases(
        agg.monthly,
        agg.customers,
        months=agg.months,
        growth=growth,
        childhood_months=childhood_months,
        window_months=window_months,
    )
    return phases, lifecycle_summary(phases)


def _balance_parts(
    customers: pd.DataFrame,
    *,
    a_cut: float,
    b_cut: float,
    pmg_thresholds: Sequence[float] | None,
    pmg_quantiles: Sequence[float],
    dependence_alert: float,
    top_n: Sequence[int],
    background: ThreadPoolExecutor | None = None,
) -> tuple[dict[str, object], dict[str, Callable[[], pd.DataFrame]]]:
    """The buyers' fields of :class:`BalanceStudy` (rankings, classes, concentration), and
    what gives their class summaries (see :func:`later`: started on ``background``)."""
    buyers = _rows(customers, np.flatnonzero(customers["active"].to_numpy(dtype=bool)))
    abc = abc_classes(buyers, a_cut=a_cut, b_cut=b_cut)
    abc_mix = later(background, lambda: class_summary(abc, by="abc"))
    positive = _ranked_positive(abc)  # for the PMG quantiles and the concentration
    if not pmg_thresholds:  # the quantiles of the buyers' revenue, sorted by the ABC ranking
        pmg_thresholds = _pmg_thresholds(positive, tuple(pmg_quantiles), ascending=True)
    pmg = pmg_classes(buyers, thresholds=tuple(pmg_thresholds), quantiles=tuple(pmg_quantiles))
    pmg_mix = later(background, lambda: class_summary(pmg, by="pmg"))
    parts = {
        "buyers": buyers,
        "abc": abc,
        "pmg": pmg,
        "pmg_thresholds": tuple(float(t) for t in pmg.attrs["thresholds"]),
        "concentration": _concentration(
            positive, value="revenue", top_n=top_n, dependence_alert=dependence_alert
        ),
        "dependent": _ranked_dependent(abc, buyers, dependence_alert=dependence_alert),
    }
    return parts, {"abc_mix": abc_mix, "pmg_mix": pmg_mix}


def _ranked_concentration(
    abc: pd.DataFrame, *, top_n: Sequence[int], dependence_alert: float
) -> pd.Series:
    """``concentration(buyers)`` from the buyers' values ranked by ``abc_classes``."""
    return _concentration(
        _ranked_positive(abc), value="revenue", top_n=top_n, dependence_alert=dependence_alert
    )


def _ranked_dependent(
    abc: pd.DataFrame, buyers: pd.DataFrame, *, dependence_alert: float
) -> pd.DataFrame:
    """``dependence_alerts(buyers)``, told empty by the head of the ABC ranking when it is.

    Shares fall along the ranking, so nobody is above the alert when its largest customer is
    not: the share of the ranking's first value over the positive total summed in the
    buyers' order, as ``dependence_alerts`` divides it. Otherwise (rare), the function itself.
    """
    revenue = buyers["revenue"] if "revenue" in buyers.columns else None
    ranked = abc["revenue"].to_numpy()
    if revenue is not None and revenue.dtype == np.float64 and ranked.size:
        values = revenue.to_numpy()
        total = float(values[values > 0].sum())  # NaN and -0.0 are no positive value either
        if total <= 0 or not ranked[0] / total > dependence_alert:
            return dependence_alerts(buyers.iloc[:0], dependence_alert=dependence_alert)
    return dependence_alerts(buyers, dependence_alert=dependence_alert)


def _ranked_positive(abc: pd.DataFrame) -> np.ndarray:
    """The buyers' positive revenue in ascending order, read off ``abc_classes`` (a new array).

    The ranking sorts the buyers' revenue (descending); its positive head, reversed, is the
    ascending sort ``concentration`` would make again, and the values whose quantiles the PMG
    thresholds are (``pmg_classes`` would partition them again).
    """
    ranked = abc["revenue"].to_numpy()
    head = ranked[: int(np.count_nonzero(ranked > 0))]
    return np.ascontiguousarray(head[::-1])


# --------------------------------------------------------------------------------------------
# 05 RFM


@dataclass(frozen=True, eq=False, repr=False)
class RfmStudy(StudyResult):
    """RFM segmentation (notebook 05).

    Attributes
    ----------
    values : pandas.DataFrame
        :func:`portfolio_lib.metrics.rfm.rfm_table` (buyers).
    scores : pandas.DataFrame
        :func:`portfolio_lib.metrics.rfm.rfm_scores` with ``bins`` scores.
    segments, summary : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.rfm.rfm_segments` and :func:`rfm_summary`; None (and a note)
        unless ``bins == 5`` (the segment grid is 5 x 5).
    customer_segments : pandas.DataFrame
        One row per buyer with its attributes (name, sales rep, segment, region) and scores
        (and segment), largest revenue first: the hand-out list.
    notes : tuple
    """

    values: pd.DataFrame
    scores: pd.DataFrame
    segments: pd.DataFrame | None
    summary: pd.DataFrame | None
    customer_segments: pd.DataFrame
    notes: tuple[StudyNote, ...] = ()

    @property
    def grid_data(self) -> pd.DataFrame:
        """What the R x F grid chart takes: the segments when named, else the scores."""
        return self.scores if self.segments is None else self.segments


def rfm_study(
    agg: Aggregates,
    *,
    bins: int = DEFAULTS["rfm_bins"],
    lang: str = DEFAULTS["lang"],
    values: pd.DataFrame | None = None,
) -> RfmStudy:
    """Recency, frequency, monetary scores and named segments of the buying customers.

    Parameters
    ----------
    agg : Aggregates
    bins : int, default 5
        Scores 1..bins by quantile; the named segments need 5.
    lang : {'fr', 'en'}, default 'fr'
        Language of the summary's suggested actions (text column).
    values : pandas.DataFrame, optional
        ``rfm_table(agg.customers, as_of=agg.as_of)`` computed beforehand (explorers keep it
        between changes).

    Returns
    -------
    RfmStudy
    """
    notes: list[StudyNote] = []
    rows = None  # positions of the buyers in agg.customers, when the table is made here
    if values is None:
        values, rows = _rfm_table(agg.customers, as_of=agg.as_of)
    # The hand-out list ranks the buyers by monetary value: that sort also gives the M
    # score's thresholds (no partition of the values). On the main thread: on the second,
    # its fresh buffers cost more page faults than the overlap saves.
    order = ascending = ranked = None
    if _ranks_by_keys(values["monetary"]):
        # _rfm_table's monetary values are _numbers' (no -0.0): read without a copy.
        order, descending = _descending_sort(
            values["monetary"].to_numpy(dtype=np.float64), normalised=rows is not None
        )
        ascending = descending[::-1]
        if rows is not None:  # the table's own values (no -0.0 the sort would read as 0.0)
            ranked = descending
    scores = _rfm_scores(values, bins=bins, monetary_ascending=ascending)
    segments = summary = pending = None
    with second_thread(len(scores)) as background:
        if bins == 5:
            segments = rfm_segments(scores)
            # On a large table the summary is made on a second thread while the hand-out
            # list is gathered.
            if background is not None:
                pending = background.submit(rfm_summary, segments, lang=lang)
            else:
                summary = rfm_summary(segments, lang=lang)
        else:
            notes.append(Note("rfm_needs_5_bins", {"bins": bins}))
        customer_segments = _buyer_list(
            agg.customers,
            scores if segments is None else segments,
            rows=rows,
            order=order,
            ranked=ranked,
        )
        if pending is not None:
            summary = pending.result()
    return RfmStudy(
        values=values,
        scores=scores,
        segments=segments,
        summary=summary,
        customer_segments=customer_segments,
        notes=tuple(notes),
    )


def _buyer_list(
    customers: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    rows: np.ndarray | None = None,
    order: np.ndarray | None = None,
    ranked: np.ndarray | None = None,
) -> pd.DataFrame:
    """The buyers' attributes and scores, largest revenue first (the RFM hand-out list).

    ``customers[attributes].merge(scores, on="customer_id")`` sorted by monetary value
    (stable). ``scores`` come from :func:`portfolio_lib.metrics.rfm.rfm_scores`. ``rows``: the
    positions in ``customers`` of the rows of ``rfm_table(customers)`` when the scores were
    made from it here. The scores of ``rfm_table(customers)`` are its buyers, in its order: the
    rows are then taken by position, without matching a million ids (checked when the table
    was made elsewhere). ``order``: ``_descending_order`` of the scores' monetary values when
    the caller has it (:func:`_ranks_by_keys` values); ``ranked``: those values in that order
    (``monetary.to_numpy()[order]``, as ``_descending_sort`` gives them), used as they are.
    """
    attributes = customers.filter(items=["customer_id", "name", "sales_rep", "segment", "region"])
    computed_here = rows is not None
    if rows is None and "customer_id" in attributes:
        try:
            rows = _rfm_buyers(customers)[0]
        except (PortfolioDataError, ValueError):  # scores made from another table
            rows = None
    aligned = rows is not None and len(rows) == len(scores) and "customer_id" in attributes
    if aligned and not computed_here:
        mine = attributes["customer_id"].take(rows).reset_index(drop=True)
        aligned = mine.equals(scores["customer_id"].reset_index(drop=True))
    if not aligned or "customer_id" not in scores:
        return (
            attributes.merge(scores, on="customer_id")
            .sort_values("monetary", ascending=False, kind="stable")
            .reset_index(drop=True)
        )
    monetary = scores["monetary"]
    if order is None:
        ranked = None  # the values in the caller's order only
    if order is None and _ranks_by_keys(monetary):
        order = _descending_order(monetary.to_numpy(dtype=np.float64))
    elif order is None:
        order = monetary.reset_index(drop=True).sort_values(ascending=False, kind="stable")
        order = order.index.to_numpy()
    right = scores.drop(columns="customer_id")
    digits = ["r_score", "f_score", "m_score"]
    scored = "rfm_code" in right and all(
        column in right and right[column].dtype == np.int64 for column in digits
    )
    # Columns not gathered: the sorted monetary values (the caller's sort gave them) and
    # rfm_code, written from the scores (rfm_scores): rewriting it from the sorted scores is
    # much cheaper than gathering a million Arrow strings.
    rewritten = {}
    if ranked is not None and right["monetary"].dtype == np.float64:
        rewritten["monetary"] = ranked
    if scored:
        rewritten["rfm_code"] = None  # written below, from the sorted scores
    taken = right.drop(columns=list(rewritten))
    # Integer columns (days, orders, scores 1..9) gathered in the narrowest integer type that
    # holds them, then widened back: a fraction of the memory to read at random.
    narrow = {}
    if taken.columns.is_unique:
        for column, values in taken.items():
            if values.dtype == np.int64:
                narrow[column] = _narrowest(values.to_numpy())
        narrow = {column: values for column, values in narrow.items() if values is not None}
        taken = taken.assign(**narrow)
    wide = dict.fromkeys(narrow, np.dtype(np.int64))
    out = _side_by_side(attributes, rows[order], taken, order, right_dtypes=wide)
    if scored:
        rewritten["rfm_code"] = _rfm_codes(*(out[c].to_numpy() for c in digits), out.index)
    # Back in their places, left to right (each insert keeps the ones before it in place).
    for column in sorted(rewritten, key=right.columns.get_loc):
        out.insert(
            len(attributes.columns) + right.columns.get_loc(column), column, rewritten[column]
        )
    return out


def _narrowest(values: np.ndarray) -> np.ndarray | None:
    """int64 ``values`` as the narrowest of int8, int16 and int32 that holds them all (a new
    array); None when empty or none does."""
    if not values.size:
        return None
    low, high = int(values.min()), int(values.max())
    for dtype in (np.int8, np.int16, np.int32):
        bounds = np.iinfo(dtype)
        if bounds.min <= low and high <= bounds.max:
            return values.astype(dtype)
    return None


def _ranks_by_keys(monetary: pd.Series) -> bool:
    """Whether ``_descending_order`` ranks these values as pandas' stable sort does: floats
    without NaN (pandas puts NaN last, the int64 keys would not)."""
    return pd.api.types.is_float_dtype(monetary.dtype) and not monetary.isna().any()


def _side_by_side(
    left: pd.DataFrame,
    left_rows: np.ndarray,
    right: pd.DataFrame,
    right_rows: np.ndarray,
    *,
    right_dtypes: Mapping[str, np.dtype] | None = None,
) -> pd.DataFrame:
    """Rows of ``left`` and of ``right`` taken by position and put side by side (new index).

    ``pd.concat([left.take(left_rows), right.take(right_rows).astype(right_dtypes)], axis=1)``
    with a new index, column by column: taking a block of several columns and then
    concatenating copies the million rows twice; each column's own array is taken once (and
    cast, numpy columns only) and kept as it is.
    """
    names = [*left.columns, *right.columns]
    # Repeated names (a dict cannot hold them) or unequal lengths (concat aligns): pandas.
    if len(set(names)) != len(names) or len(left_rows) != len(right_rows):
        right = right if not right_dtypes else right.astype(dict(right_dtypes))
        return pd.concat(
            [
                left.take(left_rows).reset_index(drop=True),
                right.take(right_rows).reset_index(drop=True),
            ],
            axis=1,
        )
    dtypes = [None] * len(left.columns) + [(right_dtypes or {}).get(c) for c in right.columns]
    taken = _taken((left, left_rows), (right, right_rows), dtypes=dtypes)
    columns = dict(zip(names, taken, strict=True))
    return pd.DataFrame(columns, index=pd.RangeIndex(len(left_rows)), copy=False)


def _rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``frame.take(rows)`` (positions, ascending or not; index labels kept), column by column.

    Taking a block of several columns gathers it row by row; each column's own array is
    taken instead, on two threads, and kept as it is.
    """
    if not frame.columns.is_unique:  # a dict cannot hold repeated names: pandas
        return frame.take(rows)
    columns = dict(zip(frame.columns, _taken((frame, rows)), strict=True))
    return pd.DataFrame(columns, index=frame.index.take(rows), copy=False)


def _taken(
    *parts: tuple[pd.DataFrame, np.ndarray], dtypes: Sequence[np.dtype | None] | None = None
) -> list[object]:
    """The array of every column of each ``(frame, rows)`` taken at its rows (new arrays).

    In column order, frame after frame. The gathers are independent and release the GIL: on
    two threads they take about half the time. ``dtypes``: per column, the numpy dtype to
    cast the taken values to (None: as they are), on the same threads.
    """
    work = [
        (column.to_numpy() if isinstance(column.dtype, np.dtype) else column.array, rows)
        for frame, rows in parts
        for _, column in frame.items()
    ]
    work = [(*item, None if dtypes is None else dtypes[i]) for i, item in enumerate(work)]

    def take(item: tuple[object, np.ndarray, np.dtype | None]) -> object:
        values, rows, dtype = item
        # Extension arrays (categoricals, Arrow strings) take their own way, without filling.
        taken = values.take(rows)
        return taken if dtype is None else taken.astype(dtype)

    return parallel_map(take, work)


# --------------------------------------------------------------------------------------------
# 07 alerts


@dataclass(frozen=True, eq=False, repr=False)
class AlertsStudy(StudyResult):
    """Risk alerts (notebook 07).

    Attributes
    ----------
    alerts : pandas.DataFrame
        :func:`portfolio_lib.metrics.alerts.customer_alerts`, by priority (may be empty).
    by_rep : pandas.DataFrame
        :func:`portfolio_lib.metrics.alerts.alerts_by_rep` with every rep of the customer table.
    notes : tuple
        No alert with these thresholds; no ``sales_rep`` column (everyone under 'unknown').
    """

    alerts: pd.DataFrame
    by_rep: pd.DataFrame
    notes: tuple[StudyNote, ...] = ()

    def sheets(self) -> dict[str, pd.DataFrame]:
        """The Excel hand-out: the summary, then one sheet per rep with their alerts."""
        per_rep = {
            str(rep): rows
            for rep, rows in self.alerts.set_index("priority").groupby("sales_rep", observed=True)
        }
        return {"alerts_summary": self.by_rep, **per_rep}


def alerts_study(
    agg: Aggregates,
    *,
    drop_alert: float = DEFAULTS["drop_alert"],
    gap_alert: float = DEFAULTS["gap_alert"],
    top_at_risk: int = DEFAULTS["top_at_risk"],
    window: int = DEFAULTS["lifecycle_window_months"],
) -> AlertsStudy:
    """Customers at risk (revenue drop, overdue order, key account) and the per-rep summary.

    Parameters
    ----------
    agg : Aggregates
    drop_alert : float, default 0.30
        Alert when revenue falls by more than this share.
    gap_alert : float, default 2.0
        Alert when the days since the last order exceed this many usual gaps.
    top_at_risk : int, default 20
        How many of the largest customers are watched as key accounts.
    window : int, default 12
        Months of each revenue window compared.

    Returns
    -------
    AlertsStudy
    """
    notes: list[StudyNote] = []
    alerts = customer_alerts(
        agg.monthly,
        agg.customers,
        months=agg.months,
        as_of=agg.as_of,
        drop_alert=drop_alert,
        gap_alert=gap_alert,
        top_at_risk=top_at_risk,
        window=window,
    )
    reps = agg.customers.get("sales_rep")
    if reps is None:
        notes.append(
            PortfolioDataError(
                "missing_attribute",
                file="customers",
                analysis="alerts per sales rep",
                column="sales_rep",
                found=", ".join(map(str, agg.customers.columns)),
            )
        )
    if len(alerts) == 0:
        notes.append(Note("no_alerts"))
    return AlertsStudy(alerts=alerts, by_rep=alerts_by_rep(alerts, reps=reps), notes=tuple(notes))
