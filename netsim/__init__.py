"""netsim: a SPICE-style circuit simulator for neuromorphic hardware.

Python API::

    import netsim
    res = netsim.run_file("rc.net")       # parse, elaborate, run every analysis card
    res.tran["v(out)"]                    # numpy array, same numbers the CLI writes
    res.op["v(out)"]                      # op results are 0-d arrays
"""

__version__ = "0.1.0"
