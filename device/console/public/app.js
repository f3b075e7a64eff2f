// FaceGate operator console: a small single-page app over /api/v1 (no framework, no remote asset).
const API = '/api/v1';
const state = { csrf: null, who: '', page: null, events: null, cleanup: [] };

/** Element builder: text children are text nodes, never HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
const $ = (sel) => document.querySelector(sel);

async function api(path, { method = 'GET', json, form } = {}) {
  const headers = {};
  if (method !== 'GET' && state.csrf) headers['x-csrf-token'] = state.csrf;
  let body;
  if (json !== undefined) { headers['content-type'] = 'application/json'; body = JSON.stringify(json); }
  if (form) body = form;
  const res = await fetch(API + path, { method, headers, body, credentials: 'same-origin' });
  const type = res.headers.get('content-type') || '';
  const data = type.includes('json') ? await res.json() : await res.text();
  if (res.status === 401 && path !== '/auth/login') { showLogin(); throw new Error('not logged in'); }
  if (!res.ok) throw new Error(data && data.error ? data.error.message : `HTTP ${res.status}`);
  return data;
}

function toast(msg, ms = 3000) {
  const t = $('#toast');
  t.textContent = msg;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, ms);
}

const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const fmtNum = (x, d = 3) => (x === null || x === undefined ? '—' : Number(x).toFixed(d));
const badge = (kind) => h('span', { class: `badge ${kind}` }, kind);

// ------------------------------------------------------------------ session
function showLogin() {
  closeEvents();
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-form [name=password]').focus();
}

async function boot() {
  try {
    const s = await api('/auth/session');
    state.csrf = s.csrfToken;
    state.who = s.who;
    $('#login').hidden = true;
    $('#app').hidden = false;
    $('#who').textContent = s.who;
    openEvents();
    route();
    refreshPill().catch(() => {});
  } catch { showLogin(); }
}

$('#login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  $('#login-error').textContent = '';
  try {
    await api('/auth/login', { method: 'POST', json: { user: f.get('user'), password: f.get('password') } });
    e.target.reset();
    await boot();
  } catch (err) { $('#login-error').textContent = err.message; }
});
$('#logout').addEventListener('click', async () => { await api('/auth/logout', { method: 'POST' }).catch(() => {}); state.csrf = null; showLogin(); });

// ------------------------------------------------------------------ live events
const listeners = { decision: new Set(), capture: new Set(), faces: new Set() };
function openEvents() {
  closeEvents();
  const es = new EventSource(`${API}/live/events`);
  for (const kind of Object.keys(listeners)) es.addEventListener(kind, (ev) => { const d = JSON.parse(ev.data); for (const f of listeners[kind]) f(d); });
  state.events = es;
}
function closeEvents() { if (state.events) state.events.close(); state.events = null; }
function on(kind, f) { listeners[kind].add(f); state.cleanup.push(() => listeners[kind].delete(f)); }
function every(ms, f) { f(); const t = setInterval(f, ms); state.cleanup.push(() => clearInterval(t)); }
/**
 * Server values go into a settings form only until the operator edits it: a refresh (or the first
 * load answering late) must never undo a choice made but not yet saved. Saving makes it clean again.
 */
function editable(form) {
  let dirty = false;
  const touch = () => { dirty = true; };
  form.addEventListener('input', touch);
  form.addEventListener('change', touch);
  return {
    fill(values) { if (!dirty) for (const [k, v] of Object.entries(values)) form.elements[k].value = String(v); },
    saved() { dirty = false; },
  };
}
/**
 * The live view: MJPEG frames in an <img>, the faces of each frame (SSE `faces`) drawn on a canvas
 * above it. The stream runs only while its page shows: leaving the page closes the connection.
 */
function video() {
  const img = h('img', { class: 'video', alt: 'live camera view', src: `${API}/live/video` });
  const canvas = h('canvas', { class: 'overlay' });
  const wrap = h('div', { class: 'video-wrap' }, img, canvas);
  state.cleanup.push(() => img.removeAttribute('src'));
  on('faces', (f) => drawFaces(canvas, img, f));
  return wrap;
}

function drawFaces(canvas, img, f) {
  const cw = img.clientWidth, ch = img.clientHeight;
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(cw * dpr) || canvas.height !== Math.round(ch * dpr)) { canvas.width = Math.round(cw * dpr); canvas.height = Math.round(ch * dpr); }
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, cw, ch);
  // object-fit: contain — the frame is scaled to fit and centred.
  const s = Math.min(cw / f.width, ch / f.height);
  const ox = (cw - f.width * s) / 2, oy = (ch - f.height * s) / 2;
  g.font = '600 13px "DejaVu Sans", sans-serif';
  for (const face of f.faces) {
    const colour = face.identity ? '#22c55e' : '#f59e0b';
    const x = ox + face.box.x * s, y = oy + face.box.y * s, w = face.box.w * s, hh = face.box.h * s;
    g.strokeStyle = colour;
    g.lineWidth = 2.5;
    g.strokeRect(x, y, w, hh);
    g.fillStyle = colour;
    for (const [lx, ly] of face.landmarks5) { g.beginPath(); g.arc(ox + lx * s, oy + ly * s, 2.5, 0, 2 * Math.PI); g.fill(); }
    const parts = [face.identity ? face.name || face.identity : 'unknown'];
    if (face.distance !== null) parts.push(`d=${face.distance.toFixed(3)}`);
    if (face.liveness !== null) parts.push(`live=${face.liveness.toFixed(2)}`);
    const label = parts.join('  ');
    const tw = g.measureText(label).width + 12;
    const ly = y > 24 ? y - 24 : y + hh + 2;
    g.fillStyle = 'rgba(15, 23, 42, 0.8)';
    g.fillRect(x, ly, tw, 22);
    g.fillStyle = '#fff';
    g.fillText(label, x + 6, ly + 15);
  }
}

// ------------------------------------------------------------------ pages
const pages = {
  live: { title: 'Live', render: renderLive },
  decisions: { title: 'Decisions', render: renderDecisions },
  people: { title: 'People', render: renderPeople },
  capture: { title: 'Guided capture', render: renderCapture },
  recent: { title: 'Recent faces', render: renderRecent },
  calibration: { title: 'Calibration', render: renderCalibration },
  device: { title: 'Device', render: renderDevice },
};

function route() {
  for (const c of state.cleanup.splice(0)) c();
  const [name, query] = location.hash.replace(/^#\//, '').split('?');
  const page = pages[name] ? name : 'live';
  state.page = page;
  document.querySelectorAll('.sidebar a').forEach((a) => a.classList.toggle('active', a.dataset.page === page));
  $('#title').textContent = pages[page].title;
  const root = $('#page');
  root.replaceChildren();
  pages[page].render(root, new URLSearchParams(query || ''));
}
window.addEventListener('hashchange', () => { if (!$('#app').hidden) route(); });

function card(k, v) { return h('div', { class: 'card' }, h('div', { class: 'k' }, k), h('div', { class: 'v' }, v)); }

async function refreshPill() {
  const s = await api('/status');
  const pill = $('#status-pill');
  pill.className = `pill ${s.ok ? 'ok' : 'bad'}`;
  pill.textContent = `${s.site}/${s.device} · camera ${s.camera} · broker ${s.sync.broker}`;
  return s;
}

function renderLive(root) {
  const cards = h('div', { class: 'cards' });
  const feed = h('ul', { class: 'feed' });
  root.append(h('div', { class: 'grid cols-2' },
    h('div', { class: 'panel' }, video()),
    h('div', { class: 'grid' }, cards, h('div', { class: 'panel' }, h('h2', {}, 'Latest decisions'), feed))));
  every(2000, async () => {
    const d = await api('/device');
    await refreshPill();
    // Latency over the last 100 frames: what the door does now, not since start (model warm-up).
    const r = d.recent;
    const ms = (x) => (x === null ? '—' : `${x} ms`);
    cards.replaceChildren(card('fps', fmtNum(r.fps, 1)), card('latency p50', ms(r.latencyP50Ms)), card('latency p99', ms(r.latencyP99Ms)),
      card('queue depth', d.metrics.queueDepth), card('frames', d.metrics.frames), card('dropped', d.metrics.dropped));
  });
  const add = (x) => {
    feed.prepend(h('li', {}, badge(x.decision), h('strong', {}, x.name || x.identity || 'unknown'), h('span', { class: 'muted' }, `d=${fmtNum(x.distance)}`), h('span', { class: 'muted' }, new Date(x.at).toLocaleTimeString())));
    while (feed.children.length > 8) feed.lastChild.remove();
  };
  api('/decisions?limit=8').then((r) => r.decisions.reverse().forEach(add));
  on('decision', add);
}

function renderDecisions(root, q) {
  const form = h('form', { class: 'inline' },
    h('label', {}, 'Kind', h('select', { name: 'kind' }, h('option', { value: '' }, 'all'), ...['grant', 'deny', 'unknown'].map((k) => h('option', { value: k, selected: q.get('kind') === k }, k)))),
    h('label', {}, 'Person id', h('input', { name: 'person', value: q.get('person') || '', placeholder: 'any' })),
    h('label', {}, 'Since', h('input', { name: 'since', type: 'datetime-local' })),
    h('button', { type: 'submit', class: 'primary' }, 'Filter'),
    h('a', { class: 'button', id: 'csv', href: `${API}/decisions.csv`, download: 'decisions.csv' }, 'Export CSV'));
  const body = h('tbody');
  root.append(h('div', { class: 'panel' }, form, h('table', { id: 'decisions' }, h('thead', {}, h('tr', {}, ...['#', 'Time', 'Decision', 'Person', 'Distance', 'Threshold', 'Liveness', 'Reason', 'Latency'].map((c) => h('th', {}, c)))), body)));
  const filters = () => {
    const f = new FormData(form);
    const p = new URLSearchParams();
    if (f.get('kind')) p.set('kind', f.get('kind'));
    if (f.get('person')) p.set('person', f.get('person'));
    if (f.get('since')) p.set('since', new Date(f.get('since')).toISOString());
    return p;
  };
  const row = (d) => h('tr', { 'data-seq': d.seq }, h('td', {}, d.seq), h('td', {}, fmtTime(d.at)), h('td', {}, badge(d.decision)), h('td', {}, d.name ? `${d.name} (${d.identity})` : d.identity || '—'),
    h('td', {}, fmtNum(d.distance)), h('td', {}, fmtNum(d.threshold)), h('td', {}, fmtNum(d.liveness, 2)), h('td', {}, d.reason || ''), h('td', {}, d.latencyMs === null ? '—' : `${Math.round(d.latencyMs)} ms`));
  const load = async () => {
    const p = filters();
    $('#csv').href = `${API}/decisions.csv?${p}`;
    const r = await api(`/decisions?${p}&limit=200`);
    body.replaceChildren(...(r.decisions.length ? r.decisions.map(row) : [h('tr', {}, h('td', { colspan: 9, class: 'empty' }, 'No decisions yet'))]));
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  load();
  on('decision', (d) => {
    const f = filters();
    if ((f.get('kind') && f.get('kind') !== d.decision) || (f.get('person') && f.get('person') !== d.identity)) return;
    if (body.querySelector('.empty')) body.replaceChildren();
    body.prepend(row(d));
  });
}

function renderPeople(root) {
  const body = h('tbody');
  const add = h('form', { class: 'inline', id: 'add-person' },
    h('label', {}, 'Id', h('input', { name: 'id', required: true, placeholder: 'e.g. jane_doe' })),
    h('label', {}, 'Name', h('input', { name: 'name', placeholder: 'Jane Doe' })),
    h('label', {}, 'Photos', h('input', { name: 'image', type: 'file', accept: 'image/jpeg,image/png,image/webp', multiple: true, required: true })),
    h('button', { type: 'submit', class: 'primary' }, 'Add person'));
  root.append(h('div', { class: 'grid' },
    h('div', { class: 'panel' }, h('h2', {}, 'Add by upload'), add, h('p', { class: 'muted' }, 'Or enrol at the door with ', h('a', { href: '#/capture' }, 'guided capture'), '.')),
    h('div', { class: 'panel' }, h('table', { id: 'people' }, h('thead', {}, h('tr', {}, ...['Id', 'Name', 'Templates', 'Status', 'Valid from', 'Valid until', ''].map((c) => h('th', {}, c)))), body))));
  const dateInput = (v, onchange) => h('input', { type: 'date', value: v ? v.slice(0, 10) : '', onchange });
  const load = async () => {
    const r = await api('/people');
    body.replaceChildren(...(r.people.length ? r.people.map((p) => h('tr', { 'data-id': p.id },
      h('td', {}, h('strong', {}, p.id)), h('td', {}, p.name || '—'), h('td', {}, p.templates),
      h('td', {}, p.enabled ? h('span', { class: 'badge grant' }, 'enabled') : h('span', { class: 'badge off' }, 'disabled')),
      h('td', {}, dateInput(p.validFrom, (e) => patch(p.id, { validFrom: e.target.value ? new Date(e.target.value).toISOString() : null }))),
      h('td', {}, dateInput(p.validUntil, (e) => patch(p.id, { validUntil: e.target.value ? new Date(`${e.target.value}T23:59:59`).toISOString() : null }))),
      h('td', {}, h('div', { class: 'toolbar' },
        h('button', { onclick: () => patch(p.id, { enabled: !p.enabled }) }, p.enabled ? 'Disable' : 'Enable'),
        h('button', { class: 'danger', onclick: () => remove(p.id) }, 'Delete'))),
    )) : [h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'Nobody enrolled yet'))]));
  };
  const patch = async (id, fields) => { try { await api(`/people/${encodeURIComponent(id)}`, { method: 'PATCH', json: fields }); toast(`${id} updated`); } catch (e) { toast(e.message); } load(); };
  const remove = async (id) => {
    if (!confirm(`Delete ${id} and erase their templates?`)) return;
    try { await api(`/people/${encodeURIComponent(id)}`, { method: 'DELETE' }); toast(`${id} deleted`); } catch (e) { toast(e.message); }
    load();
  };
  add.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(add);
    const form = new FormData();
    if (f.get('name')) form.append('name', f.get('name'));
    for (const file of add.querySelector('[name=image]').files) form.append('image', file, file.name);
    try {
      const r = await api(`/people/${encodeURIComponent(f.get('id'))}/photos`, { method: 'POST', form });
      toast(`${r.person.id}: ${r.added} template(s) added${r.problems.length ? `, ${r.problems.length} photo(s) skipped` : ''}`);
      add.reset();
    } catch (err) { toast(err.message, 5000); }
    load();
  });
  load();
}

function renderCapture(root) {
  const checks = h('ul', { class: 'checks', id: 'checks' });
  const bar = h('div');
  const msg = h('p', { id: 'capture-message', class: 'muted' });
  const counts = h('p', { class: 'muted', id: 'capture-rejected' });
  const form = h('form', { class: 'inline', id: 'capture-form' },
    h('label', {}, 'Id', h('input', { name: 'id', required: true })),
    h('label', {}, 'Name', h('input', { name: 'name' })),
    h('label', {}, 'Frames', h('input', { name: 'frames', type: 'number', min: 1, max: 20, value: 5 })),
    h('button', { type: 'submit', class: 'primary' }, 'Start capture'),
    h('button', { type: 'button', onclick: () => api('/capture', { method: 'DELETE' }).catch((e) => toast(e.message)) }, 'Cancel'));
  const status = h('span', { class: 'badge off', id: 'capture-status' }, 'idle');
  root.append(h('div', { class: 'grid cols-2' },
    h('div', { class: 'panel' }, video()),
    h('div', { class: 'panel' }, h('h2', {}, 'Enrol at the door'), form, h('div', {}, status), h('div', { class: 'progress' }, bar), msg, checks, counts)));
  const show = (s) => {
    status.textContent = s.status;
    status.className = `badge ${s.status === 'done' ? 'grant' : s.status === 'failed' ? 'deny' : s.status === 'capturing' ? 'unknown' : 'off'}`;
    bar.style.width = `${s.target ? Math.round((100 * s.accepted) / s.target) : 0}%`;
    msg.textContent = s.target ? `${s.accepted} of ${s.target} good frames. ${s.message}` : s.message;
    const names = { face: 'One face in view', size: 'Face size', blur: 'Sharpness', pose: 'Frontal pose', lighting: 'Lighting', liveness: 'Liveness', variety: 'Varied frames' };
    checks.replaceChildren(...s.checks.map((c) => h('li', { class: c.ok ? 'ok' : 'fail', 'data-check': c.name },
      h('span', {}, names[c.name] || c.name, c.ok ? '' : h('span', { class: 'muted' }, ` — ${c.need}`)), h('span', { class: 'state' }, c.ok ? '✓' : '✗', c.value === null ? (c.name === 'liveness' ? ' gate off' : '') : ` ${typeof c.value === 'number' && !Number.isInteger(c.value) ? (Math.abs(c.value) >= 10 ? Math.round(c.value) : c.value.toFixed(2)) : c.value}`))));
    const r = Object.entries(s.rejected || {}).map(([k, n]) => `${names[k] || k}: ${n}`).join(', ');
    counts.textContent = r ? `Frames refused — ${r}` : '';
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try { show(await api('/capture', { method: 'POST', json: { id: f.get('id'), name: f.get('name') || null, frames: Number(f.get('frames')) } })); } catch (err) { toast(err.message); }
  });
  api('/capture').then(show);
  on('capture', show);
}

function renderRecent(root) {
  const toggle = h('form', { class: 'inline', id: 'recent-settings' },
    h('label', {}, 'Keep crops of unknown and near-threshold faces', h('select', { name: 'enabled' }, h('option', { value: 'false' }, 'off'), h('option', { value: 'true' }, 'on'))),
    h('label', {}, 'For (minutes)', h('input', { name: 'keepMinutes', type: 'number', min: 1, max: 1440 })),
    h('button', { type: 'submit', class: 'primary' }, 'Save'));
  const grid = h('div', { class: 'faces', id: 'recent-faces' });
  root.append(h('div', { class: 'grid' },
    h('div', { class: 'panel' }, h('h2', {}, 'Privacy'), h('p', { class: 'muted' }, 'Off by default. While on, one crop per unknown or low-margin attempt is kept in memory only (never on disk) for the time set here; turning it off forgets them all.'), toggle),
    h('div', { class: 'panel' }, h('h2', {}, 'Recent attempts'), grid)));
  const settings = editable(toggle);
  let people = [];
  const load = async () => {
    const s = await api('/recent-faces/settings');
    settings.fill({ enabled: s.enabled, keepMinutes: s.keepMinutes });
    const r = await api('/recent-faces');
    if (!people.length) people = (await api('/people')).people;
    if (!r.faces.length) { grid.replaceChildren(h('p', { class: 'empty' }, s.enabled ? 'No recent unknown or near-threshold faces' : 'Recent faces are off')); return; }
    const shown = new Set([...grid.querySelectorAll('[data-face]')].map((e) => e.dataset.face));
    if (r.faces.length === shown.size && r.faces.every((f) => shown.has(f.id))) return; // keep selections while nothing changed
    grid.replaceChildren(...r.faces.map((f) => {
      // An unknown face has no preselected person: assigning must be a choice, never a default.
      const sel = h('select', {}, h('option', { value: '', disabled: true, selected: !f.nearest }, 'choose a person…'),
        ...people.map((p) => h('option', { value: p.id, selected: p.id === f.nearest }, p.name ? `${p.name} (${p.id})` : p.id)));
      return h('div', { class: 'face-card', 'data-face': f.id },
        h('img', { src: `${API}/recent-faces/${f.id}/image`, alt: 'face crop' }),
        h('div', { class: 'muted' }, new Date(f.at).toLocaleTimeString(), f.nearest ? ` · near ${f.nearest} d=${fmtNum(f.distance)}` : ' · unknown'),
        h('div', { class: 'toolbar' }, sel,
          h('button', { class: 'primary', onclick: async () => { if (!sel.value) { toast('choose the person this face belongs to'); return; } try { const a = await api(`/recent-faces/${f.id}/assign`, { method: 'POST', json: { person: sel.value } }); toast(`template added to ${a.person}`); } catch (e) { toast(e.message); } load(); } }, 'Assign'),
          h('button', { class: 'danger', onclick: async () => { await api(`/recent-faces/${f.id}`, { method: 'DELETE' }).catch((e) => toast(e.message)); load(); } }, 'Delete')));
    }));
  };
  toggle.addEventListener('submit', async (e) => {
    e.preventDefault();
    try { await api('/recent-faces/settings', { method: 'PUT', json: { enabled: toggle.enabled.value === 'true', keepMinutes: Number(toggle.keepMinutes.value) } }); settings.saved(); toast('saved'); } catch (err) { toast(err.message); }
    people = [];
    load();
  });
  every(3000, load);
}

function renderCalibration(root) {
  const cur = h('dl', { class: 'kv' });
  const form = h('form', { class: 'inline', id: 'threshold-form' },
    h('label', {}, 'Threshold', h('input', { name: 'threshold', type: 'number', step: 'any', min: '0.01', max: '2', required: true })),
    h('label', {}, 'Margin', h('input', { name: 'margin', type: 'number', step: 'any', min: '0', max: '2' })),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'));
  const thresholdForm = editable(form);
  const report = h('div');
  const runForm = h('form', { class: 'inline', id: 'calibration-run' },
    h('label', {}, 'Labelled photos (a folder of person folders, or files named Person_Name_0001.jpg)', h('input', { name: 'images', type: 'file', multiple: true, accept: 'image/jpeg,image/png,image/webp', required: true })),
    h('label', {}, 'Target FAR', h('input', { name: 'targetFar', type: 'number', step: 'any', min: '0.0001', max: '0.5', value: '0.01' })),
    h('button', { type: 'submit', class: 'primary' }, 'Run calibration'));
  const folder = h('label', {}, h('input', { type: 'checkbox', name: 'folder' }), ' pick a folder');
  runForm.insertBefore(folder, runForm.lastChild);
  folder.firstChild.addEventListener('change', (e) => { const i = runForm.images; if (e.target.checked) i.setAttribute('webkitdirectory', ''); else i.removeAttribute('webkitdirectory'); });
  const result = h('div', { id: 'calibration-result' });
  root.append(h('div', { class: 'grid' }, h('div', { class: 'panel' }, h('h2', {}, 'Match threshold'), cur, h('p', { class: 'muted' }, 'Apply writes the threshold and margin into the config file the device was started with (the old file is kept as .bak), then the next match uses them; audited. Kept across restarts.'), form),
    h('div', { class: 'panel' }, h('h2', {}, 'Run on a labelled set'), runForm, result),
    h('div', { class: 'panel' }, h('h2', {}, 'Calibration report'), report)));
  const personOf = (f) => {
    const parts = (f.webkitRelativePath || '').split('/');
    return parts.length >= 2 ? parts[parts.length - 2] : f.name.replace(/\.[^.]+$/, '').replace(/_\d+$/, '');
  };
  runForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = new FormData();
    for (const f of runForm.images.files) data.append(`image:${personOf(f)}`, f, f.name);
    result.replaceChildren(h('p', { class: 'muted' }, `Embedding ${runForm.images.files.length} photos…`));
    try {
      const r = await api(`/calibration/run?targetFar=${encodeURIComponent(runForm.targetFar.value)}`, { method: 'POST', form: data });
      result.replaceChildren(h('dl', { class: 'kv' }, h('dt', {}, 'photos / people'), h('dd', {}, `${r.images} / ${r.people}`), h('dt', {}, `threshold at FAR ${r.targetFar}`), h('dd', { id: 'suggested' }, fmtNum(r.threshold)),
        h('dt', {}, 'FAR / FRR there'), h('dd', {}, `${fmtNum(r.farAtThreshold, 4)} / ${fmtNum(r.frrAtThreshold, 4)}`)),
        r.threshold === null ? '' : h('button', { class: 'primary', onclick: () => { form.threshold.value = r.threshold; form.requestSubmit(); } }, `Apply ${fmtNum(r.threshold)}`));
      report.replaceChildren(h('iframe', { class: 'report', src: `${API}/calibration/report?run=${Date.now()}`, title: 'calibration report' }));
    } catch (err) { result.replaceChildren(h('p', { class: 'error' }, err.message)); }
  });
  const load = async () => {
    const s = await api('/status');
    cur.replaceChildren(h('dt', {}, 'threshold'), h('dd', { id: 'threshold' }, fmtNum(s.match.threshold)), h('dt', {}, 'margin'), h('dd', {}, fmtNum(s.match.margin)), h('dt', {}, 'model'), h('dd', {}, s.models.modelId));
    thresholdForm.fill({ threshold: s.match.threshold, margin: s.match.margin });
    const c = await api('/calibration');
    if (!report.firstChild) report.append(c.report ? h('iframe', { class: 'report', src: `${API}/calibration/report`, title: 'calibration report' })
      : h('p', { class: 'muted' }, 'No report configured. Run `facegate calibrate --report <dir>` and set console.calibrationReport to that folder.'));
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const r = await api('/calibration/threshold', { method: 'POST', json: { threshold: Number(form.threshold.value), margin: Number(form.margin.value) } });
      thresholdForm.saved();
      toast(`threshold ${r.before.threshold} → ${r.after.threshold}${r.persisted ? ' · saved to the config file' : ' · until restart (no config file)'}`);
    } catch (err) { toast(err.message); }
    load();
  });
  load();
}

function renderDevice(root) {
  const info = h('dl', { class: 'kv' });
  const sync = h('dl', { class: 'kv' });
  const stages = h('tbody');
  const logs = h('div', { class: 'log' });
  const tokens = h('tbody');
  const tokenForm = h('form', { class: 'inline' }, h('label', {}, 'Name', h('input', { name: 'name', required: true })),
    h('label', {}, 'Scope', h('select', { name: 'scope' }, ...['read', 'enrol', 'admin'].map((s) => h('option', {}, s)))), h('button', { class: 'primary' }, 'Create token'));
  root.append(h('div', { class: 'grid' },
    h('div', { class: 'grid cols-2' }, h('div', { class: 'panel' }, h('h2', {}, 'Device'), info), h('div', { class: 'panel' }, h('h2', {}, 'Sync'), sync)),
    h('div', { class: 'panel' }, h('h2', {}, 'Stage latency'), h('table', {}, h('thead', {}, h('tr', {}, ...['Stage', 'Count', 'p50 ≤ ms', 'p99 ≤ ms'].map((c) => h('th', {}, c)))), stages)),
    h('div', { class: 'panel' }, h('h2', {}, 'API tokens'), tokenForm, h('table', {}, h('thead', {}, h('tr', {}, ...['Name', 'Scope', 'Created', 'Status', ''].map((c) => h('th', {}, c)))), tokens)),
    h('div', { class: 'panel' }, h('h2', {}, 'Recent log'), logs)));
  const kv = (dl, pairs) => dl.replaceChildren(...pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  every(3000, async () => {
    const d = await api('/device');
    const s = d.status;
    kv(info, [['site / device', `${s.site} / ${s.device}`], ['camera', s.camera], ['model', s.models.modelId], ['detector', s.models.detector], ['providers', s.models.providers.join(', ')],
      ['precision', s.models.precision], ['liveness', s.models.liveness || 'off'], ['fps', fmtNum(d.metrics.fps, 1)], ['memory', `${d.memoryMb} MB`], ['uptime', `${s.uptimeSec} s`]]);
    kv(sync, [['broker', s.sync.broker], ['queued decisions', s.sync.queued], ['gallery version', s.gallery.version], ['identities', s.gallery.identities], ['encrypted', s.gallery.encrypted ? 'yes' : 'no'], ['signed enrolment sync', s.sync.enrollmentSync ? 'on' : 'off']]);
    stages.replaceChildren(...Object.entries(d.metrics.stages).map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, v.count), h('td', {}, v.p50 ?? '—'), h('td', {}, v.p99 ?? '—'))));
    logs.textContent = d.logs.map((l) => `${l.at.slice(11, 19)} ${l.level.padEnd(5)} ${l.msg}${l.fields ? ' ' + JSON.stringify(l.fields) : ''}`).join('\n');
  });
  const loadTokens = async () => {
    const r = await api('/tokens');
    tokens.replaceChildren(...(r.tokens.length ? r.tokens.map((t) => h('tr', {}, h('td', {}, t.name), h('td', {}, t.scope), h('td', {}, fmtTime(t.created)), h('td', {}, t.revoked ? 'revoked' : 'active'),
      h('td', {}, t.revoked ? '' : h('button', { class: 'danger', onclick: async () => { await api(`/tokens/${t.id}`, { method: 'DELETE' }); loadTokens(); } }, 'Revoke'))))
      : [h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No API tokens'))]));
  };
  tokenForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(tokenForm);
    const r = await api('/tokens', { method: 'POST', json: { name: f.get('name'), scope: f.get('scope') } });
    prompt('Copy the token now; it is not shown again:', r.token);
    tokenForm.reset();
    loadTokens();
  });
  loadTokens();
}

boot();
