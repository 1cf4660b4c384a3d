// The Chameleon console: a single page over the server's /api/v1 (docs/console.md).
// Every text from the server goes into the page as text (textContent), never as HTML.
'use strict';

const TOKEN_KEY = 'chameleon.token';
const state = { who: null, stream: null, charts: [] };

// ---- DOM helpers ----
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}
const $ = (id) => document.getElementById(id);
/** Replaces an element's children, leaving out absent ones (null, undefined, false). */
function fill(el, ...kids) {
  el.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined && k !== false));
}
const fmtTime = (t) => (t ? new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—');
const ago = (t) => {
  if (!t) return 'never';
  const s = Math.round((Date.now() - new Date(t).getTime()) / 1000);
  return s < 90 ? s + ' s ago' : s < 5400 ? Math.round(s / 60) + ' min ago' : Math.round(s / 3600) + ' h ago';
};
const platformText = (p) => [p.hypervisor || '?', p.cloud || '?', p.container || '?'].join(' × ');
const enc = encodeURIComponent;

// ---- API ----
class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || ('HTTP ' + status));
    this.status = status;
    this.body = body || {};
  }
}

function token() { return sessionStorage.getItem(TOKEN_KEY); }

/** One API call with the Bearer token; a 401 signs out (expired or revoked token) and goes back to sign-in. */
async function api(method, path, body, type) {
  const headers = { Authorization: 'Bearer ' + token() };
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = type || 'application/json';
    payload = headers['Content-Type'] === 'application/json' ? JSON.stringify(body) : body;
  }
  const r = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  if (r.status === 401) {
    signOut(refusedText(json));
    throw new ApiError(401, json);
  }
  if (!r.ok) throw new ApiError(r.status, json);
  return json;
}

/** What the sign-in page says after a 401: an expired token (code token-expired) is told apart from a revoked or unknown one. */
function refusedText(json) {
  const why = (json && json.message) || 'unauthenticated';
  if (json && json.code === 'token-expired') return 'This token expired (' + why + '). Sign in with a new token.';
  return 'The server no longer accepts this token (' + why + '): sign in again.';
}

function errorBox(e) {
  const box = h('div', { class: 'error', role: 'alert' }, e.message);
  if (e.body && e.body.errors && e.body.errors.length) box.append(h('ul', { class: 'errors' }, e.body.errors.map((x) => h('li', {}, h('pre', {}, x)))));
  return box;
}

// ---- sign-in ----
function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.who = null;
  stopStream();
  location.hash = '#/signin';
  showSignin(message || '');
}

function showSignin(message) {
  $('top').hidden = true;
  $('view').hidden = true;
  fill($('view'));
  $('signin').hidden = false;
  if (message !== undefined) $('signin-error').textContent = message;
  $('token').focus();
}

async function signIn(ev) {
  ev.preventDefault();
  const t = $('token').value.trim();
  if (!t) return;
  sessionStorage.setItem(TOKEN_KEY, t);
  try {
    const who = await api('GET', '/api/v1/whoami');
    if (who.role === 'agent') {
      sessionStorage.removeItem(TOKEN_KEY);
      showSignin('That is an agent credential; sign in with an operator\'s API token (cht_...).');
      return;
    }
    $('token').value = '';
    location.hash = '#/fleet';
    route();
  } catch (e) {
    if (e.status !== 401) showSignin(e.message);
  }
}

async function ensureWho() {
  if (state.who) return state.who;
  state.who = await api('GET', '/api/v1/whoami');
  document.body.classList.toggle('role-viewer', state.who.role === 'viewer');
  $('who').textContent = state.who.name + ' (' + state.who.role + ')';
  return state.who;
}
const canWrite = () => state.who && state.who.role !== 'viewer';

// ---- routing ----
async function route() {
  const hash = location.hash || '#/fleet';
  if (!token()) { showSignin(); return; }
  if (hash === '#/signin') { location.hash = '#/fleet'; return; }
  stopStream();
  state.charts.forEach((c) => c.dispose());
  state.charts = [];
  $('signin').hidden = true;
  const view = $('view');
  view.hidden = false;
  fill(view, h('p', { class: 'muted' }, 'Loading…'));
  try {
    await ensureWho();
  } catch (e) {
    if (e.status !== 401) fill(view, errorBox(e));
    return;
  }
  $('top').hidden = false;
  const parts = hash.slice(2).split('/').map(decodeURIComponent);
  for (const a of document.querySelectorAll('header nav a')) {
    a.toggleAttribute('aria-current', a.id === 'nav-' + parts[0]);
    if (a.id === 'nav-' + parts[0]) a.setAttribute('aria-current', 'page');
  }
  try {
    if (parts[0] === 'agents' && parts[1]) await agentPage(view, parts[1]);
    else if (parts[0] === 'policies') await policiesPage(view, parts[1]);
    else if (parts[0] === 'events') await eventsPage(view);
    else await fleetPage(view);
  } catch (e) {
    if (e.status !== 401) fill(view, errorBox(e));
  }
}

// ---- fleet overview ----
async function fleetPage(view) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const summary = await api('GET', '/api/v1/fleet/summary');
  const stat = (id, label, n, cls) => h('div', { class: 'stat', id }, h('b', { class: cls || '' }, n), label);
  const chartBox = h('div', { class: 'chart', id: 'platform-chart', role: 'img',
    'aria-label': 'Agents by platform: ' + summary.platforms.map((p) => platformText(p) + ' ' + p.agents).join('; ') });
  const groups = h('table', { id: 'platform-table' },
    h('caption', { class: 'muted' }, 'Agents per platform (hypervisor × cloud × container), counted by the database'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'platform'), h('th', { scope: 'col' }, 'agents'),
      h('th', { scope: 'col' }, 'seen in 5 min'), h('th', { scope: 'col' }, 'with pending changes'), h('th', { scope: 'col' }, 'pending changes'),
      h('th', { scope: 'col' }, 'with drift'), h('th', { scope: 'col' }, 'with failing sensors'))),
    h('tbody', {}, summary.platforms.map((p) => h('tr', {},
      h('td', {}, h('a', { href: '#/fleet?where=' + enc(platformSelector(p)) }, platformText(p))),
      h('td', {}, p.agents), h('td', {}, p.seenLast5Minutes), h('td', { class: p.withPendingChanges ? 'warn' : '' }, p.withPendingChanges),
      h('td', {}, p.pendingChanges), h('td', { class: p.withDrift ? 'bad' : '' }, p.withDrift),
      h('td', { class: p.withFailingSensors ? 'bad' : '' }, p.withFailingSensors)))));
  const where = h('input', { id: 'where', class: 'wide', type: 'text', spellcheck: 'false', value: params.get('where') || '',
    placeholder: 'platform.hypervisor == "vmware" && labels.ring == "canary"' });
  const labels = h('input', { id: 'labels', type: 'text', spellcheck: 'false', value: params.get('labels') || '', placeholder: 'ring=canary,team=web' });
  const listBox = h('div', { id: 'agents-box' });
  const filter = h('form', { id: 'filter', onsubmit: (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    if (where.value.trim()) q.set('where', where.value.trim());
    if (labels.value.trim()) q.set('labels', labels.value.trim());
    location.hash = '#/fleet' + (q.toString() ? '?' + q : '');
  } },
  h('div', { class: 'row' }, h('label', { for: 'where' }, 'Filter (CEL over facts and labels)'), where),
  h('div', { class: 'row' }, h('label', { for: 'labels' }, 'Labels'), labels, h('button', { type: 'submit', id: 'apply-filter' }, 'Apply')));
  fill(view, 
    h('h1', {}, 'Fleet'),
    h('div', { class: 'cards' },
      stat('count-agents', 'agents', summary.agents),
      stat('count-fresh', 'seen in the last 5 min', summary.seenLast5Minutes),
      stat('count-hour', 'seen in the last hour', summary.seenLastHour),
      stat('count-stale', 'not seen for an hour', summary.agents - summary.seenLastHour, summary.agents - summary.seenLastHour ? 'bad' : ''),
      stat('count-pending', 'with pending changes', summary.withPendingChanges, summary.withPendingChanges ? 'warn' : ''),
      stat('count-drift', 'with drift', summary.withDrift, summary.withDrift ? 'bad' : ''),
      stat('count-gate', 'health gate failed (24 h)', summary.withHealthGateFailures, summary.withHealthGateFailures ? 'bad' : ''),
      stat('count-errors', 'with errors (24 h)', summary.withErrors, summary.withErrors ? 'bad' : ''),
      stat('count-sensors', 'with failing sensors', summary.withFailingSensors, summary.withFailingSensors ? 'bad' : ''),
      stat('count-modes', 'modes', Object.entries(summary.modes).map(([m, n]) => m + ' ' + n).join(', ') || '—')),
    h('div', { class: 'grid2' }, h('div', { class: 'card' }, h('h2', {}, 'Agents by platform'), chartBox), h('div', { class: 'card' }, groups)),
    h('div', { class: 'card' }, filter, listBox));
  drawPlatformChart(chartBox, summary.platforms);
  await agentList(listBox, combine(where.value.trim(), labels.value.trim()), null);
}

function platformSelector(p) {
  const part = (k) => (p[k] === null || p[k] === undefined ? null : 'platform.' + k + ' == ' + JSON.stringify(p[k]));
  return ['hypervisor', 'cloud', 'container'].map(part).filter(Boolean).join(' && ');
}

/** The labels field (key=value,...) as CEL over labels, and-ed with the CEL filter: the API takes one selector. */
function combine(where, labels) {
  const terms = [];
  if (where) terms.push('(' + where + ')');
  for (const kv of labels.split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = kv.indexOf('=');
    if (i < 1) throw new ApiError(400, { message: 'labels: "' + kv + '" is not key=value' });
    terms.push('labels[' + JSON.stringify(kv.slice(0, i).trim()) + '] == ' + JSON.stringify(kv.slice(i + 1).trim()));
  }
  return terms.join(' && ');
}

function drawPlatformChart(box, platforms) {
  if (!window.echarts) { fill(box, h('p', { class: 'error' }, 'the chart library did not load')); return; }
  const chart = echarts.init(box, null, { renderer: 'svg' });
  state.charts.push(chart);
  chart.setOption({
    animation: false,
    aria: { enabled: false }, // the container's own aria-label says what the bars show
    grid: { left: 170, right: 20, top: 10, bottom: 30 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: platforms.map(platformText), axisLabel: { width: 160, overflow: 'truncate' } },
    tooltip: {},
    series: [{ type: 'bar', name: 'agents', data: platforms.map((p) => p.agents), itemStyle: { color: '#0b5cad' },
      label: { show: true, position: 'right' } }],
  });
  chart.on('click', (e) => { location.hash = '#/fleet?where=' + enc(platformSelector(platforms[e.dataIndex])); });
}

async function agentList(box, where, after) {
  let page;
  try {
    page = await api('GET', '/api/v1/agents?limit=50' + (where ? '&where=' + enc(where) : '') + (after ? '&after=' + enc(after) : ''));
  } catch (e) {
    if (e.status === 401) return;
    fill(box, h('div', { id: 'filter-error' }, errorBox(e)));
    return;
  }
  const rows = page.items.map((a) => h('tr', {},
    h('td', {}, h('a', { href: '#/agents/' + enc(a.id) }, a.hostname)),
    h('td', {}, h('code', {}, a.id)),
    h('td', {}, platformText(a.platform)),
    h('td', {}, Object.entries(a.labels).map(([k, v]) => h('span', { class: 'tag' }, k + '=' + v))),
    h('td', {}, a.mode || '—'),
    h('td', { class: a.pendingChanges ? 'warn' : '' }, a.pendingChanges ?? '—'),
    h('td', { class: a.drift ? 'bad' : '' }, a.drift ?? '—'),
    h('td', { class: a.failingSensors ? 'bad' : '' }, a.failingSensors ?? '—'),
    h('td', {}, (a.runningBundle ?? '—') + ' / ' + a.bundleVersion),
    h('td', { title: fmtTime(a.lastSeen) }, ago(a.lastSeen))));
  fill(box, 
    h('p', { id: 'agents-total' }, page.total + ' agent' + (page.total === 1 ? '' : 's') + ' match' + (page.total === 1 ? 'es' : '')
      + (page.undecided ? '; ' + page.undecided + ' undecided (a fact the filter reads is absent there)' : '')),
    h('table', { id: 'agents' },
      h('thead', {}, h('tr', {}, ['host', 'id', 'platform', 'labels', 'mode', 'pending', 'drift', 'failing sensors', 'bundle running / given', 'last seen']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)),
    page.next ? h('div', { class: 'row' }, h('button', { type: 'button', class: 'secondary', id: 'agents-next',
      onclick: () => agentList(box, where, page.next) }, 'Next page')) : null);
}

// ---- one agent ----
async function agentPage(view, id) {
  const a = await api('GET', '/api/v1/agents/' + enc(id));
  const optional = (p) => p.catch((e) => { if (e.status === 404) return null; throw e; });
  const [facts, plan, changes, events, status, proposals] = await Promise.all([
    optional(api('GET', '/api/v1/agents/' + enc(id) + '/facts')),
    optional(api('GET', '/api/v1/agents/' + enc(id) + '/plan')),
    api('GET', '/api/v1/agents/' + enc(id) + '/changes?limit=50'),
    api('GET', '/api/v1/agents/' + enc(id) + '/events?limit=50'),
    api('GET', '/api/v1/agents/' + enc(id) + '/status-history?limit=200'),
    optional(api('GET', '/api/v1/tuning/proposals?agent=' + enc(id)))]); // 404 until the agent has sent facts
  const f = facts ? facts.document : null;
  const p = f && f.platform ? f.platform : null;
  const platformCard = h('div', { class: 'card', id: 'platform' }, h('h2', {}, 'Platform'),
    p ? [h('p', {}, h('b', { id: 'platform-answer' }, platformText(p)), ' — confidence ',
      h('b', { id: 'platform-confidence' }, p.confidence === undefined ? '—' : Math.round(p.confidence * 100) + ' %')),
    h('table', { id: 'evidence' }, h('caption', { class: 'muted' }, 'Evidence (every clue the platform sensor used)'),
      h('thead', {}, h('tr', {}, ['signal', 'value', 'source', 'supports'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, (p.evidence || []).map((e) => h('tr', {}, h('td', {}, e.signal), h('td', {}, e.value), h('td', {}, e.source),
        h('td', {}, e.supports)))))] : h('p', { class: 'muted' }, 'no facts reported yet'));
  const search = h('input', { id: 'fact-search', type: 'search', placeholder: 'memory.totalBytes, vmware, ...', spellcheck: 'false' });
  const tree = h('div', { class: 'tree', id: 'facts-tree' });
  if (f) tree.append(factsTree(f, ''));
  search.addEventListener('input', () => filterTree(tree, search.value.trim().toLowerCase()));
  const entries = plan && plan.document && plan.document.entries ? plan.document.entries.filter((e) => e.action !== 'not-applicable') : [];
  const planCard = h('div', { class: 'card' }, h('h2', {}, 'Current plan'),
    plan ? h('p', { class: 'muted' }, 'reported ' + fmtTime(plan.at)) : h('p', { class: 'muted' }, 'no plan reported yet'),
    entries.length ? h('table', { id: 'plan' },
      h('thead', {}, h('tr', {}, ['setting', 'action', 'from', 'to', 'why'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, entries.map((e) => h('tr', {}, h('td', {}, h('code', {}, e.key)), h('td', { class: e.action === 'change' ? 'warn' : '' }, e.action),
        h('td', {}, e.current), h('td', {}, e.desired), h('td', {}, 'policy ' + e.policy + ' (' + e.source + ')' + (e.note ? ': ' + e.note : '')))))) : null);
  const history = h('div', { class: 'card' }, h('h2', {}, 'Change history'),
    changes.length ? h('table', { id: 'changes' },
      h('thead', {}, h('tr', {}, ['when', 'change set', 'status', 'what'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, changes.map((c) => h('tr', {}, h('td', {}, fmtTime(c.agentTime)), h('td', {}, h('code', {}, c.payload.id || c.id)),
        h('td', { class: /roll/.test(c.payload.status || '') ? 'bad' : '' }, c.payload.status || ''),
        h('td', {}, (c.payload.entries || []).map((e) => h('div', {}, changeText(e))), c.payload.message ? h('div', { class: 'muted' }, c.payload.message) : null))))) : h('p', { class: 'muted' }, 'no change sets yet'));
  const ev = h('div', { class: 'card' }, h('h2', {}, 'Events (drift, health gates, errors)'),
    events.length ? h('ul', { class: 'feed', id: 'agent-events' }, events.map(eventItem)) : h('p', { class: 'muted' }, 'no events yet'));
  const cost = h('div', { class: 'card' }, h('h2', {}, 'The agent\'s own cost'), h('div', { class: 'chart', id: 'cost-chart', role: 'img',
    'aria-label': 'resident memory and CPU of the agent over time, from its status reports' }));
  fill(view, 
    h('p', {}, h('a', { href: '#/fleet' }, '← Fleet')),
    h('h1', { id: 'agent-title' }, a.hostname, ' ', h('code', { class: 'muted' }, a.id)),
    h('div', { class: 'cards' },
      h('div', { class: 'stat' }, h('b', {}, a.mode || '—'), 'mode'),
      h('div', { class: 'stat' }, h('b', { id: 'agent-pending' }, a.pendingChanges ?? '—'), 'pending changes'),
      h('div', { class: 'stat' }, h('b', {}, a.drift ?? '—'), 'drift'),
      h('div', { class: 'stat' }, h('b', { id: 'agent-failing-sensors', class: a.failingSensors ? 'bad' : '' }, a.failingSensors ?? '—'),
        'failing sensors'),
      h('div', { class: 'stat' }, h('b', {}, (a.runningBundle ?? '—') + ' / ' + a.bundleVersion), 'bundle running / given'),
      h('div', { class: 'stat' }, h('b', {}, ago(a.lastSeen)), 'last seen'),
      h('div', { class: 'stat' }, h('b', {}, Object.entries(a.labels).map(([k, v]) => k + '=' + v).join(', ') || '—'), 'labels')),
    h('div', { class: 'grid2' }, platformCard, cost),
    sensorCard(f), planCard, history, ev,
    h('div', { class: 'card' }, h('h2', {}, 'Facts'), h('div', { class: 'row' }, h('label', { for: 'fact-search' }, 'Search facts'), search), tree),
    proposalsCard(proposals || []));
  drawCost(cost.querySelector('.chart'), status.slice().reverse());
}

/**
 * The learned-tuning proposals for this agent's platform (GET /api/v1/tuning/proposals?agent=ID, newest first): objective,
 * baseline, best trial, gain with its 95 % interval, the proposed policy; an operator or admin pushes one as a policy set
 * (PUT /api/v1/policies/NAME, the editor's upload), a viewer sees no push.
 */
function proposalsCard(list) {
  const num = (x) => (typeof x === 'number' ? String(Math.round(x * 1000) / 1000) : '—');
  const pct = (x) => (typeof x === 'number' ? (x >= 0 ? '+' : '') + (Math.round(x * 10) / 10).toFixed(1) + ' %' : 'n/a');
  const series = (m) => (m ? num(m.mean) + (typeof m.sd === 'number' ? ' ± ' + num(m.sd) : '') + ' (n=' + ((m.measurements || []).length) + ')' : '—');
  return h('div', { class: 'card', id: 'proposals' }, h('h2', {}, 'Learned tuning proposals for this platform'),
    !list.length ? h('p', { class: 'muted' }, 'none for this platform yet') : list.map((p, i) => {
      const g = p.gain || {};
      const best = p.best || null;
      const settings = best && best.settings ? Object.entries(best.settings).map(([k, v]) => k + '=' + v).join(', ') : '';
      const result = h('div', { id: 'proposal-result-' + i, role: 'status' });
      let push = null;
      if (canWrite()) {
        const name = h('input', { id: 'proposal-name-' + i, type: 'text', value: 'tuned-' + (p.tuning || 'proposal'), spellcheck: 'false' });
        push = h('div', { class: 'row' }, h('label', { for: 'proposal-name-' + i }, 'Policy set name'), name,
          h('button', { type: 'button', id: 'proposal-push-' + i, onclick: async () => {
            const n = name.value.trim();
            if (!n) return;
            try {
              const v = await api('PUT', '/api/v1/policies/' + enc(n) + '?comment=' + enc('learned tuning ' + p.tuning + ' from agent ' + p.agentId),
                p.proposal, 'application/yaml');
              fill(result, h('p', { class: 'ok' }, (v.unchanged ? 'unchanged: version ' + v.version + ' has this text' : 'stored as version ' + v.version)
                + ' of ', h('a', { href: '#/policies/' + enc(n) }, n), '; roll it out from Policies'));
            } catch (e) { if (e.status !== 401) fill(result, errorBox(e)); }
          } }, 'Push as a policy set'));
      }
      return h('div', { class: 'proposal', 'data-tuning': p.tuning || '' },
        h('h3', {}, 'Tuning ', h('code', {}, p.tuning || '?'), ' from agent ', h('a', { href: '#/agents/' + enc(p.agentId) }, p.agentId),
          h('span', { class: 'muted' }, ' — ' + fmtTime(p.at))),
        h('table', { class: 'proposal-evidence', id: 'proposal-evidence-' + i },
          h('tbody', {},
            h('tr', {}, h('th', { scope: 'row' }, 'objective'), h('td', {}, p.objective || '—')),
            h('tr', {}, h('th', { scope: 'row' }, 'baseline'), h('td', {}, series(p.baseline))),
            h('tr', {}, h('th', { scope: 'row' }, 'best'), h('td', {}, best ? 'trial ' + best.trial + ': ' + series(best) + (settings ? ' — ' + settings : '') : '—')),
            h('tr', {}, h('th', { scope: 'row' }, 'gain'), h('td', { class: g.significant ? 'ok' : '' }, pct(g.percent)
              + ' (95 % interval ' + pct(g.ci95Low) + ' .. ' + pct(g.ci95High) + (g.from ? ', from the ' + g.from : '') + ')')),
            h('tr', {}, h('th', { scope: 'row' }, 'platform'), h('td', {}, h('code', {}, p.fingerprintKey || '—'))))),
        h('pre', { class: 'proposal-yaml', id: 'proposal-yaml-' + i }, p.proposal || ''),
        push, result);
    }));
}

/** The sensors of the last facts that failed, timed out or met problems (meta.sensors), each with what went wrong. */
function sensorCard(f) {
  const sensors = f && f.meta && f.meta.sensors ? Object.entries(f.meta.sensors) : [];
  const failing = sensors.filter(([, s]) => s && (s.status === 'failed' || s.status === 'timeout' || (s.problems || []).length));
  if (!failing.length) return null;
  return h('div', { class: 'card' }, h('h2', {}, 'Failing sensors'),
    h('table', { id: 'failing-sensors' },
      h('thead', {}, h('tr', {}, ['sensor', 'status', 'what went wrong'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, failing.map(([name, s]) => h('tr', {}, h('td', {}, h('code', {}, name)), h('td', { class: 'bad' }, s.status),
        h('td', {}, s.error ? h('div', {}, s.error) : null,
          (s.problems || []).map((pr) => h('div', {}, h('code', {}, pr.source), ': ', pr.error))))))));
}

/** One entry of a change set: the agent sends each as a line ("applied KEY: BEFORE -> AFTER (undo: ...)"). */
function changeText(e) {
  if (typeof e === 'string') return e;
  const key = e.key || [e.kind, e.target].filter(Boolean).join(':');
  const from = e.before ?? e.from ?? e.current ?? '';
  const to = e.after ?? e.to ?? e.desired ?? '';
  const state = e.state || e.status;
  return key + ': ' + from + ' → ' + to + (e.policy ? ' (policy ' + e.policy + ')' : '') + (e.reason ? ' — ' + e.reason : '')
    + (state ? ' [' + state + ']' : '') + (e.error ? ' error: ' + e.error : '');
}

function factsTree(node, path) {
  if (node !== null && typeof node === 'object') {
    const keys = Object.keys(node);
    const wrap = h('div', {});
    for (const k of keys) {
      const p = path ? path + (Array.isArray(node) ? '[' + k + ']' : '.' + k) : k;
      const v = node[k];
      if (v !== null && typeof v === 'object') {
        wrap.append(h('details', { 'data-path': p.toLowerCase(), open: path === '' ? null : null },
          h('summary', {}, k, h('span', { class: 'muted' }, Array.isArray(v) ? ' [' + v.length + ']' : '')), factsTree(v, p)));
      } else {
        wrap.append(h('div', { class: 'leaf', 'data-path': (p + ' = ' + v).toLowerCase() }, h('code', {}, k), ' = ', JSON.stringify(v)));
      }
    }
    return wrap;
  }
  return h('div', { class: 'leaf' }, JSON.stringify(node));
}

/** Shows the leaves whose path or value contains the text, with their parents opened; everything when empty. */
function filterTree(tree, text) {
  let hits = 0;
  for (const el of tree.querySelectorAll('[data-path]')) { el.classList.remove('hit'); el.hidden = false; }
  for (const d of tree.querySelectorAll('details')) d.open = false;
  if (!text) { tree.removeAttribute('data-hits'); return; }
  for (const leaf of tree.querySelectorAll('.leaf[data-path]')) {
    const hit = leaf.dataset.path.includes(text);
    leaf.hidden = !hit;
    if (hit) {
      hits++;
      leaf.classList.add('hit');
      for (let p = leaf.parentElement; p && p !== tree; p = p.parentElement) if (p.tagName === 'DETAILS') { p.open = true; p.hidden = false; }
    }
  }
  for (const d of tree.querySelectorAll('details')) if (!d.open) d.hidden = true;
  tree.setAttribute('data-hits', hits);
}

function drawCost(box, statuses) {
  const pts = statuses.filter((s) => s.payload && (s.payload.rssBytes !== undefined || s.payload.cpuPercent !== undefined));
  if (!pts.length) { fill(box, h('p', { class: 'muted' }, 'no status reports with rssBytes or cpuPercent yet')); box.style.height = 'auto'; return; }
  if (!window.echarts) return;
  const chart = echarts.init(box, null, { renderer: 'svg' });
  state.charts.push(chart);
  const t = (s) => s.agentTime || s.receivedAt;
  chart.setOption({
    animation: false, tooltip: { trigger: 'axis' }, legend: {},
    grid: { left: 60, right: 60, top: 40, bottom: 30 },
    xAxis: { type: 'time' },
    yAxis: [{ type: 'value', name: 'RSS MiB' }, { type: 'value', name: 'CPU %' }],
    series: [
      { name: 'RSS (MiB)', type: 'line', showSymbol: false, data: pts.map((s) => [t(s), s.payload.rssBytes === undefined ? null : +(s.payload.rssBytes / 1048576).toFixed(1)]) },
      { name: 'CPU (%)', type: 'line', yAxisIndex: 1, showSymbol: false, data: pts.map((s) => [t(s), s.payload.cpuPercent ?? null]) }],
  });
}

function eventItem(e) {
  return h('li', { 'data-seq': e.seq }, h('span', { class: 'muted' }, fmtTime(e.at)), ' ', h('span', { class: 'tag' }, e.kind), ' ',
    e.agentId ? h('a', { href: '#/agents/' + enc(e.agentId) }, e.agentId) : null, ' ', e.summary);
}

// ---- policies ----
async function policiesPage(view, name) {
  const list = await api('GET', '/api/v1/policies');
  const assignments = await api('GET', '/api/v1/assignments');
  const listCard = h('div', { class: 'card' }, h('h2', {}, 'Policy sets'),
    list.length ? h('table', { id: 'policy-list' }, h('thead', {}, h('tr', {}, ['name', 'version', 'policies', 'by', 'when', 'comment']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, list.map((v) => h('tr', {}, h('td', {}, h('a', { href: '#/policies/' + enc(v.name) }, v.name)), h('td', {}, v.version),
      h('td', {}, (v.summary.policies || []).join(', ')), h('td', {}, v.createdBy), h('td', {}, fmtTime(v.createdAt)), h('td', {}, v.comment || '')))))
      : h('p', { class: 'muted' }, 'no policy sets yet'),
    h('div', { class: 'row write' }, h('label', { for: 'new-name' }, 'New policy set'), h('input', { id: 'new-name', type: 'text', placeholder: 'web-tier' }),
      h('button', { type: 'button', id: 'new-open', onclick: () => { const n = $('new-name').value.trim(); if (n) location.hash = '#/policies/' + enc(n); } }, 'Open editor')));
  const parts = [h('h1', {}, 'Policies'), listCard];
  if (name) parts.push(await policyDetail(name));
  parts.push(rolloutsCard(assignments, list));
  fill(view, ...parts);
}

async function policyDetail(name) {
  let versions = [];
  try { versions = await api('GET', '/api/v1/policies/' + enc(name)); } catch (e) { if (e.status !== 404) throw e; }
  const newest = versions.length ? await api('GET', '/api/v1/policies/' + enc(name) + '/versions/' + versions[0].version) : null;
  const file = name + '.yaml';
  const text = h('textarea', { id: 'editor', 'aria-label': 'Policy YAML of ' + name, spellcheck: 'false', rows: 18,
    'aria-describedby': 'validation' });
  text.value = newest ? newest.yaml : 'apiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: ' + name + '}\nspec:\n  priority: 70\n  settings:\n    - sysctl: {key: net.core.somaxconn, value: 4096}\n';
  const gutter = h('pre', { class: 'gutter', 'aria-hidden': 'true', id: 'gutter' });
  const status = h('div', { id: 'validation', 'aria-live': 'polite' });
  const preview = h('div', { id: 'simulation' });
  const comment = h('input', { id: 'comment', type: 'text', placeholder: 'why (kept in the history)' });
  const upload = h('button', { type: 'button', id: 'upload', class: 'write' }, 'Upload as a new version');
  const result = h('div', { id: 'upload-result', 'aria-live': 'polite' });
  let bad = new Set();
  const paintGutter = () => {
    const n = text.value.split('\n').length;
    const lines = [];
    for (let i = 1; i <= n; i++) lines.push(h('span', { class: bad.has(i) ? 'bad' : '', 'data-line': i }, i));
    fill(gutter, ...lines);
    gutter.scrollTop = text.scrollTop;
  };
  text.addEventListener('scroll', () => { gutter.scrollTop = text.scrollTop; });
  let timer = null;
  let seq = 0;
  const validate = async () => {
    const mine = ++seq;
    try {
      const s = await api('POST', '/api/v1/policies/validate?name=' + enc(name), text.value, 'application/yaml');
      if (mine !== seq) return;
      bad = new Set();
      fill(status, h('p', { class: 'ok', id: 'valid' }, 'compiles: policies ' + (s.policies.join(', ') || 'none')
        + (s.profiles.length ? '; profiles ' + s.profiles.join(', ') : '') + (s.tests ? '; ' + s.tests + ' tests' : '')));
    } catch (e) {
      if (mine !== seq || e.status === 401) return;
      bad = new Set();
      const items = (e.body.errors || []).map((x) => {
        const m = /^(.*?):(\d+)(?::(\d+))?: /.exec(x);
        if (m && m[1] === file) bad.add(+m[2]);
        return h('li', { 'data-line': m ? m[2] : '' }, m ? h('a', { href: '#', onclick: (ev) => { ev.preventDefault(); goTo(text, +m[2], +(m[3] || 1)); } },
          'line ' + m[2] + (m[3] ? ', column ' + m[3] : '')) : null, ' ', h('pre', {}, x));
      });
      fill(status, h('p', { class: 'error', role: 'alert', id: 'invalid' }, e.message), h('ul', { class: 'errors' }, items));
    }
    paintGutter();
  };
  text.addEventListener('input', () => { paintGutter(); clearTimeout(timer); timer = setTimeout(validate, 300); });
  paintGutter();
  validate();
  const simulate = async () => {
    fill(preview, h('p', { class: 'muted' }, 'simulating…'));
    try {
      const r = await api('POST', '/api/v1/simulate?name=' + enc(name), text.value, 'application/yaml');
      fill(preview, simulationView(r));
    } catch (e) { if (e.status !== 401) fill(preview, errorBox(e)); }
  };
  upload.addEventListener('click', async () => {
    try {
      const v = await api('PUT', '/api/v1/policies/' + enc(name) + (comment.value.trim() ? '?comment=' + enc(comment.value.trim()) : ''), text.value, 'application/yaml');
      fill(result, h('p', { class: 'ok', id: 'uploaded' }, v.unchanged ? 'unchanged: version ' + v.version + ' has this text' : 'stored as version ' + v.version));
      setTimeout(() => { route(); }, 600);
    } catch (e) { if (e.status !== 401) fill(result, errorBox(e)); }
  });
  const diffBox = h('div', { id: 'diff' });
  const from = h('select', { id: 'diff-from', 'aria-label': 'older version' }, versions.map((v) => h('option', { value: v.version }, 'v' + v.version)));
  const to = h('select', { id: 'diff-to', 'aria-label': 'newer version' }, versions.map((v) => h('option', { value: v.version }, 'v' + v.version)));
  if (versions.length > 1) from.value = versions[1].version;
  const showDiff = async () => {
    try {
      const d = await api('GET', '/api/v1/policies/' + enc(name) + '/diff?from=' + from.value + '&to=' + to.value);
      fill(diffBox, h('p', {}, 'added: ' + (d.added.join(', ') || '—') + '; removed: ' + (d.removed.join(', ') || '—') + '; changed: ' + (d.changed.join(', ') || '—')),
        h('pre', { class: 'diff' }, d.unified.split('\n').map((l) => h('div', { class: l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '' }, l))));
    } catch (e) { if (e.status !== 401) fill(diffBox, errorBox(e)); }
  };
  return h('div', { class: 'card', id: 'policy-detail' }, h('h2', {}, 'Policy set ', h('code', {}, name)),
    versions.length ? h('div', {}, h('table', { id: 'versions' }, h('thead', {}, h('tr', {}, ['version', 'sha256', 'by', 'when', 'comment'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, versions.map((v) => h('tr', {}, h('td', {}, v.version), h('td', {}, h('code', {}, v.sha256.slice(0, 12))), h('td', {}, v.createdBy),
        h('td', {}, fmtTime(v.createdAt)), h('td', {}, v.comment || ''))))),
    versions.length > 1 ? h('div', { class: 'row' }, h('span', {}, 'Diff'), from, to, h('button', { type: 'button', class: 'secondary', id: 'show-diff', onclick: showDiff }, 'Show diff')) : null,
    diffBox) : h('p', { class: 'muted' }, 'new: no version stored yet'),
    h('h2', {}, canWrite() ? 'Editor (validated by the server as you type)' : 'Source (validated by the server as you type; viewers cannot upload)'),
    h('div', { class: 'editor' }, gutter, text), status,
    h('div', { class: 'row' }, h('button', { type: 'button', id: 'simulate', class: 'secondary', onclick: simulate }, 'Preview: simulate over the fleet'),
      h('span', { class: 'write row' }, h('label', { for: 'comment' }, 'Comment'), comment, upload)),
    result, preview);
}

function goTo(text, line, col) {
  const lines = text.value.split('\n');
  let pos = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) pos += lines[i].length + 1;
  pos += Math.max(0, col - 1);
  text.focus();
  text.setSelectionRange(pos, pos);
}

/** The simulation answer grouped by change: one row per (setting, from, to), with the agents it would reach. */
function simulationView(r) {
  const groups = new Map();
  for (const a of r.results) {
    for (const c of a.changes) {
      const k = c.key + '\u0000' + c.from + '\u0000' + c.to;
      if (!groups.has(k)) groups.set(k, { c, agents: [] });
      groups.get(k).agents.push(a);
    }
  }
  const sorted = [...groups.values()].sort((x, y) => y.agents.length - x.agents.length);
  return h('div', { class: 'card' }, h('h2', {}, 'Simulation preview'),
    h('p', { id: 'sim-headline' }, 'These ' + r.changing + ' agent' + (r.changing === 1 ? '' : 's') + ' would change (of ' + r.agents + '); '
      + r.unchanged + ' unchanged, ' + r.undecided + ' undecided, ' + r.noFacts + ' without facts; ' + r.changes + ' changes in all ('
      + r.elapsedMillis + ' ms).'),
    sorted.length ? h('table', { id: 'sim-groups' }, h('thead', {}, h('tr', {}, ['setting', 'from', 'to', 'policy', 'agents'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, sorted.map((g) => h('tr', {}, h('td', {}, h('code', {}, g.c.key)), h('td', {}, g.c.from ?? '(unknown)'), h('td', {}, g.c.to),
        h('td', {}, g.c.policy), h('td', {}, h('b', {}, g.agents.length), ' ', g.agents.slice(0, 20).map((a) => h('a', { href: '#/agents/' + enc(a.agentId), class: 'tag' }, a.hostname)),
        g.agents.length > 20 ? ' …' : ''))))) : h('p', {}, 'nothing would change'),
    r.results.some((a) => a.unknown.length || a.undecidable.length) ? h('details', {}, h('summary', {}, 'Not decidable from the reported facts'),
      h('ul', {}, r.results.filter((a) => a.unknown.length || a.undecidable.length).map((a) => h('li', {}, a.hostname + ': '
        + a.unknown.map((u) => u.key + ' unknown').concat(a.undecidable.map((p) => 'policy ' + p + ' undecidable')).join('; '))))) : null);
}

function rolloutsCard(assignments, policies) {
  const card = h('div', { class: 'card', id: 'rollouts' }, h('h2', {}, 'Assignments and rollouts'));
  const msg = h('div', { id: 'rollout-result', 'aria-live': 'polite' });
  const act = async (method, path, body) => {
    try {
      await api(method, path, body);
      fill(msg, h('p', { class: 'ok' }, 'done'));
      route();
    } catch (e) { if (e.status !== 401) fill(msg, errorBox(e)); }
  };
  card.append(assignments.length ? h('table', { id: 'assignments' }, h('thead', {}, h('tr', {}, ['assignment', 'policy set', 'selector', 'agents', 'stable version', 'rollout', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, assignments.map((a) => {
      const r = a.rollout;
      const controls = h('td', { class: 'write' });
      if (r && (r.state === 'running' || r.state === 'paused')) {
        const b = (label, action, cls) => h('button', { type: 'button', class: cls || 'secondary', id: action + '-' + a.name,
          onclick: () => act('POST', '/api/v1/rollouts/' + enc(r.id) + '/' + action) }, label);
        controls.append(b('Advance', 'advance'), ' ', r.state === 'running' ? b('Pause', 'pause') : b('Resume', 'resume'), ' ', b('Roll back', 'rollback', 'danger'));
      }
      const versions = h('input', { type: 'number', min: 1, id: 'version-' + a.name, 'aria-label': 'version to roll out for ' + a.name, style: 'width:5em' });
      const canary = h('input', { type: 'text', id: 'canary-' + a.name, 'aria-label': 'canary agent ids (comma separated)', placeholder: 'canary agent ids' });
      const steps = h('input', { type: 'text', id: 'steps-' + a.name, 'aria-label': 'percentage steps', placeholder: '10,50,100', value: '10,50,100' });
      controls.append(h('div', { class: 'row' }, versions, canary, steps, h('button', { type: 'button', id: 'start-' + a.name, onclick: () => act('POST',
        '/api/v1/assignments/' + enc(a.name) + '/rollouts', { version: +versions.value, canaryAgents: canary.value.split(',').map((s) => s.trim()).filter(Boolean),
          steps: steps.value.split(',').map((s) => +s.trim()).filter((n) => n > 0) }) }, 'Start rollout')));
      return h('tr', { 'data-assignment': a.name }, h('td', {}, a.name), h('td', {}, h('a', { href: '#/policies/' + enc(a.policy) }, a.policy)), h('td', {}, h('code', {}, a.selector)),
        h('td', {}, a.matchedAgents ?? '—'), h('td', {}, a.stableVersion ?? '—'),
        h('td', { class: 'rollout-state' }, r ? 'v' + r.toVersion + ' ' + r.state + ', step ' + r.stage + '/' + r.steps.length + ' (' + r.percent + ' %)'
          + (r.canaryAgents.length ? ', canaries ' + r.canaryAgents.join(', ') : '') + (r.includedAgents !== null && r.includedAgents !== undefined ? ', ' + r.includedAgents + ' agents' : '') : '—'),
        controls);
    }))) : h('p', { class: 'muted' }, 'no assignments yet'));
  const an = h('input', { type: 'text', id: 'assign-name', 'aria-label': 'assignment name', placeholder: 'web-servers' });
  const ap = h('select', { id: 'assign-policy', 'aria-label': 'policy set' }, policies.map((p) => h('option', { value: p.name }, p.name)));
  const as = h('input', { type: 'text', id: 'assign-selector', class: 'wide', 'aria-label': 'selector (CEL)', placeholder: 'labels.ring == "web"', value: 'true' });
  card.append(h('div', { class: 'row write' }, h('span', {}, 'New assignment'), an, ap, as,
    h('button', { type: 'button', id: 'assign-create', onclick: () => act('POST', '/api/v1/assignments', { name: an.value.trim(), policy: ap.value, selector: as.value.trim() }) }, 'Assign')), msg);
  return card;
}

// ---- events: live feed (server-sent events over fetch, so the Bearer header goes along) and audit ----
function stopStream() {
  if (state.stream) { state.stream.abort(); state.stream = null; }
}

async function eventsPage(view) {
  const feed = h('ul', { class: 'feed', id: 'feed', 'aria-live': 'polite', 'aria-label': 'live events' });
  const live = h('span', { id: 'feed-state', class: 'muted' }, 'connecting…');
  const audit = h('div', { id: 'audit-box' });
  fill(view, h('h1', {}, 'Events'), h('div', { class: 'grid2' },
    h('div', { class: 'card' }, h('h2', {}, 'Live feed '), live, feed),
    h('div', { class: 'card' }, h('h2', {}, 'Audit log (operators\' writes)'), audit)));
  stream(feed, live);
  await auditPage(audit, 0);
}

async function auditPage(box, after) {
  const entries = await api('GET', '/api/v1/audit?limit=100&after=' + after);
  fill(box, h('table', { id: 'audit' }, h('thead', {}, h('tr', {}, ['#', 'when', 'who', 'action', 'target', 'from'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, entries.map((e) => h('tr', {}, h('td', {}, e.seq), h('td', {}, fmtTime(e.at)), h('td', {}, e.actorName + ' (' + e.role + ')'),
      h('td', {}, h('code', {}, e.action)), h('td', {}, e.target || ''), h('td', {}, e.remoteAddr || ''))))),
  h('div', { class: 'row' }, after > 0 ? h('button', { type: 'button', class: 'secondary', onclick: () => auditPage(box, 0) }, 'First page') : null,
    entries.length === 100 ? h('button', { type: 'button', class: 'secondary', id: 'audit-next', onclick: () => auditPage(box, entries[entries.length - 1].seq) }, 'Next page') : null));
}

async function stream(feed, live) {
  const ctl = new AbortController();
  state.stream = ctl;
  let r;
  try {
    // the 50 newest events first, then new ones as they come (one stream: nothing falls between a list and the stream)
    r = await fetch('/api/v1/events/stream?backlog=50', { headers: { Authorization: 'Bearer ' + token(), Accept: 'text/event-stream' }, signal: ctl.signal, cache: 'no-store' });
  } catch (e) { live.textContent = 'disconnected'; return; }
  if (r.status === 401) {
    let json = null;
    try { json = await r.json(); } catch (e) { json = null; }
    signOut(refusedText(json));
    return;
  }
  if (!r.ok) { live.textContent = 'the feed failed: HTTP ' + r.status; return; }
  live.textContent = 'live';
  live.id = 'feed-state';
  live.setAttribute('data-live', 'true');
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
        if (!data) continue;
        try { feed.prepend(eventItem(JSON.parse(data))); } catch (e) { /* a keep-alive comment or a partial line */ }
      }
    }
  } catch (e) { /* aborted: the page changed */ }
  if (state.stream === ctl) live.textContent = 'disconnected';
}

// ---- start ----
document.addEventListener('DOMContentLoaded', () => {
  $('signin-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => signOut('Signed out.'));
  window.addEventListener('hashchange', route);
  route();
});
