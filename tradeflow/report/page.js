// tradeflow report: renders every chart with vegaEmbed, and wires the page-wide filters (country, product scope,
// years), the linked highlight (click a country in any chart), each chart's data table, its CSV download and its
// PNG export. Filters are Vega-Lite params (f_countries, f_scope, f_year_from, f_year_to, f_highlight) that every
// chart declares; the same filter is applied to the data tables and the CSV files.
(function () {
  const charts = __CHARTS__;
  const tables = JSON.parse(document.getElementById("tradeflow-tables").textContent);
  const state = {done: false, expected: charts.length, rendered: [], errors: [], downloads: []};
  window.__tradeflowReport = state;
  const views = {};
  const filters = {countries: null, scope: "all", yearFrom: null, yearTo: null, highlight: ""};
  const TABLE_ROWS_SHOWN = 200;

  // ------------------------------------------------------------------------------------------ filter state
  const form = document.getElementById("filters");
  function readForm() {
    const boxes = Array.from(form.querySelectorAll("input[name=country]"));
    const checked = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    filters.countries = checked.length === boxes.length ? null : checked;
    filters.scope = form.querySelector("select[name=scope]").value;
    filters.yearFrom = parseInt(form.querySelector("input[name=year_from]").value, 10);
    filters.yearTo = parseInt(form.querySelector("input[name=year_to]").value, 10);
  }
  function yearOf(value) {
    if (value === null || value === undefined) return null;
    return typeof value === "number" ? value : parseInt(String(value).slice(0, 4), 10);
  }
  function keep(row, spec) {
    const f = spec.filters;
    if (f.country && filters.countries !== null && filters.countries.indexOf(row[f.country]) < 0) return false;
    if (f.year) {
      const y = yearOf(row[f.year]);
      if (y !== null && (y < filters.yearFrom || y > filters.yearTo)) return false;
    }
    if (f.scope && row[f.scope] !== filters.scope) return false;
    return true;
  }
  function filteredRows(key) {
    const spec = tables[key];
    return spec.rows.filter(function (row) { return keep(row, spec); });
  }

  // ------------------------------------------------------------------------------------------ charts
  function pushSignals(view) {
    // f_countries [] = every country; a filter that keeps none sends a code no row has
    const countries = filters.countries === null ? [] : (filters.countries.length ? filters.countries : ["-"]);
    view.signal("f_countries", countries).signal("f_scope", filters.scope)
      .signal("f_year_from", filters.yearFrom).signal("f_year_to", filters.yearTo)
      .signal("f_highlight", filters.highlight);
    return view.runAsync();
  }
  function codeOf(item) {
    let d = item && item.datum;
    for (let i = 0; d && i < 3; i++) {
      if (d.code) return d.code;
      d = d.datum;
    }
    return "";
  }
  function setHighlight(code) {
    filters.highlight = code || "";
    const note = document.getElementById("highlight-note");
    note.textContent = filters.highlight ? "Highlighted in every chart: " + filters.highlight + " (click it again to clear)" : "";
    return applyAll();
  }

  // ------------------------------------------------------------------------------------------ tables, downloads
  function cell(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
    return String(v);
  }
  function renderTable(key) {
    const spec = tables[key];
    const rows = filteredRows(key);
    const el = document.querySelector('table[data-table-for="' + key + '"]');
    const count = document.querySelector('[data-count-for="' + key + '"]');
    if (count) count.textContent = rows.length + " of " + spec.rows.length + " rows";
    if (!el) return;
    const head = "<thead><tr>" + spec.columns.map(function (c) { return "<th>" + c + "</th>"; }).join("") + "</tr></thead>";
    const body = rows.slice(0, TABLE_ROWS_SHOWN).map(function (r) {
      return "<tr>" + spec.columns.map(function (c) {
        return "<td>" + cell(r[c]).replace(/&/g, "&amp;").replace(/</g, "&lt;") + "</td>";
      }).join("") + "</tr>";
    }).join("");
    el.innerHTML = head + "<tbody>" + body + "</tbody>";
    const more = document.querySelector('[data-more-for="' + key + '"]');
    if (more) more.textContent = rows.length > TABLE_ROWS_SHOWN ?
      "First " + TABLE_ROWS_SHOWN + " rows shown; the CSV has all " + rows.length + "." : "";
  }
  function csvValue(v) {
    if (v === null || v === undefined) return "";
    const s = typeof v === "number" ? String(v) : String(v);
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function toCsv(key) {
    const spec = tables[key];
    const lines = [spec.columns.join(",")];
    filteredRows(key).forEach(function (r) { lines.push(spec.columns.map(function (c) { return csvValue(r[c]); }).join(",")); });
    return lines.join("\n") + "\n";
  }
  function save(name, href) {
    const a = document.createElement("a");
    a.href = href;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { a.remove(); }, 1000);
    state.downloads.push(name);
  }
  document.addEventListener("click", function (ev) {
    const csv = ev.target.closest("[data-download-csv]");
    if (csv) {
      const key = csv.dataset.downloadCsv;
      const url = URL.createObjectURL(new Blob([toCsv(key)], {type: "text/csv;charset=utf-8"}));
      save(tables[key].file + ".csv", url);
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      return;
    }
    const png = ev.target.closest("[data-download-png]");
    if (png) {
      const key = png.dataset.downloadPng;
      const view = views["chart-" + key];
      if (view) view.toImageURL("png", 2).then(function (url) { save(tables[key].file + ".png", url); });
    }
  });

  function applyAll() {
    readForm();
    Object.keys(tables).forEach(renderTable);
    return Promise.all(Object.keys(views).map(function (id) { return pushSignals(views[id]); }));
  }
  form.addEventListener("change", function () { state.applied = applyAll(); });
  form.addEventListener("reset", function () { setTimeout(function () { state.applied = applyAll(); }, 0); });
  document.getElementById("filter-all").addEventListener("click", function () {
    form.querySelectorAll("input[name=country]").forEach(function (b) { b.checked = true; });
    state.applied = applyAll();
  });
  document.getElementById("filter-none").addEventListener("click", function () {
    form.querySelectorAll("input[name=country]").forEach(function (b) { b.checked = false; });
    state.applied = applyAll();
  });
  // for tests and scripts: set filters programmatically, resolve once every chart has re-rendered
  state.apply = function () { return applyAll(); };

  readForm();
  Object.keys(tables).forEach(renderTable);
  const opts = {renderer: "svg", actions: {export: true, source: false, compiled: false, editor: false}};
  Promise.all(charts.map(function (c) {
    return vegaEmbed("#" + c.id, c.spec, opts).then(function (result) {
      views[c.id] = result.view;
      result.view.addEventListener("click", function (event, item) {
        const code = codeOf(item);
        if (code) setHighlight(code === filters.highlight ? "" : code);
      });
      state.rendered.push(c.id);
      return pushSignals(result.view);
    }).catch(function (err) {
      state.errors.push(c.id + ": " + err);
      const el = document.getElementById(c.id);
      el.insertAdjacentHTML("beforeend", '<p class="chart-error">This chart failed to render: ' +
        String(err).replace(/</g, "&lt;") + "</p>");
      console.error("tradeflow report: chart " + c.id + " failed", err);
    });
  })).then(function () { state.done = true; });
})();
