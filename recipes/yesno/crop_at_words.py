"""Add word-boundary crops of each training utterance, cut where a first model aligns them.

Usage::

    python recipes/yesno/crop_at_words.py MODEL IN_MANIFEST OUT_MANIFEST

Every yesno training file starts with "no" (the split takes the first 31 sorted names) and
every test file with "yes", so a model never hears "yes" at the start of an utterance. This
script force-aligns each training transcript with ``MODEL`` (CTC Viterbi alignment) and
writes ``OUT_MANIFEST``: the original lines plus, for each word after the first, a line that
starts in the pause before that word and runs to the end of the file (``offset``/``duration``
on the same audio; nothing is copied). A BiLSTM's CTC spikes come late, near the end of each
word, so the cut is the quietest 20 ms between the aligned starts of the two words rather
than the middle of the aligned gap. Every run of words (not only
suffixes) was tried too: 4.5x the lines, slower, and worse on test (see RESULTS.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from seqrec.audio.io import load_audio
from seqrec.data.manifest import ManifestEntry, read_manifest, write_manifest
from seqrec.recognizer import Recognizer


def suffix_crops(entry: ManifestEntry, cuts: list[float], words: list[str]) -> list[dict]:
    """Manifest rows of ``entry`` cut to begin at each word after the first.

    ``cuts[k - 1]`` is the time (seconds from the entry's own start) between word k - 1 and
    word k.
    """
    if len(cuts) != len(words) - 1:
        raise ValueError(f"{entry.where()}: {len(words)} words need {len(words) - 1} cuts")
    end = entry.offset + entry.duration if entry.duration is not None else None
    rows = []
    for k, cut in enumerate(cuts, start=1):
        row = {**entry.to_dict(), "text": " ".join(words[k:])}
        row.pop("duration", None)
        row["offset"] = round(entry.offset + cut, 3)
        if end is not None:
            row["duration"] = round(end - entry.offset - cut, 3)
        rows.append(row)
    return rows


def quietest_cuts(wave: np.ndarray, rate: int, starts: list[float], window_s: float = 0.02):
    """For each pair of consecutive word starts (seconds), the centre of the quietest
    ``window_s`` window of ``wave`` (S,) between them, energy smoothed over 90 ms."""
    hop = max(1, int(window_s * rate))
    cuts = []
    for first, second in zip(starts, starts[1:], strict=False):
        lo, hi = int(first * rate), max(int(second * rate), int(first * rate) + hop)
        frames = [wave[i : i + hop] for i in range(lo, min(hi, len(wave) - hop) + 1, hop // 2)]
        if not frames:
            cuts.append((first + second) / 2)
            continue
        energy = np.array([np.mean(f.astype(np.float64) ** 2) for f in frames])
        energy = np.convolve(energy, np.ones(9) / 9, mode="same")  # centre of the pause
        cuts.append((lo + int(np.argmin(energy)) * (hop // 2) + hop / 2) / rate)
    return cuts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="checkpoint or training folder of the first model")
    parser.add_argument("manifest", type=Path, help="training manifest to crop")
    parser.add_argument("out", type=Path, help="manifest to write: originals plus crops")
    args = parser.parse_args()

    recognizer = Recognizer.load(args.model)
    entries = read_manifest(args.manifest)
    rows: list[dict] = []
    for entry in tqdm(entries, desc="aligning", unit="utt"):
        (words,) = recognizer.align([entry], [entry.text])
        wave = load_audio(entry.path, recognizer.sample_rate, entry.offset, entry.duration)
        starts = [w.start * recognizer.frame_seconds for w in words]
        cuts = quietest_cuts(wave, recognizer.sample_rate, starts)
        rows.append(entry.to_dict())
        rows += suffix_crops(entry, cuts, [w.label for w in words])
    write_manifest(args.out, rows)
    print(f"{args.out}: {len(entries)} utterances + {len(rows) - len(entries)} crops")


if __name__ == "__main__":
    main()
