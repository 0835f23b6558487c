// The local operations dashboard: fetches /api/layout once, then /api/dashboard on an interval,
// and draws each visual with Chart.js (served from node_modules; no network needed).
'use strict';

const COLORS = ['#2f6fde', '#e0793b', '#3aa676', '#c8453b', '#8a5cc2', '#9c7a3c', '#d1559b', '#6b7785', '#b5bd2f', '#2fb5c4'];
const charts = new Map();
let layout;
let timer;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

function formatValue(value, percent) {
  if (value === null || value === undefined) return '—';
  if (percent) return `${(Number(value) * 100).toFixed(1)} %`;
  return typeof value === 'number' ? value.toLocaleString('en') : String(value);
}

function buildSection(visual) {
  const section = el('section', { id: `visual-${visual.id}`, class: visual.chart.kind === 'figures' ? 'figures' : 'chart-visual', 'data-visual': visual.id });
  section.append(el('h2', {}, visual.title));
  if (visual.chart.kind === 'figures') {
    const list = el('dl');
    for (const figure of visual.chart.figures) {
      list.append(el('div', {}, el('dt', {}, figure.label), el('dd', { 'data-figure': figure.column }, '—')));
    }
    section.append(list);
  } else {
    section.append(el('div', { class: 'chart' }, el('canvas', { 'aria-label': visual.title, role: 'img' })));
    section.append(el('details', {}, el('summary', {}, 'data'), el('table', { 'data-table': visual.id })));
  }
  return section;
}

function renderTable(table, rows) {
  table.replaceChildren();
  if (rows.length === 0) {
    table.append(el('tr', {}, el('td', {}, 'no data in this window')));
    return;
  }
  const columns = Object.keys(rows[0]);
  table.append(el('tr', {}, ...columns.map((c) => el('th', {}, c))));
  for (const row of rows) {
    table.append(el('tr', {}, ...columns.map((c) => el('td', { class: typeof row[c] === 'number' ? 'num' : '', 'data-column': c }, formatValue(row[c], false)))));
  }
}

function chartConfig(spec, rows) {
  if (spec.kind === 'stacked-bar') {
    const labels = [...new Set(rows.map((r) => r[spec.x]))];
    const series = [...new Set(rows.map((r) => r[spec.series]))];
    const datasets = series.map((name, i) => ({
      label: name,
      backgroundColor: COLORS[i % COLORS.length],
      data: labels.map((x) => rows.filter((r) => r[spec.x] === x && r[spec.series] === name).reduce((sum, r) => sum + Number(r[spec.y]), 0)),
    }));
    return { type: 'bar', data: { labels, datasets }, options: { animation: false, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } };
  }
  if (spec.kind === 'doughnut') {
    return {
      type: 'doughnut',
      data: { labels: rows.map((r) => r[spec.label]), datasets: [{ data: rows.map((r) => r[spec.value]), backgroundColor: rows.map((_, i) => COLORS[i % COLORS.length]) }] },
      options: { animation: false, maintainAspectRatio: false, plugins: { legend: { position: 'right' } } },
    };
  }
  return {
    type: 'bar',
    data: { labels: rows.map((r) => r[spec.x]), datasets: spec.y.map((y, i) => ({ label: y, backgroundColor: COLORS[i % COLORS.length], data: rows.map((r) => r[y]) })) },
    options: { animation: false, maintainAspectRatio: false, indexAxis: spec.horizontal ? 'y' : 'x', scales: { x: { beginAtZero: true }, y: { beginAtZero: true } } },
  };
}

function render(data) {
  for (const visual of layout.visuals) {
    const rows = data.visuals[visual.id] ?? [];
    const section = document.getElementById(`visual-${visual.id}`);
    if (visual.chart.kind === 'figures') {
      const row = rows[0] ?? {};
      for (const figure of visual.chart.figures) {
        section.querySelector(`[data-figure="${figure.column}"]`).textContent = formatValue(row[figure.column] ?? (figure.percent ? null : 0), figure.percent);
      }
      continue;
    }
    renderTable(section.querySelector('table'), rows);
    const old = charts.get(visual.id);
    if (old) old.destroy();
    charts.set(visual.id, new window.Chart(section.querySelector('canvas'), chartConfig(visual.chart, rows)));
  }
  const customer = document.getElementById('customer');
  const chosen = customer.value;
  const known = new Set([...customer.options].map((o) => o.value));
  for (const id of data.customers) if (!known.has(id)) customer.append(el('option', { value: id }, id));
  customer.value = chosen;
  const status = document.getElementById('status');
  status.className = '';
  status.textContent = `${data.changeRecords.toLocaleString('en')} change records · updated ${new Date(data.generatedAt).toLocaleTimeString('en-GB')}`;
  document.body.dataset.generatedAt = data.generatedAt;
}

async function refresh() {
  clearTimeout(timer);
  const params = new URLSearchParams({ window: document.getElementById('window').value, customer: document.getElementById('customer').value });
  try {
    const response = await fetch(`/api/dashboard?${params}`);
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail ?? response.statusText);
    render(body);
  } catch (error) {
    const status = document.getElementById('status');
    status.className = 'error';
    status.textContent = `could not refresh: ${error.message}`;
  } finally {
    timer = setTimeout(refresh, layout.refreshSeconds * 1000);
  }
}

async function start() {
  layout = await (await fetch('/api/layout')).json();
  const main = document.getElementById('visuals');
  for (const visual of layout.visuals) main.append(buildSection(visual));
  document.getElementById('window').addEventListener('change', refresh);
  document.getElementById('customer').addEventListener('change', refresh);
  await refresh();
}

start();
