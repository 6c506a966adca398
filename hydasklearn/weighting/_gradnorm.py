"""GradNorm: task weights learned so that gradient norms follow the tasks' training rates."""

from __future__ import annotations

from numbers import Real

import torch
from sklearn.utils._param_validation import Interval

from ._base import Decision, WeightingStrategy
from ._common import LEARNING_RATE_CONSTRAINT, learned_parameters


def gradnorm_weight_gradient(weights, gradient_norms, loss_ratios, asymmetry):
    """Gradient of GradNorm's objective with respect to the task weights.

    The objective is ``sum_k |w_k n_k - mean_j(w_j n_j) r_k ** asymmetry|``, with
    ``n_k`` the norm of task k's gradient on the last shared layer and ``r_k``
    its loss ratio ``L_k(t) / L_k(0)`` divided by the mean ratio (its relative
    inverse training rate). The target ``mean_j(w_j n_j) r_k ** asymmetry`` is held
    constant, as in the paper.

    Parameters
    ----------
    weights, gradient_norms, loss_ratios : Tensor of shape (n_tasks,)
        Over the tasks that take part (labeled in the batch).
    asymmetry : float

    Returns
    -------
    Tensor of shape (n_tasks,)
        ``sign(w_k n_k - target_k) * n_k``.

    Examples
    --------
    >>> import torch
    >>> gradnorm_weight_gradient(torch.ones(2), torch.tensor([1.0, 3.0]),
    ...                          torch.tensor([1.0, 1.0]), asymmetry=1.5)
    tensor([-1.,  3.])
    """
    norms = weights * gradient_norms
    relative = loss_ratios / loss_ratios.mean()
    target = norms.mean() * relative ** asymmetry
    return torch.sign(norms - target) * gradient_norms


class GradNorm(WeightingStrategy):
    """Gradient normalization (GradNorm): balance the tasks' gradient norms.

    The task weights ``w`` are parameters of their own. On every step, the
    weighted gradient norm of each task on the trunk's last linear layer,
    ``w_k |grad_W L_k|``, is pulled towards a common target, the mean norm
    times ``r_k ** asymmetry``, where ``r_k = (L_k(t) / L_k(0)) / mean_j(...)`` is
    task k's relative inverse training rate: a task that trains slowly gets a
    larger gradient. The weights take one Adam step on the L1 distance to the
    target (the target held constant), are clipped at 0 and renormalized to
    sum to the number of tasks.

    Parameters
    ----------
    asymmetry : float, default=1.5
        The paper's ``alpha`` (named apart from the estimators' L2 penalty ``alpha``).
        Strength of the pull towards balanced training rates (0: equal
        gradient norms).
    learning_rate : float or None, default=None
        Adam learning rate of the weights; ``None`` uses the network's.

    Notes
    -----
    A step uses the weights in force before it, then updates them (the
    paper's order). ``L_k(0)`` is task k's loss on the first batch where it
    has a label; a task with no label in the batch, or without a positive
    ``L_k(0)`` yet, sits out that step's update. The gradient norms are read
    from the per-task shared gradients (``TrainingStep.shared_gradients``,
    columns of ``last_shared_layer_slice``); the update itself is assembled
    from those gradients, with no further backward pass.

    References
    ----------
    .. [1] Z. Chen, V. Badrinarayanan, C.-Y. Lee, A. Rabinovich, "GradNorm:
       Gradient Normalization for Adaptive Loss Balancing in Deep Multitask
       Networks", ICML 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskClassifier
    >>> from hydasklearn.weighting import GradNorm
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = np.column_stack([X[:, 0] > 0, 10 * X[:, 1], rng.normal(size=200)])
    >>> model = HydaMultiTaskClassifier(weighting=GradNorm(learning_rate=0.05),
    ...                                 max_iter=5, random_state=0).fit(X, y)
    >>> bool(np.allclose(model.weight_history_.sum(axis=1), 3.0))
    True
    >>> bool(model.weight_history_[-1, 0] != 1.0)  # the weights moved
    True
    """

    _parameter_constraints = {
        "asymmetry": [Interval(Real, 0, None, closed="left")],
        "learning_rate": LEARNING_RATE_CONSTRAINT,
    }

    def __init__(self, asymmetry=1.5, learning_rate=None):
        self.asymmetry = asymmetry
        self.learning_rate = learning_rate

    def start(self, task_names, task_types, random_state=None):
        super().start(task_names, task_types, random_state)
        self.weights_ = torch.ones(self.n_tasks_)
        self.initial_losses_ = torch.full((self.n_tasks_,), float("nan"))
        self._learned = None

    def weigh(self, step):
        self._learned = learned_parameters(self._learned, self.weights_, step, self.learning_rate)
        used = self.weights_.clone()
        losses = step.losses.detach().cpu().float()
        labeled = step.labeled.cpu() > 0
        first = labeled & torch.isnan(self.initial_losses_)
        self.initial_losses_[first] = losses[first]
        active = labeled & (self.initial_losses_ > 0) & torch.isfinite(losses)
        if int(active.sum()) >= 2:  # with one task in play there is nothing to balance
            norms = step.shared_gradients[:, step.last_shared_layer_slice].detach().norm(dim=1)
            norms = norms.cpu().float()
            gradient = torch.zeros(self.n_tasks_)
            gradient[active] = gradnorm_weight_gradient(
                used[active], norms[active], losses[active] / self.initial_losses_[active],
                self.asymmetry)
            weights = self._learned.step(gradient).clamp(min=0)
            total = weights.sum()
            self.weights_ = (weights * (self.n_tasks_ / total) if total > 0
                             else torch.ones(self.n_tasks_))
            with torch.no_grad():
                self._learned.values.copy_(self.weights_)
        return Decision(used.to(step.losses.device))
