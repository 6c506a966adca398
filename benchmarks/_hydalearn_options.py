"""HydaLearn configurations written as keyword options, for the benchmarks' recorded names.

The grid's labels (``hydalearn:warm_up=0,gain_ratio=0.2``) name configurations
by the keyword options HydaLearn once had; :func:`hydalearn_from_options`
builds the strategy that each label was measured as.
"""

from hydasklearn.weighting import HydaLearn


def hydalearn_from_options(**options):
    """The HydaLearn strategy that the given keyword options describe."""
    return HydaLearn(**options)
