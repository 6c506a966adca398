"""Adapter to the aggregators of torchjd (UPGrad, MGDA, CAGrad, Nash-MTL, ...)."""

from __future__ import annotations

import copy

import torch

from ._base import Decision, WeightingStrategy
from ._common import trunk_update

INSTALL_HINT = "pip install 'hydasklearn[torchjd]'"


def _aggregation_module():
    try:
        import torchjd.aggregation
    except ImportError as error:
        raise ImportError(
            f"TorchJDAggregator needs the optional dependency torchjd; install it with "
            f"{INSTALL_HINT}."
        ) from error
    return torchjd.aggregation


def torchjd_aggregators():
    """Names accepted by ``TorchJDAggregator(aggregator=...)``, lower case -> class.

    Returns
    -------
    dict
        Every concrete aggregator class of ``torchjd.aggregation``. Some need
        constructor arguments (``Krum``, ``TrimmedMean``, ``Constant``,
        ``NashMTL``, ...): pass those as objects.
    """
    aggregation = _aggregation_module()
    bases = {aggregation.Aggregator, aggregation.WeightedAggregator,
             aggregation.GramianWeightedAggregator}
    classes = {}
    for name in aggregation.__all__:
        candidate = getattr(aggregation, name)
        if (isinstance(candidate, type) and issubclass(candidate, aggregation.Aggregator)
                and candidate not in bases):
            classes[name.lower()] = candidate
    return classes


class TorchJDAggregator(WeightingStrategy):
    """Combine the task gradients with an aggregator from torchjd.

    torchjd implements many multi-objective aggregation methods (UPGrad,
    MGDA, CAGrad, Nash-MTL, Aligned-MTL, DualProj, IMTL-G, GradDrop, ...). This
    strategy hands them the matrix of per-task gradients of the shared
    parameters (one row per task) and moves the trunk along their result.
    Aggregators that are functions of the Gramian of that matrix (most of
    them) receive ``TrainingStep.gramian``, the inner products HydaLearn's
    first-order gains use, and their weights combine the gradients.

    Requires the optional dependency: ``pip install 'hydasklearn[torchjd]'``
    (an ImportError says so at fit time otherwise).

    Parameters
    ----------
    aggregator : str or torchjd Aggregator, default="upgrad"
        A name (case-insensitive class name in ``torchjd.aggregation``, e.g.
        ``"upgrad"``, ``"mgda"``, ``"dualproj"``, ``"alignedmtl"``,
        ``"imtlg"``, ``"graddrop"``) built with its default arguments, or an
        aggregator object (copied at the start of every fit).

    Notes
    -----
    The aggregator acts on the shared parameters only: every head is trained
    on its own loss (torchjd's multi-task convention). ``weight_history_``
    records the effective trunk weights (the trunk update is
    ``sum_k c_k g_k``) for aggregators that are weighted combinations, and
    ones for the others (e.g. GradDrop). Tasks with no label in the batch are
    left out of the aggregation (a zero row would, e.g., make MGDA's update
    zero). Randomized aggregators draw from torch's random state, which the
    estimator seeds from its ``random_state``.

    References
    ----------
    .. [1] P. Quinton, V. Rey, "Jacobian Descent for Multi-Objective
       Optimization", arXiv:2406.16232, 2024 (torchjd, UPGrad).
    .. [2] O. Sener, V. Koltun, "Multi-Task Learning as Multi-Objective
       Optimization", NeurIPS 2018 (MGDA).

    Examples
    --------
    Constructing the strategy needs no torchjd; fitting does.

    >>> from hydasklearn import HydaMultiTaskClassifier
    >>> from hydasklearn.weighting import TorchJDAggregator
    >>> model = HydaMultiTaskClassifier(weighting=TorchJDAggregator("mgda"))
    >>> model.get_params()["weighting__aggregator"]
    'mgda'
    """

    def __init__(self, aggregator="upgrad"):
        self.aggregator = aggregator

    def start(self, task_names, task_types, random_state=None):
        super().start(task_names, task_types, random_state)
        aggregation = _aggregation_module()
        if isinstance(self.aggregator, str):
            classes = torchjd_aggregators()
            name = self.aggregator.lower()
            if name not in classes:
                raise ValueError(f"Unknown torchjd aggregator {self.aggregator!r}; expected one "
                                 f"of {sorted(classes)} or an aggregator object.")
            try:
                self.aggregator_ = classes[name]()
            except TypeError as error:
                raise ValueError(
                    f"torchjd's {classes[name].__name__} needs arguments; pass an aggregator "
                    f"object instead of {self.aggregator!r}.") from error
        elif isinstance(self.aggregator, aggregation.Aggregator):
            self.aggregator_ = copy.deepcopy(self.aggregator)
        else:
            raise ValueError("TorchJDAggregator aggregator must be a name or a torchjd "
                             f"Aggregator, got {self.aggregator!r}.")

    def weigh(self, step):
        aggregation = _aggregation_module()
        active = torch.nonzero(step.labeled > 0).flatten().to(step.losses.device)
        with torch.no_grad():
            if isinstance(self.aggregator_, aggregation.GramianWeightedAggregator):
                gramian = step.gramian[active][:, active].detach()
                active_weights = self.aggregator_.gramian_weighting(gramian)
            elif isinstance(self.aggregator_, aggregation.WeightedAggregator):
                active_weights = self.aggregator_.weighting(step.shared_gradients[active].detach())
            else:
                direction = self.aggregator_(step.shared_gradients[active].detach())
                ones = step.ones()  # recorded weights; every head keeps its own gradient
                return Decision(ones, head_weights=ones, trunk_gradient=direction)
        coefficients = torch.zeros(step.n_tasks, dtype=active_weights.dtype,
                                   device=active_weights.device)
        coefficients[active] = active_weights
        return trunk_update(step, coefficients)
