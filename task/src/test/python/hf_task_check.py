"""Loads a task policy directory with Hugging Face transformers and reports what HF sees.

Usage: hf_task_check.py MODEL_DIR OUT_JSON PROMPT
Exit code 3 when transformers/torch are not importable (the Java test then skips).
"""
import json
import sys

try:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
except ImportError:
    sys.exit(3)

model_dir, out_file, prompt = sys.argv[1], sys.argv[2], sys.argv[3]
torch.set_num_threads(1)
tok = AutoTokenizer.from_pretrained(model_dir)
rendered = tok.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)
ids = tok(rendered, add_special_tokens=False)["input_ids"]
model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32)
model.eval()
with torch.no_grad():
    out = model.generate(torch.tensor([ids]), max_new_tokens=12, do_sample=False,
                         eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
new = out[0, len(ids):].tolist()
json.dump({"rendered": rendered, "ids": ids, "greedy": new,
           "decoded": tok.decode(new, skip_special_tokens=True)}, open(out_file, "w"))
