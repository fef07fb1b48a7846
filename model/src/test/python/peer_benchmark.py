"""PyTorch eager / HF transformers timings for the shapes odpo's ModelBenchmark measures.

Usage: peer_benchmark.py SPEC_JSON OUT_JSON
SPEC: {"threads": 2, "configs": [{"name", "vocab", "hidden", "inter", "layers", "heads", "kv_heads",
        "batch", "seq", "decode_batch", "prompt", "new_tokens", "repeats"}]}
Writes per config: median ms of train step (fwd, bwd, adamw, total), DPO step, decode with and without
the KV cache (ms per generated token step) and tokens/s.
"""
import json
import statistics
import sys
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def median_ms(fn, repeats, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def seq_logprob(model, ids, mask):
    logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
    lp = torch.log_softmax(logits, -1).gather(2, ids[:, 1:, None]).squeeze(2)
    return (lp * mask[:, 1:]).sum(1)


def run(c, threads):
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=c["vocab"], hidden_size=c["hidden"], intermediate_size=c["inter"],
                      num_hidden_layers=c["layers"], num_attention_heads=c["heads"],
                      num_key_value_heads=c["kv_heads"], max_position_embeddings=4096, tie_word_embeddings=True,
                      attn_implementation="eager", bos_token_id=None, eos_token_id=None, pad_token_id=0)
    model = LlamaForCausalLM(cfg)
    ref = LlamaForCausalLM(cfg).eval()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    b, t = c["batch"], c["seq"]
    ids = torch.randint(1, c["vocab"], (b, t))
    mask = torch.ones_like(ids, dtype=torch.float32)
    out = {}
    parts = {"fwd": [], "bwd": [], "opt": []}

    def train_step():
        t0 = time.perf_counter()
        loss = -seq_logprob(model, ids, mask).mean()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        opt.zero_grad(set_to_none=False)
        t3 = time.perf_counter()
        parts["fwd"].append((t1 - t0) * 1000)
        parts["bwd"].append((t2 - t1) * 1000)
        parts["opt"].append((t3 - t2) * 1000)

    out["train_ms"] = median_ms(train_step, c["repeats"])
    for k, v in parts.items():
        out["train_" + k + "_ms"] = statistics.median(v[2:])

    def dpo_step():
        with torch.no_grad():
            ref_lp = seq_logprob(ref, ids, mask)
        pol = seq_logprob(model, ids, mask)
        rho = (pol - ref_lp).view(-1, 2)
        loss = -torch.nn.functional.logsigmoid(0.1 * (rho[:, 0] - rho[:, 1])).mean()
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=False)

    out["dpo_ms"] = median_ms(dpo_step, c["repeats"])

    model.eval()
    prompt = torch.randint(1, c["vocab"], (c["decode_batch"], c["prompt"]))
    n = c["new_tokens"]
    for cache in (True, False):
        def gen():
            with torch.no_grad():
                model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=n,
                               min_new_tokens=n, do_sample=False, use_cache=cache, pad_token_id=0)
        ms = median_ms(gen, max(2, c["repeats"] // 2), warmup=1)
        key = "decode_cache" if cache else "decode_nocache"
        out[key + "_ms_per_step"] = ms / n
        out[key + "_tokens_per_s"] = c["decode_batch"] * n / (ms / 1000)
    return out


def main(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    torch.set_num_threads(spec["threads"])
    result = {"torch": torch.__version__, "threads": spec["threads"], "configs": {}}
    for c in spec["configs"]:
        result["configs"][c["name"]] = run(c, spec["threads"])
        print(c["name"], json.dumps(result["configs"][c["name"]]), flush=True)
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
