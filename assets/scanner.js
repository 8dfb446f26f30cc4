// The steward's scanner: a phone paired as a gate device reads ticket codes (camera or
// keyboard-wedge scanner), asks the device API, and shows the answer across the whole
// screen. Offline it decides from its copy of the event's tickets and queues the scans
// for upload; the server's decision stands. Plain module, no framework, no build step.

const CODE = /^[0-9A-HJKMNP-TV-Z]{20}$/; // 20 characters of Crockford base32
const SAME_CODE_MS = 2000; // one read per code per 2 s
const READY_AFTER_MS = 1200;
const CHECK_PAIRED_MS = 1000;
const HEARTBEAT_MS = 15000;
const TICKETS_MS = 30000;
const UPLOAD_BATCH = 500;
const ANSWER_TIMEOUT_MS = 4000;
const STORE = "voelgoed.scanner";

const $ = (selector) => document.querySelector(selector);
const state = { pairing: null, online: navigator.onLine, lastRead: new Map(), readyTimer: 0, waiting: 0, conflicts: 0 };

// ---- The device's key: kept by this phone only. ----

function adoptPairing() {
  const meta = document.querySelector('meta[name="voelgoed-pairing"]');
  if (meta) {
    localStorage.setItem(STORE, meta.content);
    meta.remove();
    history.replaceState(null, "", "/scanner");
  }
  try {
    return JSON.parse(localStorage.getItem(STORE));
  } catch {
    return null;
  }
}

function unpaired(reason) {
  localStorage.removeItem(STORE);
  state.pairing = null;
  document.body.dataset.state = "unpaired";
  $("#unpaired").hidden = false;
  if (reason) $("#unpaired-reason").textContent = reason;
  $("#where").textContent = "Not paired";
  $("#link-state").textContent = "Stopped";
  stopCamera();
}

/// Unpaired, a pairing link (read by the camera or pasted) opens its page.
function pairFrom(raw) {
  const token = /(?:\/pair\/)?([0-9a-f]{64})\s*$/i.exec(raw.trim());
  if (!token) {
    $("#pair-problem").textContent = "That is not a pairing link: ask a supervisor for one.";
    return;
  }
  stopCamera();
  location.assign("/pair/" + token[1].toLowerCase());
}

// ---- The device API. ----

class Revoked extends Error {}

async function api(path, options = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ANSWER_TIMEOUT_MS);
  try {
    const response = await fetch("/api/v1" + path, {
      ...options,
      signal: controller.signal,
      headers: { Authorization: "Bearer " + state.pairing.token, "Content-Type": "application/json", ...options.headers },
    });
    if (response.status === 401) throw new Revoked();
    return response;
  } finally {
    clearTimeout(timer);
  }
}

async function postScans(scans) {
  const response = await api("/scans", { method: "POST", body: JSON.stringify({ scans }) });
  if (!response.ok) throw new Error("the server answered " + response.status);
  return (await response.json()).results;
}

// ---- Reading a code. ----

function newId() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function direction() {
  return document.querySelector('input[name="direction"]:checked').value;
}

async function check(raw) {
  if (!state.pairing) return pairFrom(raw);
  const code = raw.trim().toUpperCase().replace(/[\s-]/g, "");
  if (!CODE.test(code)) {
    return show({ kind: "junk", word: "Not a ticket code", detail: "Nothing was checked. Scan the ticket's code." });
  }
  const now = Date.now();
  if (now - (state.lastRead.get(code) || 0) < SAME_CODE_MS) return;
  state.lastRead.set(code, now);
  const scan = { id: newId(), ticket_code: code, direction: direction(), scanned_at: new Date(now).toISOString() };
  if (state.online) {
    try {
      const [answer] = await postScans([scan]);
      await tickets.learn(code, scan.direction, answer.result);
      return show(verdictOf(answer, scan.direction));
    } catch (e) {
      if (e instanceof Revoked) return unpaired("This phone was revoked by a supervisor. Ask for a new pairing link.");
      setOnline(false);
    }
  }
  const verdict = await tickets.decide(code, scan.direction);
  await queue.add({ ...scan, decided_offline: verdict.result });
  await tickets.learn(code, scan.direction, verdict.result);
  await refreshWaiting();
  show({ ...verdict, offline: true });
}

/// The server's answer as the screen says it.
function verdictOf(answer, way) {
  const reason = answer.reason || "";
  if (answer.result === "valid") {
    // A full zone whose owner lets people in with a warning: say it under the verdict.
    const warned = reason ? `${reason}: tell the supervisor.` : "";
    return way === "in" ? { kind: "valid", word: "Valid", detail: warned || "Welcome in." } : { kind: "valid", word: "Exit", detail: warned || "Recorded leaving." };
  }
  if (reason.startsWith("zone full")) return { kind: "not-allowed", word: "Zone full", detail: reason + "." };
  if (reason.startsWith("not in ")) return { kind: "not-allowed", word: "Wrong zone", detail: reason + "." };
  if (answer.result === "duplicate") {
    const at = answer.admitted_at ? new Date(answer.admitted_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
    const where = [answer.admitted_gate ? "at " + answer.admitted_gate : "", at ? "since " + at : ""].filter(Boolean).join(", ");
    return { kind: "duplicate", word: "Already inside", detail: where ? `Went in ${where}.` : "This ticket is inside." };
  }
  if (reason.includes("not allowed")) return { kind: "not-allowed", word: "Not allowed here", detail: `${reason} (ticket type).` };
  if (reason.includes("another event")) return { kind: "invalid", word: "Wrong event", detail: reason + "." };
  if (answer.result === "conflict") return { kind: "invalid", word: "Scan again", detail: reason + "." };
  return { kind: "invalid", word: "Invalid", detail: (reason || "not a valid ticket") + "." };
}

// ---- The answer at a glance. ----

const SOUNDS = { valid: [[880, 0.12]], duplicate: [[440, 0.1], [440, 0.1]], invalid: [[220, 0.4]], "not-allowed": [[330, 0.2], [220, 0.2]], junk: [[160, 0.15]] };
const BUZZ = { valid: [80], duplicate: [80, 60, 80], invalid: [300], "not-allowed": [150, 60, 150], junk: [40] };
let audio = null;

function sound(kind) {
  try {
    audio = audio || new AudioContext();
    let at = audio.currentTime;
    for (const [freq, length] of SOUNDS[kind] || []) {
      const tone = audio.createOscillator();
      tone.frequency.value = freq;
      tone.connect(audio.destination);
      tone.start(at);
      tone.stop(at + length);
      at += length + 0.05;
    }
  } catch {
    // No sound on this phone: the colour and the word still say it.
  }
  if (navigator.vibrate) navigator.vibrate(BUZZ[kind] || []);
}

function show(verdict) {
  const area = $("#verdict");
  area.dataset.verdict = verdict.kind;
  area.querySelector(".word").textContent = verdict.word;
  area.querySelector(".detail").textContent = verdict.detail;
  area.querySelector(".offline-mark").hidden = !verdict.offline;
  sound(verdict.kind);
  clearTimeout(state.readyTimer);
  state.readyTimer = setTimeout(ready, READY_AFTER_MS);
}

function ready() {
  const area = $("#verdict");
  area.dataset.verdict = "ready";
  area.querySelector(".word").textContent = "Ready";
  area.querySelector(".detail").textContent = "Scan a ticket or type its code.";
  area.querySelector(".offline-mark").hidden = true;
  if (!state.pairing) return;
  $("#code").focus();
}

// ---- The event's tickets, kept for deciding offline. ----

function idb() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("voelgoed-scanner", 1);
    open.onupgradeneeded = () => {
      open.result.createObjectStore("queue", { keyPath: "id" });
      open.result.createObjectStore("tickets");
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function withStore(name, mode, work) {
  const db = await idb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    const request = work(tx.objectStore(name));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error);
  });
}

async function hashOf(code) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(code));
  return [...new Uint8Array(digest)].slice(0, 8).map((x) => x.toString(16).padStart(2, "0")).join("");
}

const tickets = {
  list: { etag: "", states: {} },

  async load() {
    const kept = await withStore("tickets", "readonly", (s) => s.get(String(state.pairing.event_id)));
    if (kept) this.list = kept;
  },

  async refresh() {
    if (!state.pairing || !state.online) return;
    try {
      const response = await api("/tickets", { headers: this.list.etag ? { "If-None-Match": this.list.etag } : {} });
      if (response.status === 304 || !response.ok) return;
      const body = await response.json();
      this.list = { etag: response.headers.get("ETag") || "", states: body.tickets };
      await withStore("tickets", "readwrite", (s) => s.put(this.list, String(state.pairing.event_id)));
    } catch (e) {
      if (e instanceof Revoked) unpaired("This phone was revoked by a supervisor. Ask for a new pairing link.");
    }
  },

  /// What the copy says of a code: the answer the server would most likely give.
  async decide(code, way) {
    const known = this.list.states[await hashOf(code)];
    if (!known) return { result: "invalid", kind: "invalid", word: "Invalid", detail: "Unknown ticket code." };
    if (known === "type") return { result: "invalid", kind: "not-allowed", word: "Not allowed here", detail: "Ticket type not allowed at this gate." };
    if (known !== "in" && known !== "out") return { result: "invalid", kind: "invalid", word: "Invalid", detail: `Ticket is ${known}.` };
    if (way === "in" && known === "in") return { result: "duplicate", kind: "duplicate", word: "Already inside", detail: "This ticket is inside." };
    if (way === "out" && known !== "in") return { result: "invalid", kind: "invalid", word: "Invalid", detail: "Ticket is not inside." };
    return { result: "valid", kind: "valid", word: way === "in" ? "Valid" : "Exit", detail: way === "in" ? "Welcome in." : "Recorded leaving." };
  },

  /// A decision (the server's or our own) moves the ticket in or out in the copy.
  async learn(code, way, result) {
    if (result !== "valid") return;
    this.list.states[await hashOf(code)] = way === "in" ? "in" : "out";
  },
};

// ---- Scans decided offline, waiting for upload. ----

const queue = {
  add: (scan) => withStore("queue", "readwrite", (s) => s.put(scan)),
  all: () => withStore("queue", "readonly", (s) => s.getAll()),
  count: () => withStore("queue", "readonly", (s) => s.count()),
  remove: (ids) => withStore("queue", "readwrite", (s) => ids.forEach((id) => s.delete(id))),
};

async function refreshWaiting() {
  state.waiting = await queue.count();
  showLink();
}

/// Uploads waiting scans in batches; the device API is idempotent by scan id, so a
/// batch cut off halfway is simply sent again.
async function upload() {
  if (!state.pairing || !state.online) return;
  const waiting = await queue.all();
  for (let start = 0; start < waiting.length; start += UPLOAD_BATCH) {
    const batch = waiting.slice(start, start + UPLOAD_BATCH);
    try {
      const answers = await postScans(batch);
      state.conflicts += answers.filter((answer, i) => answer.result !== batch[i].decided_offline).length;
      await queue.remove(batch.map((scan) => scan.id));
    } catch (e) {
      if (e instanceof Revoked) return unpaired("This phone was revoked by a supervisor. Ask for a new pairing link.");
      return setOnline(false);
    }
  }
  await refreshWaiting();
}

// ---- Online, offline, paired. ----

function setOnline(online) {
  const back = online && !state.online;
  state.online = online;
  showLink();
  if (back) upload().then(() => tickets.refresh());
}

function showLink() {
  if (!state.pairing) return;
  const waiting = state.waiting ? ` · ${state.waiting} waiting` : "";
  const conflicts = state.conflicts ? ` · ${state.conflicts} decided otherwise by the server` : "";
  $("#link-state").textContent = (state.online ? "Online" : "Offline") + waiting + conflicts;
  document.body.dataset.state = state.online ? "online" : "offline";
}

/// Still paired? A revoked device's token is refused within the server's bound.
async function checkPaired() {
  if (!state.pairing) return;
  try {
    await api("/device");
    setOnline(true);
  } catch (e) {
    if (e instanceof Revoked) return unpaired("This phone was revoked by a supervisor. Ask for a new pairing link.");
    setOnline(false);
  }
}

async function heartbeat() {
  if (!state.pairing || !state.online) return;
  const report = { pending_uploads: state.waiting, app_version: "scanner-web/1" };
  try {
    const battery = navigator.getBattery ? await navigator.getBattery() : null;
    if (battery) report.battery = Math.round(battery.level * 100);
    await api("/devices/heartbeat", { method: "POST", body: JSON.stringify(report) });
  } catch (e) {
    if (e instanceof Revoked) unpaired("This phone was revoked by a supervisor. Ask for a new pairing link.");
  }
}

// ---- The camera. ----

const camera = { stream: null, timer: 0, detector: null };

async function startCamera() {
  const video = $("#camera");
  try {
    camera.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  } catch {
    return show({ kind: "junk", word: "No camera", detail: "The camera could not be opened: type or wedge-scan the code." });
  }
  video.srcObject = camera.stream;
  video.hidden = false;
  await video.play();
  $("#camera-toggle").textContent = "Stop camera";
  camera.detector = await detector();
  const track = camera.stream.getVideoTracks()[0];
  $("#torch").hidden = !(track.getCapabilities && track.getCapabilities().torch);
  camera.timer = setInterval(readFrame, 150);
}

function stopCamera() {
  clearInterval(camera.timer);
  if (camera.stream) camera.stream.getTracks().forEach((track) => track.stop());
  camera.stream = null;
  $("#camera").hidden = true;
  $("#torch").hidden = true;
  $("#camera-toggle").textContent = "Start camera";
}

/// The browser's own barcode reader where it has one, else the vendored jsQR.
async function detector() {
  if ("BarcodeDetector" in window) {
    const reader = new BarcodeDetector({ formats: ["qr_code"] });
    return async (video) => (await reader.detect(video)).map((code) => code.rawValue);
  }
  await new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = document.body.dataset.decoder;
    script.onload = resolve;
    script.onerror = reject;
    document.head.append(script);
  });
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0);
    const found = window.jsQR(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
    return found ? [found.data] : [];
  };
}

let reading = false;
async function readFrame() {
  const video = $("#camera");
  if (reading || !camera.detector || video.readyState < 2) return;
  reading = true;
  try {
    for (const code of await camera.detector(video)) await check(code);
  } finally {
    reading = false;
  }
}

async function toggleTorch() {
  const button = $("#torch");
  const on = button.getAttribute("aria-pressed") !== "true";
  await camera.stream.getVideoTracks()[0].applyConstraints({ advanced: [{ torch: on }] });
  button.setAttribute("aria-pressed", String(on));
}

// ---- Start. ----

function wire() {
  $("#code-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const field = $("#code");
    const code = field.value;
    field.value = "";
    check(code);
  });
  $("#verdict").addEventListener("click", ready);
  $("#pair-form").addEventListener("submit", (event) => {
    event.preventDefault();
    pairFrom($("#pair-link").value);
  });
  $("#camera-toggle").addEventListener("click", () => (camera.stream ? stopCamera() : startCamera()));
  $("#torch").addEventListener("click", toggleTorch);
  window.addEventListener("online", checkPaired);
  window.addEventListener("offline", () => setOnline(false));
  // Keyboard-wedge scanners type into whatever has focus: keep it on the field.
  document.addEventListener("click", (event) => {
    if (state.pairing && !event.target.closest("input, button, label, summary, a")) $("#code").focus();
  });
}

async function start() {
  state.pairing = adoptPairing();
  wire();
  if (!state.pairing) return unpaired();
  $("#where").textContent = `${state.pairing.gate} · ${state.pairing.event} · ${state.pairing.device}`;
  if ("serviceWorker" in navigator) navigator.serviceWorker.register(document.body.dataset.worker, { scope: "/scanner" }).catch(() => {});
  await tickets.load();
  await refreshWaiting();
  ready();
  await checkPaired();
  if (state.online) await upload();
  tickets.refresh();
  heartbeat();
  setInterval(checkPaired, CHECK_PAIRED_MS);
  setInterval(() => tickets.refresh(), TICKETS_MS);
  setInterval(heartbeat, HEARTBEAT_MS);
}

start();
