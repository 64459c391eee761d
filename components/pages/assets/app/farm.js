// The operator's farm view: GET /internal/farm/overview with the operator
// token (sessionStorage), refreshed every 10 s; the clear button posts
// /internal/farm/printers/{serial}/clear, the resolve button
// /internal/farm/printers/{serial}/resolve (a printer flagged for a person),
// the re-queue button /internal/farm/tasks/{task_id}/requeue (a part that
// gave up or was cancelled on the farm). A part printed and awaiting a
// person's verdict (a real printer's camera sends a photo, no verdict) is
// shown with its photos (signed object-store URLs) and passed through
// /internal/farm/tasks/{task_id}/pass or failed, with the defect typed in,
// through /internal/farm/tasks/{task_id}/fail.
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

// POSTs an operator action (with `body` as JSON if given); says `done` or
// the API's message, then reloads.
async function act(path, button, what, done, body) {
  button.disabled = true;
  const headers = { authorization: `Bearer ${token()}`, accept: 'application/json' };
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: 'POST', headers, body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await res.json().catch(() => ({}));
  if (res.ok) say(`${what}: ${done}`);
  else if (res.status === 404 && !answer.error?.endsWith('_not_found')) say(`${what}: this server has no such route yet.`, true);
  else say(`${what}: ${answer.message || `HTTP ${res.status}`}`, true);
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

function partName(v) { return `Part ${v.part} of ${v.order_id || 'no order'}`; }

function passPart(v, button) {
  act(`/internal/farm/tasks/${encodeURIComponent(v.task_id)}/pass`, button, partName(v), 'passed.');
}

function failPart(v, defect, button) {
  act(`/internal/farm/tasks/${encodeURIComponent(v.task_id)}/fail`, button, partName(v),
    're-printed (or its order flagged at the third failure).', { defect });
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
  // What the printer reports loaded: one entry per AMS tray or spool.
  const trays = (p.filament || []).map((f) => [f.material, f.color].filter(Boolean).join(' '));
  tr.appendChild(text('td', trays.length ? trays.join(', ') : '—'));
  const flags = [];
  // Why, as the gateway reported it (a lost plate, a fault), so the person
  // knows what to check before resolving.
  if (p.needs_attention) flags.push(p.attention_reason ? `needs attention: ${p.attention_reason}` : 'needs attention');
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
  verdicts(root, o.awaiting_verdict || []);
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

// The parts printed and awaiting a person's verdict: photos (thumbnails
// linking to the full image), a pass button, and a fail form whose defect
// input is labelled for the part.
function verdicts(root, parts) {
  root.appendChild(text('h2', 'Parts awaiting a verdict'));
  if (!parts.length) { root.appendChild(text('p', 'None.')); return; }
  root.appendChild(text('p', 'Printed and photographed; nobody has judged them yet. Pass lets the part ship; Fail with the defect re-prints it.'));
  const t = document.createElement('table');
  t.id = 'awaiting-verdict';
  const head = t.createTHead().insertRow();
  for (const h of ['Task', 'Order', 'Part', 'Attempt', 'Printer', 'Material', 'Photos', 'Verdict']) head.appendChild(text('th', h)).scope = 'col';
  const body = t.createTBody();
  for (const v of parts) {
    const tr = body.insertRow();
    tr.dataset.taskId = v.task_id;
    for (const x of [v.task_id, v.order_id || '—', v.part ?? '—', v.attempt, v.printer || '—', `${v.material} ${v.color}`]) tr.appendChild(text('td', String(x)));
    const photos = tr.insertCell();
    if (!v.photos.length) photos.textContent = 'No photo yet (pass needs one).';
    for (const ph of v.photos) {
      const a = document.createElement('a');
      a.href = ph.url;
      a.target = '_blank';
      a.rel = 'noopener';
      const img = document.createElement('img');
      img.src = ph.url;
      img.alt = `${partName(v)}, photo ${ph.name}`;
      img.className = 'thumb';
      img.width = 96;
      img.height = 96;
      a.appendChild(img);
      photos.append(a, ' ');
    }
    const cell = tr.insertCell();
    cell.append(button(`Pass task ${v.task_id}`, (b) => passPart(v, b)));
    const form = document.createElement('form');
    form.className = 'row';
    const id = `defect-${v.task_id}`;
    const label = text('label', `Defect of task ${v.task_id}`);
    label.htmlFor = id;
    const input = document.createElement('input');
    input.id = id;
    input.required = true;
    input.placeholder = 'e.g. layer_shift';
    const submit = text('button', `Fail task ${v.task_id}`);
    submit.type = 'submit';
    form.append(label, input, submit);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      failPart(v, input.value.trim(), submit);
    });
    cell.append(form);
  }
  root.appendChild(t);
}

// True while a person is typing into the page's table (a defect): the
// periodic refresh waits rather than wipe what they typed.
function editing() {
  const el = document.activeElement;
  return Boolean(el && el.tagName === 'INPUT' && $('farm').contains(el) && el.value);
}

let timer = null;
async function load(periodic = false) {
  clearTimeout(timer);
  if (!token()) return;
  if (periodic && editing()) { timer = setTimeout(() => load(true), 10000); return; }
  const res = await fetch('/internal/farm/overview', { headers: { authorization: `Bearer ${token()}`, accept: 'application/json' } });
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN);
    show();
    say('That operator token was refused.', true);
    return;
  }
  if (!res.ok) { say(`The farm could not be read (HTTP ${res.status}).`, true); return; }
  render(await res.json());
  timer = setTimeout(() => load(true), 10000);
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
$('refresh').addEventListener('click', () => load());
show();
load();
