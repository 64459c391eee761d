// The operator's farm view: GET /internal/farm/overview with the operator
// token (sessionStorage), refreshed every 10 s; the clear button posts
// /internal/farm/printers/{serial}/clear, the resolve button
// /internal/farm/printers/{serial}/resolve (a printer flagged for a person),
// the re-queue button /internal/farm/tasks/{task_id}/requeue (a part that
// gave up or was cancelled on the farm).
const TOKEN = 'farm_operator_token';
const $ = (id) => document.getElementById(id);

function token() { return sessionStorage.getItem(TOKEN); }

function text(tag, content, cls) {
  const el = document.createElement(tag);
  el.textContent = content;
  if (cls) el.className = cls;
  return el;
}

function say(content, isError = false) {
  $('farm-status').textContent = content;
  $('farm-status').classList.toggle('error', isError);
}

function percent(x) { return `${Math.round((x || 0) * 100)} %`; }

// POSTs an operator action; says `done` or the API's message, then reloads.
async function act(path, button, what, done) {
  button.disabled = true;
  const res = await fetch(path, {
    method: 'POST', headers: { authorization: `Bearer ${token()}`, accept: 'application/json' },
  });
  const body = await res.json().catch(() => ({}));
  if (res.ok) say(`${what}: ${done}`);
  else if (res.status === 404 && !body.error?.endsWith('_not_found')) say(`${what}: this server has no such route yet.`, true);
  else say(`${what}: ${body.message || `HTTP ${res.status}`}`, true);
  load();
}

function clearPlate(serial, button) {
  act(`/internal/farm/printers/${encodeURIComponent(serial)}/clear`, button, serial, 'plate cleared.');
}

function resolvePrinter(serial, button) {
  act(`/internal/farm/printers/${encodeURIComponent(serial)}/resolve`, button, serial, 'attention resolved; it takes plates again.');
}

function requeueTask(task, button) {
  act(`/internal/farm/tasks/${encodeURIComponent(task.task_id)}/requeue`, button,
    `Part ${task.part} of ${task.order_id}`, 're-queued at the front.');
}

function button(label, onClick) {
  const b = text('button', label);
  b.type = 'button';
  b.addEventListener('click', () => onClick(b));
  return b;
}

function printerRow(tbody, p) {
  const tr = tbody.insertRow();
  tr.appendChild(text('th', `${p.name || p.serial} (${p.model || '?'})`)).scope = 'row';
  const state = [p.status || 'unknown'];
  if (p.gcode_state) state.push(p.gcode_state);
  tr.appendChild(text('td', state.join(' / ')));
  const progress = tr.insertCell();
  if (p.status === 'printing') {
    const bar = document.createElement('progress');
    bar.max = 100;
    bar.value = p.progress || 0;
    bar.setAttribute('aria-label', `${p.serial} progress`);
    progress.append(bar, ` ${p.progress || 0} %${p.remaining_minutes ? `, ${p.remaining_minutes} min left` : ''}`);
  } else {
    progress.textContent = '—';
  }
  const f = p.filament;
  tr.appendChild(text('td', f ? [f.material, f.color].filter(Boolean).join(' ') : '—'));
  const flags = [];
  if (p.needs_attention) flags.push('needs attention');
  if (p.awaiting_clear) flags.push('plate awaiting clear');
  const flagCell = tr.appendChild(text('td', flags.join(', ') || '—', flags.length ? 'error' : ''));
  if (p.needs_attention) flagCell.append(' ', button(`Resolve ${p.serial}`, (b) => resolvePrinter(p.serial, b)));
  if (p.awaiting_clear) flagCell.append(' ', button(`Clear ${p.serial}`, (b) => clearPlate(p.serial, b)));
  tr.appendChild(text('td', percent(p.utilisation)));
}

function render(o) {
  const root = $('farm');
  root.replaceChildren();
  root.appendChild(text('p', `Farm utilisation over the last ${o.utilisation.window_seconds / 3600} h: ${percent(o.utilisation.farm)}. Updated ${o.generated_at}.`));
  if (!o.sites.length) root.appendChild(text('p', 'No printer is registered yet.'));
  for (const site of o.sites) {
    root.appendChild(text('h2', `Site ${site.name}`));
    const t = document.createElement('table');
    const head = t.createTHead().insertRow();
    for (const h of ['Printer', 'State', 'Progress', 'Filament', 'Attention', 'Utilisation (24 h)']) head.appendChild(text('th', h)).scope = 'col';
    const body = t.createTBody();
    for (const p of site.printers) printerRow(body, p);
    root.appendChild(t);
  }
  root.appendChild(text('h2', 'Plates awaiting clear'));
  root.appendChild(text('p', o.awaiting_clear.length ? o.awaiting_clear.join(', ') : 'None.'));
  root.appendChild(text('h2', 'Parts waiting for a person'));
  const stuck = o.queue.needs_person || [];
  if (!stuck.length) root.appendChild(text('p', 'None.'));
  else {
    root.appendChild(text('p', 'These parts gave up after their failures or were cancelled on the farm; their orders do not ship until a person decides. Re-queue prints one again; a refund is the order\'s cancel.'));
    const t = document.createElement('table');
    const head = t.createTHead().insertRow();
    for (const h of ['Task', 'Order', 'Part', 'Status', 'Failures', 'Material', '']) head.appendChild(text('th', h)).scope = 'col';
    const body = t.createTBody();
    for (const q of stuck) {
      const tr = body.insertRow();
      for (const v of [q.task_id, q.order_id, q.part, q.status, q.failures, `${q.material} ${q.color}`]) tr.appendChild(text('td', String(v)));
      tr.insertCell().append(button(`Re-queue task ${q.task_id}`, (b) => requeueTask(q, b)));
    }
    root.appendChild(t);
  }
  root.appendChild(text('h2', 'Queue'));
  const counts = Object.entries(o.queue.by_status).map(([s, n]) => `${s}: ${n}`).join(', ');
  root.appendChild(text('p', counts || 'No print task yet.'));
  if (o.queue.open.length) {
    const t = document.createElement('table');
    const head = t.createTHead().insertRow();
    for (const h of ['Task', 'Status', 'Material', 'Hours', 'Queued at']) head.appendChild(text('th', h)).scope = 'col';
    const body = t.createTBody();
    for (const q of o.queue.open) {
      const tr = body.insertRow();
      for (const v of [q.task_id, q.status, `${q.material} ${q.color}`, q.estimated_hours.toFixed(2), q.created_at]) tr.appendChild(text('td', String(v)));
    }
    root.appendChild(t);
  }
}

let timer = null;
async function load() {
  clearTimeout(timer);
  if (!token()) return;
  const res = await fetch('/internal/farm/overview', { headers: { authorization: `Bearer ${token()}`, accept: 'application/json' } });
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN);
    show();
    say('That operator token was refused.', true);
    return;
  }
  if (!res.ok) { say(`The farm could not be read (HTTP ${res.status}).`, true); return; }
  render(await res.json());
  timer = setTimeout(load, 10000);
}

function show() {
  const has = Boolean(token());
  $('token-form').hidden = has;
  $('forget-token').hidden = !has;
  $('refresh').hidden = !has;
  if (!has) $('farm').replaceChildren();
}

$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(TOKEN, $('operator-token').value.trim());
  $('operator-token').value = '';
  say('');
  show();
  load();
});
$('forget-token').addEventListener('click', () => { sessionStorage.removeItem(TOKEN); show(); });
$('refresh').addEventListener('click', load);
show();
load();
