// The instant-price page (GET /): key, upload, analysis, quote, order.
// Every step is a call of the public REST API with the person's key,
// which stays in sessionStorage (this tab only, gone when it closes).
import { showPart, formatOf } from '/assets/app/viewer.js';

const KEY = 'farm_api_key';
const $ = (id) => document.getElementById(id);
const CONTENT_TYPES = { stl: 'model/stl', obj: 'model/obj', '3mf': 'model/3mf' };
const MM_PER_UNIT = { mm: 1, cm: 10, m: 1000, inch: 25.4, in: 25.4 };

let state = { file: null, fileId: null, fileRecord: null, quote: null, view: null, catalog: null };

function key() { return sessionStorage.getItem(KEY); }

function say(id, text, isError = false) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle('error', isError);
}

function text(tag, content, cls) {
  const el = document.createElement(tag);
  el.textContent = content;
  if (cls) el.className = cls;
  return el;
}

function table(rows) {
  const t = document.createElement('table');
  for (const [k, v] of rows) {
    const tr = t.insertRow();
    tr.appendChild(text('th', k)).scope = 'row';
    tr.appendChild(text('td', v));
  }
  return t;
}

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function api(method, path, body, { auth = true } = {}) {
  const headers = { accept: 'application/json' };
  if (auth) headers.authorization = `Bearer ${key()}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method === 'POST') headers['idempotency-key'] = crypto.randomUUID();
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, json);
  return { json, res };
}

function describe(e) {
  const b = e.body || {};
  return b.error ? `${b.message || e.message} (${b.error})` : e.message;
}

// ------------------------------------------------------------------ key
function showKeyState() {
  const k = key();
  $('forget-key').hidden = !k;
  $('key-state').textContent = k
    ? `Using key ${k.slice(0, 12)}… (${k.includes('_test_') ? 'test mode: no money moves' : 'live'}).`
    : 'No key yet: paste one, or get one with your email.';
  updateButtons();
}

function useKey(k) {
  sessionStorage.setItem(KEY, k.trim());
  showKeyState();
  if (state.file && !state.fileId) upload(state.file);
}

$('key-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  useKey($('api-key').value);
  $('api-key').value = '';
});

$('forget-key').addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  showKeyState();
});

$('connect-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const body = { email: $('connect-email').value.trim(), name: $('connect-name').value.trim(), mode: $('connect-mode').value };
  try {
    const { json, res } = await api('POST', '/v1/connect', body, { auth: false });
    if (res.status === 202 || !json.api_key) {
      $('verify-form').hidden = false;
      say('key-state', json.message || 'We mailed you a code: enter it below.');
      $('verify-code').focus();
    } else {
      useKey(json.api_key);
    }
  } catch (e) {
    say('key-state', `Could not connect: ${describe(e)}`, true);
  }
});

$('verify-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const { json } = await api('POST', '/v1/connect/verify', { email: $('connect-email').value.trim(), code: $('verify-code').value }, { auth: false });
    $('verify-form').hidden = true;
    useKey(json.api_key);
  } catch (e) {
    say('key-state', `The code did not work: ${describe(e)}`, true);
  }
});

// ------------------------------------------------------------------ catalog
async function loadCatalog() {
  const { json } = await api('GET', '/v1/catalog', undefined, { auth: false });
  state.catalog = json;
  const material = $('material');
  for (const item of json.items) {
    const o = document.createElement('option');
    o.value = item.id;
    o.textContent = `${item.material} (${item.price_per_gram && item.price_per_gram.display ? item.price_per_gram.display : item.price_per_gram_cents / 100 + ' $'}/g)`;
    material.appendChild(o);
  }
  material.addEventListener('change', fillColors);
  fillColors();
}

function fillColors() {
  const item = state.catalog.items.find((i) => i.id === $('material').value);
  const color = $('color');
  color.replaceChildren();
  for (const c of item ? item.colors : []) {
    const o = document.createElement('option');
    o.value = typeof c === 'string' ? c : c.id || c.name;
    o.textContent = o.value;
    color.appendChild(o);
  }
}

// ------------------------------------------------------------------ part
function updateButtons() {
  $('quote-button').disabled = !(key() && state.fileRecord && state.fileRecord.status === 'ready');
  $('order-button').disabled = !(key() && state.quote);
}

async function chooseFile(file) {
  state = { ...state, file, fileId: null, fileRecord: null, quote: null };
  $('analysis').replaceChildren();
  $('quote').replaceChildren();
  updateButtons();
  const format = formatOf(file.name);
  try {
    state.view = showPart($('viewer'), await file.arrayBuffer(), format);
  } catch (e) {
    say('upload-status', `Cannot show ${file.name} in 3D: ${e.message}`, true);
  }
  if (key()) upload(file);
  else say('upload-status', `${file.name}: add your API key (step 1) to get the analysis and the price.`);
}

async function upload(file) {
  const format = formatOf(file.name);
  try {
    say('upload-status', `Uploading ${file.name}…`);
    const { json: p } = await api('POST', '/v1/files/presign', {
      filename: file.name, content_type: CONTENT_TYPES[format] || 'application/octet-stream', size_bytes: file.size,
    });
    state.fileId = p.file_id;
    const put = await fetch(p.upload_url, { method: p.upload_method || 'PUT', headers: p.required_headers, body: file });
    if (!put.ok) throw new Error(`the object store refused the upload (HTTP ${put.status})`);
    say('upload-status', 'Uploaded. Analysing…');
    await api('POST', '/v1/files/confirm', { file_id: p.file_id });
    state.fileRecord = await poll(p.file_id);
    showAnalysis(state.fileRecord);
    if (state.fileRecord.status === 'ready') await quote();
  } catch (e) {
    say('upload-status', `Upload failed: ${e instanceof ApiError ? describe(e) : e.message}`, true);
  }
  updateButtons();
}

async function poll(fileId) {
  for (let i = 0; i < 120; i++) {
    const { json, res } = await api('GET', `/v1/files/${fileId}`);
    if (json.status === 'ready' || json.status === 'failed') return json;
    const wait = Math.min(Number(res.headers.get('retry-after')) || 1, 5);
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
  throw new Error('the analysis is taking too long; reload the page to try again');
}

function showAnalysis(f) {
  const box = $('analysis');
  box.replaceChildren();
  const m = f.metrics_json || {};
  if (f.status === 'failed') {
    say('upload-status', `We cannot print this file: ${f.failure_reason || (m.errors && m.errors[0] && m.errors[0].message) || 'analysis failed'}`, true);
    return;
  }
  say('upload-status', `${f.filename}: analysed.`);
  const unit = m.unit || 'mm';
  const scale = MM_PER_UNIT[unit] || 1;
  const dims = (m.bbox_mm || []).map((v) => v.toFixed(1)).join(' × ');
  box.appendChild(text('h3', 'Analysis'));
  box.appendChild(table([
    ['Dimensions', dims ? `${dims} mm` : '—'],
    ['Volume', m.volume_cm3 !== undefined ? `${m.volume_cm3.toFixed(2)} cm³` : '—'],
    ['Triangles', m.triangle_count !== undefined ? String(m.triangle_count) : '—'],
    ['Unit', `${unit}${m.unit_confidence !== undefined ? ` (confidence ${Math.round(m.unit_confidence * 100)} %)` : ''}`],
    ['Watertight', m.is_watertight ? 'yes' : 'no'],
  ]));
  const findings = (f.printability && f.printability.findings) || [];
  box.appendChild(text('h3', 'Findings'));
  if (!findings.length) box.appendChild(text('p', 'None: the part looks printable as it is.'));
  const list = document.createElement('ul');
  const points = [];
  for (const x of findings) {
    list.appendChild(text('li', `${x.severity === 'error' ? 'Error' : 'Warning'}: ${x.message || x.check}${x.point_mm ? ' (marked in red on the model)' : ''}`, x.severity === 'error' ? 'error' : ''));
    if (Array.isArray(x.point_mm)) points.push(x.point_mm);
  }
  if (findings.length) box.appendChild(list);
  if (state.view && points.length) state.view.addMarkers(points, scale);
}

// ------------------------------------------------------------------ quote
async function quote() {
  const body = {
    file_id: state.fileId,
    material_id: $('material').value,
    color: $('color').value,
    quantity: Number($('quantity').value),
    ship_country: $('ship-country').value.trim().toUpperCase(),
  };
  const box = $('quote');
  box.replaceChildren(text('p', 'Pricing…'));
  try {
    const { json: q } = await api('POST', '/v1/quotes', body);
    state.quote = q;
    showQuote(q);
  } catch (e) {
    state.quote = null;
    box.replaceChildren(text('p', `No price: ${describe(e)}`, 'error'));
  }
  updateButtons();
}

function money(m) { return m && m.display ? m.display : '—'; }

function showQuote(q) {
  const box = $('quote');
  box.replaceChildren();
  const total = text('p', '', 'price');
  total.append('Total: ', text('strong', money(q.total)));
  total.id = 'price';
  box.appendChild(total);
  const b = q.breakdown || {};
  box.appendChild(table([
    ['Unit price', money(q.unit_price)],
    ['Quantity', String(q.quantity)],
    ['Material', `${q.material_id} ${q.color}`],
    ['Weight per part', b.grams_per_part !== undefined ? `${b.grams_per_part} g (model ${b.model_grams} g, supports ${b.support_grams} g)` : '—'],
    ['Price per gram', money(b.price_per_gram)],
    ['Bulk discount', b.bulk_discount_percent ? `${b.bulk_discount_percent} % (−${money(b.discount)})` : 'none'],
    ['Minimum applied', b.minimum_applied ? `yes (${money(b.minimum)})` : 'no'],
    ['Print time per part', b.print_hours_per_part !== undefined ? `${Number(b.print_hours_per_part).toFixed(1)} h` : '—'],
    ['Lead time', q.lead_time_days ? `${q.lead_time_days.min}–${q.lead_time_days.max} days (ships about ${q.estimated_ship})` : '—'],
    ['Execution confidence', q.execution_confidence !== undefined ? String(q.execution_confidence) : '—'],
    ['Risks', (q.risk_flags || []).length ? q.risk_flags.join(', ') : 'none'],
  ]));
  for (const s of q.suggestions || []) box.appendChild(text('p', s.message, 'muted'));
  if (q.settings_url) {
    const a = text('a', 'Autopay settings for agents (signed link, 24 h)');
    a.href = q.settings_url;
    a.id = 'settings-link';
    box.appendChild(text('p', '')).appendChild(a);
  }
}

$('quote-form').addEventListener('submit', (ev) => { ev.preventDefault(); quote(); });

// ------------------------------------------------------------------ order
$('order-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const address = { line1: $('line1').value, city: $('city').value, country: $('country').value.trim().toUpperCase() };
  for (const [field, id] of [['line2', 'line2'], ['state', 'state'], ['postal_code', 'postal-code']]) {
    if ($(id).value.trim()) address[field] = $(id).value;
  }
  try {
    say('order-status', 'Creating the order…');
    const { json } = await api('POST', '/v1/checkout_sessions', { quote_id: state.quote.quote_id, shipping_address_json: address });
    say('order-status', 'Opening the review page…');
    location.assign(json.review_url || json.approval_url);
  } catch (e) {
    say('order-status', `Could not order: ${describe(e)}`, true);
  }
});

// ------------------------------------------------------------------ drop
const drop = $('drop');
for (const type of ['dragenter', 'dragover']) {
  drop.addEventListener(type, (ev) => { ev.preventDefault(); drop.classList.add('over'); });
}
for (const type of ['dragleave', 'drop']) {
  drop.addEventListener(type, () => drop.classList.remove('over'));
}
drop.addEventListener('drop', (ev) => {
  ev.preventDefault();
  const f = ev.dataTransfer.files[0];
  if (f) chooseFile(f);
});
$('file-input').addEventListener('change', (ev) => {
  const f = ev.target.files[0];
  if (f) chooseFile(f);
});

showKeyState();
loadCatalog().catch((e) => say('upload-status', `Could not load the catalog: ${e.message}`, true));
