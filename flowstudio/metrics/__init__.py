"""Sample-quality metrics that need no download: FD-FashionCNN and precision/recall on our own classifier.

:mod:`~flowstudio.metrics.fashion_classifier` (the classifier and its bundled
weights), :mod:`~flowstudio.metrics.frechet` (the metrics on its features),
:mod:`~flowstudio.metrics.evaluate` (a model's samples against the test split).
"""
