#!/usr/bin/env bash
# fsdd recipe: prepare the corpus from a folder you already have, train, score on the test split.
# Usage: bash recipes/fsdd/run.sh SRC_DIR [--stage N] [--stop-stage M] [--data DIR] [--exp DIR]
#   stage 0: python recipes/fsdd/prepare.py SRC_DIR DATA  (DATA/{train,valid,test}.jsonl)
#   stage 1: seqrec train --config conf/fsdd.yaml
#   stage 2: seqrec evaluate EXP/checkpoints/best.ckpt DATA/test.jsonl --report EXP/report
#   stage 3: seqrec lm build|lexicon DATA/train.jsonl  (word 3-gram LM and lexicon in EXP/lm)
#   stage 4: seqrec tune-lm on valid, then evaluate test with lexicon beam search (EXP/report_lm)
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ $# -lt 1 || $1 == --* ]]; then
  echo "usage: bash recipes/fsdd/run.sh SRC_DIR [--stage N] [--stop-stage M] [--data DIR] [--exp DIR]" >&2
  exit 2
fi
src=$1; shift
stage=0
stop_stage=4
data=data/fsdd
exp=exp/fsdd
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
  python recipes/fsdd/prepare.py "$src" "$data"
fi

if [[ $stage -le 1 && $stop_stage -ge 1 ]]; then
  echo "== stage 1: train into $exp"
  seqrec train --config conf/fsdd.yaml \
    --data.train_manifest "$data/train.jsonl" \
    --data.valid_manifest "$data/valid.jsonl" \
    --data.test_manifest "$data/test.jsonl" \
    --trainer.default_root_dir "$exp"
fi

if [[ $stage -le 2 && $stop_stage -ge 2 ]]; then
  echo "== stage 2: evaluate on the test split"
  seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" --report "$exp/report"
fi

if [[ $stage -le 3 && $stop_stage -ge 3 ]]; then
  echo "== stage 3: word 3-gram LM and lexicon from $data/train.jsonl into $exp/lm"
  seqrec lm build "$data/train.jsonl" --order 3 -o "$exp/lm/word3.arpa"
  seqrec lm lexicon "$data/train.jsonl" -o "$exp/lm/words.txt"
fi

if [[ $stage -le 4 && $stop_stage -ge 4 ]]; then
  echo "== stage 4: tune the LM on valid, evaluate test with beam search"
  seqrec tune-lm "$exp/checkpoints/best.ckpt" "$data/valid.jsonl" \
    --lm "$exp/lm/word3.arpa" --lexicon "$exp/lm/words.txt" \
    --lm-weights 0,0.5,1,2,3 --word-scores -2,-1,0,1,2 | tee "$exp/lm/tune.txt"
  best=$(sed -n 's/^best: //p' "$exp/lm/tune.txt")
  # shellcheck disable=SC2086  # $best holds "--lm-weight X --word-score Y"
  seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" --report "$exp/report_lm" \
    --decoder beam --lm "$exp/lm/word3.arpa" --lexicon "$exp/lm/words.txt" $best
fi
