"""netsim: a SPICE-style circuit simulator for neuromorphic hardware.

Python API::

    import netsim
    res = netsim.run_file("rc.net")       # parse, elaborate, run every analysis card
    res.tran["v(out)"]                    # numpy array, same numbers the CLI writes
    res.op["v(out)"]                      # op results are 0-d arrays

An interrupt (Ctrl-C) inside a .tran, .dc or .ac raises ``netsim.InterruptedAnalysis`` (a
KeyboardInterrupt) whose ``partial`` is the result with the points computed so far.
"""

__version__ = "0.1.0"

from netsim.errors import NetsimError  # noqa: E402
from netsim.results import InterruptedAnalysis  # noqa: E402
from netsim.simulator import Simulator, run_file, run_text  # noqa: E402

__all__ = ["InterruptedAnalysis", "NetsimError", "Simulator", "run_file", "run_text",
           "__version__"]
