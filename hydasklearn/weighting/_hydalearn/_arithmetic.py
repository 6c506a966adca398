"""HydaLearn's arithmetic as pure functions: gradients in, gains and weights out.

Nothing here touches a network, so that each function can be checked with
fake gradients whose inner products are known. The gain functions take the
per-task gradients (tensors); the weight rules work on one short vector per
step (one entry per task) and use NumPy in float64, since on vectors that
short torch's per-operation overhead would be most of a measured step's cost.

- gains: :func:`reference_gains` (each task's gradient against one reference
  direction, e.g. the previous mini-batch's main-task gradient) and
  :func:`per_unit_length` (gains of steps of the same length along every
  task's direction);
- weights: :func:`gains_to_weights` (the paper's rule, weights proportional
  to the positive gains) and :func:`evidence_weights` (an auxiliary task on
  while its average gain is clearly positive);
- averages: :func:`smooth` (an exponential moving average across steps) and
  :func:`moving_moments` with :func:`moving_average_and_error` (the same
  average, unbiased, with its standard error).

References
----------
S. Verboven, M. H. Chaudhary, J. Berrevoets, V. Ginis, W. Verbeke,
"HydaLearn: Highly Dynamic Task Weighting for Multi-task Learning with
Auxiliary Tasks", Applied Intelligence 53(5):5808-5822, 2023; arXiv:2008.11643.
"""

from __future__ import annotations

import numpy as np
import torch


def reference_gains(task_gradients, reference, step_size=1.0):
    """First-order main-task gains against a reference direction.

    The gain of a look-ahead step of size ``eta`` along task k's gradient
    ``g_k`` is the drop of the main-task loss, ``M(theta) - M(theta - eta g_k)``
    (Verboven et al., 2023); to first order it is ``eta <g_k, grad M>``.

    Parameters
    ----------
    task_gradients : Tensor of shape (n_tasks, n_values)
        Every task's gradient (main task first) of the shared parameters.
    reference : Tensor of shape (n_values,)
        Gradient of the main-task loss on the gain data. When it comes from
        other samples than ``g_k`` (the previous mini-batch), the gain has no
        self-gain bias: on the same batch the main task's own gain
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


def per_unit_length(gains, task_gradients):
    """Gains of steps of the same length along every task's direction.

    ``gain_k / |g_k|``: the drop of the main loss per unit step length along
    ``g_k / |g_k|`` (a directional derivative). A task's weight then no longer
    grows with the size of its gradient (its loss scale), only with how well
    its direction agrees with the reference's.

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


def gains_to_weights(gains):
    """The paper's weight rule: weights proportional to the positive gains.

    ``w_i / w_j = delta_i / delta_j`` (Verboven et al., 2023), scaled so that
    the weights sum to the number of tasks (all ones is equal weighting).

    Parameters
    ----------
    gains : array-like of shape (n_tasks,)
        Main-task gain of a step along each task's gradient, main task first.

    Returns
    -------
    ndarray of shape (n_tasks,)
        A task whose gain is <= 0 or not finite gets weight 0. When no gain
        is positive (every step would hurt the main task, gradients are zero,
        or gains are not finite), all the weight goes to the main task.

    Examples
    --------
    >>> gains_to_weights([2.0, 1.0, -1.0])
    array([2., 1., 0.])
    >>> gains_to_weights([0.0, -1.0])
    array([2., 0.])
    """
    positive = np.clip(finite(gains), 0, None)
    scale = positive.sum() / len(positive)
    if not scale > 0:
        positive = np.zeros_like(positive)
        positive[0] = 1.0
        scale = 1.0 / len(positive)
    return positive / scale


def evidence_weights(mean, error, evidence=2.0, previous=None, release=0.0):
    """Weights from the evidence that each auxiliary task helps: main 1, auxiliary 0 or 1.

    An auxiliary task joins the trunk's update while the average of its
    score is more than ``evidence`` standard errors above 0; otherwise it
    gets weight 0. A score that is zero on average (a pure-noise task)
    passes only by chance, whatever its spread; a task whose step helps the
    main task on batch after batch passes for good.

    Parameters
    ----------
    mean, error : array-like of shape (n_tasks,)
        Average score of every task (main task first) and its standard
        error (see :func:`moving_moments`; ``inf`` while it is not known).
    evidence : float, default=2.0
        Standard errors the average must clear.
    previous : array-like of shape (n_tasks,) or None
        The weights of the previous step. A task already on stays on while
        its average is above ``-release`` standard errors (an average that is
        exactly 0, a task with no labels, does not keep it on): evidence is
        needed to switch a task on, not to keep it on.
    release : float, default=0.0
        With ``previous``: a task that is on is switched off only once its
        average is more than ``release`` standard errors below 0.

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
    # read, not changed: no copy where they are float arrays already (the rule's own)
    mean, error = np.asarray(mean, dtype=float), np.asarray(error, dtype=float)
    # A zero factor is a zero threshold, also where the error is still inf (nothing known
    # yet): inf * 0 would be NaN, and np.errstate costs more than the rule on short vectors.
    on = (mean > (evidence * error if evidence > 0 else 0.0)) & (mean > 0)
    if previous is not None:
        on |= ((as_vector(previous) > 0) & (mean > (-release * error if release > 0 else 0.0))
               & (mean != 0))
    weights = on.astype(float)
    weights[0] = 1.0
    return weights


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
    values = finite(values)
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

    Examples
    --------
    >>> moments = moving_moments(None, [1.0], 0.5)
    >>> moving_average_and_error(moments)
    (array([1.]), array([inf]))
    """
    total, weighted, squares, square_weights = moments
    mean = weighted / total
    spread = np.maximum(squares / total - mean * mean, 0)
    concentration = square_weights / total ** 2  # 1 / the effective number of values
    variance = np.full_like(mean, np.inf)
    np.divide(spread, 1 - concentration, out=variance, where=concentration < 1)
    return mean, np.sqrt(variance * concentration)


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
    current = finite(current)
    if previous is None or momentum == 0:
        return current
    return momentum * as_vector(previous) + (1 - momentum) * current


def as_vector(values):
    """A float64 NumPy copy of an array-like or a tensor (of any dtype, on any device).

    Examples
    --------
    >>> import torch
    >>> as_vector(torch.tensor([1.0, 2.0]))
    array([1., 2.])
    """
    if isinstance(values, torch.Tensor):
        values = values.tolist()  # exact, and far cheaper than a float64 tensor copy
    return np.array(values, dtype=float)


def finite(values):
    """A float64 copy of ``values`` with non-finite entries set to 0.

    Examples
    --------
    >>> finite([1.0, float("nan"), float("inf")])
    array([1., 0., 0.])
    """
    vector = as_vector(values)
    finite_entries = np.isfinite(vector)
    if not finite_entries.all():  # cheaper than np.nan_to_num on short vectors
        vector[~finite_entries] = 0.0
    return vector
