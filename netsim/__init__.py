"""netsim: a SPICE-style circuit simulator for neuromorphic hardware.

Python API::

    import netsim
    res = netsim.run_file("rc.net")       # parse, elaborate, run every analysis card
    res.tran["v(out)"]                    # numpy array, same numbers the CLI writes
    res.op["v(out)"]                      # op results are 0-d arrays
"""

__version__ = "0.1.0"

from netsim.errors import NetsimError  # noqa: E402
from netsim.simulator import Simulator, run_file, run_text  # noqa: E402

__all__ = ["NetsimError", "Simulator", "run_file", "run_text", "__version__"]
