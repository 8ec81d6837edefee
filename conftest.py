"""pytest set-up shared by the unit tests and nbval.

nbval compares the outputs of cells tagged ``# NBVAL_CHECK_OUTPUT``; progress bars and
warnings go to stderr and differ from run to run, so stderr is left out of the comparison.
"""
try:
    from nbval.plugin import IPyNbCell
except ImportError:  # nbval not installed: nothing to patch
    IPyNbCell = None


def _without_stderr(outputs):
    return [o for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


if IPyNbCell is not None:
    _compare_outputs = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        return _compare_outputs(self, _without_stderr(test), _without_stderr(ref), skip_compare)

    IPyNbCell.compare_outputs = compare_outputs
