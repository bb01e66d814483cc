"""Peer Glow importers: exact equivalence with each peer's forward pass, safe loading, clear refusals.

Each peer gets a random tiny state_dict with the peer's exact key names and
shapes, saved in the peer's own file format.  The reference functions below
re-implement each peer's forward pass (log-density and per-level latents) and
its reverse pass *functionally on the peer's state_dict*, written from the
peers' published semantics (see the importer module docstrings), so the
imported model is checked against the peer's maths, not against the importer.
"""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from flowstudio.checkpoint import load_checkpoint, save_checkpoint
from flowstudio.importers import PEERS, PeerImportError, import_checkpoint, load_untrusted, unwrap_state_dict
from flowstudio.importers import chaiyujin
from flowstudio.models import build_model
from tests.conftest import TINY_CONFIGS, randomized

LOG2PI = math.log(2 * math.pi)


# --------------------------------------------------------------------------- shared reference pieces
def squeeze(x):
    b, c, h, w = x.shape
    return x.view(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(b, 4 * c, h // 2, w // 2)


def unsqueeze(x):
    b, c, h, w = x.shape
    return x.view(b, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(b, c // 4, 2 * h, 2 * w)


def gauss_logp(z, mean, logs):
    return (-0.5 * (LOG2PI + 2 * logs + (z - mean) ** 2 * torch.exp(-2 * logs))).flatten(1).sum(1)


def standardized(zs, priors):
    return torch.cat([((z - m) * torch.exp(-s)).flatten(1) for z, (m, s) in zip(zs, priors)], 1)


class Rand:
    def __init__(self, seed):
        self.gen = torch.Generator().manual_seed(seed)

    def __call__(self, *shape, s=1.0):
        return torch.randn(*shape, generator=self.gen) * s

    def lu(self, c):
        """Perturbed LU factors of a random rotation, stored as the peers store them (unit diagonal in L)."""
        p, low, up = torch.linalg.lu(torch.linalg.qr(self(c, c).double())[0])
        s = torch.diagonal(up)
        low = low + torch.tril(self(c, c, s=0.2).double(), -1)
        up = torch.triu(up, 1) + torch.triu(self(c, c, s=0.2).double(), 1)
        return p.float(), low.float(), up.float(), (s.abs().log() + self(c, s=0.2)).float(), s.sign().float()

    def matrix(self, c):
        return torch.linalg.qr(self(c, c))[0] + self(c, c, s=0.1)


# --------------------------------------------------------------------------- rosinality reference
def ros_state(rnd, c, levels, steps, hidden, affine, lu):
    sd = {}
    for b in range(levels):
        c *= 4
        for k in range(steps):
            p = f"blocks.{b}.flows.{k}."
            sd[p + "actnorm.loc"] = rnd(1, c, 1, 1, s=0.5)
            sd[p + "actnorm.scale"] = torch.exp(rnd(1, c, 1, 1, s=0.3))
            sd[p + "actnorm.initialized"] = torch.tensor(1, dtype=torch.uint8)
            if lu or b == levels - 1:  # rosinality's last block is always LU
                w_p, w_l, w_u, w_s, sign = rnd.lu(c)
                u_mask = torch.triu(torch.ones(c, c), 1)
                w_l = w_l + torch.triu(rnd(c, c), 1)  # junk where the peer masks
                inv = {"w_p": w_p, "u_mask": u_mask, "l_mask": u_mask.T.clone(), "s_sign": sign,
                       "l_eye": torch.eye(c), "w_l": w_l, "w_s": w_s, "w_u": w_u}
                sd.update({f"{p}invconv.{name}": value for name, value in inv.items()})
            else:
                sd[p + "invconv.weight"] = rnd.matrix(c)[:, :, None, None]
            n_out = c if affine else c // 2
            net = {"0.weight": rnd(hidden, c // 2, 3, 3, s=0.3), "0.bias": rnd(hidden, s=0.1),
                   "2.weight": rnd(hidden, hidden, 1, 1, s=0.3), "2.bias": rnd(hidden, s=0.1),
                   "4.conv.weight": rnd(n_out, hidden, 3, 3, s=0.05), "4.conv.bias": rnd(n_out, s=0.1),
                   "4.scale": rnd(1, n_out, 1, 1, s=0.1)}
            sd.update({f"{p}coupling.net.{name}": value for name, value in net.items()})
        c_in, c_out = (c // 2, c) if b < levels - 1 else (c, 2 * c)
        prior = {"conv.weight": rnd(c_out, c_in, 3, 3, s=0.05), "conv.bias": rnd(c_out, s=0.2),
                 "scale": rnd(1, c_out, 1, 1, s=0.1)}
        sd.update({f"blocks.{b}.prior.{name}": value for name, value in prior.items()})
        c = c // 2 if b < levels - 1 else c
    return sd


def ros_zero_conv(x, w, b, scale):  # pads with ONE, output times exp(3 scale)
    return F.conv2d(F.pad(x, [1, 1, 1, 1], value=1.0), w, b) * torch.exp(3 * scale)


def ros_weight(sd, p):
    if p + "weight" in sd:
        return sd[p + "weight"][:, :, 0, 0]
    return sd[p + "w_p"] @ (sd[p + "w_l"] * sd[p + "l_mask"] + sd[p + "l_eye"]) @ (
        sd[p + "w_u"] * sd[p + "u_mask"] + torch.diag(sd[p + "s_sign"] * torch.exp(sd[p + "w_s"])))


def ros_coupling_net(sd, p, x):
    h = F.relu(F.conv2d(x, sd[p + "0.weight"], sd[p + "0.bias"], padding=1))
    h = F.relu(F.conv2d(h, sd[p + "2.weight"], sd[p + "2.bias"]))
    return ros_zero_conv(h, sd[p + "4.conv.weight"], sd[p + "4.conv.bias"], sd[p + "4.scale"])


def ros_forward(sd, x, levels, steps):
    logp, zs, priors, h = 0.0, [], [], x
    for b in range(levels):
        h = squeeze(h)
        hw = h.shape[2] * h.shape[3]
        for k in range(steps):
            p = f"blocks.{b}.flows.{k}."
            scale = sd[p + "actnorm.scale"]
            h = scale * (h + sd[p + "actnorm.loc"])
            w = ros_weight(sd, p + "invconv.")
            h = F.conv2d(h, w[:, :, None, None])
            logp = logp + hw * (scale.abs().log().sum() + torch.linalg.slogdet(w)[1])
            in_a, in_b = h.chunk(2, 1)
            net = ros_coupling_net(sd, p + "coupling.net.", in_a)
            if net.shape[1] == h.shape[1]:
                log_s, t = net.chunk(2, 1)  # scale first, then shift
                s = torch.sigmoid(log_s + 2)
                in_b = (in_b + t) * s
                logp = logp + s.log().flatten(1).sum(1)
            else:
                in_b = in_b + net
            h = torch.cat([in_a, in_b], 1)
        pre = f"blocks.{b}.prior."
        if b < levels - 1:
            h, z = h.chunk(2, 1)
            context = h
        else:
            z, context = h, torch.zeros_like(h)
        prior = ros_zero_conv(context, sd[pre + "conv.weight"], sd[pre + "conv.bias"], sd[pre + "scale"])
        mean, log_sd = prior.chunk(2, 1)  # halves
        logp = logp + gauss_logp(z, mean, log_sd)
        zs.append(z)
        priors.append((mean, log_sd))
    return logp, zs, priors


def ros_reverse(sd, zs, levels, steps):
    """rosinality's ``Glow.reverse(z_list, reconstruct=True)``."""
    h = None
    for b in reversed(range(levels)):
        h = zs[b] if h is None else torch.cat([h, zs[b]], 1)
        for k in reversed(range(steps)):
            p = f"blocks.{b}.flows.{k}."
            out_a, out_b = h.chunk(2, 1)
            net = ros_coupling_net(sd, p + "coupling.net.", out_a)
            if net.shape[1] == h.shape[1]:
                log_s, t = net.chunk(2, 1)
                out_b = out_b / torch.sigmoid(log_s + 2) - t
            else:
                out_b = out_b - net
            h = torch.cat([out_a, out_b], 1)
            h = F.conv2d(h, torch.linalg.inv(ros_weight(sd, p + "invconv."))[:, :, None, None])
            h = h / sd[p + "actnorm.scale"] - sd[p + "actnorm.loc"]
        h = unsqueeze(h)
    return h


# --------------------------------------------------------------------------- chaiyujin / y0ast reference
CHAIYUJIN = SimpleNamespace(net="f", conv="", lower="l", upper="u", top="learn_top")
Y0AST = SimpleNamespace(net="block", conv=".conv", lower="lower", upper="upper", top="learn_top_fn")


def fn_state(rnd, names, c, size, levels, steps, hidden, affine, lu, perm="invconv", learn_top=True, prior_batch=1):
    sd, i = {}, 0
    for lev in range(levels):
        c, size, i = c * 4, size // 2, i + 1  # squeeze layer: no tensors
        for _ in range(steps):
            p = f"flow.layers.{i}."
            i += 1
            sd[p + "actnorm.bias"], sd[p + "actnorm.logs"] = rnd(1, c, 1, 1, s=0.5), rnd(1, c, 1, 1, s=0.3)
            if perm == "invconv" and lu:
                (sd[p + "invconv.p"], sd[f"{p}invconv.{names.lower}"], sd[f"{p}invconv.{names.upper}"],
                 sd[p + "invconv.log_s"], sd[p + "invconv.sign_s"]) = rnd.lu(c)
            elif perm == "invconv":
                sd[p + "invconv.weight"] = rnd.matrix(c)
            for j, c_in, ks in ((0, c // 2, 3), (2, hidden, 1)):
                sd[f"{p}{names.net}.{j}{names.conv}.weight"] = rnd(hidden, c_in, ks, ks, s=0.3)
                sd[f"{p}{names.net}.{j}.actnorm.bias"] = rnd(1, hidden, 1, 1, s=0.3)
                sd[f"{p}{names.net}.{j}.actnorm.logs"] = rnd(1, hidden, 1, 1, s=0.2)
            n_out = c if affine else c // 2
            sd[f"{p}{names.net}.4{names.conv}.weight"] = rnd(n_out, hidden, 3, 3, s=0.05)
            sd[f"{p}{names.net}.4{names.conv}.bias"] = rnd(n_out, s=0.1)
            sd[f"{p}{names.net}.4.logs"] = rnd(n_out, 1, 1, s=0.1)
        if lev < levels - 1:
            p = f"flow.layers.{i}.conv"
            i += 1
            sd[f"{p}{names.conv}.weight"], sd[f"{p}{names.conv}.bias"] = rnd(c, c // 2, 3, 3, s=0.05), rnd(c, s=0.2)
            sd[f"{p}.logs"] = rnd(c, 1, 1, s=0.1)
            c //= 2
    if learn_top:
        sd[f"{names.top}{names.conv}.weight"] = rnd(2 * c, 2 * c, 3, 3, s=0.05)
        sd[f"{names.top}{names.conv}.bias"], sd[f"{names.top}.logs"] = rnd(2 * c, s=0.2), rnd(2 * c, 1, 1, s=0.1)
    sd["prior_h"] = torch.zeros(prior_batch, 2 * c, size, size)
    return sd


def fn_conv_actnorm(sd, p, names, x, padding):
    h = F.conv2d(x, sd[f"{p}{names.conv}.weight"], padding=padding)
    return (h + sd[p + ".actnorm.bias"]) * torch.exp(sd[p + ".actnorm.logs"])


def fn_conv_zeros(sd, p, names, x):  # zero padding, output times exp(3 logs)
    out = F.conv2d(x, sd[f"{p}{names.conv}.weight"], sd[f"{p}{names.conv}.bias"], padding=1)
    return out * torch.exp(3 * sd[p + ".logs"])


def fn_net(sd, p, names, x):
    h = F.relu(fn_conv_actnorm(sd, p + ".0", names, x, 1))
    return fn_conv_zeros(sd, p + ".4", names, F.relu(fn_conv_actnorm(sd, p + ".2", names, h, 0)))


def fn_permutation(sd, p, names, c):
    if p + "weight" in sd:
        return sd[p + "weight"]
    if p + "p" in sd:
        low = sd[p + names.lower] * torch.tril(torch.ones(c, c), -1) + torch.eye(c)
        up = sd[p + names.upper] * torch.triu(torch.ones(c, c), 1)
        up = up + torch.diag(sd[p + "sign_s"] * torch.exp(sd[p + "log_s"]))
        return sd[p + "p"] @ low @ up
    return torch.eye(c, dtype=sd["prior_h"].dtype).flip(0)  # Permute2d "reverse": x[:, C-1..0]


def fn_coupling(h, net, forward):
    half = h.shape[1] // 2
    z1, z2 = h[:, :half], h[:, half:]
    if net.shape[1] == half:
        return torch.cat([z1, z2 + net if forward else z2 - net], 1), 0.0
    shift, scale = net[:, 0::2], torch.sigmoid(net[:, 1::2] + 2)
    z2 = (z2 + shift) * scale if forward else z2 / scale - shift
    return torch.cat([z1, z2], 1), scale.log().flatten(1).sum(1)


def fn_top(sd, names, batch):
    h = sd["prior_h"][:1].expand(batch, -1, -1, -1)
    if f"{names.top}.logs" in sd:
        h = fn_conv_zeros(sd, names.top, names, h)
    half = h.shape[1] // 2
    return h[:, :half], h[:, half:]  # halves, not interleaved


def fn_forward(sd, names, x, levels, steps):
    logp, zs, priors, h, i = 0.0, [], [], x, 0
    for lev in range(levels):
        h, i = squeeze(h), i + 1
        c, hw = h.shape[1], h.shape[2] * h.shape[3]
        for _ in range(steps):
            p = f"flow.layers.{i}."
            i += 1
            h = (h + sd[p + "actnorm.bias"]) * torch.exp(sd[p + "actnorm.logs"])
            w = fn_permutation(sd, p + "invconv.", names, c)
            h = F.conv2d(h, w[:, :, None, None])
            h, ld = fn_coupling(h, fn_net(sd, f"{p}{names.net}", names, h[:, : c // 2]), True)
            logp = logp + hw * (sd[p + "actnorm.logs"].sum() + torch.linalg.slogdet(w)[1]) + ld
        if lev < levels - 1:
            z1, z2 = h[:, : c // 2], h[:, c // 2:]
            out = fn_conv_zeros(sd, f"flow.layers.{i}.conv", names, z1)
            i += 1
            mean, logs = out[:, 0::2], out[:, 1::2]
            logp = logp + gauss_logp(z2, mean, logs)
            zs.append(z2)
            priors.append((mean, logs))
            h = z1
    mean, logs = fn_top(sd, names, x.shape[0])
    zs.append(h)
    priors.append((mean, logs))
    return logp + gauss_logp(h, mean, logs), zs, priors


def fn_reverse(sd, names, zs, levels, steps):
    """The peers' FlowNet.decode, with each Split2d's sampled z2 replaced by the given latent."""
    h = zs[-1]
    for lev in reversed(range(levels)):
        base = lev * (steps + 2)
        if lev < levels - 1:
            h = torch.cat([h, zs[lev]], 1)
        c = h.shape[1]
        for i in reversed(range(base + 1, base + steps + 1)):
            p = f"flow.layers.{i}."
            h, _ = fn_coupling(h, fn_net(sd, f"{p}{names.net}", names, h[:, : c // 2]), False)
            h = F.conv2d(h, torch.linalg.inv(fn_permutation(sd, p + "invconv.", names, c))[:, :, None, None])
            h = h * torch.exp(-sd[p + "actnorm.logs"]) - sd[p + "actnorm.bias"]
        h = unsqueeze(h)
    return h


# --------------------------------------------------------------------------- equivalence checks
def as64(sd):
    return {k: v.double() if v.is_floating_point() else v for k, v in sd.items()}


def check_equivalent(path, peer, model, ref_logp, ref_eps, ref_rec, x, to_ours, log_jacobian=0.0, **convert_kw):
    """(a) log-density and (b) eps / reconstruction, for the float32 import and the exact float64 conversion.

    ``ref_rec`` is the peer's reverse pass from its own latents (in the peer's
    pixel space, mapped to ours by ``to_ours``); ``x`` is in our pixel space.
    """
    assert not model.training and next(model.parameters()).dtype == torch.float32
    state = unwrap_state_dict(load_untrusted(path))
    config, ours = PEERS[peer].convert(state, **convert_kw)
    assert config == model.config
    exact = build_model(config).double()
    exact.load_state_dict(ours, strict=True)
    with torch.no_grad():
        eps, logp = exact.eval().encode(x)
        torch.testing.assert_close(logp, ref_logp + log_jacobian, rtol=1e-10, atol=1e-8)
        torch.testing.assert_close(eps, ref_eps, rtol=1e-9, atol=1e-9)
        torch.testing.assert_close(exact.decode(ref_eps), to_ours(ref_rec), rtol=1e-8, atol=1e-8)
        eps32, logp32 = model.encode(x.float())
        torch.testing.assert_close(logp32.double(), ref_logp + log_jacobian, rtol=1e-4, atol=1e-3)
        torch.testing.assert_close(eps32.double(), ref_eps, rtol=1e-3, atol=1e-3)
        torch.testing.assert_close(model.decode(ref_eps.float()).double(), to_ours(ref_rec), rtol=1e-3, atol=2e-3)


@pytest.mark.parametrize("channels,levels,affine,lu", [(3, 2, True, True), (1, 3, False, False), (3, 2, True, False)])
def test_rosinality_import_is_exact(tmp_path, channels, levels, affine, lu):
    rnd, steps, size = Rand(1), 2, 8
    sd = ros_state(rnd, channels, levels, steps, 8, affine, lu)
    path = tmp_path / "model_010001.pt"
    torch.save({"module." + k: v for k, v in sd.items()}, path)  # nn.DataParallel state_dict
    model, card = import_checkpoint(path, image_size=size)
    assert model.config.pad_value == 1.0 and model.n_bits == 5 and model.pixel_offset == -0.5
    assert model.config.coupling == ("affine" if affine else "additive") and model.config.levels == levels
    assert card.provenance["peer"] == "rosinality" and "n_bits = 5" in card.provenance["import_notes"][0]

    x = torch.rand(4, channels, size, size, dtype=torch.float64, generator=rnd.gen) - 0.5
    sd64 = as64(sd)
    ref_logp, zs, priors = ros_forward(sd64, x, levels, steps)
    rec = ros_reverse(sd64, zs, levels, steps)
    torch.testing.assert_close(rec, x)  # the reference's own reverse pass reconstructs x
    check_equivalent(path, "rosinality", model, ref_logp, standardized(zs, priors), rec, x, lambda r: r,
                     hparams=None, image_size=size)


@pytest.mark.parametrize("affine,lu,perm,learn_top,container", [
    (True, True, "invconv", True, "ignite"), (False, False, "invconv", True, "plain"),
    (True, False, "reverse", False, "plain")])
def test_y0ast_import_is_exact(tmp_path, affine, lu, perm, learn_top, container):
    rnd, levels, steps, size = Rand(2), 2, 2, 8
    sd = fn_state(rnd, Y0AST, 3, size, levels, steps, 8, affine, lu, perm, learn_top)
    hparams = {"dataset": "tiny-test", "hidden_channels": 8, "K": steps, "L": levels, "actnorm_scale": 1.0,
               "flow_permutation": perm, "flow_coupling": "affine" if affine else "additive", "LU_decomposed": lu,
               "learn_top": learn_top, "y_condition": False, "y_weight": 0.01, "seed": 0}
    (tmp_path / "hparams.json").write_text(json.dumps(hparams))  # written beside the checkpoints by train.py
    if container == "ignite":  # ignite >= 0.4: one file with model and optimizer
        path = tmp_path / "glow_checkpoint_3.pt"
        torch.save({"model": sd, "optimizer": {"state": {}, "param_groups": [{"lr": 5e-4, "params": [0]}]}}, path)
    else:
        path = tmp_path / "glow_model_3.pth"
        torch.save(sd, path)
    model, card = import_checkpoint(path)  # hparams.json found beside the file
    assert model.n_bits == 8 and model.pixel_offset == -0.5 and model.config.pad_value == 0.0
    assert card.provenance["hparams_file"] == "hparams.json" and "tiny-test" in card.training_data

    x = torch.rand(3, 3, size, size, dtype=torch.float64, generator=rnd.gen) - 0.5
    sd64 = as64(sd)
    ref_logp, zs, priors = fn_forward(sd64, Y0AST, x, levels, steps)
    rec = fn_reverse(sd64, Y0AST, zs, levels, steps)
    torch.testing.assert_close(rec, x)
    check_equivalent(path, "y0ast", model, ref_logp, standardized(zs, priors), rec, x, lambda r: r, hparams=hparams)


@pytest.mark.parametrize("channels,levels,affine,lu,learn_top", [(3, 2, True, False, True), (1, 3, False, True, False)])
def test_chaiyujin_import_is_exact(tmp_path, channels, levels, affine, lu, learn_top):
    rnd, steps, size = Rand(3), 2, 8
    sd = fn_state(rnd, CHAIYUJIN, channels, size, levels, steps, 8, affine, lu, learn_top=learn_top, prior_batch=3)
    path = tmp_path / "save_5k0.pkg"
    torch.save({"global_step": 5000, "graph": sd, "optim": {"state": {}, "param_groups": []}, "criterion": {}}, path)
    hp_path = tmp_path / "celeba.json"
    hp_path.write_text(json.dumps({"Glow": {"image_shape": [size, size, channels], "hidden_channels": 8, "K": steps,
                                            "L": levels, "flow_permutation": "invconv", "LU_decomposed": lu,
                                            "flow_coupling": "affine" if affine else "additive",
                                            "learn_top": learn_top, "y_condition": False, "y_classes": 40},
                                   "Train": {"batch_size": 12}}))
    model, card = import_checkpoint(path, hparams_path=hp_path)
    assert model.n_bits == 8 and model.pixel_offset == 0.0 and card.provenance["peer"] == "chaiyujin"

    # Our pixel scale (k + 0.5)/256 is the peer's ToTensor scale k/255 through x_peer = a x + c (folded in).
    a, c = 256 / 255, -0.5 / 255
    x = torch.rand(3, channels, size, size, dtype=torch.float64, generator=rnd.gen)
    sd64 = as64(sd)
    ref_logp, zs, priors = fn_forward(sd64, CHAIYUJIN, a * x + c, levels, steps)
    rec = fn_reverse(sd64, CHAIYUJIN, zs, levels, steps)
    torch.testing.assert_close(rec, a * x + c)
    check_equivalent(path, "chaiyujin", model, ref_logp, standardized(zs, priors), rec, x, lambda r: (r - c) / a,
                     log_jacobian=x[0].numel() * math.log(a), hparams=json.loads(hp_path.read_text()))
    # Pixel k is read exactly as the peer's k/255, and postprocess inverts ToTensor.
    k = torch.arange(256, dtype=torch.uint8).view(1, 1, 16, 16).expand(1, channels, 16, 16)
    assert torch.allclose(model.preprocess(k) * a + c, k.float() / 255, atol=1e-6)
    assert torch.equal(model.postprocess(model.preprocess(k)), k)
    # Without the fold the peer's function of x is kept as is.
    config, ours = chaiyujin.convert(sd, None, rescale_255=False)
    plain = build_model(config).double()
    plain.load_state_dict(ours)
    with torch.no_grad():
        torch.testing.assert_close(plain.eval().log_prob(a * x + c), ref_logp, rtol=1e-10, atol=1e-8)


def test_imported_model_round_trips_through_native_checkpoint(tmp_path):
    sd = ros_state(Rand(4), 1, 2, 1, 4, True, True)
    path = tmp_path / "model.pt"
    save_file({"module." + k: v.contiguous() for k, v in sd.items()}, str(path.with_suffix(".safetensors")))
    model, card = import_checkpoint(path.with_suffix(".safetensors"), image_size=(8, 4))  # peer weights re-saved safely
    native = save_checkpoint(model, tmp_path / "native.safetensors", card)
    loaded = load_checkpoint(native)
    x = torch.rand(2, 1, 8, 4) - 0.5
    with torch.no_grad():
        torch.testing.assert_close(loaded.model.log_prob(x), model.log_prob(x))
    assert loaded.card.provenance["peer"] == "rosinality" and "check the original licence" in loaded.card.licence
    with pytest.raises(PeerImportError, match="already a native Flow Studio checkpoint"):
        import_checkpoint(native)


# --------------------------------------------------------------------------- safety and refusals
class Payload:
    """Unpickling this runs ``open(marker, "w")``: a visible side effect if code were ever executed."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


class WholeModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(2))


def test_files_that_need_code_are_refused_without_running_it(tmp_path):
    marker = tmp_path / "executed"
    evil = tmp_path / "evil.pt"
    torch.save({"model": ros_state(Rand(5), 1, 2, 1, 4, True, True), "extra": Payload(marker)}, evil)
    with pytest.raises(PeerImportError, match="refusing to unpickle.*needs code.*plain state_dict"):
        import_checkpoint(evil, image_size=8)
    assert not marker.exists()
    torch.load(evil, weights_only=False)["extra"].close()  # control: the payload is live when unpickled unsafely
    assert marker.exists()

    whole = tmp_path / "whole.pt"
    torch.save(WholeModel(), whole)
    with pytest.raises(PeerImportError, match="refusing to unpickle.*WholeModel"):
        import_checkpoint(whole)


def test_unreadable_and_unknown_files_are_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    with pytest.raises(PeerImportError, match="not a PyTorch checkpoint"):
        import_checkpoint(tmp_path / "notes.txt")
    with pytest.raises(PeerImportError, match="no such file"):
        import_checkpoint(tmp_path / "missing.pt")
    torch.save({"encoder.weight": torch.zeros(2), "decoder.bias": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(PeerImportError, match="unknown key layout.*encoder.weight"):
        import_checkpoint(tmp_path / "other.pt")
    native = randomized(build_model(TINY_CONFIGS["glow-affine-gray"]))
    torch.save(native.state_dict(), tmp_path / "native.pt")
    with pytest.raises(PeerImportError, match="native layout"):
        import_checkpoint(tmp_path / "native.pt")
    torch.save(ros_state(Rand(6), 1, 2, 1, 4, True, True), tmp_path / "ros.pt")
    with pytest.raises(PeerImportError, match="does not look like a y0ast checkpoint"):
        import_checkpoint(tmp_path / "ros.pt", peer="y0ast")
    with pytest.raises(PeerImportError, match="hparams file not found"):
        import_checkpoint(tmp_path / "ros.pt", hparams_path=tmp_path / "nope.json")


def _y0ast_file(tmp_path, hparams=None, **kw):
    sd = fn_state(Rand(7), Y0AST, 3, 8, 2, 1, 4, True, True, **kw)
    path = tmp_path / "glow_model_1.pth"
    torch.save(sd, path)
    if hparams is not None:
        (tmp_path / "hparams.json").write_text(json.dumps(hparams))
    return sd, path


def test_conditional_and_shuffled_models_are_refused(tmp_path):
    sd, path = _y0ast_file(tmp_path, {"y_condition": True})
    sd.update({"project_ycond.linear.weight": torch.zeros(64, 10), "project_ycond.linear.bias": torch.zeros(64),
               "project_ycond.logs": torch.zeros(64)})
    torch.save(sd, path)
    with pytest.raises(PeerImportError, match="class-conditional"):
        import_checkpoint(path)
    _, path = _y0ast_file(tmp_path, {"flow_permutation": "shuffle"}, perm="shuffle")
    with pytest.raises(PeerImportError, match="'shuffle'.*not saved"):
        import_checkpoint(path)
    (tmp_path / "hparams.json").unlink()
    with pytest.raises(PeerImportError, match="pass its hparams file"):
        import_checkpoint(path)


def test_inconsistent_checkpoints_are_refused(tmp_path):
    _, path = _y0ast_file(tmp_path, {"dataset": "cifar10"})  # cifar10 is 32x32 but these weights are 8x8
    with pytest.raises(PeerImportError, match=r"image size = \(32, 32\).*\(8, 8\).*shape mismatch"):
        import_checkpoint(path)
    _, path = _y0ast_file(tmp_path, {"K": 3})
    with pytest.raises(PeerImportError, match="K = 3.*K = 1"):
        import_checkpoint(path)
    sd = ros_state(Rand(8), 1, 2, 1, 4, True, True)
    sd["blocks.1.flows.0.coupling.net.2.weight"] = torch.zeros(4, 5, 1, 1)
    torch.save(sd, tmp_path / "bad_shape.pt")
    with pytest.raises(PeerImportError, match="shape mismatch"):
        import_checkpoint(tmp_path / "bad_shape.pt", image_size=8)
    sd = ros_state(Rand(8), 1, 2, 1, 4, True, True)
    torch.save(sd, tmp_path / "good.pt")
    with pytest.raises(PeerImportError, match="do not record the image size"):
        import_checkpoint(tmp_path / "good.pt")
    sd["blocks.0.flows.0.actnorm.scale"][0, 1] = -0.5
    torch.save(sd, tmp_path / "negative.pt")
    with pytest.raises(PeerImportError, match="scale has entries <= 0"):
        import_checkpoint(tmp_path / "negative.pt", image_size=8)
    sd = ros_state(Rand(8), 1, 2, 1, 4, True, True)
    sd["blocks.0.flows.0.extra.weight"] = torch.zeros(1)
    torch.save(sd, tmp_path / "extra.pt")
    with pytest.raises(PeerImportError, match="does not understand.*extra.weight"):
        import_checkpoint(tmp_path / "extra.pt", image_size=8)
