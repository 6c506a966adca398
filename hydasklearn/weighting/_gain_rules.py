"""HydaLearn's arithmetic as pure functions: gradients in, gains and weights out.

Nothing here touches a network: every function takes tensors (per-task
gradients, gains, weights) and returns a tensor, so that each can be checked
with fake gradients whose inner products are known.

- gains: :func:`reference_gains` (each task's gradient against one reference
  direction, e.g. the previous mini-batch's main-task gradient) and
  :func:`crossfit_gains` (the two halves of a batch, each measured against
  the other's main-task gradient), and :func:`per_unit_length` (gains of
  steps of the same length along every task's direction);
- weights: :func:`gains_to_weights` (HydaLearn's rule, weights proportional
  to the positive gains), :func:`evidence_weights` (an auxiliary task at the
  main task's weight while its average gain is clearly positive) and
  :func:`bound_main_weight` (a floor and a ceiling on the main task's share);
- smoothing: :func:`smooth` (an exponential moving average across steps).
"""

from __future__ import annotations

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
    gains : Tensor of shape (n_tasks,)
        Main-task gain of a step along each task's gradient, main task first.
    normalization : {"sum", "max"}
        ``"sum"``: the weights sum to ``n_tasks`` (so equal weighting is all
        ones); ``"max"``: the largest weight is 1.

    Returns
    -------
    Tensor of shape (n_tasks,)
        ``w_i / w_j = gain_i / gain_j`` among tasks with a positive gain; a
        task whose gain is <= 0 or not finite gets weight 0. When no gain is
        positive (every step would hurt the main task, gradients are zero, or
        gains are not finite), all the weight goes to the main task.

    Examples
    --------
    >>> import torch
    >>> gains_to_weights(torch.tensor([2.0, 1.0, -1.0]))
    tensor([2., 1., 0.])
    >>> gains_to_weights(torch.tensor([0.0, -1.0]), normalization="max")
    tensor([1., 0.])
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"Unknown normalization {normalization!r}; "
                         f"expected one of {NORMALIZATIONS}.")
    positive = torch.nan_to_num(gains, nan=0.0, posinf=0.0, neginf=0.0).clamp_(min=0)
    scale = positive.sum() / len(gains) if normalization == "sum" else positive.max()
    if not bool(scale > 0):
        positive = torch.zeros_like(gains)
        positive[0] = 1.0
        scale = 1.0 / len(gains) if normalization == "sum" else 1.0
    return positive / scale


def evidence_weights(mean, mean_square, momentum, evidence=2.0, previous=None, release=0.0):
    """Weights from the evidence that each auxiliary task helps: main 1, auxiliary 0 or 1.

    An auxiliary task joins the trunk's update, at the main task's weight,
    while the moving average of its gain is more than ``evidence`` standard
    errors above 0; otherwise it gets weight 0. The standard error of an
    exponential moving average with momentum ``m`` of values with variance
    ``v`` is ``sqrt(v (1 - m) / (1 + m))``. A gain that is zero on average
    (a pure-noise task) passes only by chance, whatever its spread; a task
    whose step helps the main task on batch after batch passes for good.

    Parameters
    ----------
    mean, mean_square : Tensor of shape (n_tasks,)
        Moving averages of the gains and of their squares, main task first.
    momentum : float in (0, 1)
        Of those moving averages.
    evidence : float, default=2.0
        Standard errors the average must clear.
    previous : Tensor of shape (n_tasks,) or None
        The weights of the previous step. A task already at weight 1 stays
        there while its average gain is above ``-release`` standard errors
        (hysteresis; a gain that is exactly 0, a task with no labels, does
        not keep it on): evidence is
        needed to switch a task on, not to keep it on, so that a helpful
        task whose average hovers near the threshold is not switched on and
        off from batch to batch.
    release : float, default=0.0
        With ``previous``: a task that is on is switched off only once its
        average gain is more than ``release`` standard errors below 0 (0:
        as soon as it is not positive).

    Returns
    -------
    Tensor of shape (n_tasks,)
        1 for the main task; 1 or 0 for every auxiliary task.

    Examples
    --------
    >>> import torch
    >>> mean = torch.tensor([1.0, 0.5, 0.1, -0.4])
    >>> square = mean ** 2 + torch.tensor([1.0, 1.0, 1.0, 1.0])  # variance 1
    >>> evidence_weights(mean, square, momentum=0.9)  # standard error 0.23
    tensor([1., 1., 0., 0.])
    """
    variance = (mean_square - mean ** 2).clamp(min=0)
    error = torch.sqrt(variance * ((1 - momentum) / (1 + momentum)))
    on = (mean > evidence * error) & (mean > 0)
    if previous is not None:
        on |= (previous > 0) & (mean > -release * error) & (mean != 0)
    weights = on.to(mean)
    weights[0] = 1.0
    return weights


def bound_main_weight(weights, floor=0.0, ceiling=None):
    """Keep the main task's weight within ``[floor, ceiling]``, the total unchanged.

    Parameters
    ----------
    weights : Tensor of shape (n_tasks,)
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
    Tensor of shape (n_tasks,)
        The main weight clipped to ``[floor, ceiling]`` (and to ``[0, T]``);
        the auxiliary weights rescaled in proportion so that the sum is still
        ``T``. When every auxiliary weight is 0 there is nothing to rescale
        and the weights are returned unchanged (all of ``T`` on the main task).

    Examples
    --------
    >>> import torch
    >>> bound_main_weight(torch.tensor([0.5, 2.0, 0.5]), floor=1.0)
    tensor([1.0000, 1.6000, 0.4000])
    >>> bound_main_weight(torch.tensor([2.5, 0.5, 0.0]), ceiling=2.0)
    tensor([2., 1., 0.])
    """
    total = weights.sum()
    auxiliary = weights[1:].sum()
    if not bool(auxiliary > 0):
        return weights.clone()
    high = total if ceiling is None else torch.clamp(total.new_tensor(float(ceiling)), max=total)
    main = torch.clamp(weights[0], min=min(float(floor), float(total)), max=high)
    bounded = weights.clone()
    bounded[0] = main
    bounded[1:] = weights[1:] * ((total - main) / auxiliary)
    return bounded


def smooth(previous, current, momentum):
    """One step of an exponential moving average: ``m * previous + (1 - m) * current``.

    Parameters
    ----------
    previous : Tensor or None
        The average so far; ``None`` at the first step (the average starts at
        ``current``).
    current : Tensor
        This step's value. Non-finite entries count as 0.
    momentum : float in [0, 1)
        0 returns ``current``: no smoothing.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import torch
    >>> smooth(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]), 0.75)
    tensor([0.7500, 0.2500])
    >>> smooth(None, torch.tensor([2.0]), 0.9)
    tensor([2.])
    """
    current = torch.nan_to_num(current, nan=0.0, posinf=0.0, neginf=0.0)
    if previous is None or momentum == 0:
        return current
    return momentum * previous + (1 - momentum) * current
