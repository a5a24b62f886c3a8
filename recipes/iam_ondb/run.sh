#!/usr/bin/env bash
# IAM-OnDB recipe (task 1): prepare from the corpus folder you already have, train, score on test.
# Usage: bash recipes/iam_ondb/run.sh SRC_DIR [--stage N] [--stop-stage M] [--data DIR] [--exp DIR]
#          [--config YAML] [-- SEQREC_TRAIN_OPTIONS...]
#   SRC_DIR holds lineStrokes/, ascii/ and the task lists (trainset.txt, testset_{v,t,f}.txt);
#   without testset_f.txt (a development copy) the test split is testset_t.
#   stage 0: python recipes/iam_ondb/prepare.py SRC_DIR DATA  (DATA/{train,valid,test,testset_t}.jsonl)
#   stage 1: seqrec train --config conf/iam_ondb.yaml, or --config YAML (conf/iam_ondb_gpu.yaml
#            on a GPU); an interrupted run resumes from EXP/checkpoints/last.ckpt when the
#            stage is run again (--stage 1)
#   stage 2: seqrec evaluate EXP/checkpoints/best.ckpt DATA/test.jsonl --report EXP/report
#   stage 3: character 6-gram and word 3-gram LMs of the training lines (counted 5 times), 1M
#            words of English drawn by frequency into 8-word lines (seqrec lm words, the
#            wordfreq package) and English running text from Debian's fortunes,
#            wordnet-base and dict-gcide packages where they are installed
#            (recipes/iam_ondb/lm_text.py);
#            beam search with the char LM, its 32 best lines re-ranked by the word LM (with a
#            score per out-of-vocabulary word) beside each line's exact CTC log-likelihood and
#            the char LM at its own weight; weights tuned on valid (seqrec tune-lm, saved in
#            EXP/decoding.json: `seqrec serve EXP` decodes so); test decoded so
#            (EXP/report_lm), and testset_t too where it is not the test split
#            (EXP/report_lm_testset_t)
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ $# -lt 1 || $1 == --* ]]; then
  echo "usage: bash recipes/iam_ondb/run.sh SRC_DIR [--stage N] [--stop-stage M] [--data DIR] [--exp DIR] [--config YAML] [-- SEQREC_TRAIN_OPTIONS...]" >&2
  exit 2
fi
src=$1; shift
stage=0
stop_stage=3
data=data/iam_ondb
exp=exp/iam_ondb
config=conf/iam_ondb.yaml
train_options=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --) shift; train_options=("$@"); break ;;
    --stage) stage=$2; shift 2 ;;
    --stop-stage) stop_stage=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --exp) exp=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

if [[ $stage -le 0 && $stop_stage -ge 0 ]]; then
  echo "== stage 0: prepare $src into $data"
  python recipes/iam_ondb/prepare.py "$src" "$data"
fi

if [[ $stage -le 1 && $stop_stage -ge 1 ]]; then
  echo "== stage 1: train into $exp"
  resume=()
  if [[ -f $exp/checkpoints/last.ckpt ]]; then
    echo "resuming from $exp/checkpoints/last.ckpt (delete it to start again)"
    resume=(--ckpt_path last)
  fi
  seqrec train --config "$config" "${resume[@]}" \
    --data.train_manifest "$data/train.jsonl" \
    --data.valid_manifest "$data/valid.jsonl" \
    --data.test_manifest "$data/test.jsonl" \
    --trainer.default_root_dir "$exp" "${train_options[@]}"
fi

if [[ $stage -le 2 && $stop_stage -ge 2 ]]; then
  echo "== stage 2: evaluate on the test split"
  seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" --report "$exp/report"
fi

if [[ $stage -le 3 && $stop_stage -ge 3 ]]; then
  echo "== stage 3: character 6-gram LM (training lines + English text), tuned on valid"
  seqrec lm words -o "$exp/lm/english_lines.txt" --language en --top 100000 \
    --tokens 1000000 --line-words 8 --like "$data/train.jsonl"
  lm_texts=("$data/train.jsonl" "$exp/lm/english_lines.txt")
  lm_weights=5,1
  if python recipes/iam_ondb/lm_text.py "$exp/lm/debian_text.txt" --like "$data/train.jsonl"; then
    lm_texts+=("$exp/lm/debian_text.txt")
    lm_weights+=,1
  fi
  seqrec lm build "${lm_texts[@]}" --weights "$lm_weights" --unit char \
    --order 6 --keep-case --keep-punctuation -o "$exp/lm/char6.arpa"
  seqrec lm build "${lm_texts[@]}" --weights "$lm_weights" --unit word \
    --order 3 --keep-case --keep-punctuation -o "$exp/lm/word3.arpa"
  # tuned on every third valid line (480 of 1,438, every writer): the whole of valid at six
  # weights would take half an hour on 2 cores. The char LM guides the beam; the word 3-gram
  # re-ranks its 32 best lines (re-ranking needs no new search, so its grid is cheap), with
  # its own score per word outside its vocabulary (the OOV score), on the beam's scores or on
  # each line's exact CTC log-likelihood plus the char LM at a weight of its own (the beam
  # needs a strong char LM to keep good lines, the ranking a weaker one); a blank penalty
  # counters the deletions the char LM's per-character cost brings.
  awk 'NR % 3 == 1' "$data/valid.jsonl" > "$exp/lm/valid_tune.jsonl"
  seqrec tune-lm "$exp/checkpoints/best.ckpt" "$exp/lm/valid_tune.jsonl" --lm "$exp/lm/char6.arpa" \
    --lm-weights 2,2.5,3 --rescore-lm "$exp/lm/word3.arpa" --rescore-weights 1,1.25,1.5,2 \
    --rescore-word-scores -2,-1,0 --rescore-oov-scores -6,-4,-2 --blank-penalties 1 \
    --rescore-beam-lm-weights 0.75,1,1.25 --save "$exp/decoding.json" \
    | tee "$exp/lm/tune.txt"
  seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" --report "$exp/report_lm" \
    --decoding-file "$exp/decoding.json"
  if ! cmp -s "$data/test.jsonl" "$data/testset_t.jsonl"; then
    seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/testset_t.jsonl" \
      --report "$exp/report_lm_testset_t" --decoding-file "$exp/decoding.json"
  fi
fi
