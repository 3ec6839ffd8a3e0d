#!/usr/bin/env python3
"""Decode throughput over HTTP, measured as `switchyard bench` measures it in process.

For B concurrent streams, B prompts of --prompt-tokens random token ids are sent twice: once generating
one token, once generating --gen-tokens (greedy, ignore_eos, streamed). Prompt processing cancels out:
    decode tok/s = B x (gen - 1) / (t_gen - t_1)
Each figure is the best of --repeat runs after one warm-up run. Start the server first, e.g.
    ./switchyard serve --model bench.gguf --threads 2
then run: python3 server/bench/http_bench.py --streams 1,16 [--json]
"""
import argparse
import http.client
import json
import random
import threading
import time
import urllib.parse


def stream_once(url, prompt, max_tokens, result, index):
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    body = json.dumps({"prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "ignore_eos": True,
                       "stream": True, "stream_options": {"include_usage": True}})
    conn.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {response.read()[:300]!r}")
    tokens, first, last = 0, None, None
    for raw in response:
        line = raw.strip()
        if not line.startswith(b"data: ") or line == b"data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        now = time.perf_counter()
        if chunk.get("usage"):
            tokens = chunk["usage"]["completion_tokens"]
        elif chunk["choices"]:
            first = first or now
            last = now
    conn.close()
    result[index] = (tokens, first, last)


def run(url, prompts, max_tokens):
    """All prompts at once; returns the wall time and each stream's (tokens, first chunk, last chunk)."""
    result = [None] * len(prompts)
    threads = [threading.Thread(target=stream_once, args=(url, p, max_tokens, result, i)) for i, p in enumerate(prompts)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if any(r is None or r[0] != max_tokens for r in result):
        raise RuntimeError(f"a stream failed or ended early: {result}")
    return elapsed, result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--streams", default="1,16", help="concurrent stream counts (default: 1,16)")
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--gen-tokens", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args()

    parts = urllib.parse.urlsplit(args.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    conn.request("GET", "/v1/models")
    model = json.loads(conn.getresponse().read())["data"][0]
    conn.request("POST", "/tokenize", json.dumps({"prompt": "x"}), {"Content-Type": "application/json"})
    conn.getresponse().read()
    conn.close()

    rng = random.Random(42)
    figures = {"model": model["id"], "prompt_tokens": args.prompt_tokens, "gen_tokens": args.gen_tokens,
               "decode_tok_s": {}, "stream_decode_tok_s": {}}
    for b in [int(s) for s in args.streams.split(",")]:
        # token ids below 256 are plain byte tokens in every generated vocabulary
        prompts = [[rng.randrange(3, 256) for _ in range(args.prompt_tokens)] for _ in range(b)]
        run(args.url, prompts, 1)
        run(args.url, prompts, args.gen_tokens)
        t1 = min(run(args.url, prompts, 1)[0] for _ in range(args.repeat))
        full = [run(args.url, prompts, args.gen_tokens) for _ in range(args.repeat)]
        tn = min(f[0] for f in full)
        figures["decode_tok_s"][str(b)] = round(b * (args.gen_tokens - 1) / max(1e-9, tn - t1), 1)
        # per stream, from its own chunks' arrival times (first token to last), averaged over streams
        rates = [(tok - 1) / (last - first) for _, streams in full for tok, first, last in streams if last > first]
        figures["stream_decode_tok_s"][str(b)] = round(max(rates) if b == 1 else sum(rates) / len(rates), 1)
    if args.json:
        print(json.dumps(figures))
    else:
        for b, v in figures["decode_tok_s"].items():
            print(f"{b:>3} streams: {v:8.1f} decode tok/s in all "
                  f"({figures['stream_decode_tok_s'][b]:.1f} per stream from chunk times)")


if __name__ == "__main__":
    main()
