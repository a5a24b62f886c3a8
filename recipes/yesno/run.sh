#!/usr/bin/env bash
# yesno recipe: prepare the corpus from a folder you already have, train, score on the test split.
# Usage: bash recipes/yesno/run.sh SRC_DIR [--stage N] [--stop-stage M] [--data DIR] [--exp DIR]
#   stage 0: python recipes/yesno/prepare.py SRC_DIR DATA  (DATA/{train,valid,test}.jsonl)
#   stage 1: seqrec train --config conf/yesno.yaml              (first model, EXP/pass1)
#   stage 2: python recipes/yesno/crop_at_words.py              (DATA/train_crops.jsonl)
#   stage 3: seqrec train on the originals plus word-boundary crops (EXP, seed 0), and the
#            same with seeds 1 and 2 (EXP/seed1, EXP/seed2)
#   stage 4: seqrec evaluate ... --report EXP/report, at input gains -30..+10 dB
#            (recipes/common/gain_sweep.sh), and with --decoder beam --lexicon
#            (EXP/report_lexicon); the three models as an ensemble (--ensemble), beam search
#            over the lexicon (EXP/report_ensemble)
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ $# -lt 1 || $1 == --* ]]; then
  echo "usage: bash recipes/yesno/run.sh SRC_DIR [--stage N] [--stop-stage M] [--data DIR] [--exp DIR]" >&2
  exit 2
fi
src=$1; shift
stage=0
stop_stage=4
data=data/yesno
exp=exp/yesno
while [[ $# -gt 0 ]]; do
  case "$1" in
    --stage) stage=$2; shift 2 ;;
    --stop-stage) stop_stage=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --exp) exp=$2; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

if [[ $stage -le 0 && $stop_stage -ge 0 ]]; then
  echo "== stage 0: prepare $src into $data"
  python recipes/yesno/prepare.py "$src" "$data"
fi

if [[ $stage -le 1 && $stop_stage -ge 1 ]]; then
  echo "== stage 1: train a first model into $exp/pass1"
  # dropout 0.1: the aligner whose crops the final models were measured with (RESULTS.md)
  seqrec train --config conf/yesno.yaml --model.dropout 0.1 \
    --data.train_manifest "$data/train.jsonl" \
    --data.valid_manifest "$data/valid.jsonl" \
    --trainer.default_root_dir "$exp/pass1"
fi

if [[ $stage -le 2 && $stop_stage -ge 2 ]]; then
  echo "== stage 2: crop the training files at the word boundaries the first model aligns"
  python recipes/yesno/crop_at_words.py "$exp/pass1" "$data/train.jsonl" "$data/train_crops.jsonl"
fi

if [[ $stage -le 3 && $stop_stage -ge 3 ]]; then
  for seed in 0 1 2; do
    out=$exp/seed$seed
    [[ $seed == 0 ]] && out=$exp  # seed 0 (the config's) is also the single model of stage 4
    echo "== stage 3: train on the originals plus crops with seed $seed into $out"
    seqrec train --config conf/yesno.yaml --seed_everything "$seed" \
      --data.train_manifest "$data/train_crops.jsonl" \
      --data.valid_manifest "$data/valid.jsonl" \
      --data.test_manifest "$data/test.jsonl" \
      --trainer.default_root_dir "$out"
  done
fi

if [[ $stage -le 4 && $stop_stage -ge 4 ]]; then
  echo "== stage 4: evaluate on the test split: greedy, then beam search over the words {yes, no}"
  seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" --report "$exp/report"
  bash recipes/common/gain_sweep.sh "$exp/checkpoints/best.ckpt" "$data/test.jsonl" "$exp/report"
  seqrec lm lexicon "$data/train.jsonl" -o "$exp/words.txt"
  seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" --report "$exp/report_lexicon" \
    --decoder beam --lexicon "$exp/words.txt"
  echo "== stage 4: the three models (seeds 0, 1, 2) as an ensemble, beam search over {yes, no}"
  seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" \
    --ensemble "$exp/seed1/checkpoints/best.ckpt" --ensemble "$exp/seed2/checkpoints/best.ckpt" \
    --report "$exp/report_ensemble" --decoder beam --lexicon "$exp/words.txt"
fi
