"""Flow Studio's desktop app, in three layers that only ever depend downwards.

* **State** (:mod:`.state`, :mod:`.recipes`, :mod:`.autosave`, :mod:`.paths`,
  :mod:`.eta`): the document (evidence sets, posterior parameters, model
  reference) and everything about it that can be said without Qt or torch:
  JSON project files, crash-recovery files, parameters read back from PNGs.
  Importing these costs milliseconds, so the window can appear before torch.
* **Engine** (:mod:`.engine`): the model work, on top of the core
  (:mod:`flowstudio.transflow`, :mod:`flowstudio.data.images`,
  :mod:`flowstudio.imaging`): encoding evidence with per-image caches,
  posterior grids and lambda sweeps, PNG export with parameters.  Plain
  Python + torch, no Qt; it only ever runs on worker threads.
* **Qt** (:mod:`._qt`): a thin adapter that turns the document into signals
  and undo commands, the worker layer (jobs with progress/ETA/cancel and a
  latest-wins renderer), and the widgets.  This package is the only place in
  Flow Studio that imports Qt (``tests/test_layering.py`` checks the core).
"""
