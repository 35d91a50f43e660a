"""Benchmark: rwkv_zero's World tokenizer vs the official `rwkv.rwkv_tokenizer.TRIE_TOKENIZER`, measured in one run.

    python bench/tokenizer.py [--repeats 3] [--kb 400]

Prints a table: vocabulary load time (parse + trie), encode and decode throughput in MB/s of UTF-8 text on
the project's multilingual sample (data/multilingual.json, repeated to about `--kb` KB) and on English text
(Python's own `pydoc_data.topics`), the best of 3 alternating rounds of `--repeats` calls, and the ratio
rwkv_zero / official. Both tokenizers are first checked to give identical ids.
"""
import argparse, gc, json, platform, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rwkv_zero.tokenizer import TrieTokenizer, WORLD_VOCAB_SIZE, world_vocab_path  # noqa: E402


def best_of(f, repeats):
    "Smallest wall time of `repeats` calls of `f()` (and its last result)."
    best, out = float('inf'), None
    for _ in range(repeats):
        t0 = time.perf_counter(); out = f(); best = min(best, time.perf_counter() - t0)
    return best, out


def race(f_official, f_ours, repeats, rounds=3):
    """Best times of two functions, measured in alternating rounds of `repeats` calls each, so that both see the
    same (noisy, shared) machine. Within a round the calls run back to back: the first call after the other
    tokenizer ran starts with cold caches, the best of the round does not."""
    t_off = t_ours = float('inf')
    for _ in range(rounds):
        t_off = min(t_off, best_of(f_official, repeats)[0])
        t_ours = min(t_ours, best_of(f_ours, repeats)[0])
    return t_off, t_ours


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--repeats', type=int, default=3, help='calls per round; the best of 3 alternating rounds is reported')
    ap.add_argument('--kb', type=int, default=400, help='size of each benchmark text in KB of UTF-8')
    args = ap.parse_args()

    from rwkv.rwkv_tokenizer import TRIE_TOKENIZER
    import pydoc_data.topics

    path = world_vocab_path()
    corpus = json.loads((ROOT/'data'/'multilingual.json').read_text(encoding='utf-8'))
    multi = '\n'.join(corpus.values())
    english = '\n'.join(pydoc_data.topics.topics.values())
    def sized(t):
        t = t * (args.kb * 1000 // len(t.encode()) + 1)
        return t.encode()[:args.kb * 1000].decode('utf-8', errors='ignore')
    texts = {'multilingual': sized(multi), 'English (pydoc)': sized(english)}

    rows = []
    # load: ours first (before the official tokenizer's ~10^7 objects make every later GC pass slower for both)
    t_ours, ours = best_of(lambda: TrieTokenizer.from_file(path, vocab_size=WORLD_VOCAB_SIZE), args.repeats)
    t_off, official = best_of(lambda: TRIE_TOKENIZER(str(path)), max(1, min(args.repeats, 2)))
    rows.append(('load vocab (parse + trie)', 's', t_off, t_ours, t_off / t_ours))

    for name, text in texts.items():
        mb = len(text.encode()) / 1e6
        ids = ours.encode(text)
        assert ids == official.encode(text), f'ids differ on {name}'
        assert ours.decode(ids) == official.decode(ids) == text
        gc.collect()
        te_off, te_ours = race(lambda: official.encode(text), lambda: ours.encode(text), args.repeats)
        rows.append((f'encode {name}', 'MB/s', mb / te_off, mb / te_ours, te_off / te_ours))
        td_off, td_ours = race(lambda: official.decode(ids), lambda: ours.decode(ids), args.repeats)
        rows.append((f'decode {name}', 'MB/s', mb / td_off, mb / td_ours, td_off / td_ours))

    print(f'# World tokenizer: rwkv_zero vs official rwkv.rwkv_tokenizer.TRIE_TOKENIZER')
    print(f'# Python {platform.python_version()} on {platform.machine()}, texts of {args.kb} KB, best of 3 rounds x {args.repeats}; '
          f'ids identical on both texts')
    print(f"| {'measure':34} | {'unit':4} | {'official':>9} | {'rwkv_zero':>9} | {'speed-up':>8} |")
    print(f"|{'-'*36}|{'-'*6}|{'-'*11}|{'-'*11}|{'-'*10}|")
    for what, unit, off, us, ratio in rows:
        print(f'| {what:34} | {unit:4} | {off:9.3f} | {us:9.3f} | {ratio:7.1f}x |')


if __name__ == '__main__':
    main()
