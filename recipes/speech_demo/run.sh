#!/usr/bin/env bash
# Speech demo: synthesise a corpus offline (espeak-ng), train a BiLSTM-CTC model, score it.
# Usage: bash recipes/speech_demo/run.sh [--stage N] [--stop-stage M] [--data DIR] [--exp DIR]
#   stage 0: synthesise DIR/{train,valid,test}.jsonl   (seqrec synth speech; 1,000 test
#            utterances, so that a 1-point difference is about 30 words, not 6)
#   stage 1: train                                   (seqrec train --config conf/speech_demo.yaml)
#   stage 2: evaluate on held-out voices             (seqrec evaluate ... --report EXP/report),
#            and at input gains -30..+10 dB          (recipes/common/gain_sweep.sh)
#   stage 3: word 3-gram LM and lexicon from the training transcripts (seqrec lm build|lexicon)
#   stage 4: tune LM weight and word score on valid, then evaluate test with lexicon beam
#            search and the LM                      (seqrec tune-lm --save EXP/decoding.json;
#                                                    --report EXP/report_lm)
set -euo pipefail
cd "$(dirname "$0")/../.."

stage=0
stop_stage=4
data=data/speech_demo
exp=exp/speech_demo
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
  echo "== stage 0: synthesise the demo corpus into $data"
  seqrec synth speech "$data" --num-train 3000 --num-test 1000
fi

if [[ $stage -le 1 && $stop_stage -ge 1 ]]; then
  echo "== stage 1: train into $exp"
  seqrec train --config conf/speech_demo.yaml \
    --data.train_manifest "$data/train.jsonl" \
    --data.valid_manifest "$data/valid.jsonl" \
    --data.test_manifest "$data/test.jsonl" \
    --trainer.default_root_dir "$exp"
fi

if [[ $stage -le 2 && $stop_stage -ge 2 ]]; then
  echo "== stage 2: evaluate on unseen voices, then at input gains -30..+10 dB"
  seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" --report "$exp/report"
  bash recipes/common/gain_sweep.sh "$exp/checkpoints/best.ckpt" "$data/test.jsonl" "$exp/report"
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
    --lm-weights 0,0.5,1,2,3 --word-scores -2,-1,0,1,2 --beam-size 16 \
    --save "$exp/decoding.json" \
    | tee "$exp/lm/tune.txt"
  seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" --report "$exp/report_lm" \
    --decoding-file "$exp/decoding.json"
fi
