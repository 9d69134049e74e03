"""RFM segmentation (notebook 05): scores, named segments and the hand-out list."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics.rfm import rfm_scores, rfm_segments, rfm_summary, rfm_table
from portfolio_lib.studies.base import Note, StudyNote, StudyResult

__all__ = ["RfmStudy", "rfm_study"]


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
    if values is None:
        values = rfm_table(agg.customers, as_of=agg.as_of)
    scores = rfm_scores(values, bins=bins)
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
        notes=tuple(notes),
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
    position_order = np.flatnonzero(position >= 0)
    # The merge's order (the attributes'), then a stable sort by monetary value, descending.
    order = position_order[np.argsort(position[position_order], kind="stable")]
    order = order[np.argsort(-scored["monetary"].to_numpy()[order], kind="stable")]
    return pd.concat(
        [
            attributes.take(position[order]).reset_index(drop=True),
            scored.drop(columns="customer_id").take(order).reset_index(drop=True),
        ],
        axis=1,
    )
