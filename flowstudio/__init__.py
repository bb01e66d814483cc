"""Flow Studio: Transflow learning on pretrained normalizing flows.

The package is a headless core (models, Transflow maths, data, checkpoints,
command line) that never imports Qt.
"""

__version__ = "0.1.0"
