"""The same work as ningan-opinion's ingest bench, in Python with jieba: each NDJSON post
parsed, cut (HMM on) with the same user dictionary, scored against the same lexicon (read
from the engine's source), matched against the same topics, fingerprinted with the same
SimHash and grouped through the same four-band index. Prints posts a second and compares
the cuts of the first posts with the ones the Rust side wrote.

  python3 bench/opinion/peer.py DIR [--posts N]
"""
import json
import math
import sys
import time

import jieba

jieba.setLogLevel(60)

MASK = (1 << 64) - 1


def word_hash(w):
    h = 0xCBF29CE484222325
    for b in w.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & MASK
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & MASK
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & MASK
    return h ^ (h >> 31)


def simhash(words):
    votes = [0] * 64
    for w in words:
        h = word_hash(w)
        for bit in range(64):
            votes[bit] += 1 if (h >> bit) & 1 else -1
    out = 0
    for bit, v in enumerate(votes):
        if v > 0:
            out |= 1 << bit
    return out


def lexicon():
    """The engine's own lists, read from its source so that both sides score alike."""
    import re
    with open("crates/ningan-opinion/src/sentiment.rs", encoding="utf-8") as f:
        src = f.read()

    def block(name):
        start = src.index(f"const {name}:")
        return src[start:src.index("];", start)]

    pairs = lambda name: {w: float(v) for w, v in re.findall(r'\("([^"]+)", ([0-9.]+)\)', block(name))}
    words = lambda name: set(re.findall(r'"([^"]+)"', block(name)))
    return pairs("POSITIVE"), pairs("NEGATIVE"), words("NEGATORS"), pairs("DEGREES")


POSITIVE, NEGATIVE, NEGATORS, DEGREES = lexicon()


def score(words):
    s = 0.0
    for i, w in enumerate(words):
        v = POSITIVE.get(w) or (-NEGATIVE[w] if w in NEGATIVE else None)
        if v is None:
            continue
        for b in words[max(0, i - 2):i]:
            if b in NEGATORS:
                v = -v
            elif b in DEGREES:
                v *= DEGREES[b]
        s += v
    return math.tanh(s / 3)


def load_topics():
    import tomllib
    with open("crates/ningan-opinion/rules/default.toml", "rb") as f:
        return tomllib.load(f)["topic"]


def main():
    folder = sys.argv[1]
    limit = int(sys.argv[sys.argv.index("--posts") + 1]) if "--posts" in sys.argv else None
    jieba.initialize()
    local = set()
    with open(f"{folder}/userdict.txt", encoding="utf-8") as f:
        for line in f:
            w = line.split()[0]
            jieba.add_word(w, freq=1000, tag="ns")
            local.add(w)
    local |= {"宁波", "宁波市", "甬", "公安", "公安局", "警方", "民警", "警察", "派出所", "110", "交警", "辅警"}
    for w in ["宁波", "宁波市", "甬", "公安", "公安局", "警方", "民警", "警察", "派出所", "110", "交警", "辅警"]:
        jieba.add_word(w, freq=1000, tag="n")
    topics = load_topics()
    with open(f"{folder}/posts.ndjson", encoding="utf-8") as f:
        lines = f.read().split("\n")
    if limit:
        lines = lines[:limit]
    groups = []
    bands = {}
    started = time.perf_counter()
    for line in lines:
        text = json.loads(line)["text"]
        words = [w.lower() for w in jieba.lcut(text, HMM=True) if any(c.isalnum() for c in w)]
        score(words)
        is_local = any(w in local for w in words)
        ws = set(words)
        [t["id"] for t in topics if (is_local or not t.get("local")) and any(w in ws for w in t["any"])
         and all(w in ws for w in t.get("all", [])) and not any(w in ws for w in t.get("none", []))]
        h = simhash(words)
        # The same four-band index as the engine's: only groups sharing a band are compared.
        keys = [(b, (h >> (16 * b)) & 0xFFFF) for b in range(4)]
        near = any(bin(h ^ g).count("1") <= 3 for k in keys for g in bands.get(k, ()))
        if not near:
            groups.append(h)
            for k in keys:
                bands.setdefault(k, []).append(h)
    took = time.perf_counter() - started
    rate = len(lines) / took
    print(f"python jieba: {len(lines)} posts in {took:.2f} s: {rate:.0f} posts/s; {len(groups)} groups")
    same = differ = 0
    examples = []
    with open(f"{folder}/rust_cuts.txt", encoding="utf-8") as f:
        rust = f.read().splitlines()
    for line, theirs in zip(lines, rust):
        ours = "/".join(jieba.lcut(json.loads(line)["text"], HMM=True))
        if ours == theirs:
            same += 1
        else:
            differ += 1
            if len(examples) < 5:
                examples.append((ours, theirs))
    print(f"same segmentation: {same} of {same + differ} sampled posts")
    for ours, theirs in examples:
        print(f"  python: {ours}\n  rust:   {theirs}")
    print(f"rate_python {rate:.0f}")


if __name__ == "__main__":
    main()
