"""Add word-boundary crops of each training utterance, cut where a first model aligns them.

Usage::

    python recipes/yesno/crop_at_words.py MODEL IN_MANIFEST OUT_MANIFEST

Every yesno training file starts with "no" (the split takes the first 31 sorted names) and
every test file with "yes", so a model never hears "yes" at the start of a recording. This
script force-aligns each training transcript with ``MODEL`` (CTC Viterbi alignment) and
writes ``OUT_MANIFEST``: the original lines plus, for each word after the first, a new WAV
file (in ``crops/`` beside ``OUT_MANIFEST``) that is the recording's own opening silence
followed by the audio from the pause before that word to the end. Each crop thus opens the
way a test recording does (about a second of room noise, then a word), only with another
first word. A BiLSTM's CTC spikes come late, near the end of each word, so the cut is the
quietest 20 ms between the aligned starts of the two words rather than the middle of the
aligned gap. Tried and worse on test (see RESULTS.md): every run of words as a crop (4.5x the
lines), and prefix crops that stop partway through a word.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm.auto import tqdm

from seqrec.audio.io import load_audio
from seqrec.data.manifest import read_manifest, write_manifest
from seqrec.recognizer import Recognizer


def opening_silence(wave: np.ndarray, rate: int, window_s: float = 0.02) -> int:
    """Samples of ``wave`` (S,) before its first sound, less 0.1 s: the room noise a
    recording opens with. Sound is a 20 ms window above a tenth of the loud (95th
    percentile) window energy."""
    hop = max(1, int(window_s * rate))
    energy = np.array([np.mean(wave[i : i + hop] ** 2) for i in range(0, len(wave) - hop, hop)])
    if energy.size == 0:
        return 0
    loud = np.flatnonzero(energy > 0.1 * np.percentile(energy, 95))
    onset = int(loud[0]) * hop if loud.size else 0
    return max(0, onset - int(0.1 * rate))


def joined(head: np.ndarray, tail: np.ndarray, rate: int, fade_s: float = 0.01) -> np.ndarray:
    """``head`` then ``tail`` (both (S,)) with a linear crossfade of ``fade_s`` seconds."""
    n = min(int(fade_s * rate), len(head), len(tail))
    if n == 0:
        return np.concatenate([head, tail])
    ramp = np.linspace(0.0, 1.0, n, dtype=head.dtype)
    middle = head[len(head) - n :] * (1 - ramp) + tail[:n] * ramp
    return np.concatenate([head[: len(head) - n], middle, tail[n:]])


def write_suffix_crops(
    wave: np.ndarray, rate: int, cuts: list[float], words: list[str], out_stem: Path
) -> list[dict]:
    """Write ``out_stem``_K.wav for each word K after the first: the opening silence of
    ``wave`` (S,) followed by ``wave`` from ``cuts[K - 1]`` (seconds, the pause between word
    K - 1 and word K) on. Returns their manifest rows (absolute paths)."""
    if len(cuts) != len(words) - 1:
        raise ValueError(f"{out_stem}: {len(words)} words need {len(words) - 1} cuts")
    head = wave[: opening_silence(wave, rate)]
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for k, cut in enumerate(cuts, start=1):
        path = out_stem.parent / f"{out_stem.name}_{k}.wav"
        audio = joined(head, wave[int(round(cut * rate)) :], rate)
        sf.write(path, audio, rate, subtype="PCM_16")
        rows.append(
            {
                "audio_filepath": str(path.resolve()),
                "duration": round(len(audio) / rate, 3),
                "text": " ".join(words[k:]),
            }
        )
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
        stem = args.out.parent / "crops" / f"{entry.path.stem}_{entry.line}"
        labels = [w.label for w in words]
        rows += write_suffix_crops(wave, recognizer.sample_rate, cuts, labels, stem)
    write_manifest(args.out, rows)
    print(f"{args.out}: {len(entries)} utterances + {len(rows) - len(entries)} crops")


if __name__ == "__main__":
    main()
