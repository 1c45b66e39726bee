// The sandbox page: post what the chosen person types; show every message the bot sends (SSE).
(function () {
  const form = document.getElementById('say');
  const log = document.getElementById('log');
  const text = document.getElementById('text');
  const csrf = form.dataset.csrf;
  const bot = form.dataset.bot;

  function show(cls, meta, body) {
    const div = document.createElement('div');
    div.className = 'msg ' + cls;
    const m = document.createElement('div');
    m.className = 'meta';
    m.textContent = meta;
    const b = document.createElement('div');
    b.textContent = body;          // textContent: whatever anyone typed stays text
    div.append(m, b);
    log.prepend(div);
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const chat = document.getElementById('chat').value;
    const sender = document.getElementById('sender');
    const mention = document.getElementById('mention').checked;
    const body = text.value.trim();
    if (!body) return;
    show('mine', sender.options[sender.selectedIndex].text + ' → ' + chat, (mention && chat !== '私聊' ? '@' + bot + ' ' : '') + body);
    text.value = '';
    const res = await fetch('/sandbox/api/send', {
      method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
      body: JSON.stringify({chat: chat, sender: sender.value, text: body, mention: mention}),
    });
    if (!res.ok) show('bot', '错误', (await res.json()).error || res.statusText);
  });

  document.querySelectorAll('.ex').forEach((b) => b.addEventListener('click', () => { text.value = b.textContent; text.focus(); }));

  const events = new EventSource('/sandbox/api/stream');
  events.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    const at = new Date(m.at).toLocaleTimeString('zh-CN', {hour: '2-digit', minute: '2-digit'});
    show('bot', bot + ' → ' + m.to + ' · ' + at, m.text);
  };
})();
