"Reference solutions to the exercises of chapter 00 (the World tokenizer)."


def ex1(data, vocab):
    "Greedy longest match: at each position the longest piece of `vocab` that fits."
    longest = max(map(len, vocab))
    out, i = [], 0
    while i < len(data):
        for L in range(min(longest, len(data) - i), 0, -1):
            if data[i:i + L] in vocab: break
        else: raise ValueError(f'byte {data[i]:#04x} at {i} is not in the vocabulary')
        out.append(data[i:i + L]); i += L
    return out


def ex2(word, merges):
    "BPE: repeatedly merge every occurrence of the highest-priority adjacent pair present."
    rank = {tuple(m): r for r, m in enumerate(merges)}
    parts = list(word)
    while len(parts) > 1:
        pairs = [(rank[p], p) for p in zip(parts, parts[1:]) if p in rank]
        if not pairs: break
        _, (a, b) = min(pairs)
        out, i = [], 0
        while i < len(parts):
            if i + 1 < len(parts) and parts[i] == a and parts[i + 1] == b: out.append(a + b); i += 2
            else: out.append(parts[i]); i += 1
        parts = out
    return parts
