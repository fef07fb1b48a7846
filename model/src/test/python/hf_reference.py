"""Builds tiny random Hugging Face checkpoints and their reference outputs for the odpo model tests.

Usage: hf_reference.py OUT_DIR                        build the reference cases
       hf_reference.py check MODEL_DIR IDS_JSON OUT_JSON  load an odpo-saved directory with transformers
Writes OUT_DIR/<case>/ (an HF model directory written by save_pretrained) and OUT_DIR/<case>/expected.json
(input ids, logits, greedy generations or reward scores computed by transformers itself).
Exit code 3 means torch/transformers are not importable (the Java test then skips).
"""
import json
import os
import sys

try:
    import torch
    from transformers import (LlamaConfig, LlamaForCausalLM, LlamaForSequenceClassification,
                              Qwen2Config, Qwen2ForCausalLM, Qwen2ForSequenceClassification)
except Exception as e:  # noqa: BLE001
    print("reference stack unavailable:", e, file=sys.stderr)
    sys.exit(3)

torch.set_num_threads(1)
VOCAB = 96


def perturb(model, seed):
    """Random values everywhere, including biases and norm weights (HF initialises those to 0 / 1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.08 * torch.randn(p.shape, generator=g))
    if getattr(model.config, "tie_word_embeddings", False) and hasattr(model, "tie_weights"):
        model.tie_weights()


def ids(seed, rows, length):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(3, VOCAB, (rows, length), generator=g)


def causal_case(out, name, cls, cfg, seed, save_kwargs=None, dtype=None):
    torch.manual_seed(seed)
    model = cls(cfg).eval()
    perturb(model, seed)
    if dtype is not None:
        model = model.to(dtype)
    d = os.path.join(out, name)
    model.save_pretrained(d, **(save_kwargs or {}))
    if dtype is not None:
        model = model.float()
    x = ids(seed + 1, 2, 11)
    with torch.no_grad():
        logits = model(input_ids=x).logits
    prompts = [ids(seed + 2, 1, 5)[0].tolist(), ids(seed + 3, 1, 8)[0].tolist()]
    gens = []
    for p in prompts:
        t = torch.tensor([p])
        with torch.no_grad():
            o = model.generate(input_ids=t, attention_mask=torch.ones_like(t), max_new_tokens=12,
                               do_sample=False, pad_token_id=0)
        gens.append(o[0, len(p):].tolist())
    exp = {"input_ids": x.tolist(), "logits": logits.flatten().tolist(), "logits_shape": list(logits.shape),
           "prompts": prompts, "greedy": gens}
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(exp, f)


def reward_case(out, name, cls, cfg, seed):
    torch.manual_seed(seed)
    model = cls(cfg).eval()
    perturb(model, seed)
    d = os.path.join(out, name)
    model.save_pretrained(d)
    x = ids(seed + 1, 3, 9)
    mask = torch.ones_like(x)
    lengths = [9, 6, 4]
    for r, n in enumerate(lengths):
        x[r, n:] = cfg.pad_token_id
        mask[r, n:] = 0
    with torch.no_grad():
        scores = model(input_ids=x, attention_mask=mask).logits[:, 0]
    exp = {"input_ids": x.tolist(), "attention_mask": mask.tolist(), "scores": scores.tolist()}
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(exp, f)


def main(out):
    common = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=56, num_hidden_layers=2,
                  max_position_embeddings=128, bos_token_id=1, eos_token_id=2, attn_implementation="eager")
    causal_case(out, "llama_gqa_tied", LlamaForCausalLM,
                LlamaConfig(num_attention_heads=4, num_key_value_heads=2, rope_theta=5000.0,
                            tie_word_embeddings=True, **common), 11)
    causal_case(out, "llama_untied_headdim", LlamaForCausalLM,
                LlamaConfig(num_attention_heads=4, num_key_value_heads=4, head_dim=16, rope_theta=500000.0,
                            tie_word_embeddings=False, rms_norm_eps=1e-5, **common), 12,
                save_kwargs={"max_shard_size": "20KB"})
    causal_case(out, "qwen2_gqa_bias", Qwen2ForCausalLM,
                Qwen2Config(num_attention_heads=4, num_key_value_heads=1, rope_theta=20000.0,
                            tie_word_embeddings=False, **common), 13)
    causal_case(out, "qwen2_bf16_tied", Qwen2ForCausalLM,
                Qwen2Config(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True, **common), 14,
                dtype=torch.bfloat16)
    causal_case(out, "llama3_rope_mqa", LlamaForCausalLM,
                LlamaConfig(num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=False,
                            rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                                             "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                             "original_max_position_embeddings": 64}, **common), 17)
    reward_case(out, "qwen2_reward", Qwen2ForSequenceClassification,
                Qwen2Config(num_attention_heads=4, num_key_value_heads=2, num_labels=1, pad_token_id=0, **common), 15)
    reward_case(out, "llama_reward", LlamaForSequenceClassification,
                LlamaConfig(num_attention_heads=4, num_key_value_heads=1, num_labels=1, pad_token_id=0, **common), 16)


if __name__ == "__main__" and len(sys.argv) == 2:
    main(sys.argv[1])


def check_saved(model_dir, ids_json, out_json):
    """Loads a directory odpo saved with transformers' Auto classes and writes its logits or scores."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSequenceClassification
    cfg = AutoConfig.from_pretrained(model_dir)
    reward = cfg.architectures[0].endswith("ForSequenceClassification")
    cls = AutoModelForSequenceClassification if reward else AutoModelForCausalLM
    model = cls.from_pretrained(model_dir, attn_implementation="eager").eval()
    with open(ids_json) as f:
        x = torch.tensor(json.load(f))
    with torch.no_grad():
        out = model(input_ids=x).logits
    with open(out_json, "w") as f:
        json.dump({"values": out.flatten().tolist(), "shape": list(out.shape)}, f)


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "check":
    check_saved(sys.argv[2], sys.argv[3], sys.argv[4])
