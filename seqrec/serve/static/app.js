// seqrec's live page: ink drawn on #ink-canvas and speech from the microphone, sent over
// WS /v1/stream; transcripts shaded by word confidence. Plain JS, no build step, no CDN.
"use strict";

const $ = (id) => document.getElementById(id);
const tokenInput = $("token");
const seqrec = { strokes: [], inkReplies: [], speechReplies: [], speechSent: [], models: [] };
window.seqrec = seqrec; // what the page sent and received, for tests and curious users

function token() {
  return tokenInput.value || new URLSearchParams(location.search).get("token") || "";
}

async function loadModels() {
  const t = token();
  const answer = await fetch("/v1/health", { headers: t ? { Authorization: `Bearer ${t}` } : {} });
  if (answer.status === 401) {
    $("token-box").hidden = false;
    $("models").textContent = "this service needs its token";
    return;
  }
  const body = await answer.json();
  seqrec.models = body.models;
  $("models").textContent = body.models
    .map((m) => `${m.modality}: ${m.name} (${m.decoding.decoder}${m.decoding.lm ? " + LM" : ""})`)
    .join(" \u00b7 ");
}

function openStream(start, onReply) {
  const t = token();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const query = t ? `?token=${encodeURIComponent(t)}` : "";
  const ws = new WebSocket(`${scheme}//${location.host}/v1/stream${query}`);
  ws.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    ws.onopen = () => ws.send(JSON.stringify(start));
    ws.onmessage = (event) => {
      const reply = JSON.parse(event.data);
      if (reply.type === "ready") resolve(ws);
      else onReply(reply);
    };
    ws.onerror = () => reject(new Error("the stream could not open"));
    ws.onclose = () => reject(new Error("the stream closed"));
  });
}

function showTranscript(element, reply, partial) {
  element.textContent = "";
  const words = reply.words || [];
  if (partial || words.map((w) => w.text).join(" ") !== reply.text) {
    element.textContent = reply.text;
    element.classList.toggle("partial", Boolean(partial));
    return;
  }
  element.classList.remove("partial");
  words.forEach((word, i) => {
    if (i) element.append(" ");
    const span = document.createElement("span");
    span.className = "word";
    span.textContent = word.text;
    span.title = `confidence ${word.confidence.toFixed(2)}`;
    span.style.backgroundColor = `rgba(255, 160, 0, ${(0.6 * (1 - word.confidence)).toFixed(3)})`;
    element.append(span);
  });
}

// ---- ink ----
const canvas = $("ink-canvas");
const context = canvas.getContext("2d");
let current = null;
let firstTime = null;
let inkSocket = null;

function inkStream() {
  if (!inkSocket) {
    inkSocket = openStream({ type: "start", modality: "ink" }, (reply) => {
      seqrec.inkReplies.push(reply);
      if (reply.type === "error") $("ink-status").textContent = reply.error;
      else {
        showTranscript($("ink-text"), reply, false);
        $("ink-status").textContent = `${reply.strokes} strokes, decoded in ${reply.ms} ms`;
      }
    }).catch((error) => {
      inkSocket = null;
      $("ink-status").textContent = error.message;
      throw error;
    });
  }
  return inkSocket;
}

function sendInk(message) {
  inkStream().then((ws) => ws.send(JSON.stringify(message)));
}

function point(event) {
  const box = canvas.getBoundingClientRect();
  if (firstTime === null) firstTime = event.timeStamp;
  return [
    ((event.clientX - box.left) * canvas.width) / box.width,
    ((event.clientY - box.top) * canvas.height) / box.height,
    (event.timeStamp - firstTime) / 1000,
  ];
}

function redraw() {
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.lineWidth = 3;
  context.lineCap = "round";
  context.lineJoin = "round";
  for (const stroke of current ? [...seqrec.strokes, current] : seqrec.strokes) {
    context.beginPath();
    stroke.forEach(([x, y], i) => (i ? context.lineTo(x, y) : context.moveTo(x, y)));
    if (stroke.length === 1) context.lineTo(stroke[0][0] + 0.5, stroke[0][1]);
    context.stroke();
  }
}

canvas.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  if (canvas.setPointerCapture && event.isTrusted) canvas.setPointerCapture(event.pointerId);
  current = [point(event)];
  redraw();
});
canvas.addEventListener("pointermove", (event) => {
  if (!current) return;
  const coalesced = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const e of coalesced.length ? coalesced : [event]) current.push(point(e));
  redraw();
});
function endStroke() {
  if (!current) return;
  seqrec.strokes.push(current);
  sendInk({ type: "stroke", points: current });
  current = null;
  redraw();
}
canvas.addEventListener("pointerup", endStroke);
canvas.addEventListener("pointercancel", endStroke);
$("ink-undo").addEventListener("click", () => {
  seqrec.strokes.pop();
  redraw();
  sendInk({ type: "undo" });
});
$("ink-clear").addEventListener("click", () => {
  seqrec.strokes = [];
  firstTime = null;
  redraw();
  sendInk({ type: "clear" });
});

// ---- speech ----
const RATE = 16000;
let mic = null;

function resampler(from, to) {
  // box-filtered linear resampling to 16-bit PCM, carrying the remainder between chunks
  const step = from / to;
  const width = Math.max(1, Math.round(step));
  let position = 0;
  let rest = new Float32Array(0);
  return (input) => {
    const data = new Float32Array(rest.length + input.length);
    data.set(rest);
    data.set(input, rest.length);
    const out = [];
    while (Math.floor(position) + width <= data.length) {
      const start = Math.floor(position);
      let sum = 0;
      for (let k = 0; k < width; k++) sum += data[start + k];
      out.push(sum / width);
      position += step;
    }
    const used = Math.min(Math.floor(position), data.length);
    rest = data.slice(used);
    position -= used;
    return Int16Array.from(out, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
  };
}

async function startMic() {
  // the socket first: the microphone's first samples must find it open
  const ws = await openStream({ type: "start", modality: "audio", sample_rate: RATE }, (reply) => {
    seqrec.speechReplies.push(reply);
    if (reply.type === "error") $("speech-status").textContent = reply.error;
    else {
      showTranscript($("speech-text"), reply, reply.type === "partial");
      $("speech-status").textContent = `${reply.seconds} s, decoded in ${reply.ms} ms`;
      if (reply.type === "final") ws.close();
    }
  });
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  // 16 kHz when the browser resamples the microphone for us (Chromium does, well); else
  // the device rate, box-filtered down to 16 kHz here
  let audio;
  try {
    audio = new AudioContext({ sampleRate: RATE });
  } catch {
    audio = new AudioContext();
  }
  const source = audio.createMediaStreamSource(stream);
  const processor = audio.createScriptProcessor(4096, 1, 1);
  const toPcm = resampler(audio.sampleRate, RATE);
  seqrec.micRate = audio.sampleRate;
  seqrec.speechSent = [];
  processor.onaudioprocess = (event) => {
    const pcm = toPcm(event.inputBuffer.getChannelData(0));
    if (pcm.length && ws.readyState === WebSocket.OPEN) {
      ws.send(pcm.buffer);
      seqrec.speechSent.push(pcm);
    }
  };
  source.connect(processor);
  processor.connect(audio.destination);
  mic = { stream, audio, processor, ws };
  $("mic-button").textContent = "stop";
  $("mic-button").classList.add("live");
}

function stopMic() {
  mic.processor.disconnect();
  mic.stream.getTracks().forEach((track) => track.stop());
  mic.audio.close();
  mic.ws.send(JSON.stringify({ type: "stop" }));
  mic = null;
  $("mic-button").textContent = "start microphone";
  $("mic-button").classList.remove("live");
}

$("mic-button").addEventListener("click", () => {
  if (mic) stopMic();
  else startMic().catch((error) => ($("speech-status").textContent = error.message));
});

tokenInput.addEventListener("change", () => {
  inkSocket = null;
  loadModels();
});
loadModels();
