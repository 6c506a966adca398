"""How HydaLearn measures the main-task gain of every task's step: the gain parts.

Each part reads a training step and returns one gain per task (main task
first): how much the main-task loss would drop after a look-ahead step
``eta`` along that task's trunk gradient, heads fixed (Verboven et al.,
2023); the parts differ in how the gain is approximated and on which data.
"""

from __future__ import annotations

from numbers import Real

import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions

from ._arithmetic import per_unit_length, reference_gains


class GainEstimator(BaseEstimator):
    """Base class of HydaLearn's gain parts.

    A gain part is a parameter object in scikit-learn's style: ``__init__``
    stores its options, declared in ``_parameter_constraints``;
    :class:`~hydasklearn.weighting.HydaLearn` starts a clone of it before
    training (:meth:`start` checks the options and resets the state) and
    calls :meth:`measure` on every step whose gains it measures.

    Subclasses implement :meth:`measure`; a part whose gains can follow
    from the gradients at the trunk's output alone says so in
    :meth:`reads_representation` and implements
    ``gains_from_representation(representation_gradients, step)``, so that
    the weights can be chosen inside the step's one backward pass.

    Examples
    --------
    Gains from the Gramian of the task gradients alone (the first-order gains
    on the current batch, without per-length scaling):

    >>> from hydasklearn.weighting import GainEstimator, HydaLearn
    >>> class GramianGain(GainEstimator):
    ...     def measure(self, step):
    ...         return step.learning_rate * step.gramian[0]
    >>> strategy = HydaLearn(gain=GramianGain())
    """

    _parameter_constraints: dict = {}

    def start(self):
        """Check the options and reset the state before training.

        Returns
        -------
        self
        """
        self._validate_params()
        return self

    def measure(self, step):
        """Main-task gain of a look-ahead step along each task's gradient.

        Parameters
        ----------
        step : TrainingStep

        Returns
        -------
        Tensor of shape (n_tasks,)
        """
        raise NotImplementedError

    def reads_representation(self, step):
        """Whether this step's gains follow from every task's gradient at the trunk's output.

        Where they do (and the heads learn at weight 1), HydaLearn chooses the
        weights inside the step's one backward pass, with
        ``gains_from_representation``, when the gradient reaches the trunk's
        output: no pass is spent on the gains alone.

        Parameters
        ----------
        step : TrainingStep

        Returns
        -------
        bool
        """
        return False

    def _look_ahead_step(self, step):
        """The look-ahead step ``eta``: the optimizer's learning rate."""
        return step.learning_rate


class FirstOrderGain(GainEstimator):
    """First-order gains of every task's trunk gradient: ``eta <g_k, grad M>``.

    The gain ``delta_k = M(theta) - M(theta - eta g_k)`` of HydaLearn [1]_
    to first order in the look-ahead step ``eta`` (the optimizer's learning
    rate), from the per-task gradients ``g_k`` of all shared parameters
    (cost per measured step about (2K + 3) trunk forwards with K auxiliary
    tasks, against about 3 for equal weighting).

    Parameters
    ----------
    reference : {"previous", "batch"}, default="previous"
        The main-task gradient ``grad M`` each task's gradient is measured
        against. ``"previous"``: the main-task gradient of the previous
        measured mini-batch (other samples, so no self-gain bias, and no
        extra pass; the first step uses its own batch). ``"batch"``: the
        current mini-batch, as in the paper; the main task's own gain
        ``eta |g_0|^2`` then also counts the batch's label noise, which its
        step fits.
    per_unit_length : bool, default=True
        Divide each gain by the length of the task's gradient: the gain of a
        step of the same length along every task's direction, so that a
        task's weight does not grow with the size of its gradient.

    Attributes
    ----------
    reference_gradient_ : Tensor of shape (n_shared,) or None
        With ``reference="previous"``: the main-task gradient the next
        measurement is measured against (None before the first).

    See Also
    --------
    ExactGain : The gains of real look-ahead steps.
    RepresentationGain : The same inner products at the trunk's output.

    References
    ----------
    .. [1] S. Verboven, M. H. Chaudhary, J. Berrevoets, V. Ginis, W. Verbeke,
       "HydaLearn: Highly Dynamic Task Weighting for Multi-task Learning with
       Auxiliary Tasks", Applied Intelligence 53(5):5808-5822, 2023;
       arXiv:2008.11643.

    Examples
    --------
    >>> from hydasklearn.weighting import FirstOrderGain, HydaLearn
    >>> gain = FirstOrderGain(reference="batch", per_unit_length=False)
    >>> HydaLearn(gain=gain).get_params()["gain__reference"]
    'batch'
    """

    _parameter_constraints = {
        "reference": [StrOptions({"previous", "batch"})],
        "per_unit_length": ["boolean"],
    }

    def __init__(self, reference="previous", per_unit_length=True):
        self.reference = reference
        self.per_unit_length = per_unit_length

    def start(self):
        super().start()
        self.reference_gradient_ = None
        return self

    def measure(self, step):
        eta = self._look_ahead_step(step)
        if self.reference == "batch" and not self.per_unit_length:
            return eta * step.gramian[0]  # the main row of the Gramian: no further product
        return self._gains_against_reference(step, self._task_gradients(step), eta)

    def _task_gradients(self, step):
        """Every task's gradient of the parameters the gains are measured on."""
        return step.shared_gradients

    def _gains_against_reference(self, step, gradients, eta):
        gains = reference_gains(gradients, self._reference_gradient(step, gradients), eta)
        return per_unit_length(gains, gradients) if self.per_unit_length else gains

    def _reference_gradient(self, step, gradients):
        """The main-task gradient to measure against; keeps this batch's for the next step."""
        if self.reference == "batch":
            return gradients[0]
        return previous_reference(self, gradients[0])


def previous_reference(gain, main):
    """The main-task gradient ``gain`` kept at its previous measurement (``main`` at the
    first); keeps ``main`` as ``reference_gradient_`` for the next."""
    reference = gain.reference_gradient_
    # a new tensor (nan_to_num copies): the step's gradients are not kept alive
    gain.reference_gradient_ = torch.nan_to_num(main.detach(), nan=0.0, posinf=0.0, neginf=0.0)
    return main if reference is None else reference


class ExactGain(GainEstimator):
    """Gains of real look-ahead steps: ``delta_k = M(theta) - M(theta - eta g_k)``.

    HydaLearn's gain as the paper defines it [1]_: the main-task loss ``M``
    evaluated after a step of size ``eta`` along each task's trunk gradient
    ``g_k``, heads fixed. All K + 1 look-ahead evaluations are batched in
    one ``torch.func.vmap`` call, without dropout (cost per measured step
    about (3K + 4) trunk forwards with K auxiliary tasks).

    Parameters
    ----------
    data : {"heldout", "batch"}, default="heldout"
        The data ``M`` is measured on: ``"heldout"``, a random batch of the
        same size drawn from the training data (one extra forward and
        backward pass); ``"batch"``, the current mini-batch, as in the paper.
    step_size : float or None, default=None
        The look-ahead step ``eta``; None uses the optimizer's learning rate.

    See Also
    --------
    FirstOrderGain : The same gains to first order in ``eta``, cheaper.

    References
    ----------
    .. [1] S. Verboven, M. H. Chaudhary, J. Berrevoets, V. Ginis, W. Verbeke,
       "HydaLearn: Highly Dynamic Task Weighting for Multi-task Learning with
       Auxiliary Tasks", Applied Intelligence 53(5):5808-5822, 2023;
       arXiv:2008.11643.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskClassifier
    >>> from hydasklearn.weighting import ExactGain, HydaLearn
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 3))
    >>> y = np.column_stack([X[:, 0] > 0, X[:, 0]])
    >>> model = HydaMultiTaskClassifier(weighting=HydaLearn(gain=ExactGain(data="batch")),
    ...                                 max_iter=2, random_state=0).fit(X, y)
    >>> model.gain_history_.shape
    (2, 2)
    """

    _parameter_constraints = {
        "data": [StrOptions({"heldout", "batch"})],
        "step_size": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(self, data="heldout", step_size=None):
        self.data = data
        self.step_size = step_size

    def _look_ahead_step(self, step):
        """The look-ahead step ``eta``: ``step_size``, else the optimizer's learning rate."""
        return self.step_size if self.step_size is not None else step.learning_rate

    def measure(self, step):
        directions = self._look_ahead_step(step) * step.shared_gradients
        directions = torch.cat([torch.zeros_like(directions[:1]), directions])
        losses = step.main_loss_after_steps(directions, source=self.data)
        return losses[0] - losses[1:]


class RepresentationGain(GainEstimator):
    """First-order gains at the trunk's output: inner products of ``dL_k / dh``.

    The cheap approximation of HydaLearn's gains [1]_: the inner products of
    the per-task gradients with respect to the shared representation ``h``
    on the current mini-batch (as LibMTL's ``rep_grad``), instead of the
    trunk's parameters. They are chosen inside the step's one backward pass,
    once every head has passed its gradient on (cost about 3 trunk forwards,
    as equal weighting). Since it compares the same samples' gradients, the
    reference is always the current batch.

    Parameters
    ----------
    per_unit_length : bool, default=True
        Divide each gain by the length of the task's gradient at ``h``.

    See Also
    --------
    FirstOrderGain : The same inner products of the trunk's parameter gradients.

    References
    ----------
    .. [1] S. Verboven, M. H. Chaudhary, J. Berrevoets, V. Ginis, W. Verbeke,
       "HydaLearn: Highly Dynamic Task Weighting for Multi-task Learning with
       Auxiliary Tasks", Applied Intelligence 53(5):5808-5822, 2023;
       arXiv:2008.11643.

    Examples
    --------
    >>> from hydasklearn.weighting import HydaLearn, RepresentationGain
    >>> HydaLearn(gain=RepresentationGain(per_unit_length=False)).get_params()["gain"]
    RepresentationGain(per_unit_length=False)
    """

    _parameter_constraints = {"per_unit_length": ["boolean"]}

    def __init__(self, per_unit_length=True):
        self.per_unit_length = per_unit_length

    def reads_representation(self, step):
        return True

    def measure(self, step):
        return self.gains_from_representation(step.representation_gradients, step)

    def gains_from_representation(self, representation_gradients, step):
        """The gains from every task's gradient at the trunk's output.

        Parameters
        ----------
        representation_gradients : Tensor of shape (n_tasks, n_values)
            ``dL_k / dh`` of every task, main task first.
        step : TrainingStep
            The step they come from (for the look-ahead step ``eta``, the
            optimizer's learning rate).

        Returns
        -------
        Tensor of shape (n_tasks,)
        """
        gains = reference_gains(representation_gradients, representation_gradients[0],
                                self._look_ahead_step(step))
        if self.per_unit_length:
            gains = per_unit_length(gains, representation_gradients)
        return gains.detach()

