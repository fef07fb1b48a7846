"""PyTorch eager / HF transformers peer for odpo's ModelBenchmark, driven one measurement at a time.

Usage: peer_benchmark.py THREADS
Reads one JSON command per line on stdin and answers one JSON line on stdout, so the benchmark can
alternate a DJL repetition with a peer repetition on the same shapes (the machine's load then hits both):
  {"op": "setup", "vocab", "hidden", "inter", "layers", "heads", "kv_heads", "batch", "seq",
   "decode_batch", "prompt", "new_tokens"}                  -> {"torch": version, "threads": n}
  {"op": "train"}          one train step (fwd, bwd, AdamW)  -> {"fwd": ms, "bwd": ms, "opt": ms}
  {"op": "dpo"}            one DPO step                      -> {"ms": ms}
  {"op": "reference"}      the reference's log-probs, no_grad -> {"ms": ms}
  {"op": "decode", "cache": bool}  greedy generate()         -> {"ms_per_step": ms}
  {"op": "quit"}
"""
import json
import sys
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def seq_logprob(model, ids, mask):
    logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
    lp = torch.log_softmax(logits, -1).gather(2, ids[:, 1:, None]).squeeze(2)
    return (lp * mask[:, 1:]).sum(1)


class Peer:
    def __init__(self, c):
        torch.manual_seed(0)
        cfg = LlamaConfig(vocab_size=c["vocab"], hidden_size=c["hidden"], intermediate_size=c["inter"],
                          num_hidden_layers=c["layers"], num_attention_heads=c["heads"],
                          num_key_value_heads=c["kv_heads"], max_position_embeddings=4096,
                          tie_word_embeddings=True, attn_implementation="eager", bos_token_id=None,
                          eos_token_id=None, pad_token_id=0)
        self.c = c
        self.model = LlamaForCausalLM(cfg)
        self.ref = LlamaForCausalLM(cfg).eval()
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=1e-5, weight_decay=0.01)
        self.ids = torch.randint(1, c["vocab"], (c["batch"], c["seq"]))
        self.mask = torch.ones_like(self.ids, dtype=torch.float32)
        self.prompt = torch.randint(1, c["vocab"], (c["decode_batch"], c["prompt"]))

    def train(self):
        self.model.train()
        t0 = time.perf_counter()
        loss = -seq_logprob(self.model, self.ids, self.mask).mean()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        self.opt.step()
        self.opt.zero_grad(set_to_none=False)
        t3 = time.perf_counter()
        return {"fwd": (t1 - t0) * 1000, "bwd": (t2 - t1) * 1000, "opt": (t3 - t2) * 1000}

    def dpo(self):
        self.model.train()
        t0 = time.perf_counter()
        with torch.no_grad():
            ref_lp = seq_logprob(self.ref, self.ids, self.mask)
        pol = seq_logprob(self.model, self.ids, self.mask)
        rho = (pol - ref_lp).view(-1, 2)
        loss = -torch.nn.functional.logsigmoid(0.1 * (rho[:, 0] - rho[:, 1])).mean()
        loss.backward()
        self.opt.step()
        self.opt.zero_grad(set_to_none=False)
        return {"ms": (time.perf_counter() - t0) * 1000}

    def reference(self):
        t0 = time.perf_counter()
        with torch.no_grad():
            seq_logprob(self.ref, self.ids, self.mask)
        return {"ms": (time.perf_counter() - t0) * 1000}

    def decode(self, cache):
        self.model.eval()
        n = self.c["new_tokens"]
        t0 = time.perf_counter()
        with torch.no_grad():
            self.model.generate(input_ids=self.prompt, attention_mask=torch.ones_like(self.prompt),
                                max_new_tokens=n, min_new_tokens=n, do_sample=False, use_cache=cache,
                                pad_token_id=0)
        return {"ms_per_step": (time.perf_counter() - t0) * 1000 / n}


def main(threads):
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    peer = None
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd["op"]
        if op == "quit":
            break
        if op == "setup":
            peer = Peer(cmd)
            out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
        elif op == "decode":
            out = peer.decode(cmd["cache"])
        else:
            out = getattr(peer, op)()
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
