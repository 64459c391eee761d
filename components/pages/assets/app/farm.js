// The operator's farm view: GET /internal/farm/overview with the operator
// token (sessionStorage), refreshed every 10 s; the clear button posts
// /internal/farm/printers/{serial}/clear.
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

async function clearPlate(serial, button) {
  button.disabled = true;
  const res = await fetch(`/internal/farm/printers/${encodeURIComponent(serial)}/clear`, {
    method: 'POST', headers: { authorization: `Bearer ${token()}`, accept: 'application/json' },
  });
  const body = await res.json().catch(() => ({}));
  if (res.ok) say(`${serial}: plate cleared.`);
  else if (res.status === 404 && body.error !== 'printer_not_found') say('Clearing plates is not available on this server yet (no clear route).', true);
  else say(`${serial}: ${body.message || `HTTP ${res.status}`}`, true);
  load();
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
  if (p.awaiting_clear) {
    const b = text('button', `Clear ${p.serial}`);
    b.type = 'button';
    b.addEventListener('click', () => clearPlate(p.serial, b));
    flagCell.append(' ', b);
  }
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
