"""Training progress for ``verbose > 0``: a bar over epochs with the current losses.

A skorch callback. It replaces skorch's epoch table, whose columns do not fit
per-task losses.
"""

from __future__ import annotations

from skorch.callbacks import Callback


class EpochProgress(Callback):
    """Show training progress over epochs with every task's current loss.

    Parameters
    ----------
    task_names : list of str
        Task names, main first, in the order of ``train_task_losses``.
    style : {"bar", "lines"}, default="bar"
        ``"bar"``: one tqdm progress bar over the epochs (a notebook widget
        where available), its postfix the last epoch's losses; ``"lines"``:
        one printed line per epoch, for logs.
    sink : callable, default=print
        Receives every line in the ``"lines"`` style.

    Examples
    --------
    >>> import numpy as np
    >>> from hydasklearn import HydaMultiTaskRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 3))
    >>> y = np.column_stack([X[:, 0], X[:, 1]])
    >>> model = HydaMultiTaskRegressor(max_iter=2, verbose=2, random_state=0)
    >>> model.fit(X, y)  # doctest: +ELLIPSIS
    epoch 1/2  main ...  aux_1 ...  ... s
    epoch 2/2  main ...  aux_1 ...  ... s
    HydaMultiTaskRegressor(max_iter=2, random_state=0, verbose=2)
    """

    def __init__(self, task_names, style="bar", sink=print):
        self.task_names = task_names
        self.style = style
        self.sink = sink

    def initialize(self):
        if self.style not in ("bar", "lines"):
            raise ValueError(f"style must be 'bar' or 'lines', got {self.style!r}.")
        self.bar_ = None
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.epochs_ = net.max_epochs
        self.epoch_ = 0
        self.last_reported_ = None
        self.epochs_before_ = len(net.history)
        if self.style == "bar":
            from tqdm.auto import tqdm  # a skorch dependency

            self.bar_ = tqdm(total=self.epochs_, unit="epoch", desc="training")

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        self._report(net.history[-1])

    def on_train_end(self, net, X=None, y=None, **kwargs):
        # Early stopping interrupts the epoch's callbacks before this one runs.
        if (len(net.history) > self.epochs_before_
                and net.history[-1]["epoch"] != self.last_reported_):
            self._report(net.history[-1])
        if self.bar_ is not None:
            self.bar_.close()
            self.bar_ = None

    def _report(self, record):
        self.epoch_ += 1
        self.last_reported_ = record["epoch"]
        losses = "  ".join(f"{name} {loss:.4f}" for name, loss in
                           zip(self.task_names, record.get("train_task_losses", [])))
        if "valid_loss" in record:
            losses += f"  valid {record['valid_loss']:.4f}"
        if "valid_score" in record:  # with a scoring other than "loss"
            losses += f"  score {record['valid_score']:.4f}"
        if self.bar_ is not None:
            self.bar_.set_postfix_str(losses, refresh=False)
            self.bar_.update()
        else:
            duration = record.get("dur", 0.0)
            self.sink(f"epoch {self.epoch_}/{self.epochs_}  {losses}  {duration:.2f} s")

    def __getstate__(self):
        state = self.__dict__.copy()
        state["bar_"] = None  # an open bar (training interrupted) does not pickle
        return state
