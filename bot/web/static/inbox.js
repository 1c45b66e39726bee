/* 诉求工作台: ticking clocks, live list over Server-Sent Events, a title cue and a short beep for new
   urgent needs. Vanilla JS, no dependencies; every HTML fragment comes from the server, escaped. */
(function () {
  "use strict";
  var body = document.body;
  var page = body.dataset.page;
  var offset = (+body.dataset.now || Date.now()) - Date.now();   // server clock minus this device's

  function dur(s) {
    s = Math.floor(Math.abs(s));
    if (s < 60) return s + "秒";
    var m = Math.floor(s / 60);
    if (m < 60) return m + "分";
    var h = Math.floor(m / 60); m = m % 60;
    if (h < 24) return m ? h + "小时" + m + "分" : h + "小时";
    var d = Math.floor(h / 24); h = h % 24;
    return h ? d + "天" + h + "小时" : d + "天";
  }

  function tick() {
    var now = Date.now() + offset;
    var clocks = document.querySelectorAll("[data-due]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i], left = (+el.dataset.due - now) / 1000, kind = el.dataset.kind || "";
      var colour = left <= 0 ? "red" : (left <= +el.dataset.amber ? "amber" : "green");
      el.textContent = left <= 0 ? kind + "超时" + dur(left) : kind + "剩" + dur(left);
      el.className = "clock c-" + colour;
      var row = el.closest("a.need");
      if (row && !row.classList.contains("c-" + colour)) {
        row.classList.remove("c-green", "c-amber", "c-red");
        row.classList.add("c-" + colour);
      }
    }
  }
  tick();
  setInterval(tick, 1000);

  // ---- sound: browsers only allow audio after a tap, so the first tap anywhere unlocks it
  var audio = null;
  function unlock() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audio && Ctx) audio = new Ctx();
    if (audio && audio.state === "suspended") audio.resume();
  }
  function beep() {
    if (!audio || audio.state !== "running") return;
    [0, 0.28].forEach(function (t) {
      var o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = 880; g.gain.value = 0.12;
      o.connect(g); g.connect(audio.destination);
      o.start(audio.currentTime + t); o.stop(audio.currentTime + t + 0.18);
    });
  }
  document.addEventListener("pointerdown", unlock);
  var soundBtn = document.getElementById("sound");
  if (soundBtn) soundBtn.addEventListener("click", function () {
    unlock(); setTimeout(beep, 50); soundBtn.textContent = "提示音已开启";
  });

  // ---- title cue: blink until someone looks at the page
  var baseTitle = document.title, cueTimer = null;
  function uncue() {
    if (cueTimer) { clearInterval(cueTimer); cueTimer = null; document.title = baseTitle; }
  }
  function cue(text) {
    if (!cueTimer) {
      var on = true;
      document.title = text;
      cueTimer = setInterval(function () { on = !on; document.title = on ? text : baseTitle; }, 1000);
    }
    if (!document.hidden) setTimeout(uncue, 10000);
  }
  window.addEventListener("focus", function () { setTimeout(uncue, 3000); });

  // ---- live list
  function refresh(id, changed) {
    var box = document.getElementById(id);
    if (!box || !box.dataset.src) return;
    fetch(box.dataset.src, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) {
        if (r.redirected || r.status === 401) { location.reload(); throw new Error("login"); }
        return r.json();
      })
      .then(function (data) {
        box.innerHTML = data.html;
        var summary = document.getElementById("summary");
        if (summary && data.summary) summary.innerHTML = data.summary;
        (changed || []).forEach(function (code) {
          var row = box.querySelector('a.need[data-code="' + code + '"]');
          if (row) row.classList.add("flash");
        });
        tick();
      })
      .catch(function () {});
  }
  var pending = [], timer = null;
  function later(id, code) {
    if (code) pending.push(code);
    if (timer) return;
    timer = setTimeout(function () { timer = null; var c = pending; pending = []; refresh(id, c); }, 250);
  }

  if (window.EventSource && (page === "inbox" || page === "need" || page === "suggestions")) {
    var live = document.getElementById("live");
    var es = new EventSource("/inbox/events");
    es.onopen = function () {      // (re)connected: re-read once, so nothing between page load and now is missed
      if (live) live.classList.remove("off");
      if (page === "inbox") later("list");
      if (page === "suggestions") later("sugs");
    };
    es.onerror = function () { if (live) live.classList.add("off"); };
    es.addEventListener("expired", function () {
      es.close();
      location.href = "/inbox/login?next=" + encodeURIComponent(location.pathname + location.search);
    });
    es.addEventListener("need", function (ev) {
      var d = JSON.parse(ev.data);
      if (page === "inbox") later("list", d.code);
      if (page === "need") {
        var head = document.querySelector(".head[data-code]");
        if (head && head.dataset.code === d.code && d.updated > +head.dataset.updated) {
          document.getElementById("updated").hidden = false;
        }
      }
      if (d.urgent && d.new) { cue("🔴 新紧急诉求 · " + baseTitle); beep(); }
    });
    es.addEventListener("suggestion", function (ev) {
      var d = JSON.parse(ev.data);
      if (page === "suggestions") later("sugs");
      if (d.urgent && d.new) { cue("🔴 群内紧急线索 · " + baseTitle); beep(); }
    });
  }
  var printer = document.querySelector("[data-print]");            // 月报: the 打印 button
  if (printer) printer.addEventListener("click", function () { window.print(); });
})();
