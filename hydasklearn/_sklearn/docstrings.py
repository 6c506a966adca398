"""Docstring sections that both estimators share."""

SHARED_PARAMETERS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
        Widths of the shared trunk's hidden layers (at least one layer).
        Not used with a ``trunk`` of one's own.
    activation : {"relu", "tanh", "logistic", "identity", "gelu"}, default="relu"
        Activation of every hidden layer (with a ``trunk`` of one's own: of
        the heads' hidden layers only, see ``head_layer_sizes``).
    trunk : nn.Module class, callable or None, default=None
        The shared trunk, one's own: a ``torch.nn.Module`` class or a
        function, called once per fit as ``trunk(n_features)`` (with torch's
        generator seeded from ``random_state``) to build a new module that
        maps a float32 tensor of shape ``(batch, n_features)`` to one of
        shape ``(batch, width)``; ``width`` is read from one forward pass on
        a dummy batch, and the package adds one head per task on top.
        ``n_features`` counts the inputs the trunk receives (with categorical
        features, their embeddings' widths too). ``hidden_layer_sizes`` is
        then not used; ``activation`` and ``dropout`` apply to the heads'
        hidden layers only. The parameter is never changed: the trained
        module lives in ``net_.module_.trunk``. A class or a top-level
        function pickles, a lambda does not. None: the MLP of
        ``hidden_layer_sizes``. See :ref:`custom-trunk`.
    weighting : str, list of float or WeightingStrategy, default="hydalearn"
        How task losses are weighted on each mini-batch: a name from
        :data:`hydasklearn.weighting.STRATEGIES` (``"hydalearn"``,
        ``"equal"``, ...), static weights (one per task, main first) or a
        strategy object such as :class:`~hydasklearn.weighting.HydaLearn`.
        With a 1-D ``y`` every strategy reduces to single-task learning.
    aux_tasks : "auto" or list of str, default="auto"
        Type of every auxiliary column of ``y``: ``"binary"``,
        ``"multiclass"``, ``"classification"`` or ``"regression"``. ``"auto"``
        infers them: strings, booleans, categories and integers with at most
        20 distinct values are classes; floats are regression, except a float
        column holding only 0 and 1 (binary).
    head_layer_sizes : tuple of int, default=()
        Hidden layer widths inside each task head (empty: a linear head).
    dropout : float, default=0.0
        Dropout probability after every hidden layer (with a ``trunk`` of
        one's own: of the heads only).
    alpha : float, default=1e-4
        L2 penalty, applied as Adam's ``weight_decay``.
    batch_size : int or "auto", default="auto"
        Mini-batch size; "auto" is ``min(200, n_samples)``.
    learning_rate_init : float, default=1e-3
        Adam's learning rate.
    max_iter : int, default=200
        Maximum number of epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified
        for classifiers) and stop when the main task's validation loss (or
        score, see ``scoring``) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs; the best epoch's weights are restored.
        Without it, the main task's training loss is monitored the same way.
    scoring : "loss", str or callable, default="loss"
        What early stopping watches on the validation split. ``"loss"``: the
        main task's loss (lower is better). Otherwise a scikit-learn scorer
        name (``"roc_auc"``, ``"average_precision"``, ``"r2"``, ...) or a
        callable ``scorer(estimator, X, y)`` (higher is better), evaluated
        every epoch on the main task: ``estimator`` predicts the main task
        only, ``y`` holds its labels (or values). Only used when
        ``early_stopping=True``. See :ref:`early-stopping-score`.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement before training stops.
    tol : float, default=1e-4
        Smallest loss (or score) improvement that counts.
    random_state : int, RandomState instance or None, default=None
        Seeds initialization, shuffling, dropout, held-out gain batches and
        the validation split, without touching torch's global random state.
        The same integer gives the same model, bit for bit, on the CPU.
    verbose : int, default=0
        0: print nothing; 1: a progress bar over the epochs with every
        task's current loss (tqdm); 2 or more: one printed line per epoch.
    warm_start : bool, default=False
        Continue from the previous fit (same tasks) instead of starting anew.
        Parameters changed since then are applied where they can be
        (``max_iter``, ``learning_rate_init``, ``alpha``, ``batch_size``,
        ``early_stopping``, ``validation_fraction``, ``n_iter_no_change``,
        ``tol``); changing any other (the network, the weighting,
        ``aux_tasks``, ``random_state``, ``device``, ``verbose``,
        ``callbacks``, ``class_weight``) raises a ValueError: set
        ``warm_start=False`` to start anew.
    device : str or torch.device, default="cpu"
        Torch device, e.g. ``"cuda"``.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (objects or ``(name, callback)`` tuples).
    categorical_features : "from_dtype", list of str or int, bool mask or None, \
default="from_dtype"
        Columns of ``X`` that are categorical: each becomes a learned
        embedding at the trunk's input, of width
        ``min(50, ceil(1.6 * n_categories ** 0.56))``, while numeric columns
        go in as they are. ``"from_dtype"``: pandas ``category`` and string
        columns, and object columns holding strings (as
        ``HistGradientBoostingClassifier``, which reads the dtype too); a list
        of column names (``X`` a DataFrame), of column indices, or a boolean
        mask over the columns; None: no categorical column (a column of
        strings then raises). The categories are those seen in the first fit;
        a category not seen then, and a missing value (NaN, None, ``pd.NA``),
        get codes of their own, never an error. See
        :ref:`categorical-features`.
"""

SHARED_ATTRIBUTES_DOC = """
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.
    is_categorical_ : ndarray of shape (`n_features_in_`,) of bool or None
        Which columns of ``X`` are categorical (see ``categorical_features``);
        None when none is.
    categories_ : list of ndarray
        The categories seen in fit of every categorical column, in column
        order (sorted; missing values are not a category).
    task_names_ : list of str
        Task names, main first: DataFrame column names, else ``"main"``,
        ``"aux_1"``, ...
    task_types_ : dict
        Task name -> ``"binary"``, ``"multiclass"`` or ``"regression"``.
    n_iter_ : int
        Number of epochs run (across warm starts).
    loss_curve_ : list of float
        Main-task training loss per epoch.
    task_loss_curves_ : dict
        Task name -> array of its training loss per epoch.
    weight_history_ : ndarray of shape (n_steps, n_tasks)
        Task weights used at every optimizer step.
    gain_history_ : ndarray of shape (n_steps, n_tasks)
        What the weighting strategy derived each step's weights from, per task:
        main-task gains for HydaLearn, OL-AUX and SLGrad, the cosine with the
        main task's gradient for GCS; NaN for strategies that record none.
    auxiliary_task_report_ : pandas.DataFrame or dict of ndarray
        Which auxiliary tasks helped the main task, summed up from
        ``weight_history_`` and ``gain_history_``: one row per auxiliary
        task (none after a single-task fit), indexed by its name, with
        ``mean_gain`` (the plain average of its measured gains over the
        fit), ``gain_standard_error``, ``gain_z_score``,
        ``gain_relative_to_main`` (against the main task's own average
        gain), ``n_measurements``, ``mean_weight``, ``final_weight``,
        ``switched_off`` (weight 0 on the last step), ``switched_off_step``
        and ``switched_off_epoch`` (where the final run of zero weights
        began; NaN if it ended on) and ``verdict``: ``"helps"`` when the
        z-score is above the evidence rule's ``evidence`` (2 by default),
        ``"hurts"`` when below minus its ``release`` (3), else ``"no
        evidence"``; ``"not measured"`` for strategies without gains. A
        dict of arrays (with ``"task"``) when pandas is not installed. See
        :ref:`which-side-targets-help`.
    validation_loss_curve_ : list of float
        Main-task validation loss per epoch (only after a fit with
        ``early_stopping``; NaN for epochs of ``partial_fit``).
    validation_scores_ : list of float or None
        The main task's validation score per epoch, as ``MLPClassifier``'s:
        the ``scoring``, or with ``scoring="loss"`` the validation loss
        negated (so that higher is better either way); NaN for epochs
        without validation. None after a fit without ``early_stopping``.
    best_validation_score_ : float or None
        The validation score of the epoch whose weights were restored; None
        after a fit without ``early_stopping``.
    weighting_ : WeightingStrategy
        The fitted weighting strategy.
    net_ : MultiTaskNet
        The skorch net that trained the network (history, module).
"""
