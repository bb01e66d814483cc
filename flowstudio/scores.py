"""Units of the score an image gets from a model (no torch, so the GUI thread can read them).

A model with an exact image likelihood scores an image in bits per dimension;
one without (GLF, arXiv:1905.10485: its density is that of its latent) by the
latent NLL ``-log p_f(E(x))`` in nats, shown with its reconstruction error
(:mod:`flowstudio.transflow.diagnostics`).
"""

BITS_PER_DIM = "bits/dim"
LATENT_NLL = "latent NLL (nats)"
