"""HydaLearn's arithmetic as pure functions: gradients in, gains and weights out.

Nothing here touches a network, so that each function can be checked with
fake gradients whose inner products are known. The gain functions take the
per-task gradients (tensors); the weight rules work on one short vector per
step (one entry per task) and use NumPy, since on vectors that short torch's
per-operation overhead would be most of a measured step's cost.

- gains: :func:`reference_gains` (each task's gradient against one reference
  direction, e.g. the previous mini-batch's main-task gradient) and
  :func:`crossfit_gains` (the two halves of a batch, each measured against
  the other's main-task gradient), and :func:`per_unit_length` (gains of
  steps of the same length along every task's direction);
- weights: :func:`gains_to_weights` (HydaLearn's rule, weights proportional
  to the positive gains), :func:`relative_gains` (an auxiliary task's gain
  beside a share of the main task's own), :func:`evidence_weights` (an
  auxiliary task on while its average score is clearly positive) and
  :func:`bound_main_weight` (a floor and a ceiling on the main task's share);
- averages: :func:`smooth` (an exponential moving average across steps) and
  :func:`moving_moments` with :func:`moving_average_and_error` (the same
  average, unbiased, with its standard error).
"""

from __future__ import annotations

import numpy as np
import torch

NORMALIZATIONS = ("sum", "max")


def reference_gains(task_gradients, reference, step_size=1.0):
    """First-order main-task gains against a reference direction.

    Parameters
    ----------
    task_gradients : Tensor of shape (n_tasks, n_values)
        Every task's gradient (main task first) of the shared parameters.
    reference : Tensor of shape (n_values,)
        Gradient of the main-task loss on the gain data: for a step of size
        ``eta`` along ``g_k`` the main loss there drops by about
        ``eta <g_k, reference>``. When the reference comes from other samples
        than ``g_k`` (a held-out batch, the previous mini-batch), the gain has
        no self-gain bias: on the same batch the main task's own gain
        ``eta |g_0|^2`` also counts the batch's label noise, which its step
        fits.
    step_size : float, default=1.0
        The look-ahead step ``eta``.

    Returns
    -------
    Tensor of shape (n_tasks,)

    Examples
    --------
    >>> import torch
    >>> g = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -2.0]])
    >>> reference_gains(g, torch.tensor([2.0, 1.0]), step_size=0.5)
    tensor([ 1.0000,  1.5000, -1.0000])
    """
    return step_size * (task_gradients @ reference)


def crossfit_gains(first_half, second_half, step_size=1.0):
    """First-order main-task gains cross-fitted over the two halves of a batch.

    Each task's gradient on one half of the batch is measured against the
    main-task gradient on the *other* half, so that no sample's label noise
    rewards its own fit: ``gain_k = 2 eta (<a_k, b_0> + <b_k, a_0>)``, where
    ``a_k`` and ``b_k`` are the two halves' shares of task k's batch gradient
    (``a_k + b_k = g_k``). The factor 2 makes it ``eta <g_k, g_0>`` when the
    halves agree (``a = b = g / 2``), the scale of the other gains.

    Parameters
    ----------
    first_half, second_half : Tensor of shape (n_tasks, n_values)
        Each half's share of every task's gradient, main task first.
    step_size : float, default=1.0

    Returns
    -------
    Tensor of shape (n_tasks,)

    Examples
    --------
    >>> import torch
    >>> a = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    >>> b = torch.tensor([[0.0, 1.0], [0.5, 0.5]])
    >>> crossfit_gains(a, b)  # main: its halves are orthogonal, so no gain
    tensor([0., 2.])
    """
    return 2 * step_size * (first_half @ second_half[0] + second_half @ first_half[0])


def per_unit_length(gains, task_gradients):
    """Gains of steps of the same length along every task's direction.

    ``gain_k / |g_k|``: the drop of the main loss per unit step length along
    ``g_k / |g_k|`` (a directional derivative). A task's weight then no longer
    grows with the size of its gradient (its loss scale), only with how well
    its direction agrees with the reference's. With a reference from other
    samples this is ``|reference|`` times the cosine of ``g_k`` and the
    reference, so a clean related task can outweigh a main task whose own
    per-batch gradient is mostly label noise.

    Parameters
    ----------
    gains : Tensor of shape (n_tasks,)
    task_gradients : Tensor of shape (n_tasks, n_values)

    Returns
    -------
    Tensor of shape (n_tasks,)
        0 where a gradient is zero.

    Examples
    --------
    >>> import torch
    >>> per_unit_length(torch.tensor([2.0, 3.0, 1.0]),
    ...                 torch.tensor([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
    tensor([1., 3., 0.])
    """
    norms = torch.linalg.vector_norm(task_gradients, dim=1).to(gains)
    return torch.where(norms > 0, gains / torch.where(norms > 0, norms, 1), 0)


def gains_to_weights(gains, normalization="sum"):
    """HydaLearn's weight rule: weights proportional to the positive gains.

    Parameters
    ----------
    gains : array-like of shape (n_tasks,)
        Main-task gain of a step along each task's gradient, main task first.
    normalization : {"sum", "max"}
        ``"sum"``: the weights sum to ``n_tasks`` (so equal weighting is all
        ones); ``"max"``: the largest weight is 1.

    Returns
    -------
    ndarray of shape (n_tasks,)
        ``w_i / w_j = gain_i / gain_j`` among tasks with a positive gain; a
        task whose gain is <= 0 or not finite gets weight 0. When no gain is
        positive (every step would hurt the main task, gradients are zero, or
        gains are not finite), all the weight goes to the main task.

    Examples
    --------
    >>> gains_to_weights([2.0, 1.0, -1.0])
    array([2., 1., 0.])
    >>> gains_to_weights([0.0, -1.0], normalization="max")
    array([1., 0.])
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"Unknown normalization {normalization!r}; "
                         f"expected one of {NORMALIZATIONS}.")
    positive = np.clip(_finite(gains), 0, None)
    scale = positive.sum() / len(positive) if normalization == "sum" else positive.max()
    if not scale > 0:
        positive = np.zeros_like(positive)
        positive[0] = 1.0
        scale = 1.0 / len(positive) if normalization == "sum" else 1.0
    return positive / scale


def evidence_weights(mean, error, evidence=2.0, previous=None, release=0.0):
    """Weights from the evidence that each auxiliary task helps: main 1, auxiliary 0 or 1.

    An auxiliary task joins the trunk's update while the average of its
    score (its gain, or its gain less a share of the main task's, see
    :func:`relative_gains`) is more than ``evidence`` standard errors above
    0; otherwise it gets weight 0. A score that is zero on average (a
    pure-noise task) passes only by chance, whatever its spread; a task
    whose step helps the main task on batch after batch passes for good.

    Parameters
    ----------
    mean, error : array-like of shape (n_tasks,)
        Average score of every task (main task first) and its standard
        error (see :func:`moving_moments`; ``inf`` while it is not known).
    evidence : float, default=2.0
        Standard errors the average must clear.
    previous : array-like of shape (n_tasks,) or None
        The weights of the previous step. A task already on stays on while
        its average is above ``-release`` standard errors (hysteresis; an
        average that is exactly 0, a task with no labels, does not keep it
        on): evidence is needed to switch a task on, not to keep it on, so
        that a task whose average hovers near the threshold is not switched
        on and off from batch to batch.
    release : float, default=0.0
        With ``previous``: a task that is on is switched off only once its
        average is more than ``release`` standard errors below 0 (0: as soon
        as it is not positive).

    Returns
    -------
    ndarray of shape (n_tasks,)
        1 for the main task; 1 or 0 for every auxiliary task.

    Examples
    --------
    >>> evidence_weights([1.0, 0.5, 0.1, -0.4], error=[0.2, 0.2, 0.2, 0.2])
    array([1., 1., 0., 0.])
    >>> evidence_weights([1.0, 0.5, 0.1, -0.4], [0.2, 0.2, 0.2, 0.2],
    ...                  previous=[1, 1, 1, 1], release=2.0)
    array([1., 1., 1., 0.])
    """
    mean, error = as_vector(mean), as_vector(error)
    # A zero factor is a zero threshold, also where the error is still inf (nothing known
    # yet): inf * 0 would be NaN, and np.errstate costs more than the rule on short vectors.
    on = (mean > (evidence * error if evidence > 0 else 0.0)) & (mean > 0)
    if previous is not None:
        on |= ((as_vector(previous) > 0) & (mean > (-release * error if release > 0 else 0.0))
               & (mean != 0))
    weights = on.astype(float)
    weights[0] = 1.0
    return weights


def relative_gains(gains, ratio):
    """Each auxiliary task's gain less ``ratio`` times the main task's own gain.

    Per unit length (:func:`per_unit_length`) a gain is ``|reference|`` times
    the cosine of the task's direction with the reference (the main-task
    gradient on other samples). A positive ``gains[k] - ratio * gains[0]``
    says that task k's direction agrees with the reference at least
    ``ratio`` times as well as the main task's own: a task that is nearly
    orthogonal to a clean main task (a small positive gain) then counts as
    no help, since it only takes the trunk's capacity, while beside a noisy
    main task (whose own gain is small) a related task counts fully.

    Parameters
    ----------
    gains : array-like of shape (n_tasks,)
    ratio : float
        0 returns the gains.

    Returns
    -------
    ndarray of shape (n_tasks,)
        The main task's entry is its gain.

    Examples
    --------
    >>> relative_gains([2.0, 1.5, 0.2], ratio=0.25)
    array([ 2. ,  1. , -0.3])
    """
    relative = _finite(gains)
    relative[1:] -= ratio * relative[0]
    return relative


def moving_moments(moments, values, momentum):
    """One step of an exponential moving average that also knows its own precision.

    ``moments`` holds four rows of shape (n_values,): the total weight
    ``1 - m^t`` of the ``t`` values so far, the weighted sum of the values,
    of their squares, and the sum of the squared weights. The average is
    then not biased towards its first value, and its standard error (see
    :func:`moving_average_and_error`) accounts for how few values it holds.

    Parameters
    ----------
    moments : ndarray of shape (4, n_values) or None
        None before the first value.
    values : array-like of shape (n_values,)
        Non-finite entries count as 0.
    momentum : float in (0, 1)

    Returns
    -------
    ndarray of shape (4, n_values)

    Examples
    --------
    >>> moments = moving_moments(None, [1.0], 0.5)
    >>> moments = moving_moments(moments, [3.0], 0.5)
    >>> moving_average_and_error(moments)[0]  # weights 1/4 and 1/2, then / 3/4
    array([2.33333333])
    """
    values = _finite(values)
    fresh = 1 - momentum
    updated = np.zeros((4, len(values))) if moments is None else momentum * moments
    updated[3] *= momentum  # squared weights decay by momentum ** 2
    # Row by row rather than a stacked update: on a few tasks NumPy's
    # per-call overhead is the cost.
    updated[0] += fresh
    updated[1] += fresh * values
    updated[2] += fresh * values * values
    updated[3] += fresh * fresh
    return updated


def moving_average_and_error(moments):
    """The average of :func:`moving_moments` and its standard error.

    The variance is the weighted sample variance, corrected for the number
    of values the weights amount to, and the error is
    ``sqrt(variance * sum(w^2)) / sum(w)``: for long runs
    ``sqrt(variance (1 - m) / (1 + m))``; after one value it is ``inf``
    (nothing is known about the spread yet).

    Parameters
    ----------
    moments : ndarray of shape (4, n_values)

    Returns
    -------
    mean, error : ndarray of shape (n_values,)
    """
    total, weighted, squares, square_weights = moments
    mean = weighted / total
    spread = np.maximum(squares / total - mean * mean, 0)
    concentration = square_weights / total ** 2  # 1 / the effective number of values
    variance = np.full_like(mean, np.inf)
    np.divide(spread, 1 - concentration, out=variance, where=concentration < 1)
    return mean, np.sqrt(variance * concentration)


def bound_main_weight(weights, floor=0.0, ceiling=None):
    """Keep the main task's weight within ``[floor, ceiling]``, the total unchanged.

    Parameters
    ----------
    weights : array-like of shape (n_tasks,)
        Non-negative weights, main task first (e.g. from
        :func:`gains_to_weights`); their sum ``T`` is kept.
    floor : float, default=0.0
        Least main-task weight. With weights that sum to the number of tasks,
        ``floor=1`` means the main task never gets less than under equal
        weighting: its own gradient is the one unbiased estimate of the
        direction that lowers its loss, and a noisy gain must not switch it
        off.
    ceiling : float or None, default=None
        Largest main-task weight (``None``: ``T``). Below ``T`` it keeps a
        share ``T - ceiling`` for the auxiliary tasks whenever one of them
        has a positive weight, which counters the main task's self-gain.

    Returns
    -------
    ndarray of shape (n_tasks,)
        The main weight clipped to ``[floor, ceiling]`` (and to ``[0, T]``);
        the auxiliary weights rescaled in proportion so that the sum is still
        ``T``. When every auxiliary weight is 0 there is nothing to rescale
        and the weights are returned unchanged (all of ``T`` on the main task).

    Examples
    --------
    >>> bound_main_weight([0.5, 2.0, 0.5], floor=1.0)
    array([1. , 1.6, 0.4])
    >>> bound_main_weight([2.5, 0.5, 0.0], ceiling=2.0)
    array([2., 1., 0.])
    """
    bounded = as_vector(weights)
    total, auxiliary = bounded.sum(), bounded[1:].sum()
    if not auxiliary > 0 or (floor <= 0 and ceiling is None):
        return bounded
    high = total if ceiling is None else min(float(ceiling), total)
    main = min(max(bounded[0], min(float(floor), total)), high)
    bounded[1:] *= (total - main) / auxiliary
    bounded[0] = main
    return bounded


def smooth(previous, current, momentum):
    """One step of an exponential moving average: ``m * previous + (1 - m) * current``.

    Parameters
    ----------
    previous : array-like or None
        The average so far; ``None`` at the first step (the average starts at
        ``current``).
    current : array-like
        This step's value. Non-finite entries count as 0.
    momentum : float in [0, 1)
        0 returns ``current``: no smoothing.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> smooth([1.0, 0.0], [0.0, 1.0], 0.75)
    array([0.75, 0.25])
    >>> smooth(None, [2.0], 0.9)
    array([2.])
    """
    current = _finite(current)
    if previous is None or momentum == 0:
        return current
    return momentum * as_vector(previous) + (1 - momentum) * current


def as_vector(values):
    """A float64 NumPy copy of an array-like or a tensor (of any dtype, on any device)."""
    if isinstance(values, torch.Tensor):
        values = values.tolist()  # exact, and far cheaper than a float64 tensor copy
    return np.array(values, dtype=float)


def _finite(values):
    """A float64 copy of ``values`` with non-finite entries set to 0."""
    finite = as_vector(values)
    finite[~np.isfinite(finite)] = 0.0  # cheaper than np.nan_to_num on short vectors
    return finite
