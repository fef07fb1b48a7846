"""Opens a learner snapshot with Hugging Face transformers and scores responses with it.

Usage: hf_snapshot_check.py SNAPSHOT_DIR IN_JSON OUT_JSON
IN_JSON: {"prompt": text, "rows": [[prompt ids..., response ids...], ...], "prompt_lengths": [n, ...]}
OUT_JSON: {"prompt_ids": HF's ids of the chat-templated prompt, "logprobs": summed log-prob of each row's response}
Exit code 3 when transformers/torch are not importable (the Java test then skips).
"""
import json
import sys

try:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
except ImportError:
    sys.exit(3)

snapshot, in_file, out_file = sys.argv[1], sys.argv[2], sys.argv[3]
torch.set_num_threads(1)
spec = json.load(open(in_file))
tok = AutoTokenizer.from_pretrained(snapshot)
rendered = tok.apply_chat_template([{"role": "user", "content": spec["prompt"]}], tokenize=False,
                                   add_generation_prompt=True)
prompt_ids = tok(rendered, add_special_tokens=False)["input_ids"]
model = AutoModelForCausalLM.from_pretrained(snapshot, torch_dtype=torch.float32)
model.eval()
logprobs = []
with torch.no_grad():
    for row, n in zip(spec["rows"], spec["prompt_lengths"]):
        ids = torch.tensor([row])
        logp = torch.log_softmax(model(ids).logits[0, :-1].double(), dim=-1)
        targets = ids[0, 1:]
        per_token = logp.gather(1, targets[:, None])[:, 0]
        logprobs.append(float(per_token[n - 1:].sum()))
json.dump({"prompt_ids": prompt_ids, "logprobs": logprobs}, open(out_file, "w"))
