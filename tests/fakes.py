"""Test doubles: a fast embedder that still puts texts sharing words close together."""

import hashlib
import re

import numpy as np

WORD = re.compile(r"[a-z0-9']+")


class HashingEmbedder:
    """Bag-of-words vectors: each word a fixed random direction; records every text it encodes."""

    name = "hashing-test-double"
    dim = 384

    def __init__(self):
        self.encoded = []
        self._words = {}

    def _word(self, word):
        if word not in self._words:
            seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            self._words[word] = np.random.default_rng(seed).standard_normal(self.dim)
        return self._words[word]

    def encode(self, texts, batch_size=32):
        texts = list(texts)
        self.encoded.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in WORD.findall(text.lower()):
                out[i] += self._word(word)
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else self._word("\x00empty")
        return out / np.linalg.norm(out, axis=1, keepdims=True)
