// metricdb console: plain JavaScript over the HTTP/JSON API (/v1/...), no
// build step and no library. The page's state is its URL hash:
//   #token=T            use bearer token T (kept in sessionStorage, then dropped from the URL)
//   #c=NAME             show collection NAME
//   &search=key:K       search by the stored record K on load (or vector:0.1,0.2,...)
//   &identify=key:K     identify it on load
//   &cluster=N          run k-means with N clusters on load
'use strict';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';

function hashParams() {
  return new URLSearchParams(location.hash.slice(1));
}

function token() {
  return sessionStorage.getItem('metricdb-token') || '';
}

// Calls the API; resolves to the answer (an array of messages for JSON
// lines), rejects with the server's message.
async function api(method, path, body) {
  const headers = {'Content-Type': 'application/json'};
  if (token()) headers.Authorization = 'Bearer ' + token();
  const res = await fetch(path, {method, headers, body: body && JSON.stringify(body)});
  const text = await res.text();
  const lines = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const failed = lines.find((l) => l.error);
  if (!res.ok || failed) {
    const e = (failed || lines[0] || {}).error || {};
    throw new Error(`${e.code || res.status}: ${e.message || res.statusText}`);
  }
  return (res.headers.get('Content-Type') || '').includes('ndjson') ? lines : lines[0];
}

function showError(e) {
  $('error').textContent = String(e.message || e);
  $('error').hidden = false;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(tbody, cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = c instanceof Node ? document.createElement('td') : el('td', c);
    if (c instanceof Node) td.appendChild(c);
    if (typeof c === 'number') td.className = 'num';
    tr.appendChild(td);
  }
  tbody.appendChild(tr);
  return tr;
}

function svg(parent, tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  parent.appendChild(e);
  return e;
}

const fmt = (x, d = 3) => (x === undefined || x === null ? '' : Number(x).toFixed(d));
const bytes = (n) => `${(Number(n) / 1048576).toFixed(1)} MiB`;

async function showCollections() {
  const body = $('collections').tBodies[0];
  body.replaceChildren();
  const answer = await api('GET', '/v1/collections');
  for (const c of answer.collections || []) {
    const s = c.schema, st = c.stats;
    const link = el('a', s.name);
    link.href = `#c=${encodeURIComponent(s.name)}`;
    const index = Object.keys(s.index || {})[0] || 'flat';
    const state = st.index_building ? 'building' : st.index_trained ? 'ready' : 'training';
    const metric = s.metric_version > 0 ? `mahalanobis v${s.metric_version}` : s.metric;
    row(body, [link, s.dim, metric, index, Number(st.record_count), Number(st.label_count),
               bytes(st.index_memory_bytes), state]).dataset.name = s.name;
  }
}

function qualityCell(before, after, key, lowerIsBetter) {
  const b = before ? before[key] : undefined, a = after ? after[key] : undefined;
  const span = el('span', `${fmt(b)} → ${fmt(a)}`);
  if (b !== undefined && a !== undefined && a !== b) {
    span.className = (a > b) !== Boolean(lowerIsBetter) ? 'better' : 'worse';
  }
  return span;
}

// Before/after bars of P@1, R-Precision and MAP@R for each version.
function drawMetricChart(versions) {
  const chart = $('metric-chart');
  chart.replaceChildren();
  const keys = [['precision_at_1', 'P@1'], ['r_precision', 'R-Prec'], ['map_at_r', 'MAP@R']];
  const groups = versions.flatMap((v) => keys.map(([k, name]) => ({v, k, name})));
  const w = Math.min(60, 600 / Math.max(1, groups.length));
  groups.forEach((g, i) => {
    const x = 20 + i * w;
    [['before', '#9aa5b1'], ['after', '#2f6fde']].forEach(([side, color], j) => {
      const value = Number((g.v[side] || {})[g.k] || 0);
      svg(chart, 'rect', {x: x + j * (w / 2 - 2), y: 160 - 140 * value, width: w / 2 - 4,
                          height: 140 * value, fill: color, class: `bar ${side}`});
    });
    svg(chart, 'text', {x, y: 175}, `v${g.v.version} ${g.name}`);
  });
  svg(chart, 'text', {x: 440, y: 14}, 'grey: before, blue: after (hold-out)');
}

// The ROC curve (FAR on a log axis) with a marker at each calibrated target FAR.
function drawRoc(cal) {
  const roc = $('roc');
  roc.replaceChildren();
  const left = 50, top = 10, width = 570, height = 310;
  const minLog = -6;
  const x = (far) => left + width * (Math.max(minLog, Math.log10(Math.max(far, 1e-12))) - minLog) / -minLog;
  const y = (tar) => top + height * (1 - tar);
  svg(roc, 'rect', {x: left, y: top, width, height, fill: 'none', stroke: '#d8dde3'});
  for (let p = minLog; p <= 0; ++p) svg(roc, 'text', {x: x(10 ** p) - 10, y: top + height + 16}, `1e${p}`);
  for (const t of [0, 0.5, 1]) svg(roc, 'text', {x: 10, y: y(t) + 4}, fmt(t, 1));
  svg(roc, 'text', {x: left + width / 2 - 20, y: top + height + 32}, 'FAR');
  const points = (cal.curve || []).map((p) => `${x(Number(p.far || 0))},${y(Number(p.tar || 0))}`);
  svg(roc, 'polyline', {points: points.join(' '), fill: 'none', stroke: '#2f6fde', 'stroke-width': 2,
                        class: 'curve'});
  for (const p of cal.points || []) {
    const cx = x(Number(p.far || p.target_far)), cy = y(Number(p.tar || 0));
    svg(roc, 'circle', {cx, cy, r: 5, fill: '#e8590c', class: 'threshold'});
    const right = cx > left + width - 220;  // labels stay inside the plot
    svg(roc, 'text', {x: right ? cx - 8 : cx + 8, y: cy + 14, class: 'threshold-label',
                      'text-anchor': right ? 'end' : 'start'},
        `FAR ${p.target_far}: threshold ${fmt(p.threshold)}, TAR ${fmt(p.tar)}`);
  }
}

async function showCollection(name) {
  const info = (await api('GET', `/v1/collections/${encodeURIComponent(name)}`)).collection;
  $('collection-name').textContent = info.schema.name;
  const st = info.stats;
  $('collection-summary').textContent =
      `${Number(st.record_count)} records, ${Number(st.label_count)} identities, dim ` +
      `${info.schema.dim}, ${info.schema.metric} (in force: ${info.schema.active_metric}` +
      `${info.schema.metric_version > 0 ? ' v' + info.schema.metric_version : ''}), index ` +
      `${Object.keys(info.schema.index || {})[0] || 'flat'} ${bytes(st.index_memory_bytes)}`;
  const metrics = await api('GET', `/v1/collections/${encodeURIComponent(name)}/metrics`);
  const body = $('metrics').tBodies[0];
  body.replaceChildren();
  for (const v of metrics.versions || []) {
    row(body, [v.version, v.method, v.active ? 'yes' : '', v.before_metric,
               qualityCell(v.before, v.after, 'precision_at_1'),
               qualityCell(v.before, v.after, 'r_precision'),
               qualityCell(v.before, v.after, 'map_at_r'),
               qualityCell(v.before, v.after, 'eer', true)]);
  }
  drawMetricChart(metrics.versions || []);
  try {
    const cal = await api('GET', `/v1/collections/${encodeURIComponent(name)}/calibration`);
    $('calibration-summary').textContent =
        `AUC ${fmt(cal.roc_auc)}, EER ${fmt(cal.eer)} at ${fmt(cal.eer_threshold)}, ` +
        `${cal.genuine_pairs} genuine and ${cal.impostor_pairs} impostor pairs` +
        `${cal.stale ? ' (stale: made under another metric version)' : ''}`;
    drawRoc(cal);
  } catch (e) {
    $('calibration-summary').textContent = `not calibrated (${e.message})`;
    $('roc').replaceChildren();
  }
}

// The query vector: pasted values, or those of a stored record ("key:K").
async function queryVector(collection, text) {
  text = text.trim();
  if (text.startsWith('key:') || !/^[-+0-9.eE,\s]+$/.test(text)) {
    const key = text.startsWith('key:') ? text.slice(4) : text;
    const got = await api('POST', `/v1/collections/${encodeURIComponent(collection)}:get`,
                          {keys: [key], include_vectors: true});
    if (!got.records.length) throw new Error(`NOT_FOUND: no record with key "${key}"`);
    return got.records[0].vector;
  }
  return text.replace(/^vector:/, '').split(',').map(Number);
}

async function search(collection, text, k) {
  const values = await queryVector(collection, text);
  const answer = await api('POST', `/v1/collections/${encodeURIComponent(collection)}:search`,
                           {queries: [{values}], k});
  const body = $('neighbours').tBodies[0];
  body.replaceChildren();
  (answer.results[0].hits || []).forEach((h, i) =>
      row(body, [i + 1, h.key, h.label || '', fmt(h.distance, 4)]));
  $('neighbours').hidden = false;
}

async function identify(collection, text) {
  const values = await queryVector(collection, text);
  const answer = await api('POST', `/v1/collections/${encodeURIComponent(collection)}:identify`,
                           {queries: [{values}], top_identities: 5});
  const body = $('identities').tBodies[0];
  body.replaceChildren();
  const r = answer.results[0];
  if (r.unknown) row(body, ['', 'unknown (beyond the threshold)', '', '']);
  (r.identities || []).forEach((m, i) =>
      row(body, [i + 1, m.label, fmt(m.distance, 4), (m.keys || []).length]));
  $('identities').hidden = false;
}

async function cluster(collection, k) {
  const events = await api('POST', `/v1/collections/${encodeURIComponent(collection)}:cluster`,
                           {method: 'KMEANS', k, seed: 1});
  const result = events.find((e) => e.result).result;
  const sizes = new Array(result.clusters).fill(0);
  for (const a of result.assignments || []) sizes[a.cluster || 0]++;
  const q = result.quality || {};
  $('cluster-summary').textContent =
      `${result.clusters} clusters of ${(result.assignments || []).length} records, inertia ` +
      `${fmt(result.inertia, 1)}` + (q.records ? `; against the labels: NMI ${fmt(q.nmi)}, ` +
      `AMI ${fmt(q.ami)}, pairwise F ${fmt(q.pairwise_f)}, BCubed F ${fmt(q.bcubed_f)}` : '');
  const chart = $('cluster-sizes');
  chart.replaceChildren();
  const most = Math.max(1, ...sizes), w = Math.min(40, 600 / sizes.length);
  sizes.forEach((n, i) => {
    svg(chart, 'rect', {x: 20 + i * w, y: 140 - 120 * n / most, width: w - 3,
                        height: 120 * n / most, fill: '#2f6fde', class: 'cluster-bar'});
    svg(chart, 'text', {x: 20 + i * w, y: 154}, String(n));
  });
}

async function route() {
  $('error').hidden = true;
  const p = hashParams();
  if (p.has('token')) {
    sessionStorage.setItem('metricdb-token', p.get('token'));
    p.delete('token');
    history.replaceState(null, '', '#' + p.toString());
  }
  const name = p.get('c');
  $('home').hidden = Boolean(name);
  $('collection').hidden = !name;
  try {
    if (!name) return await showCollections();
    await showCollection(name);
    if (p.has('search')) {
      $('query').value = p.get('search');
      await search(name, p.get('search'), Number($('k').value));
    }
    if (p.has('identify')) await identify(name, p.get('identify'));
    if (p.has('cluster')) await cluster(name, Number(p.get('cluster')));
  } catch (e) {
    showError(e);
  }
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem('metricdb-token', $('token').value);
  route();
});
$('search').addEventListener('submit', (e) => {
  e.preventDefault();
  search(hashParams().get('c'), $('query').value, Number($('k').value)).catch(showError);
});
$('identify').addEventListener('click', () =>
  identify(hashParams().get('c'), $('query').value).catch(showError));
$('cluster').addEventListener('submit', (e) => {
  e.preventDefault();
  cluster(hashParams().get('c'), Number($('cluster-k').value)).catch(showError);
});
window.addEventListener('hashchange', route);
route().finally(() => document.body.setAttribute('data-ready', 'true'));
