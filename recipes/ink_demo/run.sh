#!/usr/bin/env bash
# Ink demo: synthesise handwriting offline (Hershey pen fonts), train a BiLSTM-CTC model, score it.
# Usage: bash recipes/ink_demo/run.sh [--stage N] [--stop-stage M] [--data DIR] [--exp DIR]
#   stage 0: synthesise DIR/{train,valid,test}.jsonl   (seqrec synth ink)
#   stage 1: train                                   (seqrec train --config conf/ink_demo.yaml)
#   stage 2: evaluate on held-out fonts              (seqrec evaluate ... --report EXP/report)
#   stage 3: character 6-gram LM from the training transcripts (seqrec lm build --unit char)
#   stage 4: tune the LM weight on valid, then evaluate test with lexicon-free beam search
#            and the LM                               (seqrec tune-lm --save EXP/decoding.json;
#                                                    --report EXP/report_lm)
set -euo pipefail
cd "$(dirname "$0")/../.."

stage=0
stop_stage=4
data=data/ink_demo
exp=exp/ink_demo
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
  echo "== stage 0: synthesise the demo ink corpus into $data"
  seqrec synth ink "$data"
fi

if [[ $stage -le 1 && $stop_stage -ge 1 ]]; then
  echo "== stage 1: train into $exp"
  seqrec train --config conf/ink_demo.yaml \
    --data.train_manifest "$data/train.jsonl" \
    --data.valid_manifest "$data/valid.jsonl" \
    --data.test_manifest "$data/test.jsonl" \
    --trainer.default_root_dir "$exp"
fi

if [[ $stage -le 2 && $stop_stage -ge 2 ]]; then
  echo "== stage 2: evaluate on fonts never seen in training"
  seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" --report "$exp/report"
fi

if [[ $stage -le 3 && $stop_stage -ge 3 ]]; then
  echo "== stage 3: character 6-gram LM from $data/train.jsonl into $exp/lm"
  seqrec lm build "$data/train.jsonl" --unit char --order 6 -o "$exp/lm/char6.arpa"
fi

if [[ $stage -le 4 && $stop_stage -ge 4 ]]; then
  echo "== stage 4: tune the LM on valid, evaluate test with beam search"
  seqrec tune-lm "$exp/checkpoints/best.ckpt" "$data/valid.jsonl" \
    --lm "$exp/lm/char6.arpa" --lm-weights 0,0.5,1,1.5,2,3 --beam-size 16 \
    --save "$exp/decoding.json" \
    | tee "$exp/lm/tune.txt"
  seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" --report "$exp/report_lm" \
    --decoding-file "$exp/decoding.json"
fi
