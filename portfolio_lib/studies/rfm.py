"""RFM segmentation (notebook 05): scores, named segments and the hand-out list."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics.rfm import (
    rfm_class_summary,
    rfm_classes,
    rfm_scores,
    rfm_segments,
    rfm_summary,
    rfm_table,
)
from portfolio_lib.studies.base import Note, StudyNote, StudyResult

__all__ = ["RfmStudy", "rfm_study", "rfm_weighted"]


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
        (and segment), weighted score and class, largest revenue first: the hand-out list.
    classes : pandas.DataFrame
        :func:`portfolio_lib.metrics.rfm.rfm_class_summary`: the five classes of the weighted
        score (très fort to très faible).
    weights : tuple
        w_R, w_F, w_M of the weighted score.
    notes : tuple
    """

    values: pd.DataFrame
    scores: pd.DataFrame
    segments: pd.DataFrame | None
    summary: pd.DataFrame | None
    customer_segments: pd.DataFrame
    classes: pd.DataFrame | None = None
    weights: tuple[float, float, float] = DEFAULTS["rfm_weights"]
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
    weights: tuple[float, float, float] = DEFAULTS["rfm_weights"],
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
    weights : (float, float, float), default (1, 1, 1)
        w_R, w_F, w_M of the weighted score whose five classes go from très fort to très
        faible (:func:`portfolio_lib.metrics.rfm.rfm_classes`).

    Returns
    -------
    RfmStudy
    """
    notes: list[StudyNote] = []
    if values is None:
        values = rfm_table(agg.customers, as_of=agg.as_of)
    scores = rfm_classes(rfm_scores(values, bins=bins), weights=weights)
    segments = summary = None
    if bins == 5:
        segments = rfm_segments(scores)
        summary = rfm_summary(segments, lang=lang)
    else:
        notes.append(Note("rfm_needs_5_bins", {"bins": bins}))
    attributes = agg.customers.filter(
        items=["customer_id", "name", "sales_rep", "segment", "region"]
    )
    customer_segments = _hand_out_list(attributes, scores if segments is None else segments)
    return RfmStudy(
        values=values,
        scores=scores,
        segments=segments,
        summary=summary,
        customer_segments=customer_segments,
        classes=rfm_class_summary(scores),
        weights=tuple(float(x) for x in weights),
        notes=tuple(notes),
    )


def rfm_weighted(study: RfmStudy, weights: tuple[float, float, float]) -> RfmStudy:
    """``study`` with its weighted score and classes redone for ``weights``: what
    ``rfm_study(..., weights=weights)`` gives, without redoing the scores, segments and list
    (an explorer's weight sliders)."""
    bins = study.scores.attrs.get("bins", 5)
    scores = rfm_classes(study.scores, weights=weights)
    listing = study.customer_segments.copy(deep=False)
    listing.attrs["bins"] = bins
    listing = rfm_classes(listing, weights=weights)
    return replace(
        study,
        scores=scores,
        customer_segments=listing,
        classes=rfm_class_summary(scores),
        weights=tuple(float(x) for x in weights),
    )


def _hand_out_list(attributes: pd.DataFrame, scored: pd.DataFrame) -> pd.DataFrame:
    """``attributes.merge(scored, on="customer_id")`` sorted by ``monetary`` descending.

    Ties keep the merge's order (the attributes' rows). The rows are matched by position
    and each table is reordered once, rather than merged and then sorted whole.
    """
    ids = attributes["customer_id"]
    if ids.dtype != scored["customer_id"].dtype or set(attributes) & set(scored) != {"customer_id"}:
        merged = attributes.merge(scored, on="customer_id")
        return merged.sort_values("monetary", ascending=False, kind="stable").reset_index(drop=True)
    position = pd.Index(ids).get_indexer(scored["customer_id"])  # customers are unique
    order = np.flatnonzero(position >= 0)  # the scored customers found, in scored order
    # The merge's order (the attributes'), then a stable sort by monetary value, descending.
    if np.any(np.diff(position[order]) < 0):
        order = order[np.argsort(position[order], kind="stable")]
    order = order[np.argsort(-scored["monetary"].to_numpy()[order], kind="stable")]
    return pd.concat(
        [
            attributes.take(position[order]).reset_index(drop=True),
            scored.drop(columns="customer_id").take(order).reset_index(drop=True),
        ],
        axis=1,
    )
