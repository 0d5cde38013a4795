// cloudcensus dashboard.html: renders the embedded JSON (#cc-data) with DOM text nodes only.
// Every string from a log (users, hosts, domains, policy text) goes through createTextNode or
// textContent, never through innerHTML or an attribute that loads or runs anything.
(function () {
  'use strict';
  var byId = function (id) { return document.getElementById(id); };
  var D = JSON.parse(byId('cc-data').textContent);
  var DASH = D.dashboard;
  var SVGNS = 'http://www.w3.org/2000/svg';
  var NAMES = {};
  (function () {
    var n = JSON.parse(byId('cc-names').textContent).countries;
    Object.keys(n).forEach(function (k) { NAMES[k] = Array.isArray(n[k]) ? n[k][0] : n[k]; });
  })();
  var NUM_TO_A2 = {};
  JSON.parse(byId('cc-codes').textContent).forEach(function (c) { NUM_TO_A2[c[2]] = c[0]; });
  // Okabe-Ito: tells apart with any common colour-vision deficiency; labels carry the meaning too.
  var COLOR = {
    sanctioned: '#009E73', unsanctioned: '#D55E00', other: '#0072B2',
    high: '#D55E00', medium: '#E69F00', low: '#009E73', unscored: '#8C8C8C'
  };

  function el(tag, cls) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    for (var i = 2; i < arguments.length; i++) {
      var k = arguments[i];
      if (k === null || k === undefined) { continue; }
      e.appendChild(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  function tip(node, text) {
    var t = svg('title', {});
    t.textContent = text;
    node.appendChild(t);
    return node;
  }
  var NUM = new Intl.NumberFormat(undefined);
  function num(n) { return n === null || n === undefined ? '—' : NUM.format(n); }
  function bytes(b) {
    if (b === null || b === undefined) { return 'n/a'; }
    var u = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
    var i = 0;
    var v = b;
    while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
    return (i === 0 ? String(v) : v.toFixed(v < 10 ? 2 : 1)) + ' ' + u[i];
  }
  var TIME = new Intl.DateTimeFormat(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short'
  });
  function time(iso) { return iso ? TIME.format(new Date(iso)) : '—'; }
  function day(d) { return new Date(d * 86400000).toISOString().slice(0, 10); }
  function country(code, ip) {
    if (!code && ip && /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|127\.|f[cd]|fe80:|::1$)/i.test(ip)) { return 'internal'; }
    return code && NAMES[code] ? NAMES[code] + ' (' + code + ')' : (code || 'unknown');
  }
  function score(s, known, total) {
    if (s === null || s === undefined) { return 'unscored'; }
    var t = s.toFixed(1);
    return known !== null && known !== undefined ? t + ' — ' + known + ' of ' + total + ' factors' : t;
  }
  function section(title, id, note) {
    var s = el('section', 'panel', el('h2', null, title));
    if (id) { s.id = id; }
    if (note) { s.appendChild(el('p', 'note', note)); }
    return s;
  }
  function table(heads, rows, id) {
    var t = el('table', 'grid');
    if (id) { t.id = id; }
    var tr = el('tr');
    heads.forEach(function (h) { tr.appendChild(el('th', null, h)); });
    t.appendChild(el('thead', null, tr));
    var body = el('tbody');
    rows.forEach(function (r) { body.appendChild(r); });
    t.appendChild(body);
    return t;
  }
  function row(cells, data) {
    var tr = el('tr');
    Object.keys(data || {}).forEach(function (k) { tr.dataset[k] = String(data[k]); });
    cells.forEach(function (c) {
      var numeric = typeof c === 'number' || (typeof c === 'string' && /^[\d.,]+ (B|KB|MB|GB|TB|PB)$/.test(c));
      var td = el('td', numeric ? 'n' : null, typeof c === 'number' ? num(c) : c);
      tr.appendChild(td);
    });
    return tr;
  }
  function bar(value, max, color, label) {
    var w = max > 0 ? Math.max(1, Math.round(200 * value / max)) : 0;
    var s = svg('svg', { width: 204, height: 14, role: 'img', 'aria-label': label });
    s.appendChild(tip(svg('rect', { x: 0, y: 2, width: w, height: 10, fill: color }), label));
    return s;
  }
  function swatch(key, text) {
    var w = el('span', 'sw');
    var g = svg('svg', { width: 12, height: 12, 'aria-hidden': 'true' });
    g.appendChild(svg('rect', { width: 12, height: 12, fill: COLOR[key] }));
    w.appendChild(g);
    w.appendChild(document.createTextNode(' ' + text));
    return w;
  }
  var trafficKnown = D.bytes_up_known || D.bytes_down_known;
  function metric(u) { return trafficKnown ? u.traffic_bytes : u.transactions; }
  function metricText(u) { return trafficKnown ? bytes(u.traffic_bytes) : num(u.transactions) + ' transactions'; }

  var root = byId('app');

  // Header.
  var h = el('header', null, el('h1', null, 'Cloud discovery'));
  var p = DASH.period || {};
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  h.appendChild(el('p', 'sub', 'Traffic from ' + time(p.first_seen) + ' to ' + time(p.last_seen) +
    '. Generated ' + time(D.generated) + '. Times are in your zone (' + zone + '); log times without a zone were read as ' + D.timezone + '.'));
  root.appendChild(h);
  (DASH.notes || []).forEach(function (n) { root.appendChild(el('p', 'warn', n)); });

  // Headline cards.
  var T = DASH.totals;
  var openAlerts = D.alerts_open;
  var cards = el('div', 'cards');
  cards.id = 'totals';
  function card(label, value, sub, key, raw) {
    var c = el('div', 'card', el('div', 'label', label), el('div', 'value', value), sub ? el('div', 'subv', sub) : null);
    c.dataset.key = key;
    c.dataset.v = String(raw);
    cards.appendChild(c);
  }
  card('Apps', num(T.apps), null, 'apps', T.apps);
  card('Users', num(T.users), null, 'users', T.users);
  card('IP addresses', num(T.ip_addresses), null, 'ip_addresses', T.ip_addresses);
  card('Traffic', trafficKnown ? bytes(T.traffic_bytes) : 'n/a',
    '↑ ' + bytes(T.uploaded_bytes) + '  ↓ ' + bytes(T.downloaded_bytes), 'traffic_bytes', T.traffic_bytes);
  card('Transactions', num(T.transactions), num(T.blocked_transactions) + ' blocked', 'transactions', T.transactions);
  card('Unmatched domains', num(T.unmatched_domains), num(T.unmatched_transactions) + ' transactions', 'unmatched_domains', T.unmatched_domains);
  card('Alerts', num(D.alerts_total), num(openAlerts) + ' open', 'alerts', D.alerts_total);
  root.appendChild(cards);

  // Since last night.
  var S = DASH.since_last_night;
  if (S) {
    var sn = section('Since last night (' + S.day + ')', 'since', S.baseline_days + ' earlier day(s) in the 7-day baseline.');
    var cols = el('div', 'cols');
    cols.appendChild(el('div', null, el('h3', null, 'New apps (' + S.new_apps.length + ')'),
      S.new_apps.length ? table(['App', 'Users', 'Transactions', 'Traffic'], S.new_apps.slice(0, 15).map(function (a) {
        return row([a.app, a.users, a.transactions, trafficKnown ? bytes(a.bytes_total) : 'n/a'], { app: a.app_id });
      }), 'new-apps') : el('p', 'note', 'No app seen for the first time in 90 days.')));
    cols.appendChild(el('div', null, el('h3', null, 'Largest changes against the 7-day mean'),
      table(['App', 'Users', 'Traffic', 'Change'], S.app_changes.slice(0, 10).map(function (c) {
        var ch = c.bytes_total_change === null || c.bytes_total_change === undefined ? 'new' : (c.bytes_total_change >= 0 ? '+' : '') + (100 * c.bytes_total_change).toFixed(0) + ' %';
        return row([c.app, c.users, trafficKnown ? bytes(c.bytes_total) : 'n/a', ch]);
      }))));
    if (S.quiet_apps.length) {
      cols.appendChild(el('div', null, el('h3', null, 'Quiet for ' + S.quiet_days + ' days'),
        table(['App', 'Last seen'], S.quiet_apps.slice(0, 10).map(function (q) { return row([q.app, q.last_seen_day]); }))));
    }
    sn.appendChild(cols);
    root.appendChild(sn);
  }

  // 30-day trend: one slot per UTC day, ending on the night's day (days without data are gaps).
  if (D.trend && D.trend.length) {
    var tr = section('Last 30 days', 'trend', (trafficKnown ? 'Traffic' : 'Transactions') + ' per UTC day (bars, left scale) and apps seen (line, right scale), from the history. An empty slot is a day the history has no data for.');
    var last = D.trend[D.trend.length - 1].day;
    var byDay = {};
    D.trend.forEach(function (d) { byDay[d.day] = d; });
    var W = 880, H = 160, L = 70, R = 80, n = 30;
    var slots = [];
    for (var k = 0; k < n; k++) { slots.push(byDay[last - n + 1 + k] || null); }
    var val = function (d) { return d ? (trafficKnown ? d.bytes_up + d.bytes_down : d.transactions) : 0; };
    var vmax = Math.max.apply(null, slots.map(val).concat([1]));
    var amax = Math.max.apply(null, slots.map(function (d) { return d ? d.apps : 0; }).concat([1]));
    var chart = svg('svg', { viewBox: '0 0 ' + (W + L + R) + ' ' + (H + 30), class: 'chart', role: 'img', 'aria-label': 'daily trend of the last 30 days' });
    var bw = W / n;
    var label = function (x, y, text, anchor) {
      var t = svg('text', { x: x, y: y, 'text-anchor': anchor || 'middle', class: 'axis' });
      t.textContent = text;
      chart.appendChild(t);
    };
    chart.appendChild(svg('line', { x1: L, y1: H, x2: L + W, y2: H, stroke: '#999' }));
    label(L - 6, 12, trafficKnown ? bytes(vmax) : num(vmax), 'end');
    label(L - 6, H, '0', 'end');
    label(L + W + 6, 12, num(amax) + ' apps', 'start');
    var pts = [];
    slots.forEach(function (d, i) {
      var x = L + i * bw;
      var dayNo = last - n + 1 + i;
      if (d) {
        var bh = Math.round(H * val(d) / vmax);
        chart.appendChild(tip(svg('rect', { x: x + 1, y: H - bh, width: Math.max(bw - 2, 1), height: bh, fill: '#56B4E9' }),
          day(dayNo) + ': ' + (trafficKnown ? bytes(val(d)) : num(val(d)) + ' transactions') + ', ' + d.apps + ' apps'));
        pts.push((x + bw / 2).toFixed(1) + ',' + (H - H * d.apps / amax).toFixed(1));
        chart.appendChild(svg('circle', { cx: x + bw / 2, cy: H - H * d.apps / amax, r: 3, fill: '#000' }));
      }
      if (i === n - 1 || i % 7 === 1) { label(x + bw / 2, H + 18, day(dayNo).slice(5)); }
    });
    if (pts.length > 1) { chart.appendChild(svg('polyline', { points: pts.join(' '), fill: 'none', stroke: '#000', 'stroke-width': 1.5 })); }
    tr.appendChild(chart);
    root.appendChild(tr);
  }

  var grid = el('div', 'two');
  // Categories, stacked by tag class.
  var cs = section('App categories', 'categories', trafficKnown ? 'Traffic per category: sanctioned, unsanctioned, other.' : 'Apps per category (this log carries no byte counts).');
  var cats = D.categories.slice(0, 12);
  var cmax = Math.max.apply(null, cats.map(function (c) { return trafficKnown ? c.sanctioned + c.unsanctioned + c.other : c.apps; }).concat([1]));
  function tagLegend() {
    var legend = el('p', 'legend');
    ['sanctioned', 'unsanctioned', 'other'].forEach(function (k) { legend.appendChild(swatch(k, k + '   ')); });
    return legend;
  }
  cs.appendChild(tagLegend());
  cs.appendChild(table(['Category', 'Apps', trafficKnown ? 'Traffic' : '', ''], cats.map(function (c) {
    var total = c.sanctioned + c.unsanctioned + c.other;
    var s = svg('svg', { width: 204, height: 14, role: 'img', 'aria-label': c.category });
    var x = 0;
    if (trafficKnown) {
      ['sanctioned', 'unsanctioned', 'other'].forEach(function (k) {
        var w = 200 * c[k] / cmax;
        if (w > 0) { s.appendChild(tip(svg('rect', { x: x, y: 2, width: Math.max(w, 1), height: 10, fill: COLOR[k] }), k + ': ' + bytes(c[k]))); }
        x += w;
      });
    } else {
      s.appendChild(svg('rect', { x: 0, y: 2, width: Math.max(1, 200 * c.apps / cmax), height: 10, fill: COLOR.other }));
    }
    return row([c.category, c.apps, trafficKnown ? bytes(total) : '', s], { category: c.category });
  })));
  grid.appendChild(cs);

  // Risk levels donut.
  var rs = section('Risk levels', 'risk', 'Score 0–10, 10 the least risky: high below 5, medium 5 to below 8, low 8 and up. Unscored: the catalog knows too little.');
  var levels = DASH.risk_levels;
  var rtotal = levels.reduce(function (a, l) { return a + (trafficKnown ? l.traffic_bytes : l.apps); }, 0);
  var donut = svg('svg', { viewBox: '0 0 160 160', width: 160, height: 160, role: 'img', 'aria-label': 'traffic by risk level' });
  var a0 = -Math.PI / 2;
  levels.forEach(function (l) {
    var v = trafficKnown ? l.traffic_bytes : l.apps;
    if (!rtotal || !v) { return; }
    if (v === rtotal) {
      // One level holds everything: a ring (an arc cannot start and end at one point).
      donut.appendChild(tip(svg('circle', { cx: 80, cy: 80, r: 56, fill: 'none', stroke: COLOR[l.level], 'stroke-width': 28 }), l.level + ': ' + (trafficKnown ? bytes(v) : v + ' apps')));
      return;
    }
    var a1 = a0 + 2 * Math.PI * v / rtotal;
    var large = a1 - a0 > Math.PI ? 1 : 0;
    var P = function (a, r) { return (80 + r * Math.cos(a)).toFixed(2) + ' ' + (80 + r * Math.sin(a)).toFixed(2); };
    var d = 'M ' + P(a0, 70) + ' A 70 70 0 ' + large + ' 1 ' + P(a1, 70) + ' L ' + P(a1, 42) + ' A 42 42 0 ' + large + ' 0 ' + P(a0, 42) + ' Z';
    donut.appendChild(tip(svg('path', { d: d, fill: COLOR[l.level] }), l.level + ': ' + (trafficKnown ? bytes(v) : v + ' apps')));
    a0 = a1;
  });
  var rwrap = el('div', 'cols', donut);
  rwrap.appendChild(table(['Level', 'Scores', 'Apps', trafficKnown ? 'Traffic' : 'Transactions'], levels.map(function (l) {
    return row([swatch(l.level, l.level), l.scores, l.apps, trafficKnown ? bytes(l.traffic_bytes) : num(l.transactions)], { level: l.level, apps: l.apps });
  }), 'risk-levels'));
  rs.appendChild(rwrap);
  grid.appendChild(rs);
  root.appendChild(grid);

  // Top apps.
  var ts = section('Top apps', 'top-apps-panel', 'By ' + (trafficKnown ? 'traffic' : 'transactions') + '; the bar is coloured by the app\u2019s tag.');
  ts.appendChild(tagLegend());
  var top = D.apps.slice(0, 15);
  var tmax = Math.max.apply(null, top.map(function (a) { return trafficKnown ? a.traffic : a.tx; }).concat([1]));
  ts.appendChild(table(['App', 'Category', 'Risk', trafficKnown ? 'Traffic' : 'Transactions', '', 'Transactions', 'Users'], top.map(function (a) {
    var tag = a.tags.indexOf('sanctioned') >= 0 ? 'sanctioned' : a.tags.indexOf('unsanctioned') >= 0 ? 'unsanctioned' : 'other';
    var v = trafficKnown ? a.traffic : a.tx;
    return row([a.name, a.category, score(a.score, a.known, a.total), trafficKnown ? bytes(a.traffic) : num(a.tx),
      bar(v, tmax, COLOR[tag], tag), a.tx, a.users], { app: a.id, transactions: a.tx, users: a.users });
  }), 'top-apps'));
  root.appendChild(ts);

  // Top users and addresses.
  var te = el('div', 'two');
  var tu = section('Top users', 'top-users-panel');
  tu.appendChild(table(['User', 'Apps', trafficKnown ? 'Traffic' : 'Transactions'], DASH.top_users.slice(0, 15).map(function (u) {
    return row([u.name, u.apps, metricText(u)], { user: u.name, v: metric(u) });
  }), 'top-users'));
  te.appendChild(tu);
  var ti = section('Top source IP addresses', 'top-ips-panel');
  ti.appendChild(table(['Address', 'Country', 'Apps', trafficKnown ? 'Traffic' : 'Transactions'], DASH.top_ip_addresses.slice(0, 15).map(function (u) {
    return row([u.name, country(u.ip_country, u.name), u.apps, metricText(u)], { ip: u.name });
  }), 'top-ips'));
  te.appendChild(ti);
  root.appendChild(te);

  // World map.
  var ms = section('Where the apps are', 'map-panel');
  var modes = el('div', 'toggle');
  var bHq = el('button', 'on', 'App headquarters');
  var bDest = el('button', null, 'Destination countries');
  bHq.type = bDest.type = 'button';
  modes.appendChild(bHq);
  modes.appendChild(bDest);
  ms.appendChild(modes);
  var mapWrap = el('div', 'cols');
  var mapSvg = svg('svg', { viewBox: '0 0 960 440', class: 'map', role: 'img', 'aria-label': 'world map' });
  var mapList = el('div');
  mapWrap.appendChild(mapSvg);
  mapWrap.appendChild(mapList);
  ms.appendChild(mapWrap);
  root.appendChild(ms);
  var world = JSON.parse(byId('cc-world').textContent);
  var shapes = topojson.feature(world, world.objects.countries).features;
  function proj(c) { return [(c[0] + 180) * 960 / 360, (85 - c[1]) * 440 / 145]; }
  function ringPath(r) { return r.map(function (c, i) { var q = proj(c); return (i ? 'L' : 'M') + q[0].toFixed(1) + ' ' + q[1].toFixed(1); }).join('') + 'Z'; }
  function polys(g) { return g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : []; }
  var centroid = {};
  var paths = {};
  shapes.forEach(function (f) {
    if (!f.geometry) { return; }
    var code = NUM_TO_A2[f.id];
    var d = '';
    var best = null, bestA = -1;
    polys(f.geometry).forEach(function (poly) {
      poly.forEach(function (r) { d += ringPath(r); });
      var xs = poly[0].map(function (c) { return c[0]; }), ys = poly[0].map(function (c) { return c[1]; });
      var a = (Math.max.apply(null, xs) - Math.min.apply(null, xs)) * (Math.max.apply(null, ys) - Math.min.apply(null, ys));
      if (a > bestA) { bestA = a; best = [(Math.max.apply(null, xs) + Math.min.apply(null, xs)) / 2, (Math.max.apply(null, ys) + Math.min.apply(null, ys)) / 2]; }
    });
    var path = svg('path', { d: d, class: 'land' });
    tip(path, f.properties && f.properties.name ? f.properties.name : '');
    mapSvg.appendChild(path);
    if (code) { centroid[code] = proj(best); paths[code] = path; }
  });
  var overlay = svg('g', {});
  mapSvg.appendChild(overlay);
  function drawMap(mode) {
    bHq.className = mode === 'hq' ? 'on' : '';
    bDest.className = mode === 'hq' ? '' : 'on';
    while (overlay.firstChild) { overlay.removeChild(overlay.firstChild); }
    Object.keys(paths).forEach(function (k) { paths[k].setAttribute('class', 'land'); });
    while (mapList.firstChild) { mapList.removeChild(mapList.firstChild); }
    var off = [];
    if (mode === 'hq') {
      var hq = DASH.app_headquarters.filter(function (x) { return x.country !== 'unknown'; });
      var hmax = Math.max.apply(null, hq.map(function (x) { return x.apps; }).concat([1]));
      hq.forEach(function (x) {
        var c = centroid[x.country];
        if (!c) { off.push(x.country); return; }
        overlay.appendChild(tip(svg('circle', { cx: c[0], cy: c[1], r: 3 + 17 * Math.sqrt(x.apps / hmax), class: 'bubble' }),
          country(x.country) + ': ' + x.apps + ' apps'));
      });
      mapList.appendChild(table(['Headquarters', 'Apps', trafficKnown ? 'Traffic' : 'Transactions'], DASH.app_headquarters.slice(0, 12).map(function (x) {
        return row([country(x.country), x.apps, metricText(x)]);
      })));
    } else {
      var dc = DASH.destination_countries.filter(function (x) { return x.country !== 'unknown'; });
      var dmax = Math.max.apply(null, dc.map(metric).concat([1]));
      dc.forEach(function (x) {
        var pth = paths[x.country];
        if (!pth) { off.push(x.country); return; }
        var step = Math.min(4, Math.floor(5 * Math.sqrt(metric(x) / dmax)));
        pth.setAttribute('class', 'land c' + step);
      });
      mapList.appendChild(table(['Destination', trafficKnown ? 'Traffic' : 'Transactions'], DASH.destination_countries.slice(0, 12).map(function (x) {
        return row([country(x.country), metricText(x)]);
      })));
    }
    if (off.length) { mapList.appendChild(el('p', 'note', 'Too small for this map: ' + off.join(', ') + '.')); }
  }
  bHq.addEventListener('click', function () { drawMap('hq'); });
  bDest.addEventListener('click', function () { drawMap('dest'); });
  drawMap('hq');

  // Alerts.
  var al = section('Alerts of this run', 'alerts-panel', D.alerts_total > D.alerts.length ? 'The first ' + D.alerts.length + ' of ' + D.alerts_total + ' (all in alerts.jsonl).' : 'Status as the state file keeps it; close them with `cloudcensus alerts close`.');
  al.appendChild(D.alerts.length ? table(['Severity', 'Policy', 'User or app', 'When', 'Activities', 'Status', 'Description'], D.alerts.map(function (a) {
    return row([a.severity, a.policy, a.entity, time(a.start), a.count, a.status + (a.new ? ' (new)' : ''), a.description], { alert: a.id, severity: a.severity });
  }), 'alerts') : el('p', 'note', 'No alert.'));
  root.appendChild(al);

  // Unmatched domains.
  var um = section('Unmatched domains', 'unmatched-panel', 'Busiest registrable domains that matched no catalog app: what the catalog should learn next.');
  um.appendChild(DASH.top_unmatched_domains.length ? table(['Domain', 'Users', 'Transactions', trafficKnown ? 'Traffic' : ''], DASH.top_unmatched_domains.slice(0, 15).map(function (u) {
    return row([u.domain, u.users, u.transactions, trafficKnown ? bytes(u.traffic_bytes) : ''], { domain: u.domain });
  }), 'unmatched') : el('p', 'note', 'Every host matched a catalog app.'));
  root.appendChild(um);

  // Discovered apps: filter, sort, page, drill down.
  var ap = section('Discovered apps', 'apps-panel', D.apps_total > D.apps.length ? 'The ' + D.apps.length + ' busiest of ' + D.apps_total + ' apps; every app is in discovered_apps.parquet.' : D.apps_total + ' apps. Click an app for its users, addresses, days and risk factors.');
  var bar2 = el('div', 'filters');
  var q = el('input');
  q.type = 'search';
  q.placeholder = 'Search app, category, tag';
  q.setAttribute('aria-label', 'search apps');
  var catSel = el('select');
  catSel.setAttribute('aria-label', 'category');
  catSel.appendChild(el('option', null, 'All categories'));
  catSel.options[0].value = '';
  Array.from(new Set(D.apps.map(function (a) { return a.category; }))).sort().forEach(function (c) {
    var o = el('option', null, c);
    o.value = c;
    catSel.appendChild(o);
  });
  var lvlSel = el('select');
  lvlSel.setAttribute('aria-label', 'risk level');
  ['', 'high', 'medium', 'low', 'unscored'].forEach(function (l) { var o = el('option', null, l || 'All risk levels'); o.value = l; lvlSel.appendChild(o); });
  var tagSel = el('select');
  tagSel.setAttribute('aria-label', 'tag');
  ['', 'sanctioned', 'unsanctioned', 'monitored', 'untagged'].forEach(function (l) { var o = el('option', null, l || 'All tags'); o.value = l; tagSel.appendChild(o); });
  [q, catSel, lvlSel, tagSel].forEach(function (x) { bar2.appendChild(x); });
  var count = el('span', 'note');
  bar2.appendChild(count);
  ap.appendChild(bar2);
  var COLS = [['App', 'name'], ['Category', 'category'], ['Risk', 'score'], ['Evidence', 'known'], ['Tags', null], ['Traffic', 'traffic'], ['Upload', 'up'], ['Transactions', 'tx'], ['Users', 'users'], ['IP addresses', 'ips'], ['Last seen', 'last']];
  var sortKey = trafficKnown ? 'traffic' : 'tx', sortDir = -1, page = 0, PER = 50;
  var at = el('table', 'grid');
  at.id = 'apps-table';
  var head = el('tr');
  COLS.forEach(function (c) {
    var th = el('th');
    if (c[1]) {
      var b = el('button', 'sort', c[0]);
      b.type = 'button';
      b.addEventListener('click', function () { if (sortKey === c[1]) { sortDir = -sortDir; } else { sortKey = c[1]; sortDir = typeof D.apps[0] === 'object' && typeof D.apps[0][c[1]] === 'string' ? 1 : -1; } page = 0; render(); });
      th.appendChild(b);
    } else { th.appendChild(document.createTextNode(c[0])); }
    head.appendChild(th);
  });
  at.appendChild(el('thead', null, head));
  var tbody = el('tbody');
  at.appendChild(tbody);
  ap.appendChild(at);
  var pager = el('div', 'pager');
  var prev = el('button', null, '‹ previous'), next = el('button', null, 'next ›'), pinfo = el('span', 'note');
  prev.type = next.type = 'button';
  prev.addEventListener('click', function () { if (page > 0) { page--; render(); } });
  next.addEventListener('click', function () { page++; render(); });
  pager.appendChild(prev); pager.appendChild(pinfo); pager.appendChild(next);
  ap.appendChild(pager);
  var detail = el('div', 'detail');
  detail.id = 'detail';
  ap.appendChild(detail);
  root.appendChild(ap);
  [q, catSel, lvlSel, tagSel].forEach(function (x) { x.addEventListener('input', function () { page = 0; render(); }); });

  function filtered() {
    var text = q.value.trim().toLowerCase();
    return D.apps.filter(function (a) {
      if (catSel.value && a.category !== catSel.value) { return false; }
      if (lvlSel.value && a.level !== lvlSel.value) { return false; }
      if (tagSel.value === 'untagged' && a.tags.length) { return false; }
      if (tagSel.value && tagSel.value !== 'untagged' && a.tags.indexOf(tagSel.value) < 0) { return false; }
      if (text && (a.name + ' ' + a.id + ' ' + a.category + ' ' + a.tags.join(' ')).toLowerCase().indexOf(text) < 0) { return false; }
      return true;
    });
  }
  function render() {
    var rows = filtered();
    rows.sort(function (x, y) {
      var a = x[sortKey], b = y[sortKey];
      if (a === b) { return x.id < y.id ? -1 : 1; }
      if (a === null || a === undefined) { return 1; }
      if (b === null || b === undefined) { return -1; }
      return (a < b ? -1 : 1) * sortDir;
    });
    var pages = Math.max(1, Math.ceil(rows.length / PER));
    page = Math.min(page, pages - 1);
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    rows.slice(page * PER, page * PER + PER).forEach(function (a) {
      var name = el('button', 'link', a.name);
      name.type = 'button';
      name.addEventListener('click', function () { showDetail(a); });
      var ev = a.known === null || a.known === undefined ? '—' : a.known + ' of ' + a.total;
      var evCell = el('span', a.known !== null && a.known < 5 ? 'thin' : null, ev);
      tbody.appendChild(row([name, a.category, a.score === null ? 'unscored' : a.score.toFixed(1), evCell, a.tags.join(', '),
        bytes(a.traffic), bytes(a.up), a.tx, a.users, a.ips, time(a.last)], { app: a.id, transactions: a.tx }));
    });
    count.textContent = rows.length + ' of ' + D.apps.length + ' apps';
    pinfo.textContent = ' page ' + (page + 1) + ' of ' + pages + ' ';
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }
  function showDetail(a) {
    while (detail.firstChild) { detail.removeChild(detail.firstChild); }
    var d = D.details[a.id];
    detail.appendChild(el('h3', null, a.name + ' — ' + a.category));
    detail.appendChild(el('p', null, 'Risk score: ' + score(a.score, a.known, a.total) + (a.why ? ' (' + a.why + ')' : '') + '.'));
    if (!d) { detail.appendChild(el('p', 'note', 'Details are embedded for the ' + D.limits[1] + ' busiest apps; this app\u2019s users and addresses are in app_users.parquet and app_ips.parquet.')); detail.scrollIntoView(); return; }
    if (a.known !== null && a.known !== undefined && d.known_by_category) {
      detail.appendChild(el('p', a.known < 5 ? 'warn' : 'note', 'Known factors — general ' + d.known_by_category[0] + ', security ' + d.known_by_category[1] +
        ', compliance ' + d.known_by_category[2] + ', legal ' + d.known_by_category[3] + '.' + (a.known < 5 ? ' This score rests on ' + a.known + ' of ' + a.total + ' factors: treat it as a hint, not a rating.' : '')));
    }
    if (d.vendor) { detail.appendChild(el('p', null, 'Vendor: ' + d.vendor)); }
    if (d.domains.length) { detail.appendChild(el('p', 'note', 'Domains: ' + d.domains.slice(0, 12).join(', ') + (d.domains.length > 12 ? ' and ' + (d.domains.length - 12) + ' more' : ''))); }
    var cols = el('div', 'cols');
    cols.appendChild(el('div', null, el('h4', null, 'Top users'), table(['User', 'Transactions', 'Traffic'], d.users.map(function (u) { return row([u[0], u[1], bytes(u[2])]); }))));
    cols.appendChild(el('div', null, el('h4', null, 'Top source addresses'), table(['Address', 'Country', 'Transactions', 'Traffic'], d.ips.map(function (u) { return row([u[0], country(u[1], u[0]), u[2], bytes(u[3])]); }))));
    detail.appendChild(cols);
    if (d.daily.length) {
      var dm = Math.max.apply(null, d.daily.map(function (x) { return trafficKnown ? x[2] + x[3] : x[1]; }).concat([1]));
      var ch = svg('svg', { viewBox: '0 0 600 80', class: 'chart small', role: 'img', 'aria-label': 'daily traffic' });
      var w = 600 / d.daily.length;
      d.daily.forEach(function (x, i) {
        var v = trafficKnown ? x[2] + x[3] : x[1];
        var hh = Math.round(70 * v / dm);
        ch.appendChild(tip(svg('rect', { x: i * w + 1, y: 72 - hh, width: Math.max(w - 2, 1), height: hh, fill: '#56B4E9' }),
          day(x[0]) + ': ' + num(x[1]) + ' transactions' + (trafficKnown ? ', ' + bytes(x[2] + x[3]) : '')));
      });
      detail.appendChild(el('h4', null, 'Per UTC day (' + day(d.daily[0][0]) + ' to ' + day(d.daily[d.daily.length - 1][0]) + ')'));
      detail.appendChild(ch);
    }
    detail.appendChild(el('h4', null, 'Risk factors the catalog knows, with their sources'));
    detail.appendChild(d.factors.length ? table(['Factor', 'Category', 'Value', 'Score', 'Source', 'As of'], d.factors.map(function (f) {
      return row([f.name, f.category, f.value, f.scored ? (f.score === null ? '—' : f.score.toFixed(1)) : 'not scored', f.source, f.as_of || '—']);
    }), 'factors') : el('p', 'warn', 'The catalog has no sourced factor for this app.'));
    detail.scrollIntoView();
  }
  // Links into the page: #q=TEXT fills the search box, #app=ID opens that app's details
  // (for a link in an alert e-mail or a ticket).
  var hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get('q')) { q.value = hash.get('q'); }
  render();
  var want = hash.get('app');
  if (want) {
    var hit = D.apps.filter(function (a) { return a.id === want; })[0];
    if (hit) { showDetail(hit); } else { detail.appendChild(el('p', 'warn', 'No app ' + want + ' in this scan.')); }
  }
  root.appendChild(el('footer', null, 'Full tables beside this file: discovered_apps.parquet, app_users.parquet, app_ips.parquet, app_daily.parquet, unmatched_domains.parquet; dashboard.json has these figures. Map: Natural Earth via world-atlas (ISC); topojson-client (ISC); country names: i18n-iso-countries (MIT).'));
  document.documentElement.dataset.rendered = 'yes';
})();
