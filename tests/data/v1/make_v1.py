"""Write tiny format-1 checkpoints of every family with the pre-registry code, plus reference outputs."""
import json, torch
from flowstudio.models import build_model
from flowstudio.checkpoint import save_checkpoint, default_card
from tests.conftest import TINY_CONFIGS, randomized
torch.set_num_threads(1)
refs = {}
for name in ["glow-affine-gray", "realnvp-gray", "nice-odd"]:
    model = randomized(build_model(TINY_CONFIGS[name]))
    save_checkpoint(model, f"tests/data/v1/{name}.safetensors",
                    default_card(model, name=name, training_data="random (test fixture)", test_bits_per_dim=1.5))
    gen = torch.Generator().manual_seed(1)
    x = torch.randint(0, 256, (3, *model.image_shape), generator=gen, dtype=torch.uint8)
    with torch.no_grad():
        eps, logp = model.encode(model.preprocess(x))
        s = model.sample(2, 0.7, seed=3)
    refs[name] = {"images": x.tolist(), "eps_sum": eps.double().sum(1).tolist(), "eps_first": eps[:, :5].tolist(),
                  "log_prob": logp.tolist(), "sample_sum": s.double().sum((1, 2, 3)).tolist()}
json.dump(refs, open("tests/data/v1/reference.json", "w"))
print({k: v["log_prob"] for k, v in refs.items()})
