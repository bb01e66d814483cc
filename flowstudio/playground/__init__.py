"""The 2-D playground's core (no Qt): a flow learning a plane density live, and the pictures of it.

* :mod:`.targets`: what to learn (a toy density, a picture, a CSV of points);
* :mod:`.session`: the model, its optimiser and the chunked training loop;
* :mod:`.views`: heat maps and the warped latent grid as numbers;
* :mod:`.render`: those as RGB pictures; :mod:`.recording`: frames for the animation.

The studio's Playground tab (:mod:`flowstudio.studio._qt.views.playground_view`)
drives a session on a worker thread.
"""
