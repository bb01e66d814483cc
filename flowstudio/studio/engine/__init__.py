"""The studio's model work (torch, no Qt), run on worker threads only.

:mod:`.session` holds the loaded model and its caches (encode, sample,
sweep); :mod:`.export` writes PNGs with parameters and reads dropped ones.
"""
