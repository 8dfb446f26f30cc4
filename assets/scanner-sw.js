// The scanner page's service worker: keeps the page (its script and style are inline)
// and the QR decoder, so a phone that
// loses the network (or reloads without it) still scans. The server fills in the shell's
// versioned URLs; a new build changes them, and this worker with them.
const SHELL = "__SHELL__";
const CACHE = "voelgoed-scanner " + SHELL.join(" ");

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  const old = (keys) => keys.filter((key) => key !== CACHE).map((key) => caches.delete(key));
  event.waitUntil(caches.keys().then((keys) => Promise.all(old(keys))).then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  // The page: the network's when it answers, else the kept copy.
  if (url.pathname === "/scanner") {
    event.respondWith(fetch(event.request).catch(() => caches.match("/scanner")));
  } else if (url.pathname.startsWith("/assets/")) {
    event.respondWith(caches.match(event.request).then((kept) => kept || fetch(event.request)));
  }
});
