"""HydaLearn's default gain part: first-order gains of the trunk's last linear layer."""

from __future__ import annotations

from sklearn.utils._param_validation import StrOptions

from ._gains import GainEstimator, previous_reference


class LastLayerGain(GainEstimator):
    """First-order gains of the trunk's last linear layer: ``eta <g_k, grad M>`` over it.

    HydaLearn's gain [1]_ to first order in the look-ahead step ``eta``, as
    :class:`FirstOrderGain` computes it, of the parameters of the trunk's
    last linear layer only (the layer every head reads), not scaled per
    unit length. All tasks' inner products come from the gradients at that
    layer's output, which the heads alone give, in one matrix product: no
    task's gradient matrix is formed. In training, those gradients are read
    where the heads pass them to the trunk during the step's one backward
    pass, and the weights chosen there (:meth:`reads_representation`), so
    the cost hardly grows with the number of tasks. With one hidden layer
    the gains are those of ``FirstOrderGain(per_unit_length=False)``; a
    trunk with no linear layer counts as one layer. Its cost and scores:
    :doc:`/benchmark_results`.

    Parameters
    ----------
    reference : {"previous", "batch"}, default="previous"
        The main-task gradient each task's gradient is measured against, as
        in :class:`FirstOrderGain`.

    Attributes
    ----------
    reference_gradient_ : Tensor of shape (n_values,) or None
        With ``reference="previous"``: the last layer's main-task gradient
        the next measurement is measured against.

    See Also
    --------
    FirstOrderGain : The same gains over all the trunk's parameters.

    References
    ----------
    .. [1] S. Verboven, M. H. Chaudhary, J. Berrevoets, V. Ginis, W. Verbeke,
       "HydaLearn: Highly Dynamic Task Weighting for Multi-task Learning with
       Auxiliary Tasks", Applied Intelligence 53(5):5808-5822, 2023;
       arXiv:2008.11643.

    Examples
    --------
    >>> from hydasklearn.weighting import HydaLearn, LastLayerGain
    >>> HydaLearn(gain=LastLayerGain(reference="batch")).get_params()["gain__reference"]
    'batch'
    """

    _parameter_constraints = {"reference": [StrOptions({"previous", "batch"})]}

    def __init__(self, reference="previous"):
        self.reference = reference

    def start(self):
        super().start()
        self.reference_gradient_ = None
        return self

    def reads_representation(self, step):
        # Where the step has a record of every layer's output; else (a user's trunk,
        # active dropout) the layer's gradients come from a pass of their own.
        return step.record is not None and step.last_layer_layout is not None

    def measure(self, step):
        return self._gains(step.last_layer, step)

    def gains_from_representation(self, representation_gradients, step):
        """The gains from every task's gradient at the trunk's output.

        Parameters
        ----------
        representation_gradients : Tensor of shape (n_tasks, n_values)
            ``dL_k / dh`` of every task, main task first.
        step : TrainingStep
            The step they come from, where :meth:`reads_representation`.

        Returns
        -------
        Tensor of shape (n_tasks,)
        """
        return self._gains(step.last_layer_at(representation_gradients), step)

    def _gains(self, layer, step):
        main = layer.main_gradient()
        reference = main if self.reference == "batch" else previous_reference(self, main)
        return (self._look_ahead_step(step) * layer.products(reference)).detach()
